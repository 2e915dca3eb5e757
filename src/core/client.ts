/**
 * Builds a client from a vendor definition: the part every vendor shares. A definition gives
 * the vendor's facts; this file turns them into `events()`, `pages()` and `raw`, with
 * checkpoints, half-open time ranges and dedupe.
 */
import { inspect } from "node:util";
import createFetchClient from "openapi-fetch";
import { abortReason, systemClock } from "../internal/clock.js";
import { writeCheckpoint, type Checkpoint } from "./checkpoint.js";
import { SeenIds } from "./dedupe.js";
import { ApiError, AuditLogsError, ConfigError, ResponseValidationError } from "./errors.js";
import { NestingTooDeepError, Normalizer, occurredAtMs, RecordFieldError, type AuditEvent, type NormalizeContext } from "./event.js";
import { BodyCarryingRequest, HttpClient } from "./http.js";
import { nearestName } from "./names.js";
import { COMMON_OPTION_KEYS, requireSecret, resolveCommon, wholeNumber, type CommonOptions, type ResolvedCommon } from "./options.js";
import { idWindow, type RecentKeys } from "./id-window.js";
import { LoopGuard, paginate, type Position, type RawPage } from "./paginate.js";
import { RunPosition } from "./position.js";
import { TokenBucket } from "./rate-limit.js";
import { asInvalidRecord, checkRecordDepth, InvalidRecords, normalizeThrew, type ClientStats } from "./records.js";
import { paginateSlices } from "./slices.js";
import { asBudget, DrainMeter, ReadAhead } from "./read-ahead.js";
import { planRun, type EventParams, type RunPlan } from "./run-plan.js";
import { verdictOf, type SchemaFailure } from "./schema.js";
import { eventStream, type EventStream } from "./stream.js";
import { isUserDefined } from "./user-defined.js";
import type { PageSize } from "./page-size.js";
import { rawClient, type RawClient } from "./raw.js";
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

/**
 * A vendor's client: the same shape for the built-ins and a `defineVendor` vendor. `MaxPageSize`
 * is the vendor's largest page (`never` for a vendor without pages), so a `pageSize` literal it
 * would refuse does not compile; `number` when it is not known at compile time.
 */
export interface AuditLogClient<V extends string, Raw, Filter, Paths extends {}, MaxPageSize extends number = number> {
  /** The vendor's id. */
  readonly vendor: V;
  /**
   * Every event in `[since, until)` (or after `resumeFrom`), page after page, normalized and
   * deduplicated. Iterate it once with `for await`; `checkpoint()` resumes right after the last
   * event yielded. Bad params throw `ConfigError` at once, before any request.
   */
  events<const N extends number = number>(params?: EventParams<Filter> & { pageSize?: PageSize<N, MaxPageSize> }): EventStream<AuditEvent<Raw, V>, Checkpoint>;
  /**
   * The same run as `events()`, a page at a time: each page's records as received, its new
   * in-range events, its request id and the checkpoint that resumes after it (for batch writers).
   */
  pages<const N extends number = number>(params?: EventParams<Filter> & { pageSize?: PageSize<N, MaxPageSize> }): AsyncIterable<Page<Raw, V>> & { checkpoint(): Checkpoint };
  /**
   * Typed calls to the vendor's API (openapi-fetch), with auth, retries, timeout and rate limit.
   * A failed call always sets `error`, so `if (error) throw error;` leaves `data` defined.
   */
  readonly raw: RawClient<Paths>;
  /** Requests sent, retries made and invalid records skipped by this client so far. */
  readonly stats: Readonly<ClientStats>;
}

type AnyDefinition = VendorDefinition<string, any, any, any, any, any, any>;

/** Checks `options` against the definition (ConfigError naming the option) and builds the client. */
export function createVendorClient<V extends string, Options extends object, Raw, Filter, Paths extends {}, MaxPageSize extends number>(
  def: VendorDefinition<V, Options, Raw, any, any, any, Paths, MaxPageSize>,
  options: Options & CommonOptions,
): AuditLogClient<V, Raw, Filter, Paths, MaxPageSize> {
  if (options === null || typeof options !== "object") throw new ConfigError("options must be an object");
  if (def.options) checkOptionKeys(def, options);
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
    maxResponseBytes: common.maxResponseBytes,
    // A limiter the caller gave is theirs; the documented default may be widened by the vendor's
    // own headers, a rate the caller set is not.
    rateLimiter: common.rateLimiter ?? (common.requestsPerMinute ? new TokenBucket(common.requestsPerMinute, common.clock, { widens: options.rateLimit === undefined }) : undefined),
    rateLimitHeaders: def.rateLimitHeaders,
    logger: common.logger,
    logLevel: common.logLevel,
    userAgent: common.userAgent,
    clock: common.clock,
    explainError: def.explainError,
    retryAfter: def.retryAfter,
  });
  // A GET with a body goes over node:http (fetch refuses it), for `raw` as for pages.
  const init = { baseUrl: common.origin, fetch: http.fetch, Request: BodyCarryingRequest };
  const raw = rawClient<Paths>(def.raw ? def.raw(init) : createFetchClient<Paths>(init), http);
  return new VendorClient<V, Raw, Filter, Paths>(def, common, http, raw, { tenant, windowMs, invalid: new InvalidRecords(common.onInvalidRecord) });
}

/**
 * For a definition that lists its `options`: the `ConfigError` for the first key of `options`
 * that is none of them, of its secrets or of the common options (one set to undefined passes,
 * and `vendor` naming this vendor, as `createClient` takes it), naming the option it is likely a
 * typo of.
 */
function checkOptionKeys(def: AnyDefinition, options: object): void {
  const known = [...new Set([...(def.secrets ?? []).map((name: string) => name.split(".")[0]!.replace(/\?$/, "")), ...def.options!, ...COMMON_OPTION_KEYS])];
  for (const key of Object.keys(options)) {
    const value = (options as Record<string, unknown>)[key];
    if (known.includes(key) || value === undefined || (key === "vendor" && (value === def.id || (value as { id?: unknown } | null)?.id === def.id))) continue;
    if (key === "vendor") throw new ConfigError(`names another vendor (${JSON.stringify(typeof value === "string" ? value : (value as { id?: unknown } | null)?.id)}): these are ${def.id}'s options`, key);
    // A secret's field given at the top (Zendesk's apiToken, which goes in auth) is named by its path.
    const near = nearestName(key, known) ?? (def.secrets ?? []).map((name: string) => name.replace(/\?$/, "")).find((path: string) => path.endsWith(`.${key}`));
    throw new ConfigError(`is not an option of ${def.id}${near ? `: did you mean ${near}?` : ""} (its options: ${known.join(", ")})`, key);
  }
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
  /** `onInvalidRecord` and its count, shared by the client's runs. */
  invalid: InvalidRecords;
}

class VendorClient<V extends string, Raw, Filter, Paths extends {}> implements AuditLogClient<V, Raw, Filter, Paths> {
  readonly vendor: V;
  readonly raw: RawClient<Paths>;
  readonly #def: AnyDefinition;
  readonly #common: ResolvedCommon;
  readonly #http: HttpClient;
  readonly #defaults: ClientDefaults;

  constructor(def: AnyDefinition & { id: V }, common: ResolvedCommon, http: HttpClient, raw: RawClient<Paths>, defaults: ClientDefaults) {
    this.vendor = def.id;
    this.#def = def;
    this.#common = common;
    this.#http = http;
    this.#defaults = defaults;
    this.raw = raw;
  }

  get stats(): Readonly<ClientStats> {
    return { ...this.#http.stats, invalidRecords: this.#defaults.invalid.count };
  }

  events(params: EventParams<Filter> = {}): EventStream<AuditEvent<Raw, V>, Checkpoint> {
    const run = this.#run(params);
    return eventStream(
      (cancel, readAhead) => run.events(cancel, readAhead),
      () => run.checkpoint(),
      () => run.mark(),
    );
  }

  pages(params: EventParams<Filter> = {}): AsyncIterable<Page<Raw, V>> & { checkpoint(): Checkpoint } {
    const run = this.#run(params);
    return eventStream((cancel, readAhead) => run.pages(cancel, readAhead), () => run.checkpoint());
  }

  #run(params: EventParams<Filter>): Run<Raw, V> {
    const { tenant, windowMs, invalid } = this.#defaults;
    const plan = planRun(this.#def, this.#common.origin, { tenant, windowMs, now: this.#common.clock.now() }, params as EventParams<unknown>);
    return new Run<Raw, V>(this.#def, this.#common, this.#http, plan, tenant, invalid);
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

/** Records normalized between two turns of the event loop (about a millisecond's work). */
const NORMALIZE_SLICE = 256;

/** `setImmediate` as it was when the package loaded (a test's fake timers installed later do not stop a run). */
const immediate = typeof setImmediate === "function" ? setImmediate : undefined;

/** The next turn of the event loop: I/O callbacks (answers arriving) run first. */
function nextTurn(): Promise<void> | undefined {
  return immediate ? new Promise((resolve) => immediate(resolve)) : undefined;
}

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
  /**
   * The ids this run has yielded lately (the last 50,000, off the JS heap): a server that repeats a
   * record on later pages, under ever-new cursors or page numbers, gets it yielded once. `seen`
   * covers the lag zone across runs; this, what lies before it within the run. Not the loop
   * guard's window: that one holds every id read (in range or not, a slice's neighbour's too)
   * and starts over when a refused cursor falls back to a full read; this holds only ids yielded.
   */
  readonly #yielded: RecentKeys;
  /**
   * A defined vendor's run keeps each yielded id's time (`#yielded`'s times): a record whose id
   * was yielded with another time is a different record sharing the id (a `normalize` giving a
   * field that is not unique), refused instead of dropped as a repeat. A built-in's ids are the
   * vendor's own: a repeat there is a server sending a record again, dropped as ever.
   */
  readonly #idsOwnTimes: boolean;
  readonly #position: RunPosition;
  readonly #normalizer: Normalizer<Raw, V>;
  /** The record schema's verdict on a record, when the definition has one. */
  readonly #recordFailure: ((record: unknown) => SchemaFailure | undefined) | undefined;
  readonly #invalid: InvalidRecords;
  #complete = false;
  /**
   * Incremental runs (`pagination.incremental`): the order the previous run saw, whether this
   * run reads on from its last page (and may fall back to a full read if that state is
   * refused), and where a newest-first run may stop.
   */
  readonly #priorOrder: "oldest-first" | "newest-first" | undefined;
  readonly #resume: Position | undefined;
  #fromTail = false;
  readonly #stopOlderThan: number | undefined;
  /** The order records came in so far: every time not below / not above the one before. */
  #lastAt: number | undefined;
  #ascending = true;
  #descending = true;
  /** The last page's state, kept after the run completes (a checkpoint's `tail`). */
  #lastState: { state: unknown } | undefined;
  /**
   * Events `#timeOf` made, by record, until `#normalizeOrThrow` takes them: a record is normalized
   * once, not once for its time and again for its event. Weak: a record never normalized (before
   * a resumed page's skip) takes its event with it. Only for time slices without a pagination
   * `time`, the one case `#timeOf` is used: no other run looks up a record in it.
   */
  readonly #madeForTime: WeakMap<object, AuditEvent<Raw, V>> | undefined;

  constructor(def: AnyDefinition, common: ResolvedCommon, http: HttpClient, plan: RunPlan, tenant: string | undefined, invalid: InvalidRecords) {
    this.#def = def;
    this.#common = common;
    this.#http = http;
    this.#plan = plan;
    this.#normalizeContext = { tenant };
    this.#seen = new SeenIds(plan.seen);
    this.#idsOwnTimes = isUserDefined(def);
    this.#yielded = idWindow({ times: this.#idsOwnTimes });
    this.#position = new RunPosition(plan.resume);
    this.#normalizer = new Normalizer(def.id as V, def.normalize);
    this.#recordFailure = def.record ? verdictOf(def.record) : undefined;
    this.#invalid = invalid;
    this.#madeForTime = def.pagination.timeSlices && !def.pagination.time ? new WeakMap() : undefined;
    this.#resume = plan.resume;
    const tail = def.pagination.incremental ? plan.tail : undefined;
    this.#priorOrder = tail?.order;
    // The previous run ended at this page: oldest first, what is new comes after it; newest
    // first, what is new comes before anything older than the watermark.
    if (tail?.order === "oldest-first") {
      this.#resume = { state: structuredClone(tail.state), skip: 0 };
      this.#fromTail = true;
    }
    this.#stopOlderThan = tail?.order === "newest-first" ? plan.watermark : undefined;
  }

  /** For an incremental pagination's finished run: its last page's state and the order it saw. */
  #tail(): Checkpoint["tail"] {
    if (!this.#def.pagination.incremental || !this.#lastState) return undefined;
    const order = this.#ascending !== this.#descending ? (this.#ascending ? "oldest-first" : "newest-first") : this.#priorOrder;
    return order ? { state: structuredClone(this.#lastState.state), order } : undefined;
  }

  checkpoint(): Checkpoint {
    const complete = this.#complete;
    return this.#write({ position: complete ? null : this.#position.toJSON(), complete, seen: this.#seen, tail: complete ? this.#tail() : undefined });
  }

  /** A checkpoint of this run with where it stands: its vendor, scope, range and watermark are the run's. */
  #write(at: Pick<Parameters<typeof writeCheckpoint>[0], "position" | "complete" | "seen" | "tail">): Checkpoint {
    const { ctx, scope, watermark } = this.#plan;
    return writeCheckpoint({ vendor: this.#def.id, scope, since: ctx.since, until: ctx.until, watermark, ...at });
  }

  async *pages(cancel: AbortSignal, readAhead?: unknown): AsyncGenerator<Page<Raw, V>, void, undefined> {
    for await (const read of this.#read(cancel, readAhead, false)) {
      for (let i = 0; i < read.events.length; i++) this.#accept(read, i);
      this.#position.set(read.page.state, read.endSkip);
      yield { records: read.page.records as Raw[], events: read.events, requestId: read.page.requestId, checkpoint: this.checkpoint() };
    }
    this.#complete = true;
  }

  /**
   * `checkpoint()` as of now, made when the returned function is called (`checkpointMark`): the
   * position's state by reference (a page's state is never changed once read) and how many ids
   * the run had noted, so marking an event costs a closure, not a copy of the lag zone's ids.
   */
  mark(): () => Checkpoint {
    if (this.#complete) {
      const done = this.checkpoint();
      return () => structuredClone(done);
    }
    const position = this.#position;
    const has = position.has;
    const state = position.state;
    const skip = position.skip;
    const seen = this.#seen;
    const noted = seen.noted;
    return () =>
      this.#write({
        position: has ? { state: structuredClone(state), skip } : null,
        complete: false,
        seen: { toJSON: (floor) => seen.toJSON(floor, noted) },
      });
  }

  /** The run's events, one at a time (see `RunEvents`). */
  events(cancel: AbortSignal, readAhead?: unknown): AsyncGenerator<AuditEvent<Raw, V>, void, undefined> {
    return new RunEvents<Raw, V>(this.#read(cancel, readAhead, true), this.#plan.signal, {
      accept: (read, i) => this.#accept(read, i),
      pageDone: (read) => this.#position.set(read.page.state, read.endSkip),
      complete: () => {
        this.#complete = true;
      },
    });
  }

  /** Records the `i`th event of a page as yielded: the checkpoint moves past it. */
  #accept(read: NormalizedPage<Raw, V>, i: number): void {
    this.#position.set(read.page.state, read.skips[i]!);
    const event = read.events[i]!;
    this.#seen.note(event.id, event.occurredAt, read.times[i]!, this.#plan.watermark);
  }

  /**
   * Pages with their new, in-range events normalized, each with the skip that resumes after it;
   * `sliced` (events()): a large page in parts of NORMALIZE_SLICE records (see #normalizePages).
   */
  async *#read(cancel: AbortSignal, shared: unknown, sliced: boolean): AsyncGenerator<NormalizedPage<Raw, V>, void, undefined> {
    const { ctx } = this.#plan;
    const signal = this.#plan.signal ? AbortSignal.any([this.#plan.signal, cancel]) : cancel;
    // Newest first, any page may be the last one needed: none is fetched ahead of it.
    const prefetch = this.#stopOlderThan === undefined ? this.#common.prefetch : 0;
    // What is read ahead counts in records (read-ahead.ts): in a merge's budget, shared; alone,
    // the engines' own bounds and the consumer's pace decide, and the run's budget only counts.
    // The meter's clock: the client's, or with the system's a sub-millisecond one, since a
    // loopback server answers a page in about a millisecond and `Date.now()` reads most as 0.
    const clock = this.#common.clock;
    const now = clock === systemClock && typeof performance !== "undefined" ? () => performance.now() : () => clock.now();
    const readAhead = { budget: asBudget(shared) ?? new ReadAhead(Infinity), meter: new DrainMeter(now) };
    const engine = { prefetch, concurrency: this.#common.concurrency, signal, readAhead };
    const pagination = this.#def.pagination;
    const open = (resume: Position | undefined): AsyncIterable<RawPage<unknown>> =>
      pagination.timeSlices
        ? paginateSlices(this.#http, pagination, ctx, { ...engine, timeOf: pagination.time ?? ((record) => this.#timeOf(record)) }, resume)
        : paginate(this.#http, pagination, ctx, engine, resume);
    if (!this.#fromTail) {
      yield* this.#normalizePages(open(this.#resume), sliced);
      return;
    }
    // Read on from the previous run's last page; a server that refuses that state (an expired
    // cursor) gets a full read instead, which `since` and `seen` trim to what is new.
    let started = false;
    try {
      for await (const read of this.#normalizePages(open(this.#resume), sliced)) {
        started = true;
        yield read;
      }
    } catch (error) {
      if (started || !(ApiError.isInstance(error) && [400, 404, 410, 422].includes(error.status))) throw error;
      this.#fromTail = false;
      yield* this.#normalizePages(open(undefined), sliced);
    }
  }

  /**
   * `sliced`: a page's events go out a part (NORMALIZE_SLICE records) at a time, each part with
   * the skip where it ends, so the events of a large page (a Datafold window of up to 10,000
   * records) are not all alive at once: the consumer has taken and dropped one part before the
   * next is made, and they die young instead of filling V8's old space.
   */
  async *#normalizePages(pages: AsyncIterable<RawPage<unknown>>, sliced: boolean): AsyncGenerator<NormalizedPage<Raw, V>, void, undefined> {
    const { since, until } = this.#plan.ctx;
    // A resumed run with a smaller page size may have to skip past its first page: the rest
    // carries into the next, and the page's end position keeps counting so nothing repeats.
    let carry = 0;
    // Server-driven chains only: parallel pages (numbers, windows) are planned by the SDK.
    let guard = this.#def.pagination.parallel ? undefined : new LoopGuard(this.#def.id);
    let carrySlice: number | undefined;
    for await (const page of pages) {
      this.#lastState = { state: page.state };
      // A time slice keeps its own part of the range (slices meet on whole seconds).
      const lower = page.bounds ? page.bounds.since : since;
      const upper = page.bounds ? page.bounds.until : until;
      // What is carried belongs to the same chain: another slice's page starts from its own skip.
      if (page.bounds && page.bounds.since !== carrySlice) {
        carry = 0;
        // A loop is a chain's own: a slice's records that its neighbour's inclusive bounds
        // brought first (ties on their boundary second, newest first) are not "nothing new".
        if (guard && carrySlice !== undefined) guard = new LoopGuard(this.#def.id);
      }
      carrySlice = page.bounds?.since;
      const skip = page.skip + carry;
      const records = page.records;
      carry = Math.max(0, skip - records.length);
      let older = false;
      let events: AuditEvent<Raw, V>[] = [];
      let times: number[] = [];
      let skips: number[] = [];
      for (let i = skip; i < records.length; i++) {
        // A large page is normalized a slice at a time, letting the event loop in between: the
        // answers of requests in flight are read, and the requests after them sent, meanwhile.
        if (i > skip && (i - skip) % NORMALIZE_SLICE === 0) {
          if (sliced && events.length > 0) {
            yield { page, events, times, skips, endSkip: i };
            events = [];
            times = [];
            skips = [];
          }
          await nextTurn();
        }
        const event = this.#normalize(records[i], i, page.requestId);
        // events(): the page no longer holds a record once its event is made (the event keeps it
        // as `raw` while the consumer does), so a large page's records die a part at a time.
        if (sliced) (records as unknown[])[i] = undefined;
        if (event === undefined) continue;
        const at = occurredAtMs(event.occurredAt);
        if (this.#lastAt !== undefined) {
          if (at < this.#lastAt) this.#ascending = false;
          if (at > this.#lastAt) this.#descending = false;
        }
        this.#lastAt = at;
        if (this.#stopOlderThan !== undefined && at < this.#stopOlderThan) older = true;
        // Half-open [since, until), whatever the vendor's own bounds; and nothing yielded twice.
        // Noted as yielded only once it is in range: a slice's neighbour may hold the record.
        // The loop guard learns from the same note: an event yielded for the first time is news,
        // one yielded before is not; only the records the run does not yield go to its own window
        // (each id went into two windows: about 8 % of a JITSudo event's CPU, measured in-process).
        if ((lower !== undefined && at < lower) || at >= upper || this.#seen.has(event.id)) {
          guard?.note(event.id);
          continue;
        }
        if (!this.#yielded.add(event.id, at)) {
          if (this.#idsOwnTimes && this.#yielded.lastTime !== at) throw sharedId(this.#def.id, event, i, this.#yielded.lastTime, page.requestId);
          continue;
        }
        guard?.news();
        events.push(event);
        times.push(at);
        skips.push(i + 1);
      }
      guard?.endPage();
      yield { page, events, times, skips, endSkip: Math.max(skip, records.length) };
      // Newest first: past this page everything is older than the watermark, already read.
      if (older) return;
    }
  }

  /** A record's time for a pagination that gives no cheaper way: its normalized `occurredAt`. */
  #timeOf(record: unknown): number | undefined {
    try {
      const event = this.#normalizer.event(record as Raw, this.#normalizeContext);
      if (typeof record === "object" && record !== null) this.#madeForTime?.set(record, event);
      return Date.parse(event.occurredAt);
    } catch {
      return undefined;
    }
  }

  /** The record's event, or undefined when `onInvalidRecord` took it (poison records, DESIGN §14). */
  #normalize(record: unknown, index: number, requestId: string | undefined): AuditEvent<Raw, V> | undefined {
    try {
      return this.#normalizeOrThrow(record, index, requestId);
    } catch (error) {
      this.#invalid.skip(record, asInvalidRecord(error, this.#def.id, index, requestId));
      return undefined;
    }
  }

  #normalizeOrThrow(record: unknown, index: number, requestId: string | undefined): AuditEvent<Raw, V> {
    const def = this.#def;
    const vendor = def.id as V;
    checkRecordDepth(vendor, record, index, requestId);
    const failed = this.#recordFailure?.(record);
    if (failed) {
      throw new ResponseValidationError({ vendor, path: [`records[${index}]`, failed.path].filter(Boolean).join("."), requestId, message: failed.issue.message || "invalid record" });
    }
    try {
      const made = this.#madeForTime;
      if (made && typeof record === "object" && record !== null) {
        const event = made.get(record);
        if (event !== undefined) {
          made.delete(record);
          return event;
        }
      }
      // `raw` is the record exactly as received, not a schema's copy of it.
      return this.#normalizer.event(record as Raw, this.#normalizeContext);
    } catch (error) {
      if (error instanceof RecordFieldError) {
        throw new ResponseValidationError({ vendor, path: `records[${index}].${error.field}`, requestId, message: error.message });
      }
      // The library's own errors say what they mean (a hash too deep is named by `#normalize`).
      if (AuditLogsError.isInstance(error) || error instanceof NestingTooDeepError) throw error;
      throw normalizeThrew(vendor, index, requestId, error, (text) => this.#http.redact(text));
    }
  }
}

/**
 * The error for `event`, the `index`th record of its page, whose id a record yielded earlier in
 * the run had with another time (`earlier`, epoch ms): two records share an id. The id is shown
 * cut to 60 characters.
 */
function sharedId(vendor: string, event: AuditEvent, index: number, earlier: number, requestId: string | undefined): ResponseValidationError {
  const id = event.id.length > 60 ? `${event.id.slice(0, 60)}…` : event.id;
  return new ResponseValidationError({
    vendor,
    path: `records[${index}]`,
    requestId,
    message:
      `its id ${JSON.stringify(id)} is the id of a record this run yielded before, timed ${new Date(earlier).toISOString()}, while this one is timed ${event.occurredAt}: ` +
      "two records share an id (normalize must give each record its own id, or none for a content hash); stopping instead of dropping one as a repeat",
  });
}

// --- events, one at a time ---------------------------------------------------------------------

/** What `RunEvents` tells its run. */
interface RunSteps<Raw, V extends string> {
  /** `events[i]` of `read` is being yielded: the checkpoint moves past it. */
  accept(read: NormalizedPage<Raw, V>, i: number): void;
  /** Every event of `read` was yielded: the checkpoint moves to its end. */
  pageDone(read: NormalizedPage<Raw, V>): void;
  /** The pages are over. */
  complete(): void;
}

const DONE: IteratorReturnResult<undefined> = Object.freeze({ value: undefined, done: true });

/**
 * `events()`' iterator: each page's events are handed out from the page in hand, one resolved
 * promise per event, and only a page boundary awaits the next page. It behaves as the async
 * generator it replaces (`for await (read of pages) for (event of read.events) yield event`):
 * calls queue in order; an abort of the caller's signal stops before the next event; an error, a
 * `return()` or a `throw()` ends it and closes the pages; a checkpoint after the last event of a
 * page points past that event, and past the page only once the next event is asked for. An
 * async generator's `yield` costs two to three promise steps per event (measured: ~300 of the
 * ~500 ns per event a consumer saw on top of the page's work).
 */
class RunEvents<Raw, V extends string> implements AsyncGenerator<AuditEvent<Raw, V>, void, undefined> {
  readonly #pages: AsyncGenerator<NormalizedPage<Raw, V>, void, undefined>;
  readonly #signal: AbortSignal | undefined;
  readonly #run: RunSteps<Raw, V>;
  #page: NormalizedPage<Raw, V> | undefined;
  #i = 0;
  #done = false;
  /**
   * Calls queued or in progress (a page being read, the pages being closed): while there are
   * any, a new call waits for the last of them (`#last`). Counted down as each call's step ends,
   * before its caller sees the answer, so a consumer that asks for the next event once it has
   * the last one finds the queue empty and takes it from the page at once.
   */
  #pending = 0;
  /** When the last queued call has settled. */
  #last: Promise<unknown> | undefined;

  constructor(pages: AsyncGenerator<NormalizedPage<Raw, V>, void, undefined>, signal: AbortSignal | undefined, run: RunSteps<Raw, V>) {
    this.#pages = pages;
    this.#signal = signal;
    this.#run = run;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<AuditEvent<Raw, V>, void>> {
    if (this.#pending === 0) {
      // The common case: an event of the page in hand, nothing to wait for.
      const page = this.#page;
      if (this.#done) return Promise.resolve(DONE);
      if (page !== undefined && this.#i < page.events.length && !this.#signal?.aborted) return Promise.resolve(this.#take(page));
    }
    return this.#queue(() => this.#advance());
  }

  return(value?: void | PromiseLike<void>): Promise<IteratorResult<AuditEvent<Raw, V>, void>> {
    return this.#queue(async () => {
      const result = await value;
      if (!this.#done) await this.#close();
      return { value: result, done: true } as IteratorReturnResult<void>;
    });
  }

  throw(error: unknown): Promise<IteratorResult<AuditEvent<Raw, V>, void>> {
    return this.#queue(async () => {
      if (!this.#done) await this.#close();
      throw error;
    });
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.return();
  }

  #take(page: NormalizedPage<Raw, V>): IteratorYieldResult<AuditEvent<Raw, V>> {
    const i = this.#i++;
    this.#run.accept(page, i);
    return { value: page.events[i]!, done: false };
  }

  /** The next event, reading pages as needed; runs queued (never two at once). */
  async #advance(): Promise<IteratorResult<AuditEvent<Raw, V>, void>> {
    for (;;) {
      if (this.#done) return DONE;
      const page = this.#page;
      if (page !== undefined) {
        if (this.#i < page.events.length) {
          // An abort stops the stream at once, not at the end of the page in hand.
          if (this.#signal?.aborted) {
            await this.#close();
            throw abortReason(this.#signal);
          }
          return this.#take(page);
        }
        this.#run.pageDone(page);
        this.#page = undefined;
      }
      let result: IteratorResult<NormalizedPage<Raw, V>, void>;
      try {
        result = await this.#pages.next();
      } catch (error) {
        this.#done = true;
        throw error;
      }
      if (result.done) {
        this.#done = true;
        this.#run.complete();
        return DONE;
      }
      this.#page = result.value;
      this.#i = 0;
    }
  }

  /** Ends the iteration and closes the pages (requests in flight are aborted there); their own error is not the caller's. */
  async #close(): Promise<void> {
    this.#done = true;
    this.#page = undefined;
    try {
      await this.#pages.return(undefined);
    } catch {
      // As `for await` does when a loop ends by an error: the error that ended it wins.
    }
  }

  #queue<R>(step: () => Promise<R>): Promise<R> {
    const run = () =>
      step().finally(() => {
        this.#pending -= 1;
      });
    // Nothing pending: every earlier call's step is over, whether or not its caller has its answer yet.
    const idle = this.#pending === 0;
    this.#pending += 1;
    const result = idle ? run() : this.#last!.then(run, run);
    this.#last = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }
}
