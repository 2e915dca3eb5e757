/**
 * Child process of the memory benchmark (run with --expose-gc, so the parent's other
 * benchmarks do not pollute its RSS). Streams every event from the bench Pylon server at
 * argv[2] through `events()` and prints one JSON line: RSS before the stream (after a full GC),
 * peak RSS during it, and RSS after the first 10 % and at the end, to show growth is not
 * proportional to the stream's length.
 */
import { loadLibrary } from "./lib.mjs";

const [url, totalText] = process.argv.slice(2);
const total = Number(totalText);
const { createPylonClient } = await loadLibrary();
const client = createPylonClient({ apiToken: "bench-token", baseUrl: url, rateLimit: false });
const stream = client.events({ pageSize: 999 });

const MB = 1024 * 1024;
const rss = () => process.memoryUsage.rss();
globalThis.gc();
globalThis.gc();
const baseline = rss();
const baselineUsage = process.memoryUsage();
let peak = baseline;
let peakUsage = baselineUsage;
// Sampled on a timer as well as in the loop, so a peak between pages is not missed. The timer
// also records where the memory is (V8 heap, buffers outside it) when RSS is at its highest.
const timer = setInterval(() => {
  const usage = process.memoryUsage();
  if (usage.rss >= peak) peakUsage = usage;
  peak = Math.max(peak, usage.rss);
}, 5);

let count = 0;
let atTenth;
const started = performance.now();
for await (const event of stream) {
  count += 1;
  if ((count & 1023) === 0) peak = Math.max(peak, rss());
  if (count === Math.floor(total / 10)) atTenth = rss();
  if (!event.id) throw new Error("event without id");
}
const seconds = (performance.now() - started) / 1000;
clearInterval(timer);
peak = Math.max(peak, rss());
const end = rss();
const heap = process.memoryUsage().heapUsed;
process.stdout.write(
  `${JSON.stringify({
    events: count,
    seconds,
    baselineMb: baseline / MB,
    peakMb: peak / MB,
    growthMb: (peak - baseline) / MB,
    atTenthMb: atTenth / MB,
    endMb: end / MB,
    heapUsedEndMb: heap / MB,
    heapTotalMb: { before: baselineUsage.heapTotal / MB, atPeak: peakUsage.heapTotal / MB },
    externalMb: { before: baselineUsage.external / MB, atPeak: peakUsage.external / MB },
    checkpointBytes: JSON.stringify(stream.checkpoint()).length,
  })}\n`,
);
