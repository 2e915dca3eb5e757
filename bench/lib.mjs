/** Shared helpers for the benchmarks: loading the built package, timing, medians, logging. */
import { spawn } from "node:child_process";
import { fileURLToPath, pathToFileURL } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";

export { sleep };

/**
 * The built package (`npm run build` → dist/). `AUDITLOGS_DIST` points the bench at another
 * build (for comparing two builds side by side); by default it is this checkout's dist/.
 */
export function distUrl(file) {
  const base = process.env.AUDITLOGS_DIST ? pathToFileURL(`${process.env.AUDITLOGS_DIST.replace(/\/$/, "")}/`) : new URL("../dist/", import.meta.url);
  return new URL(file, base).href;
}

export const loadLibrary = () => import(distUrl("index.js"));
export const loadTesting = () => import(distUrl("testing.js"));

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** This process's CPU time so far, in µs (user + system). */
export function cpuMicros() {
  const { user, system } = process.cpuUsage();
  return user + system;
}

/** Wall time of `fn` in ms. */
export async function timed(fn) {
  const started = performance.now();
  const value = await fn();
  return { ms: performance.now() - started, value };
}

/** Progress goes to stderr, so `--json` keeps stdout to the one JSON object. */
export function progress(message) {
  process.stderr.write(`${message}\n`);
}

export function round(value, digits = 3) {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/**
 * The simulator in a child process (sim-child.mjs), so that its CPU time is not the reader's:
 * `{ url, credentials, close() }`.
 */
export async function simulatorProcess(options) {
  const script = fileURLToPath(new URL("./sim-child.mjs", import.meta.url));
  const proc = spawn(process.execPath, [script, JSON.stringify(options)], { stdio: ["pipe", "pipe", "inherit"], env: process.env });
  const exited = new Promise((resolve) => proc.once("exit", resolve));
  const line = await new Promise((resolve, reject) => {
    let out = "";
    proc.stdout.setEncoding("utf8").on("data", (chunk) => {
      out += chunk;
      if (out.includes("\n")) resolve(out.slice(0, out.indexOf("\n")));
    });
    proc.once("error", reject);
    proc.once("exit", (code) => reject(new Error(`simulator process exited with code ${code} before listening`)));
  });
  const { url, credentials } = JSON.parse(line);
  return {
    url,
    credentials,
    close: async () => {
      proc.stdin.end();
      await exited;
    },
  };
}

/** Client options for a bench server that accepts any credential: no limiter, no retries. */
export function benchClientOptions(vendor, url) {
  const common = { baseUrl: url, rateLimit: false, maxRetries: 0 };
  switch (vendor) {
    case "pylon":
      return { vendor, apiToken: "bench", ...common };
    case "zendesk":
      return { vendor, subdomain: "acme", auth: { email: "bench@example.com", apiToken: "bench" }, ...common };
    case "cortex":
      return { vendor, apiToken: "bench", ...common };
    case "datafold":
      return { vendor, apiKey: "bench", ...common };
    case "jitsudo":
      return { vendor, apiKey: "bench", tenantId: "2489e9ad-2ee2-4e00-8ec9-32d5f69181c0", ...common };
  }
}
