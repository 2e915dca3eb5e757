/**
 * Overhead: `events()` against the obvious alternative, a minimal hand-written loop of `fetch`
 * + `JSON.parse` that follows Pylon's cursor and touches every record, over the same 100k
 * events from the same loopback simulator, large pages (limit 999), no rate limit on either
 * side. Runs alternate (A B B A …) so drift (GC, JIT, CPU boost) hits both; medians compared.
 *
 * The simulator runs in its own process, as a vendor's server does, so the time it spends
 * building pages is not charged to the reader on the same thread. `BENCH_SERVER_IN_PROCESS=1`
 * runs it in this process instead: both readers then share one thread with the server, and the
 * SDK's prefetch can no longer hide its per-event work behind the server's.
 */
import { median, progress, simulatorProcess } from "./lib.mjs";

const EVENTS = 100_000;
const PAGE = 999;

/** The alternative: what a user would write by hand. */
async function handWritten({ baseUrl, apiToken }) {
  let count = 0;
  let cursor;
  for (;;) {
    const url = new URL("/audit-logs", baseUrl);
    url.searchParams.set("limit", String(PAGE));
    if (cursor) url.searchParams.set("cursor", cursor);
    const response = await fetch(url, { headers: { authorization: `Bearer ${apiToken}`, accept: "application/json" } });
    if (!response.ok) throw new Error(`hand-written loop: HTTP ${response.status}`);
    const page = JSON.parse(await response.text());
    for (const record of page.data) if (record) count += 1;
    if (!page.pagination.has_next_page) return count;
    cursor = page.pagination.cursor;
  }
}

async function sdk(createPylonClient, credentials) {
  const client = createPylonClient({ ...credentials, rateLimit: false });
  let count = 0;
  for await (const event of client.events({ pageSize: PAGE })) if (event) count += 1;
  return count;
}

export async function benchOverhead({ createSimulator, createPylonClient, rounds = 7, serverInProcess = process.env.BENCH_SERVER_IN_PROCESS === "1" }) {
  const options = { vendors: ["pylon"], eventsPerVendor: EVENTS, seed: 1, rateLimit: false, latencyMs: 0 };
  const server = serverInProcess ? await createSimulator(options).listen() : await simulatorProcess(options);
  const credentials = server.credentials.pylon;
  try {
    const run = async (name) => {
      const started = performance.now();
      const count = name === "sdk" ? await sdk(createPylonClient, credentials) : await handWritten(credentials);
      const ms = performance.now() - started;
      if (count !== EVENTS) throw new Error(`overhead: ${name} read ${count} events, expected ${EVENTS}`);
      return (count / ms) * 1000;
    };
    // One warm-up of each (JIT, connection pool), not counted.
    await run("fetch");
    await run("sdk");
    const rates = { fetch: [], sdk: [] };
    for (let i = 0; i < rounds; i++) {
      for (const name of i % 2 === 0 ? ["fetch", "sdk"] : ["sdk", "fetch"]) rates[name].push(await run(name));
    }
    const fetchRate = median(rates.fetch);
    const sdkRate = median(rates.sdk);
    progress(`  hand-written fetch+JSON.parse: ${Math.round(fetchRate).toLocaleString("en")} events/s; events(): ${Math.round(sdkRate).toLocaleString("en")} events/s`);
    return { ratio: sdkRate / fetchRate, sdkEventsPerSec: sdkRate, fetchEventsPerSec: fetchRate, rounds, rates };
  } finally {
    await server.close();
  }
}
