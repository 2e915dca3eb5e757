#!/usr/bin/env node
/**
 * Hostile-server figures (DESIGN §14), printed as one JSON object on stdout:
 * - peak RSS of a fresh process reading a 300 MiB gzip and brotli bomb, and a 200 MB page, with
 *   the default maxResponseBytes (64 MiB): bounded near the cap, against an idle baseline;
 * - requests until a loop is called (ever-new cursors over one old record; a cycle of ids; empty
 *   pages), and a chain that is no loop but repeats one record on every page: events yielded, none twice;
 * - the time to load a checkpoint whose `seen` holds 100,000 ids (median of 7), from its JSON text
 *   and from the parsed object, beside JSON.parse alone (`--quick`: median of 3).
 * Each body is made as it is read, so a client that stops at the cap stops the server too.
 * Needs the built package (`npm run build`). Usage: node bench/hostile.mjs [rss|loops|checkpoint]
 */
import { execFile } from "node:child_process";
import http from "node:http";
import { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import zlib from "node:zlib";
import { loadLibrary, median, progress, round } from "./lib.mjs";

const MiB = 1024 * 1024;
/** Timed loads of the 100,000-id checkpoint, of which the median counts. */
const LOADS = process.argv.includes("--quick") ? 3 : 7;
const RUN = { since: "2026-01-01T00:00:00Z", until: "2026-01-02T00:00:00Z" };

// --- child: one run against the server at argv, then its peak RSS ------------------------------

if (process.argv[2] === "--child") {
  const [, , , origin, mode] = process.argv;
  const { createPylonClient } = await loadLibrary();
  let outcome = "complete";
  let events = 0;
  if (mode !== "idle") {
    const client = createPylonClient({ apiToken: "bench-token", baseUrl: origin, rateLimit: false, maxRetries: 0 });
    try {
      for await (const _event of client.events({ ...RUN, pageSize: 100 })) events += 1;
    } catch (error) {
      outcome = error.name;
    }
  }
  process.stdout.write(JSON.stringify({ outcome, events, peakRssMiB: round(process.resourceUsage().maxRSS / 1024, 1) }));
  process.exit(0);
}

// --- servers ---------------------------------------------------------------------------------------

function listen(handler) {
  const server = http.createServer((req, res) => {
    res.on("error", () => undefined);
    handler(req, res);
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

const close = (server) => {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(resolve));
};

/** `total` bytes of a page: `{"data":[record,record,…` produced as read (never held whole). */
function pageBytes(total) {
  const record = Buffer.from(`{"id":"r","action":"UserCreated","action_happened_at":"2026-01-01T12:00:00Z","pad":"${"x".repeat(400)}"},`);
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= total) return void this.push(null);
      const chunk = sent === 0 ? Buffer.concat([Buffer.from('{"data":['), Buffer.concat(Array(128).fill(record))]) : Buffer.concat(Array(128).fill(record));
      sent += chunk.length;
      this.push(chunk);
    },
  });
}

function serveBody(encoding, total) {
  return (_req, res) => {
    res.writeHead(200, { "content-type": "application/json", ...(encoding ? { "content-encoding": encoding } : {}) });
    const source = pageBytes(total);
    const stages = [source];
    if (encoding === "gzip") stages.push(zlib.createGzip({ level: 1 }));
    if (encoding === "br") stages.push(zlib.createBrotliCompress({ params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 1 } }));
    res.on("close", () => stages.forEach((s) => s.destroy()));
    stages.reduce((a, b) => a.pipe(b)).pipe(res);
  };
}

function child(origin, mode) {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [fileURLToPath(import.meta.url), "--child", origin, mode], { timeout: 300_000 }, (error, out) => (error ? reject(error) : resolve(JSON.parse(out))));
  });
}

async function rss(name, handler) {
  const server = await listen(handler ?? ((_req, res) => res.end()));
  try {
    const result = await child(`http://127.0.0.1:${server.address().port}`, handler ? "run" : "idle");
    progress(`${name}: ${JSON.stringify(result)}`);
    return result;
  } finally {
    await close(server);
  }
}

// --- loops -----------------------------------------------------------------------------------------

/**
 * A Pylon chain of ever-new 4 KB cursors whose page n holds `recordsOf(n)`, read to its end or its
 * loop (a chain that is no loop ends after `pages`): the requests it took, the events yielded and
 * how many of them repeat an id yielded before (none, however the server repeats records).
 */
async function requestsUntilLoop(recordsOf, pages = 100_000) {
  const { createPylonClient } = await loadLibrary();
  let requests = 0;
  const server = await listen((_req, res) => {
    requests += 1;
    const more = requests < pages;
    const text = JSON.stringify({ data: recordsOf(requests), pagination: { cursor: `c${requests}-${"y".repeat(4_000)}`, has_next_page: more } });
    res.writeHead(200, { "content-type": "application/json" });
    res.end(text);
  });
  const client = createPylonClient({ apiToken: "t", baseUrl: `http://127.0.0.1:${server.address().port}`, rateLimit: false, maxRetries: 0 });
  let outcome = "complete";
  const ids = new Set();
  let events = 0;
  try {
    for await (const event of client.events(RUN)) {
      events += 1;
      ids.add(event.id);
    }
  } catch (error) {
    outcome = error.name;
  }
  await close(server);
  return { outcome, requests, events, repeatedEvents: events - ids.size };
}

const rec = (i) => ({ id: `r${i}`, action: "UserCreated", action_happened_at: "2026-01-01T12:00:00Z" });

// --- checkpoint load -------------------------------------------------------------------------------

async function checkpointLoad() {
  const { createPylonClient } = await loadLibrary();
  const seen = {};
  for (let i = 0; i < 100_000; i++) seen[`00000000-0000-4000-8000-${String(i).padStart(12, "0")}`] = new Date(Date.parse("2026-01-01T12:00:00Z") + i).toISOString();
  const checkpoint = {
    version: 1,
    vendor: "pylon",
    scope: undefined,
    since: "2026-01-01T00:00:00.000Z",
    until: "2026-01-02T00:00:00.000Z",
    watermark: "2026-01-01T00:00:00.000Z",
    position: { state: "cursor-1", skip: 0 },
    complete: false,
    seen,
  };
  const client = createPylonClient({ apiToken: "t", baseUrl: "http://127.0.0.1:9", rateLimit: false });
  // The scope a Pylon run writes (no tenant, no filter), taken from a fresh checkpoint.
  checkpoint.scope = client.events(RUN).checkpoint().scope;
  const text = JSON.stringify(checkpoint);
  // Each load is a whole `events({ resumeFrom })`: the checks of every time and id, and the run's
  // own Map of `seen`; from the JSON text (JSON.parse included), then from the parsed object.
  // Wall time and this process's CPU time (on a loaded machine the wall time is mostly waiting for a core).
  const measure = (fn, input) => {
    const wall = [];
    const cpu = [];
    for (let i = 0; i < LOADS; i++) {
      const arg = input();
      const started = performance.now();
      const used = process.cpuUsage();
      fn(arg);
      const spent = process.cpuUsage(used);
      wall.push(performance.now() - started);
      cpu.push((spent.user + spent.system) / 1000);
    }
    return { wallMs: round(median(wall), 1), cpuMs: round(median(cpu), 1) };
  };
  const load = (resumeFrom) => client.events({ resumeFrom });
  return {
    ids: 100_000,
    bytes: text.length,
    fromText: measure(load, () => text),
    fromObject: measure(load, () => JSON.parse(text)),
    jsonParseAlone: measure((t) => JSON.parse(t), () => text),
  };
}

// --- main ------------------------------------------------------------------------------------------

// One group by name, or all; flags (`--json`, `--quick`, as bench/run.mjs passes them) are not names.
const only = process.argv.slice(2).find((arg) => !arg.startsWith("--"));
const groups = {
  rss: async () => {
    const idle = await rss("idle child");
    return {
      maxResponseBytes: 64 * MiB,
      idleRssMiB: idle.peakRssMiB,
      gzipBomb300MiB: await rss("300 MiB gzip bomb", serveBody("gzip", 300 * MiB)),
      brotliBomb300MiB: await rss("300 MiB brotli bomb", serveBody("br", 300 * MiB)),
      page200MB: await rss("200 MB page", serveBody(undefined, 200_000_000)),
    };
  },
  loops: async () => ({
    loopOneOldRecord: await requestsUntilLoop(() => [rec(1)]),
    loopRepeatingIds: await requestsUntilLoop((n) => [rec(n % 3), rec((n % 3) + 3)]),
    loopEmptyPages: await requestsUntilLoop(() => []),
    // No loop: every page brings a new record, and repeats the first one (1,000 pages).
    chainRepeatingOneRecord: await requestsUntilLoop((n) => [rec(n), rec(0)], 1_000),
  }),
  checkpoint: async () => ({ checkpoint100k: await checkpointLoad() }),
};
if (only !== undefined && !(only in groups)) throw new Error(`usage: node bench/hostile.mjs [${Object.keys(groups).join("|")}]`);
const result = {};
for (const [name, group] of Object.entries(groups)) if (only === undefined || only === name) Object.assign(result, await group());
process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
