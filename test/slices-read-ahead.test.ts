// DESIGN §9 (memory), §13 (slices): what parallel time slices fetch ahead of a consumer slower
// than the server stays within the read-ahead meter's bound, counting the requests in flight and
// the chains a free slot would start by splitting. The engine alone, against an HTTP client that
// answers JITSudo-shaped pages from memory (no sockets, no timers): deterministic.
import { describe, expect, test } from "vitest";
import type { PageContext } from "../src/core/paginate.js";
import { DrainMeter, ReadAhead } from "../src/core/read-ahead.js";
import { paginateSlices } from "../src/core/slices.js";
import { timeOfField } from "../src/core/event.js";
import { jitsudo } from "../src/vendors/jitsudo.js";

const DAY = 86_400_000;
const END = Date.parse("2026-02-01T00:00:00Z");
const START = END - 10 * DAY;
const TOTAL = 20_000;
const PAGE = 100;

/** 20,000 records spread evenly over ten days, oldest first. */
const records = Array.from({ length: TOTAL }, (_, i) => ({
  id: `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`,
  actor_id: "a@example.com",
  actor_type: "oidc",
  action: "request.approved",
  resource_type: "aws_account",
  resource_id: "1",
  created_at: new Date(START + Math.floor((i * 10 * DAY) / TOTAL)).toISOString().replace(".000Z", "Z"),
}));
const times = records.map((r) => Date.parse(r.created_at));

/** JITSudo's list endpoint over `records`: from/to inclusive-exclusive, the cursor an offset. */
function fakeHttp() {
  const stats = { served: 0, inFlight: 0, most: 0 };
  const http = {
    request: async ({ url }: { url: URL }) => {
      stats.inFlight += 1;
      await Promise.resolve();
      const from = url.searchParams.get("from");
      const to = Date.parse(url.searchParams.get("to")!);
      const cursor = Number(url.searchParams.get("cursor") ?? 0);
      const limit = Number(url.searchParams.get("limit"));
      const since = from ? Date.parse(from) : -Infinity;
      let lo = times.findIndex((t) => t >= since);
      if (lo < 0) lo = TOTAL;
      let hi = times.findIndex((t) => t >= to);
      if (hi < 0) hi = TOTAL;
      const start = lo + cursor;
      const data = records.slice(start, Math.min(hi, start + limit));
      const more = start + data.length < hi;
      stats.served += data.length;
      stats.inFlight -= 1;
      return { status: 200, headers: new Headers(), body: { data, next_cursor: more ? String(cursor + data.length) : null, has_more: more }, text: "", requestId: undefined, attempts: 1 };
    },
  };
  return { http, stats };
}

/** A meter whose bound is fixed: the consumer's pace is not what this test is about. */
function fixedMeter(useful: number): DrainMeter {
  const meter = new DrainMeter(() => 0);
  meter.useful = () => useful;
  return meter;
}

const settle = async () => {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
};

describe("time slices and the read-ahead bound", () => {
  test.each([300, 1_000])("held and in flight ahead of the consumer stay within a bound of %i records (plus the pages it needs next)", async (useful) => {
    const { http, stats } = fakeHttp();
    const ctx: PageContext = { vendor: "jitsudo", origin: "http://jitsudo.test", since: START, until: END, pageSize: PAGE, filter: undefined, windowMs: DAY };
    const readAhead = { budget: new ReadAhead(Infinity), meter: fixedMeter(useful) };
    const pages = paginateSlices(http as never, jitsudo.definition.pagination as never, ctx, { prefetch: 1, concurrency: 4, readAhead, timeOf: timeOfField("created_at") });
    let taken = 0;
    let most = 0;
    const ids = new Set<string>();
    for await (const page of pages) {
      for (const record of page.records) {
        const at = Date.parse((record as { created_at: string }).created_at);
        if ((page.bounds?.since === undefined || at >= page.bounds.since) && at < page.bounds!.until) ids.add((record as { id: string }).id);
      }
      await settle();
      // What was fetched and not yet handed on, the page in hand included.
      most = Math.max(most, stats.served - taken);
      taken += page.records.length;
    }
    expect(ids.size).toBe(TOTAL);
    // The page in hand, the one prefetched and what the bound lets ahead, a page of it crossing.
    // Counting only pages come (not those on their way), and splitting without the bound,
    // four slots' pages landed on top of it.
    expect(most).toBeLessThanOrEqual(2 * PAGE + useful + PAGE);
  });
});
