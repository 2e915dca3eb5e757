// mergeEvents' checkpoint when every event is in the parts' lag zone (a next run, a live feed):
// each part's checkpoint as of its last event yielded by the merge, made only when asked for. A
// checkpoint made per event costs as many ids as the lag zone holds so far: quadratic (10,000
// events a part took 25.6 s merged against 0.7 s alone).
import { afterAll, beforeAll, expect, test, vi } from "vitest";
import { createClient, mergeEvents, type AnyClient, type AuditEvent, type ClientOptions } from "../src/index.js";
import { SeenIds } from "../src/core/dedupe.js";
import { createSimulator, type SimulatorServer } from "../src/testing/index.js";

const VENDORS = ["pylon", "jitsudo", "cortex"] as const;
// 200 events a vendor in the half hour before the simulator's end (now − 5 min); a lag of an
// hour puts every one of them in the lag zone, so each is noted in the checkpoint's `seen`.
const sim = createSimulator({ vendors: [...VENDORS], eventsPerVendor: 200, seed: 21, rateLimit: false, spanDays: 0.02 });
const params = { since: new Date(Date.now() - 2 * 3_600_000).toISOString(), lagMs: 3_600_000, pageSize: 30 };
let server: SimulatorServer;
let clients: AnyClient[];

beforeAll(async () => {
  server = await sim.listen();
  clients = VENDORS.map((vendor) => createClient({ vendor, ...server.credentials[vendor], rateLimit: false } as ClientOptions));
});
afterAll(() => server.close());

const streams = () => clients.map((c) => c.events(params));
const key = (e: AuditEvent) => `${e.vendor}:${e.id}`;

test("each part's checkpoint holds exactly the ids the merge yielded from it, and resumes exactly", async () => {
  const all = await mergeEvents(streams()).toArray({ limit: 10_000 });
  expect(all).toHaveLength(600);
  for (const stop of [1, 57, 300, 599]) {
    const merged = mergeEvents(streams());
    const head: AuditEvent[] = [];
    for await (const event of merged) if (head.push(event) === stop) break;
    const checkpoint = JSON.parse(JSON.stringify(merged.checkpoint())) as ReturnType<typeof merged.checkpoint>;
    VENDORS.forEach((vendor, i) => {
      const yielded = head.filter((e) => e.vendor === vendor).map((e) => e.id);
      expect(Object.keys(checkpoint.parts[i]!.seen).sort(), `${vendor} at stop ${stop}`).toEqual(yielded.sort());
    });
    const rest = await mergeEvents(clients.map((c, i) => c.events({ ...params, resumeFrom: checkpoint.parts[i] }))).toArray({ limit: 10_000 });
    const got = [...head, ...rest].map(key);
    expect(new Set(got).size, `stop ${stop}`).toBe(got.length);
    expect(new Set(got)).toEqual(new Set(all.map(key)));
  }
});

test("asked for between events (the parts read on meanwhile), each part's checkpoint holds the ids yielded from it, not those read ahead", async () => {
  const merged = mergeEvents(streams());
  const yielded = new Map<string, string[]>(VENDORS.map((v) => [v, []]));
  let checked = 0;
  for await (const event of merged) {
    yielded.get(event.vendor)!.push(event.id);
    // A consumer that lets I/O run (a sink's write): the parts' pages land meanwhile, and a part
    // pulled again reads its next event (noting it) before the merge yields it.
    await new Promise((resolve) => setImmediate(resolve));
    const checkpoint = merged.checkpoint();
    VENDORS.forEach((vendor, i) => {
      expect(Object.keys(checkpoint.parts[i]!.seen).sort(), vendor).toEqual([...yielded.get(vendor)!].sort());
    });
    checked += 1;
  }
  expect(checked).toBe(600);
});

test("two checkpoints of one moment are equal and separate; a later one holds more", async () => {
  const merged = mergeEvents(streams());
  let n = 0;
  for await (const _ of merged) if (++n === 100) break;
  const a = merged.checkpoint();
  const b = merged.checkpoint();
  expect(a).toEqual(b);
  expect(a.parts[0]).not.toBe(b.parts[0]);
  expect(a.parts[0]!.seen).not.toBe(b.parts[0]!.seen);
  const total = (c: typeof a) => c.parts.reduce((sum, p) => sum + Object.keys(p.seen).length, 0);
  expect(total(a)).toBe(100);
});

test("no part's checkpoint is made per event: only when the merged one is asked for, and at each part's end", async () => {
  const made = vi.spyOn(SeenIds.prototype, "toJSON");
  try {
    const merged = mergeEvents(streams());
    let n = 0;
    for await (const _ of merged) if (++n === 300) merged.checkpoint();
    expect(n).toBe(600);
    // One per part as it ended, and one per part not yet ended for the merged checkpoint at 300
    // (an ended part's is the one it made at its end): 606 when each event made one.
    expect(made.mock.calls.length).toBeGreaterThanOrEqual(VENDORS.length);
    expect(made.mock.calls.length).toBeLessThanOrEqual(2 * VENDORS.length);
  } finally {
    made.mockRestore();
  }
});
