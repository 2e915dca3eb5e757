/**
 * Builds a client from a vendor definition: the part every vendor shares. A definition gives
 * the vendor's facts; this file turns them into `events()`, `pages()` and `raw`, with
 * checkpoints, half-open time ranges and dedupe.
 */
import { inspect } from "node:util";
import createFetchClient, { type Client } from "openapi-fetch";
import { abortReason } from "../internal/clock.js";
import { writeCheckpoint, type Checkpoint } from "./checkpoint.js";
import { SeenIds } from "./dedupe.js";
import { ConfigError, ResponseValidationError } from "./errors.js";
import { Normalizer, RecordFieldError, type AuditEvent, type NormalizeContext } from "./event.js";
import { BodyCarryingRequest, HttpClient, type HttpStats } from "./http.js";
import { requireSecret, resolveCommon, wholeNumber, type CommonOptions, type ResolvedCommon } from "./options.js";
import { paginate, type RawPage } from "./paginate.js";
import { RunPosition } from "./position.js";
import { TokenBucket } from "./rate-limit.js";
import { planRun, type EventParams, type RunPlan } from "./run-plan.js";
import { check } from "./schema.js";
import { EventStream } from "./stream.js";
import type { VendorDefinition } from "./vendor.js";

export type { EventParams } from "./run-plan.js";

/** One page of `pages()`. */
export interface Page<Raw, V extends string = string> {
  /** The records as received, this page's whole answer. */
  records: Raw[];
  /** The normalized events of this page that are new and inside `[since, until)`. */
  events: AuditEvent<Raw, V>[];
  /** The page's request id, for support tickets. */
  requestId: string | undefined;
  /** Resumes after this page. */
  checkpoint: Checkpoint;
}

/** A vendor's client: the same shape for the built-ins and a `defineVendor` vendor. */
export interface AuditLogClient<V extends string, Raw, Filter, Paths extends {}> {
  /** The vendor's id. */
  readonly vendor: V;
  /** Every event in `[since, until)` (or after `resumeFrom`), normalized, once each, as one resumable stream. */
  events(params?: EventParams<Filter>): EventStream<AuditEvent<Raw, V>, Checkpoint>;
  /** The same read page by page, each with its records, events and checkpoint. */
  pages(params?: EventParams<Filter>): AsyncIterable<Page<Raw, V>> & { checkpoint(): Checkpoint };
  /** Typed calls to the vendor's API (openapi-fetch), with auth, retries, timeout and rate limit. */
  readonly raw: Client<Paths>;
  /** Requests sent and retries made by this client so far. */
  readonly stats: Readonly<HttpStats>;
}

type AnyDefinition = VendorDefinition<string, any, any, any, any, any, any>;

/** Checks `options` against the definition (ConfigError naming the option) and builds the client. */
export function createVendorClient<V extends string, Options extends object, Raw, Filter, Paths extends {}>(
  def: VendorDefinition<V, Options, Raw, any, any, any, Paths>,
  options: Options & CommonOptions,
): AuditLogClient<V, Raw, Filter, Paths> {
  if (options === null || typeof options !== "object") throw new ConfigError("options must be an object");
  const secrets = checkSecrets(def.secrets ?? [], options);
  const tenant = def.tenant?.(options);
  const authHeaders = def.auth(options);
  if (authHeaders === null || typeof authHeaders !== "object" || Object.values(authHeaders).some((v) => typeof v !== "string")) {
    throw new TypeError(`${def.id}: auth(options) must return an object of header strings`);
  }
  const common = resolveCommon(options, {
    baseUrl: typeof def.baseUrl === "function" ? def.baseUrl(options) : def.baseUrl,
    requestsPerMinute: def.requestsPerMinute,
  });
  const windowMs = options.windowMs;
  if (windowMs !== undefined) wholeNumber(windowMs, "windowMs");
  const http = new HttpClient({
    vendor: def.id,
    origin: common.origin,
    authHeaders,
    secrets,
    fetch: common.fetch,
    maxRetries: common.maxRetries,
    maxRetryDelayMs: common.maxRetryDelayMs,
    timeoutMs: common.timeoutMs,
    rateLimiter: common.rateLimiter ?? (common.requestsPerMinute ? new TokenBucket(common.requestsPerMinute, common.clock) : undefined),
    logger: common.logger,
    logLevel: common.logLevel,
    userAgent: common.userAgent,
    clock: common.clock,
    explainError: def.explainError,
    retryAfter: def.retryAfter,
  });
  // A GET with a body goes over node:http (fetch refuses it), for `raw` as for pages.
  const init = { baseUrl: common.origin, fetch: http.fetch, Request: BodyCarryingRequest };
  const raw = def.raw ? def.raw(init) : createFetchClient<Paths>(init);
  return new VendorClient<V, Raw, Filter, Paths>(def, common, http, raw, { tenant, windowMs });
}

/** Each secret option checked (`requireSecret`); their values, for redaction. */
function checkSecrets(names: readonly string[], options: object): string[] {
  const values: string[] = [];
  for (const name of names) {
    const optional = name.endsWith("?");
    const path = optional ? name.slice(0, -1) : name;
    let value: unknown = options;
    for (const key of path.split(".")) value = value !== null && typeof value === "object" ? (value as Record<string, unknown>)[key] : undefined;
    if (optional && value === undefined) continue;
    values.push(requireSecret(value, path));
  }
  return values;
}

interface ClientDefaults {
  tenant: string | undefined;
  windowMs: number | undefined;
}

class VendorClient<V extends string, Raw, Filter, Paths extends {}> implements AuditLogClient<V, Raw, Filter, Paths> {
  readonly vendor: V;
  readonly raw: Client<Paths>;
  readonly #def: AnyDefinition;
  readonly #common: ResolvedCommon;
  readonly #http: HttpClient;
  readonly #defaults: ClientDefaults;

  constructor(def: AnyDefinition & { id: V }, common: ResolvedCommon, http: HttpClient, raw: Client<Paths>, defaults: ClientDefaults) {
    this.vendor = def.id;
    this.#def = def;
    this.#common = common;
    this.#http = http;
    this.#defaults = defaults;
    this.raw = raw;
  }

  get stats(): Readonly<HttpStats> {
    return { ...this.#http.stats };
  }

  events(params: EventParams<Filter> = {}): EventStream<AuditEvent<Raw, V>, Checkpoint> {
    const run = this.#run(params);
    return new EventStream((cancel) => run.events(cancel), () => run.checkpoint());
  }

  pages(params: EventParams<Filter> = {}): AsyncIterable<Page<Raw, V>> & { checkpoint(): Checkpoint } {
    const run = this.#run(params);
    return new EventStream((cancel) => run.pages(cancel), () => run.checkpoint());
  }

  #run(params: EventParams<Filter>): Run<Raw, V> {
    const plan = planRun(this.#def, this.#common.origin, { ...this.#defaults, now: this.#common.clock.now() }, params as EventParams<unknown>);
    return new Run<Raw, V>(this.#def, this.#common, this.#http, plan, this.#defaults.tenant);
  }

  toString(): string {
    return `AuditLogClient(${this.vendor} ${this.#common.origin})`;
  }

  toJSON(): Record<string, unknown> {
    return { vendor: this.vendor, baseUrl: this.#common.origin };
  }

  [inspect.custom](): string {
    return this.toString();
  }
}

// --- one run -----------------------------------------------------------------------------------

/** One page as a run reads it: its new, in-range events, with per event its time and resume skip. */
interface NormalizedPage<Raw, V extends string> {
  page: RawPage<unknown>;
  events: AuditEvent<Raw, V>[];
  /** `Date.parse(events[i].occurredAt)`. */
  times: number[];
  /** The position `{ state: page.state, skip: skips[i] }` resumes after `events[i]`. */
  skips: number[];
  /** Where the page ends: its state, and every record of it consumed. */
  endSkip: number;
}

/**
 * One pass over `[since, until)`: pages read by the engine, records validated and normalized,
 * trimmed to the range and deduplicated, the position moved past each event yielded.
 */
class Run<Raw, V extends string> {
  readonly #def: AnyDefinition;
  readonly #common: ResolvedCommon;
  readonly #http: HttpClient;
  readonly #plan: RunPlan;
  /** What `normalize` is told besides the record: one object for the whole run. */
  readonly #normalizeContext: NormalizeContext;
  readonly #seen: SeenIds;
  readonly #position: RunPosition;
  readonly #normalizer: Normalizer<Raw, V>;
  #complete = false;

  constructor(def: AnyDefinition, common: ResolvedCommon, http: HttpClient, plan: RunPlan, tenant: string | undefined) {
    this.#def = def;
    this.#common = common;
    this.#http = http;
    this.#plan = plan;
    this.#normalizeContext = { tenant };
    this.#seen = new SeenIds(plan.seen);
    this.#position = new RunPosition(plan.resume);
    this.#normalizer = new Normalizer(def.id as V, def.normalize);
  }

  checkpoint(): Checkpoint {
    const { ctx, scope, watermark } = this.#plan;
    return writeCheckpoint({
      vendor: this.#def.id,
      scope,
      since: ctx.since,
      until: ctx.until,
      watermark,
      position: this.#complete ? null : this.#position.toJSON(),
      complete: this.#complete,
      seen: this.#seen,
    });
  }

  async *pages(cancel: AbortSignal): AsyncGenerator<Page<Raw, V>, void, undefined> {
    for await (const read of this.#read(cancel)) {
      for (let i = 0; i < read.events.length; i++) this.#accept(read, i);
      this.#position.set(read.page.state, read.endSkip);
      yield { records: read.page.records as Raw[], events: read.events, requestId: read.page.requestId, checkpoint: this.checkpoint() };
    }
    this.#complete = true;
  }

  async *events(cancel: AbortSignal): AsyncGenerator<AuditEvent<Raw, V>, void, undefined> {
    const signal = this.#plan.signal;
    for await (const read of this.#read(cancel)) {
      const events = read.events;
      for (let i = 0; i < events.length; i++) {
        // An abort stops the stream at once, not at the end of the page in hand.
        if (signal?.aborted) throw abortReason(signal);
        this.#accept(read, i);
        yield events[i]!;
      }
      this.#position.set(read.page.state, read.endSkip);
    }
    this.#complete = true;
  }

  /** Records the `i`th event of a page as yielded: the checkpoint moves past it. */
  #accept(read: NormalizedPage<Raw, V>, i: number): void {
    this.#position.set(read.page.state, read.skips[i]!);
    const event = read.events[i]!;
    this.#seen.note(event.id, event.occurredAt, read.times[i]!, this.#plan.watermark);
  }

  /** Pages with their new, in-range events normalized, each with the skip that resumes after it. */
  async *#read(cancel: AbortSignal): AsyncGenerator<NormalizedPage<Raw, V>, void, undefined> {
    const { ctx, resume } = this.#plan;
    const { since, until } = ctx;
    const signal = this.#plan.signal ? AbortSignal.any([this.#plan.signal, cancel]) : cancel;
    const pages = paginate(this.#http, this.#def.pagination, ctx, { prefetch: this.#common.prefetch, concurrency: this.#common.concurrency, signal }, resume);
    // A resumed run with a smaller page size may have to skip past its first page: the rest
    // carries into the next, and the page's end position keeps counting so nothing repeats.
    let carry = 0;
    for await (const page of pages) {
      const skip = page.skip + carry;
      const records = page.records;
      carry = Math.max(0, skip - records.length);
      const events: AuditEvent<Raw, V>[] = [];
      const times: number[] = [];
      const skips: number[] = [];
      for (let i = skip; i < records.length; i++) {
        const event = this.#normalize(records[i], i, page.requestId);
        const at = Date.parse(event.occurredAt);
        // Half-open [since, until), whatever the vendor's own bounds; and nothing seen twice.
        if ((since !== undefined && at < since) || at >= until || this.#seen.has(event.id)) continue;
        events.push(event);
        times.push(at);
        skips.push(i + 1);
      }
      yield { page, events, times, skips, endSkip: Math.max(skip, records.length) };
    }
  }

  #normalize(record: unknown, index: number, requestId: string | undefined): AuditEvent<Raw, V> {
    const def = this.#def;
    const vendor = def.id as V;
    if (def.record) {
      const parsed = check(def.record, record);
      if (!parsed.ok) {
        throw new ResponseValidationError({ vendor, path: [`records[${index}]`, parsed.path].filter(Boolean).join("."), requestId, message: parsed.issue.message || "invalid record" });
      }
    }
    try {
      // `raw` is the record exactly as received, not a schema's copy of it.
      return this.#normalizer.event(record as Raw, this.#normalizeContext);
    } catch (error) {
      if (error instanceof RecordFieldError) {
        throw new ResponseValidationError({ vendor, path: `records[${index}].${error.field}`, requestId, message: error.message });
      }
      throw error;
    }
  }
}
