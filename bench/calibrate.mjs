/**
 * The machine's own speed, measured by a fixed workload that uses nothing of the library: so the
 * CPU-rate figures of runs on different machines (or the same machine under other load) can be
 * compared. Not a target. `JSON.parse` of one fixed 5,000-record body, each record touched, and
 * SHA-256 of one fixed 1 KB text, for about `ms` and `ms / 2` milliseconds (medians of five
 * parts): records (and hashes) a second of wall time and a second of this process's CPU time, and
 * the hashing's CPU time over its wall time (`cpuShare`: below 1, the process waited for a core
 * that other work held).
 */
import { createHash } from "node:crypto";
import os from "node:os";
import { cpuMicros, median } from "./lib.mjs";

/** The fixed body: 5,000 records of a fixed shape, ASCII, ~1.4 MB, the same on every run. */
function fixedBody() {
  const records = [];
  for (let i = 0; i < 5_000; i++) {
    records.push({
      id: `rec-${String(i).padStart(6, "0")}`,
      timestamp: new Date(Date.UTC(2026, 0, 1) + i * 17_000).toISOString(),
      action: ["user.login", "role.update", "token.create", "export.download"][i % 4],
      actor: { id: `u-${i % 97}`, email: `user${i % 97}@example.com` },
      target: { type: "project", id: `p-${i % 13}` },
      metadata: { ip: `10.0.${i % 256}.${(i * 7) % 256}`, userAgent: "Mozilla/5.0 (X11; Linux x86_64)", ok: i % 5 !== 0, n: i },
    });
  }
  return JSON.stringify({ data: records, next: null });
}

/**
 * Repeats `work` (which returns how many units it did) for about `ms`, in five parts after a
 * warm-up: units per wall and per CPU second, medians of the parts (a moment's stall moves one).
 */
function measure(work, ms, warmMs) {
  const warmUntil = performance.now() + warmMs;
  while (performance.now() < warmUntil) work();
  const parts = { perSec: [], perCpuSec: [], cpuShare: [] };
  for (let part = 0; part < 5; part++) {
    let units = 0;
    const wallStart = performance.now();
    const cpuStart = cpuMicros();
    do units += work();
    while (performance.now() - wallStart < ms / 5);
    const wallSec = (performance.now() - wallStart) / 1000;
    const cpuSec = (cpuMicros() - cpuStart) / 1e6;
    parts.perSec.push(units / wallSec);
    parts.perCpuSec.push(units / cpuSec);
    parts.cpuShare.push(cpuSec / wallSec);
  }
  return { perSec: median(parts.perSec), perCpuSec: median(parts.perCpuSec), cpuShare: median(parts.cpuShare) };
}

/**
 * Whether this process has calibrated before: the first time warms up for a second. In four fresh
 * processes the first call of 300 ms read 331k–517k records per CPU second (three of the four
 * under 472k) and the third and fourth 519k–587k; with the longer first warm-up the first read
 * 362k–592k. The machine's own dips (a call at 292k–392k in the middle of a run) remain.
 */
let warmed = false;

export function calibrate({ ms = 1_000 } = {}) {
  const warmMs = warmed ? ms / 4 : Math.max(ms / 4, 1_000);
  warmed = true;
  const body = fixedBody();
  let sink = 0;
  const parse = measure(() => {
    const { data } = JSON.parse(body);
    for (const record of data) sink += record.metadata.n;
    return data.length;
  }, ms, warmMs);
  const text = "x".repeat(1024);
  const hash = measure(() => {
    for (let i = 0; i < 100; i++) sink += createHash("sha256").update(text).digest("hex").length;
    return 100;
  }, ms / 2, ms / 8);
  if (sink === 0) throw new Error("calibration did no work");
  return {
    jsonParseRecordsPerSec: Math.round(parse.perSec),
    jsonParseRecordsPerCpuSec: Math.round(parse.perCpuSec),
    sha256PerSec: Math.round(hash.perSec),
    // The hashing's: one thread and no garbage, so GC threads do not count (the parse's share can pass 1).
    cpuShare: Math.round(hash.cpuShare * 100) / 100,
    loadAverage: Math.round(os.loadavg()[0] * 100) / 100,
  };
}
