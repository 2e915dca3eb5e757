// Incremental collection: run this every five minutes (cron, a scheduler, a loop). Each run
// appends only events it has not written before, and collect() saves where it stopped after
// every page, atomically, in checkpoints/pylon-acme.json.
//
//   PYLON_API_TOKEN=... node examples/incremental.mjs
//
// PYLON_BASE_URL points it at another host (the simulator: `npx auditlogs simulate`).
import { open } from "node:fs/promises";
import { collect, createPylonClient, fileCheckpointStore } from "auditlogs";

const outFile = process.env.OUT_FILE ?? "pylon-events.ndjson";

const client = createPylonClient({
  apiToken: process.env.PYLON_API_TOKEN,
  ...(process.env.PYLON_BASE_URL ? { baseUrl: process.env.PYLON_BASE_URL } : {}),
});

// The sink: collect() saves a page's checkpoint only once write() resolves, so write() resolves
// only once the lines are on disk. A crash in between repeats that page (same event ids), never
// loses one.
const sink = {
  async write(events) {
    const file = await open(outFile, "a");
    try {
      await file.writeFile(events.map((event) => JSON.stringify(event) + "\n").join(""));
      await file.sync();
    } finally {
      await file.close();
    }
  },
};

// The first run has no checkpoint and reads the last day (`since`); later runs resume from the store.
const result = await collect({
  client,
  key: "pylon-acme",
  store: fileCheckpointStore(process.env.CHECKPOINT_DIR ?? "checkpoints"),
  sink,
  params: { since: new Date(Date.now() - 24 * 3600_000) },
});
console.error(`wrote ${result.events} new events to ${outFile} (${result.pages} pages, ${result.requests} requests); ${Math.round(result.lagMs / 1000)} s behind`);
