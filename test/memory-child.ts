/**
 * Child process of test/stream-memory.test.ts (bundled by esbuild there; run with --expose-gc
 * and a fixed young generation, so only the collections it asks for happen while it measures).
 * Streams `PAGES` Cortex pages of heavy records from an in-process `fetch`, strictly one page at
 * a time, and prints one JSON line: how many bytes V8's old space gained while the pages after
 * the first were read, with one minor collection at the start of each page. A page the run has
 * let go of dies in the young generation there; one still reachable from an old object (a dead
 * one included: a minor collection does not look at what the old space holds, only at what it
 * points to) survives two such collections and is promoted, page after page.
 */
import v8 from "node:v8";
import { createCortexClient } from "../src/vendors/cortex.js";

const PAGES = 40;
const PER_PAGE = 200;
const START = Date.parse("2026-01-01T00:00:00Z");
const gc = (globalThis as unknown as { gc: (options?: { type: "minor" | "major" }) => void }).gc;

/** Page `n` as Cortex answers it: records of about 2 KB, each with its own strings. */
function pageText(n: number): string {
  const logs = Array.from({ length: PER_PAGE }, (_, i) => {
    const at = START + (n * PER_PAGE + i) * 1000;
    return {
      action: "UPDATE",
      actorIdentifier: `user${i}@example.com`,
      ipAddress: "198.51.100.7",
      objectIdentifier: `service-${n}-${i}-${"x".repeat(2_000)}`,
      objectType: "CATALOG",
      timestamp: new Date(at).toISOString(),
    };
  });
  return JSON.stringify({ logs, page: n, total: PAGES * PER_PAGE, totalPages: PAGES });
}

const fetchPage = async (input: string | URL | Request): Promise<Response> => {
  const url = new URL(input instanceof Request ? input.url : String(input));
  return new Response(pageText(Number(url.searchParams.get("page"))), { headers: { "content-type": "application/json" } });
};

const client = createCortexClient({ apiToken: "child-token", baseUrl: "https://api.example.test", fetch: fetchPage, rateLimit: false, concurrency: 1, prefetch: 0 });
const oldSpace = () => v8.getHeapSpaceStatistics().find((space) => space.space_name === "old_space")!.space_used_size;
let events = 0;
let before = 0;
for await (const _event of client.events({ since: new Date(START).toISOString(), until: new Date(START + PAGES * PER_PAGE * 1000).toISOString(), pageSize: PER_PAGE })) {
  if (events % PER_PAGE === 0) {
    if (events === PER_PAGE) {
      // Everything alive now (the pages planned after the first one included) goes old.
      gc();
      gc();
      before = oldSpace();
    } else if (events > PER_PAGE) gc({ type: "minor" });
  }
  events += 1;
}
process.stdout.write(`${JSON.stringify({ events, oldSpaceGrowth: oldSpace() - before, pageBytes: pageText(0).length })}\n`);
