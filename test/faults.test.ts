// Issue 5's fault suite: on loopback, with faults at 10 % of requests (429 bursts with each
// vendor's signal, 500/502/503, connection resets, truncated bodies, slow responses) and the
// client's default settings, a full read yields every event exactly once.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createClient, TimeoutError, type ClientOptions } from "../src/index.js";
import { createSimulator, type SimulatorServer } from "../src/testing/index.js";
import { VENDOR_IDS } from "../src/core/vendor-id.js";
import { heldClock } from "./simulator-fixtures.js";

const COUNT = 300;
// Typed as plain numbers: the client is a union of all five, and a page-size literal does not
// compile for one that may be Datafold (which has no pages).
const PAGE: Record<string, { pageSize?: number; windowMs?: number }> = { pylon: { pageSize: 20 }, zendesk: { pageSize: 20 }, cortex: { pageSize: 20 }, datafold: { windowMs: 3600_000 }, jitsudo: { pageSize: 20 } };

describe.each(VENDOR_IDS)("%s under 10 %% faults", (vendor) => {
  const sim = createSimulator({ vendors: [vendor], eventsPerVendor: COUNT, seed: 21, faults: { rate: 0.1, slowMs: 300 } });
  let server: SimulatorServer;
  beforeAll(async () => {
    server = await sim.listen();
  });
  afterAll(() => server.close());

  test("a full read with default settings yields every event exactly once", async () => {
    const client = createClient({ vendor, ...server.credentials[vendor] } as ClientOptions);
    const since = new Date(Date.now() - 8 * 86_400_000).toISOString();
    const events = await client.events({ since, ...PAGE[vendor] }).toArray({ limit: 10_000 });
    const ids = events.map((e) => e.id);
    expect(ids).toHaveLength(COUNT);
    expect(new Set(ids).size).toBe(COUNT);
    // The faults really happened, and were retried.
    expect(sim.stats.faults[vendor]).toBeGreaterThan(0);
    expect(client.stats.retries).toBeGreaterThan(0);
  }, 60_000);
});

test("a response slower than timeoutMs is retried, then fails with TimeoutError", async () => {
  // The simulator's slow responses wait on a clock that only this test moves: they cannot answer
  // before the client's timeout, however loaded the machine (no race between two real timers).
  const clock = heldClock();
  const sim = createSimulator({ vendors: ["jitsudo"], eventsPerVendor: 5, faults: { rate: 1, kinds: ["slow"], slowMs: 400 }, clock });
  const server = await sim.listen();
  try {
    const client = createClient({ vendor: "jitsudo", ...server.credentials.jitsudo, timeoutMs: 100, maxRetries: 1 });
    const error = await client.events().toArray({ limit: 1 }).catch((e: unknown) => e);
    expect(TimeoutError.isInstance(error)).toBe(true);
    expect(sim.stats.requests.jitsudo).toBe(2);
    expect(clock.sleeps).toEqual([400, 400]);
  } finally {
    clock.release();
    await server.close();
  }
});
