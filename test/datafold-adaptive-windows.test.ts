// DESIGN §13, Datafold windows adapt: a window whose answer reaches the cap is read again in
// parts placed by the times that answer holds, and nothing is lost or repeated whatever the
// server kept of a capped window (the oldest, the newest, a sample in no order), on uniform,
// skewed and bursty data, with whole-second and millisecond ties on the windows' edges, and from
// a checkpoint at many points. Requests are counted at the server, never timed.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { lowerBound, paginate, type PageContext, type Position, type RawPage } from "../src/core/paginate.js";
import { createDatafoldClient } from "../src/index.js";
import { datafold, DATAFOLD_SPLIT_AT } from "../src/vendors/datafold.js";
import { datafoldBodyServer, datafoldTimestamp, expectExactlyOnce } from "./http-fixtures.js";

const DAY = 86_400_000;
const END = Date.parse("2026-05-01T00:00:00Z");
const CAP = DATAFOLD_SPLIT_AT;

type Order = "oldest" | "newest" | "sample";

/** A deterministic generator (the tests' data must not change between runs). */
function random(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x = (x + 0x6d2b79f5) >>> 0;
    let t = x;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** `total` times in [start, end), sorted: `share` of them in the last `last` of the range. */
function skewed(total: number, start: number, end: number, share: number, last: number): number[] {
  const early = Math.round(total * (1 - share));
  const split = start + (end - start) * (1 - last);
  return Array.from({ length: total }, (_, i) => (i < early ? start + Math.floor((i / early) * (split - start)) : Math.floor(split + ((i - early) / (total - early)) * (end - split))));
}

/** Background logs plus bursts of thousands within an hour, sorted. */
function bursty(seed: number, start: number, end: number): number[] {
  const rnd = random(seed);
  const out: number[] = [];
  for (let b = 0; b < 12; b++) {
    const at = start + rnd() * (end - start - 3_600_000);
    const n = Math.floor(rnd() * 14_000);
    for (let i = 0; i < n; i++) out.push(Math.floor(at + rnd() * 3_600_000));
  }
  for (let i = 0; i < 8_000; i++) out.push(Math.floor(start + rnd() * (end - start)));
  return out.sort((a, b) => a - b);
}

const iso = datafoldTimestamp;

interface Log {
  timestamp: string;
  event_uuid: string;
}

/**
 * Datafold's answer for a window, as a server might give it: both bounds inclusive, at most CAP
 * logs, cut keeping the oldest, the newest, or a sample; "sample" also answers in no order.
 */
function answerer(times: number[], order: Order, seed = 1) {
  const logs: Log[] = times.map((t, i) => ({ timestamp: iso(t), event_uuid: `log-${String(i).padStart(6, "0")}` }));
  const rnd = random(seed);
  const stats = { requests: 0, capped: 0 };
  const answer = (startDate: string, endDate: string): Log[] => {
    stats.requests += 1;
    const inWindow = logs.slice(lowerBound(times, Date.parse(startDate)), lowerBound(times, Date.parse(endDate) + 1));
    if (order === "sample") {
      for (let i = inWindow.length - 1; i > 0; i--) {
        const j = Math.floor(rnd() * (i + 1));
        [inWindow[i], inWindow[j]] = [inWindow[j]!, inWindow[i]!];
      }
    }
    if (inWindow.length <= CAP) return inWindow;
    stats.capped += 1;
    return order === "newest" ? inWindow.slice(-CAP) : inWindow.slice(0, CAP);
  };
  return { logs, stats, answer };
}

/** The engine's HttpClient, answering at once from `answer` (no sockets: the pagination alone). */
function fakeHttp(answer: (start: string, end: string) => Log[]) {
  return {
    request: async ({ body }: { body?: string }) => {
      const { start_date, end_date } = JSON.parse(body ?? "{}") as { start_date: string; end_date: string };
      return { status: 200, headers: new Headers(), body: { logs: answer(start_date, end_date) }, text: "", requestId: undefined, attempts: 1 };
    },
  };
}

const context = (since: number, until: number): PageContext => ({ vendor: "datafold", origin: "http://datafold.test", since, until, pageSize: undefined, filter: undefined, windowMs: DAY });

/**
 * Reads as the run does (each page's records from its skip, trimmed to its bounds), up to `stop`
 * logs; the position after the last one taken, to resume from.
 */
async function read(http: ReturnType<typeof fakeHttp>, ctx: PageContext, stop = Infinity, resume?: Position) {
  const ids: string[] = [];
  const times: number[] = [];
  let position: Position | undefined;
  pages: for await (const page of paginate(http as never, datafold.definition.pagination as never, ctx, { prefetch: 1, concurrency: 4 }, resume) as AsyncIterable<RawPage<unknown>>) {
    for (let i = page.skip; i < page.records.length; i++) {
      const log = page.records[i] as Log;
      const at = Date.parse(log.timestamp);
      const bounds = page.bounds ?? { since: ctx.since, until: ctx.until };
      if ((bounds.since !== undefined && at < bounds.since) || at >= bounds.until) continue;
      if (ids.length === stop) break pages;
      ids.push(log.event_uuid);
      times.push(at);
      position = { state: page.state, skip: i + 1 };
    }
  }
  return { ids, times, position };
}

function expectOnce(ids: string[], logs: Log[], since: number, until: number): void {
  const expected = logs.filter((l) => Date.parse(l.timestamp) >= since && Date.parse(l.timestamp) < until).map((l) => l.event_uuid);
  expect(new Set(ids).size).toBe(ids.length);
  expect([...ids].sort()).toEqual(expected.sort());
}

const sortedTimes = (times: number[]) => times.every((t, i) => i === 0 || t >= times[i - 1]!);

describe("capped windows, engine level", () => {
  const start = END - 30 * DAY;
  const shapes: Array<[string, number[]]> = [
    ["uniform", skewed(330_000, start, END, 0, 1e-9)], // 11,000 a day: the first one-day windows are capped
    ["skewed", skewed(60_000, start, END, 0.8, 0.1)],
    ["bursty", bursty(7, start, END)],
  ];
  for (const [shape, times] of shapes) {
    for (const order of ["oldest", "newest", "sample"] as const) {
      test(`${shape} data, a server that keeps the ${order} of a capped window: every log exactly once${order === "sample" ? "" : ", in time order"}`, async () => {
        const server = answerer(times, order);
        const { ids, times: read_ } = await read(fakeHttp(server.answer), context(start, END));
        expectOnce(ids, server.logs, start, END);
        if (order !== "sample") expect(sortedTimes(read_)).toBe(true);
        // The split did happen: the data needs it.
        expect(server.stats.capped).toBeGreaterThan(0);
      });
    }
  }

  test("the bench's shape (400,000 logs, 80 % in the last 3 of 30 days): a capped answer's parts hold just under the cap", async () => {
    const times = skewed(400_000, start, END, 0.8, 0.1);
    const server = answerer(times, "oldest");
    const { ids } = await read(fakeHttp(server.answer), context(start, END + 1));
    expect(ids).toHaveLength(400_000);
    // 40 answers of 10,000 would do for a reader that knew where the logs are. Halving capped
    // windows, or cutting them by the density they show, took 77 here (12 of them capped).
    expect(server.stats.requests).toBeLessThanOrEqual(55);
    expect(server.stats.capped).toBeLessThanOrEqual(3);
  });

  test("a checkpoint at many points, mid-window and mid-split, resumes with every log exactly once", async () => {
    const times = skewed(45_000, start, END, 0.8, 0.1);
    const server = answerer(times, "oldest");
    const http = fakeHttp(server.answer);
    const ctx = context(start, END);
    for (const stop of [1, 2_999, 3_000, 9_999, 10_000, 17_777, 23_456, 30_001, 38_500, 44_999]) {
      const head = await read(http, ctx, stop);
      expect(head.ids).toHaveLength(stop);
      const rest = await read(http, ctx, Infinity, head.position);
      expectOnce([...head.ids, ...rest.ids], server.logs, start, END);
      expect(sortedTimes([...head.times, ...rest.times])).toBe(true);
    }
  });

  test("millisecond ties: groups of logs at one instant, on the edges the splits choose, each read once", async () => {
    // 40 logs at each of 1,500 instants a few ms apart, then a dense hour: a split's cut lands
    // on an instant that holds logs (a part ends where its first excluded log stands).
    const times: number[] = [];
    for (let g = 0; g < 1_500; g++) for (let k = 0; k < 40; k++) times.push(END - DAY + g * 7);
    const server = answerer(times, "oldest");
    const { ids } = await read(fakeHttp(server.answer), context(END - 2 * DAY, END));
    expectOnce(ids, server.logs, END - 2 * DAY, END);
    expect(server.stats.capped).toBeGreaterThan(0);
  });
});

describe("capped windows, through the client", () => {
  // Whole-second timestamps, 25 logs at each second: every edge a split may choose between
  // seconds is exact, and the server's inclusive bounds send an edge's logs to both neighbours.
  const start = END - 20 * DAY;
  const times: number[] = [];
  for (let s = 0; s < 600; s++) for (let k = 0; k < 25; k++) times.push(END - 2 * DAY + s * 60_000);
  for (let d = 0; d < 18; d++) for (let k = 0; k < 300; k++) times.push(start + d * DAY + k * 1_000);
  times.sort((a, b) => a - b);
  const server = answerer(times, "oldest");
  let http: Awaited<ReturnType<typeof datafoldBodyServer>>;
  let baseUrl = "";
  beforeAll(async () => {
    http = await datafoldBodyServer(({ start_date, end_date }) =>
      server.answer(start_date, end_date).map((l) => ({ ...l, client_ip: "192.0.2.1", url: "/api/v1/monitors/1", action: "update" })),
    );
    baseUrl = http.url;
  });
  afterAll(() => http.close());

  test("whole-second ties on window edges under the cap: every log once, in time order, and resumed from a checkpoint at many points", async () => {
    const client = createDatafoldClient({ apiKey: "key", baseUrl, rateLimit: false, maxRetries: 0 });
    const params = { since: new Date(start), until: new Date(END) };
    const expected = server.logs.map((l) => l.event_uuid);
    const all = await client.events(params).toArray({ limit: 100_000 });
    expectExactlyOnce(all, expected);
    expect(server.stats.capped).toBeGreaterThan(0);
    for (const stopAfter of [1, 5_400, 5_401, 12_345, all.length - 1]) {
      const stream = client.events(params);
      const head: typeof all = [];
      for await (const event of stream) {
        head.push(event);
        if (head.length === stopAfter) break;
      }
      const rest = await client.events({ ...params, resumeFrom: stream.checkpoint() }).toArray({ limit: 100_000 });
      expectExactlyOnce([...head, ...rest], expected);
    }
  }, 120_000);

  test("pages() hands over a window's own records with its checkpoint (the logs its inclusive bounds add cut off), not parts of it; events() the same logs", async () => {
    const client = createDatafoldClient({ apiKey: "key", baseUrl, rateLimit: false, maxRetries: 0 });
    const params = { since: new Date(END - 2 * DAY), until: new Date(END) };
    const ids: string[] = [];
    let pages = 0;
    for await (const page of client.pages(params)) {
      pages += 1;
      // A server in time order: the logs its inclusive bounds add at a window's ends are cut
      // off, so a page's records are the window's own, each once across pages.
      expect(page.records.map((r) => r.event_uuid)).toEqual(page.events.map((e) => e.id));
      ids.push(...page.events.map((e) => e.id));
    }
    const events = await client.events(params).toArray({ limit: 100_000 });
    expect(ids).toEqual(events.map((e) => e.id));
    expect(pages).toBeLessThan(events.length / 256);
  }, 60_000);

  test("events() normalizes a large window a part at a time, as the consumer takes it: a bad record past the first part is reached only once the consumer is there", async () => {
    // One window of 3,000 logs, the 2,000th without the client_ip Datafold requires.
    const at = END - DAY;
    const logs = Array.from({ length: 3_000 }, (_, i) => ({ timestamp: iso(at + i), event_uuid: `w-${i}`, url: "/x", ...(i === 1_999 ? {} : { client_ip: "192.0.2.1" }) }));
    const one = await datafoldBodyServer(() => logs);
    try {
      const invalid: number[] = [];
      let taken = 0;
      const client = createDatafoldClient({
        apiKey: "key",
        baseUrl: one.url,
        rateLimit: false,
        maxRetries: 0,
        windowMs: DAY,
        onInvalidRecord: () => void invalid.push(taken),
      });
      for await (const event of client.events({ since: new Date(at), until: new Date(at + DAY) })) {
        expect(event.id).toBe(`w-${taken >= 1_999 ? taken + 1 : taken}`);
        taken += 1;
      }
      expect(taken).toBe(2_999);
      // Normalized all at once, the record would have been refused before the first event.
      expect(invalid).toHaveLength(1);
      expect(invalid[0]).toBeGreaterThan(1_000);
    } finally {
      await one.close();
    }
  });
});
