// DESIGN §13, Datafold windows adapt, past one second: Datafold caps an answer (10,000 logs here)
// and offers no way to page within a window, so a capped window is split down to what the API's
// bounds can express (RFC 3339 date-times, read to the µs: whole ms, then a ms in whole µs). A
// window of one µs that is still capped fails loudly, naming the window and the cap: records are
// never dropped silently. Requests and outcomes are counted, never timed.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { ResponseValidationError } from "../src/core/errors.js";
import { isoMicros, paginate, timeWindowPagination, type PageContext, type RawPage } from "../src/core/paginate.js";
import { createDatafoldClient, type AuditEvent } from "../src/index.js";
import { createSimulator } from "../src/testing/index.js";
import { DATAFOLD_SPLIT_AT } from "../src/vendors/datafold.js";
import { datafoldBodyServer } from "./http-fixtures.js";

const CAP = DATAFOLD_SPLIT_AT;
const SECOND = Date.parse("2026-06-01T12:00:05Z");

/** Every id once, none missing, and occurredAt never going back. */
function expectOnceInOrder(events: AuditEvent[], expected: string[]): void {
  const ids = events.map((e) => e.id);
  expect(new Set(ids).size).toBe(ids.length);
  expect(ids.length).toBe(expected.length);
  expect([...ids].sort()).toEqual([...expected].sort());
  const times = events.map((e) => Date.parse(e.occurredAt));
  expect(times.every((t, i) => i === 0 || t >= times[i - 1]!)).toBe(true);
}

describe("more logs in one second than the server's cap (the simulator, whole-ms times)", () => {
  test("25,000 logs in one second: every one exactly once, in time order, and resumed exactly from checkpoints inside the split second", async () => {
    // 25 logs at each ms of one second, and a few around it: a one-second window holds 2.5 caps.
    const sim = createSimulator({ vendors: ["datafold"], eventsPerVendor: 0, datafoldMaxLogs: CAP, rateLimit: false });
    for (let ms = 0; ms < 1_000; ms++) sim.addEvents("datafold", 25, { occurredAt: new Date(SECOND + ms) });
    sim.addEvents("datafold", 50, { occurredAt: new Date(SECOND - 3_600_000) });
    sim.addEvents("datafold", 50, { occurredAt: new Date(SECOND + 3_600_000) });
    const server = await sim.listen();
    try {
      const client = createDatafoldClient({ ...server.credentials.datafold, maxRetries: 0 });
      const params = { since: new Date(SECOND - 86_400_000), until: new Date(SECOND + 86_400_000) };
      const expected = sim.events.datafold.map((l) => l.event_uuid);
      expect(expected).toHaveLength(25_100);
      const all = await client.events(params).toArray({ limit: 100_000 });
      expectOnceInOrder(all, expected);
      for (const stopAfter of [50, 51, 9_999, 12_345, 25_049]) {
        const stream = client.events(params);
        const head: AuditEvent[] = [];
        for await (const event of stream) {
          head.push(event);
          if (head.length === stopAfter) break;
        }
        const rest = await client.events({ ...params, resumeFrom: stream.checkpoint() }).toArray({ limit: 100_000 });
        expectOnceInOrder([...head, ...rest], expected);
      }
    } finally {
      await server.close();
    }
  }, 120_000);

  test("more logs at one instant than the cap: the run fails with a ResponseValidationError naming the window and the cap, after yielding every log before it", async () => {
    const sim = createSimulator({ vendors: ["datafold"], eventsPerVendor: 0, datafoldMaxLogs: CAP, rateLimit: false });
    const before = sim.addEvents("datafold", 30, { occurredAt: new Date(SECOND - 60_000) });
    sim.addEvents("datafold", CAP + 1, { occurredAt: new Date(SECOND) });
    const server = await sim.listen();
    try {
      const client = createDatafoldClient({ ...server.credentials.datafold, maxRetries: 0 });
      const seen: string[] = [];
      let failure: unknown;
      try {
        for await (const event of client.events({ since: new Date(SECOND - 86_400_000), until: new Date(SECOND + 86_400_000) })) seen.push(event.id);
      } catch (error) {
        failure = error;
      }
      expect(ResponseValidationError.isInstance(failure)).toBe(true);
      const message = (failure as Error).message;
      // The narrowest window the API can ask for, one µs, on the instant that holds them (the
      // simulator's bounds are inclusive: the µs before it, asked up to it, is capped as well).
      expect(message).toMatch(new RegExp(`the window \\[(${isoMicros(SECOND - 0.001)}, ${isoMicros(SECOND)}|${isoMicros(SECOND)}, ${isoMicros(SECOND + 0.001)})\\)`.replace(/\./g, "\\.")));
      expect(message).toContain(`(${CAP})`);
      expect(message).toContain("(1 µs)");
      expect(message).toMatch(/cannot be read/);
      // Nothing silently: what came before the window was read, and nothing of the window.
      expect(seen.sort()).toEqual(before.map((l) => l.event_uuid).sort());
    } finally {
      await server.close();
    }
  }, 60_000);
});

describe("more logs in one ms than the server's cap (µs timestamps, as Datafold writes them)", () => {
  // Datafold writes `datetime.isoformat()`: six fraction digits. 25,000 logs in one ms at
  // distinct µs (25 at each), answered with both bounds inclusive, to the µs, oldest first, cut at CAP.
  const MS = SECOND + 418;
  const pythonIso = (us: number) => `${new Date(Math.floor(us / 1000)).toISOString().slice(0, 23)}${String(us % 1000).padStart(3, "0")}+00:00`;
  const logs: Array<{ timestamp: string; event_uuid: string; client_ip: string; url: string; us: number }> = [];
  for (let u = 0; u < 1_000; u++) for (let k = 0; k < 25; k++) logs.push({ us: MS * 1000 + u, timestamp: pythonIso(MS * 1000 + u), event_uuid: `us-${u}-${k}`, client_ip: "192.0.2.1", url: "/x" });
  logs.push({ us: (MS - 5) * 1000, timestamp: pythonIso((MS - 5) * 1000), event_uuid: "before", client_ip: "192.0.2.1", url: "/x" });
  logs.push({ us: (MS + 7) * 1000 + 1, timestamp: pythonIso((MS + 7) * 1000 + 1), event_uuid: "after", client_ip: "192.0.2.1", url: "/x" });
  logs.sort((a, b) => a.us - b.us);
  /** µs since the epoch of an RFC 3339 UTC time with up to six fraction digits. */
  const microsOf = (text: string) => {
    const match = /^(.{19})(?:\.(\d{1,6}))?(Z|\+00:00)$/.exec(text)!;
    return Date.parse(`${match[1]}Z`) * 1000 + Number((match[2] ?? "").padEnd(6, "0"));
  };
  const bodies: Array<{ start_date: string; end_date: string }> = [];
  let http: Awaited<ReturnType<typeof datafoldBodyServer>>;
  let baseUrl = "";
  beforeAll(async () => {
    http = await datafoldBodyServer((body) => {
      bodies.push(body);
      const [from, to] = [microsOf(body.start_date), microsOf(body.end_date)];
      return logs.filter((l) => l.us >= from && l.us <= to).slice(0, CAP).map(({ us: _us, ...log }) => log);
    });
    baseUrl = http.url;
  });
  afterAll(() => http.close());

  test("a capped ms is read again by µs: every log exactly once, in time order, and resumed exactly from checkpoints inside the ms", async () => {
    const client = createDatafoldClient({ apiKey: "key", baseUrl, rateLimit: false, maxRetries: 0 });
    const params = { since: new Date(SECOND - 86_400_000), until: new Date(SECOND + 86_400_000) };
    const expected = logs.map((l) => l.event_uuid);
    bodies.length = 0;
    const all = await client.events(params).toArray({ limit: 100_000 });
    expectOnceInOrder(all, expected);
    // In µs order inside the ms too: the logs at each µs come before the next µs's.
    const order = all.filter((e) => e.id.startsWith("us-")).map((e) => Number(e.id.split("-")[1]));
    expect(order.every((u, i) => i === 0 || u >= order[i - 1]!)).toBe(true);
    // The split did go below the ms: some request's bounds carry µs digits.
    expect(bodies.some((b) => /\.\d{6}Z$/.test(b.start_date))).toBe(true);
    for (const stopAfter of [1, 2, 5_000, 10_001, 17_777, all.length - 1]) {
      const stream = client.events(params);
      const head: AuditEvent[] = [];
      for await (const event of stream) {
        head.push(event);
        if (head.length === stopAfter) break;
      }
      const checkpoint = stream.checkpoint();
      // A checkpoint is JSON: the µs bounds survive the round trip.
      const rest = await client.events({ ...params, resumeFrom: JSON.parse(JSON.stringify(checkpoint)) }).toArray({ limit: 100_000 });
      expectOnceInOrder([...head, ...rest], expected);
    }
  }, 120_000);

  test("a checkpoint's window may hold µs, not less: a half-µs bound is a ConfigError naming the field", async () => {
    const client = createDatafoldClient({ apiKey: "key", baseUrl, rateLimit: false, maxRetries: 0 });
    const params = { since: new Date(SECOND - 86_400_000), until: new Date(SECOND + 86_400_000) };
    const stream = client.events(params);
    let taken = 0;
    for await (const _ of stream) if (++taken === 3_000) break;
    const checkpoint = JSON.parse(JSON.stringify(stream.checkpoint()));
    const state = checkpoint.position.state as { start: number; end: number };
    // Taken inside the split ms: its window starts and ends on µs.
    expect(state.end - state.start).toBeLessThanOrEqual(1);
    state.start += 0.0005;
    expect(() => client.events({ ...params, resumeFrom: checkpoint })).toThrow(/resumeFrom\.position\.state\.start/);
    // The same checkpoint with its µs bounds as taken resumes.
    state.start -= 0.0005;
    state.start = Math.round(state.start * 1000) / 1000;
    expect((await client.events({ ...params, resumeFrom: checkpoint }).toArray({ limit: 100_000 })).length).toBe(logs.length - 3_000);
  }, 60_000);
});

describe("a defined vendor's time windows (timeWindowPagination)", () => {
  test("bounds in whole seconds by default: a capped second is not split into sub-second windows that would ask for it again, it fails naming the window, the cap and the precision", async () => {
    const S = Date.parse("2026-06-01T00:00:00Z");
    // Two logs in the first second, six (over a cap of five) in the next.
    const times = [S + 10, S + 20, ...Array.from({ length: 6 }, (_, i) => S + 1_000 + i * 100)];
    const requested: Array<[number, number]> = [];
    const pagination = timeWindowPagination<{ logs: Array<{ at: number; id: string }> }>({
      path: "/logs",
      request: (window) => ({ query: { from: Math.floor(window.start / 1000), to: Math.floor(window.end / 1000) } }),
      records: (body) => body.logs,
      time: (record) => (record as { at: number }).at,
      splitAt: 5,
    });
    const http = {
      request: async ({ url }: { url: URL }) => {
        // Whole seconds, [from, to), at most five.
        const [from, to] = [Number(url.searchParams.get("from")) * 1000, Number(url.searchParams.get("to")) * 1000];
        requested.push([from, to]);
        const logs = times.filter((t) => t >= from && t < to).slice(0, 5).map((at) => ({ at, id: `l${at}` }));
        return { status: 200, headers: new Headers(), body: { logs }, text: "", requestId: "req-7", attempts: 1 };
      },
    };
    const ctx: PageContext = { vendor: "custom", origin: "http://custom.test", since: S, until: S + 4_000, pageSize: undefined, filter: undefined, windowMs: 1_000 };
    const ids: string[] = [];
    let failure: unknown;
    try {
      for await (const page of paginate(http as never, pagination as never, ctx, { prefetch: 0, concurrency: 1 }) as AsyncIterable<RawPage<unknown>>) {
        for (const record of page.records) ids.push((record as { id: string }).id);
      }
    } catch (error) {
      failure = error;
    }
    expect(ids).toEqual([`l${S + 10}`, `l${S + 20}`]);
    expect(ResponseValidationError.isInstance(failure)).toBe(true);
    expect((failure as Error).message).toContain(`the window [${isoMicros(S + 1_000)}, ${isoMicros(S + 2_000)}) answered 5 records`);
    expect((failure as Error).message).toContain("(1000 ms)");
    expect((failure as Error).message).toContain("(request id req-7)");
    // No sub-second window was asked for: each request is a second of its own.
    expect(new Set(requested.map(([from]) => from)).size).toBe(requested.length);
  });
});
