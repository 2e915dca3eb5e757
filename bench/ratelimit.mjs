/**
 * Rate limits at steady state (`ratelimit_utilization`, `ratelimit_429s`): Zendesk (700/min),
 * Cortex (1,000/min) and Pylon (60/min) exported at once against the simulator in its own
 * process, which enforces each vendor's documented limit with its own 429 and sends its
 * rate-limit headers, while each client uses its default (documented) limit. Small pages (10
 * records) so no export ends first.
 *
 * Both buckets start full, so the first minute's worth of requests goes out at once (the burst),
 * while the buckets also refill. The figure is the steady state after it: over a run of T
 * seconds the client may send its capacity (a minute's worth less one) plus rate × T, so
 * utilization = (requests answered, not 429, − capacity) ÷ (rate × T). Each run lasts until the
 * burst is spent plus `steadySeconds`. The headline is the lowest of the three; 429s are summed.
 */
import { progress, simulatorProcess } from "./lib.mjs";

const LIMITS = { zendesk: 700, cortex: 1000, pylon: 60 };
const PAGE_SIZE = 10;

export const UTILIZATION_DEFINITION =
  "(requests answered, not 429, − the client bucket's starting capacity, a minute's worth less one) ÷ (documented rate × seconds of the run), per vendor: the steady state after the burst; the figure is the lowest of Zendesk 700/min, Cortex 1,000/min, Pylon 60/min";

export async function benchRateLimit({ createClient, steadySeconds = 20 }) {
  const endAt = new Date(Math.floor((Date.now() - 3_600_000) / 1000) * 1000);
  // Enough for the burst and the steady part at 10 a page, doubled.
  const counts = Object.fromEntries(Object.entries(LIMITS).map(([vendor, rpm]) => [vendor, Math.ceil((rpm + (rpm / 60) * steadySeconds) * PAGE_SIZE * 2)]));
  const server = await simulatorProcess({ vendors: Object.keys(LIMITS), eventsPerVendor: counts, seed: 4, endAt: endAt.toISOString(), spanDays: 30, latencyMs: 0 });
  try {
    const runs = Object.entries(LIMITS).map(async ([vendor, rpm]) => {
      const answers = [];
      let limited = 0;
      const counting = async (input, init) => {
        const response = await fetch(input, init);
        if (response.status === 429) limited += 1;
        else answers.push(performance.now());
        return response;
      };
      const client = createClient({ vendor, ...server.credentials[vendor], fetch: counting });
      const capacity = rpm - 1;
      const controller = new AbortController();
      let burstEndedAt;
      const timer = setInterval(() => {
        if (burstEndedAt === undefined && answers.length >= capacity) burstEndedAt = answers[capacity - 1];
        if (burstEndedAt !== undefined && performance.now() - burstEndedAt >= steadySeconds * 1000) controller.abort();
      }, 20);
      const started = performance.now();
      let stoppedBy = "time";
      try {
        for await (const page of client.pages({ pageSize: PAGE_SIZE, since: new Date(endAt.getTime() - 30 * 86_400_000), until: new Date(endAt.getTime() + 1), signal: controller.signal })) if (!page) break;
        stoppedBy = "end of data";
      } catch (error) {
        if (!controller.signal.aborted) throw error;
      } finally {
        clearInterval(timer);
      }
      const seconds = (performance.now() - started) / 1000;
      const steady = answers.length - capacity;
      const allowed = (rpm / 60) * seconds;
      const utilization = steady / allowed;
      const burstSeconds = ((burstEndedAt ?? started) - started) / 1000;
      progress(`  ${vendor} (${rpm}/min): ${answers.length} answered in ${seconds.toFixed(1)} s (the burst of ${capacity} spent after ${burstSeconds.toFixed(1)} s): ${steady} beyond it of ${allowed.toFixed(0)} allowed (${utilization.toFixed(3)}); ${limited} × 429, client retries ${client.stats.retries} (${stoppedBy})`);
      return [vendor, { utilization, rateLimited: limited, answered: answers.length, capacity, seconds, burstSeconds, requestsPerMinute: rpm, clientRetries: client.stats.retries, stoppedBy }];
    });
    const byVendor = Object.fromEntries(await Promise.all(runs));
    const values = Object.values(byVendor);
    return { utilization: Math.min(...values.map((v) => v.utilization)), rateLimited: values.reduce((n, v) => n + v.rateLimited, 0), byVendor };
  } finally {
    await server.close();
  }
}
