#!/usr/bin/env node
/**
 * `node bench/pipeline.mjs`: what `events()` costs per event beyond `JSON.parse`, with no server
 * and no socket. The same 100 pages of 999 simulator Pylon records are served from memory
 * through the client's `fetch` option, and read once by `events()` and once by a loop that only
 * parses them. Single-threaded and I/O-free, so it is steady to a few percent on an idle
 * machine, enough to compare two builds of the library (`AUDITLOGS_DIST=/path/to/other/dist node bench/pipeline.mjs`), which
 * `overhead_ratio` over loopback HTTP is not. Not part of `npm run bench`.
 */
import { loadLibrary, loadTesting, median } from "./lib.mjs";

const EVENTS = 100_000;
const PAGE = 999;
const ROUNDS = 11;

const { createPylonClient } = await loadLibrary();
const { createSimulator } = await loadTesting();
const records = createSimulator({ vendors: ["pylon"], eventsPerVendor: EVENTS, seed: 1, rateLimit: false }).events.pylon;
const pages = [];
for (let i = 0; i < records.length; i += PAGE) {
  pages.push(JSON.stringify({ data: records.slice(i, i + PAGE), pagination: { cursor: String(pages.length + 1), has_next_page: i + PAGE < records.length }, request_id: "req" }));
}
const fetchFromMemory = async (url) =>
  new Response(pages[Number(new URL(url).searchParams.get("cursor") ?? 0)], { headers: { "content-type": "application/json" } });

async function viaEvents() {
  const started = performance.now();
  const client = createPylonClient({ apiToken: "bench-token", baseUrl: "http://127.0.0.1:9", rateLimit: false, fetch: fetchFromMemory });
  let count = 0;
  for await (const event of client.events({ pageSize: PAGE })) if (event) count += 1;
  if (count !== EVENTS) throw new Error(`events() yielded ${count}, expected ${EVENTS}`);
  return performance.now() - started;
}

async function parseOnly() {
  const started = performance.now();
  let count = 0;
  for (let i = 0; ; i++) {
    const page = JSON.parse(await (await fetchFromMemory(`http://127.0.0.1:9/audit-logs?cursor=${i}`)).text());
    for (const record of page.data) if (record) count += 1;
    if (!page.pagination.has_next_page) break;
  }
  if (count !== EVENTS) throw new Error(`parse loop read ${count}, expected ${EVENTS}`);
  return performance.now() - started;
}

await viaEvents();
await parseOnly();
const sdk = [];
const parse = [];
for (let i = 0; i < ROUNDS; i++) {
  sdk.push(await viaEvents());
  parse.push(await parseOnly());
}
const a = median(sdk);
const b = median(parse);
console.log(`events(): ${a.toFixed(0)} ms, JSON.parse only: ${b.toFixed(0)} ms for ${EVENTS.toLocaleString("en")} Pylon events (medians of ${ROUNDS})`);
console.log(`events() costs ${(((a - b) * 1000) / EVENTS).toFixed(2)} µs per event beyond JSON.parse`);
