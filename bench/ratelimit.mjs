/**
 * Rate limit: an export against the simulator limiting Cortex to 600 requests/min, with the
 * client's limiter set to the same 600/min. Cortex, because its pages after page 0 go out
 * several at once (concurrency 4), the hard case for a client-side limiter. Small pages
 * (10 records) so the export outlasts the run; the run stops after `seconds` (30 by default).
 *
 * Utilization = requests the server answered (not 429) ÷ requests the limit allows in the
 * elapsed time, where the limit allows `burst + rate × elapsed`: the simulator's bucket holds
 * `burst` tokens and starts full (a minute's worth, 600), then refills at 600/min = 10/s. So
 * 30 s allow 600 + 300 = 900 requests.
 */
import { progress } from "./lib.mjs";

const PER_MINUTE = 600;
const PAGE_SIZE = 10;
const DAY_MS = 86_400_000;

export const UTILIZATION_DEFINITION =
  "requests answered (not 429) ÷ (burst + rate × elapsed), burst = the server bucket's capacity (600, full at start), rate = 600/min";

export async function benchRateLimit({ createSimulator, createCortexClient, seconds = 30 }) {
  const burst = PER_MINUTE; // the simulator's bucket: one minute's worth, starting full
  const perSecond = PER_MINUTE / 60;
  // Enough records that the export cannot finish inside the run: allowed requests × page size, doubled.
  const events = Math.ceil((burst + perSecond * seconds) * PAGE_SIZE * 2);
  const endAt = new Date(Math.floor((Date.now() - 3_600_000) / 1000) * 1000);
  const since = new Date(endAt.getTime() - 30 * DAY_MS);
  const sim = createSimulator({ vendors: ["cortex"], eventsPerVendor: events, seed: 4, endAt, spanDays: 30, latencyMs: 0, rateLimit: { cortex: PER_MINUTE } });
  const server = await sim.listen();
  const credentials = (server.credentials ?? sim.credentials).cortex;
  try {
    const client = createCortexClient({ ...credentials, rateLimit: { requestsPerMinute: PER_MINUTE } });
    const signal = AbortSignal.timeout(seconds * 1000);
    const started = performance.now();
    let records = 0;
    let stoppedBy = "time";
    try {
      for await (const page of client.pages({ pageSize: PAGE_SIZE, since, until: new Date(endAt.getTime() + 1), signal })) records += page.records.length;
      stoppedBy = "end of data";
    } catch (error) {
      if (!signal.aborted) throw error;
    }
    const elapsedSec = (performance.now() - started) / 1000;
    const rateLimited = sim.stats.rateLimited.cortex;
    const answered = sim.stats.requests.cortex - rateLimited - sim.stats.faults.cortex;
    const allowed = burst + perSecond * elapsedSec;
    progress(`  ${elapsedSec.toFixed(1)} s (${stoppedBy}): ${answered} requests answered, ${rateLimited} × 429, limit allows ${allowed.toFixed(0)} (${burst} burst + ${perSecond}/s × ${elapsedSec.toFixed(1)} s); client retries ${client.stats.retries}`);
    return { rateLimited, utilization: answered / allowed, answered, allowed, elapsedSec, burst, perMinute: PER_MINUTE, records, clientRetries: client.stats.retries, stoppedBy };
  } finally {
    await server.close();
  }
}
