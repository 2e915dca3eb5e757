// DESIGN §13: Pylon has no time filter and documents no order. A finished run keeps its last
// page's state and the order the data showed; a next run in ingestion order reads on from that
// page, newest first it stops at the first page older than the watermark, and a refused cursor
// falls back to a full read, losing nothing.
import { describe, expect, test } from "vitest";
import { createPylonClient, type AuditEvent } from "../src/index.js";
import { createSimulator } from "../src/testing/index.js";

const MINUTE = 60_000;
const ORDERS = ["ingestion", "newest-first"] as const;

async function readAll(stream: AsyncIterable<AuditEvent>): Promise<string[]> {
  const ids: string[] = [];
  for await (const event of stream) ids.push(event.id);
  return ids;
}

describe.each(ORDERS)("Pylon serving %s", (order) => {
  const setup = async (options: { refuseCursors?: () => boolean } = {}) => {
    // Events end 10 minutes ago: outside the 5-minute lag zone, so a next run has nothing new.
    const sim = createSimulator({ vendors: ["pylon"], eventsPerVendor: 1_000, seed: 31, endAt: new Date(Date.now() - 10 * MINUTE), rateLimit: false, pylonOrder: order });
    const server = await sim.listen();
    const fetchFn: typeof fetch = async (input, init) => {
      const url = new URL(input instanceof Request ? input.url : String(input));
      if (options.refuseCursors?.() && url.searchParams.has("cursor")) {
        return new Response(JSON.stringify({ errors: ["invalid cursor"], request_id: "r" }), { status: 400, headers: { "content-type": "application/json" } });
      }
      return fetch(input, init);
    };
    const client = createPylonClient({ ...server.credentials.pylon, rateLimit: false, maxRetries: 0, fetch: fetchFn });
    return { sim, server, client };
  };

  test("a next run with nothing new costs at most 2 requests, and yields nothing", async () => {
    const { sim, server, client } = await setup();
    try {
      const first = client.events({ pageSize: 50 });
      expect(await readAll(first)).toHaveLength(1_000);
      expect(sim.stats.requests.pylon).toBe(20);
      const checkpoint = JSON.parse(JSON.stringify(first.checkpoint()));
      expect(checkpoint.tail.order).toBe(order === "ingestion" ? "oldest-first" : "newest-first");
      sim.resetStats();
      const next = client.events({ pageSize: 50, resumeFrom: checkpoint });
      expect(await readAll(next)).toEqual([]);
      expect(sim.stats.requests.pylon).toBeLessThanOrEqual(2);
      // And again from that run's checkpoint: still cheap, the order still known.
      sim.resetStats();
      const third = client.events({ pageSize: 50, resumeFrom: next.checkpoint() });
      expect(await readAll(third)).toEqual([]);
      expect(sim.stats.requests.pylon).toBeLessThanOrEqual(2);
      expect(third.checkpoint().tail?.order).toBe(checkpoint.tail.order);
    } finally {
      await server.close();
    }
  });

  test("a next run yields exactly the events added since, once, at a page's cost", async () => {
    const { sim, server, client } = await setup();
    try {
      const first = client.events({ pageSize: 50 });
      await readAll(first);
      const added = sim.addEvents("pylon", 70, { occurredAt: new Date(Date.now() - MINUTE) }).map((r) => r.id!);
      sim.resetStats();
      const next = client.events({ pageSize: 50, resumeFrom: first.checkpoint() });
      expect((await readAll(next)).sort()).toEqual([...added].sort());
      // 70 new events fill two pages of 50: the tail page again (oldest first) or the page that
      // reaches older events (newest first), and no more.
      expect(sim.stats.requests.pylon).toBeLessThanOrEqual(4);
      sim.resetStats();
      expect(await readAll(client.events({ pageSize: 50, resumeFrom: next.checkpoint() }))).toEqual([]);
      expect(sim.stats.requests.pylon).toBeLessThanOrEqual(2);
    } finally {
      await server.close();
    }
  });

  // Only ingestion order resumes from a cursor, so only it can have one refused.
  if (order === "ingestion") test("a refused cursor falls back to a full read that loses nothing and repeats nothing", async () => {
    let refusals = 0;
    let refuseNext = false;
    const { sim, server, client } = await setup({
      refuseCursors: () => {
        if (!refuseNext) return false;
        refuseNext = false;
        refusals += 1;
        return true;
      },
    });
    try {
      const first = client.events({ pageSize: 50 });
      await readAll(first);
      const added = sim.addEvents("pylon", 30, { occurredAt: new Date(Date.now() - MINUTE) }).map((r) => r.id!);
      // The next run's first request carries the stored cursor, and the server refuses it.
      refuseNext = true;
      sim.resetStats();
      const next = client.events({ pageSize: 50, resumeFrom: first.checkpoint() });
      expect((await readAll(next)).sort()).toEqual([...added].sort());
      expect(refusals).toBe(1);
      // The fallback read everything: 1,030 events in 21 pages.
      expect(sim.stats.requests.pylon).toBe(21);
      expect(next.checkpoint().tail?.order).toBe("oldest-first");
    } finally {
      await server.close();
    }
  });
});
