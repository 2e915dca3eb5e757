/**
 * Parallel time slices (DESIGN §13), for a vendor whose requests honour `ctx.since`/`ctx.until`
 * (its pagination says `timeSlices`). `[since, until)` is read as up to `concurrency` cursor
 * chains over sub-ranges at once, each chain the one pagination engine (`paginate`) over its
 * slice, and the pages are yielded in time order: slice after slice, each in the vendor's order.
 *
 * Slots: at most `concurrency` requests await an answer at once, and only as many as keep the
 * consumer busy (`DrainMeter.slots`: the server's wait over the time the consumer holds a page;
 * one until both are known). A slot is free again once its answer's headers are in, while the
 * chain reads and parses the body (its next request needs the cursor in it): another chain
 * whose next request is known takes the slot, so a run keeps about one chain more than slots;
 * if that body then breaks off, its retry waits for a free slot like any other request. With
 * `concurrency: 1`, a slot is held until its page is parsed: strictly one request at a time.
 *
 * Rebalancing: a slot with nothing to fetch splits the front-most slice with a few pages left
 * (`FRONT_SPLIT_PAGES`), or else the largest remaining slice, at the point its chain has reached
 * (the chain keeps the first half of what is left in whole pages, a new chain reads the second:
 * `splitPoint`), so skewed data keeps every slot busy. Memory stays bounded: a chain that is not the
 * one being yielded stops fetching once the slices before it, and itself, hold
 * `BUFFERED_RECORDS` records not yet yielded (or four pages per slot, if more; with fewer slots
 * in use than `concurrency`, a page for each beyond the head's), or what the consumer takes in a
 * few round trips if that is less, or when the run's read-ahead budget (a
 * merge's, shared: read-ahead.ts) is full; the free slot then splits a slice nearer the front.
 *
 * Boundaries: every slice keeps `[since, until)` of its own records (`RawPage.bounds`), whatever
 * the vendor's own bounds (Zendesk's are inclusive whole seconds), so an event on a boundary
 * comes once. Interior boundaries fall on whole seconds.
 *
 * Checkpoints: a page's state is `{ since, until, state }`, its slice and the inner chain state.
 * Everything before the slice being yielded has been yielded and nothing after it, so resuming
 * reads that slice on from the inner state and cuts `[until, ctx.until)` into slices afresh:
 * every open slice is read again, exactly once.
 */
import { setMaxListeners } from "node:events";
import { abortReason } from "../internal/clock.js";
import { sameUtcShape, utcShapeOf } from "./event.js";
import type { HttpClient } from "./http.js";
import { paginate, sendStarted, type EngineOptions, type PageContext, type Pagination, type Position, type RawPage } from "./paginate.js";
import { SMALL_PAGES_AHEAD, slotsToUse } from "./read-ahead.js";

/** The state of a page read by a sliced run: its slice and the state of the chain within it. */
export interface SliceState<S> {
  since: number | null;
  /** The slice's end: its records at or after it are the next slice's. */
  until: number;
  state: S;
  /** The end its requests ask for, when a split made the slice shorter (they keep asking it, so a re-read page is the same page). */
  requested?: number;
}

/**
 * Records fetched ahead and not yet yielded, beyond which chains further on wait: the larger of
 * this and `BUFFERED_PAGES_PER_SLOT` pages per slot (`concurrency`).
 */
export const BUFFERED_RECORDS = 4_000;
const BUFFERED_PAGES_PER_SLOT = 4;

/**
 * Requests at once and records ahead (the bound chains past the head stop at), from the slots
 * worth using (`DrainMeter.slots`, of `concurrency`) and the records a page brings:
 * - every slot worth it: every slot, and a page ahead for each slot worth it beyond the head's
 *   (`worth` is not capped by `concurrency`), at least `SMALL_PAGES_AHEAD` records, at most
 *   `buffered`: a server far away (worth far past the slots) gets the whole bound, one just worth
 *   every slot what one slot fewer would get. With the whole bound whenever every slot was worth
 *   it, `concurrency: 2` against a near server (the memory step's) held eight pages of 1,000
 *   ahead where `concurrency: 4`, worth fewer slots, held one: JITSudo's million grew RSS by
 *   124–132 MB, 62–71 so (at 4: 57–74, unchanged; at 100 ms both backfills as before);
 * - fewer, with pages small enough for every slot (`slotsToUse`): every slot, and
 *   `SMALL_PAGES_AHEAD` records ahead. Two or three pages of 100 ahead are a few ms of the
 *   consumer's work, which a pause of the event loop (a collection) drains: on the replaying
 *   server Zendesk's pages of 100 read at 0.76–0.81 of the hand-written loop so (three runs),
 *   against 0.62–0.79, median 0.67, with the slots alone (six) and 0.60–0.64 with every slot but
 *   300 records ahead; the memory step's million grew RSS by 60 MB, against 47–54 with the slots
 *   alone;
 * - fewer, with larger pages: those slots, and a page ahead for each slot beyond the head's.
 *   Against a server that is itself the bottleneck what they read ahead only waits (JITSudo's
 *   memory step: 64–69 MB of RSS against 135–166 with the bound of every slot; with every slot
 *   and `SMALL_PAGES_AHEAD`, 68–70 MB, and 0.46–0.50 of the hand-written loop on the replaying
 *   server against 0.60–0.63).
 */
export function slotPlan(worth: number, concurrency: number, pageRecords: number, buffered: number): { slots: number; bound: number } {
  if (worth >= concurrency) return { slots: concurrency, bound: Math.min(buffered, Math.max(SMALL_PAGES_AHEAD, (Math.ceil(worth) - 1) * pageRecords)) };
  const slots = slotsToUse(worth, concurrency, pageRecords);
  return { slots, bound: slots === concurrency ? SMALL_PAGES_AHEAD : (slots - 1) * pageRecords };
}

/** A range at least this long is cut into `concurrency` slices before the first request. */
const INITIAL_CUT_MIN_MS = 24 * 60 * 60_000;

/** Slices are not cut smaller than this (whole seconds: Zendesk's precision). */
const MIN_SLICE_MS = 2_000;

/**
 * A record's time in epoch ms, or undefined when it has none. `field`, when set, names the
 * record's field holding its time as text (`timeOfField`).
 */
export type TimeOf = ((record: unknown) => number | undefined) & { readonly field?: string };

/**
 * Whether `records` are in time order (equal times allowed) from `from` (ms), every one with a
 * usable time: the ms of the first and of the last (`reached`; `from` when there are none), or
 * `ascending: false` at the first that is not (`reached` then the last time read before it).
 * With `timeOf.field`, a record whose time text has the layout of the one before
 * (`sameUtcShape`) and does not sort before it is in order without being read; only the others
 * (the first, the last, those of another layout or sorting before) are read into ms: a JITSudo
 * record's read costs 85-95 ns, its comparison ~20.
 */
export function ascendingTimes(records: readonly unknown[], timeOf: TimeOf, from: number): { ascending: boolean; first: number | undefined; reached: number } {
  const field = timeOf.field;
  const last = records.length - 1;
  let reached = from;
  let first: number | undefined;
  // The time text of the record before, when it is a UTC time of the layout compared as text,
  // and that record when its time was not read (`reached` is then an earlier record's).
  let shape: string | undefined;
  let unread: unknown;
  for (let i = 0; i <= last; i++) {
    const record = records[i];
    const text = field === undefined || record === null || typeof record !== "object" ? undefined : (record as Record<string, unknown>)[field];
    // Not before the one before as text: not before it in ms. (Before it as text may still be
    // the same ms, below a millisecond: read, as a time of another layout is.)
    if (shape !== undefined && typeof text === "string" && sameUtcShape(text, shape) && text >= shape) {
      shape = text;
      unread = record;
      if (i < last) continue;
    } else if (unread !== undefined) {
      // Compared in ms with the record before, whose time is read now.
      const before = timeOf(unread);
      if (before === undefined) return { ascending: false, first, reached };
      reached = before;
    }
    unread = undefined;
    const at = timeOf(record);
    if (at === undefined || at < reached) return { ascending: false, first, reached };
    first ??= at;
    reached = at;
    shape = field === undefined ? undefined : utcShapeOf(text);
  }
  return { ascending: true, first, reached };
}

/** `value` if it is a sliced state; a checkpoint made before slicing holds the inner state alone. */
export function isSliceState(value: unknown): value is SliceState<unknown> {
  return (
    value !== null &&
    typeof value === "object" &&
    "state" in value &&
    typeof (value as { until?: unknown }).until === "number" &&
    ((value as { since?: unknown }).since === null || typeof (value as { since?: unknown }).since === "number")
  );
}

interface Chain<S> {
  since: number | undefined;
  /** Where the slice ends; a split moves it earlier, never the requests' `ctx.until`. */
  until: number;
  /** The engine over this slice; undefined until the chain starts. */
  pages: AsyncGenerator<RawPage<S>, void, undefined> | undefined;
  /** The context its requests read, fixed for the chain's life. */
  ctx: PageContext<any>;
  resume: Position<S> | undefined;
  /** Pages fetched, not yet yielded (the first may be in the caller's hands). */
  buffer: Array<RawPage<SliceState<S>>>;
  records: number;
  /** Records fetched in all, and the largest page: how dense the slice is. */
  fetched: number;
  largestPage: number;
  pulling: boolean;
  /** When its request in flight was sent (the read-ahead meter's clock). */
  sentAt: number;
  /** When its answer's headers came in (the read-ahead meter's clock). */
  headersAt: number;
  /** When its answer's body had been read, to be parsed (the read-ahead meter's clock), and the ms its chunks took to decode. */
  bodyAt: number;
  decodeMs: number;
  /**
   * Its answer's headers are in and its body is being read: the server is done with the
   * request, so its slot is another chain's (the next request of this one needs the body).
   */
  answered: boolean;
  /** Records it holds in the read-ahead budget: its buffer, and what its request in flight asked for. */
  counted: number;
  done: boolean;
  error: { value: unknown } | undefined;
  /** Latest record time fetched; -1 before any. */
  reached: number;
  /** Records per ms on its latest page. */
  density: number;
  /** Records came oldest first so far (only such a chain is split or stopped early). */
  ascending: boolean;
}

const secondFloor = (ms: number) => Math.floor(ms / 1000) * 1000;

/**
 * Where to split what is left of a chain's slice, `[from, until)`, in whole pages at the density
 * of its latest page (a page of records spans `perPage` ms there). The chain keeps about half of
 * what is left, and its last page before the split ends some way (`overlap`) past the split
 * point; the new chain reads `[split, until)` and the records of that page past the split point
 * again. Some fraction of a page is left over at `until` whether or not the chain is split, and
 * the overlap moves onto it: the split costs no request unless the new chain's last page then
 * overflows (or nearly: the records on `until`'s second, which an inclusive `to` brings back,
 * would), and the new chain pays a request for a sliver.
 *
 * The room under a whole page (`room`) is what later splits of both chains share: the chain's
 * next split point lies `overlap` short of a page's end, the new chain's last page holds
 * `overlap` more. A fixed overlap (a tenth, then a twentieth) spent it on one side: a chain
 * split again and again ended in pages of 1, 2 or 50 records (a twentieth of JITSudo's
 * requests). So the overlap halves the room, at most a quarter of a page, and is a few records
 * once there is none left. (Offline, splitting slices of 60 to 160 pages 25 times at random:
 * 0.06 requests a split beyond the pages, against 0.33 for an overlap of a twentieth with what
 * room is left, and more for a fixed tenth.)
 */
export function splitPoint(c: Pick<Chain<unknown>, "reached" | "density" | "largestPage">, from: number, until: number): number {
  const middle = secondFloor(from + (until - from) / 2);
  if (c.reached < 0 || c.density <= 0 || c.largestPage <= 0) return middle;
  const perPage = c.largestPage / c.density;
  // Pages of records after the chain's latest one, up to the slice's end.
  const left = (until - c.reached) / perPage;
  const keep = Math.floor(left / 2);
  if (keep < 1) return middle;
  // Records that may come on top of the estimate: those on the bounds' seconds (whole seconds:
  // the split point is floored to one, `until`'s own may come back), and a few more.
  const spare = (2 * 1000 * c.density + SPARE_RECORDS) / c.largestPage;
  const room = 1 - spare - (left - Math.floor(left));
  const overlap = room >= 2 * spare ? Math.min(MAX_OVERLAP, (room + spare) / 2) : spare;
  return Math.max(from, secondFloor(c.reached + (keep - overlap) * perPage));
}

/** Pages left (at its chain's density) that make a slice split before larger ones after it. */
const FRONT_SPLIT_PAGES = 3;

/** The most a chain's last page is aimed past its split point, in pages (its records past it are read twice). */
const MAX_OVERLAP = 0.25;
/** Records a split's estimate leaves room for beyond those on the bounds' seconds. */
const SPARE_RECORDS = 3;

export async function* paginateSlices<S, Body>(
  http: HttpClient,
  pagination: Pagination<S, Body, any>,
  ctx: PageContext<any>,
  options: EngineOptions & { timeOf: TimeOf },
  resume?: Position<SliceState<S> | S>,
): AsyncGenerator<RawPage<SliceState<S>>, void, undefined> {
  if (options.signal?.aborted) throw abortReason(options.signal);
  const { concurrency, prefetch, timeOf, readAhead } = options;
  // Scaled to the page: with pages of 1,000 a bound of four pages made chains stop after a page
  // or two and free slots split the head slice again and again (each split ends a chain on a
  // partly used page: 15–20 % more requests for JITSudo).
  const buffered = Math.max(BUFFERED_RECORDS, BUFFERED_PAGES_PER_SLOT * concurrency * (ctx.pageSize ?? 0));
  // In the budget (read-ahead.ts) a request counts what it is expected to bring: the page size
  // asked, or the largest page yet. Alone, the bound above decides (it counts pages come, not
  // pages asked for, and lets a page cross it); in a merge, the budget shared is the largest of
  // its streams' bounds, each with a page in flight and one crossing for every slot and the
  // pages its consumer needs next.
  let expected = Math.max(1, ctx.pageSize ?? 0);
  readAhead?.budget.join(buffered + (2 * concurrency + 1 + prefetch) * expected);
  /** Records a chain holds in the budget change by `records` (nothing once the run stopped: it gave back all). */
  const count = (c: Chain<S>, records: number) => {
    if (!readAhead || stopped || records === 0) return;
    if (records > 0) readAhead.budget.take(records);
    else readAhead.budget.release(-records);
    c.counted += records;
  };
  /** Room in the budget for one more page ahead. */
  const room = () => !readAhead || readAhead.budget.held + expected <= readAhead.budget.limit;

  // One abort for every chain: breaking out stops them all, requests in flight included.
  const abort = new AbortController();
  // Every chain's engine listens on it; splits can make more than Node's default ten.
  setMaxListeners(0, abort.signal);
  const onOuterAbort = () => abort.abort(options.signal!.reason);
  options.signal?.addEventListener("abort", onOuterAbort, { once: true });
  const chain = (since: number | undefined, until: number, at?: Position<S>, requested = until): Chain<S> => ({
    since,
    until,
    pages: undefined,
    ctx: { ...ctx, since, until: requested },
    resume: at,
    buffer: [],
    records: 0,
    fetched: 0,
    largestPage: 0,
    pulling: false,
    sentAt: 0,
    headersAt: 0,
    bodyAt: 0,
    decodeMs: 0,
    answered: false,
    counted: 0,
    done: false,
    error: undefined,
    reached: -1,
    density: 0,
    ascending: true,
  });
  /** `[from, to)` in up to `parts` slices with whole-second interior bounds. */
  const cut = (from: number | undefined, to: number, parts: number): Array<Chain<S>> => {
    if (from === undefined || parts <= 1 || to - from < parts * MIN_SLICE_MS) return [chain(from, to)];
    const out: Array<Chain<S>> = [];
    let start = from;
    for (let i = 1; i < parts; i++) {
      const end = secondFloor(from + ((to - from) * i) / parts);
      if (end > start) {
        out.push(chain(start, end));
        start = end;
      }
    }
    out.push(chain(start, to));
    return out;
  };

  let chains: Array<Chain<S>>;
  if (resume) {
    const sliced = isSliceState(resume.state) ? resume.state : { since: ctx.since ?? null, until: ctx.until, state: resume.state };
    const end = Math.min(sliced.until, ctx.until);
    const first = chain(sliced.since ?? undefined, end, { state: sliced.state as S, skip: resume.skip }, Math.max(end, Math.min(sliced.requested ?? end, ctx.until)));
    chains = [first, ...(first.until < ctx.until ? cut(first.until, ctx.until, concurrency - 1) : [])];
  } else {
    // A range shorter than a day (a next run) starts as one chain: with nothing new it costs one
    // request, not one a slice, and if it is dense the free slots split it where its first page
    // says. A longer one (a backfill) is cut at once, so every slot starts on its own part.
    const long = ctx.since !== undefined && ctx.until - ctx.since >= INITIAL_CUT_MIN_MS;
    chains = cut(ctx.since, ctx.until, long ? concurrency : 1);
  }

  let wake: () => void = () => undefined;
  let changed = new Promise<void>((resolve) => (wake = resolve));
  const notify = () => {
    wake();
    changed = new Promise<void>((resolve) => (wake = resolve));
  };
  let stopped = false;

  let started = false;
  /** The clock a body's decoding is timed with (`HttpRequest.workClock`). */
  const workClock = readAhead ? () => readAhead.meter.now() : undefined;
  /**
   * Starts a chain's next request. One the consumer needs (`needed`: the head chain's) always
   * starts; one ahead of it only if the budget has room: false otherwise.
   */
  const pull = (c: Chain<S>, needed: boolean): boolean => {
    const asked = expected;
    if (readAhead) {
      if (needed) readAhead.budget.take(asked);
      else if (!readAhead.budget.tryTake(asked)) return false;
      c.counted += asked;
    }
    const sentAt = readAhead?.meter.now();
    c.sentAt = sentAt ?? 0;
    c.pulling = true;
    c.answered = false;
    started = true;
    c.pages ??= paginate(
      http,
      pagination,
      c.ctx,
      { prefetch: 0, concurrency: 1, signal: abort.signal, ...(concurrency > 1 ? { onResponse: () => answered(c), onBody: (decodeMs: number) => bodyRead(c, decodeMs), workClock, beforeResend: () => resend(c) } : {}) },
      c.resume,
    );
    c.pages.next().then(
      (result) => {
        c.pulling = false;
        // The end of a chain comes without a request: no round trip to learn from.
        if (readAhead && !stopped && !result.done) {
          readAhead.meter.answered(sentAt!);
          if (c.answered) readAhead.meter.parsed(c.bodyAt, c.decodeMs);
        }
        count(c, -asked);
        if (result.done) c.done = true;
        else accept(c, result.value);
        if (!stopped) schedule();
        notify();
      },
      (error: unknown) => {
        c.pulling = false;
        count(c, -asked);
        c.done = true;
        c.error = { value: error };
        notify();
      },
    );
    return true;
  };

  /**
   * A chain's answer is in, its body still to read and parse (a page of 1,000 records: several
   * ms, more on a busy loop): its slot goes to a chain whose next request is known, or to a
   * split. Counting the slot until the page was parsed left each slot idle that long every
   * round trip: at 100 ms, JITSudo's requests took 114 ms (median; 154 ms at the 90th
   * percentile) from sent to parsed on a loaded machine, and 3.45 of 4 were in flight when idle.
   */
  const answered = (c: Chain<S>) => {
    c.answered = true;
    if (readAhead && !stopped) {
      c.headersAt = readAhead.meter.now();
      readAhead.meter.headers(c.sentAt);
    }
    if (!stopped) schedule();
  };

  /** A chain's answer's body is read (its chunks decoded in `decodeMs`): what follows to its page is the thread's own work (`DrainMeter.parsed`). */
  const bodyRead = (c: Chain<S>, decodeMs: number) => {
    if (readAhead && !stopped) {
      c.bodyAt = readAhead.meter.now();
      c.decodeMs = decodeMs;
    }
  };

  /**
   * Chains whose answer gave its slot away at its headers and is to be sent again (its body broke
   * off): each waits for a free slot before `schedule` starts anything else, so a retry never
   * makes one request more than `concurrency` await an answer.
   */
  const resending: Array<{ chain: Chain<S>; go: () => void }> = [];
  const resend = (c: Chain<S>) =>
    new Promise<void>((go) => {
      if (stopped) return go();
      resending.push({ chain: c, go });
      schedule();
    });

  /** A page arrives: it is this slice's, cut to the slice's current bounds. */
  const accept = (c: Chain<S>, page: RawPage<S>) => {
    const { records } = page;
    let past = false;
    if (c.ascending) {
      // Every record, not the first and last only: a split point must lie past all of them.
      const from = c.reached;
      const times = ascendingTimes(records, timeOf, from);
      c.ascending = times.ascending;
      c.reached = times.reached;
      const first = times.first;
      // How dense the slice is where its chain stands: this page's records over the time they
      // span (from the page before it), not the slice's average, which lags at a change of density.
      if (c.ascending && first !== undefined) c.density = records.length / Math.max(1000, c.reached - (from >= 0 ? from : first));
      past = c.ascending && c.reached >= c.until;
    }
    const state: SliceState<S> = { since: c.since ?? null, until: c.until, state: page.state };
    if (c.ctx.until !== c.until) state.requested = c.ctx.until;
    c.buffer.push({ ...page, state, bounds: { since: c.since, until: c.until } });
    c.records += records.length;
    count(c, records.length);
    expected = Math.max(expected, records.length);
    c.fetched += records.length;
    c.largestPage = Math.max(c.largestPage, records.length);
    // Oldest first and past the slice's end: the rest of the chain is the next slice's.
    if (past) {
      c.done = true;
      void c.pages!.return(undefined);
    }
  };

  const schedule = () => {
    // The slots worth using now (read-ahead.ts), and what they may read ahead.
    // Uncapped by `concurrency`: how far past it the slots worth using go sizes the bound.
    const worth = readAhead && concurrency > 1 ? readAhead.meter.slots(Infinity) : concurrency;
    const { slots, bound } = slotPlan(worth, concurrency, expected, buffered);
    let inFlight = 0;
    for (const c of chains) if (c.pulling && !c.answered) inFlight += 1;
    while (resending.length > 0 && inFlight < slots) {
      const { chain: c, go } = resending.shift()!;
      c.answered = false;
      inFlight += 1;
      go();
    }
    // Records ahead worth holding, when the consumer takes them slower than the server brings
    // them: a page further must fit whole (the bound may let one more page cross it).
    const useful = readAhead ? readAhead.meter.useful() : Infinity;
    // Fetch in time order: what is fetched first is yielded first.
    let before = 0;
    const eligible: number[] = [];
    for (let i = 0; i < chains.length; i++) {
      const c = chains[i]!;
      const open = before + c.records < bound && before + c.records + expected <= useful;
      if (open) eligible.push(i);
      if (inFlight < slots && !c.pulling && !c.done) {
        const may = i === 0 ? c.buffer.length < 1 + prefetch : open;
        if (may && pull(c, i === 0)) inFlight += 1;
      }
      before += c.records;
    }
    // Free slots: split a slice where the new chain may fetch (the front-most with pages enough, else the largest).
    while (inFlight < slots && concurrency > 1 && room()) {
      let best: { index: number; at: number; size: number; pages: number } | undefined;
      for (const i of eligible) {
        // The front-most slice with a few pages left is split before any larger one further on:
        // the consumer reaches it first, and its chain, a page a round trip, holds up the
        // yield order while the slices after it fill the read-ahead bound and their slots idle
        // (JITSudo at 100 ms: 3.2 to 3.5 requests of 4 in flight when the largest went first).
        if (best && best.pages >= FRONT_SPLIT_PAGES) break;
        const c = chains[i]!;
        // A resumed chain starts past records already yielded: it is not split before its first
        // page says where it stands.
        // Nor is a chain whose first page is on its way: that page tells how dense its slice is.
        if (c.done || !c.ascending || c.since === undefined || (c.reached < 0 && (c.resume || c.pages))) continue;
        // Nor one resumed with a smaller page size whose skip runs past the pages it has: the
        // records still to skip would fall to the new chain, which does not skip them (the
        // carry is per slice), and come twice.
        if (c.resume && c.fetched < c.resume.skip) continue;
        const from = c.reached < 0 ? c.since : secondFloor(c.reached) + 1000;
        const size = c.until - Math.max(from, c.since);
        if (size < MIN_SLICE_MS) continue;
        // What is left, at the density read so far, must fill more than the next two pages
        // this chain will read anyway: a split costs a request of its own.
        if (c.reached >= 0 && c.density * size < 2 * c.largestPage) continue;
        const pages = c.reached < 0 ? Infinity : (c.density * size) / c.largestPage;
        if (!best || size > best.size || pages >= FRONT_SPLIT_PAGES) best = { index: i, at: splitPoint(c, Math.max(from, c.since), c.until), size, pages };
      }
      if (!best) break;
      const c = chains[best.index]!;
      if (best.at <= (c.since ?? -Infinity) || best.at >= c.until) break;
      const next = chain(best.at, c.until);
      c.until = best.at;
      chains.splice(best.index + 1, 0, next);
      // Indices after the split moved by one.
      for (let k = 0; k < eligible.length; k++) if (eligible[k]! > best.index) eligible[k]! += 1;
      eligible.push(best.index + 1);
      pull(next, false);
      inFlight += 1;
    }
  };

  // Room freed by another stream of a merge may let a chain ahead fetch here.
  const unlisten = readAhead?.budget.onRelease(() => {
    if (!stopped) schedule();
  });
  try {
    schedule();
    while (chains.length > 0) {
      const head = chains[0]!;
      const page = head.buffer[0];
      if (page) {
        if (started) {
          started = false;
          await sendStarted();
        }
        // The page in hand stays in the buffer (counted) until the caller asks for the next.
        const handedAt = readAhead?.meter.now();
        const parsingAt = readAhead?.meter.parsing;
        yield page;
        if (readAhead) readAhead.meter.taken(page.records.length, handedAt!, parsingAt);
        head.buffer.shift();
        head.records -= page.records.length;
        count(head, -page.records.length);
        schedule();
        continue;
      }
      if (head.done) {
        if (head.error) throw head.error.value;
        count(head, -head.counted);
        chains.shift();
        schedule();
        continue;
      }
      if (!head.pulling) schedule();
      await changed;
    }
  } finally {
    unlisten?.();
    if (readAhead) readAhead.budget.release(chains.reduce((sum, c) => sum + c.counted, 0));
    stopped = true;
    abort.abort(new Error("pagination stopped"));
    // A retry waiting for a slot goes on to find its signal aborted.
    for (const { go } of resending.splice(0)) go();
    options.signal?.removeEventListener("abort", onOuterAbort);
    // Each chain's engine runs its own cleanup; one with a request in flight ends as it aborts.
    await Promise.allSettled(chains.map((c) => (c.pages && !c.pulling ? c.pages.return(undefined) : undefined)));
  }
}
