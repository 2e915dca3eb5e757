/**
 * Memory (`stream_rss_growth_mb_<vendor>`, `merge_rss_growth_mb`): 1M events through one
 * vendor's `events()`, and 1M through `mergeEvents` over all five (200k each), each in a child
 * process (node --expose-gc) whose peak RSS growth over its own baseline is the figure; then the
 * same 1M Pylon events through a hand-written fetch + JSON.parse loop, for reference (Node's own
 * cost at this allocation rate). The events come from the bench vendor server in another
 * process, which generates them by index, so a million cost it no memory. Default client
 * options: Zendesk and JITSudo read 4 time slices, Cortex 4 pages, Datafold 4 windows (sized
 * from the density they see, up to three quarters of the server's cap: 7,500 logs) at once.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { progress } from "./lib.mjs";
import { startVendorServer } from "./vendor-server.mjs";

const DAY_MS = 86_400_000;
const VENDORS = ["pylon", "zendesk", "cortex", "datafold", "jitsudo"];

async function child(url, events, mode, range) {
  const script = fileURLToPath(new URL("./rss-child.mjs", import.meta.url));
  const proc = spawn(process.execPath, ["--expose-gc", script, url, String(events), mode, JSON.stringify(range)], { stdio: ["ignore", "pipe", "inherit"], env: process.env });
  let stdout = "";
  proc.stdout.setEncoding("utf8").on("data", (chunk) => (stdout += chunk));
  const code = await new Promise((resolve, reject) => {
    proc.on("error", reject);
    proc.on("close", resolve);
  });
  if (code !== 0) throw new Error(`memory child (${mode}) exited with code ${code}`);
  const result = JSON.parse(stdout.trim().split("\n").pop());
  if (result.events !== events) throw new Error(`memory: ${mode} streamed ${result.events} events, expected ${events}`);
  return result;
}

export async function benchMemory({ events = 1_000_000 } = {}) {
  const end = Math.floor((Date.now() - 3_600_000) / 1000) * 1000;
  // 5,000 events a day: one-day Datafold windows stay under its split point.
  const days = Math.max(1, Math.round(events / 5_000));
  const range = { since: new Date(end - days * DAY_MS).toISOString(), until: new Date(end).toISOString() };
  const out = { vendors: {} };
  const line = (what, r) =>
    progress(`  ${what}: ${r.events.toLocaleString("en")} events in ${r.seconds.toFixed(1)} s: RSS ${r.baselineMb.toFixed(0)} MB before, peak ${r.peakMb.toFixed(0)} MB (+${r.growthMb.toFixed(1)} MB); ${r.atTenthMb.toFixed(0)} MB at 10 %; V8 heap ${r.heapTotalMb.before.toFixed(0)} → ${r.heapTotalMb.atPeak.toFixed(0)} MB`);
  let server = await startVendorServer({ total: events, start: Date.parse(range.since), end: end - 1000 });
  try {
    for (const vendor of VENDORS) {
      out.vendors[vendor] = await child(server.url, events, `sdk:${vendor}`, range);
      line(vendor, out.vendors[vendor]);
    }
    out.reference = await child(server.url, events, "fetch", range);
    line("fetch + JSON.parse loop (Pylon, reference)", out.reference);
  } finally {
    await server.close();
  }
  // mergeEvents: the same server shape, a fifth of the events for each vendor.
  server = await startVendorServer({ total: events / 5, start: Date.parse(range.since), end: end - 1000 });
  try {
    out.merge = await child(server.url, events, "merge", range);
    line("mergeEvents over all five", out.merge);
  } finally {
    await server.close();
  }
  return out;
}
