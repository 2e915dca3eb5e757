// DESIGN §5 client-side rate limiter: a token bucket per client, defaulting to each vendor's
// documented limit (Pylon 60/min, Zendesk 700, Cortex 1,000; none for Datafold and JITSudo),
// overridable, and off with `rateLimit: false`. It refills at the limit and holds one token less
// than a minute's worth (headroom for the vendor's bucket starting later than ours). Time is an
// injected clock: a wait is recorded, never slept.
import { HttpResponse } from "msw";
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { UserAbortError } from "../src/index.js";
import { TokenBucket } from "../src/core/rate-limit.js";
import type { VendorId } from "../src/core/vendor-id.js";
import { client, fakeClock, okPage, page, PATH, readAll, record, rejectionOf, serve, stuckClock, VENDORS } from "./http-fixtures.js";

const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

const DEFAULT_PER_MINUTE: Record<VendorId, number | undefined> = {
  pylon: 60,
  zendesk: 700,
  cortex: 1000,
  datafold: undefined,
  jitsudo: undefined,
};

/** One request through `client.raw`, the same transport (and bucket) as events(). */
function get(c: ReturnType<typeof client>, vendor: VendorId): Promise<unknown> {
  return (c.raw as any).GET(PATH[vendor], {});
}

/**
 * A counting `fetch` (the public `fetch` option) for the tests that send hundreds of requests:
 * the same transport and bucket as over msw, without msw's per-request cost.
 */
function countingFetch(vendor: VendorId): typeof fetch & { calls: number } {
  const f = (async () => {
    f.calls += 1;
    return Response.json(okPage(vendor));
  }) as unknown as typeof fetch & { calls: number };
  f.calls = 0;
  return f;
}

describe.each(VENDORS)("%s: default limit", (vendor) => {
  const limit = DEFAULT_PER_MINUTE[vendor];

  if (limit !== undefined) {
    test(`${limit - 1} requests go at once (${limit}/min less one of headroom); the next waits 60 s / ${limit}`, async () => {
      const fetch = countingFetch(vendor);
      const clock = fakeClock();
      const c = client(vendor, { clock, fetch });
      for (let i = 0; i < limit - 1; i++) await get(c, vendor);
      expect(clock.sleeps).toEqual([]);
      await get(c, vendor);
      expect(clock.sleeps).toEqual([Math.ceil(60_000 / limit)]);
      expect(fetch.calls).toBe(limit);
    });
  } else {
    test("no limit: 1,100 requests (more than any vendor default) in the same instant never wait", async () => {
      const fetch = countingFetch(vendor);
      const clock = fakeClock();
      const c = client(vendor, { clock, fetch });
      for (let i = 0; i < 1_100; i++) await get(c, vendor);
      expect(clock.sleeps).toEqual([]);
      expect(fetch.calls).toBe(1_100);
    });
  }

  test("rateLimit: false never waits", async () => {
    const fetch = countingFetch(vendor);
    const clock = fakeClock();
    const c = client(vendor, { clock, rateLimit: false, fetch });
    for (let i = 0; i < (limit ?? 60) + 1; i++) await get(c, vendor);
    expect(clock.sleeps).toEqual([]);
  });

  test("rateLimit: { requestsPerMinute: 6 } overrides: the 6th request (over msw) waits 10 s, the 7th 10 s more", async () => {
    const seen = serve(server, vendor, () => HttpResponse.json(okPage(vendor)));
    const clock = fakeClock();
    const c = client(vendor, { clock, rateLimit: { requestsPerMinute: 6 } });
    for (let i = 0; i < 7; i++) await get(c, vendor);
    expect(clock.sleeps).toEqual([10_000, 10_000]);
    expect(seen).toHaveLength(7);
  });
});

describe("Pylon's 60/min through events()", () => {
  test("the 60th page request within a minute waits about 1 s; tokens come back as the clock moves", async () => {
    // 70 pages of one record each, cursors c1…c69.
    serve(server, "pylon", (req) => {
      const n = Number(new URL(req.url).searchParams.get("cursor")?.slice(1) ?? 0);
      return HttpResponse.json(page("pylon", [record("pylon", n)], n < 69 ? `c${n + 1}` : undefined));
    });
    const clock = fakeClock();
    const c = client("pylon", { clock });
    const events = await readAll(c);
    expect(events).toHaveLength(70);
    // 59 at once, then one a second (each wait refills exactly one token).
    expect(clock.sleeps).toHaveLength(11);
    for (const ms of clock.sleeps) {
      expect(ms).toBeGreaterThanOrEqual(990);
      expect(ms).toBeLessThanOrEqual(1_000);
    }
  });

  test("after a quiet minute the bucket is full again", async () => {
    serve(server, "pylon", () => HttpResponse.json(okPage("pylon")));
    const clock = fakeClock();
    const c = client("pylon", { clock });
    for (let i = 0; i < 59; i++) await get(c, "pylon");
    clock.t += 60_000;
    for (let i = 0; i < 59; i++) await get(c, "pylon");
    expect(clock.sleeps).toEqual([]);
  });

  test("the bucket is per client: a second client has its own 59", async () => {
    serve(server, "pylon", () => HttpResponse.json(okPage("pylon")));
    const clock = fakeClock();
    const a = client("pylon", { clock });
    const b = client("pylon", { clock });
    for (let i = 0; i < 59; i++) await get(a, "pylon");
    for (let i = 0; i < 59; i++) await get(b, "pylon");
    expect(clock.sleeps).toEqual([]);
  });

  test("retries take tokens too (each is a request to the vendor)", async () => {
    serve(server, "pylon", (_req, n) => (n <= 2 ? HttpResponse.json({}, { status: 500 }) : HttpResponse.json(okPage("pylon"))));
    const clock = fakeClock();
    const c = client("pylon", { clock, rateLimit: { requestsPerMinute: 3 } });
    await (c.raw as any).GET("/audit-logs", {});
    expect(c.stats.requests).toBe(3);
    // Two tokens (3/min less one): two backoffs (under 1.5 s together), then the third attempt
    // waits for a token (20 s each, less what the backoffs refilled).
    expect(clock.sleeps).toHaveLength(3);
    expect(clock.sleeps[0]! + clock.sleeps[1]!).toBeLessThanOrEqual(1_500);
    expect(clock.sleeps[2]).toBeGreaterThanOrEqual(18_000);
    expect(clock.sleeps[2]).toBeLessThanOrEqual(20_000);
  });

  test("a vendor bucket that starts counting late (a slow first request) answers no 429", async () => {
    // The vendor: 60/min, full at the first request's arrival, which took 500 ms (a new
    // connection); every later request arrives at once. A full-size client bucket (60) would
    // send the 61st request when the vendor's bucket holds half a token.
    const clock = fakeClock();
    const vendorBucket = { tokens: 60, at: Number.NaN };
    let rateLimited = 0;
    serve(server, "pylon", (_req, n) => {
      if (n === 1) clock.t += 500;
      const now = clock.now();
      vendorBucket.tokens = Number.isNaN(vendorBucket.at) ? 60 : Math.min(60, vendorBucket.tokens + (now - vendorBucket.at) / 1_000);
      vendorBucket.at = now;
      if (vendorBucket.tokens < 1) {
        rateLimited += 1;
        return HttpResponse.json({ errors: ["rate limited"] }, { status: 429, headers: { "X-Retry-After": "0" } });
      }
      vendorBucket.tokens -= 1;
      return HttpResponse.json(okPage("pylon"));
    });
    const c = client("pylon", { clock });
    for (let i = 0; i < 90; i++) await get(c, "pylon");
    expect(rateLimited).toBe(0);
    expect(c.stats.requests).toBe(90);
  });

  test("a wait for the missing fraction of a token is one sleep, whatever the floating point", async () => {
    // 3/min: 20 s a token, two in the bucket. Taken at 0 and 410 ms, the bucket holds
    // 0.0205 + 0.04055 tokens at 1221 ms; waiting ceil(0.93895 × 20 000) = 18 779 ms refills
    // 0.99999999…, which is a token (a case met in a real test run, with those backoffs).
    const clock = fakeClock();
    const bucket = new TokenBucket(3, clock);
    await bucket.acquire();
    clock.t += 410;
    await bucket.acquire();
    clock.t += 811;
    await bucket.acquire();
    expect(clock.sleeps).toEqual([18_779]);
  });

  test("an abort while waiting for a token rejects with UserAbortError and sends nothing more", async () => {
    const seen = serve(server, "pylon", () => HttpResponse.json(okPage("pylon")));
    const clock = stuckClock();
    const c = client("pylon", { clock, rateLimit: { requestsPerMinute: 1 } });
    await get(c, "pylon");
    const controller = new AbortController();
    const pending = readAll(c, { signal: controller.signal });
    await clock.sleeping;
    controller.abort();
    const error = await rejectionOf(pending);
    expect(UserAbortError.isInstance(error)).toBe(true);
    expect(seen).toHaveLength(1);
  });
});
