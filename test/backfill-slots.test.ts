// DESIGN §9/§13, parallel time slices at the ceiling: a slot is a request awaiting its answer, not
// a chain (a chain's next request needs the body of its last, which takes a while to read and
// parse), and splits cost no request beyond the pages they must read. Checked by what the
// server sees and by the split arithmetic, never by timing.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { SMALL_PAGES_AHEAD } from "../src/core/read-ahead.js";
import { slotPlan, splitPoint } from "../src/core/slices.js";
import { createJitsudoClient, type AuditEvent } from "../src/index.js";
import { createSimulator, type SimulatorServer } from "../src/testing/index.js";
import { countingFetch, eventually, expectExactlyOnce, fakeClock } from "./http-fixtures.js";

const DAY = 86_400_000;
const END = Date.parse("2026-05-01T00:00:00Z");

/**
 * A fetch whose answers' bodies wait (after the first `free` answers) until released: the
 * headers arrive at once, the body when `release()` is called. `awaiting` counts requests sent
 * whose headers have not arrived; `open` those whose body has not been read to its end.
 */
function heldBodies(free: number) {
  const held: Array<() => void> = [];
  const counter = { awaiting: 0, maxAwaiting: 0, open: 0, maxOpen: 0, requests: 0 };
  let releasing = false;
  const fetchFn: typeof fetch = async (input, init) => {
    counter.requests += 1;
    counter.awaiting += 1;
    counter.open += 1;
    counter.maxAwaiting = Math.max(counter.maxAwaiting, counter.awaiting);
    counter.maxOpen = Math.max(counter.maxOpen, counter.open);
    let answer: Response;
    try {
      answer = await fetch(input, init);
    } finally {
      counter.awaiting -= 1;
    }
    const bytes = new Uint8Array(await answer.arrayBuffer());
    const hold = counter.requests > free && !releasing;
    const body = new ReadableStream<Uint8Array>({
      async start(controller) {
        if (hold) await new Promise<void>((resolve) => held.push(resolve));
        controller.enqueue(bytes);
        controller.close();
        counter.open -= 1;
      },
    });
    return new Response(body, { status: answer.status, headers: answer.headers });
  };
  /** Lets the bodies held so far go on; `forever`, every body from then on too. */
  const release = (forever = true) => {
    if (forever) releasing = true;
    held.splice(0).forEach((resolve) => resolve());
  };
  return { held, counter, fetch: fetchFn, release };
}

describe("slots are requests awaiting an answer (JITSudo)", () => {
  const sim = createSimulator({ vendors: ["jitsudo"], eventsPerVendor: 12_000, seed: 51, endAt: new Date(END), spanDays: 10, rateLimit: false });
  let server: SimulatorServer;
  beforeAll(async () => {
    server = await sim.listen();
  });
  afterAll(() => server.close());
  const params = { since: new Date(END - 10 * DAY), until: new Date(END), pageSize: 100 };
  const expected = () => (sim.events.jitsudo as Array<{ id: string }>).map((r) => r.id);

  test("a chain whose answer is in gives its slot to another while its body is read; never more than `concurrency` await an answer", async () => {
    // The first pages come whole (every chain learns its density); then every body waits.
    const { held, counter, fetch: holding, release } = heldBodies(8);
    // A clock that does not move: every slot in use (as against a server far away), whatever
    // this machine's pace.
    const client = createJitsudoClient({ ...server.credentials.jitsudo, rateLimit: false, maxRetries: 0, fetch: holding, concurrency: 4, clock: fakeClock(END + DAY) });
    const reading = client.events(params).toArray({ limit: 100_000 });
    try {
      // More answers being read than slots: each freed its slot when its headers came. Before,
      // a chain kept its slot until its page was parsed, so at most four bodies could be held.
      expect(await eventually(() => held.length >= 6)).toBe(true);
      expect(counter.awaiting).toBeLessThanOrEqual(4);
    } finally {
      release();
    }
    const events = await reading;
    expectExactlyOnce(events, expected());
    expect(counter.maxAwaiting).toBeLessThanOrEqual(4);
  });

  test("a success whose body breaks off is sent again only once a slot is free: never more than `concurrency` await an answer", async () => {
    // The first answers come whole (every chain learns its density); the next one's body breaks
    // off after its headers (its slot went to another chain then) and is retried; every answer
    // after it waits, headers and all, until released.
    const free = 8;
    const gates: Array<() => void> = [];
    let releasing = false;
    const counter = { awaiting: 0, maxAwaiting: 0, requests: 0, broken: 0 };
    const fetchFn: typeof fetch = async (input, init) => {
      const n = ++counter.requests;
      counter.awaiting += 1;
      counter.maxAwaiting = Math.max(counter.maxAwaiting, counter.awaiting);
      let answer: Response;
      try {
        if (n > free + 1 && !releasing) await new Promise<void>((resolve) => gates.push(resolve));
        answer = await fetch(input, init);
      } finally {
        counter.awaiting -= 1;
      }
      if (n !== free + 1) return answer;
      counter.broken += 1;
      const bytes = new Uint8Array(await answer.arrayBuffer());
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(bytes.subarray(0, bytes.length >> 1));
          controller.error(new Error("connection reset mid-body"));
        },
      });
      return new Response(body, { status: answer.status, headers: answer.headers });
    };
    // A clock that does not move (its sleeps end at once): every slot in use, whatever this machine's pace.
    const client = createJitsudoClient({ ...server.credentials.jitsudo, rateLimit: false, maxRetries: 2, maxRetryDelayMs: 1, fetch: fetchFn, concurrency: 4, clock: fakeClock(END + DAY) });
    const reading = client.events(params).toArray({ limit: 100_000 });
    try {
      expect(await eventually(() => client.stats.retries >= 1 && gates.length >= 4)).toBe(true);
      // The retry's 1 ms backoff is long over: sent at once, it would be a fifth awaiting an answer.
      await eventually(() => counter.awaiting > 4, 300);
      expect(counter.awaiting).toBeLessThanOrEqual(4);
    } finally {
      releasing = true;
      gates.splice(0).forEach((resolve) => resolve());
    }
    const events = await reading;
    expectExactlyOnce(events, expected());
    expect(counter.broken).toBe(1);
    expect(client.stats.retries).toBe(1);
    expect(counter.maxAwaiting).toBeLessThanOrEqual(4);
  });

  test("concurrency: 1 resuming a sliced run (its open slice, then the rest) is one request at a time, bodies included", async () => {
    // The checkpoint is taken in the first of four slices: the resumed run has two chains.
    const client = createJitsudoClient({ ...server.credentials.jitsudo, rateLimit: false, maxRetries: 0, concurrency: 4 });
    const first = client.events(params);
    const head: AuditEvent[] = [];
    for await (const event of first) {
      head.push(event);
      if (head.length === 150) break;
    }
    const { counter, fetch: holding, release } = heldBodies(0);
    const resumed = createJitsudoClient({ ...server.credentials.jitsudo, rateLimit: false, maxRetries: 0, concurrency: 1, prefetch: 0, fetch: holding });
    const checkpoint = JSON.parse(JSON.stringify(first.checkpoint())) as { position: { state: { until: number } } };
    expect(checkpoint.position.state.until).toBeLessThan(params.until.getTime());
    const reading = resumed.events({ ...params, resumeFrom: checkpoint }).toArray({ limit: 100_000 });
    // Each body is held until the poll releases it: a second request sent meanwhile would show.
    const releasing = setInterval(() => release(false), 5);
    try {
      const rest = await reading;
      expectExactlyOnce([...head, ...rest], expected());
    } finally {
      clearInterval(releasing);
    }
    expect(counter.maxOpen).toBe(1);
  });
});

describe("split points", () => {
  const PAGE = 1_000;
  // A page of 1,000 records spans 600 s: the density a chain read from its latest page.
  const perPage = 600_000;
  const chain = (reached: number) => ({ reached, density: PAGE / perPage, largestPage: PAGE });
  /** Pages of records in `[from, to)` at that density. */
  const pages = (from: number, to: number) => (to - from) / perPage;
  const fraction = (x: number) => x - Math.floor(x);
  // The records on a bound's own second (1.7 a second here), which an inclusive `to` brings back.
  const spill = 2 / PAGE;
  /** Requests to read `[reached, until)` split at `at`: the chain's pages up to its page crossing `at`, and the new chain's. */
  const requests = (reached: number, at: number, until: number) => Math.ceil(pages(reached, at)) + Math.ceil(pages(at, until) + spill);

  test("a split costs no request: the chain's last page crosses the split point, the new chain's last page has room", () => {
    const reached = END - 30 * DAY;
    for (let k = 0; k < 200; k++) {
      // 10 to 12 pages left, at every 1 % of a page.
      const until = reached + Math.round((10 + k / 100) * perPage);
      const at = splitPoint(chain(reached), reached + 1000, until);
      const kept = fraction(pages(reached, at));
      const unsplit = Math.ceil(pages(reached, until) + spill);
      if (fraction(pages(reached, until)) < 0.98) {
        // Whole pages less an overlap of a few records to a quarter of a page: the chain's
        // last page crosses the split point; as many requests as one chain reading on.
        expect(kept).toBeGreaterThanOrEqual(0.745);
        expect(kept).toBeLessThan(0.995);
        expect(requests(reached, at, until)).toBe(unsplit);
      } else {
        // The chain's own last page is all but full: at most one sliver is paid.
        expect(requests(reached, at, until)).toBeLessThanOrEqual(unsplit + 1);
      }
    }
  });

  test("a chain split again and again, on either side, costs next to no request of its own", () => {
    // Requests beyond those of one chain over the range, in all (with an overlap of a tenth, as before: 22).
    let extra = 0;
    for (const size of [80.5, 81, 81.2, 81.9, 120.03]) {
      const start = END - 30 * DAY;
      // Slices as [since, until, requested]: the chain split keeps asking for its old end and
      // stops at its page crossing the split point; the new chain asks for the slice's end.
      const slices: Array<[number, number, number]> = [[start, start + size * perPage, start + size * perPage]];
      // Split the newest slice, then the oldest, on and on, each after its chain read two pages.
      for (let n = 0; n < 10; n++) {
        const i = n % 2 === 0 ? slices.length - 1 : 0;
        const [since, until, requested] = slices[i]!;
        const reached = since + 2 * perPage;
        // As the engine: a slice is split only with more than its next two pages left.
        if (pages(reached, until) < 2) continue;
        const at = splitPoint(chain(reached), reached + 1000, until);
        expect(at).toBeGreaterThan(reached);
        expect(at).toBeLessThan(until);
        slices.splice(i, 1, [since, at, requested], [at, until, until]);
      }
      expect(slices.length).toBeGreaterThanOrEqual(9);
      const total = slices.reduce((sum, [since, until, requested]) => sum + Math.ceil(pages(since, until) + (requested === until ? spill : 0)), 0);
      extra += total - Math.ceil(size + spill);
    }
    expect(extra).toBeLessThanOrEqual(2);
  });

  test("a chain with no page yet is split at the middle, on a whole second", () => {
    const since = END - 10 * DAY + 123;
    const at = splitPoint({ reached: -1, density: 0, largestPage: 0 }, since, END);
    expect(at % 1000).toBe(0);
    expect(Math.abs(at - (since + END) / 2)).toBeLessThan(1000);
  });
});

describe("slots in use: as many as keep the consumer busy (JITSudo, clock injected)", () => {
  const sim = createSimulator({ vendors: ["jitsudo"], eventsPerVendor: 6_000, seed: 52, endAt: new Date(END), spanDays: 10, rateLimit: false });
  let server: SimulatorServer;
  beforeAll(async () => {
    server = await sim.listen();
  });
  afterAll(() => server.close());
  const ids = () => (sim.events.jitsudo as Array<{ id: string }>).map((r) => r.id);

  /**
   * Reads every event with the client's clock moved by the run itself: `serverMs` by each request
   * before its answer, `holdMs` by the consumer for each page it takes (spread over its events).
   * Counts the requests awaiting their headers at once, as the server sees them.
   */
  async function read(serverMs: number, holdMs: number, pageSize: number, bodyMs = 0) {
    const clock = fakeClock(END + DAY);
    const { counter, fetch: counting } = countingFetch();
    const fetchFn: typeof fetch = async (input, init) => {
      clock.t += serverMs;
      const response = await counting(input, init);
      if (bodyMs === 0) return response;
      // The body comes `bodyMs` after the headers (a large answer on a slow link).
      const bytes = new Uint8Array(await response.arrayBuffer());
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          clock.t += bodyMs;
          controller.enqueue(bytes);
          controller.close();
        },
      });
      return new Response(body, { status: response.status, headers: response.headers });
    };
    const client = createJitsudoClient({ ...server.credentials.jitsudo, rateLimit: false, maxRetries: 0, fetch: fetchFn, clock, concurrency: 4 });
    const events: AuditEvent[] = [];
    for await (const event of client.events({ since: new Date(END - 10 * DAY), until: new Date(END), pageSize })) {
      events.push(event);
      clock.t += holdMs / pageSize;
    }
    return { events, max: counter.max };
  }

  test("a server that answers in a tenth of the time the consumer takes a page of 1,000: one request at a time, every record once", async () => {
    const { events, max } = await read(1, 10, 1000);
    expectExactlyOnce(events, ids());
    expect(max).toBe(1);
  });

  test("a server that answers in ten times the time the consumer takes a page: every slot, every record once", async () => {
    const { events, max } = await read(100, 10, 100);
    expectExactlyOnce(events, ids());
    expect(max).toBeGreaterThanOrEqual(2);
    expect(max).toBeLessThanOrEqual(4);
  });

  test("a body that takes forty times the consumer's time to come after its headers: the wait is the network's, not the thread's (every slot), every record once", async () => {
    // Counted from the headers, the body's 400 ms made a page cost the thread 410 ms: one slot.
    const { events, max } = await read(100, 10, 1000, 400);
    expectExactlyOnce(events, ids());
    expect(max).toBeGreaterThanOrEqual(2);
    expect(max).toBeLessThanOrEqual(4);
  });

  test("pages so small that one for every slot is at most 1,000 records: every slot however near the server, every record once", async () => {
    const { events, max } = await read(1, 10, 100);
    expectExactlyOnce(events, ids());
    expect(max).toBeGreaterThanOrEqual(2);
    expect(max).toBeLessThanOrEqual(4);
  });
});

describe("slotPlan: requests at once and records ahead", () => {
  test("every slot worth it: every slot, and a page ahead for each slot worth it beyond the head's (at least 1,000 records, at most the whole bound); fewer with small pages: every slot and 1,000 records; fewer with large pages: those slots and a page for each beyond the head's", () => {
    // A server far away (worth far past the slots): the whole bound.
    expect(slotPlan(30, 4, 1000, 16_000)).toEqual({ slots: 4, bound: 16_000 });
    expect(slotPlan(300, 4, 100, 4000)).toEqual({ slots: 4, bound: 4000 });
    expect(slotPlan(Infinity, 4, 1000, 16_000)).toEqual({ slots: 4, bound: 16_000 });
    // Just worth every slot: as with one slot fewer, a page ahead for each beyond the head's.
    // concurrency: 2 against a near server held 8 pages of 1,000 ahead (JITSudo's million: +130 MB of RSS, +62–71 so).
    expect(slotPlan(2, 2, 1000, 8000)).toEqual({ slots: 2, bound: 1000 });
    expect(slotPlan(4, 4, 1000, 16_000)).toEqual({ slots: 4, bound: 3000 });
    expect(slotPlan(4, 4, 100, 4000)).toEqual({ slots: 4, bound: SMALL_PAGES_AHEAD });
    expect(slotPlan(1, 4, 100, 4000)).toEqual({ slots: 4, bound: SMALL_PAGES_AHEAD });
    expect(slotPlan(2, 4, 250, 4000)).toEqual({ slots: 4, bound: SMALL_PAGES_AHEAD });
    expect(slotPlan(2, 4, 251, 4000)).toEqual({ slots: 2, bound: 251 });
    expect(slotPlan(1, 4, 1000, 16_000)).toEqual({ slots: 1, bound: 0 });
    expect(slotPlan(3, 4, 1000, 16_000)).toEqual({ slots: 3, bound: 2000 });
    // concurrency: 1 is one slot, whatever the pages.
    expect(slotPlan(1, 1, 100, 4000)).toEqual({ slots: 1, bound: SMALL_PAGES_AHEAD });
  });
});
