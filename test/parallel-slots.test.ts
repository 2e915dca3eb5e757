// DESIGN §13, parallel pages at the ceiling: with several requests at once, an answer frees its
// slot when its headers arrive, not once its body is read and parsed (the next states are planned
// already), and a request sent again after its headers (its body broke off) waits for a free slot,
// so no more than `concurrency` ever await an answer. Checked by what the fake server sees.
import { describe, expect, test } from "vitest";
import { lowerBound, paginate, type PageContext, type RawPage } from "../src/core/paginate.js";
import { DrainMeter, ReadAhead } from "../src/core/read-ahead.js";
import { datafold, DATAFOLD_SPLIT_AT } from "../src/vendors/datafold.js";
import { datafoldTimestamp } from "./http-fixtures.js";

const DAY = 86_400_000;
const END = Date.parse("2026-05-01T00:00:00Z");
const START = END - 20 * DAY;
/** 5,000 logs a day: one-day windows, every one under the cap. */
const TOTAL = 100_000;
const times = Array.from({ length: TOTAL }, (_, i) => START + Math.floor((i * (END - START)) / TOTAL));
const iso = datafoldTimestamp;

interface Request {
  body?: string;
  onResponse?: () => void;
  beforeResend?: () => Promise<void>;
}

/**
 * A Datafold server behind the engine's HttpClient. `awaiting` counts requests sent whose
 * headers have not arrived (the most at once in `maxAwaiting`). `bodyHeld(n)` says whether the
 * body of the nth request (from 1) waits for `release()` after its headers; `brokenOnce(n)`
 * whether its body breaks off once after its headers, so it is sent again (after `beforeResend`).
 */
function server(bodyHeld: (n: number) => boolean, brokenOnce: (n: number) => boolean = () => false) {
  const stats = { requests: 0, awaiting: 0, maxAwaiting: 0, resent: 0, sentWhileHeld: 0 };
  const held: Array<() => void> = [];
  const send = async () => {
    stats.awaiting += 1;
    stats.maxAwaiting = Math.max(stats.maxAwaiting, stats.awaiting);
    // The answer's headers come on a later turn, after the engine has sent what it will.
    await new Promise((resolve) => setImmediate(resolve));
    stats.awaiting -= 1;
  };
  const request = async ({ body, onResponse, beforeResend }: Request) => {
    const n = ++stats.requests;
    if (held.length > 0) stats.sentWhileHeld += 1;
    await send();
    onResponse?.();
    if (brokenOnce(n)) {
      stats.resent += 1;
      await beforeResend?.();
      await send();
      onResponse?.();
    }
    if (bodyHeld(n)) await new Promise<void>((resolve) => held.push(resolve));
    const { start_date, end_date } = JSON.parse(body ?? "{}") as { start_date: string; end_date: string };
    const from = lowerBound(times, Date.parse(start_date));
    const to = Math.min(lowerBound(times, Date.parse(end_date) + 1), from + DATAFOLD_SPLIT_AT);
    const logs = times.slice(from, to).map((t, i) => ({ timestamp: iso(t), event_uuid: `log-${from + i}` }));
    return { status: 200, headers: new Headers(), body: { logs }, text: "", requestId: undefined, attempts: brokenOnce(n) ? 2 : 1 };
  };
  const release = () => held.splice(0).forEach((go) => go());
  return { stats, http: { request }, release, held };
}

const ctx: PageContext = { vendor: "datafold", origin: "http://datafold.test", since: START, until: END, pageSize: undefined, filter: undefined, windowMs: DAY };

async function readAll(http: unknown, concurrency: number, readAhead?: { budget: ReadAhead; meter: DrainMeter }) {
  const ids: string[] = [];
  for await (const page of paginate(http as never, datafold.definition.pagination as never, ctx, { prefetch: 1, concurrency, readAhead }) as AsyncIterable<RawPage<unknown>>) {
    for (const log of page.records as Array<{ timestamp: string; event_uuid: string }>) {
      const at = Date.parse(log.timestamp);
      if (page.bounds && ((page.bounds.since !== undefined && at < page.bounds.since) || at >= page.bounds.until)) continue;
      ids.push(log.event_uuid);
    }
  }
  return ids;
}

function expectEveryLogOnce(ids: string[]): void {
  expect(ids).toHaveLength(TOTAL);
  expect(new Set(ids).size).toBe(TOTAL);
}

describe("parallel pages: a slot is a request awaiting its answer's headers", () => {
  test("with the bodies of the first answers held after their headers, more requests go out, never more than four awaiting headers", async () => {
    // The first answer's body comes at once (it tells the windows' size); the next ones' wait
    // until let go.
    let holding = true;
    const s = server((n) => n > 1 && holding);
    const reading = readAll(s.http, 4);
    // Until the engine sends nothing more (twenty turns of the event loop in a row): the
    // requests sent while the bodies were held.
    for (let quiet = 0, last = -1; quiet < 20; quiet = s.stats.requests === last ? quiet + 1 : 0, last = s.stats.requests) {
      await new Promise((resolve) => setImmediate(resolve));
    }
    const sentWhileHeld = s.stats.requests;
    holding = false;
    s.release();
    expectEveryLogOnce(await reading);
    // Four held bodies did not hold their slots: the engine sent past them (up to the pages it
    // reads ahead), where counting a slot until its page was parsed stopped at the first five.
    expect(sentWhileHeld).toBeGreaterThan(5);
    expect(s.stats.maxAwaiting).toBeLessThanOrEqual(4);
  });

  test("a request sent again after its headers waits for a free slot: never more than four awaiting, every log once", async () => {
    // Every third request's body breaks off once after its headers.
    const s = server(() => false, (n) => n % 3 === 0);
    const ids = await readAll(s.http, 4);
    expectEveryLogOnce(ids);
    expect(s.stats.resent).toBeGreaterThan(3);
    expect(s.stats.maxAwaiting).toBeLessThanOrEqual(4);
  });

  test("a request sent again after its headers while one slot is worth using (it kept its slot) goes at once: every log once", async () => {
    // The first window goes alone (its size is not known yet) and its body breaks off once: it
    // never gave its slot away, so it does not wait for one (it would wait for itself).
    const s = server(() => false, (n) => n === 1);
    const readAhead = { budget: new ReadAhead(Infinity), meter: new DrainMeter(() => 0) };
    expectEveryLogOnce(await readAll(s.http, 4, readAhead));
    expect(s.stats.resent).toBe(1);
  });

  test("concurrency: 1 stays strictly sequential: one request at a time, the next sent once the page is read", async () => {
    const s = server(() => false);
    let open = 0;
    let maxOpen = 0;
    const request = async (req: Request) => {
      open += 1;
      maxOpen = Math.max(maxOpen, open);
      try {
        return await s.http.request(req);
      } finally {
        open -= 1;
      }
    };
    expectEveryLogOnce(await readAll({ request }, 1));
    expect(maxOpen).toBe(1);
  });
});
