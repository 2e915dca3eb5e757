// events() hands out each page's events without an async generator (client.ts, RunEvents); it
// must behave as the generator did: calls made without waiting are answered in order, return()
// and throw() end it, a checkpoint after a page's last event points past that event only, an
// abort of the caller's signal stops it before the next event.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createClient, type AuditEvent } from "../src/index.js";
import { createSimulator } from "../src/testing/index.js";

const MINUTE = 60_000;
const now = Date.now();
const sim = createSimulator({ vendors: ["pylon"], eventsPerVendor: 23, seed: 5, endAt: new Date(now - 10 * MINUTE), spanDays: 1, rateLimit: false });
let server: Awaited<ReturnType<typeof sim.listen>>;
const client = () => createClient({ vendor: "pylon", ...server.credentials.pylon, rateLimit: false, maxRetries: 0 });
let all: AuditEvent[];

beforeAll(async () => {
  server = await sim.listen();
  all = await client().events({ pageSize: 5 }).toArray({ limit: 100 });
  expect(all).toHaveLength(23);
});
afterAll(() => server.close());

describe("events() iterator", () => {
  test("next() called many times without waiting answers in order, then done, as often as asked", async () => {
    const iterator = client().events({ pageSize: 5 })[Symbol.asyncIterator]();
    const results = await Promise.all(Array.from({ length: 26 }, () => iterator.next()));
    expect(results.slice(0, 23).map((r) => r.value)).toEqual(all);
    expect(results.slice(23)).toEqual([
      { value: undefined, done: true },
      { value: undefined, done: true },
      { value: undefined, done: true },
    ]);
  });

  test("return() mid-page ends it: later next() calls are done, and the checkpoint resumes after the last event", async () => {
    const stream = client().events({ pageSize: 5 });
    const iterator = stream[Symbol.asyncIterator]();
    for (let i = 0; i < 7; i++) expect((await iterator.next()).value).toEqual(all[i]);
    expect(await iterator.return!(undefined)).toEqual({ value: undefined, done: true });
    expect(await iterator.next()).toEqual({ value: undefined, done: true });
    const rest = await client().events({ resumeFrom: stream.checkpoint() }).toArray({ limit: 100 });
    expect(rest.map((e) => e.id)).toEqual(all.slice(7).map((e) => e.id));
  });

  test("throw() rejects with its error and ends it", async () => {
    const iterator = client().events({ pageSize: 5 })[Symbol.asyncIterator]();
    await iterator.next();
    const error = new Error("consumer gave up");
    await expect(iterator.throw!(error)).rejects.toBe(error);
    expect(await iterator.next()).toEqual({ value: undefined, done: true });
  });

  test("return() before the first next() sends no request", async () => {
    const before = sim.stats.requests.pylon;
    const iterator = client().events({ pageSize: 5 })[Symbol.asyncIterator]();
    expect(await iterator.return!(undefined)).toEqual({ value: undefined, done: true });
    expect(await iterator.next()).toEqual({ value: undefined, done: true });
    expect(sim.stats.requests.pylon).toBe(before);
  });

  test("a checkpoint after a page's last event points past it; asking for the next event moves it past the page", async () => {
    const stream = client().events({ pageSize: 5 });
    const iterator = stream[Symbol.asyncIterator]();
    for (let i = 0; i < 5; i++) await iterator.next();
    const atLastOfPage = stream.checkpoint();
    const sixth = await iterator.next();
    expect(sixth.value).toEqual(all[5]);
    await iterator.return!(undefined);
    // Resuming either checkpoint yields exactly what follows, once.
    const fromLast = await client().events({ resumeFrom: atLastOfPage }).toArray({ limit: 100 });
    expect(fromLast.map((e) => e.id)).toEqual(all.slice(5).map((e) => e.id));
    expect((atLastOfPage as { position: { skip: number } }).position.skip).toBe(5);
  });

  test("any mix of awaited and unawaited calls answers in order, and a checkpoint after each answer resumes right after it", async () => {
    let seed = 11;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let round = 0; round < 4; round++) {
      const stream = client().events({ pageSize: 5 });
      const iterator = stream[Symbol.asyncIterator]();
      let taken = 0;
      while (taken < all.length) {
        // One call, or several at once (some of them crossing into the next page), in turns.
        const burst = 1 + Math.floor(random() * 4);
        const answers = await Promise.all(Array.from({ length: burst }, () => iterator.next()));
        for (const answer of answers) {
          if (taken < all.length) expect(answer).toEqual({ value: all[taken++], done: false });
          else expect(answer).toEqual({ value: undefined, done: true });
        }
        if (random() < 0.3 || taken === all.length) {
          const rest = await client().events({ resumeFrom: stream.checkpoint() }).toArray({ limit: 100 });
          expect(rest.map((e) => e.id)).toEqual(all.slice(taken).map((e) => e.id));
        }
      }
      expect(await iterator.next()).toEqual({ value: undefined, done: true });
    }
  });

  test("a return() called while a page is being read waits for it, then ends the stream after the events already answered", async () => {
    const stream = client().events({ pageSize: 5 });
    const iterator = stream[Symbol.asyncIterator]();
    for (let i = 0; i < 5; i++) await iterator.next();
    // The 6th event needs the next page; return() is queued behind it.
    const sixth = iterator.next();
    const ended = iterator.return!(undefined);
    const seventh = iterator.next();
    expect(await sixth).toEqual({ value: all[5], done: false });
    expect(await ended).toEqual({ value: undefined, done: true });
    expect(await seventh).toEqual({ value: undefined, done: true });
    const rest = await client().events({ resumeFrom: stream.checkpoint() }).toArray({ limit: 100 });
    expect(rest.map((e) => e.id)).toEqual(all.slice(6).map((e) => e.id));

    // Mid-page, with events in hand: a next() after a pending return() is done, not the next event.
    const other = client().events({ pageSize: 5 });
    const again = other[Symbol.asyncIterator]();
    for (let i = 0; i < 2; i++) await again.next();
    const returned = again.return!(undefined);
    const after = again.next();
    expect(await returned).toEqual({ value: undefined, done: true });
    expect(await after).toEqual({ value: undefined, done: true });
    const restOfOther = await client().events({ resumeFrom: other.checkpoint() }).toArray({ limit: 100 });
    expect(restOfOther.map((e) => e.id)).toEqual(all.slice(2).map((e) => e.id));
  });

  test("an abort of the caller's signal stops it before the next event of the page in hand", async () => {
    const controller = new AbortController();
    const iterator = client().events({ pageSize: 5, signal: controller.signal })[Symbol.asyncIterator]();
    expect((await iterator.next()).value).toEqual(all[0]);
    controller.abort(new Error("stop now"));
    await expect(iterator.next()).rejects.toThrow("stop now");
    expect(await iterator.next()).toEqual({ value: undefined, done: true });
  });
});
