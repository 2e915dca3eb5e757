/**
 * Fewer requests, counted at the simulator (in this process; only counts matter here):
 * - `datafold_requests_sparse`: Datafold's default range (`since` omitted: 365 days before
 *   `until`) holding 7 days of events.
 * - `pylon_next_run_requests`: a full Pylon read (pages of 100), then a next run from its
 *   checkpoint with nothing new, with the simulator serving ingestion order and newest first;
 *   the figure is the larger of the two.
 */
import { progress } from "./lib.mjs";

export async function benchRequests({ createSimulator, createDatafoldClient, createPylonClient }) {
  const out = {};
  {
    const sim = createSimulator({ vendors: ["datafold"], eventsPerVendor: 5_000, seed: 5, spanDays: 7, rateLimit: false });
    const server = await sim.listen();
    try {
      const client = createDatafoldClient({ ...server.credentials.datafold, rateLimit: false });
      let count = 0;
      for await (const event of client.events()) if (event) count += 1;
      if (count !== 5_000) throw new Error(`datafold sparse: read ${count} events, expected 5000`);
      out.datafoldSparse = { requests: sim.stats.requests.datafold, events: count };
      progress(`  datafold, 365-day default range, 7 days of events: ${sim.stats.requests.datafold} requests`);
    } finally {
      await server.close();
    }
  }
  out.pylonNextRun = {};
  for (const order of ["ingestion", "newest-first"]) {
    const sim = createSimulator({ vendors: ["pylon"], eventsPerVendor: 5_000, seed: 6, rateLimit: false, pylonOrder: order });
    const server = await sim.listen();
    try {
      const client = createPylonClient({ ...server.credentials.pylon, rateLimit: false });
      const first = client.events({ pageSize: 100 });
      let count = 0;
      for await (const event of first) if (event) count += 1;
      const firstRequests = sim.stats.requests.pylon;
      sim.resetStats();
      let again = 0;
      for await (const event of client.events({ pageSize: 100, resumeFrom: first.checkpoint() })) if (event) again += 1;
      out.pylonNextRun[order] = { requests: sim.stats.requests.pylon, firstRunRequests: firstRequests, firstRunEvents: count, nextRunEvents: again };
      progress(`  pylon (${order}): first run ${firstRequests} requests for ${count} events; next run with nothing new ${sim.stats.requests.pylon} requests, ${again} events`);
    } finally {
      await server.close();
    }
  }
  out.pylonNextRun.max = Math.max(...["ingestion", "newest-first"].map((o) => out.pylonNextRun[o].requests));
  return out;
}
