// DESIGN §4: a checkpoint taken after any yielded event resumes with exactly the events not yet
// yielded (none twice, none skipped), for every vendor and pagination kind; a completed run's
// checkpoint is a watermark that catches late events and repeats none.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createClient, type AnyClient, type AuditEvent, type Checkpoint, type ClientOptions } from "../src/index.js";
import { createSimulator } from "../src/testing/index.js";
import { ConfigError } from "../src/core/errors.js";
import { VENDOR_IDS, type VendorId } from "../src/core/vendor-id.js";

const MINUTE = 60_000;
const COUNT = 37;

/** Page sizes that put page boundaries at known places; Datafold reads windows instead. */
const PAGE: Record<VendorId, { pageSize?: number; windowMs?: number; resumePageSize?: number }> = {
  pylon: { pageSize: 5, resumePageSize: 7 },
  zendesk: { pageSize: 5, resumePageSize: 3 },
  cortex: { pageSize: 5, resumePageSize: 8 },
  datafold: { windowMs: 12 * 60 * MINUTE },
  jitsudo: { pageSize: 5, resumePageSize: 4 },
};

describe.each(VENDOR_IDS)("%s", (vendor) => {
  const now = Date.now();
  // Events end 2 minutes ago, inside the 5-minute lag zone (Zendesk cannot read the last 60 s).
  const sim = createSimulator({ vendors: [vendor], eventsPerVendor: COUNT, seed: 11, endAt: new Date(now - 2 * MINUTE), spanDays: 3, rateLimit: false });
  let server: Awaited<ReturnType<typeof sim.listen>>;
  let client: AnyClient;
  const since = new Date(now - 4 * 24 * 60 * MINUTE).toISOString();
  // The resumed run's page size is this test's own: not a parameter of events().
  const { resumePageSize, ...page } = PAGE[vendor];
  const params = { since, ...page };
  let all: AuditEvent[];

  beforeAll(async () => {
    server = await sim.listen();
    client = createClient({ vendor, ...server.credentials[vendor], rateLimit: false, maxRetries: 0 } as ClientOptions);
    all = await client.events(params).toArray({ limit: 10_000 });
  });
  afterAll(() => server.close());

  test("a full read yields every served event once", () => {
    expect(all).toHaveLength(COUNT);
    expect(new Set(all.map((e) => e.id)).size).toBe(COUNT);
  });

  test("resuming after any event yields exactly the rest", async () => {
    const ids = all.map((e) => e.id);
    for (let stop = 1; stop <= COUNT; stop++) {
      const stream = client.events(params);
      const head: string[] = [];
      let checkpoint: Checkpoint | undefined;
      for await (const event of stream) {
        head.push(event.id);
        if (head.length === stop) {
          checkpoint = JSON.parse(JSON.stringify(stream.checkpoint()));
          break;
        }
      }
      // A resumed run may use another page size; `since` is ignored with resumeFrom.
      const rest = await client
        .events({ ...params, since: "2000-01-01T00:00:00Z", pageSize: resumePageSize, resumeFrom: checkpoint })
        .toArray({ limit: 10_000 });
      expect([...head, ...rest.map((e) => e.id)], `stop after ${stop}`).toEqual(ids);
    }
  });

  test("pages() exposes a checkpoint after each page that resumes after it", async () => {
    const pages = client.pages(params);
    const seen: string[] = [];
    let checkpoint: Checkpoint | undefined;
    for await (const page of pages) {
      seen.push(...page.events.map((e) => e.id));
      expect(page.records.length).toBeGreaterThanOrEqual(page.events.length);
      if (seen.length >= 6) {
        checkpoint = page.checkpoint;
        break;
      }
    }
    const rest = await client.events({ ...params, resumeFrom: checkpoint }).toArray({ limit: 10_000 });
    expect([...seen, ...rest.map((e) => e.id)]).toEqual(all.map((e) => e.id));
  });

  test("next run: the watermark catches late events and repeats none", async () => {
    // Two events inside the lag zone before the first run: it yields them and must remember them.
    const recent = sim.addEvents(vendor, 2, { occurredAt: new Date(Date.now() - 4 * MINUTE) });
    const first = client.events(params);
    expect(await first.toArray({ limit: 10_000 })).toHaveLength(COUNT + recent.length);
    const done = first.checkpoint();
    expect(done.complete).toBe(true);
    expect(Date.parse(done.watermark)).toBeLessThanOrEqual(Date.now() - 5 * MINUTE + 1_000);
    // Events yielded inside the lag zone are remembered, so a re-read skips them.
    expect(Object.keys(done.seen).length).toBeGreaterThan(0);

    const again = client.events({ ...params, resumeFrom: done });
    expect(await again.toArray({ limit: 10_000 })).toEqual([]);

    // Late arrivals: inserted in the past, inside the lag zone, after the first run ended.
    const late = sim.addEvents(vendor, 3, { occurredAt: new Date(Date.now() - 3 * MINUTE) });
    const second = client.events({ ...params, resumeFrom: again.checkpoint() });
    const caught = await second.toArray({ limit: 10_000 });
    expect(caught).toHaveLength(late.length);
    expect(new Set(caught.map((e) => e.id)).size).toBe(3);
    expect(caught.every((e) => !all.some((a) => a.id === e.id))).toBe(true);
    expect(caught.map((e) => e.raw)).toEqual(late);

    const third = client.events({ ...params, resumeFrom: second.checkpoint() });
    expect(await third.toArray({ limit: 10_000 })).toEqual([]);
  });

  test("a failed run does not advance the checkpoint past what was yielded", async () => {
    const controller = new AbortController();
    const stream = client.events({ ...params, signal: controller.signal });
    const got: string[] = [];
    await expect(
      (async () => {
        for await (const event of stream) {
          got.push(event.id);
          if (got.length === 3) controller.abort();
        }
      })(),
    ).rejects.toThrow();
    const checkpoint = stream.checkpoint();
    expect(checkpoint.complete).toBe(false);
    const rest = await client.events({ ...params, resumeFrom: checkpoint }).toArray({ limit: 10_000 });
    expect(rest[0]?.id).toBe(all[got.length]?.id);
  });

  test("a checkpoint is the caller's: changing it, given or taken, changes nothing in the run", async () => {
    // Read afresh: an earlier test added events to the simulator.
    const ids = (await client.events(params).toArray({ limit: 10_000 })).map((e) => e.id);
    const stop = 7;
    const stream = client.events(params);
    const head: string[] = [];
    for await (const event of stream) if (head.push(event.id) === stop) break;
    const taken = stream.checkpoint();
    const saved = JSON.stringify(taken);
    // Vandalize what was taken: the stream's next checkpoint is as before.
    taken.position!.skip = 0;
    if (taken.position!.state && typeof taken.position!.state === "object") (taken.position!.state as Record<string, unknown>).vandal = 1;
    else taken.position!.state = "vandal";
    expect(JSON.stringify(stream.checkpoint())).toBe(saved);
    // Vandalize what was given, after the run took it: the run resumes from what it was given.
    const given = JSON.parse(saved) as Checkpoint;
    const resumed = client.events({ ...params, resumeFrom: given });
    const state = given.position!.state;
    if (state && typeof state === "object") for (const key of Object.keys(state)) delete (state as Record<string, unknown>)[key];
    given.position!.skip = 0;
    given.position!.state = null;
    const rest = await resumed.toArray({ limit: 10_000 });
    expect([...head, ...rest.map((e) => e.id)]).toEqual(ids);
  });

  test("a checkpoint of another vendor or another filter is refused", () => {
    const checkpoint = client.events(params).checkpoint();
    const other = VENDOR_IDS.find((v) => v !== vendor)!;
    expect(() => client.events({ ...params, resumeFrom: { ...checkpoint, vendor: other } })).toThrow(ConfigError);
    expect(() => client.events({ ...params, resumeFrom: { ...checkpoint, scope: "0000000000000000" } })).toThrow(/another filter/);
    expect(() => client.events({ ...params, resumeFrom: { hello: 1 } })).toThrow(/resumeFrom/);
  });
});
