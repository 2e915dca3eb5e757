/**
 * Read-ahead (DESIGN §9, memory): what the engines fetch before the consumer asks for it is
 * counted in records, for one stream or for every stream of a `mergeEvents` at once, and is
 * fetched only as far as the consumer can use it.
 *
 * Two bounds. `ReadAhead` is the budget: records fetched, or asked for by requests in flight
 * (at the page size expected), that the consumer has not taken yet. A page the consumer needs
 * next (the head of a chain, and the `prefetch` pages after it) is always fetched and counted;
 * anything further ahead (parallel pages, slices ahead of the one being yielded) only while it
 * fits. A merge shares one budget between its streams, so five streams together read ahead as
 * far as the most demanding of them would alone, not five times as far. Alone, a stream's budget
 * has no limit: its engines' own bounds decide, as they always have.
 *
 * `DrainMeter` is the second, per stream: read-ahead beyond what the consumer takes in a few
 * round trips buys nothing (a consumer slower than the server finds every page waiting anyway),
 * while it costs memory: pages held across garbage collections end in V8's old space. The
 * meter smooths the round trips of the stream's requests and how fast the consumer takes its
 * pages, and tells how many records ahead are worth fetching. Until both have been seen (and
 * with a clock that does not move, as in tests), it says no bound.
 */

/**
 * The budget, as its users see it: structural, so that a merge made by one copy of the package
 * (ESM and CJS side by side) can share its budget with streams of another.
 */
export interface ReadAheadBudget {
  /** The most records held; `join` raises it. */
  readonly limit: number;
  /** Records held: fetched or asked for, not yet taken by the consumer. */
  readonly held: number;
  /** A stream joins with the bound it would have alone: the limit becomes the largest of them. */
  join(limit: number): void;
  /** Counts records the consumer needs (never refused). */
  take(records: number): void;
  /** Counts records of read-ahead if they fit under the limit; false (and nothing counted) otherwise. */
  tryTake(records: number): boolean;
  /** Frees records: taken by the consumer, or asked for and not brought. */
  release(records: number): void;
  /** `listener` runs (on a microtask) after records are freed, until the returned function is called. */
  onRelease(listener: () => void): () => void;
}

/** One budget of records read ahead; see the file's comment. */
export class ReadAhead implements ReadAheadBudget {
  #limit: number;
  #held = 0;
  readonly #listeners = new Set<() => void>();
  #notifying = false;

  constructor(limit = 0) {
    this.#limit = limit;
  }

  get limit(): number {
    return this.#limit;
  }

  get held(): number {
    return this.#held;
  }

  join(limit: number): void {
    if (limit > this.#limit) {
      this.#limit = limit;
      this.#notify();
    }
  }

  take(records: number): void {
    this.#held += records;
  }

  tryTake(records: number): boolean {
    if (this.#held + records > this.#limit) return false;
    this.#held += records;
    return true;
  }

  release(records: number): void {
    if (records <= 0) return;
    this.#held = Math.max(0, this.#held - records);
    this.#notify();
  }

  onRelease(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Listeners run once per burst of releases, after the code that released has run on. */
  #notify(): void {
    if (this.#notifying || this.#listeners.size === 0) return;
    this.#notifying = true;
    queueMicrotask(() => {
      this.#notifying = false;
      for (const listener of [...this.#listeners]) listener();
    });
  }
}

/** A value the budget of another copy of the package may have handed over: used only if it has the methods. */
export function asBudget(value: unknown): ReadAheadBudget | undefined {
  if (value === null || typeof value !== "object") return undefined;
  const b = value as Record<string, unknown>;
  return ["join", "take", "tryTake", "release", "onRelease"].every((k) => typeof b[k] === "function") ? (value as ReadAheadBudget) : undefined;
}

/**
 * Round trips of the consumer's intake fetched ahead: what the consumer takes in the quickest
 * recent round trip must be on its way to keep it busy (Little's law); the margin covers
 * consumers and round trips that vary (a page of slow records, a busy event loop: on two
 * loaded cores a JITSudo page of 1,000 took 10 to 55 ms to normalize and take, and with a
 * margin of six the bound fell under four pages a slot where the backfill needed them).
 */
const DRAIN_ROUND_TRIPS = 12;

/**
 * Waits for an answer's headers worth of slack in `DrainMeter.slots`, over one. It was 1.5 while
 * a page's parse was counted from its headers and again in the consumer's holding (`taken`),
 * which made a page look 1.3–2 times as costly as it was; with the thread's time counted once,
 * 1.5 gave a near server (the memory step's: headers in 4–7 ms, a page of 1,000 costing 5–6)
 * two slots where it had one, and JITSudo's million 8 MB more RSS (medians of six, 63.9 against
 * 56.0) for 5 % more speed; 1.25 keeps what the near server had (61.0 against 58.6, medians of
 * four) and every slot against a server 100 ms away.
 */
const SLOT_MARGIN = 1.25;

/** How far past the slots in use the estimate is to go before `DrainMeter.slots` adds one. */
const SLOT_HYSTERESIS = 0.5;

/**
 * Waits for an answer's headers that the records of `DrainMeter.recordsWorth` keep the thread
 * busy for, with every slot in use: room for waits that vary and for the slots rule's margin.
 */
const REQUEST_MARGIN = 4;

/** Weight of the newest sample in the smoothed intake. */
const SMOOTHING = 1 / 8;

/** Round trips in a block; the quickest of this block and the one before is the round trip used. */
const ROUND_TRIP_BLOCK = 16;

/**
 * How fast a stream's consumer takes its records while it has them (records per ms of the time
 * it holds a page: what it could take, not what the reads let it take, which would shrink the
 * read-ahead that holds it back), and how quickly the server answers when it is not queueing
 * this stream's own requests: the quickest recent round trip, since the more a stream has in
 * flight to a busy server, the longer each takes without bringing more.
 */
export class DrainMeter {
  readonly #now: () => number;
  readonly #roundTrips = new Quickest();
  /** Waits for an answer's headers. */
  readonly #waits = new Quickest();
  /** Smoothed records per page and ms the consumer held a page: their ratio is its intake. */
  #records: number | undefined;
  #ms = 0;
  /** Smoothed ms from an answer's body read to its page parsed: the thread's time a page's parse costs. */
  #parse: number | undefined;
  /** Every such ms measured, summed: `taken` leaves out what ran while the consumer held its page. */
  #parsing = 0;
  /** The slots last found worth using. */
  #slots = 1;

  constructor(now: () => number) {
    this.#now = now;
  }

  now(): number {
    return this.#now();
  }

  /** A request that started at `since` (a `now()` value) was answered. */
  answered(since: number): void {
    this.#roundTrips.add(Math.max(0, this.#now() - since));
  }

  /** Ms of parsing measured so far (`parsed`), for `taken`'s `parsingSince`. */
  get parsing(): number {
    return this.#parsing;
  }

  /**
   * The consumer took a page of `records`, handed to it at `since`, when `parsing` was
   * `parsingSince`: the pages parsed while it held this one (answers come in while the consumer
   * works, and are parsed between its records) are the thread's time for those pages, counted
   * in `parsed`, not the consumer's. Counted in both (and its parse from its headers on), a
   * Datafold window of 9,000 logs was costed at 130–200 ms of the thread where it cost about 80,
   * and the slots worth using came to 2–3 of 4 at 300 ms.
   */
  taken(records: number, since: number, parsingSince = this.#parsing): void {
    const ms = Math.max(0, this.#now() - since - (this.#parsing - parsingSince));
    if (this.#records === undefined) {
      this.#records = records;
      this.#ms = ms;
    } else {
      this.#records += SMOOTHING * (records - this.#records);
      this.#ms += SMOOTHING * (ms - this.#ms);
    }
  }

  /**
   * An answer whose body had been read at `since`, its chunks decoded in `decodeMs`, was parsed
   * (and checked) into its page: the thread's own work, where the read from its headers on also
   * waited on the network and on the consumer (a body of 4 MB comes in chunks between the
   * consumer's records).
   */
  parsed(since: number, decodeMs = 0): void {
    const ms = Math.max(0, this.#now() - since) + Math.max(0, decodeMs);
    this.#parsing += ms;
    this.#parse = this.#parse === undefined ? ms : this.#parse + SMOOTHING * (ms - this.#parse);
  }

  /** A request that started at `since` had its answer's headers in: the server's part of its round trip. */
  headers(since: number): void {
    this.#waits.add(Math.max(0, this.#now() - since));
  }

  /**
   * Requests at once worth making, of `max`, for a consumer that takes a page at a time (Little's
   * law): the quickest recent wait for an answer's headers over the thread's time a page costs
   * (decoding and parsing its body, then the consumer holding it, less the other pages parsed
   * meanwhile), with a quarter as much again to spare. The wait for the headers, not for the
   * parsed page: parsing takes this thread, which more requests in flight do not add, so it
   * counts on the other side. Against a server 100 ms
   * away, with a consumer that takes a page of 1,000 in 5 to 10 ms, that is every slot; against
   * one that builds a page of 1,000 in 5 to 8 ms (the memory step's, on loopback) one or two.
   * One more only once the estimate is half a slot past the ones in use, one fewer as soon as
   * fewer would do: an estimate that wavers about a whole number would otherwise add a slot, and
   * the read-ahead bound that comes with it, every other page. One until a wait and a page taken
   * have been seen; `max` when the clock does not move (tests) or a page costs no measurable time.
   */
  slots(max: number): number {
    const wait = this.#waits.value;
    if (wait === Infinity || this.#records === undefined) return 1;
    const busy = this.#ms + (this.#parse ?? 0);
    if (!(busy > 0) || !(wait > 0)) return max;
    const worth = (SLOT_MARGIN * wait) / busy;
    const current = this.#slots;
    // Fewer at once as soon as fewer are worth it; more only once clearly so.
    if (Math.ceil(worth) < current || worth > current + SLOT_HYSTERESIS) this.#slots = Math.max(1, Math.ceil(worth));
    return Math.min(max, this.#slots);
  }

  /**
   * Records one request is worth asking for when `slots` are in flight at once (a time window's
   * size, where the API lets the reader choose it): what the thread works through (parsing a
   * page and the consumer holding it) in `REQUEST_MARGIN` of the quickest recent waits for an
   * answer's headers, shared by the slots. Fewer would leave the thread waiting on the server;
   * more only hold memory while they wait their turn. Against a Datafold 100 ms away, at 9 µs a
   * log, that is 11,000 logs a window (past the server's cap, so its cap decides); against the
   * memory step's, on loopback, a few hundred. Undefined until a wait and a page taken have been
   * seen; Infinity when a page costs no measurable time (a clock that does not move, as in tests).
   */
  recordsWorth(slots: number): number | undefined {
    const wait = this.#waits.value;
    if (wait === Infinity || this.#records === undefined) return undefined;
    const busy = this.#ms + (this.#parse ?? 0);
    if (!(busy > 0)) return Infinity;
    return Math.ceil((REQUEST_MARGIN * wait * this.#records) / (busy * Math.max(1, slots)));
  }

  /**
   * Records ahead worth fetching: what the consumer takes in `DRAIN_ROUND_TRIPS` of the quickest
   * recent round trips. Infinity while either is unknown, or when the consumer takes its pages
   * in no measurable time (it waits on the server, and whatever comes is taken at once; or a
   * clock that does not move).
   */
  useful(): number {
    const roundTrip = this.#roundTrips.value;
    if (roundTrip === Infinity || this.#records === undefined || !(this.#ms > 0)) return Infinity;
    return Math.ceil((DRAIN_ROUND_TRIPS * roundTrip * this.#records) / this.#ms);
  }
}

/**
 * Records ahead small pages may hold with every slot in use where fewer would be worth it
 * (`slotsToUse`): a page of 1,000, ten of Zendesk's.
 */
export const SMALL_PAGES_AHEAD = 1_000;

/**
 * Requests at once to send, of `concurrency`, given the slots worth using (`DrainMeter.slots`)
 * and the records a page brings: those slots, unless one page for every slot is at most
 * `SMALL_PAGES_AHEAD` records. Pages that small cost a request each for little and hold little,
 * so every slot is used (Zendesk's pages of 100 on the replaying server: 0.76–0.81 of the
 * hand-written loop so, against a median of 0.67 with the slots alone; slices.ts, `slotPlan`).
 */
export function slotsToUse(worth: number, concurrency: number, pageRecords: number): number {
  return worth < concurrency && pageRecords * concurrency > SMALL_PAGES_AHEAD ? worth : concurrency;
}

/** The quickest of recent durations: of this block of `ROUND_TRIP_BLOCK` and the one before; Infinity before any. */
class Quickest {
  #blockMin = Infinity;
  #previousMin = Infinity;
  #inBlock = 0;

  get value(): number {
    return Math.min(this.#blockMin, this.#previousMin);
  }

  add(ms: number): void {
    this.#blockMin = Math.min(this.#blockMin, ms);
    if (++this.#inBlock >= ROUND_TRIP_BLOCK) {
      this.#previousMin = this.#blockMin;
      this.#blockMin = Infinity;
      this.#inBlock = 0;
    }
  }
}
