/**
 * One pagination engine for every vendor. A vendor's pagination is data plus small functions
 * (what to request for a state, what a response says comes next); the engine owns everything
 * else: prefetch, parallel pages in order, loop guards, abort, and the position a checkpoint
 * records. The builders at the end cover the common shapes (cursor, next link, page number,
 * time window); a definition may also write its `pagination` by hand.
 */
import { abortReason } from "../internal/clock.js";
import { ConfigError, PaginationLoopError, ResponseValidationError } from "./errors.js";
import type { HttpClient } from "./http.js";
import { idWindow, RecentKeys } from "./id-window.js";
import { refuseUnknownKeys } from "./names.js";
import { check, isSchema, type Schema } from "./schema.js";
import { slotsToUse, type DrainMeter, type ReadAheadBudget } from "./read-ahead.js";
import { tracePage } from "./telemetry.js";

/** What a run is about, fixed when it starts. Times are epoch ms. */
export interface PageContext<Filter = unknown> {
  /** The vendor's id. */
  vendor: string;
  /** The client's origin; every request and next link must stay on it. */
  origin: string;
  /** Inclusive lower bound; undefined = the start of the vendor's retention. */
  since: number | undefined;
  /** Exclusive upper bound, fixed at the start of the run (so page-number paging does not drift). */
  until: number;
  /** The page size asked for, or undefined for the vendor's default. */
  pageSize: number | undefined;
  /** `params.filter` as the definition's `filter` schema returned it. */
  filter: Filter | undefined;
  /** Time-window size (`windowMs`), for paginations that read by time window. */
  windowMs: number;
}

/** A query value: repeated for an array, left out when undefined or null. */
export type QueryValue = string | number | boolean | undefined | null | ReadonlyArray<string | number>;

/** What to send for one page. */
export interface PageRequest {
  /** The path on the client's origin (`/api/v1/logs`). */
  path?: string;
  /** A full URL instead of `path` (a next link); it must be on the client's origin. */
  url?: string;
  /** Added to `path`; with `url`, each key given replaces that key of the link's own query. */
  query?: Record<string, QueryValue>;
  /** Sent as JSON; on a GET it goes over node:http, since fetch refuses a GET with a body. */
  body?: unknown;
}

/** What `read` is told about the response besides its body. */
export interface PageResponse {
  /** The HTTP status (a success: errors are thrown before `read`). */
  status: number;
  /** The response's headers. */
  headers: Headers;
  /** The URL the page was fetched from. */
  url: string;
  /** The vendor's request id, from the body or the `X-Request-Id` header. */
  requestId: string | undefined;
  /**
   * Records a request of a parallel pagination is worth asking for now, where the API lets the
   * reader choose (a time window's size): what keeps the reader busy while `concurrency`
   * requests wait on the server, measured from how quickly it answers and how quickly the
   * records are parsed and taken. Undefined until both have been seen (unless the answer at
   * hand took longer to come than `concurrency` answers take to read: a server far away);
   * Infinity when they take no measurable time, and where nothing measures them.
   * `timeWindowPagination` plans its windows for no more than this (and no fewer than 1,000
   * records), and while it is undefined for no more than the window just read brought: against
   * a server far away as many as its cap allows, against a near one fewer, which hold less memory.
   */
  recordsWorth?: number | undefined;
}

/** What a page says: its records and the states to read next (`[]` ends the list). */
export interface PageRead<S> {
  /** The page's records, as received. */
  records: readonly unknown[];
  /** States to read next, in order, right after this one. */
  next: readonly S[];
  /**
   * States to read after every state planned so far (at the end of the list): a parallel
   * pagination plans ahead of the states still in flight (time windows: the next batch, planned
   * by a batch's first window, without waiting for its last).
   */
  append?: readonly S[];
  /** Only the records in `[since, until)` are this page's (`RawPage.bounds`): a time window's. */
  bounds?: { since: number; until: number };
}

/** Where a run stands: the page state being read and how many of its records are consumed. */
export interface Position<S = unknown> {
  /** The state that fetches the page. */
  state: S;
  /** How many of its records were consumed. */
  skip: number;
}

/**
 * How a vendor's list is paged. States are JSON values: they go into checkpoints, so a resumed
 * run re-requests exactly the page it stopped in.
 */
export interface Pagination<S = unknown, Body = unknown, Filter = unknown> {
  /** Named in loop errors ("cursor", "link", ...). */
  kind?: string;
  /** The page envelope, validated strictly before `read` (records are validated one by one, leniently). */
  envelope?: Schema<unknown, Body>;
  /** The states to read first. Default `[null]`. */
  start?(ctx: PageContext<Filter>): S[];
  /** Where a checkpoint's position resumes. Default: its state again, skipping its consumed records. */
  resume?(position: Position<S>, ctx: PageContext<Filter>): { states: S[]; skip: number };
  /** What to send for the page in `state`. */
  request(state: S, ctx: PageContext<Filter>): PageRequest;
  /** The page's records and the states to read after it, from the validated body. */
  read(body: Body, state: S, ctx: PageContext<Filter>, response: PageResponse): PageRead<S>;
  /** States known ahead (`start`, or several `next`) are fetched `concurrency` at a time. Default false. */
  parallel?: boolean;
  /**
   * The most records the request for `state` asked for; a page holding more is refused
   * (DESIGN §14). Default `ctx.pageSize` when the run sets one.
   */
  maxRecords?(state: S, ctx: PageContext<Filter>): number | undefined;
  /**
   * `request()` honours `ctx.since`/`ctx.until` (from the first page of a chain on), so the core
   * reads the range as up to `concurrency` parallel time slices, one cursor chain each, yielded
   * in time order and rebalanced as they go (DESIGN §13; `slices.ts`). The vendor's own bounds
   * may be inclusive: each slice keeps its `[since, until)` itself. The API must filter by the
   * time `normalize` gives as `occurredAt` (not, say, when it received the event): a slice keeps
   * only the events its own range holds by that time, so an event the API files under another
   * slice's range than its `occurredAt` is in no slice's answer within its range. Default false.
   */
  timeSlices?: boolean;
  /**
   * For a list with no time filter but a stable order (Pylon): a finished run keeps its last
   * page's state and the order its records showed; the next run reads on from that state
   * (oldest first) or stops at the first page older than the watermark (newest first), and a
   * state the server refuses (HTTP 400, 404, 410, 422: an expired cursor) falls back to a full
   * read. Default false.
   */
  incremental?: boolean;
  /**
   * A record's time (epoch ms), cheaper than normalizing it, for `timeSlices` (which reads each
   * record's time as pages arrive, to know where a chain stands). Default: the normalized `occurredAt`.
   */
  time?(record: unknown): number | undefined;
  /**
   * Checks a checkpoint's position before a run resumes from it (DESIGN §14): what is wrong and
   * the field under `position` it is about, or undefined. `maxPageSize` is the vendor's bound.
   */
  checkPosition?(position: Position<unknown>, ctx: PageContext<Filter>, maxPageSize: number | undefined): PositionIssue | undefined;
}

/** What is wrong with a checkpoint's position: `field` under `position` (`state.page`, `skip`). */
export interface PositionIssue {
  field: string;
  message: string;
}

const isWhole = (value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): value is number =>
  typeof value === "number" && Number.isInteger(value) && value >= min && value <= max;

/** A skip no page can hold: at most one page of records is consumed. */
function skipIssue(skip: number, most: number | undefined): PositionIssue | undefined {
  return most !== undefined && skip > most ? { field: "skip", message: `${skip} is past the end of any page (at most ${most} records)` } : undefined;
}

/** A page as the engine hands it on. */
export interface RawPage<S> {
  state: S;
  records: readonly unknown[];
  requestId: string | undefined;
  /** Records at the start of this page already consumed by an earlier run (resume). */
  skip: number;
  /** The time slice this page belongs to: only its records in `[since, until)` are its own. */
  bounds?: { since: number | undefined; until: number };
}

export interface EngineOptions {
  prefetch: number;
  concurrency: number;
  signal?: AbortSignal | undefined;
  /** The records read ahead of the consumer: the budget they count in (a merge's, shared) and how far ahead the consumer can use. */
  readAhead?: { budget: ReadAheadBudget; meter: DrainMeter } | undefined;
  /** A request's success status and headers arrived; its body is being read (`HttpRequest.onResponse`). */
  onResponse?: (() => void) | undefined;
  /** A success's body has been read, and is to be parsed (`HttpRequest.onBody`, timed by `workClock`). */
  onBody?: ((decodeMs: number) => void) | undefined;
  workClock?: (() => number) | undefined;
  /** Before a request whose `onResponse` ran is sent again (`HttpRequest.beforeResend`). */
  beforeResend?: (() => Promise<void>) | undefined;
}

/** Page-number pagination plans this many pages ahead at a time. */
const PAGE_PLAN_CHUNK = 500;

/** Consecutive empty pages that still claim more before the engine calls it a loop. */
const MAX_EMPTY_PAGES = 10;

/** States remembered for loop detection; a cycle longer than this is caught by `LoopGuard`'s ids or not at all. */
const MAX_REMEMBERED_STATES = 10_000;

/**
 * Repeating pages (DESIGN §14): a server-driven chain (cursor, link) whose pages bring no new
 * record, only ids seen on the run's earlier pages, for MAX_EMPTY_PAGES pages in a row is a
 * loop, however new its cursors look. The run tells it of every record it normalizes: one it
 * yields for the first time as `news()` (the run's own window of yielded ids has just said it is
 * new), any other by id, `note(id)`, remembered here; memory is the last MAX_REMEMBERED_IDS ids
 * noted (id-window.ts: off the JS heap). A record the run yielded before is neither.
 */
export class LoopGuard {
  readonly #ids = idWindow();
  readonly #vendor: string;
  #fresh = false;
  #staleRun = 0;

  constructor(vendor: string) {
    this.#vendor = vendor;
  }

  /** A record of the current page the run does not yield, by id: news only if not noted before. */
  note(id: string): void {
    if (this.#ids.add(id)) this.#fresh = true;
  }

  /** A record of the current page the run yields for the first time. */
  news(): void {
    this.#fresh = true;
  }

  /** The current page is over: throws PaginationLoopError on the 10th page in a row with nothing new. */
  endPage(): void {
    this.#staleRun = this.#fresh ? 0 : this.#staleRun + 1;
    this.#fresh = false;
    if (this.#staleRun >= MAX_EMPTY_PAGES) {
      throw new PaginationLoopError(this.#vendor, `${MAX_EMPTY_PAGES} pages in a row brought no record not already seen on an earlier page; stopping instead of looping`);
    }
  }
}

/** `process.nextTick` as it was when the package loaded (a test's fake timers installed later do not stop it). */
const nextTick: (callback: () => void) => void = typeof process !== "undefined" && typeof process.nextTick === "function" ? process.nextTick.bind(process) : queueMicrotask;

/**
 * Lets the requests just started go out before the caller's synchronous work on a page:
 * fetch writes a request on a later tick, so without this a page's normalization, and every
 * event the caller handles in one go, would run first and the next page of a cursor chain would
 * leave that much later (one round trip plus the page's CPU time instead of one round trip).
 */
export function sendStarted(): Promise<void> {
  return new Promise((resolve) => nextTick(resolve));
}

/** The URL for a page request on `origin`. */
export function requestUrl(request: PageRequest, origin: string): URL {
  const url = new URL(request.url ?? request.path ?? "/", origin);
  const query = request.query;
  if (query) {
    for (const key in query) {
      const value = query[key];
      if (value === undefined || value === null) continue;
      if (request.url !== undefined) url.searchParams.delete(key);
      if (Array.isArray(value)) for (const item of value as ReadonlyArray<string | number>) url.searchParams.append(key, String(item));
      else url.searchParams.append(key, String(value));
    }
  }
  return url;
}

/**
 * Reads pages in order. Breaking out of the loop (or `signal`) aborts every request in flight
 * and starts no new one.
 */
export async function* paginate<S, Body>(
  http: HttpClient,
  pagination: Pagination<S, Body, any>,
  ctx: PageContext<any>,
  options: EngineOptions,
  resume?: Position<S>,
): AsyncGenerator<RawPage<S>, void, undefined> {
  const abort = new AbortController();
  const onOuterAbort = () => abort.abort(options.signal!.reason);
  // A consumer waiting for its head slot to be sent stops waiting.
  abort.signal.addEventListener("abort", () => wakeHead?.(), { once: true });
  if (options.signal) {
    if (options.signal.aborted) throw abortReason(options.signal);
    options.signal.addEventListener("abort", onOuterAbort, { once: true });
  }

  interface Slot {
    state: S;
    skip: number;
    result?: Promise<RawPage<S>>;
    /** Records it holds in the read-ahead budget: asked for while in flight, brought once answered. */
    counted?: number;
    /** Raised once this page has been yielded: its records are good, where it points is not. */
    after?: PaginationLoopError;
    /** When its answer's headers came in (the read-ahead meter's clock), once they have. */
    headersAt?: number;
    /** When its answer's body had been read, to be parsed (the read-ahead meter's clock), and the ms its chunks took to decode. */
    bodyAt?: number;
    decodeMs?: number;
    /** Sent and awaiting its answer's headers: one of the `inFlight`. */
    awaiting?: boolean;
  }
  const parallel = pagination.parallel === true;
  const { states, skip } = resume
    ? pagination.resume
      ? pagination.resume(resume, ctx)
      : { states: [resume.state], skip: resume.skip }
    : { states: pagination.start ? pagination.start(ctx) : [null as S], skip: 0 };
  const slots: Slot[] = states.map((state, i) => ({ state, skip: i === 0 ? skip : 0 }));
  // The page in the caller's hands, then what is fetched ahead of it. Parallel states keep
  // `concurrency` requests in flight while the caller works on a page (that page is not one of
  // them), plus `prefetch` pages answered and waiting; at most `concurrency` are in flight.
  const ahead = 1 + (parallel && options.concurrency > 1 ? options.concurrency + options.prefetch : options.prefetch);
  const maxInFlight = parallel ? Math.max(1, options.concurrency) : 1;
  // Requests sent whose answer's headers have not come in. With several at once, an answer frees
  // its slot at its headers, not once its body is read and parsed (the next states are planned
  // already, so the next request need not wait for it): counting the slot until the page was
  // parsed left it idle that long every round trip (Datafold at 300 ms: 4 slots sent a window
  // every 85 ms where 75 would do, each slot's turn a round trip and a 10,000-log parse).
  let inFlight = 0;
  const earlyRelease = parallel && maxInFlight > 1;
  /** Requests whose answer gave its slot away at its headers and are to be sent again: each waits for a free slot. */
  const resending: Array<{ slot: Slot; go: () => void }> = [];
  /** The requests at once `fill` last found worth sending. */
  let slotsNow = maxInFlight;
  const release = (slot: Slot) => {
    if (!slot.awaiting) return;
    slot.awaiting = false;
    inFlight -= 1;
  };
  /**
   * The consumer's wait for the head slot to be sent. A slot freed at its headers may go to a
   * state further on, and a capped window's parts then land before it: the head waits for the
   * next free slot like any request, never one more than the slots.
   */
  let wakeHead: (() => void) | undefined;
  const headStarted = () => {
    const wake = wakeHead;
    wakeHead = undefined;
    wake?.();
  };
  // The states read or planned lately: a server pointing back at one of them is a loop. Bounded
  // (hashes, oldest forgotten), so a chain of ever-new 4 KB cursors does not grow the heap.
  const seenStates = new RecentKeys(MAX_REMEMBERED_STATES);
  // By index: a `for (const slot of slots)` would leave the first slot in a register of this
  // generator for the whole run, and with it the first page (see the loop below).
  for (let i = 0; i < slots.length; i++) seenStates.add(JSON.stringify(slots[i]!.state));
  let emptyRun = 0;

  // `status` and `retries` are for the page's span (telemetry.ts).
  // Parallel states measure the server's answers, for how many requests at once are worth
  // sending and how many records each (a time window's): at `concurrency: 1` only the latter.
  const meter = parallel ? options.readAhead?.meter : undefined;
  const workClock = meter ? () => meter.now() : undefined;
  /**
   * `PageResponse.recordsWorth` for the answer in `slot`, just parsed. Before the meter has
   * measured a page taken, the answer itself tells whether the server is the wait: one that took
   * longer to come than every slot's answer takes the thread to parse (Little's law, the consumer
   * left out; a body's wait to come in is the network's)
   * leaves the reader idle whatever it plans, so no bound, as with nothing measured at all
   * (Datafold 100 ms away: 100 ms against 4 × 10); otherwise the bound is not known yet (the
   * memory step's server, which builds each answer: 12 ms against 4 × 10).
   */
  const worthNow = (slot: Slot, sentAt: number): number | undefined => {
    if (!meter) return Infinity;
    const worth = meter.recordsWorth(maxInFlight);
    if (worth !== undefined || slot.headersAt === undefined) return worth;
    // Its read: the thread's part, from its body in (the wait for the body is the network's).
    return slot.headersAt - sentAt >= maxInFlight * (meter.now() - (slot.bodyAt ?? slot.headersAt)) ? Infinity : undefined;
  };
  const fetchSlot = async (slot: Slot, sentAt: number): Promise<{ page: RawPage<S>; next: readonly S[]; append?: readonly S[] | undefined; after?: PaginationLoopError; status: number; retries: number }> => {
    const request = pagination.request(slot.state, ctx);
    const url = requestUrl(request, ctx.origin);
    const result = await http.request({
      method: "GET",
      url,
      body: request.body === undefined ? undefined : JSON.stringify(request.body),
      signal: abort.signal,
      onResponse:
        meter || earlyRelease
          ? () => {
              if (meter) {
                slot.headersAt = meter.now();
                if (!abort.signal.aborted) meter.headers(sentAt);
              }
              options.onResponse?.();
              // One slot worth using (a server nearer than the reader is quick): the next request
              // waits for this page, as the memory that a second body in hand would cost buys nothing.
              if (earlyRelease && slotsNow > 1) {
                release(slot);
                if (!abort.signal.aborted) fill();
              }
            }
          : options.onResponse,
      onBody: meter
        ? (decodeMs: number) => {
            slot.bodyAt = meter.now();
            slot.decodeMs = decodeMs;
            options.onBody?.(decodeMs);
          }
        : options.onBody,
      workClock: workClock ?? options.workClock,
      beforeResend: earlyRelease
        ? async () => {
            await options.beforeResend?.();
            // Its slot went to another request at its headers: it waits for one to be free, so a
            // retry never makes one more than the slots await an answer. (Kept, it goes at once.)
            if (abort.signal.aborted || slot.awaiting) return;
            await new Promise<void>((go) => {
              resending.push({ slot, go });
              fill();
            });
          }
        : options.beforeResend,
    });
    let body = result.body as Body;
    if (pagination.envelope) {
      const parsed = check(pagination.envelope, result.body);
      if (!parsed.ok) {
        throw new ResponseValidationError({ vendor: ctx.vendor, path: parsed.path, requestId: result.requestId, message: parsed.issue.message || "unexpected page envelope" });
      }
      body = parsed.value;
    }
    // The thread's own time on the answer: its chunks decoded, then from the body read to its page
    // parsed and checked. Not the read from the headers on, which waits on the network and on the
    // consumer (whose work runs between chunks) as much as it works.
    if (meter && slot.bodyAt !== undefined && !abort.signal.aborted) meter.parsed(slot.bodyAt, slot.decodeMs);
    let read: PageRead<S>;
    try {
      read = pagination.read(body, slot.state, ctx, { status: result.status, headers: result.headers, url: url.href, requestId: result.requestId, recordsWorth: worthNow(slot, sentAt) });
    } catch (error) {
      // A pagination's complaint about the page names the request it came from.
      if (ResponseValidationError.isInstance(error) && error.requestId === undefined && result.requestId !== undefined) {
        throw new ResponseValidationError({ vendor: error.vendor, path: error.path, requestId: result.requestId, message: error.detail });
      }
      throw error;
    }
    // A hand-written `read` (the builders check their own) that gives no list of records or of next states.
    if (read === null || typeof read !== "object" || !Array.isArray(read.records) || !Array.isArray(read.next) || (read.append !== undefined && !Array.isArray(read.append))) {
      const what = read === null || typeof read !== "object" ? `gave ${String(read)}` : !Array.isArray(read.records) ? "gave records that are not an array" : "gave next (or append) states that are not an array";
      throw new ResponseValidationError({ vendor: ctx.vendor, path: "", requestId: result.requestId, message: `pagination.read ${what}: it must return { records: [...], next: [...] }` });
    }
    // A page larger than asked is a server out of bounds (3.4M records for limit=100), not data.
    const limit = pagination.maxRecords ? pagination.maxRecords(slot.state, ctx) : ctx.pageSize;
    if (limit !== undefined && read.records.length > limit) {
      throw new ResponseValidationError({
        vendor: ctx.vendor,
        path: "",
        requestId: result.requestId,
        message: `the page holds ${read.records.length} records, more records than the page size asked (${limit})`,
      });
    }
    const page: RawPage<S> = { state: slot.state, records: read.records, requestId: result.requestId, skip: slot.skip, ...(read.bounds ? { bounds: read.bounds } : {}) };
    const answer = { status: result.status, retries: result.attempts - 1 };
    // Guards: a state seen before is a loop; so is a long run of empty pages that claim more.
    for (const next of read.append ? [...read.next, ...read.append] : read.next) {
      const key = JSON.stringify(next);
      if (seenStates.has(key)) {
        const after = new PaginationLoopError(ctx.vendor, `the server sent the same pagination position twice (${pagination.kind ?? "pagination"}); stopping instead of looping`);
        return { page, next: [], after, ...answer };
      }
      seenStates.add(key);
    }
    if (!parallel) {
      emptyRun = read.records.length === 0 && read.next.length > 0 ? emptyRun + 1 : 0;
      if (emptyRun >= MAX_EMPTY_PAGES) {
        throw new PaginationLoopError(ctx.vendor, `${MAX_EMPTY_PAGES} empty pages in a row claimed more results; stopping instead of looping`);
      }
    }
    return { page, next: read.next, append: read.append, ...answer };
  };

  // Starts fetches for the first `ahead` slots, at most `maxInFlight` at once. A finished page
  // inserts its successors right after itself, so order is kept however many are in flight.
  let started = false;
  // Read-ahead counted in records (read-ahead.ts): the page in the caller's hands and the
  // `prefetch` pages after it are always fetched; parallel pages past them only while they fit
  // the budget (a merge's, shared) and what the consumer takes in a few round trips. A request
  // counts the records it is expected to bring (the page size, or the largest answer yet: a
  // Datafold window's count is known only once answered), then those it brought.
  const readAhead = options.readAhead;
  const needed = 1 + options.prefetch;
  const asked = ctx.pageSize ?? (slots.length > 0 && pagination.maxRecords ? pagination.maxRecords(slots[0]!.state, ctx) : undefined);
  let expected = Math.max(1, asked ?? 0);
  // A page whose size is known neither from the request nor from an answer is not taken for a
  // small one (`slotsToUse`): it goes alone, until an answer tells. Datafold's first windows, a
  // day each and all four at once, put 20,000 logs in flight before anything was measured (the
  // memory step's RSS growth: 106–117 MB in two runs of four, 61–65 MB in four of four so; the
  // cost, one round trip at the start of a backfill).
  let sized = asked !== undefined;
  // Alone, the stream's budget is its `ahead` pages; in a merge, the largest of its streams'.
  readAhead?.budget.join(ahead * expected);
  /** Records this engine holds in the budget. */
  let held = 0;
  const recount = (slot: Slot, records: number) => {
    const was = slot.counted ?? 0;
    slot.counted = records;
    held += records - was;
    if (records > was) readAhead!.budget.take(records - was);
    else readAhead!.budget.release(was - records);
  };
  const fill = () => {
    // The requests at once worth sending (read-ahead.ts); with fewer than all, the pages ahead
    // of the consumer's a page for each slot beyond the first, and no more: against a server
    // nearer than the consumer is quick, what they read ahead only waits. For Datafold's windows
    // of thousands of logs, that is most of the memory a stream holds.
    const worth = meter ? meter.slots(maxInFlight) : maxInFlight;
    const limit = sized ? slotsToUse(worth, maxInFlight, expected) : worth;
    const reach = limit < maxInFlight ? needed + limit - 1 : ahead;
    slotsNow = limit;
    // A retry waiting for a slot goes before anything new.
    while (resending.length > 0 && inFlight < limit) {
      const { slot, go } = resending.shift()!;
      slot.awaiting = true;
      inFlight += 1;
      go();
    }
    for (let i = 0; i < slots.length && i < reach && inFlight < limit; i++) {
      const slot = slots[i]!;
      if (slot.result) continue;
      if (readAhead) {
        // Slots are in order: one that does not fit, nor does any after it.
        if (i >= needed && (held + expected > readAhead.meter.useful() || !readAhead.budget.tryTake(expected))) break;
        if (i < needed) readAhead.budget.take(expected);
        slot.counted = expected;
        held += expected;
      }
      const sentAt = readAhead?.meter.now();
      started = true;
      slot.awaiting = true;
      inFlight += 1;
      slot.result = tracePage(ctx.vendor, () => fetchSlot(slot, sentAt ?? 0)).then(
        ({ page, next, append, after }) => {
          release(slot);
          // An answer that lands after the run stopped counts nothing: the run gave back all it held.
          if (readAhead && !abort.signal.aborted) {
            readAhead.meter.answered(sentAt!);
            recount(slot, page.records.length);
            sized = true;
            if (page.records.length > expected) {
              expected = page.records.length;
              readAhead.budget.join(ahead * expected);
            }
          }
          slot.after = after;
          // A loop, not one spread: a spread of very many states overflows the call stack.
          const at = slots.indexOf(slot) + 1;
          for (let i = 0; i < next.length; i++) slots.splice(at + i, 0, { state: next[i]!, skip: 0 });
          if (append) for (const state of append) slots.push({ state, skip: 0 });
          // Its successors, or a slot that waited for a request to end.
          if (!abort.signal.aborted) fill();
          return page;
        },
        (error: unknown) => {
          release(slot);
          // Its slot goes to a retry or a head waiting for one; nothing else starts on an error.
          if (!abort.signal.aborted && (resending.length > 0 || wakeHead)) fill();
          throw error;
        },
      );
      // A page fetched ahead may fail before it is reached; its error surfaces when it is.
      slot.result.catch(() => undefined);
      if (i === 0) headStarted();
    }
  };

  // Room freed by another stream of a merge may let a page ahead start here.
  const unlisten = readAhead?.budget.onRelease(() => {
    if (!abort.signal.aborted) fill();
  });
  try {
    fill();
    // Outside the loop, so they can be cleared before the wait for the next page (see below).
    let slot: Slot | undefined;
    let page: RawPage<S> | undefined;
    while (slots.length > 0) {
      slot = slots[0]!;
      while (!slot.result) {
        await new Promise<void>((resolve) => (wakeHead = resolve));
        if (abort.signal.aborted) throw abortReason(abort.signal);
      }
      page = await slot.result;
      if (started) {
        started = false;
        await sendStarted();
      }
      // The page in the caller's hands keeps its place among the `ahead` until the caller asks
      // for the next one: with prefetch 0 nothing is fetched while it works (strictly sequential).
      const handedAt = readAhead?.meter.now();
      const parsingAt = readAhead?.meter.parsing;
      yield page;
      if (readAhead) {
        readAhead.meter.taken(page.records.length, handedAt!, parsingAt);
        recount(slot, 0);
      }
      if (slot.after) throw slot.after;
      slots.shift();
      // A page taken is let go of everywhere. The slot may be old (page numbers and windows are
      // planned hundreds ahead): a dead object in V8's old space that still points at its page
      // keeps the page alive through every minor GC until the next full one, so each page is
      // promoted in turn (measured: 60 of 90 MB of Cortex's parsed records, at any concurrency).
      slot.result = undefined;
      slot = page = undefined;
      fill();
    }
  } finally {
    // Reached on completion, error, and `break` alike: nothing keeps running behind the caller.
    abort.abort(new Error("pagination stopped"));
    // A retry waiting for a slot goes on to find the run aborted.
    for (const { go } of resending.splice(0)) go();
    options.signal?.removeEventListener("abort", onOuterAbort);
    unlisten?.();
    if (readAhead && held > 0) readAhead.budget.release(held);
    held = 0;
  }
}

// --- builders ----------------------------------------------------------------------------------

/** A value that is a non-empty string. */
const isText = (value: unknown): boolean => typeof value === "string" && value !== "";

/** What a spec field of each kind must be: its description in a message, and the test. */
const SPEC_KINDS: Record<string, { text: string; ok(value: unknown): boolean }> = {
  path: { text: 'a path such as "/api/v1/logs"', ok: isText },
  count: { text: "a whole number >= 1", ok: (value) => typeof value === "number" && Number.isInteger(value) && value >= 1 },
  whole: { text: "a whole number", ok: (value) => typeof value === "number" && Number.isSafeInteger(value) },
  step: { text: "a number > 0", ok: (value) => typeof value === "number" && Number.isFinite(value) && value > 0 },
  boolean: { text: "true or false", ok: (value) => typeof value === "boolean" },
  schema: { text: "a schema (zod, zod/mini, valibot: any Standard Schema)", ok: isSchema },
  text: { text: "a non-empty string", ok: isText },
};
const isFunction = (value: unknown): boolean => typeof value === "function";

/**
 * Checks a pagination builder's spec at the call, as `defineVendor` checks a definition: a
 * missing or mistyped field is a `ConfigError` naming it (`cursorPagination.query`), not a
 * TypeError from inside the first request (`spec.query is not a function`). `required` and
 * `optional` map each field to its kind in `SPEC_KINDS`, or else to the description of the
 * function it must be.
 */
function checkSpec(builder: string, spec: unknown, required: Record<string, string>, optional: Record<string, string> = {}): void {
  if (spec === null || typeof spec !== "object") throw new ConfigError(`must be called with its spec, an object of ${Object.keys(required).join(", ")}`, builder);
  const fields = spec as Record<string, unknown>;
  for (const [kinds, isRequired] of [[required, true], [optional, false]] as const) {
    for (const [field, kind] of Object.entries(kinds)) {
      const value = fields[field];
      const { text, ok } = SPEC_KINDS[kind] ?? { text: `a function: ${kind}`, ok: isFunction };
      if (value === undefined ? isRequired : !ok(value)) {
        throw new ConfigError(value === undefined ? `is required: ${text}` : `must be ${text} (got ${shown(value)})`, `${builder}.${field}`);
      }
    }
  }
  // A misspelt optional field is refused, not ignored (`timeSlice: true` would read one chain).
  refuseUnknownKeys(fields, [...Object.keys(required), ...Object.keys(optional)], `a field of ${builder}'s spec`, { noun: "field", path: `${builder}.` });
}

const shown = (value: unknown): string => (typeof value === "function" ? "a function" : typeof value === "string" ? JSON.stringify(value.slice(0, 40)) : value === null ? "null" : typeof value === "object" ? (Array.isArray(value) ? "an array" : "an object") : String(value));

/**
 * What a builder's `records(body)` gave, checked: an array, or a `ResponseValidationError` that
 * says so (a response of another shape than the definition reads, or `records` reading the
 * wrong field), not a TypeError further on.
 */
function recordsOf(records: unknown, builder: string, ctx: PageContext<unknown>): readonly unknown[] {
  if (Array.isArray(records)) return records;
  throw new ResponseValidationError({ vendor: ctx.vendor, path: "", message: `${builder}: records(body) gave ${shown(records)}, not an array of records: the response is not of the shape the definition reads` });
}

/**
 * What `pageNumberPagination`'s `totalPages(body)` or `total(body)` gave, checked: a whole number
 * ≥ 0. Anything else (undefined, a field read wrong) would end the list after the first page
 * without a word (read as no more pages) or plan pages that do not exist.
 */
function countOf(value: unknown, field: string, ctx: PageContext<unknown>): number {
  if (typeof value === "number" && Number.isSafeInteger(value) && value >= 0) return value;
  throw new ResponseValidationError({ vendor: ctx.vendor, path: "", message: `pageNumberPagination: ${field}(body) gave ${shown(value)}, not a whole number >= 0` });
}

/**
 * What a chain's `next` gave, checked: undefined (the end of the list) or a non-empty string.
 * Anything else is refused rather than sent back as a cursor (null would ask for the first page
 * again, a number would make a checkpoint no run can resume) or taken for the end (a server that
 * says there is more but gives no cursor would lose the rest of the list).
 */
function nextOf(next: unknown, builder: string, what: string, ctx: PageContext<unknown>, field: string): string | undefined {
  if (next === undefined || (typeof next === "string" && next !== "")) return next;
  throw new ResponseValidationError({ vendor: ctx.vendor, path: field, message: `${builder}: next(body) gave ${shown(next)}, not ${what} (a non-empty string), nor undefined, which ends the list` });
}

/** The spec fields every builder that reads slices or incremental runs may take. */
const CHAIN_OPTIONS = { envelope: "schema", defaultPageSize: "count", timeSlices: "boolean", incremental: "boolean", time: "(record) → its time in epoch ms" } as const satisfies Record<string, string>;

/**
 * Opaque-cursor pagination: the state is the cursor that fetched the page (`null` for the
 * first), so a checkpoint re-requests exactly that page.
 */
export function cursorPagination<Body, Filter = unknown>(spec: {
  envelope?: Schema<unknown, Body>;
  path: string;
  /** The page's query, given the cursor (null on the first page). */
  query(ctx: PageContext<Filter>, cursor: string | null): Record<string, QueryValue>;
  records(body: Body): readonly unknown[];
  /** The cursor of the next page, or undefined at the end of the list. */
  next(body: Body, response: PageResponse): string | undefined;
  /** The page size `query` asks for when the run sets none: a page holding more is refused. */
  defaultPageSize?: number;
  /** See `Pagination.timeSlices`, `incremental` and `time`. */
  timeSlices?: boolean;
  incremental?: boolean;
  time?(record: unknown): number | undefined;
}): Pagination<string | null, Body, Filter> {
  checkSpec("cursorPagination", spec, { path: "path", query: "(ctx, cursor) → the page's query", records: "(body) → the page's records", next: "(body, response) → the next cursor, or undefined" }, CHAIN_OPTIONS);
  return {
    kind: "cursor",
    maxRecords: (_cursor, ctx) => ctx.pageSize ?? spec.defaultPageSize,
    checkPosition: ({ state, skip }, _ctx, maxPageSize) => {
      if (state !== null && typeof state !== "string") return { field: "state", message: "must be a cursor (a string) or null" };
      return skipIssue(skip, maxPageSize);
    },
    ...(spec.envelope ? { envelope: spec.envelope } : {}),
    ...(spec.timeSlices ? { timeSlices: true } : {}),
    ...(spec.incremental ? { incremental: true } : {}),
    ...(spec.time ? { time: spec.time } : {}),
    request: (cursor, ctx) => ({ path: spec.path, query: spec.query(ctx, cursor) }),
    read: (body, _cursor, ctx, response) => {
      const next = nextOf(spec.next(body, response), "cursorPagination", "a cursor", ctx, "");
      return { records: recordsOf(spec.records(body), "cursorPagination", ctx), next: next === undefined ? [] : [next] };
    },
  };
}

/**
 * Next-link pagination: the state is the URL of the page, canonical, so a repeated link is seen
 * as one. A link on another origin is refused: following it would send credentials to a host
 * the client was not given. The link may come from the body (Zendesk `links.next`) or a `Link`
 * header (`nextLink(response.headers)`).
 */
export function linkPagination<Body, Filter = unknown>(spec: {
  envelope?: Schema<unknown, Body>;
  /** The first page. */
  first(ctx: PageContext<Filter>): { path: string; query?: Record<string, QueryValue> };
  /** Set on every page's URL, stored links included (the page size of this run, say). */
  query?(ctx: PageContext<Filter>): Record<string, QueryValue>;
  records(body: Body): readonly unknown[];
  /** The next page's URL (absolute, or relative to the current page's), or undefined at the end. */
  next(body: Body, response: PageResponse): string | undefined;
  /** Where a bad link is reported (`links.next`, `Link`). Default `Link`. */
  linkField?: string;
  /** The page size the first page asks for when the run sets none: a page holding more is refused. */
  defaultPageSize?: number;
  /** See `Pagination.timeSlices`, `incremental` and `time`. */
  timeSlices?: boolean;
  incremental?: boolean;
  time?(record: unknown): number | undefined;
}): Pagination<string, Body, Filter> {
  checkSpec("linkPagination", spec, { first: "(ctx) → the first page's { path, query }", records: "(body) → the page's records", next: "(body, response) → the next page's URL, or undefined" }, { ...CHAIN_OPTIONS, query: "(ctx) → the query set on every page", linkField: "text" });
  const field = spec.linkField ?? "Link";
  return {
    kind: "link",
    maxRecords: (_href, ctx) => ctx.pageSize ?? spec.defaultPageSize,
    checkPosition: ({ state, skip }, ctx, maxPageSize) => {
      let url: URL | undefined;
      try {
        url = typeof state === "string" ? new URL(state) : undefined;
      } catch {
        url = undefined;
      }
      if (!url) return { field: "state", message: "must be the URL of a page" };
      if (url.origin !== ctx.origin) return { field: "state", message: `is on ${url.origin}, not this client's origin ${ctx.origin}` };
      return skipIssue(skip, maxPageSize);
    },
    ...(spec.envelope ? { envelope: spec.envelope } : {}),
    ...(spec.timeSlices ? { timeSlices: true } : {}),
    ...(spec.incremental ? { incremental: true } : {}),
    ...(spec.time ? { time: spec.time } : {}),
    start: (ctx) => [requestUrl(spec.first(ctx), ctx.origin).href].map(canonicalHref),
    request: (href, ctx) => (spec.query ? { url: href, query: spec.query(ctx) } : { url: href }),
    read: (body, state, ctx, response) => {
      const records = recordsOf(spec.records(body), "linkPagination", ctx);
      const next = nextOf(spec.next(body, { ...response, url: state }), "linkPagination", "a link", ctx, field);
      if (next === undefined) return { records, next: [] };
      let url: URL;
      try {
        url = new URL(next, state);
      } catch {
        throw new ResponseValidationError({ vendor: ctx.vendor, path: field, message: "next link is not a URL" });
      }
      if (url.origin !== ctx.origin) {
        throw new ResponseValidationError({ vendor: ctx.vendor, path: field, message: `next link points to another origin (${url.origin}); refusing to send credentials there` });
      }
      return { records, next: [canonicalHref(url.href)] };
    },
  };
}

/** One spelling per URL (`page[size]` and `page%5Bsize%5D` alike). */
function canonicalHref(href: string): string {
  const url = new URL(href);
  url.search = new URLSearchParams(url.search).toString();
  return url.href;
}

/** The `rel="next"` target of a `Link` header (RFC 8288), or undefined. GitHub, Okta and others page this way. */
export function nextLink(headers: Headers): string | undefined {
  const header = headers.get("link");
  if (!header) return undefined;
  for (const part of header.split(/,(?=\s*<)/)) {
    const match = /^\s*<([^>]*)>(.*)$/s.exec(part);
    if (match && /;\s*rel\s*=\s*"?([^";]*\s)?next(\s[^";]*)?"?\s*(;|$)/i.test(match[2]!)) return match[1];
  }
  return undefined;
}

type PageState = { page: number; pageSize: number; head?: true };

/**
 * Page-number pagination: the first page tells the page count; the rest are then known and
 * fetched in parallel, yielded in order. The state records the page size it was read with, so a
 * resume with another `pageSize` lands on the same record.
 */
export function pageNumberPagination<Body, Filter = unknown>(spec: {
  envelope?: Schema<unknown, Body>;
  path: string;
  query(ctx: PageContext<Filter>, page: number, pageSize: number): Record<string, QueryValue>;
  defaultPageSize: number;
  /** The number of the first page. Default 0. */
  firstPage?: number;
  records(body: Body): readonly unknown[];
  /** The page number the server says it answered. */
  page(body: Body): number;
  totalPages(body: Body): number;
  total(body: Body): number;
}): Pagination<PageState, Body, Filter> {
  checkSpec(
    "pageNumberPagination",
    spec,
    { path: "path", query: "(ctx, page, pageSize) → the page's query", defaultPageSize: "count", records: "(body) → the page's records", page: "(body) → the page number answered", totalPages: "(body) → the number of pages", total: "(body) → the number of records" },
    { envelope: "schema", firstPage: "whole" },
  );
  const first = spec.firstPage ?? 0;
  return {
    kind: "page-number",
    parallel: true,
    ...(spec.envelope ? { envelope: spec.envelope } : {}),
    start: (ctx) => [{ page: first, pageSize: ctx.pageSize ?? spec.defaultPageSize, head: true }],
    resume: (resume, ctx) => {
      const pageSize = ctx.pageSize ?? spec.defaultPageSize;
      const offset = (resume.state.page - first) * resume.state.pageSize + resume.skip;
      return { states: [{ page: first + Math.floor(offset / pageSize), pageSize, head: true }], skip: offset % pageSize };
    },
    request: (state, ctx) => ({ path: spec.path, query: spec.query(ctx, state.page, state.pageSize) }),
    maxRecords: (state) => state.pageSize,
    checkPosition: ({ state, skip }, _ctx, maxPageSize) => {
      if (state === null || typeof state !== "object" || Array.isArray(state)) return { field: "state", message: "must be { page, pageSize }" };
      const { page, pageSize, head } = state as Record<string, unknown>;
      if (!isWhole(page, first, 1e9)) return { field: "state.page", message: `must be a whole number from ${first}, got ${JSON.stringify(page)}` };
      if (!isWhole(pageSize, 1, maxPageSize ?? 1e6)) return { field: "state.pageSize", message: `must be a whole number from 1 to ${maxPageSize ?? 1e6}, got ${JSON.stringify(pageSize)}` };
      if (head !== undefined && head !== true) return { field: "state.head", message: "must be true or absent" };
      return skipIssue(skip, pageSize);
    },
    read: (body, state, ctx) => {
      const records = recordsOf(spec.records(body), "pageNumberPagination", ctx);
      const totalPages = countOf(spec.totalPages(body), "totalPages", ctx);
      const total = countOf(spec.total(body), "total", ctx);
      const index = state.page - first;
      if (spec.page(body) !== state.page) {
        throw new PaginationLoopError(ctx.vendor, `asked for page ${state.page}, the server answered page ${spec.page(body)}`);
      }
      // A page count that lies (more pages than records could fill) would read forever.
      if (totalPages > Math.ceil(total / state.pageSize) + 1 || totalPages < 0) {
        throw new PaginationLoopError(ctx.vendor, `totalPages ${totalPages} cannot hold ${total} records at ${state.pageSize} per page`);
      }
      if (records.length === 0 && index < totalPages - 1) {
        throw new PaginationLoopError(ctx.vendor, `page ${state.page} is empty but totalPages says ${totalPages}`);
      }
      // Pages are planned a chunk at a time (the chunk's last page plans the next), so a huge
      // page count, true or hostile, costs no more memory than one chunk.
      const next: PageState[] = [];
      if (state.head) {
        const last = Math.min(totalPages - 1, index + PAGE_PLAN_CHUNK);
        for (let i = index + 1; i <= last; i++) next.push(i === last ? { page: first + i, pageSize: state.pageSize, head: true } : { page: first + i, pageSize: state.pageSize });
      }
      return { records, next };
    },
  };
}

/** `head`: this window plans the next batch, from what it saw, starting at `head` (its batch's end). */
type Window = { start: number; end: number; head?: number };

/**
 * Windows planned at a time; the batch's first window plans the next batch from what it saw,
 * while the rest of its batch is in flight, so the requests after a batch are ready before it
 * ends (planned by its last window, the next batch waited for the whole batch to be answered).
 */
const WINDOW_BATCH = 4;
/**
 * Records a planned window aims at, as a share of `splitAt`: close to it, since every request
 * counts (the fewer windows, the fewer round trips), with room for the density to drift from one
 * window to the next and for chance (a window at `splitAt` is read again, split). A capped
 * answer's own times place its parts, so they aim a little higher.
 */
const WINDOW_TARGET_SHARE = 0.9;
/**
 * The fewest records a planned window aims at when the reader finds fewer worth asking for
 * (`PageResponse.recordsWorth`: a server so near that a request's wait is short): a page's worth.
 */
const WINDOW_MIN_TARGET = 1_000;
const WINDOW_PART_SHARE = 0.95;
/** A window at `splitAt` whose records tell nothing of where they stand is cut into this many. */
const WINDOW_SPLIT_WAYS = 4;
/** The most windows one split plans; what is left stays one window (split again if it must). */
const WINDOW_MAX_PARTS = 64;
/** An empty window makes the next ones this many times larger. */
const WINDOW_GROWTH = 8;
/** A window with records makes the next ones at most this many times larger. */
const WINDOW_MAX_STEP = 16;
/**
 * A capped answer's first (or last) records stand this many of their own gaps or more from the
 * window's edge: the server left records out there, and that stretch is guessed at their density.
 */
const EDGE_GAPS = 8;
/** Records at each end of a capped answer that tell the density there. */
const EDGE_RECORDS = 256;

/**
 * A record a window's answer holds this far past the window's bounds, or more, is not a boundary
 * effect: `time(record)` does not read, in epoch ms, the time the server filters by (seconds, a
 * field of another time, a zone read wrong), or the server does not filter by the window. Either
 * way, trimming such records would lose them without a word: their own window's answer does not
 * hold them either. Refused (`farOutside`) instead. At least the API's bounds precision.
 */
const WINDOW_SLACK_MS = 1000;

/** The error for a window's answer holding `record`, timed `at`, far outside the window (see WINDOW_SLACK_MS). */
function farOutside(window: Window, record: unknown, at: number, records: readonly unknown[], ctx: PageContext<unknown>, requestId: string | undefined): never {
  const when = Number.isFinite(at) && Math.abs(at) <= 8.64e15 ? isoMicros(at) : String(at);
  throw new ResponseValidationError({
    vendor: ctx.vendor,
    path: "",
    requestId,
    message:
      `the window [${isoMicros(window.start)}, ${isoMicros(window.end)}) answered records[${records.indexOf(record)}] timed ${when} by the definition's time(record), far outside it: ` +
      "time(record) must give, in epoch ms, the time the server filters windows by (or the server ignores the window); stopping instead of dropping records",
  });
}

/** Index of the first of `sorted` at or after `t`. */
export function lowerBound(sorted: ArrayLike<number>, t: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The parts a window whose answer reached `splitAt` is read again in, from the times its answer
 * holds (`times`: those inside the window, sorted). Nothing is taken from that answer but where
 * its records stand (the server may have cut it anywhere: Datafold documents neither a cap nor an
 * order), and only the number of records each part is expected to hold depends on the guess:
 * - Where the answer's records run (first to last), they are taken as all there is: exact for a
 *   server that keeps the oldest (or newest) of a window, as a plain cut does.
 * - Before its first and after its last record, when those stand far from the window's edges
 *   (`EDGE_GAPS` gaps of the density at that end), the server left records out: that stretch is
 *   guessed at the density of the records nearest it.
 * - An answer whose records run from edge to edge is a sample of more than it holds, or exactly
 *   full: each record is counted twice (a part that is still too full is split again).
 * Each part is cut where the guess reaches `target` records, at least `min` wide; past
 * `WINDOW_MAX_PARTS`, the rest of the window is one part. Times are whole units (ms, or µs for
 * a window of one ms), `min` one of them or more.
 */
function splitCapped(window: { start: number; end: number }, times: Float64Array, target: number, min: number): Window[] {
  const { start, end } = window;
  const n = times.length;
  if (n === 0) return evenParts(start, end, WINDOW_SPLIT_WAYS, min);
  const first = times[0]!;
  const last = times[n - 1]!;
  const edge = Math.min(n, EDGE_RECORDS);
  // Records per ms at each end of the answer (a run at one instant counts as one ms).
  const leadRate = edge / Math.max(1, times[edge - 1]! - first);
  const tailRate = edge / Math.max(1, last - times[n - edge]!);
  const leadGap = first - start > EDGE_GAPS / leadRate;
  const tailGap = end - 1 - last > EDGE_GAPS / tailRate;
  const weight = leadGap || tailGap ? 1 : 2;
  // A guess at an edge's density holds only near it: up to WINDOW_MAX_PARTS parts' worth is
  // planned from it, and what lies beyond is one window, read to see. Planned wide, since each
  // window read only to see is a round trip on the critical path (a dense stretch found one
  // capped remainder at a time): 8 parts' worth took 52 requests on the bench's shape, 64 took 49.
  const reach = WINDOW_MAX_PARTS * target;
  const leadFrom = leadGap ? Math.max(start, Math.floor(first - reach / leadRate)) : start;
  const tailTo = tailGap ? Math.min(end, Math.ceil(last + 1 + reach / tailRate)) : end;
  /** Records expected in [leadFrom, t). */
  const before = (t: number): number =>
    (leadGap ? (Math.min(t, first) - leadFrom) * leadRate : 0) + lowerBound(times, t) * weight + (tailGap && t > last + 1 ? (t - last - 1) * tailRate : 0);
  const out: Window[] = leadFrom - start >= min ? [{ start, end: leadFrom }] : [];
  let from = out.length > 0 ? leadFrom : start;
  const to = end - tailTo >= min ? tailTo : end;
  while (from < to) {
    const room = before(from) + target;
    // The part ends at the latest time whose records before it fit; past the window's end, at it.
    if (out.length === WINDOW_MAX_PARTS - 2 || to - from < 2 * min || before(to) <= room) {
      out.push({ start: from, end: to });
      break;
    }
    let lo = from + min;
    let hi = to - min;
    if (before(lo) > room) hi = lo;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (before(mid) <= room) lo = mid;
      else hi = mid - 1;
    }
    out.push({ start: from, end: lo });
    from = lo;
  }
  if (to < end) {
    // A sliver of the guessed stretch goes with the window beyond it: one request fewer.
    const sliver = out.length > 1 ? out[out.length - 1]! : undefined;
    if (sliver && before(sliver.end) - before(sliver.start) < target / 2) out.pop();
    out.push({ start: out.length > 0 ? out[out.length - 1]!.end : start, end });
  }
  return out;
}

/** `[from, to)` as `count` windows of about the same length, each at least `min` wide. */
function evenParts(from: number, to: number, count: number, min: number): Window[] {
  const step = Math.max(min, Math.ceil((to - from) / count));
  const out: Window[] = [];
  for (let start = from; start < to; start += step) out.push({ start, end: to - start - step < min ? to : start + step });
  return out.filter((w, i, all) => i === 0 || w.start >= all[i - 1]!.end);
}

/** A time (epoch ms, a whole number of µs) as RFC 3339 UTC, with µs digits when it has any. */
export function isoMicros(ms: number): string {
  const us = Math.round(ms * 1000);
  const iso = new Date(Math.floor(us / 1000)).toISOString();
  const micros = ((us % 1000) + 1000) % 1000;
  return micros === 0 ? iso : `${iso.slice(0, -1)}${String(micros).padStart(3, "0")}Z`;
}

/** A time in epoch ms that is a whole number of `precisionMs` steps of µs or more (`state.start`). */
const isStep = (value: unknown, min: number, max: number, precisionMs: number): value is number =>
  typeof value === "number" && Number.isFinite(value) && value >= min && value <= max && (precisionMs >= 1 ? Number.isInteger(value) : Math.round(value * 1000) / 1000 === value);

/**
 * Time windows, for an API with no pagination: `[since, until)` cut into windows with no gap
 * and no overlap, read in parallel and yielded in time order. The windows adapt as they go
 * (DESIGN §13): they are planned a batch of four at a time, the first of `windowMs`; the first
 * window of a batch sizes the next batch from its own density, aiming at nine tenths of
 * `splitAt` records each (an empty window makes the next ones eight times larger). A window
 * whose answer reaches `splitAt` records may have been cut short by the server: it is read
 * again in parts placed by the times its answer holds (`splitCapped`: exact for a server that
 * keeps the oldest or the newest, a guess otherwise, which costs requests, never records), in
 * whole ms, and a window of one ms in whole µs when the API's bounds express them
 * (`precisionMs`). A window as narrow as the API can ask for whose answer still reaches
 * `splitAt` fails (`ResponseValidationError`): the API offers no way to page within it, and
 * the records past its cap would be lost. A window's page is its answer less the records its
 * bounds add at the ends, with `[start, end)` as the page's bounds for the run to trim anything
 * else (a window narrower than one ms is trimmed here: the run's times are whole ms). The
 * definition gives `defaultSince`: windows need a start.
 */
export function timeWindowPagination<Body, Filter = unknown>(spec: {
  envelope?: Schema<unknown, Body>;
  path: string;
  /**
   * The request for one window: a query, or a JSON body (on a GET, sent over node:http). Its
   * bounds are epoch ms, with a µs fraction only when `precisionMs` is below one (`isoMicros`).
   */
  request(window: { start: number; end: number }, ctx: PageContext<Filter>): { query?: Record<string, QueryValue>; body?: unknown };
  records(body: Body): readonly unknown[];
  /**
   * A record's time (epoch ms; with `precisionMs` below one, a µs fraction as `µs / 1000`
   * gives it), or undefined when it has none (left for validation to report).
   */
  time(record: unknown): number | undefined;
  splitAt: number;
  /**
   * The narrowest window the API's time bounds can ask for, in ms: 1000 for whole seconds (the
   * default: a narrower window of an API that reads whole seconds would ask for the same second
   * again), 1 for ms, 0.001 for µs (Datafold's bounds are RFC 3339 date-times, read to the µs).
   */
  precisionMs?: number;
}): Pagination<Window, Body, Filter> {
  checkSpec(
    "timeWindowPagination",
    spec,
    { path: "path", request: "(window, ctx) → the window's { query } or { body }", records: "(body) → the window's records", time: "(record) → its time in epoch ms", splitAt: "count" },
    { envelope: "schema", precisionMs: "step" },
  );
  const precision = spec.precisionMs ?? 1000;
  const micros = precision < 1;
  /** How far past a window's bounds an answer's record may stand (bounds rounded by the server, inclusive ends). */
  const slackMs = Math.max(precision, WINDOW_SLACK_MS);
  /** Windows planned in whole ms are at least this wide. */
  const minMs = Math.max(1, precision);
  /** The next batch of windows of `size` from `from`, the first one marked to plan the one after. */
  const batch = (from: number, to: number, size: number): Window[] => {
    const out: Window[] = [];
    // A window that ended inside a ms (a part of a split one) leaves the rest of that ms first.
    if (from !== Math.ceil(from) && from < to) {
      out.push({ start: from, end: Math.min(Math.ceil(from), to) });
      from = Math.ceil(from);
    }
    const step = Math.max(minMs, Math.floor(size));
    for (let start = from; start < to && out.length < WINDOW_BATCH; start += step) out.push({ start, end: Math.min(start + step, to) });
    const last = out[out.length - 1];
    // A sliver that ends a ms (the rest of one split by µs) tells no density: the window after it plans.
    if (last && last.end < to) out[out.length > 1 && out[0]!.end - out[0]!.start < 1 ? 1 : 0]!.head = last.end;
    return out;
  };
  /** The parts of a capped window: in whole ms, or in whole µs for a window of one ms or less. */
  const split = (window: Window, records: readonly unknown[], ctx: PageContext<Filter>, requestId: string | undefined): Window[] => {
    const scale = micros && window.end - window.start <= 1 ? 1000 : 1;
    const unit = (ms: number) => (scale === 1 ? ms : Math.round(ms * 1000));
    const times: number[] = [];
    for (const record of records) {
      const at = spec.time(record);
      if (at === undefined) continue;
      if (at >= window.start && at < window.end) times.push(unit(at));
      else if (at < window.start - slackMs || at > window.end + slackMs) farOutside(window, record, at, records, ctx, requestId);
    }
    const min = scale === 1 ? minMs : Math.max(1, Math.round(precision * 1000));
    const parts = splitCapped({ start: unit(window.start), end: unit(window.end) }, Float64Array.from(times).sort(), partTarget, min);
    return scale === 1 ? parts : parts.map((part) => ({ start: part.start / 1000, end: part.end / 1000 }));
  };
  /** As narrow as the API can ask for (counted in whole µs: a µs as ms is not exact). */
  const narrowest = (window: Window): boolean =>
    micros ? Math.round(window.end * 1000) - Math.round(window.start * 1000) <= Math.round(precision * 1000) : window.end - window.start <= precision;
  const target = Math.max(1, Math.floor(spec.splitAt * WINDOW_TARGET_SHARE));
  const partTarget = Math.max(1, Math.floor(spec.splitAt * WINDOW_PART_SHARE));
  return {
    kind: "time-window",
    parallel: true,
    // No page size: a window's answer is split at `splitAt`, and bounded by maxResponseBytes.
    maxRecords: () => undefined,
    checkPosition: ({ state, skip }, ctx) => {
      if (state === null || typeof state !== "object" || Array.isArray(state)) return { field: "state", message: "must be a time window { start, end }" };
      const { start, end } = state as Record<string, unknown>;
      const since = ctx.since ?? -8.64e15;
      const unit = micros ? "epoch ms, to the µs" : "epoch ms";
      if (!isStep(start, since, ctx.until, precision) || start >= ctx.until) return { field: "state.start", message: `must be a time (${unit}) inside the checkpoint's [since, until)` };
      if (!isStep(end, start, ctx.until, precision) || end <= start) return { field: "state.end", message: `must be a time (${unit}) after start, at most the checkpoint's until` };
      return skipIssue(skip, spec.splitAt);
    },
    ...(spec.envelope ? { envelope: spec.envelope } : {}),
    start: (ctx) => batch(startOf(ctx), ctx.until, ctx.windowMs),
    resume: (resume, ctx) => ({ states: [{ start: resume.state.start, end: resume.state.end }, ...batch(resume.state.end, ctx.until, ctx.windowMs)], skip: resume.skip }),
    request: (window, ctx) => ({ path: spec.path, ...spec.request({ start: window.start, end: window.end }, ctx) }),
    read: (body, window, ctx, response) => {
      const records = recordsOf(spec.records(body), "timeWindowPagination", ctx);
      const span = window.end - window.start;
      if (records.length >= spec.splitAt) {
        if (narrowest(window)) {
          throw new ResponseValidationError({
            vendor: ctx.vendor,
            path: "",
            requestId: response.requestId,
            message:
              `the window [${isoMicros(window.start)}, ${isoMicros(window.end)}) answered ${records.length} records, the server's cap per answer (${spec.splitAt}), ` +
              `and is as narrow as the API's time bounds can ask for (${precision >= 1 ? `${precision} ms` : `${Math.round(precision * 1000)} µs`}) with no way to page within it: ` +
              "the records past the cap cannot be read; stopping instead of losing them",
          });
        }
        // The split window's duty to plan what follows passes to its last part.
        const next = split(window, records, ctx, response.requestId);
        if (window.head !== undefined) next[next.length - 1]!.head = window.head;
        return { records: [], next };
      }
      // Each window keeps [start, end) only (vendors often include both bounds, and an event on a
      // boundary must come once). The records a bound includes are cut off the ends of the answer
      // (all of them, for a server that answers in time order, as Datafold's does); any other is
      // trimmed by the run, by the time it reads when it normalizes: no record's time is read twice.
      // The run reads whole ms: a window narrower keeps its own records here, all of them.
      const outside = (record: unknown) => {
        const at = spec.time(record);
        if (at === undefined || (at >= window.start && at < window.end)) return false;
        if (at < window.start - slackMs || at > window.end + slackMs) farOutside(window, record, at, records, ctx, response.requestId);
        return true;
      };
      const whole = Number.isInteger(window.start) && Number.isInteger(window.end);
      let own: readonly unknown[];
      if (whole) {
        let from = 0;
        let to = records.length;
        while (from < to && outside(records[from])) from += 1;
        while (to > from && outside(records[to - 1])) to -= 1;
        own = from === 0 && to === records.length ? records : records.slice(from, to);
      } else {
        own = records.filter((record) => !outside(record));
      }
      const bounds = whole ? { since: window.start, until: window.end } : { since: Math.floor(window.start), until: Math.ceil(window.end) };
      if (window.head === undefined) return { records: own, next: [], bounds };
      // Empty: grow; otherwise size the next windows for `aim` records each. They go after
      // every window planned (the rest of this batch), while those are read.
      // As many as a request is worth (at least a page's, at most `target`); until that is known,
      // no more than this window brought: the first windows, a day each, read before the reader
      // has measured anything, planned the next ones at the server's cap, and held those as
      // memory however near the server was (Datafold's memory step: 76–87 MB of RSS, 60–67 so).
      const worth = response.recordsWorth ?? own.length;
      const aim = Math.min(target, Math.max(WINDOW_MIN_TARGET, worth));
      const size = own.length === 0 ? span * WINDOW_GROWTH : Math.min(span * WINDOW_MAX_STEP, (span * aim) / own.length);
      return { records: own, next: [], append: batch(window.head, ctx.until, size), bounds };
    },
  };
}

function startOf(ctx: PageContext<unknown>): number {
  if (ctx.since === undefined) {
    throw new ConfigError(`is required: ${ctx.vendor} reads time windows, which need a start, and its definition gives no defaultSince`, "since");
  }
  return ctx.since;
}
