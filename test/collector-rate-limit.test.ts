// Sources sharing a rateLimitKey share one token bucket in PostgreSQL across processes (DESIGN
// §11): three worker processes read one account of a server that enforces its limit strictly
// (the simulator's Cortex at 120 requests a minute, a 429 past it) and get no 429 at all. Each
// process alone would send its bucket's whole burst: three times what the server allows.
import pg from "pg";
import { afterAll, beforeAll, expect, test } from "vitest";
import { createSimulator } from "../src/testing/index.js";
import { buildWorker, startWorker, type WorkerConfig, type WorkerProcess } from "./collector-fixtures.js";
import { usePostgres } from "./postgres.js";

const database = usePostgres("collector_rate_limit");
const LIMIT = 120;
const EVENTS = 45;
const sim = createSimulator({ vendors: ["cortex"], eventsPerVendor: EVENTS, rateLimit: { cortex: LIMIT }, seed: 21 });
let server: Awaited<ReturnType<typeof sim.listen>>;
let worker: ReturnType<typeof buildWorker>;
const running: WorkerProcess[] = [];

beforeAll(async () => {
  server = await sim.listen();
  worker = buildWorker();
});
afterAll(async () => {
  await Promise.all(running.map((w) => w.kill()));
  await server?.close();
  worker?.remove();
});

test("three processes sharing one rateLimitKey get zero 429s from a strict server", async () => {
  const sources = [0, 1, 2].map((i) => ({
    id: `acme-cortex-${i}`,
    vendor: "cortex",
    every: "1h",
    rateLimitKey: "cortex:acme",
    // One event a page: 3 × 46 requests, more than the server's whole bucket.
    params: { pageSize: 1 },
    // maxRetries 0: a 429 would fail the run, not hide in a retry.
    options: { ...server.credentials.cortex, rateLimit: { requestsPerMinute: LIMIT }, maxRetries: 0 },
  }));
  // One source per process, so every request of one process competes with the other two's.
  const workers = sources.map((source) => {
    const config: WorkerConfig = { connectionString: database.connectionString, schema: "shared", staleAfterMs: 30_000, workers: 1, sources: [source] };
    const w = startWorker(worker.file, config);
    running.push(w);
    return w;
  });
  await Promise.all(workers.map((w, i) => w.waitFor(new RegExp(`run of acme-cortex-${i} (succeeded|failed)`), 90_000)));

  expect(sim.stats.rateLimited.cortex).toBe(0);
  expect(sim.stats.requests.cortex).toBeGreaterThan(LIMIT);
  for (const [i, w] of workers.entries()) expect(w.lines.join("\n")).toContain(`run of acme-cortex-${i} succeeded: ${EVENTS} events`);
  const client = new pg.Client({ connectionString: database.connectionString });
  await client.connect();
  const { rows } = await client.query("SELECT key FROM shared.rate_limits");
  await client.end();
  expect(rows).toEqual([{ key: "cortex:acme" }]);
  await Promise.all(workers.map((w) => w.stop()));
}, 150_000);
