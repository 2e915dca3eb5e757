#!/usr/bin/env node
/**
 * `npm run bench`: the performance figures of DESIGN.md §9, measured side by side in one run
 * against loopback servers in other processes, using the built package (dist/). Prints a table
 * with each target; `--json` prints one JSON object instead (progress still goes to stderr).
 * `--quick` measures every figure of a full run, smaller (see QUICK_NOTE), in about a minute on
 * two shared cores (54–93 s measured, by the load), for development only: report a full run. `--only=a,b` runs some steps
 * (normalize, cpu, backfill, prefetch, memory, ratelimit, requests, children).
 * bench/bundle.mjs, otel.mjs, fleet.mjs and hostile.mjs, where present, run as child processes
 * with `--json` (and `--quick`), and their keys join the table.
 * Timings are figures to read, never pass/fail tests: the exit code is 0 whatever they are.
 */
import os from "node:os";
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { backfillServers, benchBackfill } from "./backfill.mjs";
import { calibrate } from "./calibrate.mjs";
import { benchCpu } from "./cpu.mjs";
import { benchPrefetch } from "./latency.mjs";
import { benchMemory } from "./memory.mjs";
import { benchNormalize } from "./normalize.mjs";
import { benchRateLimit, UTILIZATION_DEFINITION } from "./ratelimit.mjs";
import { benchRequests } from "./requests.mjs";
import { loadLibrary, loadTesting, progress, round } from "./lib.mjs";

const STEPS = ["normalize", "cpu", "backfill", "prefetch", "memory", "ratelimit", "requests", "children"];
const args = process.argv.slice(2);
const json = args.includes("--json");
const quick = args.includes("--quick");
const only = args.find((a) => a.startsWith("--only="))?.slice("--only=".length).split(",");
const unknown = args.filter((a) => a !== "--json" && a !== "--quick" && !a.startsWith("--only="));
if (unknown.length || only?.some((s) => !STEPS.includes(s))) {
  process.stderr.write(`bench: unknown argument ${unknown[0] ?? `--only=${only.join(",")}`}\nusage: npm run bench [-- --json] [--quick] [--only=${STEPS.join(",")}]\n`);
  process.exit(2);
}
const wanted = (name) => !only || only.includes(name);
/** What --quick measures, against a full run; printed under its table. */
const QUICK_NOTE =
  "--quick (report a full run): normalize 0.3 s a vendor; cpu 10k events, 1 round; backfill 5 % of the events (2k–24k a vendor, 2–7 round trips), a one-page warm-up at 100 ms, none at 300, one server a vendor for both latencies; " +
  "prefetch 1 round; memory 10k events; rate limits 5 s after the burst; otel 20k events, 3 rounds; fleet 50 sources, its shared limit over 40 requests after the burst (10 s); checkpoint load median of 3; " +
  "and after the CPU-rate figures and the backfill (normalize, cpu, otel, backfill), which run alone, four lanes at once: prefetch + rate limits + requests, memory, hostile servers + bundle, the fleet. " +
  "Beside each other on a loaded machine the lanes' timings read low (the rate limits' burst starved of a core leaves its refill unspent: utilization 0.19 at load 12, 0.9 at load 7; PGlite's first open 24–37 s, 6 s alone).";

const library = await loadLibrary();
const { createSimulator } = await loadTesting();
const deps = { ...library, createSimulator };

const started = performance.now();
const loadAtStart = os.loadavg();
/**
 * The machine's speed (calibrate.mjs) at the start, at the end and before each step whose figures
 * are rates of this machine's CPU: those figures of two runs compare only beside these. A shared
 * machine's speed moves by half within minutes at a load under 1 (measured: 345k–600k records).
 */
const calibration = {};
const CALIBRATED_STEPS = new Set(["normalize", "cpu", "backfill"]);
const fmt = (n) => Math.round(n).toLocaleString("en");
/** A calibration as text: the JSON.parse rate, per CPU second and per wall second. */
const calibrationText = (c) => `${fmt(c.jsonParseRecordsPerCpuSec)} records per CPU second (${fmt(c.jsonParseRecordsPerSec)} a wall second), SHA-256 ${fmt(c.sha256PerSec)}/s, load ${c.loadAverage}`;
function calibrateAt(label) {
  calibration[label] = calibrate({ ms: quick ? 300 : 1_000 });
  progress(`calibration (${label}): JSON.parse ${calibrationText(calibration[label])}`);
}
calibrateAt("start");
const results = {};
const details = {};

/** Wall seconds of each step (and of each child bench), in the JSON as `step_seconds`. */
const stepSeconds = {};

/** Runs `fn` as step `label` of `name` (skipped unless `--only` wants it), timing its wall time. */
async function step(name, title, fn, label = name) {
  if (!wanted(name)) return undefined;
  if (CALIBRATED_STEPS.has(name)) calibrateAt(`before ${label}`);
  progress(`${title}…`);
  const t = performance.now();
  const value = await fn();
  stepSeconds[label] = round((performance.now() - t) / 1000, 1);
  progress(`  (${label}: ${stepSeconds[label].toFixed(1)} s)`);
  return value;
}

/** Runs another helper's bench file as a child process with --json, if it exists; its keys join ours. */
async function childBench(file) {
  const path = fileURLToPath(new URL(`./${file}`, import.meta.url));
  if (!existsSync(path)) return undefined;
  const t = performance.now();
  const proc = spawn(process.execPath, [path, "--json", ...(quick ? ["--quick"] : [])], { stdio: ["ignore", "pipe", "inherit"], env: process.env });
  let stdout = "";
  proc.stdout.setEncoding("utf8").on("data", (chunk) => (stdout += chunk));
  // A child that overruns is ended, so the figures measured so far are still printed.
  const timer = setTimeout(() => proc.kill("SIGTERM"), (quick ? 2 : 15) * 60_000);
  const code = await new Promise((resolve) => proc.on("close", resolve));
  clearTimeout(timer);
  stepSeconds[file] = round((performance.now() - t) / 1000, 1);
  let r;
  try {
    r = { code, result: JSON.parse(stdout.slice(stdout.indexOf("{"), stdout.lastIndexOf("}") + 1)) };
  } catch {
    r = { code, error: `no JSON on stdout (exit ${code})` };
  }
  progress(`  ${file}: ${r.error ?? "done"} (${stepSeconds[file].toFixed(1)} s)`);
  return r;
}

const CHILDREN = ["bundle.mjs", "otel.mjs", "fleet.mjs", "hostile.mjs"];
const childResults = {};
/** Some of the child benches, one after another, their results kept by file. */
const children = (files, label) =>
  step("children", `other benches (${files.map((f) => f.replace(/\.mjs$/, "")).join(", ")}), where present`, async () => {
    for (const file of files) {
      const r = await childBench(file);
      if (r) childResults[file] = r;
    }
  }, label);

const normalize = () => step("normalize", "normalization alone, one core", async () => {
  const { perVendor, perCpuSecond } = await benchNormalize({ ...deps, ms: quick ? 300 : 1_000 });
  details.normalize = perVendor;
  details.normalizePerCpuSecond = perCpuSecond;
});
const cpu = () =>
  step("cpu", "CPU per event: events() vs fetch + JSON.parse against a server replaying prebuilt bytes, in another process", async () =>
    (details.cpu = await benchCpu({ ...deps, events: quick ? 10_000 : 100_000, rounds: quick ? 1 : 5 })));
/** Backfill at some latencies; the keys of each call join `details.backfill` in call order. */
const backfill = (latencies, servers) =>
  step("backfill", `backfill at the ceiling: skewed data, ${latencies.map((ms) => `${ms} ms`).join(" and ")} per request, page size at each vendor's maximum`, async () => {
    const measured = await benchBackfill({ ...deps, latencies, scale: quick ? 0.05 : 1, ...(quick ? { warmUpPages: 1, servers } : {}) });
    details.backfill = { ...details.backfill, ...measured };
  }, `backfill ${latencies.join("+")} ms`);
const prefetch = () => step("prefetch", "prefetch: 50 ms pages, consumer 20 ms/page", async () => (details.prefetch = await benchPrefetch({ ...deps, rounds: quick ? 1 : 3 })));
const memory = () =>
  step("memory", `memory: ${quick ? "10k" : "1M"} events per vendor and through mergeEvents, each in a child process`, async () =>
    (details.memory = await benchMemory({ events: quick ? 10_000 : 1_000_000 })));
const ratelimit = () =>
  step("ratelimit", `rate limits at steady state: Zendesk, Cortex and Pylon at their documented limits, ${quick ? 5 : 20} s after the burst`, async () =>
    (details.ratelimit = await benchRateLimit({ ...deps, steadySeconds: quick ? 5 : 20 })));
const requests = () => step("requests", "requests: Datafold's sparse default range, Pylon's next run in both orders", async () => (details.requests = await benchRequests(deps)));

if (!quick) {
  // One step at a time: every figure measured with nothing else of this bench beside it.
  await normalize();
  await cpu();
  await backfill([100, 300]);
  await prefetch();
  await memory();
  await ratelimit();
  await requests();
  await children(CHILDREN, "children");
} else {
  // --quick, in about a minute on two shared cores. First, alone and one at a time, the figures
  // that are rates of this machine's CPU (normalization, events() against fetch + JSON.parse, the
  // OpenTelemetry ratio) and the backfill, whose reader needs a core within each round trip (run
  // beside the lanes below, Cortex at 300 ms read 0.18 of its ceiling, alone 0.96). Then four
  // lanes at once, none of them a CPU-rate measurement: sleep- and rate-bound figures here
  // (prefetch, the rate limits' steady state, request counts), memory peaks and the hostile-
  // server figures (RSS, request counts, a bundle's size) in child processes, and the fleet (its
  // own processes and PostgreSQL, pages of 100 ms, a 10 s takeover). On two cores shared with
  // other work, the waits of each lane are the others' time.
  await normalize();
  await cpu();
  await children(["otel.mjs"], "otel");
  // The backfill's five servers, started side by side before either latency is timed, serve both.
  const servers = wanted("backfill") ? await backfillServers({ scale: 0.05 }) : undefined;
  await backfill([100, 300], servers).finally(() => servers?.close());
  await Promise.all([
    (async () => {
      await prefetch();
      await ratelimit();
      await requests();
    })(),
    memory(),
    children(["hostile.mjs", "bundle.mjs"], "hostile+bundle"),
    children(["fleet.mjs"], "fleet"),
  ]);
}
if (wanted("children")) {
  // In CHILDREN's order, however they were run.
  details.children = {};
  for (const file of CHILDREN) if (childResults[file]) details.children[file] = childResults[file];
}

// --- figures ------------------------------------------------------------------------------------

const rows = [];
function figure(key, value, target, meets, unit, note) {
  results[key] = value;
  rows.push({ key, value, target, meets, unit, note });
}
if (details.backfill) {
  for (const [key, d] of Object.entries(details.backfill)) {
    figure(`backfill_ratio_${key}`, round(d.ratio), "≥ 0.9", d.ratio >= 0.9, "×", `${fmt(d.eventsPerSec)}/s of ${fmt(d.ceilingPerSec)}/s; ${d.requests} requests (min ${d.minimumRequests}); ${d.meanInFlight.toFixed(2)} of ${d.ceilingInFlight} in flight on average; reader CPU ${Math.round(d.readerCpuShare * 100)} % (${d.readerCpuUsPerEvent.toFixed(1)} µs/event)`);
  }
}
if (details.cpu) {
  for (const [vendor, d] of Object.entries(details.cpu)) {
    const target = vendor === "cortex" ? 0.5 : 0.75;
    figure(`cpu_ratio_${vendor}`, round(d.ratio), `≥ ${target}`, d.ratio >= target, "×", `events() ${fmt(d.sdkEventsPerSec)}/s vs fetch+JSON.parse ${fmt(d.fetchEventsPerSec)}/s (medians of ${d.rounds})`);
  }
}
if (details.normalize) {
  for (const [vendor, rate] of Object.entries(details.normalize)) figure(`normalize_events_per_sec_${vendor}`, Math.round(rate), "≥ 1,000,000", rate >= 1e6, "/s", `one core, no I/O; ${fmt(details.normalizePerCpuSecond[vendor])} per CPU second`);
}
if (details.ratelimit) {
  const d = details.ratelimit;
  figure("ratelimit_utilization", round(d.utilization), "≥ 0.9", d.utilization >= 0.9, "×", Object.entries(d.byVendor).map(([v, r]) => `${v} ${round(r.utilization)}`).join(", ") + `${quick ? " (--quick)" : ""}`);
  figure("ratelimit_429s", d.rateLimited, "0", d.rateLimited === 0, "", Object.entries(d.byVendor).map(([v, r]) => `${v} ${r.rateLimited}`).join(", "));
}
if (details.requests) {
  const d = details.requests;
  figure("datafold_requests_sparse", d.datafoldSparse.requests, "≤ 30", d.datafoldSparse.requests <= 30, "", "365-day default range, 7 days of events");
  figure("pylon_next_run_requests", d.pylonNextRun.max, "≤ 2", d.pylonNextRun.max <= 2, "", `ingestion order ${d.pylonNextRun.ingestion.requests}, newest first ${d.pylonNextRun["newest-first"].requests} (first run ${d.pylonNextRun.ingestion.firstRunRequests})`);
}
if (details.prefetch) {
  const d = details.prefetch;
  figure("prefetch_ratio", round(d.ratio), "≤ 0.75", d.ratio <= 0.75, "×", `${d.pages} pages: ${d.prefetchedMs.toFixed(0)} ms vs ${d.sequentialMs.toFixed(0)} ms sequential (floor ${round(d.floor, 2)})`);
}
if (details.memory) {
  const d = details.memory;
  for (const [vendor, r] of Object.entries(d.vendors)) figure(`stream_rss_growth_mb_${vendor}`, round(r.growthMb, 1), "< 64", r.growthMb < 64, "MB", `${fmt(r.events)} events: ${r.baselineMb.toFixed(0)} → peak ${r.peakMb.toFixed(0)} MB (${r.atTenthMb.toFixed(0)} MB at 10 %)`);
  figure("merge_rss_growth_mb", round(d.merge.growthMb, 1), "< 64", d.merge.growthMb < 64, "MB", `${fmt(d.merge.events)} events over five vendors; fetch+JSON.parse loop alone: +${d.reference.growthMb.toFixed(1)} MB`);
}
if (details.children) {
  for (const [file, r] of Object.entries(details.children)) {
    if (!r.result) {
      rows.push({ key: `  ${file}`, value: "—", target: "", meets: undefined, unit: "", note: r.error });
      continue;
    }
    for (const [key, value] of Object.entries(r.result)) {
      if (typeof value === "number" || typeof value === "string" || typeof value === "boolean") {
        results[key] = value;
        rows.push({ key, value, target: "", meets: undefined, unit: "", note: `from ${file}` });
      }
    }
  }
}

calibrateAt("end");
const machine = {
  node: process.version,
  cpu: os.cpus()[0]?.model ?? "unknown",
  cpus: os.availableParallelism?.() ?? os.cpus().length,
  memoryGb: round(os.totalmem() / 2 ** 30, 1),
  platform: `${os.type()} ${os.release()} ${os.arch()}`,
  loadAverage: loadAtStart.map((n) => round(n, 2)),
  auditlogs: JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")).version,
  calibration,
};
const totalSec = (performance.now() - started) / 1000;

if (json) {
  process.stdout.write(`${JSON.stringify({ ...results, ratelimit_utilization_definition: UTILIZATION_DEFINITION, quick, machine, bench_seconds: round(totalSec, 1), step_seconds: stepSeconds, details }, null, 2)}\n`);
} else {
  const table = [["figure", "measured", "target", "", "how"]];
  for (const r of rows) table.push([r.key, `${typeof r.value === "number" ? r.value.toLocaleString("en") : r.value}${r.unit && r.unit !== "×" ? ` ${r.unit}` : ""}`, r.target, r.meets === undefined ? "" : r.meets ? "✓" : "✗", r.note ?? ""]);
  const widths = table[0].map((_, i) => Math.max(...table.map((row) => [...row[i]].length)));
  const line = (row) => row.map((cell, i) => cell.padEnd(widths[i])).join("  ").trimEnd();
  const out = [line(table[0]), widths.map((w) => "-".repeat(w)).join("  "), ...table.slice(1).map(line)];
  out.push("", `ratelimit_utilization = ${UTILIZATION_DEFINITION}.`);
  if (quick) out.push(QUICK_NOTE);
  out.push(`${machine.cpus} × ${machine.cpu}, ${machine.memoryGb} GB, Node ${machine.node}; load average at start ${machine.loadAverage.join(" ")}; bench took ${totalSec.toFixed(0)} s.`);
  out.push("Calibration (bench/calibrate.mjs: JSON.parse of a fixed 5,000-record body, each record touched; compare CPU-rate figures of two runs only beside it):");
  for (const [label, c] of Object.entries(calibration)) out.push(`  ${label}: ${calibrationText(c)}`);
  process.stdout.write(`${out.join("\n")}\n`);
}
