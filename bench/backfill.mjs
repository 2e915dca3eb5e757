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
import os from "node:os";
import { benchClientOptions, progress } from "./lib.mjs";
import { startVendorServer } from "./vendor-server.mjs";

const DAY_MS = 86_400_000;
const CONCURRENCY = 4;
const DATAFOLD_CAP = 10_000;
/** Events read, untimed, before each timed run. */
const WARM_UP_EVENTS = 3_000;

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


const VENDORS = ["pylon", "zendesk", "cortex", "datafold", "jitsudo"];

/** The time range every run reads: 30 days ending an hour ago, on a whole second. */
function span() {
  const end = Math.floor((Date.now() - 3_600_000) / 1000) * 1000;
  return { start: end - 30 * DAY_MS, end };
}

/** One vendor's server: its records built before it listens, so an answer is a join of prebuilt text. */
function startServer(vendor, scale, { start, end }, latencyMs) {
  return startVendorServer({ total: plan(scale)[vendor].events, start, end, skew: { share: 0.8, last: 0.1 }, latencyMs, datafoldCap: DATAFOLD_CAP, prebuild: vendor });
}

/**
 * Every vendor's server at once, started side by side (--quick): `benchBackfill({ servers })`
 * reads from them at each latency instead of starting one per vendor and latency. `close()` ends them.
 */
export async function backfillServers({ scale = 1, vendors = VENDORS } = {}) {
  const range = span();
  const started = await Promise.all(vendors.map((vendor) => startServer(vendor, scale, range, 0)));
  return { range, scale, byVendor: Object.fromEntries(vendors.map((v, i) => [v, started[i]])), close: () => Promise.all(started.map((s) => s.close())) };
}

/**
 * `warmUpPages` caps the warm-up at that many pages' worth of events (--quick: 1, enough to open
 * the connections; the code is compiled by the run before). `servers` (from `backfillServers`)
 * are used, at each latency in turn, instead of a server started per vendor and latency.
 */
export async function benchBackfill({ createClient, latencies = [100, 300], scale = 1, warmUpPages = Infinity, vendors = VENDORS, servers }) {
  const out = {};
  if (servers) scale = servers.scale;
  const { start, end } = servers?.range ?? span();
  for (const latencyMs of latencies) {
    for (const vendor of vendors) {
      const p = plan(scale)[vendor];
      // The records are built before the server listens: an answer is a join of prebuilt text,
      // so the generator's CPU (10,000 Datafold logs a request) is neither in the round trip nor
      // taken from the reader on these shared cores.
      const server = servers?.byVendor[vendor] ?? (await startServer(vendor, scale, { start, end }, latencyMs));
      if (servers) await server.setLatency(latencyMs);
      try {
        const client = createClient(benchClientOptions(vendor, server.url));
        const params = { since: new Date(start), until: new Date(end + 1), ...(vendor === "datafold" ? {} : { pageSize: p.pageSize }) };
        // Warm-up, not timed: a few pages through the same client (connections open, code
        // compiled), as in any export longer than a few seconds.
        // With shared servers, a latency after the first reads through code and connections
        // (the fetch pool's, per origin) that the round before warmed: no warm-up of its own.
        const warmUpEvents = servers && latencyMs !== latencies[0] ? 0 : Math.min(WARM_UP_EVENTS, warmUpPages * p.pageSize);
        let warm = 0;
        if (warmUpEvents > 0) for await (const event of client.events(params)) if (event && ++warm >= warmUpEvents) break;
        await server.resetStats();
        const cpuBefore = process.cpuUsage();
        const started = performance.now();
        let count = 0;
        for await (const event of client.events(params)) if (event) count += 1;
        const seconds = (performance.now() - started) / 1000;
        const cpu = process.cpuUsage(cpuBefore);
        if (count !== p.events) throw new Error(`backfill ${vendor}: read ${count} events, expected ${p.events}`);
        const stats = await server.stats();
        const trips = vendor === "datafold" ? Math.max(1, Math.ceil(Math.ceil(p.events / DATAFOLD_CAP) / CONCURRENCY)) : Math.ceil(p.events / p.pageSize / p.inFlight) + p.extraTrips;
        const ceilingPerSec = p.events / ((trips * latencyMs) / 1000);
        const rate = count / seconds;
        const minimumRequests = Math.ceil(p.events / p.pageSize) + (vendor === "cortex" ? 0 : 0);
        // What limits a miss: requests beyond the minimum, slots left idle (mean in flight at the
        // server against `inFlight`), and the reader's CPU (its share of the run's wall time).
        const cpuShare = (cpu.user + cpu.system) / 1e6 / seconds;
        out[`${vendor}_${latencyMs}ms`] = { ratio: rate / ceilingPerSec, eventsPerSec: rate, ceilingPerSec, seconds, events: count, requests: stats.requests, minimumRequests, maxInFlight: stats.maxInFlight, meanInFlight: stats.meanInFlight, ceilingInFlight: p.inFlight, readerCpuShare: cpuShare, readerCpuUsPerEvent: ((cpu.user + cpu.system) / count) };
        progress(`  ${vendor} at ${latencyMs} ms: ${Math.round(rate).toLocaleString("en")} events/s of a ${Math.round(ceilingPerSec).toLocaleString("en")} ceiling (${(rate / ceilingPerSec).toFixed(2)}); ${stats.requests} requests (minimum ${minimumRequests}), ${stats.meanInFlight.toFixed(2)} in flight on average (at most ${stats.maxInFlight}), reader CPU ${(cpuShare * 100).toFixed(0)} % of ${seconds.toFixed(1)} s (${((cpu.user + cpu.system) / count).toFixed(1)} µs/event); load ${os.loadavg()[0].toFixed(1)}`);
      } finally {
        if (!servers) await server.close();
      }
    }
  }
  return out;
}
