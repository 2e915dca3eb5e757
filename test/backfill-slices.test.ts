// DESIGN §13: a vendor whose API filters by time (Zendesk, JITSudo) reads [since, until) as up to
// `concurrency` parallel cursor chains over sub-ranges, yielded in time order, rebalanced as they
// go; boundary events come once; a checkpoint mid-backfill resumes every open slice once.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import * as z from "zod/mini";
import { cursorPagination, defineVendor } from "../src/define.js";
import { createJitsudoClient, createZendeskClient, type AuditEvent } from "../src/index.js";
import { createSimulator, type SimulatorServer } from "../src/testing/index.js";
import { countingFetch, expectExactlyOnce, fakeClock } from "./http-fixtures.js";

const DAY = 86_400_000;
const END = Date.parse("2026-05-01T00:00:00Z");
const SINCE = new Date(END - 10 * DAY);
const UNTIL = new Date(END);

type Vendor = "zendesk" | "jitsudo";
const VENDORS: Vendor[] = ["zendesk", "jitsudo"];

function clientFor(vendor: Vendor, server: SimulatorServer, options: Record<string, unknown> = {}) {
  const common = { rateLimit: false as const, maxRetries: 0, ...options };
  return vendor === "zendesk" ? createZendeskClient({ ...server.credentials.zendesk, ...common }) : createJitsudoClient({ ...server.credentials.jitsudo, ...common });
}

describe.each(VENDORS)("%s", (vendor) => {
  const pageSize = vendor === "zendesk" ? 20 : 25;
  const datasets = {
    uniform: createSimulator({ vendors: [vendor], eventsPerVendor: 1_200, seed: 21, endAt: new Date(END), spanDays: 10, rateLimit: false }),
    skewed: createSimulator({ vendors: [vendor], eventsPerVendor: 1_200, seed: 22, endAt: new Date(END), spanDays: 10, rateLimit: false, skew: { share: 0.8, last: 0.1 } }),
    ties: createSimulator({ vendors: [vendor], eventsPerVendor: 0, seed: 23, endAt: new Date(END), rateLimit: false }),
  };
  // Many events per whole second, on and around the points a 10-day range is cut at.
  for (let k = 0; k < 40; k++) {
    const second = Math.floor((END - 10 * DAY + (k * 10 * DAY) / 40) / 1000) * 1000;
    datasets.ties.addEvents(vendor, 30 + (k % 7), { occurredAt: new Date(second) });
    datasets.ties.addEvents(vendor, 3, { occurredAt: new Date(second + 1000) });
  }
  const servers: Partial<Record<keyof typeof datasets, SimulatorServer>> = {};
  beforeAll(async () => {
    for (const [name, sim] of Object.entries(datasets)) servers[name as keyof typeof datasets] = await sim.listen();
  });
  afterAll(async () => {
    for (const server of Object.values(servers)) await server?.close();
  });
  const expected = (name: keyof typeof datasets) =>
    (datasets[name].events[vendor] as Array<{ id: string | number; created_at: string }>)
      .filter((r) => Date.parse(r.created_at) >= SINCE.getTime() && Date.parse(r.created_at) < UNTIL.getTime())
      .map((r) => String(r.id));

  test.each(["uniform", "skewed", "ties"] as const)("every record exactly once, in time order, with slices on (%s data)", async (name) => {
    const { counter, fetch } = countingFetch();
    // A clock that does not move: every slot in use, as against a server far away, whatever
    // this machine's pace (the slots in use follow the server's wait and the consumer's time a page).
    const client = clientFor(vendor, servers[name]!, { fetch, concurrency: 4, clock: fakeClock(END + DAY) });
    const events = await client.events({ since: SINCE, until: UNTIL, pageSize }).toArray({ limit: 100_000 });
    expect(events.length).toBeGreaterThan(1_000);
    expectExactlyOnce(events, expected(name));
    // Slices read at once, as the server sees it.
    expect(counter.max).toBeGreaterThanOrEqual(2);
    expect(counter.max).toBeLessThanOrEqual(4);
  });

  test("concurrency: 1 is one request at a time, in one chain", async () => {
    const { counter, fetch } = countingFetch();
    const client = clientFor(vendor, servers.skewed!, { fetch, concurrency: 1, prefetch: 0 });
    const events = await client.events({ since: SINCE, until: UNTIL, pageSize }).toArray({ limit: 100_000 });
    expectExactlyOnce(events, expected("skewed"));
    expect(counter.max).toBe(1);
    // One chain: the page count of a single cursor chain over the range.
    expect(counter.requests).toBe(Math.ceil(events.length / pageSize));
  });

  test.each(["skewed", "ties"] as const)("a checkpoint after any of many events resumes every open slice exactly once (%s data)", async (name) => {
    const client = clientFor(vendor, servers[name]!, { concurrency: 4 });
    const params = { since: SINCE, until: UNTIL, pageSize };
    const all = expected(name);
    for (const stopAfter of [1, 19, 20, 21, 137, 400, 611, 900, all.length - 1]) {
      const first = client.events(params);
      const head: AuditEvent[] = [];
      for await (const event of first) {
        head.push(event);
        if (head.length === stopAfter) break;
      }
      const checkpoint = JSON.parse(JSON.stringify(first.checkpoint()));
      const rest = await client.events({ ...params, resumeFrom: checkpoint }).toArray({ limit: 100_000 });
      expectExactlyOnce([...head, ...rest], all);
    }
  });

  test("resuming a resumed run, page by page, still reads every record once", async () => {
    const client = clientFor(vendor, servers.skewed!, { concurrency: 3 });
    const params = { since: SINCE, until: UNTIL, pageSize };
    const seen: string[] = [];
    let checkpoint: unknown;
    // Three pages per run, then a fresh run from the checkpoint, until the end.
    for (let run = 0; run < 200; run++) {
      const pages = client.pages(checkpoint === undefined ? params : { ...params, resumeFrom: checkpoint });
      let n = 0;
      let ended = true;
      for await (const page of pages) {
        seen.push(...page.events.map((e) => e.id));
        checkpoint = page.checkpoint;
        if (++n === 3) {
          ended = false;
          break;
        }
      }
      if (ended) break;
    }
    expect(new Set(seen).size).toBe(seen.length);
    expect([...seen].sort()).toEqual([...expected("skewed")].sort());
  });
});

describe("a defined vendor newest first with inclusive whole-second bounds", () => {
  // Its `to` brings back the records on the slice's end second: a slice's first pages may be
  // wholly its neighbour's (ties on a boundary second), and the neighbour, yielded after it,
  // reads them again at its end. They are the neighbour's own records, not a loop.
  const START = END - 4 * DAY;
  // Cut into four slices of a day: the first boundary's second holds 1,250 records (13 pages of 100).
  const boundary = START + DAY;
  const records: Array<{ id: string; at: string }> = [];
  for (let i = 0; i < 1_250; i++) records.push({ id: `tie-${i}`, at: new Date(boundary).toISOString() });
  for (let i = 0; i < 800; i++) records.push({ id: `r-${i}`, at: new Date(START + Math.floor((i * 4 * DAY) / 800) + 17).toISOString() });
  // Newest first, ties by id.
  records.sort((a, b) => Date.parse(b.at) - Date.parse(a.at) || (a.id < b.id ? -1 : 1));
  const second = (iso: string) => Math.floor(Date.parse(iso) / 1000);
  const fetchOver =
    (list: typeof records): typeof fetch =>
    async (input) => {
      const url = new URL(input instanceof Request ? input.url : String(input));
      const from = second(url.searchParams.get("from")!);
      const to = second(url.searchParams.get("to")!);
      const offset = Number(url.searchParams.get("after") ?? 0);
      const limit = Number(url.searchParams.get("limit"));
      const matching = list.filter((r) => second(r.at) >= from && second(r.at) <= to);
      const items = matching.slice(offset, offset + limit);
      served += items.length;
      return Response.json({ items, next: offset + limit < matching.length ? String(offset + limit) : null });
    };
  const fetchFn = fetchOver(records);
  let served = 0;
  let normalized = 0;
  const envelope = z.object({ items: z.array(z.unknown()), next: z.nullable(z.string()) });
  const vendor = defineVendor({
    id: "newest-first",
    baseUrl: "https://api.newest.example",
    secrets: ["apiKey"],
    auth: (options: { apiKey: string }) => ({ "X-Key": options.apiKey }),
    pageSize: { max: 100 },
    pagination: cursorPagination({
      envelope,
      path: "/logs",
      query: (ctx, cursor) => ({ limit: ctx.pageSize ?? 100, after: cursor, from: new Date(ctx.since ?? 0).toISOString(), to: new Date(ctx.until).toISOString() }),
      records: (body) => body.items,
      next: (body) => body.next ?? undefined,
      timeSlices: true,
    }),
    normalize: (record: { id: string; at: string }) => {
      normalized += 1;
      return { id: record.id, occurredAt: record.at, action: "thing.read" };
    },
  });

  test("without a pagination `time`, each record served is normalized once: for its time as its page arrives, and that event is the one yielded", async () => {
    // Oldest first, the slices read every record's time (newest first, only until a page shows the order).
    const oldestFirst = [...records].reverse();
    served = normalized = 0;
    const client = vendor.createClient({ apiKey: "k", rateLimit: false, maxRetries: 0, fetch: fetchOver(oldestFirst), concurrency: 4 });
    const events = await client.events({ since: new Date(START), until: new Date(END), pageSize: 100 }).toArray({ limit: 10_000 });
    expect(events.map((e) => e.id).sort()).toEqual(records.map((r) => r.id).sort());
    // Ties on the boundary second are served to both neighbours: more records served than exist.
    expect(served).toBeGreaterThan(records.length);
    // Before, every record was normalized twice: once for the slices to place it, once for its event.
    expect(normalized).toBe(served);
  });

  test("pages its neighbour read first (13 pages of ties on their boundary second) are not a loop: every record once", async () => {
    const client = vendor.createClient({ apiKey: "k", rateLimit: false, maxRetries: 0, fetch: fetchFn, concurrency: 4 });
    const events = await client.events({ since: new Date(START), until: new Date(END), pageSize: 100 }).toArray({ limit: 10_000 });
    expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
    expect(events.map((e) => e.id).sort()).toEqual(records.map((r) => r.id).sort());
  });
});
