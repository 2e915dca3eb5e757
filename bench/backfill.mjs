/**
 * Backfill at the ceiling (`backfill_ratio_<vendor>_<latency>ms`): `events()` over skewed data
 * (80 % of the events in the last 10 % of the range), page size at the vendor's maximum, against
 * the bench vendor server in its own process answering after `latencyMs` (the round trip), with
 * rate limits off on both sides. The ceiling is `in-flight requests × records per request ÷ round
 * trip` (the rate-limit term of `min(rate limit × page size, …)` is infinite here; the documented
 * limits are measured by `ratelimit_utilization`):
 *
 * - Zendesk, JITSudo: `concurrency` (4) chains, pages of 100 / 1000 (parallel time slices).
 * - Cortex: 4 pages at once, pages of 1000; page 0 comes first (it tells the page count), so the
 *   ceiling counts one round trip more.
 * - Pylon: one cursor chain, no time filter: one page of 999 per round trip.
 * - Datafold: no pages; a response holds at most `DATAFOLD_CAP` logs, so the ceiling is
 *   ⌈⌈events ÷ cap⌉ ÷ 4⌉ round trips, which only a reader that knew where the events are could reach.
 */
import { benchClientOptions, progress } from "./lib.mjs";
import { startVendorServer } from "./vendor-server.mjs";

const DAY_MS = 86_400_000;
const CONCURRENCY = 4;
const DATAFOLD_CAP = 10_000;

/** Events per vendor: ~120 requests' worth at the ceiling's page size (`scale` < 1 for --quick). */
function plan(scale) {
  return {
    pylon: { pageSize: 999, events: Math.round(40 * 999 * scale), inFlight: 1, extraTrips: 0 },
    zendesk: { pageSize: 100, events: Math.round(480 * 100 * scale), inFlight: CONCURRENCY, extraTrips: 0 },
    cortex: { pageSize: 1000, events: Math.round(480 * 1000 * scale), inFlight: CONCURRENCY, extraTrips: 1 },
    datafold: { pageSize: DATAFOLD_CAP, events: Math.round(40 * DATAFOLD_CAP * scale), inFlight: CONCURRENCY, extraTrips: 0 },
    jitsudo: { pageSize: 1000, events: Math.round(480 * 1000 * scale), inFlight: CONCURRENCY, extraTrips: 0 },
  };
}


export async function benchBackfill({ createClient, latencies = [100, 300], scale = 1, vendors = ["pylon", "zendesk", "cortex", "datafold", "jitsudo"] }) {
  const out = {};
  const end = Math.floor((Date.now() - 3_600_000) / 1000) * 1000;
  const start = end - 30 * DAY_MS;
  for (const latencyMs of latencies) {
    for (const vendor of vendors) {
      const p = plan(scale)[vendor];
      const server = await startVendorServer({ total: p.events, start, end, skew: { share: 0.8, last: 0.1 }, latencyMs, datafoldCap: DATAFOLD_CAP });
      try {
        const client = createClient(benchClientOptions(vendor, server.url));
        const params = { since: new Date(start), until: new Date(end + 1), ...(vendor === "datafold" ? {} : { pageSize: p.pageSize }) };
        const started = performance.now();
        let count = 0;
        for await (const event of client.events(params)) if (event) count += 1;
        const seconds = (performance.now() - started) / 1000;
        if (count !== p.events) throw new Error(`backfill ${vendor}: read ${count} events, expected ${p.events}`);
        const stats = await server.stats();
        const trips = vendor === "datafold" ? Math.max(1, Math.ceil(Math.ceil(p.events / DATAFOLD_CAP) / CONCURRENCY)) : Math.ceil(p.events / p.pageSize / p.inFlight) + p.extraTrips;
        const ceilingPerSec = p.events / ((trips * latencyMs) / 1000);
        const rate = count / seconds;
        const minimumRequests = Math.ceil(p.events / p.pageSize) + (vendor === "cortex" ? 0 : 0);
        out[`${vendor}_${latencyMs}ms`] = { ratio: rate / ceilingPerSec, eventsPerSec: rate, ceilingPerSec, seconds, events: count, requests: stats.requests, minimumRequests, maxInFlight: stats.maxInFlight };
        progress(`  ${vendor} at ${latencyMs} ms: ${Math.round(rate).toLocaleString("en")} events/s of a ${Math.round(ceilingPerSec).toLocaleString("en")} ceiling (${(rate / ceilingPerSec).toFixed(2)}); ${stats.requests} requests (minimum ${minimumRequests}), at most ${stats.maxInFlight} in flight, ${seconds.toFixed(1)} s`);
      } finally {
        await server.close();
      }
    }
  }
  return out;
}
