// The embedded default (DESIGN §11): without connectionString the collector runs on PGlite in
// dataDir, pg-boss included, with nothing else installed or running. One file, two opens (PGlite's
// first open takes seconds), bounded data.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { createCollector } from "../src/collector/index.js";
import { createSimulator } from "../src/testing/index.js";

const dataDir = mkdtempSync(join(tmpdir(), "auditlogs-embedded-"));
const sim = createSimulator({ vendors: ["jitsudo", "cortex"], eventsPerVendor: 60, rateLimit: false, seed: 3 });
let server: Awaited<ReturnType<typeof sim.listen>>;
beforeAll(async () => {
  server = await sim.listen();
});
afterAll(async () => {
  await server?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const sources = () => [
  { id: "j", vendor: "jitsudo" as const, every: "1h", params: { pageSize: 20 }, options: { ...server.credentials.jitsudo, rateLimit: false as const } },
  { id: "c", vendor: "cortex" as const, every: "1h", params: { pageSize: 25 }, options: { ...server.credentials.cortex, rateLimit: false as const } },
];

test("runs on PGlite in dataDir, and its state survives a restart", async () => {
  const first = createCollector({ dataDir, sources: sources() });
  try {
    // Queued before start(): the schedule's own first runs could otherwise go first, and these
    // would be the next runs, which find nothing new.
    const runs = Promise.all([first.run("j"), first.run("c")]);
    await first.start({ workers: 2 });
    expect(await runs).toEqual([
      { sourceId: "j", status: "succeeded", events: 60, pages: 3 },
      { sourceId: "c", status: "succeeded", events: 60, pages: 3 },
    ]);
  } finally {
    await first.stop();
  }

  // A new process on the same directory: the checkpoints and counts are there; nothing is read twice.
  const second = createCollector({ dataDir, sources: sources() });
  try {
    const before = await second.status();
    expect(before.map((s) => [s.sourceId, s.events, s.lastError])).toEqual([["c", 60, null], ["j", 60, null]]);
    expect(before.every((s) => s.watermark !== null && s.lagMs !== null)).toBe(true);
    await second.start();
    expect(await second.run("j")).toMatchObject({ status: "succeeded", events: 0 });
  } finally {
    await second.stop();
  }
}, 180_000);
