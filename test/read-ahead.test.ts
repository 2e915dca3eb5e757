// DESIGN §9 (memory): what the read path fetches ahead of the consumer, observed at the server:
// records served minus records the consumer took, checked whenever the client has nothing in
// flight (all it wanted to fetch ahead has come), never by timing.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { DrainMeter } from "../src/core/read-ahead.js";
import { createCortexClient, createJitsudoClient, mergeEvents } from "../src/index.js";
import { createSimulator, type SimulatorServer } from "../src/testing/index.js";
import { countingFetch, fakeClock } from "./http-fixtures.js";

const DAY = 86_400_000;
const END = Date.parse("2026-02-01T00:00:00Z");

/** A fetch that counts the records it served (JITSudo's `data`, Cortex's `logs`) and its requests in flight. */
function servingFetch(onAnswer?: () => void) {
  const { counter, fetch: fetchFn } = countingFetch(async (response) => {
    const body = (await response.clone().json()) as { data?: unknown[]; logs?: unknown[] };
    served.records += (body.data ?? body.logs)?.length ?? 0;
    onAnswer?.();
  });
  const served = Object.assign(counter, { records: 0 });
  return { served, fetch: fetchFn };
}

/** Resolves once nothing has been in flight for two polls in a row (a deadline, not a measured time). */
async function quiet(served: { inFlight: number }, ms = 10_000): Promise<void> {
  let calm = 0;
  for (const deadline = Date.now() + ms; Date.now() < deadline && calm < 2; ) {
    await new Promise((resolve) => setTimeout(resolve, 5));
    calm = served.inFlight === 0 ? calm + 1 : 0;
  }
}

describe("read-ahead", () => {
  const sim = createSimulator({ vendors: ["jitsudo"], eventsPerVendor: 8_000, seed: 41, endAt: new Date(END), spanDays: 10, rateLimit: false });
  let server: SimulatorServer;
  beforeAll(async () => {
    server = await sim.listen();
  });
  afterAll(() => server.close());
  const params = { since: new Date(END - 10 * DAY), until: new Date(END), pageSize: 100 };

  test("a merge's streams read ahead within one budget (what one of them would alone), not one each", async () => {
    const { served, fetch: serving } = servingFetch();
    // A clock that does not move: the consumer's pace is unknown, so only the budget bounds.
    const streams = [0, 1, 2, 3].map(() =>
      createJitsudoClient({ ...server.credentials.jitsudo, rateLimit: false, maxRetries: 0, fetch: serving, clock: fakeClock(), concurrency: 4 }).events(params),
    );
    let taken = 0;
    let most = 0;
    const ids = new Map<string, number>();
    for await (const event of mergeEvents(streams)) {
      taken += 1;
      ids.set(event.id, (ids.get(event.id) ?? 0) + 1);
      if (taken % 400 === 0) await quiet(served);
      most = Math.max(most, served.records - taken);
    }
    expect(taken).toBe(4 * 8_000);
    expect([...ids.values()].every((n) => n === 4)).toBe(true);
    // Alone, a stream of pages of 100 at concurrency 4 holds up to 4,000 records fetched ahead,
    // and its budget has room for a page in flight and one crossing that bound per slot and the
    // pages its consumer needs next (5,000); four streams share that, plus what each one's
    // consumer needs next (its page in hand and the one prefetched: 200 each). Each with its own
    // budget, the four held ~4 × 4,000.
    expect(most).toBeLessThanOrEqual(5_000 + 4 * 200);
    expect(most).toBeGreaterThan(1_000);
  });

  test("a consumer slower than the server gets no read-ahead beyond what it takes in a few round trips (parallel pages)", async () => {
    const total = 6_000;
    const s = createSimulator({ vendors: ["cortex"], eventsPerVendor: total, seed: 42, endAt: new Date(END), spanDays: 10, rateLimit: false });
    const srv = await s.listen();
    try {
      // The clock moves 1 ms per answer, and 1,000 ms per page the consumer takes (only while
      // nothing is in flight): the server answers in a few ms, the consumer takes 100 records a
      // second, so a few round trips of its intake are a handful of records, less than a page.
      const clock = fakeClock();
      const { served, fetch: serving } = servingFetch(() => (clock.t += 1));
      const client = createCortexClient({ ...srv.credentials.cortex, rateLimit: false, maxRetries: 0, fetch: serving, clock, concurrency: 4 });
      let taken = 0;
      let most = 0;
      for await (const _ of client.events({ ...params, pageSize: 100 })) {
        taken += 1;
        if (taken % 100 === 0) {
          await quiet(served);
          clock.t += 1_000;
          // Once the pages fetched before the consumer's pace was known are taken.
          if (taken >= 1_000) most = Math.max(most, served.records - taken);
        }
      }
      expect(taken).toBe(total);
      // The page the consumer is on and the one prefetched, at most; read as fast as the server
      // allows, four pages more are fetched while it holds one.
      expect(most).toBeLessThanOrEqual(2 * 100);
    } finally {
      await srv.close();
    }
  });

  test("the meter: records ahead worth fetching are what the consumer takes, while it holds pages, in a few of the quickest recent round trips", () => {
    let t = 0;
    const meter = new DrainMeter(() => t);
    expect(meter.useful()).toBe(Infinity);
    // Round trips of 10 ms, one of them 40 ms (a server queueing our own requests): the quickest counts.
    for (const ms of [40, 10, 10]) {
      const sent = t;
      t += ms;
      meter.answered(sent);
    }
    expect(meter.useful()).toBe(Infinity);
    // Pages of 100, each held 50 ms by the consumer: 2 records a ms (the time between pages, when
    // it waits on the reads, is not its pace).
    for (let i = 0; i < 20; i++) {
      t += 200;
      const handed = t;
      t += 50;
      meter.taken(100, handed);
    }
    expect(meter.useful()).toBe(12 * 10 * 2);
    // A clock that does not move tells nothing: no bound.
    const still = new DrainMeter(() => 0);
    still.answered(0);
    still.taken(100, 0);
    expect(still.useful()).toBe(Infinity);
  });

  test("the slots worth using: the quickest wait for an answer's headers over the time the consumer holds a page, with a quarter again to spare", () => {
    let t = 0;
    const meter = new DrainMeter(() => t);
    const waits = (ms: number[]) => {
      for (const wait of ms) {
        const sent = t;
        t += wait;
        meter.headers(sent);
      }
    };
    const pages = (held: number) => {
      for (let i = 0; i < 20; i++) {
        const handed = t;
        t += held;
        meter.taken(100, handed);
      }
    };
    // Nothing seen yet: one.
    expect(meter.slots(4)).toBe(1);
    waits([40, 5, 5]);
    expect(meter.slots(4)).toBe(1);
    pages(10);
    // 1.25 × 5 ms over 10 ms a page: one is enough.
    expect(meter.slots(4)).toBe(1);
    // The server slower: 1.25 × 20 / 10 = 2.5: 3 slots. The quickest of this block and the one before
    // counts, so it takes two blocks of sixteen slower waits to forget the quick ones.
    waits(Array.from({ length: 32 }, () => 20));
    expect(meter.slots(4)).toBe(3);
    waits(Array.from({ length: 32 }, () => 100));
    expect(meter.slots(4)).toBe(4);
    expect(meter.slots(8)).toBe(8);
    // A clock that does not move: every slot, as before the meter knew anything.
    const still = new DrainMeter(() => 0);
    still.headers(0);
    still.taken(100, 0);
    expect(still.slots(4)).toBe(4);
  });

  test("the slots: a page's parse counts with the time the consumer holds it, and one more slot only once the estimate is half a slot past", () => {
    let t = 0;
    const meter = new DrainMeter(() => t);
    /** Two blocks of waits of `ms` (enough to forget the waits before). */
    const waits = (m: DrainMeter, ms: number) => {
      for (let i = 0; i < 32; i++) {
        const sent = t;
        t += ms;
        m.headers(sent);
      }
    };
    const pages = (parse: number, held: number) => {
      for (let i = 0; i < 20; i++) {
        const headers = t;
        t += parse;
        meter.parsed(headers);
        const handed = t;
        t += held;
        meter.taken(100, handed);
      }
    };
    // Waits of 30 ms; a page parsed in 5 and held 10: 1.25 × 30 / 15 = 2.5: 3 (held alone, 3.75: 4).
    waits(meter, 30);
    pages(5, 10);
    expect(meter.slots(8)).toBe(3);

    const wavering = new DrainMeter(() => t);
    const wait = (ms: number) => waits(wavering, ms);
    for (let i = 0; i < 20; i++) {
      const handed = t;
      t += 5;
      wavering.taken(100, handed);
    }
    // 1.25 × 5 / 5 = 1.25: not half a slot past one, so one.
    wait(5);
    expect(wavering.slots(4)).toBe(1);
    // 1.25 × 7 / 5 = 1.75: two.
    wait(7);
    expect(wavering.slots(4)).toBe(2);
    // 1.25 × 12 / 5 = 3, then 1.25 × 9 / 5 = 2.25: three stays.
    wait(12);
    expect(wavering.slots(4)).toBe(3);
    wait(9);
    expect(wavering.slots(4)).toBe(3);
    // Down to 1.25 again: at once to what that needs, rounded up (two), and two it stays.
    wait(5);
    expect(wavering.slots(4)).toBe(2);
    expect(wavering.slots(4)).toBe(2);
    // 1.25 × 3 / 5 = 0.75: one.
    wait(3);
    expect(wavering.slots(4)).toBe(1);
  });

  test("the slots: pages parsed while the consumer holds one count as their parse, not as its holding (no time counted twice)", () => {
    let t = 0;
    // One meter told of the parses that ran while each page was held, one not (as before).
    const told = new DrainMeter(() => t);
    const untold = new DrainMeter(() => t);
    for (let i = 0; i < 32; i++) {
      const sent = t;
      t += 200;
      told.headers(sent);
      untold.headers(sent);
    }
    /** Twenty pages: the consumer works 25 ms on each, the next answer is parsed (`parse` ms), then 25 more. */
    const pages = (parse: number) => {
      for (let i = 0; i < 20; i++) {
        const handed = t;
        const parsingAt = told.parsing;
        t += 25;
        const bodyAt = t;
        t += parse;
        told.parsed(bodyAt);
        untold.parsed(bodyAt);
        t += 25;
        told.taken(1000, handed, parsingAt);
        untold.taken(1000, handed);
      }
    };
    pages(25);
    // The thread's time a page costs: 50 ms held and 25 parsing, so 1.25 × 200 / 75 = 3.33: 4
    // slots, and 4 × 200 × 1000 / 75 records a request is worth (10,667); counting the parse in
    // the holding too (75 held and 25 parsing): 4 × 200 × 1000 / 100 = 8,000.
    expect(told.slots(8)).toBe(4);
    expect(told.recordsWorth(1)).toBe(10_667);
    expect(untold.recordsWorth(1)).toBe(8000);
    expect(told.parsing).toBe(20 * 25);
    // The parse taking longer (50 ms, the consumer 50): about 1.25 × 200 / 100 = 2.5, three;
    // counted twice, about 1.25 × 200 / 150 = 1.67: two.
    pages(50);
    expect(told.slots(8)).toBe(3);
    expect(untold.slots(8)).toBe(2);
  });

  test("records a request is worth: four of the quickest waits for headers over the thread's time a record costs, shared by the slots", () => {
    let t = 0;
    const meter = new DrainMeter(() => t);
    // Nothing seen: not known.
    expect(meter.recordsWorth(4)).toBeUndefined();
    for (let i = 0; i < 32; i++) {
      const sent = t;
      t += 100;
      meter.headers(sent);
    }
    // A wait, but no page taken: still not known.
    expect(meter.recordsWorth(4)).toBeUndefined();
    for (let i = 0; i < 20; i++) {
      const headers = t;
      t += 5;
      meter.parsed(headers);
      const handed = t;
      t += 5;
      meter.taken(1000, handed);
    }
    // 1,000 records in 10 ms: 4 × 100 ms × 100 a ms = 40,000, over 4 slots 10,000, over 1 all of it.
    expect(meter.recordsWorth(4)).toBe(10_000);
    expect(meter.recordsWorth(1)).toBe(40_000);
    // A clock that does not move: no bound.
    const still = new DrainMeter(() => 0);
    still.headers(0);
    still.taken(1000, 0);
    expect(still.recordsWorth(4)).toBe(Infinity);
  });
});
