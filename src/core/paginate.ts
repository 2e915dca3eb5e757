/**
 * One pagination engine for every vendor. A strategy is data plus small functions (what to
 * request for a state, what a response says comes next); the engine owns everything else:
 * prefetch, parallel pages in order, loop guards, abort, and the position a checkpoint records.
 */
import type { z } from "zod";
import { abortReason } from "../internal/clock.js";
import { PaginationLoopError, ResponseValidationError } from "./errors.js";
import type { HttpClient } from "./http.js";
import type { VendorId } from "./vendor-id.js";

/** What a run is about, fixed when it starts. Times are epoch ms. */
export interface RunContext {
  vendor: VendorId;
  origin: string;
  /** Inclusive lower bound; undefined = the start of the vendor's retention. */
  since: number | undefined;
  /** Exclusive upper bound, fixed at the start of the run (so page-number paging does not drift). */
  until: number;
  pageSize: number | undefined;
  filter: Record<string, unknown> | undefined;
  windowMs: number;
}

export interface PageRequest {
  url: URL;
  /** JSON body; on a GET it goes over node:http (Datafold). */
  body?: unknown;
}

export interface PageRead<S> {
  records: unknown[];
  /** States to read next, in order, right after this one. */
  next: S[];
}

/** Where a run stands: the page state being read and how many of its records are consumed. */
export interface Position<S = unknown> {
  state: S;
  skip: number;
}

export interface Strategy<S, E = unknown> {
  kind: "cursor" | "link" | "page-number" | "time-window";
  /** Pages known ahead may be fetched `concurrency` at a time; otherwise `prefetch` ahead. */
  parallel: boolean;
  /**
   * `request` honours `ctx.since`/`ctx.until`, so the core may read the range as parallel time
   * slices, one chain each (slices.ts).
   */
  timeSlices?: boolean;
  /**
   * The list has no time filter but a stable order (Pylon): a finished run keeps its last
   * page's state and the order its records showed, and the next run reads on from that state
   * (oldest first) or stops at the first page older than the watermark (newest first). A state
   * the server refuses (an expired cursor) falls back to a full read.
   */
  incremental?: boolean;
  /** A record's time (epoch ms), cheaper than normalizing it; used by time slices. */
  time?(record: unknown): number | undefined;
  /** The page envelope, validated strictly (records are validated one by one, leniently). */
  envelope: z.ZodType<E>;
  /** The states to read first: one first page, or a resumed position's state, or every window. */
  start(ctx: RunContext, resume?: Position<S>): { states: S[]; skip: number };
  request(state: S, ctx: RunContext): PageRequest;
  read(envelope: E, state: S, ctx: RunContext): PageRead<S>;
}

export interface RawPage<S> {
  state: S;
  records: unknown[];
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
}

/** Page-number pagination plans this many pages ahead at a time. */
const PAGE_PLAN_CHUNK = 500;

/** Consecutive empty pages that still claim more before the engine calls it a loop. */
const MAX_EMPTY_PAGES = 10;

/**
 * Reads pages in order. Breaking out of the loop (or `signal`) aborts every request in flight
 * and starts no new one.
 */
export async function* paginate<S, E>(
  http: HttpClient,
  strategy: Strategy<S, E>,
  ctx: RunContext,
  options: EngineOptions,
  resume?: Position<S>,
): AsyncGenerator<RawPage<S>, void, undefined> {
  const abort = new AbortController();
  const onOuterAbort = () => abort.abort(options.signal!.reason);
  if (options.signal) {
    if (options.signal.aborted) throw abortReason(options.signal);
    options.signal.addEventListener("abort", onOuterAbort, { once: true });
  }

  interface Slot {
    state: S;
    skip: number;
    result?: Promise<RawPage<S>>;
    /** Raised once this page has been yielded: its records are good, where it points is not. */
    after?: PaginationLoopError;
  }
  const { states, skip } = strategy.start(ctx, resume);
  const slots: Slot[] = states.map((state, i) => ({ state, skip: i === 0 ? skip : 0 }));
  const ahead = strategy.parallel ? Math.max(options.concurrency, 1 + options.prefetch) : 1 + options.prefetch;
  // Every state read or planned: a server pointing back at one of them is a loop.
  const seenStates = new Set<string>(slots.map((slot) => JSON.stringify(slot.state)));
  let emptyRun = 0;

  const fetchSlot = async (slot: Slot): Promise<{ page: RawPage<S>; next: S[]; after?: PaginationLoopError }> => {
    const { url, body } = strategy.request(slot.state, ctx);
    const result = await http.request({
      method: "GET",
      url,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: abort.signal,
    });
    const parsed = strategy.envelope.safeParse(result.body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new ResponseValidationError({
        vendor: ctx.vendor,
        path: issue ? issue.path.map(String).join(".") : "",
        requestId: result.requestId,
        message: issue ? issue.message : "unexpected page envelope",
      });
    }
    let read: PageRead<S>;
    try {
      read = strategy.read(parsed.data, slot.state, ctx);
    } catch (error) {
      // A strategy's complaint about the page names the request it came from.
      if (ResponseValidationError.isInstance(error) && error.requestId === undefined && result.requestId !== undefined) {
        throw new ResponseValidationError({ vendor: error.vendor, path: error.path, requestId: result.requestId, message: error.detail });
      }
      throw error;
    }
    const page = { state: slot.state, records: read.records, requestId: result.requestId, skip: slot.skip };
    // Guards: a state seen before is a loop; so is a long run of empty pages that claim more.
    for (const next of read.next) {
      const key = JSON.stringify(next);
      if (seenStates.has(key)) {
        const after = new PaginationLoopError(ctx.vendor, `the server sent the same pagination position twice (${strategy.kind}); stopping instead of looping`);
        return { page, next: [], after };
      }
      seenStates.add(key);
    }
    if (!strategy.parallel) {
      emptyRun = read.records.length === 0 && read.next.length > 0 ? emptyRun + 1 : 0;
      if (emptyRun >= MAX_EMPTY_PAGES) {
        throw new PaginationLoopError(ctx.vendor, `${MAX_EMPTY_PAGES} empty pages in a row claimed more results; stopping instead of looping`);
      }
    }
    return { page, next: read.next };
  };

  // Starts fetches for the first `ahead` slots. A finished page inserts its successors right
  // after itself, so order is kept however many are in flight.
  const fill = () => {
    for (let i = 0; i < slots.length && i < ahead; i++) {
      const slot = slots[i]!;
      if (slot.result) continue;
      slot.result = fetchSlot(slot).then(({ page, next, after }) => {
        slot.after = after;
        if (next.length > 0) {
          // A loop, not one spread: a spread of very many states overflows the call stack.
          const at = slots.indexOf(slot) + 1;
          const inserted = next.map((state) => ({ state, skip: 0 }));
          for (let i = 0; i < inserted.length; i++) slots.splice(at + i, 0, inserted[i]!);
          if (!abort.signal.aborted) fill();
        }
        return page;
      });
      // A page fetched ahead may fail before it is reached; its error surfaces when it is.
      slot.result.catch(() => undefined);
    }
  };

  try {
    fill();
    while (slots.length > 0) {
      const slot = slots[0]!;
      const page = await slot.result!;
      // The page in the caller's hands keeps its place among the `ahead` until the caller asks
      // for the next one: with prefetch 0 nothing is fetched while it works (strictly sequential).
      yield page;
      if (slot.after) throw slot.after;
      slots.shift();
      fill();
    }
  } finally {
    // Reached on completion, error, and `break` alike: nothing keeps running behind the caller.
    abort.abort(new Error("pagination stopped"));
    options.signal?.removeEventListener("abort", onOuterAbort);
  }
}

// --- strategies --------------------------------------------------------------------------------

type Query = Array<[string, string | number | undefined]>;

function buildUrl(origin: string, path: string, query: Query): URL {
  const url = new URL(path, origin);
  for (const [key, value] of query) if (value !== undefined) url.searchParams.append(key, String(value));
  return url;
}

/**
 * Opaque-cursor pagination (Pylon, JITSudo): the state is the cursor that fetched the page
 * (`null` for the first), so a checkpoint can re-request exactly that page.
 */
export function cursorStrategy<E>(spec: {
  envelope: z.ZodType<E>;
  path: string;
  query(ctx: RunContext, cursor: string | null): Query;
  records(envelope: E): unknown[];
  /** The cursor of the next page, or undefined at the end of the list. */
  next(envelope: E): string | undefined;
  /** The query honours `ctx.since`/`ctx.until`: the range may be read as parallel time slices. */
  timeSlices?: { time(record: unknown): number | undefined };
  /** No time filter: next runs read on from the last page (see `Strategy.incremental`). */
  incremental?: boolean;
}): Strategy<string | null, E> {
  return {
    kind: "cursor",
    parallel: false,
    ...(spec.timeSlices ? { timeSlices: true, time: spec.timeSlices.time } : {}),
    ...(spec.incremental ? { incremental: true } : {}),
    envelope: spec.envelope,
    start: (_ctx, resume) => ({ states: [resume ? resume.state : null], skip: resume?.skip ?? 0 }),
    request: (cursor, ctx) => ({ url: buildUrl(ctx.origin, spec.path, spec.query(ctx, cursor)) }),
    read: (envelope) => {
      const next = spec.next(envelope);
      return { records: spec.records(envelope), next: next === undefined ? [] : [next] };
    },
  };
}

/**
 * Next-link pagination (Zendesk `links.next`): the state is the URL of the page. A link on
 * another origin is refused: following it would send credentials to a host we were not given.
 */
export function linkStrategy<E>(spec: {
  envelope: z.ZodType<E>;
  firstUrl(ctx: RunContext): URL;
  records(envelope: E): unknown[];
  /** The next page's URL (absolute, or relative to the current page's), or undefined at the end. */
  next(envelope: E, current: URL): string | undefined;
  /** Applied to every URL, stored ones included (e.g. the page size of this run). */
  adjust?(url: URL, ctx: RunContext): void;
  /** `firstUrl` honours `ctx.since`/`ctx.until`: the range may be read as parallel time slices. */
  timeSlices?: { time(record: unknown): number | undefined };
}): Strategy<string, E> {
  return {
    kind: "link",
    parallel: false,
    ...(spec.timeSlices ? { timeSlices: true, time: spec.timeSlices.time } : {}),
    envelope: spec.envelope,
    start: (ctx, resume) => ({ states: [resume ? resume.state : canonicalHref(spec.firstUrl(ctx))], skip: resume?.skip ?? 0 }),
    request: (href, ctx) => {
      const url = new URL(href);
      spec.adjust?.(url, ctx);
      return { url };
    },
    read: (envelope, state, ctx) => {
      const next = spec.next(envelope, new URL(state));
      if (next === undefined) return { records: spec.records(envelope), next: [] };
      let url: URL;
      try {
        url = new URL(next, state);
      } catch {
        throw new ResponseValidationError({ vendor: ctx.vendor, path: "links.next", message: "next link is not a URL" });
      }
      if (url.origin !== ctx.origin) {
        throw new ResponseValidationError({
          vendor: ctx.vendor,
          path: "links.next",
          message: `next link points to another origin (${url.origin}); refusing to send credentials there`,
        });
      }
      return { records: spec.records(envelope), next: [canonicalHref(url)] };
    },
  };
}

/** One spelling per URL (`page[size]` and `page%5Bsize%5D` alike), so a repeated link is seen as one. */
function canonicalHref(url: URL): string {
  const copy = new URL(url);
  copy.search = new URLSearchParams(copy.search).toString();
  return copy.href;
}

/**
 * Page-number pagination (Cortex): page 0 tells `totalPages`; the rest are then known and
 * fetched in parallel, yielded in order. The state records the page size it was read with, so a
 * resume with another `pageSize` lands on the same record.
 */
export function pageNumberStrategy<E>(spec: {
  envelope: z.ZodType<E>;
  path: string;
  query(ctx: RunContext, page: number, pageSize: number): Query;
  defaultPageSize: number;
  records(envelope: E): unknown[];
  page(envelope: E): number;
  totalPages(envelope: E): number;
  total(envelope: E): number;
}): Strategy<{ page: number; pageSize: number; head?: true }, E> {
  type S = { page: number; pageSize: number; head?: true };
  return {
    kind: "page-number",
    parallel: true,
    envelope: spec.envelope,
    start: (ctx, resume) => {
      const pageSize = ctx.pageSize ?? spec.defaultPageSize;
      if (!resume) return { states: [{ page: 0, pageSize, head: true }], skip: 0 };
      const offset = resume.state.page * resume.state.pageSize + resume.skip;
      return { states: [{ page: Math.floor(offset / pageSize), pageSize, head: true }], skip: offset % pageSize };
    },
    request: (state, ctx) => ({ url: buildUrl(ctx.origin, spec.path, spec.query(ctx, state.page, state.pageSize)) }),
    read: (envelope, state: S, ctx) => {
      const records = spec.records(envelope);
      const totalPages = spec.totalPages(envelope);
      const total = spec.total(envelope);
      if (spec.page(envelope) !== state.page) {
        throw new PaginationLoopError(ctx.vendor, `asked for page ${state.page}, the server answered page ${spec.page(envelope)}`);
      }
      // A page count that lies (more pages than records could fill) would read forever.
      if (totalPages > Math.ceil(total / state.pageSize) + 1 || totalPages < 0) {
        throw new PaginationLoopError(ctx.vendor, `totalPages ${totalPages} cannot hold ${total} records at ${state.pageSize} per page`);
      }
      if (records.length === 0 && state.page < totalPages - 1) {
        throw new PaginationLoopError(ctx.vendor, `page ${state.page} is empty but totalPages says ${totalPages}`);
      }
      if (records.length > state.pageSize) {
        throw new PaginationLoopError(ctx.vendor, `page ${state.page} has ${records.length} records, more than the page size ${state.pageSize}`);
      }
      // Pages are planned a chunk at a time (the chunk's last page plans the next), so a huge
      // page count, true or hostile, costs no more memory than one chunk.
      const next: S[] = [];
      if (state.head) {
        const last = Math.min(totalPages - 1, state.page + PAGE_PLAN_CHUNK);
        for (let page = state.page + 1; page <= last; page++) next.push(page === last ? { page, pageSize: state.pageSize, head: true } : { page, pageSize: state.pageSize });
      }
      return { records, next };
    },
  };
}

/** Windows planned at a time; the batch's last window plans the next batch from what it saw. */
const WINDOW_BATCH = 4;
/** Records a planned window aims at: well under the split point, so a few in flight stay small. */
const WINDOW_TARGET_SHARE = 1 / 4;
/** A window whose answer reaches the split point is cut into this many. */
const WINDOW_SPLIT_WAYS = 4;

/**
 * Time windows (Datafold, which has no pagination): `[since, until)` cut into windows with no
 * gap and no overlap, read in parallel and yielded in time order. The windows adapt as they go
 * (DESIGN §13): they are planned a batch at a time, starting at `windowMs`; the last window of a
 * batch sizes the next batch from its own density: an empty one makes the next windows four
 * times larger, a dense one smaller, aiming at a quarter of `splitAt` records each, so memory
 * stays bounded however dense the data. A window whose answer reaches `splitAt` records may have
 * been cut short by the server, so it is split in four and read again (down to one second).
 */
export function timeWindowStrategy<E>(spec: {
  envelope: z.ZodType<E>;
  path: string;
  body(window: { start: number; end: number }, ctx: RunContext): unknown;
  records(envelope: E): unknown[];
  /** A record's time (epoch ms), or undefined when it has none (left for validation to report). */
  time(record: unknown): number | undefined;
  splitAt: number;
}): Strategy<{ start: number; end: number; head?: true }, E> {
  type W = { start: number; end: number; head?: true };
  /** The next batch of windows of `size` from `from`, the last one marked to plan the one after. */
  const batch = (from: number, to: number, size: number): W[] => {
    const out: W[] = [];
    for (let start = from; start < to && out.length < WINDOW_BATCH; start += size) out.push({ start, end: Math.min(start + size, to) });
    const last = out[out.length - 1];
    if (last && last.end < to) last.head = true;
    return out;
  };
  const target = Math.max(1, Math.floor(spec.splitAt * WINDOW_TARGET_SHARE));
  return {
    kind: "time-window",
    parallel: true,
    envelope: spec.envelope,
    start: (ctx, resume) => {
      const since = ctx.since;
      if (since === undefined) throw new Error("time windows need a start (the vendor definition gives defaultSince)");
      if (!resume) return { states: batch(since, ctx.until, ctx.windowMs), skip: 0 };
      const { start, end } = resume.state;
      return { states: [{ start, end }, ...batch(end, ctx.until, ctx.windowMs)], skip: resume.skip };
    },
    request: (window, ctx) => ({ url: buildUrl(ctx.origin, spec.path, []), body: spec.body({ start: window.start, end: window.end }, ctx) }),
    read: (envelope, window, ctx) => {
      const records = spec.records(envelope);
      const span = window.end - window.start;
      if (records.length >= spec.splitAt && span > 1_000) {
        const parts: W[] = [];
        const step = Math.max(1_000, Math.ceil(span / WINDOW_SPLIT_WAYS));
        for (let start = window.start; start < window.end; start += step) parts.push({ start, end: Math.min(start + step, window.end) });
        // The split window's duty to plan what follows passes to its last part.
        if (window.head) parts[parts.length - 1]!.head = true;
        return { records: [], next: parts };
      }
      // Each window keeps [start, end) only: vendors often include both bounds, and an event on
      // a boundary must come once.
      const inWindow = records.filter((record) => {
        const at = spec.time(record);
        return at === undefined || (at >= window.start && at < window.end);
      });
      if (!window.head) return { records: inWindow, next: [] };
      // Empty: grow fourfold; otherwise size the next windows for `target` records each.
      const size = inWindow.length === 0 ? span * 4 : Math.min(span * 4, (span * target) / inWindow.length);
      return { records: inWindow, next: batch(window.end, ctx.until, Math.max(1_000, Math.floor(size))) };
    },
  };
}
