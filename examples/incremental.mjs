// Incremental collection: run this every five minutes (cron, a scheduler, a loop). Each run
// appends only events it has not written before and saves where it stopped, atomically.
//
//   PYLON_API_TOKEN=... node examples/incremental.mjs
//
// PYLON_BASE_URL points it at another host (the simulator: `npx auditlogs simulate`).
import { appendFile, readFile, rename, writeFile } from "node:fs/promises";
import { createPylonClient } from "auditlogs";

const checkpointFile = process.env.CHECKPOINT_FILE ?? "pylon.checkpoint.json";
const outFile = process.env.OUT_FILE ?? "pylon-events.ndjson";

const client = createPylonClient({
  apiToken: process.env.PYLON_API_TOKEN,
  ...(process.env.PYLON_BASE_URL ? { baseUrl: process.env.PYLON_BASE_URL } : {}),
});

// The first run has no checkpoint: it reads the last day. Later runs resume from the file.
const saved = await readFile(checkpointFile, "utf8").catch((error) => (error.code === "ENOENT" ? undefined : Promise.reject(error)));
const pages = client.pages(saved ? { resumeFrom: saved } : { since: new Date(Date.now() - 24 * 3600_000) });

let written = 0;
for await (const page of pages) {
  if (page.events.length > 0) {
    await appendFile(outFile, page.events.map((event) => JSON.stringify(event) + "\n").join(""));
    written += page.events.length;
  }
  // Saved after the events are written: a crash between the two repeats a page, never loses one.
  await writeFile(`${checkpointFile}.tmp`, JSON.stringify(page.checkpoint));
  await rename(`${checkpointFile}.tmp`, checkpointFile);
}
// The finished run's checkpoint is the watermark the next run starts from.
await writeFile(`${checkpointFile}.tmp`, JSON.stringify(pages.checkpoint()));
await rename(`${checkpointFile}.tmp`, checkpointFile);
console.error(`wrote ${written} new events to ${outFile}`);
