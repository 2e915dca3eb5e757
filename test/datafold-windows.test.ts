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
