/**
 * Normalization alone, on one core: each vendor's `normalize` (exported by its subpath entry,
 * dist/<vendor>.js) over records shaped exactly as they arrive (the simulator's records after a
 * JSON round trip), in a tight loop on the main thread. No I/O, no validation, no pagination.
 */
import { distUrl, progress } from "./lib.mjs";

const NORMALIZERS = {
  pylon: ["pylon.js", "normalizePylon"],
  zendesk: ["zendesk.js", "normalizeZendesk"],
  cortex: ["cortex.js", "normalizeCortex"],
  datafold: ["datafold.js", "normalizeDatafold"],
  jitsudo: ["jitsudo.js", "normalizeJitsudo"],
};

/**
 * Events per second of `fn` over `records`, after a warm-up, for about `ms` milliseconds: per
 * wall second (the figure) and per second of this process's CPU time (what another process on the
 * core does not change).
 */
function rate(fn, records, ms) {
  const warmUntil = performance.now() + ms / 4;
  while (performance.now() < warmUntil) for (let i = 0; i < records.length; i++) fn(records[i]);
  let sink = 0;
  let count = 0;
  const started = performance.now();
  const cpuStarted = process.cpuUsage();
  let elapsed = 0;
  do {
    for (let i = 0; i < records.length; i++) sink += fn(records[i]).id.length;
    count += records.length;
    elapsed = performance.now() - started;
  } while (elapsed < ms);
  const cpu = process.cpuUsage(cpuStarted);
  if (sink === 0) throw new Error("normalize produced no ids");
  return { perSec: (count / elapsed) * 1000, perCpuSec: (count / (cpu.user + cpu.system)) * 1e6 };
}

export async function benchNormalize({ createSimulator, ms = 1_000 }) {
  const sim = createSimulator({ eventsPerVendor: 5_000, seed: 8 });
  const perVendor = {};
  const perCpuSecond = {};
  for (const [vendor, [file, name]] of Object.entries(NORMALIZERS)) {
    const normalize = (await import(distUrl(file)))[name];
    if (typeof normalize !== "function") throw new Error(`dist/${file} does not export ${name}`);
    // As received: plain objects straight out of JSON.parse.
    const records = JSON.parse(JSON.stringify(sim.events[vendor]));
    const tenant = vendor === "zendesk" || vendor === "jitsudo" ? "tenant" : undefined;
    const measured = rate((raw) => normalize(raw, tenant), records, ms);
    perVendor[vendor] = measured.perSec;
    perCpuSecond[vendor] = measured.perCpuSec;
    progress(`  normalize ${vendor}: ${(measured.perSec / 1e6).toFixed(2)} M events/s (${(measured.perCpuSec / 1e6).toFixed(2)} M per CPU second)`);
  }
  return { perVendor, perCpuSecond };
}
