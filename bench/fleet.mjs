#!/usr/bin/env node
/**
 * The fleet benchmark (DESIGN §9, `fleet_*`): auditlogs/collector on a real PostgreSQL with
 * worker processes, against the simulator in its own process.
 *
 * 1. 200 sources (JITSudo accounts, 10 pages of 10 events each, 100 ms a page) over 4 worker
 *    processes; one process is SIGKILLed once a quarter of the runs are done. Afterwards every
 *    source's events are counted in `<schema>.events`: `fleet_lost` (events missing),
 *    `fleet_duplicates` (rows repeated), `fleet_runs_per_min` (the whole thing, kill and takeover
 *    included), `fleet_db_ms_per_page` (time the fleet's processes spent waiting on PostgreSQL,
 *    every query of the collector and of pg-boss, per page read; target ≤ 10 ms, 10 % of a page;
 *    on a loaded machine mostly waiting for a CPU) and `fleet_db_server_ms_per_page` (the
 *    server's own execution time per page, from pg_stat_statements).
 * 2. Three processes, one source each, sharing one `rateLimitKey` against the simulator's Cortex
 *    limited strictly to 240 requests a minute: `fleet_shared_limit_429s` (target 0) and
 *    `fleet_shared_limit_utilization` (requests sent ÷ allowed once the starting burst is spent;
 *    target ≥ 0.85).
 * 3. The embedded default's first open (PGlite in an empty directory), measured: not a target.
 *
 * PostgreSQL: $FLEET_DATABASE_URL, or a throwaway cluster (test/postgres-cluster.ts: Debian's
 * postgresql package, initdb into a temporary directory), stopped at the end. `--json` prints one
 * JSON object on stdout; progress goes to stderr. `--quick` (bench/run.mjs --quick): 50 sources,
 * and beside the fleet's run on the same cluster (its own schema), the shared-limit run, ended
 * (SIGKILL) once 40 requests are past the end of the burst (10 s at 240 a minute), those 40 its
 * window; and the embedded probe beside both.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { buildSync } from "esbuild";
import pg from "pg";
import { distUrl, progress, round, simulatorProcess, sleep } from "./lib.mjs";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const WORKER = fileURLToPath(new URL("./fleet-worker.mjs", import.meta.url));
const json = process.argv.includes("--json");
const quick = process.argv.includes("--quick");

/** --quick: 50 sources (a quarter of them, 13, before the kill), the rest as a full run. */
const SOURCES = quick ? 50 : 200;
const PROCESSES = 4;
const WORKERS_PER_PROCESS = 8;
const EVENTS = 100;
const PAGE_SIZE = 10;
const PAGE_MS = 100;
const STALE_AFTER_MS = 10_000;
const SHARED_LIMIT = 240;
/**
 * Requests per source (pages of 1): 3 × 120 = the burst of 239 and 121 after it. --quick: more
 * than it needs, as it stops once QUICK_STEADY requests are past the burst, however long that took.
 */
const SHARED_EVENTS = quick ? 400 : 120;
const QUICK_STEADY = 40;
/** A run lost (none ending for this long) is counted in fleet_lost, not waited for. */
const STALL_MS = (quick ? 2 : 3) * STALE_AFTER_MS;

/** The database: $FLEET_DATABASE_URL, or a fresh throwaway cluster. */
async function database() {
  if (process.env.FLEET_DATABASE_URL) return { url: process.env.FLEET_DATABASE_URL, stop: async () => undefined };
  // test/postgres-cluster.ts, bundled into the repository (so pg resolves from node_modules).
  const dir = mkdtempSync(join(ROOT, ".tmp-collector-"));
  const file = join(dir, "postgres-cluster.mjs");
  buildSync({ entryPoints: [join(ROOT, "test/postgres-cluster.ts")], outfile: file, bundle: true, format: "esm", platform: "node", packages: "external", logLevel: "error" });
  const { startPostgres } = await import(pathToFileURL(file).href);
  // pg_stat_statements: the server's own execution time per page, beside what the processes waited.
  const cluster = await startPostgres({ settings: ["shared_preload_libraries=pg_stat_statements"] });
  const url = await cluster.createDatabase("fleet_bench");
  return { url, stop: async () => (await cluster.stop(), rmSync(dir, { recursive: true, force: true })) };
}

function startWorker(config) {
  const child = spawn(process.execPath, [WORKER], { env: { ...process.env, FLEET_CONFIG: JSON.stringify(config) }, stdio: ["ignore", "pipe", "inherit"] });
  const state = { child, lines: [], stats: { dbMs: 0, queries: 0 }, exited: new Promise((resolve) => child.once("exit", resolve)) };
  let buffer = "";
  let ready;
  // Resolved by the worker's READY line, not polled for.
  state.ready = new Promise((resolve, reject) => {
    ready = resolve;
    child.once("exit", (code) => reject(new Error(`a fleet worker exited (${code}) before it was ready`)));
  });
  state.ready.catch(() => undefined);
  child.stdout.setEncoding("utf8").on("data", (chunk) => {
    buffer += chunk;
    let end;
    while ((end = buffer.indexOf("\n")) >= 0) {
      const line = buffer.slice(0, end);
      buffer = buffer.slice(end + 1);
      state.lines.push(line);
      if (line === "READY") ready();
      if (line.startsWith("STATS ")) state.stats = JSON.parse(line.slice(6));
    }
  });
  return state;
}

async function until(probe, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`fleet bench: timed out waiting for ${what}`);
    await sleep(200);
  }
}

/** A proxy that records the time and status of every request it passes to `target`. */
async function recordingProxy(target) {
  const seen = [];
  const server = createServer((req, res) => {
    const entry = { at: performance.now(), status: 0 };
    seen.push(entry);
    const url = new URL(req.url ?? "/", target);
    const upstream = httpRequest(url, { method: req.method, headers: { ...req.headers, host: url.host } }, (reply) => {
      entry.status = reply.statusCode ?? 0;
      res.writeHead(reply.statusCode ?? 502, reply.headers);
      reply.pipe(res);
    });
    upstream.on("error", () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${server.address().port}`, seen, close: () => new Promise((resolve) => (server.closeAllConnections(), server.close(resolve))) };
}

async function fleetRun(url) {
  const sim = await simulatorProcess({ vendors: ["jitsudo"], eventsPerVendor: EVENTS, rateLimit: false, latencyMs: PAGE_MS, seed: 42 });
  const db = new pg.Pool({ connectionString: url, max: 2 });
  const workers = [];
  const statements = await db
    .query("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
    .then(() => db.query("SELECT pg_stat_statements_reset()"))
    .then(() => true, () => false);
  try {
    const sources = Array.from({ length: SOURCES }, (_, i) => ({
      id: `acct-${String(i).padStart(3, "0")}`,
      vendor: "jitsudo",
      every: "1h",
      params: { pageSize: PAGE_SIZE },
      options: { ...sim.credentials.jitsudo, rateLimit: false },
    }));
    const config = { connectionString: url, schema: "fleet", staleAfterMs: STALE_AFTER_MS, workers: WORKERS_PER_PROCESS, sources };
    progress(`fleet: ${SOURCES} sources × ${EVENTS / PAGE_SIZE} pages of ${PAGE_MS} ms over ${PROCESSES} processes × ${WORKERS_PER_PROCESS} workers`);
    const started = performance.now();
    for (let i = 0; i < PROCESSES; i++) workers.push(startWorker(config));
    await Promise.all(workers.map((w) => w.ready));
    const done = async () => Number((await db.query("SELECT count(*) AS n FROM fleet.sources WHERE last_success_at IS NOT NULL")).rows[0].n);
    await until(async () => (await done()) >= SOURCES / 4, 300_000, "a quarter of the runs");
    const victim = workers[0];
    victim.child.kill("SIGKILL");
    await victim.exited;
    const killedAt = performance.now();
    progress(`fleet: killed one worker process with SIGKILL after ${((killedAt - started) / 1000).toFixed(1)} s, ${await done()} runs done`);
    // Every run, or no run ending for STALL_MS (a run lost: counted in fleet_lost, not waited for).
    let last = { n: 0, at: Date.now() };
    await until(async () => {
      const n = await done();
      if (n !== last.n) last = { n, at: Date.now() };
      else if (Date.now() - last.at > STALL_MS) {
        const { rows } = await db.query("SELECT source_id FROM fleet.sources WHERE last_success_at IS NULL ORDER BY source_id");
        const missing = rows.map((r) => r.source_id);
        // What the processes last said about each (the killed one's up to its kill).
        const said = missing.map((id) => `${id}: ${workers.flatMap((w, i) => w.lines.filter((l) => l.includes(`run of ${id} `)).map((l) => `[${i}] ${l.replace(/^auditlogs collector: run of \S+ /, "")}`)).join("; ") || "no run"}`);
        progress(`fleet: no run ended for ${STALL_MS / 1000} s with ${n} of ${SOURCES} done (process 0 was killed); counting what is there. Not done: ${said.join(" | ")}`);
        return true;
      }
      return n >= SOURCES;
    }, 600_000, "every run");
    const elapsedMs = performance.now() - started;
    await Promise.all(workers.slice(1).map((w) => (w.child.kill("SIGTERM"), w.exited)));

    const { rows } = await db.query(`SELECT s.source_id, count(e.id) AS n, count(DISTINCT e.id) AS distinct_ids, s.events
      FROM fleet.sources s LEFT JOIN fleet.events e ON e.source_id = s.source_id GROUP BY s.source_id, s.events`);
    const distinctAll = Number((await db.query("SELECT count(DISTINCT id) AS n FROM fleet.events")).rows[0].n);
    let lost = 0;
    let duplicates = 0;
    for (const row of rows) {
      lost += EVENTS - Number(row.distinct_ids);
      duplicates += Number(row.n) - Number(row.distinct_ids);
    }
    lost += (SOURCES - rows.length) * EVENTS;
    const pages = SOURCES * (EVENTS / PAGE_SIZE);
    // Every process's, the killed one's up to its last report (each reports every second).
    const dbMs = workers.reduce((sum, w) => sum + w.stats.dbMs, 0);
    const queries = workers.reduce((sum, w) => sum + w.stats.queries, 0);
    const serverMs = statements
      ? Number((await db.query("SELECT coalesce(sum(total_exec_time), 0) AS ms FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())")).rows[0].ms)
      : NaN;
    const resumed = workers.slice(1).reduce((n, w) => n + w.lines.filter((l) => l.includes("(resuming after")).length, 0);
    return {
      fleet_lost: lost,
      fleet_duplicates: duplicates,
      fleet_runs_per_min: round((SOURCES / elapsedMs) * 60_000, 1),
      fleet_db_ms_per_page: round(dbMs / pages, 2),
      fleet_db_server_ms_per_page: Number.isNaN(serverMs) ? null : round(serverMs / pages, 2),
      fleet_queries_per_page: round(queries / pages, 1),
      fleet_resumed_runs: resumed,
      fleet_elapsed_s: round(elapsedMs / 1000, 1),
      fleet_distinct_event_ids: distinctAll,
    };
  } finally {
    for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill("SIGKILL");
    await db.end();
    await sim.close();
  }
}

async function sharedLimitRun(url) {
  const sim = await simulatorProcess({ vendors: ["cortex"], eventsPerVendor: SHARED_EVENTS, rateLimit: { cortex: SHARED_LIMIT }, seed: 7 });
  const proxy = await recordingProxy(sim.url);
  const workers = [];
  try {
    progress(`shared limit: 3 processes, one rateLimitKey, a server allowing ${SHARED_LIMIT} requests/min`);
    for (let i = 0; i < 3; i++) {
      const source = {
        id: `shared-${i}`,
        vendor: "cortex",
        every: "1h",
        rateLimitKey: "cortex:acme",
        params: { pageSize: 1 },
        options: { ...sim.credentials.cortex, baseUrl: proxy.url, rateLimit: { requestsPerMinute: SHARED_LIMIT }, maxRetries: 0 },
      };
      workers.push(startWorker({ connectionString: url, schema: "shared", staleAfterMs: 30_000, workers: 1, sources: [source] }));
    }
    await Promise.all(workers.map((w) => w.ready));
    // Each source's run ended, in whichever process took it.
    const ended = () => new Set(workers.flatMap((w) => w.lines.map((l) => /run of (shared-\d) (succeeded|failed)/.exec(l)?.[1]).filter(Boolean)));
    const sorted = () => proxy.seen.map((s) => s.at).sort((a, b) => a - b);
    // Where the burst ends (--quick), however long a starved machine took to spend it: the first
    // request past the bucket's capacity from which 10 more took at least 0.8 of 10 at the limit's
    // pace (the burst goes many times faster).
    const steadyFrom = (times) => {
      const paced = (10 * 60_000 * 0.8) / SHARED_LIMIT;
      for (let i = SHARED_LIMIT - 1; i + 10 < times.length; i++) if (times[i + 10] - times[i] >= paced) return i;
      return times.length;
    };
    const enough = () => {
      const times = sorted();
      return times.length - steadyFrom(times) > QUICK_STEADY;
    };
    const waitFrom = Date.now();
    // --quick gives up waiting after a minute and measures what there is.
    await until(async () => ended().size === workers.length || (quick && (enough() || Date.now() - waitFrom > 60_000)), 300_000, "the shared-limit runs");
    // --quick ends the runs it has measured enough of; a graceful stop would give them 10 s more.
    await Promise.all(workers.map((w) => (w.child.kill(quick ? "SIGKILL" : "SIGTERM"), w.exited)));
    const times = sorted();
    // Where the requests went, for reading a figure that looks wrong: per 5 s from the first.
    const buckets = [];
    for (const at of times) buckets[Math.floor((at - times[0]) / 5_000)] = (buckets[Math.floor((at - times[0]) / 5_000)] ?? 0) + 1;
    progress(`shared limit: ${times.length} requests over ${((times.at(-1) - times[0]) / 1000).toFixed(1)} s, per 5 s: ${Array.from(buckets, (n) => n ?? 0).join(" ")}`);
    // Steady state: after the starting burst (the bucket's capacity, one less than a minute's
    // worth, plus what refills while three processes spend it, however long that took): the last
    // 100 requests, none of them the burst's (a burst spent slowly ran into them once: 1.118).
    // --quick: the requests after the burst.
    const window = times.slice(quick ? steadyFrom(times) : Math.max(steadyFrom(times), times.length - 100));
    const allowed = ((window.at(-1) - window[0]) / 60_000) * SHARED_LIMIT;
    return {
      fleet_shared_limit_429s: proxy.seen.filter((s) => s.status === 429).length,
      fleet_shared_limit_utilization: round((window.length - 1) / allowed, 3),
      fleet_shared_limit_requests: proxy.seen.length,
      fleet_shared_limit_failed_runs: workers.filter((w) => w.lines.some((l) => /run of shared-\d failed/.test(l))).length,
    };
  } finally {
    for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill("SIGKILL");
    await proxy.close();
    await sim.close();
  }
}

/** PGlite's first open in an empty directory, in a fresh process, and pg-boss's first start on it. */
async function embeddedFirstOpen() {
  const dataDir = mkdtempSync(join(tmpdir(), "auditlogs-pglite-bench-"));
  const script = `
    const { createCollector } = await import(${JSON.stringify(distUrl("collector.js"))});
    const t0 = performance.now();
    const c = createCollector({ dataDir: ${JSON.stringify(dataDir)}, sources: [] });
    await c.status();
    const t1 = performance.now();
    await c.start();
    const t2 = performance.now();
    await c.stop();
    const t3 = performance.now();
    const again = createCollector({ dataDir: ${JSON.stringify(dataDir)}, sources: [] });
    await again.start();
    const t4 = performance.now();
    await again.stop();
    console.log(JSON.stringify({ open: t1 - t0, start: t2 - t0, reopen: t4 - t3 }));`;
  try {
    progress("embedded: PGlite's first open in an empty directory");
    const output = await new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ["--input-type=module", "-e", script], { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"] });
      let out = "";
      child.stdout.setEncoding("utf8").on("data", (c) => (out += c));
      child.once("exit", (code) => (code === 0 ? resolve(out) : reject(new Error(`embedded probe exited with ${code}`))));
    });
    const { open, start, reopen } = JSON.parse(output.trim().split("\n").pop());
    return { pglite_first_open_ms: Math.round(open), pglite_first_start_ms: Math.round(start), pglite_reopen_start_ms: Math.round(reopen) };
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const db = await database();
let result;
try {
  // FLEET_PARTS=fleet,shared,embedded (the default: all three) runs some of them.
  const parts = new Set((process.env.FLEET_PARTS ?? "fleet,shared,embedded").split(","));
  const fleet = () => (parts.has("fleet") ? fleetRun(db.url) : {});
  const shared = () => (parts.has("shared") ? sharedLimitRun(db.url) : {});
  const embedded = () => (parts.has("embedded") ? embeddedFirstOpen() : {});
  if (quick) {
    // The fleet's run is mostly waiting (pages of 100 ms, a 10 s takeover), the shared limit's
    // too (4 requests a second): side by side, each in its own schema, and the embedded probe beside them.
    const [a, b, c] = await Promise.all([fleet(), shared(), embedded()]);
    result = { ...a, ...b, ...c };
  } else {
    result = { ...(await fleet()), ...(await shared()), ...(await embedded()) };
  }
} finally {
  await db.stop();
}
if (json) process.stdout.write(`${JSON.stringify(result)}\n`);
else for (const [key, value] of Object.entries(result)) process.stdout.write(`${key.padEnd(34)} ${value}\n`);
