/**
 * Memory: 1M events through `events()` in a child process (node --expose-gc), whose peak RSS
 * growth over its own baseline is the figure. The events come from a bench-local loopback server
 * (pylon-stream-server.mjs) that generates Pylon pages on the fly, in this (parent) process:
 * the simulator would have to hold all 1M records in memory first.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { progress } from "./lib.mjs";
import { startPylonStreamServer } from "./pylon-stream-server.mjs";

export async function benchMemory({ events = 1_000_000 } = {}) {
  const server = await startPylonStreamServer({ total: events });
  try {
    const child = spawn(process.execPath, ["--expose-gc", fileURLToPath(new URL("./rss-child.mjs", import.meta.url)), server.url, String(events)], {
      stdio: ["ignore", "pipe", "inherit"],
      env: process.env,
    });
    let stdout = "";
    child.stdout.setEncoding("utf8").on("data", (chunk) => (stdout += chunk));
    const code = await new Promise((resolve, reject) => {
      child.on("error", reject);
      child.on("close", resolve);
    });
    if (code !== 0) throw new Error(`memory child exited with code ${code}`);
    const result = JSON.parse(stdout.trim().split("\n").pop());
    if (result.events !== events) throw new Error(`memory: streamed ${result.events} events, expected ${events}`);
    progress(`  ${events.toLocaleString("en")} events in ${result.seconds.toFixed(1)} s: RSS ${result.baselineMb.toFixed(0)} MB before, peak ${result.peakMb.toFixed(0)} MB (+${result.growthMb.toFixed(1)} MB); at 10 %: ${result.atTenthMb.toFixed(0)} MB, at the end: ${result.endMb.toFixed(0)} MB`);
    return { ...result, requests: server.requests };
  } finally {
    await server.close();
  }
}
