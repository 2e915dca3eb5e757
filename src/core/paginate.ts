/**
 * One pagination engine for every vendor. A strategy is data plus small functions (what to
 * request for a state, what a response says comes next); the engine owns everything else:
 * prefetch, parallel pages in order, loop guards, abort, and the position a checkpoint records.
 */
import type { z } from "zod";
import { abortReason } from "../internal/clock.js";
import { PaginationLoopError, ResponseValidationError } from "./errors.js";
import type { HttpClient } from "./http.js";
import { tracePage } from "./telemetry.js";
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

  // `status` and `retries` are for the page's span (telemetry.ts).
  const fetchSlot = async (slot: Slot): Promise<{ page: RawPage<S>; next: S[]; after?: PaginationLoopError; status: number; retries: number }> => {
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
    const answer = { status: result.status, retries: result.attempts - 1 };
    // Guards: a state seen before is a loop; so is a long run of empty pages that claim more.
    for (const next of read.next) {
      const key = JSON.stringify(next);
      if (seenStates.has(key)) {
        const after = new PaginationLoopError(ctx.vendor, `the server sent the same pagination position twice (${strategy.kind}); stopping instead of looping`);
        return { page, next: [], after, ...answer };
      }
      seenStates.add(key);
    }
    if (!strategy.parallel) {
      emptyRun = read.records.length === 0 && read.next.length > 0 ? emptyRun + 1 : 0;
      if (emptyRun >= MAX_EMPTY_PAGES) {
        throw new PaginationLoopError(ctx.vendor, `${MAX_EMPTY_PAGES} empty pages in a row claimed more results; stopping instead of looping`);
      }
    }
    return { page, next: read.next, ...answer };
  };

  // Starts fetches for the first `ahead` slots. A finished page inserts its successors right
  // after itself, so order is kept however many are in flight.
  const fill = () => {
    for (let i = 0; i < slots.length && i < ahead; i++) {
      const slot = slots[i]!;
      if (slot.result) continue;
      slot.result = tracePage(ctx.vendor, () => fetchSlot(slot)).then(({ page, next, after }) => {
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
}): Strategy<string | null, E> {
  return {
    kind: "cursor",
    parallel: false,
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
}): Strategy<string, E> {
  return {
    kind: "link",
    parallel: false,
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

/**
 * Time windows (Datafold, which has no pagination): `[since, until)` cut into `windowMs` slices
 * with no gap and no overlap, read in parallel and yielded in time order. A window whose answer
 * reaches `splitAt` records may have been cut short by the server, so it is split in two and
 * read again (down to one second).
 */
export function timeWindowStrategy<E>(spec: {
  envelope: z.ZodType<E>;
  path: string;
  body(window: { start: number; end: number }, ctx: RunContext): unknown;
  records(envelope: E): unknown[];
  /** A record's time (epoch ms), or undefined when it has none (left for validation to report). */
  time(record: unknown): number | undefined;
  splitAt: number;
}): Strategy<{ start: number; end: number }, E> {
  type W = { start: number; end: number };
  const windows = (from: number, to: number, size: number): W[] => {
    const out: W[] = [];
    for (let start = from; start < to; start += size) out.push({ start, end: Math.min(start + size, to) });
    return out;
  };
  return {
    kind: "time-window",
    parallel: true,
    envelope: spec.envelope,
    start: (ctx, resume) => {
      const since = ctx.since;
      if (since === undefined) throw new Error("time windows need a start (the vendor definition gives defaultSince)");
      if (!resume) return { states: windows(since, ctx.until, ctx.windowMs), skip: 0 };
      return { states: [resume.state, ...windows(resume.state.end, ctx.until, ctx.windowMs)], skip: resume.skip };
    },
    request: (window, ctx) => ({ url: buildUrl(ctx.origin, spec.path, []), body: spec.body(window, ctx) }),
    read: (envelope, window) => {
      const records = spec.records(envelope);
      if (records.length >= spec.splitAt && window.end - window.start > 1_000) {
        const mid = window.start + Math.floor((window.end - window.start) / 2);
        return { records: [], next: [{ start: window.start, end: mid }, { start: mid, end: window.end }] };
      }
      // Each window keeps [start, end) only: vendors often include both bounds, and an event on
      // a boundary must come once.
      const inWindow = records.filter((record) => {
        const at = spec.time(record);
        return at === undefined || (at >= window.start && at < window.end);
      });
      return { records: inWindow, next: [] };
    },
  };
}

