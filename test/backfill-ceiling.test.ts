// DESIGN §9/§13, backfill at the ceiling: what the client does to keep every slot busy and spend
// few requests, checked by what the server sees (requests, in flight), never by timing.
import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createCortexClient, createDatafoldClient, createJitsudoClient, createZendeskClient, type AuditEvent } from "../src/index.js";
import { createSimulator, type SimulatorServer } from "../src/testing/index.js";
import { DATAFOLD_SPLIT_AT } from "../src/vendors/datafold.js";
import { countingFetch, eventually, expectExactlyOnce, fakeClock } from "./http-fixtures.js";

const DAY = 86_400_000;
const END = Date.parse("2026-05-01T00:00:00Z");

describe("parallel pages (Cortex)", () => {
  const sim = createSimulator({ vendors: ["cortex"], eventsPerVendor: 2_000, seed: 31, endAt: new Date(END), spanDays: 10, rateLimit: false });
  let server: SimulatorServer;
  beforeAll(async () => {
    server = await sim.listen();
  });
  afterAll(() => server.close());

  test("the page in the caller's hands is not one of the `concurrency` requests in flight", async () => {
    // Answers after the first are held until released: what is in flight is what the client sent.
    const held: Array<() => void> = [];
    const counter = { inFlight: 0, max: 0 };
    const gated: typeof fetch = async (input, init) => {
      const page = Number(new URL(String(input)).searchParams.get("page"));
      counter.inFlight += 1;
      counter.max = Math.max(counter.max, counter.inFlight);
      try {
        if (page > 0) await new Promise<void>((resolve) => held.push(resolve));
        return await fetch(input, init);
      } finally {
        counter.inFlight -= 1;
      }
    };
    const client = createCortexClient({ ...server.credentials.cortex, rateLimit: false, fetch: gated, concurrency: 4 });
    const stream = client.events({ since: new Date(END - 10 * DAY), until: new Date(END), pageSize: 100 })[Symbol.asyncIterator]();
    // The caller holds page 0 (its first event) and does not ask for more.
    expect((await stream.next()).done).toBe(false);
    // Four pages requested while it does: before, the held page took one of the four slots.
    expect(await eventually(() => held.length === 4)).toBe(true);
    expect(counter.inFlight).toBe(4);
    // The rest: never more than four at once, every event once.
    const release = setInterval(() => held.splice(0).forEach((resolve) => resolve()), 5);
    try {
      let count = 1;
      for (let r = await stream.next(); !r.done; r = await stream.next()) count += 1;
      expect(count).toBe(2_000);
    } finally {
      clearInterval(release);
    }
    expect(counter.max).toBe(4);
  });

  test("concurrency: 1, prefetch: 0 is still one request at a time", async () => {
    const { counter, fetch: counting } = countingFetch();
    const client = createCortexClient({ ...server.credentials.cortex, rateLimit: false, fetch: counting, concurrency: 1, prefetch: 0 });
    const events = await client.events({ since: new Date(END - 10 * DAY), until: new Date(END), pageSize: 100 }).toArray({ limit: 10_000 });
    expect(events).toHaveLength(2_000);
    expect(counter.max).toBe(1);
    expect(counter.requests).toBe(20);
  });
});

describe("time slices with large pages (JITSudo, 1,000 a page)", () => {
  // Pages as large as JITSudo's maximum against the read-ahead bound: the bound scales to four
  // pages a slot, and every record still comes once, in order, resumable anywhere.
  const sim = createSimulator({ vendors: ["jitsudo"], eventsPerVendor: 12_000, seed: 32, endAt: new Date(END), spanDays: 10, rateLimit: false, skew: { share: 0.8, last: 0.1 } });
  let server: SimulatorServer;
  beforeAll(async () => {
    server = await sim.listen();
  });
  afterAll(() => server.close());
  const params = { since: new Date(END - 10 * DAY), until: new Date(END), pageSize: 1_000 };
  const expected = () =>
    (sim.events.jitsudo as Array<{ id: string; created_at: string }>).filter((r) => Date.parse(r.created_at) >= params.since.getTime() && Date.parse(r.created_at) < END).map((r) => r.id);

  test("every record exactly once, in time order, with up to four chains in flight", async () => {
    const { counter, fetch: counting } = countingFetch();
    // A clock that does not move: every slot in use, as against a server far away, whatever this
    // machine's pace.
    const client = createJitsudoClient({ ...server.credentials.jitsudo, rateLimit: false, maxRetries: 0, fetch: counting, concurrency: 4, clock: fakeClock(END + DAY) });
    const events = await client.events(params).toArray({ limit: 100_000 });
    expectExactlyOnce(events, expected());
    expect(counter.max).toBeGreaterThanOrEqual(2);
    expect(counter.max).toBeLessThanOrEqual(4);
  });

  test("a checkpoint after any of many events resumes every open slice exactly once", async () => {
    const client = createJitsudoClient({ ...server.credentials.jitsudo, rateLimit: false, maxRetries: 0, concurrency: 4 });
    const all = expected();
    for (const stopAfter of [1, 999, 1_000, 1_001, 2_400, 6_000, 9_999, all.length - 1]) {
      const first = client.events(params);
      const head: AuditEvent[] = [];
      for await (const event of first) {
        head.push(event);
        if (head.length === stopAfter) break;
      }
      const rest = await client.events({ ...params, resumeFrom: JSON.parse(JSON.stringify(first.checkpoint())) }).toArray({ limit: 100_000 });
      expectExactlyOnce([...head, ...rest], all);
    }
  });
});

describe("time slices on a next run", () => {
  test.each(["zendesk", "jitsudo"] as const)("%s: a next run with nothing new costs one request, not one a slice", async (vendor) => {
    const sim = createSimulator({ vendors: [vendor], eventsPerVendor: 300, seed: 35, rateLimit: false });
    const srv = await sim.listen();
    try {
      const options = { rateLimit: false as const, maxRetries: 0, concurrency: 4 };
      const client = vendor === "zendesk" ? createZendeskClient({ ...srv.credentials.zendesk, ...options }) : createJitsudoClient({ ...srv.credentials.jitsudo, ...options });
      const first = client.events({ pageSize: 100 });
      expect((await first.toArray({ limit: 10_000 })).length).toBe(300);
      sim.resetStats();
      const again = await client.events({ pageSize: 100, resumeFrom: first.checkpoint() }).toArray({ limit: 10_000 });
      expect(again).toHaveLength(0);
      // The range since the watermark was cut into four slices before, each a request.
      expect(sim.stats.requests[vendor]).toBe(1);
    } finally {
      await srv.close();
    }
  });
});

describe("Datafold windows", () => {
  test("skewed data under the server's cap: windows sized from what answers show, few requests", async () => {
    // 80 % of 40,000 logs in the last 3 of 30 days; the server returns at most 10,000 a window.
    const total = 4 * DATAFOLD_SPLIT_AT;
    const s = createSimulator({ vendors: ["datafold"], eventsPerVendor: total, seed: 33, endAt: new Date(END), spanDays: 30, skew: { share: 0.8, last: 0.1 }, datafoldMaxLogs: DATAFOLD_SPLIT_AT, rateLimit: false });
    const srv = await s.listen();
    try {
      // A clock that does not move: a reader that measures no cost aims its windows at the cap,
      // as against a server far away (near, they aim lower: datafold-window-size.test.ts).
      const client = createDatafoldClient({ ...srv.credentials.datafold, rateLimit: false, clock: fakeClock(END + DAY) });
      const events = await client.events({ since: new Date(END - 30 * DAY), until: new Date(END) }).toArray({ limit: 100_000 });
      expectExactlyOnce(events, s.events.datafold.map((l) => l.event_uuid));
      // Four full answers would do for a reader that knew where the logs are; windows aimed at
      // an eighth of the cap took 23 here.
      expect(s.stats.requests.datafold).toBeLessThanOrEqual(16);
    } finally {
      await srv.close();
    }
  });

  test("a server that keeps the newest logs of a window at its cap: every log still once (the density guess only costs requests)", async () => {
    const s = createSimulator({ vendors: ["datafold"], eventsPerVendor: 3 * DATAFOLD_SPLIT_AT, seed: 34, endAt: new Date(END), spanDays: 30, skew: { share: 0.8, last: 0.1 }, rateLimit: false });
    const logs = [...s.events.datafold].sort((a, b) => Date.parse(a.timestamp) - Date.parse(b.timestamp));
    let requests = 0;
    const server: Server = createServer((req, res) => {
      let body = "";
      req.setEncoding("utf8").on("data", (chunk: string) => (body += chunk));
      req.on("end", () => {
        requests += 1;
        const { start_date, end_date } = JSON.parse(body || "{}") as { start_date: string; end_date: string };
        const inWindow = logs.filter((l) => Date.parse(l.timestamp) >= Date.parse(start_date) && Date.parse(l.timestamp) <= Date.parse(end_date));
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ logs: inWindow.slice(-DATAFOLD_SPLIT_AT) }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = server.address() as { port: number };
      const client = createDatafoldClient({ apiKey: "key", baseUrl: `http://127.0.0.1:${port}`, rateLimit: false, maxRetries: 0 });
      const events = await client.events({ since: new Date(END - 30 * DAY), until: new Date(END) }).toArray({ limit: 100_000 });
      expectExactlyOnce(events, logs.map((l) => l.event_uuid));
      expect(requests).toBeGreaterThan(3);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
