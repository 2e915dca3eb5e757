/**
 * Latency hiding (`prefetch_ratio`), at 50 ms per request on the loopback simulator: a cursor
 * chain (Pylon, 20 pages) read by a consumer that spends 20 ms per page (an awaited sleep,
 * standing in for a write to a sink), default prefetch (1) against `prefetch: 0`. Client and simulator rate limits are off: this measures latency hiding only.
 */
import { median, progress, sleep } from "./lib.mjs";

const LATENCY_MS = 50;
const CONSUMER_MS = 20;
const DAY_MS = 86_400_000;

/** Alternating runs of two configurations; medians of each. */
async function alternate(rounds, runA, runB) {
  const a = [];
  const b = [];
  for (let i = 0; i < rounds; i++) {
    if (i % 2 === 0) {
      a.push(await runA());
      b.push(await runB());
    } else {
      b.push(await runB());
      a.push(await runA());
    }
  }
  return { a: median(a), b: median(b), runsA: a, runsB: b };
}

async function wall(fn) {
  const started = performance.now();
  await fn();
  return performance.now() - started;
}

/** The time range the simulator's data covers, ending a little in the past (so nothing is "now"). */
function span(days) {
  const endAt = new Date(Math.floor((Date.now() - 3_600_000) / 1000) * 1000);
  return { endAt, since: new Date(endAt.getTime() - days * DAY_MS), until: new Date(endAt.getTime() + 1) };
}

export async function benchPrefetch({ createSimulator, createPylonClient, rounds = 3 }) {
  const pages = 20;
  const pageSize = 100;
  const { endAt, since, until } = span(7);
  const sim = createSimulator({ vendors: ["pylon"], eventsPerVendor: pages * pageSize, seed: 2, endAt, spanDays: 7, rateLimit: false, latencyMs: LATENCY_MS });
  const server = await sim.listen();
  const credentials = (server.credentials ?? sim.credentials).pylon;
  try {
    const run = (options) => () =>
      wall(async () => {
        const client = createPylonClient({ ...credentials, rateLimit: false, ...options });
        let n = 0;
        for await (const page of client.pages({ pageSize, since, until })) {
          n += 1;
          await sleep(CONSUMER_MS); // the consumer's own work on this page
        }
        if (n !== pages) throw new Error(`prefetch: read ${n} pages, expected ${pages}`);
      });
    const { a: prefetched, b: sequential } = await alternate(rounds, run({}), run({ prefetch: 0 }));
    progress(`  ${pages} pages, ${LATENCY_MS} ms each, consumer ${CONSUMER_MS} ms/page: prefetch 1 ${prefetched.toFixed(0)} ms, sequential ${sequential.toFixed(0)} ms`);
    return { ratio: prefetched / sequential, prefetchedMs: prefetched, sequentialMs: sequential, pages, floor: LATENCY_MS / (LATENCY_MS + CONSUMER_MS) };
  } finally {
    await server.close();
  }
}
