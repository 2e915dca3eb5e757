/**
 * Child process of the memory benchmark (run with --expose-gc, so the parent's other
 * benchmarks do not pollute its RSS). Streams every event from the bench server at argv[2] and
 * prints one JSON line: RSS before the stream (after a full GC), peak RSS during it, and RSS
 * after the first 10 % and at the end, to show growth is not proportional to the stream's
 * length. argv[4]: "sdk:<vendor>" reads through that vendor's `events()` (argv[5]: the range as
 * JSON), "merge" reads all five through `mergeEvents`, "fetch" a hand-written Pylon fetch +
 * JSON.parse loop, the reference for what Node itself costs at this allocation rate.
 */
import { loadLibrary } from "./lib.mjs";

const [url, totalText, mode = "sdk:pylon", rangeText = "{}"] = process.argv.slice(2);
const total = Number(totalText);
const range = JSON.parse(rangeText);
const PAGE = { pylon: 999, zendesk: 100, cortex: 1000, jitsudo: 1000 };
const OPTIONS = {
  pylon: { apiToken: "bench-token" },
  zendesk: { subdomain: "acme", auth: { email: "bench@example.com", apiToken: "bench-token" } },
  cortex: { apiToken: "bench-token" },
  datafold: { apiKey: "bench-key" },
  jitsudo: { apiKey: "bench-key", tenantId: "2489e9ad-2ee2-4e00-8ec9-32d5f69181c0" },
};

function stream(library, vendor) {
  const client = library.createClient({ vendor, ...OPTIONS[vendor], baseUrl: url, rateLimit: false });
  return client.events({ since: range.since, until: range.until, ...(PAGE[vendor] ? { pageSize: PAGE[vendor] } : {}) });
}

async function* viaSdk(vendor) {
  yield* stream(await loadLibrary(), vendor);
}

async function* viaMerge() {
  const library = await loadLibrary();
  yield* library.mergeEvents(Object.keys(OPTIONS).map((vendor) => stream(library, vendor)));
}

async function* viaFetch() {
  let cursor;
  for (;;) {
    const next = new URL("/audit-logs", url);
    next.searchParams.set("limit", String(PAGE.pylon));
    if (cursor) next.searchParams.set("cursor", cursor);
    const page = JSON.parse(await (await fetch(next, { headers: { authorization: "Bearer bench-token" } })).text());
    yield* page.data;
    if (!page.pagination.has_next_page) return;
    cursor = page.pagination.cursor;
  }
}

const MB = 1024 * 1024;
const rss = () => process.memoryUsage.rss();
// Module loading is not the stream's growth: the library's, and Node's own fetch (undici, loaded
// and compiled on the first request: ~20 MB of RSS in a process that has made none), which every
// mode uses. One request to the server's counters loads it before the baseline.
if (mode !== "fetch") await loadLibrary();
await (await fetch(new URL("/__stats", url))).text();
const events = mode === "merge" ? viaMerge() : mode.startsWith("sdk:") ? viaSdk(mode.slice(4)) : viaFetch();
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
for await (const event of events) {
  count += 1;
  if ((count & 1023) === 0) peak = Math.max(peak, rss());
  if (count === Math.floor(total / 10)) atTenth = rss();
  if (!event || (mode !== "fetch" && !event.id)) throw new Error("event without id");
}
const seconds = (performance.now() - started) / 1000;
clearInterval(timer);
peak = Math.max(peak, rss());
const end = rss();
process.stdout.write(
  `${JSON.stringify({
    mode,
    events: count,
    seconds,
    baselineMb: baseline / MB,
    peakMb: peak / MB,
    growthMb: (peak - baseline) / MB,
    atTenthMb: atTenth / MB,
    endMb: end / MB,
    heapTotalMb: { before: baselineUsage.heapTotal / MB, atPeak: peakUsage.heapTotal / MB },
    externalMb: { before: baselineUsage.external / MB, atPeak: peakUsage.external / MB },
  })}\n`,
);
