// DESIGN §11 shared rate limits: `rateLimit` also takes a `RateLimiter` ({ acquire(signal?),
// penalize?(retryAfterMs) }); `createTokenBucket` is the in-process one. Several clients given one
// limiter share one limit, and a 429 any of them gets is reported to `penalize`, so every holder
// backs off. Time is an injected clock: waits are recorded, never slept; the server in the
// last suite enforces the limit on that same clock.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { http, HttpResponse, passthrough } from "msw";
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, describe, expect, onTestFinished, test, vi } from "vitest";
import {
  collect,
  ConfigError,
  createPylonClient,
  createTokenBucket,
  memoryCheckpointStore,
  RateLimitError,
  UserAbortError,
  type RateLimiter,
} from "../src/index.js";
import { client, fakeClock, okPage, PATH, rejectionOf, serve, stuckClock, type FakeClock } from "./http-fixtures.js";

// The strict server below is real and on loopback: msw lets those requests through.
const server = setupServer(http.all(/^http:\/\/127\.0\.0\.1:\d+\//, () => passthrough()));
beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

const get = (c: ReturnType<typeof client>) => (c.raw as any).GET(PATH.pylon, {});

describe("createTokenBucket", () => {
  test("holds one token less than a minute's worth, then waits 60 s / requestsPerMinute a token", async () => {
    const clock = fakeClock();
    const bucket = createTokenBucket({ requestsPerMinute: 6, clock });
    for (let i = 0; i < 5; i++) await bucket.acquire();
    expect(clock.sleeps).toEqual([]);
    await bucket.acquire();
    await bucket.acquire();
    expect(clock.sleeps).toEqual([10_000, 10_000]);
  });

  test("penalize(ms): the next acquire, of any holder, waits until then; one token is there at that moment, the next one refills after", async () => {
    const clock = fakeClock();
    const bucket = createTokenBucket({ requestsPerMinute: 60, clock });
    bucket.penalize(10_000);
    await bucket.acquire();
    expect(clock.sleeps).toEqual([10_000]);
    await bucket.acquire();
    expect(clock.sleeps).toEqual([10_000, 1_000]);
  });

  test("a penalty shorter than the wait already due changes nothing; 0, negative and NaN are ignored", async () => {
    const clock = fakeClock();
    const bucket = createTokenBucket({ requestsPerMinute: 60, clock });
    bucket.penalize(20_000);
    bucket.penalize(5_000);
    for (const bad of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) bucket.penalize(bad);
    await bucket.acquire();
    expect(clock.sleeps).toEqual([20_000]);
  });

  test("a penalized bucket refills to its capacity again, not beyond", async () => {
    const clock = fakeClock();
    const bucket = createTokenBucket({ requestsPerMinute: 60, clock });
    bucket.penalize(5_000);
    clock.t += 10 * 60_000;
    for (let i = 0; i < 59; i++) await bucket.acquire();
    expect(clock.sleeps).toEqual([]);
    await bucket.acquire();
    expect(clock.sleeps).toEqual([1_000]);
  });

  test("an abort while waiting rejects with UserAbortError", async () => {
    const clock = stuckClock();
    const bucket = createTokenBucket({ requestsPerMinute: 1, clock });
    await bucket.acquire();
    const controller = new AbortController();
    const waiting = bucket.acquire(controller.signal);
    await clock.sleeping;
    controller.abort();
    expect(UserAbortError.isInstance(await rejectionOf(waiting))).toBe(true);
  });

  test.each([
    [{ requestsPerMinute: 0 }, "requestsPerMinute"],
    [{ requestsPerMinute: "60" }, "requestsPerMinute"],
    [{}, "requestsPerMinute"],
    [{ requestsPerMinute: 60, clock: { now: Date.now } }, "clock"],
    [{ requestsPerMinute: 60, requestsPerMin: 30 }, "requestsPerMin"],
  ])("createTokenBucket(%j) is a ConfigError naming %s", (options, option) => {
    expect(() => createTokenBucket(options as never)).toThrow(expect.objectContaining({ option }));
  });

  test("a misspelt option is asked about", () => {
    expect(() => createTokenBucket({ requestsPerMinute: 60, clok: undefined, cloc: {} } as never)).toThrow(
      "cloc: is not an option of createTokenBucket(): did you mean clock? (its options: requestsPerMinute, clock)",
    );
  });
});

describe("rateLimit: a RateLimiter", () => {
  function spyLimiter(): RateLimiter & { acquired: number; penalties: number[] } {
    const limiter = {
      acquired: 0,
      penalties: [] as number[],
      acquire: async () => {
        limiter.acquired += 1;
      },
      penalize: (ms: number) => {
        limiter.penalties.push(ms);
      },
    };
    return limiter;
  }

  test("is asked before every request, retries included, instead of the vendor's default bucket", async () => {
    serve(server, "pylon", (_req, n) => (n % 3 === 1 ? HttpResponse.json({}, { status: 500 }) : HttpResponse.json(okPage("pylon"))));
    const limiter = spyLimiter();
    const clock = fakeClock();
    const c = client("pylon", { clock, rateLimit: limiter, maxRetries: 1 });
    // 80 calls is more than Pylon's default 60/min: its own bucket would have made the client wait.
    for (let i = 0; i < 80; i++) await get(c);
    expect(limiter.acquired).toBe(c.stats.requests);
    expect(c.stats.retries).toBeGreaterThan(0);
    expect(clock.sleeps.every((ms) => ms <= 1_000)).toBe(true); // backoffs only, no bucket waits
  });

  test("a 429's Retry-After is reported to penalize before the retry", async () => {
    serve(server, "pylon", (_req, n) => (n === 1 ? HttpResponse.json({ errors: ["slow down"] }, { status: 429, headers: { "X-Retry-After": "7" } }) : HttpResponse.json(okPage("pylon"))));
    const limiter = spyLimiter();
    const c = client("pylon", { rateLimit: limiter });
    await get(c);
    expect(limiter.penalties).toEqual([7_000]);
    expect(limiter.acquired).toBe(2);
  });

  test("a 429 without Retry-After reports the backoff; a 500 reports nothing", async () => {
    serve(server, "pylon", (_req, n) => (n === 1 ? HttpResponse.text("Too many", { status: 429 }) : n === 2 ? HttpResponse.json({}, { status: 500 }) : HttpResponse.json(okPage("pylon"))));
    const limiter = spyLimiter();
    const clock = fakeClock();
    const c = client("pylon", { clock, rateLimit: limiter });
    await get(c);
    expect(limiter.penalties).toEqual([clock.sleeps[0]]);
    expect(clock.sleeps).toHaveLength(2);
  });

  test("the last attempt's 429 is reported too (the other holders still back off); a wait past maxRetryDelayMs is reported capped at it", async () => {
    serve(server, "pylon", () => HttpResponse.json({}, { status: 429, headers: { "Retry-After": "3600" } }));
    const limiter = spyLimiter();
    const c = client("pylon", { rateLimit: limiter, maxRetries: 0, maxRetryDelayMs: 30_000 });
    const error = await rejectionOf(c.events().toArray({ limit: 1 }));
    expect(RateLimitError.isInstance(error)).toBe(true);
    expect(limiter.penalties).toEqual([30_000]);
  });

  test("two clients on one bucket: a 429 one of them gets makes the other wait too", async () => {
    serve(server, "pylon", (_req, n) => (n === 1 ? HttpResponse.json({}, { status: 429, headers: { "Retry-After": "10" } }) : HttpResponse.json(okPage("pylon"))));
    const clock = fakeClock();
    const shared = createTokenBucket({ requestsPerMinute: 600, clock });
    const a = createPylonClient({ apiToken: "tok_a_123456", clock, rateLimit: shared, maxRetries: 0 });
    const b = createPylonClient({ apiToken: "tok_b_123456", clock, rateLimit: shared });
    const error = await rejectionOf(a.events().toArray({ limit: 1 }));
    expect(RateLimitError.isInstance(error)).toBe(true);
    expect(clock.sleeps).toEqual([]);
    await b.events().toArray({ limit: 1 });
    expect(clock.sleeps).toEqual([10_000]);
  });

  test("without sharing, the other client does not wait (the control for the test above)", async () => {
    serve(server, "pylon", (_req, n) => (n === 1 ? HttpResponse.json({}, { status: 429, headers: { "Retry-After": "10" } }) : HttpResponse.json(okPage("pylon"))));
    const clock = fakeClock();
    const a = createPylonClient({ apiToken: "tok_a_123456", clock, rateLimit: createTokenBucket({ requestsPerMinute: 600, clock }), maxRetries: 0 });
    const b = createPylonClient({ apiToken: "tok_b_123456", clock, rateLimit: createTokenBucket({ requestsPerMinute: 600, clock }) });
    await rejectionOf(a.events().toArray({ limit: 1 }));
    await b.events().toArray({ limit: 1 });
    expect(clock.sleeps).toEqual([]);
  });

  test("an acquire that rejects (a shared store down) fails the request with its error, and nothing is sent", async () => {
    const seen = serve(server, "pylon", () => HttpResponse.json(okPage("pylon")));
    const failure = new Error("limiter store unreachable");
    const c = client("pylon", { rateLimit: { acquire: vi.fn(async () => Promise.reject(failure)) } });
    expect(await rejectionOf(c.events().toArray({ limit: 1 }))).toBe(failure);
    expect(seen).toEqual([]);
  });

  test.each([
    [{ acquire: "soon" }, "rateLimit.acquire"],
    [{ acquire: async () => undefined, penalize: 5 }, "rateLimit.penalize"],
    [true, "rateLimit"],
    ["60/min", "rateLimit"],
  ])("rateLimit %j is a ConfigError naming %s", (rateLimit, option) => {
    const error = (() => {
      try {
        client("pylon", { rateLimit });
      } catch (e) {
        return e as ConfigError;
      }
      throw new Error("no error");
    })();
    expect(ConfigError.isInstance(error)).toBe(true);
    expect(error.option).toBe(option);
  });
});

describe("three clients sharing one limiter against a server on 127.0.0.1 enforcing the limit strictly", () => {
  const LIMIT = 30;
  const PAGES = 40;

  /**
   * Pylon's audit-log endpoint, `PAGES` pages of one record per client token, behind a token
   * bucket of `LIMIT` a minute on the test's clock with no grace at all: a request finding less
   * than one token is a 429.
   */
  async function strictServer(clock: FakeClock): Promise<{ url: string; served: number; refused: number; server: Server }> {
    const state = { url: "", served: 0, refused: 0, server: undefined as unknown as Server };
    let tokens = LIMIT;
    let at = clock.now();
    state.server = createServer((req, res) => {
      const now = clock.now();
      tokens = Math.min(LIMIT, tokens + ((now - at) * LIMIT) / 60_000);
      at = now;
      if (tokens < 1) {
        state.refused += 1;
        res.writeHead(429, { "content-type": "application/json", "x-retry-after": String(Math.ceil(((1 - tokens) * 60) / LIMIT)) });
        return res.end(JSON.stringify({ errors: ["rate limit exceeded"] }));
      }
      tokens -= 1;
      state.served += 1;
      const url = new URL(req.url ?? "/", "http://127.0.0.1");
      const page = Number(url.searchParams.get("cursor") ?? "0");
      const who = String(req.headers.authorization).slice(-1);
      const more = page + 1 < PAGES;
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ data: [{ id: `${who}-${page}`, action: "UserCreated", action_happened_at: "2026-06-01T00:00:00Z" }], pagination: { cursor: more ? String(page + 1) : "", has_next_page: more } }));
    });
    await new Promise<void>((resolve) => state.server.listen(0, "127.0.0.1", resolve));
    state.url = `http://127.0.0.1:${(state.server.address() as AddressInfo).port}`;
    return state;
  }

  async function runThree(rateLimit: (clock: FakeClock) => unknown) {
    const clock = fakeClock(Date.now());
    const vendor = await strictServer(clock);
    onTestFinished(() => new Promise<void>((resolve) => vendor.server.close(() => resolve())));
    const limiter = rateLimit(clock);
    const runs = ["1", "2", "3"].map((who) =>
      collect({
        client: createPylonClient({ apiToken: `tok_client_${who}`, baseUrl: vendor.url, clock, maxRetries: 0, rateLimit: typeof limiter === "function" ? limiter() : limiter } as never),
        key: `client-${who}`,
        store: memoryCheckpointStore(),
        sink: { write: async () => undefined },
        params: { since: "2026-01-01T00:00:00Z", lagMs: 0 },
      }),
    );
    return { results: await Promise.allSettled(runs), vendor, clock };
  }

  test("one createTokenBucket for all three: zero 429s, every page read, and the limit is what paced them", async () => {
    const { results, vendor, clock } = await runThree((clock) => createTokenBucket({ requestsPerMinute: LIMIT, clock }));
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "fulfilled", "fulfilled"]);
    expect(vendor.refused).toBe(0);
    expect(vendor.served).toBe(3 * PAGES);
    for (const r of results) expect((r as PromiseFulfilledResult<{ events: number }>).value.events).toBe(PAGES);
    // 120 requests at 30/min, the first 29 at once: about three more minutes of the test's clock.
    const waited = clock.sleeps.reduce((a, b) => a + b, 0);
    expect(waited).toBeGreaterThanOrEqual(((3 * PAGES - (LIMIT - 1)) * 60_000) / LIMIT - 1);
  });

  test("the control: each client with its own bucket of the same limit gets 429s from the same server", async () => {
    const { results, vendor } = await runThree((clock) => () => createTokenBucket({ requestsPerMinute: LIMIT, clock }));
    expect(vendor.refused).toBeGreaterThan(0);
    expect(results.some((r) => r.status === "rejected" && RateLimitError.isInstance(r.reason))).toBe(true);
  });
});
