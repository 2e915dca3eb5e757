#!/usr/bin/env node
/**
 * `node [--cpu-prof] bench/profile-cpu.mjs <events|normalize> [vendor …] [--events=N] [--rounds=N]`:
 * the CPU cost per event of one part of the read path, for profiling it and for comparing two
 * builds on a shared machine (`AUDITLOGS_DIST=/path/to/other/dist`). Not part of `npm run bench`.
 *
 * - `events`: `events()` against the bench vendor server replaying prebuilt bytes (in its own
 *   process), beside the hand-written `fetch` + `JSON.parse` loop of `cpu.mjs`: that step itself,
 *   one vendor at a time. Its CPU-time ratio is steadier under load than its wall-time one.
 * - `normalize`: each vendor's `normalize` over the simulator's records after a JSON round trip
 *   (as `normalize.mjs`), timed in this thread's CPU time rather than wall time, so another
 *   process on the core does not count: µs per event, median of the rounds.
 */
import { benchCpu } from "./cpu.mjs";
import { cpuMicros, distUrl, loadLibrary, loadTesting, median } from "./lib.mjs";

const VENDORS = ["pylon", "zendesk", "cortex", "datafold", "jitsudo"];
const args = process.argv.slice(2);
const mode = args[0];
const option = (name, fallback) => Number(args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback);
const vendors = args.slice(1).filter((a) => !a.startsWith("--"));
const chosen = vendors.length ? vendors : VENDORS;

if (mode === "events") {
  const library = await loadLibrary();
  const out = await benchCpu({ ...library, events: option("events", 100_000), rounds: option("rounds", 5), vendors: chosen });
  for (const [vendor, r] of Object.entries(out)) {
    const sdk = 1e6 / r.perCpuSecond.sdk;
    const hand = 1e6 / r.perCpuSecond.fetch;
    console.log(`${vendor}: wall ratio ${r.ratio.toFixed(3)}, CPU ratio ${r.perCpuSecond.ratio.toFixed(3)}; CPU µs/event events() ${sdk.toFixed(3)}, hand-written ${hand.toFixed(3)}`);
  }
} else if (mode === "normalize") {
  const { createSimulator } = await loadTesting();
  const sim = createSimulator({ eventsPerVendor: 5_000, seed: 8 });
  const names = { pylon: "normalizePylon", zendesk: "normalizeZendesk", cortex: "normalizeCortex", datafold: "normalizeDatafold", jitsudo: "normalizeJitsudo" };
  const rounds = option("rounds", 15);
  for (const vendor of chosen) {
    const normalize = (await import(distUrl(`${vendor}.js`)))[names[vendor]];
    const records = JSON.parse(JSON.stringify(sim.events[vendor]));
    const tenant = vendor === "zendesk" || vendor === "jitsudo" ? "tenant" : undefined;
    for (let w = 0; w < 20; w++) for (const r of records) normalize(r, tenant);
    const perEvent = [];
    let sink = 0;
    for (let round = 0; round < rounds; round++) {
      const started = cpuMicros();
      for (let k = 0; k < 4; k++) for (let i = 0; i < records.length; i++) sink += normalize(records[i], tenant).id.length;
      perEvent.push((cpuMicros() - started) / (4 * records.length));
    }
    if (sink === 0) throw new Error("no ids");
    const us = median(perEvent);
    console.log(`normalize ${vendor}: ${us.toFixed(3)} CPU µs/event (${(1 / us).toFixed(2)} M/s per CPU second), median of ${rounds}`);
  }
} else {
  process.stderr.write("usage: node bench/profile-cpu.mjs <events|normalize> [vendor …] [--events=N] [--rounds=N]\n");
  process.exit(2);
}
