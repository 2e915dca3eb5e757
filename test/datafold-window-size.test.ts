// DESIGN §9/§13, Datafold windows as large as a request is worth: against a server far away a
// window aims at the server's cap (every round trip counts), against a near one at a page's
// worth of logs (a window of thousands held while the next is read is most of a stream's memory),
// and before the reader has measured anything the windows it plans hold no more than the first
// one brought. The run's clock is moved by the run itself (the server's time per request, the
// consumer's per page), so what is checked is what the server sees, never a timing.
import { describe, expect, test } from "vitest";
import { lowerBound, paginate, type PageContext, type RawPage } from "../src/core/paginate.js";
import { DrainMeter, ReadAhead } from "../src/core/read-ahead.js";
import { datafold, DATAFOLD_SPLIT_AT } from "../src/vendors/datafold.js";
import { datafoldTimestamp } from "./http-fixtures.js";

const DAY = 86_400_000;
const END = Date.parse("2026-05-01T00:00:00Z");
const START = END - 30 * DAY;
/** 150,000 logs, uniform over 30 days: 5,000 a day, so the first one-day windows are under the cap. */
const TOTAL = 150_000;
const times = Array.from({ length: TOTAL }, (_, i) => START + Math.floor((i * (END - START)) / TOTAL));
const iso = datafoldTimestamp;

/**
 * Reads every log through the engine with a read-ahead meter on a clock moved by the run itself:
 * each request's answer comes `serverMs` after it was sent (requests at once wait side by side:
 * answers are handed out in the order they are due, each on a later turn of the event loop, the
 * clock set to when it is due), its body takes `networkMs` to come (of which the thread spent
 * `decodeMs` decoding it) and then `bodyMs` to parse (the thread's own work), and the consumer
 * holds each page `holdMs`. Returns the ids read, the logs in each answer in the order asked for, and for each
 * request how many answers had come back when it was sent.
 */
async function read(serverMs: number, holdMs: number, bodyMs = 5, networkMs = 0, decodeMs = 0) {
  const clock = { t: END + DAY };
  const answers: number[] = [];
  const answeredBefore: number[] = [];
  let answered = 0;
  const due: Array<{ at: number; go: () => void }> = [];
  let pumping = false;
  const pump = () => {
    if (pumping) return;
    pumping = true;
    setImmediate(() => {
      pumping = false;
      due.sort((a, b) => a.at - b.at);
      const next = due.shift();
      if (next) {
        clock.t = Math.max(clock.t, next.at);
        next.go();
      }
      if (due.length > 0) pump();
    });
  };
  const http = {
    request: async ({ body, onResponse, onBody }: { body?: string; onResponse?: () => void; onBody?: (decodeMs: number) => void }) => {
      answeredBefore.push(answered);
      const { start_date, end_date } = JSON.parse(body ?? "{}") as { start_date: string; end_date: string };
      const from = lowerBound(times, Date.parse(start_date));
      const to = Math.min(lowerBound(times, Date.parse(end_date) + 1), from + DATAFOLD_SPLIT_AT);
      answers.push(to - from);
      const at = clock.t + serverMs;
      await new Promise<void>((go) => {
        due.push({ at, go });
        pump();
      });
      onResponse?.();
      clock.t += networkMs;
      onBody?.(decodeMs);
      clock.t += bodyMs;
      const logs = times.slice(from, to).map((t, i) => ({ timestamp: iso(t), event_uuid: `log-${from + i}` }));
      answered += 1;
      return { status: 200, headers: new Headers(), body: { logs }, text: "", requestId: undefined, attempts: 1 };
    },
  };
  const ctx: PageContext = { vendor: "datafold", origin: "http://datafold.test", since: START, until: END, pageSize: undefined, filter: undefined, windowMs: DAY };
  const readAhead = { budget: new ReadAhead(Infinity), meter: new DrainMeter(() => clock.t) };
  const ids: string[] = [];
  for await (const page of paginate(http as never, datafold.definition.pagination as never, ctx, { prefetch: 1, concurrency: 4, readAhead }) as AsyncIterable<RawPage<unknown>>) {
    for (const log of page.records as Array<{ timestamp: string; event_uuid: string }>) {
      const at = Date.parse(log.timestamp);
      if (page.bounds && ((page.bounds.since !== undefined && at < page.bounds.since) || at >= page.bounds.until)) continue;
      ids.push(log.event_uuid);
    }
    clock.t += holdMs;
  }
  return { ids, answers, answeredBefore };
}

function expectEveryLogOnce(ids: string[]): void {
  expect(ids).toHaveLength(TOTAL);
  expect(new Set(ids).size).toBe(TOTAL);
}

/** The largest answer after the first `skip`: the windows planned once the reader had measured. */
const largestAfter = (answers: number[], skip: number) => Math.max(...answers.slice(skip));

describe("Datafold windows sized by what a request is worth", () => {
  test("a server far away (100 ms a request, 5 ms to read its answer, 10 ms a page taken): windows at nine tenths of the cap, every log once", async () => {
    const { ids, answers } = await read(100, 10);
    expectEveryLogOnce(ids);
    // The windows after the first batch hold 9,000 (the cap's nine tenths, at 5,000 a day): the
    // first answer took longer to come than to read, so the second batch was not held back.
    expect(Math.min(...answers.slice(4, -1))).toBeGreaterThanOrEqual(8_500);
    expect(answers.length).toBeLessThanOrEqual(30);
  });

  test("a body that takes long to come after its headers (a slow link) is the network's time, not the thread's: windows at nine tenths of the cap still, every log once", async () => {
    // 100 ms to the headers, 300 more for the body, 5 ms to parse it. Counted from the headers,
    // the body's 300 ms made each window cost the thread 315 ms where it costs 15: windows of
    // about a page (4 × 100 ms over 315 ms a window of 9,000, shared by four slots: ~1,100), and
    // the second batch held to the first answer's size (its 305 ms "read" against 100 to come).
    const { ids, answers } = await read(100, 10, 5, 300);
    expectEveryLogOnce(ids);
    expect(Math.min(...answers.slice(4, -1))).toBeGreaterThanOrEqual(8_500);
  });

  test("the thread's time decoding a body counts as its parse does: windows sized for it, every log once", async () => {
    // 300 ms for the body to come, all of it decoding (a body far larger than its logs, say):
    // 4 × 100 ms over ~315 ms a window, shared by four slots, is about 2,900 logs a window.
    const { ids, answers } = await read(100, 10, 5, 300, 300);
    expectEveryLogOnce(ids);
    expect(largestAfter(answers, 8)).toBeLessThanOrEqual(4_000);
  });

  test("a near server (1 ms a request, 5 ms to read its answer, 10 ms a page taken): windows of about a page, every log once", async () => {
    const { ids, answers } = await read(1, 10);
    expectEveryLogOnce(ids);
    // Once measured: about 1,000 logs a window (the floor; a little more where a wait ran longer).
    expect(largestAfter(answers, 8)).toBeLessThanOrEqual(1_500);
    expect(answers.length).toBeGreaterThan(100);
  });

  test("before the reader has measured a page taken, a near server's next windows hold no more than the first one brought", async () => {
    // The first batch is four one-day windows (5,000 logs each, and one on the bound Datafold
    // includes); the second was planned from the first answer, before any page was taken:
    // without the rule, four windows of 9,000.
    const { answers } = await read(1, 10);
    expect(answers.slice(0, 4)).toEqual([5_001, 5_001, 5_001, 5_001]);
    expect(Math.max(...answers.slice(4, 8))).toBeLessThanOrEqual(5_001);
  });

  test("a window's size is not known before it is answered: the first goes alone, then every slot (a server far away)", async () => {
    const { answeredBefore } = await read(100, 10);
    // Without the rule the first four were sent at once, before any answer (a window of unknown
    // size was taken for a small page); with it, the second goes once the first answer's headers
    // are in (its slot is free then), before its body is read.
    expect(answeredBefore.filter((before) => before === 0).length).toBeLessThanOrEqual(2);
    // Then several at once: requests sent while others were still out.
    expect(answeredBefore.some((before, i) => i > 0 && before < i - 1)).toBe(true);
  });

  test("a clock that does not move (nothing measured): windows at nine tenths of the cap, as before", async () => {
    const { ids, answers } = await read(0, 0, 0);
    expectEveryLogOnce(ids);
    expect(Math.min(...answers.slice(8, -1))).toBeGreaterThanOrEqual(8_500);
  });
});
