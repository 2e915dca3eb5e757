/**
 * Builds a client from a vendor definition: the part every vendor shares. A vendor file gives
 * its facts (auth, record schema, `normalize`, pagination strategy); this file turns them into
 * `events()`, `pages()` and `raw`, with checkpoints, half-open time ranges and dedupe.
 */
import { inspect } from "node:util";
import { abortReason } from "../internal/clock.js";
import type { z } from "zod";
import { readCheckpoint, scopeOf, type Checkpoint } from "./checkpoint.js";
import { ConfigError, ResponseValidationError } from "./errors.js";
import type { AuditEvent } from "./event.js";
import { HttpClient, type HttpStats } from "./http.js";
import { createRawClient, type RawClient } from "./raw.js";
import { resolveCommon, wholeNumber, type CommonOptions, type ResolvedCommon } from "./options.js";
import { paginate, type Position, type RawPage, type RunContext, type Strategy } from "./paginate.js";
import { TokenBucket } from "./rate-limit.js";
import { eventStream, type EventStream } from "./stream.js";
import type { VendorId } from "./vendor-id.js";

const DEFAULT_LAG_MS = 5 * 60_000;
const DAY_MS = 24 * 60 * 60_000;

/** Thrown by a vendor's `normalize` for a record it cannot use; becomes `ResponseValidationError`. */
export class RecordFieldError extends Error {
  constructor(readonly field: string, message: string) {
    super(message);
  }
}

export interface NormalizeContext {
  /** Zendesk subdomain, JITSudo tenant id. */
  tenant: string | undefined;
}

/** Everything a vendor file tells the core. */
export interface VendorDefinition<V extends VendorId, Options extends CommonOptions, Raw, Filter, S, E> {
  id: V;
  /** The vendor's default origin, or undefined where `baseUrl` is required (self-hosted). */
  defaultBaseUrl(options: Options): string | undefined;
  /** The documented limit, used by the client-side rate limiter unless overridden. */
  requestsPerMinute: number | undefined;
  /** Validates credentials (throws ConfigError naming the option) and returns the secret headers. */
  auth(options: Options): { headers: Record<string, string>; tenant?: string | undefined };
  /**
   * Lenient: validates the fields the SDK relies on and lets any other field through. Only the
   * verdict is used (`raw` is the record as received), so a plain `z.object`, which skips the
   * unknown keys a `z.looseObject` would copy, does the job for less per record.
   */
  record: z.ZodType<Raw>;
  normalize(raw: Raw, ctx: NormalizeContext): AuditEvent<Raw>;
  strategy: Strategy<S, E>;
  /** Page-size bounds; undefined for a vendor without pages (Datafold). */
  pageSize: { max: number } | undefined;
  /** Validates `filter` (ConfigError naming `filter.<key>`). */
  filter(value: unknown): Filter | undefined;
  /** The latest `until` the vendor accepts, given now (Zendesk: now − 61 s). */
  maxUntil?(now: number): number;
  /** Default `since` when omitted, given `until` (Datafold needs a start). */
  defaultSince?(until: number): number;
  /** A plainer message for a vendor error (Zendesk's plan-gated 403). */
  explainError?(status: number, body: unknown): string | undefined;
  /** The raw client must send a JSON body on GET (Datafold). */
  getWithBody?: boolean;
  /** A client-level default for `windowMs` (Datafold). */
  windowMs?(options: Options): number | undefined;
}

/** Parameters of `events()` and `pages()`. */
export interface EventParams<Filter = Record<string, unknown>> {
  /** Inclusive start: a Date or an RFC 3339 string. Ignored with `resumeFrom`. */
  since?: Date | string;
  /** Exclusive end: a Date or an RFC 3339 string. Default now. */
  until?: Date | string;
  pageSize?: number;
  filter?: Filter;
  /** A checkpoint from `stream.checkpoint()` (the object or its JSON text). */
  resumeFrom?: unknown;
  signal?: AbortSignal;
  /** How late an event may arrive; the watermark stays this far behind now. Default 5 minutes. */
  lagMs?: number;
  /** Datafold time-window size. Default one day. */
  windowMs?: number;
}

export interface Page<Raw> {
  /** The records as received, this page's whole answer. */
  records: Raw[];
  /** The normalized events of this page that are new and inside `[since, until)`. */
  events: AuditEvent<Raw>[];
  requestId: string | undefined;
  /** Resumes after this page. */
  checkpoint: Checkpoint;
}

export interface AuditLogClient<V extends VendorId, Raw, Filter, Paths extends {}> {
  readonly vendor: V;
  events(params?: EventParams<Filter>): EventStream<AuditEvent<Raw>, Checkpoint>;
  pages(params?: EventParams<Filter>): AsyncIterable<Page<Raw>> & { checkpoint(): Checkpoint };
  /**
   * Typed calls to the vendor's API (openapi-fetch), with auth, retries, timeout and rate limit.
   * A failed call always sets `error`, so `if (error) throw error;` leaves `data` defined.
   */
  readonly raw: RawClient<Paths>;
  /** Requests sent and retries made by this client so far. */
  readonly stats: Readonly<HttpStats>;
}

export function createVendorClient<V extends VendorId, Options extends CommonOptions, Raw, Filter, S, E, Paths extends {}>(
  def: VendorDefinition<V, Options, Raw, Filter, S, E>,
  options: Options,
): AuditLogClient<V, Raw, Filter, Paths> {
  if (options === null || typeof options !== "object") throw new ConfigError("options must be an object");
  const auth = def.auth(options);
  const common = resolveCommon(options, { baseUrl: def.defaultBaseUrl(options), requestsPerMinute: def.requestsPerMinute });
  const http = new HttpClient({
    vendor: def.id,
    origin: common.origin,
    authHeaders: auth.headers,
    fetch: common.fetch,
    maxRetries: common.maxRetries,
    maxRetryDelayMs: common.maxRetryDelayMs,
    timeoutMs: common.timeoutMs,
    rateLimiter: common.requestsPerMinute ? new TokenBucket(common.requestsPerMinute, common.clock) : undefined,
    logger: common.logger,
    logLevel: common.logLevel,
    userAgent: common.userAgent,
    clock: common.clock,
    explainError: def.explainError,
  });
  const raw = createRawClient<Paths>(http, { getWithBody: def.getWithBody });
  const windowMs = def.windowMs?.(options);
  if (windowMs !== undefined) wholeNumber(windowMs, "windowMs");
  return new VendorClient<V, Options, Raw, Filter, S, E, Paths>(def, common, http, raw, { tenant: auth.tenant, windowMs });
}

class VendorClient<V extends VendorId, Options extends CommonOptions, Raw, Filter, S, E, Paths extends {}>
  implements AuditLogClient<V, Raw, Filter, Paths>
{
  readonly vendor: V;
  readonly raw: RawClient<Paths>;
  readonly #def: VendorDefinition<V, Options, Raw, Filter, S, E>;
  readonly #common: ResolvedCommon;
  readonly #http: HttpClient;
  readonly #defaults: RunDefaults;

  constructor(def: VendorDefinition<V, Options, Raw, Filter, S, E>, common: ResolvedCommon, http: HttpClient, raw: RawClient<Paths>, defaults: RunDefaults) {
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

  events(params: EventParams<Filter> = {}): EventStream<AuditEvent<Raw>, Checkpoint> {
    const run = new Run(this.#def, this.#common, this.#http, this.#defaults, params);
    return eventStream((cancel) => run.events(cancel), () => run.checkpoint());
  }

  pages(params: EventParams<Filter> = {}): AsyncIterable<Page<Raw>> & { checkpoint(): Checkpoint } {
    const run = new Run(this.#def, this.#common, this.#http, this.#defaults, params);
    return eventStream((cancel) => run.pages(cancel), () => run.checkpoint());
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
interface NormalizedPage<Raw> {
  page: RawPage<unknown>;
  events: AuditEvent<Raw>[];
  /** `Date.parse(events[i].occurredAt)`. */
  times: number[];
  /** The position `{ state: page.state, skip: skips[i] }` resumes after `events[i]`. */
  skips: number[];
  end: Position<unknown>;
}

/** Per-client values a run starts from. */
interface RunDefaults {
  tenant: string | undefined;
  windowMs: number | undefined;
}

/** One pass over `[since, until)`, with the state its checkpoint is made of. */
class Run<Options extends CommonOptions, Raw, Filter, S, E> {
  readonly #def: VendorDefinition<VendorId, Options, Raw, Filter, S, E>;
  readonly #common: ResolvedCommon;
  readonly #http: HttpClient;
  /** What `normalize` is told besides the record: one object for the whole run. */
  readonly #normalizeContext: NormalizeContext;
  readonly #ctx: RunContext;
  readonly #scope: string;
  readonly #watermark: number;
  readonly #signal: AbortSignal | undefined;
  readonly #resume: Position<S> | undefined;
  /** id → occurredAt of events at or after a watermark that were yielded (this run or the last). */
  readonly #seen: Map<string, string>;
  /**
   * Where the run stands: the page state being read and how many of its records are consumed.
   * Kept as two fields, not a `Position` object per event; none before the first page.
   */
  #hasPosition = false;
  #positionState: unknown = null;
  #positionSkip = 0;
  #complete = false;

  constructor(def: VendorDefinition<VendorId, Options, Raw, Filter, S, E>, common: ResolvedCommon, http: HttpClient, defaults: RunDefaults, params: EventParams<Filter>) {
    if (params === null || typeof params !== "object") throw new ConfigError("params must be an object");
    this.#def = def;
    this.#common = common;
    this.#http = http;
    const tenant = defaults.tenant;
    this.#normalizeContext = { tenant };
    const filter = def.filter(params.filter);
    const pageSize = params.pageSize === undefined ? undefined : wholeNumber(params.pageSize, "pageSize");
    if (pageSize !== undefined && !def.pageSize) {
      throw new ConfigError(`${def.id} has no pages (it answers one time range at a time); use windowMs to size the requests`, "pageSize");
    }
    if (pageSize !== undefined && def.pageSize && (pageSize < 1 || pageSize > def.pageSize.max)) {
      throw new ConfigError(`must be between 1 and ${def.pageSize.max} for ${def.id}, got ${pageSize}`, "pageSize");
    }
    const lagMs = wholeNumber(params.lagMs ?? DEFAULT_LAG_MS, "lagMs");
    const windowMs = wholeNumber(params.windowMs ?? defaults.windowMs ?? DAY_MS, "windowMs");
    if (windowMs < 1_000) throw new ConfigError("must be at least 1000 (one second)", "windowMs");
    if (params.signal !== undefined && !(params.signal instanceof AbortSignal)) throw new ConfigError("must be an AbortSignal", "signal");
    this.#signal = params.signal;
    this.#scope = scopeOf(tenant ?? null, filter ?? null);

    const now = common.clock.now();
    const latest = def.maxUntil ? def.maxUntil(now) : now;
    const checkpoint = params.resumeFrom === undefined ? undefined : readCheckpoint(params.resumeFrom, def.id, this.#scope);
    let since: number | undefined;
    let until: number;
    if (checkpoint && !checkpoint.complete) {
      // Mid-run: the same range and watermark, from the recorded position.
      since = checkpoint.since === null ? undefined : Date.parse(checkpoint.since);
      until = Date.parse(checkpoint.until);
      this.#watermark = Date.parse(checkpoint.watermark);
      this.#resume = (checkpoint.position as Position<S> | null) ?? undefined;
      if (checkpoint.position) this.#setPosition(checkpoint.position);
    } else {
      since = checkpoint ? Date.parse(checkpoint.watermark) : timeParam(params.since, "since");
      until = Math.min(timeParam(params.until, "until") ?? latest, latest);
      if (since !== undefined && since >= until) {
        throw new ConfigError(`must be earlier than until (${new Date(until).toISOString()})`, checkpoint ? "resumeFrom" : "since");
      }
      // Never past now − lagMs (late events), never before the range asked for.
      this.#watermark = Math.max(since ?? -Infinity, Math.min(until, now - lagMs));
    }
    if (since === undefined && def.defaultSince) since = def.defaultSince(until);
    this.#seen = new Map(Object.entries(checkpoint?.seen ?? {}));
    this.#ctx = { vendor: def.id, origin: common.origin, since, until, pageSize, filter: filter as Record<string, unknown> | undefined, windowMs };
  }

  #setPosition(position: Position<unknown>): void {
    this.#hasPosition = true;
    this.#positionState = position.state;
    this.#positionSkip = position.skip;
  }

  checkpoint(): Checkpoint {
    const seen: Record<string, string> = {};
    const floor = this.#complete ? this.#watermark : -Infinity;
    for (const [id, at] of this.#seen) if (Date.parse(at) >= floor) seen[id] = at;
    return {
      version: 1,
      vendor: this.#def.id,
      scope: this.#scope,
      since: this.#ctx.since === undefined ? null : new Date(this.#ctx.since).toISOString(),
      until: new Date(this.#ctx.until).toISOString(),
      watermark: new Date(this.#watermark).toISOString(),
      // A copy of the state: the caller may change what it is given without changing the run.
      position: this.#complete || !this.#hasPosition ? null : { state: structuredClone(this.#positionState), skip: this.#positionSkip },
      complete: this.#complete,
      seen,
    };
  }

  async *pages(cancel: AbortSignal): AsyncGenerator<Page<Raw>, void, undefined> {
    for await (const read of this.#read(cancel)) {
      for (let i = 0; i < read.events.length; i++) this.#accept(read, i);
      this.#setPosition(read.end);
      yield { records: read.page.records as Raw[], events: read.events, requestId: read.page.requestId, checkpoint: this.checkpoint() };
    }
    this.#complete = true;
  }

  async *events(cancel: AbortSignal): AsyncGenerator<AuditEvent<Raw>, void, undefined> {
    const signal = this.#signal;
    for await (const read of this.#read(cancel)) {
      const events = read.events;
      for (let i = 0; i < events.length; i++) {
        // An abort stops the stream at once, not at the end of the page in hand.
        if (signal?.aborted) throw abortReason(signal);
        this.#accept(read, i);
        yield events[i]!;
      }
      this.#setPosition(read.end);
    }
    this.#complete = true;
  }

  /** Records the `i`th event of a page as yielded: the checkpoint moves past it. */
  #accept(read: NormalizedPage<Raw>, i: number): void {
    this.#hasPosition = true;
    this.#positionState = read.page.state;
    this.#positionSkip = read.skips[i]!;
    if (read.times[i]! >= this.#watermark) {
      const event = read.events[i]!;
      this.#seen.set(event.id, event.occurredAt);
    }
  }

  /** Pages with their new, in-range events normalized, each with the skip that resumes after it. */
  async *#read(cancel: AbortSignal): AsyncGenerator<NormalizedPage<Raw>, void, undefined> {
    const { since, until } = this.#ctx;
    const signal = this.#signal ? AbortSignal.any([this.#signal, cancel]) : cancel;
    const pages = paginate(this.#http, this.#def.strategy, this.#ctx, { prefetch: this.#common.prefetch, concurrency: this.#common.concurrency, signal }, this.#resume);
    // A resumed run with a smaller page size may have to skip past its first page: the rest
    // carries into the next, and the page's end position keeps counting so nothing repeats.
    let carry = 0;
    for await (const page of pages) {
      const skip = page.skip + carry;
      const records = page.records;
      carry = Math.max(0, skip - records.length);
      const events: AuditEvent<Raw>[] = [];
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
      yield { page, events, times, skips, end: { state: page.state, skip: Math.max(skip, records.length) } };
    }
  }

  #normalize(record: unknown, index: number, requestId: string | undefined): AuditEvent<Raw> {
    const vendor = this.#def.id;
    const parsed = this.#def.record.safeParse(record);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new ResponseValidationError({ vendor, path: [`records[${index}]`, ...(issue?.path.map(String) ?? [])].join("."), requestId, message: issue?.message ?? "invalid record" });
    }
    try {
      // `raw` is the record exactly as received, not zod's copy of it.
      return this.#def.normalize(record as Raw, this.#normalizeContext);
    } catch (error) {
      if (error instanceof RecordFieldError) {
        throw new ResponseValidationError({ vendor, path: `records[${index}].${error.field}`, requestId, message: error.message });
      }
      throw error;
    }
  }
}

/** A Date or RFC 3339 string as epoch ms; ConfigError naming the option otherwise. */
export function timeParam(value: unknown, option: string): number | undefined {
  if (value === undefined) return undefined;
  if (value instanceof Date) {
    const ms = value.getTime();
    if (Number.isNaN(ms)) throw new ConfigError("is an invalid Date", option);
    return ms;
  }
  if (typeof value === "string" && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/i.test(value)) {
    const ms = Date.parse(value);
    if (Number.isFinite(ms)) return ms;
  }
  throw new ConfigError(`must be a Date or an RFC 3339 date-time with a zone, such as "2026-01-01T00:00:00Z" (got ${JSON.stringify(value)})`, option);
}
