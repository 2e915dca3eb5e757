/**
 * Memory: 1M events through `events()` in a child process (node --expose-gc), whose peak RSS
 * growth over its own baseline is the figure; then the same 1M through a hand-written fetch +
 * JSON.parse loop in another child, for reference (Node's own cost at this allocation rate).
 * The events come from a bench-local loopback server (pylon-stream-server.mjs) that generates
 * Pylon pages on the fly, in this (parent) process: the simulator would have to build and hold
 * all 1M records in memory first.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { progress } from "./lib.mjs";
import { startPylonStreamServer } from "./pylon-stream-server.mjs";

async function child(url, events, mode) {
  const script = fileURLToPath(new URL("./rss-child.mjs", import.meta.url));
  const proc = spawn(process.execPath, ["--expose-gc", script, url, String(events), mode], { stdio: ["ignore", "pipe", "inherit"], env: process.env });
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
  const server = await startPylonStreamServer({ total: events });
  try {
    const sdk = await child(server.url, events, "sdk");
    progress(`  events(): ${events.toLocaleString("en")} events in ${sdk.seconds.toFixed(1)} s: RSS ${sdk.baselineMb.toFixed(0)} MB before, peak ${sdk.peakMb.toFixed(0)} MB (+${sdk.growthMb.toFixed(1)} MB); ${sdk.atTenthMb.toFixed(0)} MB at 10 %, ${sdk.endMb.toFixed(0)} MB at the end; V8 heap ${sdk.heapTotalMb.before.toFixed(0)} → ${sdk.heapTotalMb.atPeak.toFixed(0)} MB`);
    const reference = await child(server.url, events, "fetch");
    progress(`  fetch + JSON.parse loop (reference): peak +${reference.growthMb.toFixed(1)} MB; V8 heap ${reference.heapTotalMb.before.toFixed(0)} → ${reference.heapTotalMb.atPeak.toFixed(0)} MB`);
    return { ...sdk, reference };
  } finally {
    await server.close();
  }
}
