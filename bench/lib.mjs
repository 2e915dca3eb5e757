/** Shared helpers for the benchmarks: loading the built package, timing, medians, logging. */
import { pathToFileURL } from "node:url";
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
