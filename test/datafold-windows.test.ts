// Datafold has no pagination: events() walks [since, until) in windows with no gap and no
// overlap, several at once, in time order; a window whose answer may have been cut short by
// the server is split and read again.
import { afterAll, beforeAll, expect, test } from "vitest";
import { createDatafoldClient } from "../src/index.js";
import { createSimulator, type SimulatorServer } from "../src/testing/index.js";
import { DATAFOLD_SPLIT_AT } from "../src/vendors/datafold.js";

const DAY = 86_400_000;
let server: SimulatorServer;
// More events in one day than the server returns for a window: the SDK must split.
const end = Date.parse("2026-06-02T00:00:00Z");
const sim = createSimulator({ vendors: ["datafold"], eventsPerVendor: DATAFOLD_SPLIT_AT + 2_000, endAt: new Date(end), spanDays: 1, datafoldMaxLogs: DATAFOLD_SPLIT_AT, rateLimit: false });

beforeAll(async () => {
  server = await sim.listen();
});
afterAll(() => server.close());

test("a window at the server's cap is split until every event is read, in time order", async () => {
  const client = createDatafoldClient(server.credentials.datafold);
  const events = await client.events({ since: new Date(end - 2 * DAY), until: new Date(end) }).toArray({ limit: 100_000 });
  expect(events).toHaveLength(DATAFOLD_SPLIT_AT + 2_000);
  expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
  const times = events.map((e) => e.occurredAt);
  expect([...times].sort()).toEqual(times);
});

test("windows have no gap and no overlap: an event exactly on a boundary is read once", async () => {
  const s = createSimulator({ vendors: ["datafold"], eventsPerVendor: 0, rateLimit: false });
  const srv = await s.listen();
  try {
    const boundary = end - DAY / 2;
    s.addEvents("datafold", 1, { occurredAt: new Date(boundary) });
    s.addEvents("datafold", 1, { occurredAt: new Date(boundary - 1) });
    s.addEvents("datafold", 1, { occurredAt: new Date(end) }); // at until: outside [since, until)
    const client = createDatafoldClient({ ...srv.credentials.datafold, windowMs: DAY / 2 });
    const events = await client.events({ since: new Date(end - DAY), until: new Date(end) }).toArray({ limit: 10 });
    expect(events.map((e) => Date.parse(e.occurredAt))).toEqual([boundary - 1, boundary]);
  } finally {
    await srv.close();
  }
});

test("the raw client sends the JSON body on GET", async () => {
  const client = createDatafoldClient(server.credentials.datafold);
  const { data, error } = await client.raw.GET("/api/v1/audit_logs", { body: { start_date: new Date(end - 60_000).toISOString(), end_date: new Date(end).toISOString() } });
  expect(error).toBeUndefined();
  const expected = sim.events.datafold.filter((l) => Date.parse(l.timestamp) >= end - 60_000);
  expect(data!.logs).toEqual(expected);
});

// DESIGN §13: windows adapt. An empty window makes the next larger, a dense one smaller, a full one
// splits; the default 365-day range holding a week of events costs few requests.
test("the default 365-day range holding 7 days of events costs at most 30 requests", async () => {
  const s = createSimulator({ vendors: ["datafold"], eventsPerVendor: 3_000, spanDays: 7, rateLimit: false });
  const srv = await s.listen();
  try {
    const events = await createDatafoldClient(srv.credentials.datafold).events().toArray({ limit: 10_000 });
    expect(new Set(events.map((e) => e.id)).size).toBe(3_000);
    // One-day windows over the whole year were 365 requests.
    expect(s.stats.requests.datafold).toBeLessThanOrEqual(30);
  } finally {
    await srv.close();
  }
});

test("skewed data under the server's cap: every log exactly once, in time order, and a checkpoint at several points resumes exactly", async () => {
  // 80 % of the logs in the last 3 days: the first one-day windows there hit the cap and split.
  const s = createSimulator({ vendors: ["datafold"], eventsPerVendor: 2 * DATAFOLD_SPLIT_AT + 3_000, endAt: new Date(end), spanDays: 30, skew: { share: 0.8, last: 0.1 }, datafoldMaxLogs: DATAFOLD_SPLIT_AT, rateLimit: false });
  const srv = await s.listen();
  try {
    const client = createDatafoldClient(srv.credentials.datafold);
    const params = { since: new Date(end - 30 * DAY), until: new Date(end) };
    const expected = s.events.datafold.map((l) => l.event_uuid).sort();
    const all = await client.events(params).toArray({ limit: 100_000 });
    expect(all.map((e) => e.id).sort()).toEqual(expected);
    const times = all.map((e) => e.occurredAt);
    expect([...times].sort()).toEqual(times);
    for (const stopAfter of [1, 4_321, all.length - 1]) {
      const stream = client.events(params);
      const head: string[] = [];
      for await (const event of stream) {
        head.push(event.id);
        if (head.length === stopAfter) break;
      }
      const rest = await client.events({ ...params, resumeFrom: stream.checkpoint() }).toArray({ limit: 100_000 });
      expect([...head, ...rest.map((e) => e.id)].sort()).toEqual(expected);
    }
  } finally {
    await srv.close();
  }
});
