// DESIGN §5 retries, for every vendor: what is retried and what is not, how many times, how long
// the SDK waits (backoff with jitter, or exactly what the vendor asked), and the fast failure when
// the vendor asks for more than maxRetryDelayMs. Delays are read from an injected clock: no test
// waits for real.
import { HttpResponse } from "msw";
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { ApiError, ConnectionError, InternalServerError, RateLimitError } from "../src/index.js";
import { client, fakeClock, okPage, readAll, rejectionOf, serve, VENDORS } from "./http-fixtures.js";

const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

const RETRYABLE = [408, 409, 425, 429, 500, 502, 503, 504];
const FINAL = [400, 401, 403, 404, 422];

describe.each(VENDORS)("%s: what is retried", (vendor) => {
  test.each(RETRYABLE)("HTTP %i is retried, and the retry's answer is used", async (status) => {
    const seen = serve(server, vendor, (_req, n) => (n === 1 ? HttpResponse.json({ error: "try again" }, { status }) : HttpResponse.json(okPage(vendor))));
    const c = client(vendor, { rateLimit: false });
    const events = await readAll(c);
    expect(events).toHaveLength(1);
    expect(seen).toHaveLength(2);
    expect(c.stats).toEqual({ requests: 2, retries: 1, invalidRecords: 0 });
  });

  test("a network error is retried", async () => {
    const seen = serve(server, vendor, (_req, n) => (n === 1 ? HttpResponse.error() : HttpResponse.json(okPage(vendor))));
    expect(await readAll(client(vendor, { rateLimit: false }))).toHaveLength(1);
    expect(seen).toHaveLength(2);
  });

  test("a truncated JSON body on a 200 is retried", async () => {
    const seen = serve(server, vendor, (_req, n) =>
      n === 1 ? new HttpResponse(JSON.stringify(okPage(vendor)).slice(0, 20), { headers: { "content-type": "application/json" } }) : HttpResponse.json(okPage(vendor)),
    );
    expect(await readAll(client(vendor, { rateLimit: false }))).toHaveLength(1);
    expect(seen).toHaveLength(2);
  });

  test.each(FINAL)("HTTP %i is not retried: one request, the typed error", async (status) => {
    const seen = serve(server, vendor, () => HttpResponse.json({ error: "no" }, { status }));
    const clock = fakeClock();
    const error = await rejectionOf(readAll(client(vendor, { rateLimit: false, clock })));
    expect(ApiError.isInstance(error)).toBe(true);
    expect((error as ApiError).status).toBe(status);
    expect(seen).toHaveLength(1);
    expect(clock.sleeps).toEqual([]);
  });

  test("default maxRetries is 3: four requests, then the last answer's error; backoff 0.5 s → 1 s → 2 s with jitter", async () => {
    const seen = serve(server, vendor, () => HttpResponse.json({ error: "down" }, { status: 503 }));
    const clock = fakeClock();
    const c = client(vendor, { rateLimit: false, clock });
    const error = await rejectionOf(readAll(c));
    expect(InternalServerError.isInstance(error)).toBe(true);
    expect((error as ApiError).status).toBe(503);
    expect(seen).toHaveLength(4);
    expect(clock.sleeps).toHaveLength(3);
    // 0.5 s doubling, minus up to 25 % jitter; each wait longer than the one before.
    [500, 1_000, 2_000].forEach((base, i) => {
      expect(clock.sleeps[i]).toBeGreaterThanOrEqual(base * 0.75);
      expect(clock.sleeps[i]).toBeLessThanOrEqual(base);
    });
    expect(clock.sleeps[1]!).toBeGreaterThan(clock.sleeps[0]!);
    expect(clock.sleeps[2]!).toBeGreaterThan(clock.sleeps[1]!);
    expect(c.stats).toEqual({ requests: 4, retries: 3, invalidRecords: 0 });
  });

  test("network errors past maxRetries end in ConnectionError after maxRetries + 1 requests", async () => {
    const seen = serve(server, vendor, () => HttpResponse.error());
    const error = await rejectionOf(readAll(client(vendor, { rateLimit: false, maxRetries: 2 })));
    expect(ConnectionError.isInstance(error)).toBe(true);
    expect(error.name).toBe("ConnectionError");
    expect(seen).toHaveLength(3);
  });

  test("maxRetries: 0 sends exactly one request", async () => {
    const seen = serve(server, vendor, () => HttpResponse.json({}, { status: 500 }));
    const clock = fakeClock();
    await rejectionOf(readAll(client(vendor, { rateLimit: false, maxRetries: 0, clock })));
    expect(seen).toHaveLength(1);
    expect(clock.sleeps).toEqual([]);
  });
});

describe.each(VENDORS)("%s: the vendor's retry signal is used exactly", (vendor) => {
  test("Retry-After in seconds", async () => {
    serve(server, vendor, (_req, n) => (n === 1 ? new HttpResponse("slow down", { status: 429, headers: { "Retry-After": "7" } }) : HttpResponse.json(okPage(vendor))));
    const clock = fakeClock();
    await readAll(client(vendor, { rateLimit: false, clock }));
    expect(clock.sleeps).toEqual([7_000]);
  });

  test("Retry-After as an HTTP date (relative to the client's clock)", async () => {
    const clock = fakeClock();
    const at = new Date(clock.t + 12_000).toUTCString();
    serve(server, vendor, (_req, n) => (n === 1 ? new HttpResponse(null, { status: 503, headers: { "Retry-After": at } }) : HttpResponse.json(okPage(vendor))));
    await readAll(client(vendor, { rateLimit: false, clock }));
    expect(clock.sleeps).toEqual([12_000]);
  });

  test("Retry-After as an HTTP date already past: retried at once", async () => {
    const clock = fakeClock();
    const at = new Date(clock.t - 60_000).toUTCString();
    serve(server, vendor, (_req, n) => (n === 1 ? new HttpResponse(null, { status: 429, headers: { "Retry-After": at } }) : HttpResponse.json(okPage(vendor))));
    await readAll(client(vendor, { rateLimit: false, clock }));
    expect(clock.sleeps).toEqual([0]);
  });

  test("a wait longer than maxRetryDelayMs fails at once: RateLimitError with retryAfterMs, no further request", async () => {
    const seen = serve(server, vendor, () => new HttpResponse("Number of allowed API requests per minute exceeded", { status: 429, headers: { "Retry-After": "90" } }));
    const clock = fakeClock();
    const error = await rejectionOf(readAll(client(vendor, { rateLimit: false, clock, maxRetryDelayMs: 60_000 })));
    expect(RateLimitError.isInstance(error)).toBe(true);
    expect((error as RateLimitError).retryAfterMs).toBe(90_000);
    expect((error as RateLimitError).status).toBe(429);
    expect(error.message).toMatch(/wait 90 s, longer than maxRetryDelayMs \(60000 ms\)/);
    expect(seen).toHaveLength(1);
    expect(clock.sleeps).toEqual([]);
  });

  test("a 503 asking for longer than maxRetryDelayMs is a RateLimitError too (status kept), no further request", async () => {
    const seen = serve(server, vendor, () => new HttpResponse(null, { status: 503, headers: { "Retry-After": "3600" } }));
    const clock = fakeClock();
    const error = await rejectionOf(readAll(client(vendor, { rateLimit: false, clock })));
    expect(RateLimitError.isInstance(error)).toBe(true);
    expect((error as RateLimitError).status).toBe(503);
    expect((error as RateLimitError).retryAfterMs).toBe(3_600_000);
    expect(seen).toHaveLength(1);
    expect(clock.sleeps).toEqual([]);
  });

  test("a wait of exactly maxRetryDelayMs is still waited", async () => {
    serve(server, vendor, (_req, n) => (n === 1 ? new HttpResponse(null, { status: 429, headers: { "Retry-After": "5" } }) : HttpResponse.json(okPage(vendor))));
    const clock = fakeClock();
    await readAll(client(vendor, { rateLimit: false, clock, maxRetryDelayMs: 5_000 }));
    expect(clock.sleeps).toEqual([5_000]);
  });

  test("the SDK's own backoff is capped at maxRetryDelayMs, not refused", async () => {
    const seen = serve(server, vendor, () => HttpResponse.json({}, { status: 502 }));
    const clock = fakeClock();
    await rejectionOf(readAll(client(vendor, { rateLimit: false, clock, maxRetryDelayMs: 600 })));
    expect(seen).toHaveLength(4);
    expect(clock.sleeps).toHaveLength(3);
    expect(clock.sleeps[0]).toBeGreaterThanOrEqual(375);
    expect(clock.sleeps.slice(1)).toEqual([600, 600]);
  });
});

describe("vendor-specific retry signals", () => {
  test("Pylon X-Retry-After (seconds)", async () => {
    serve(server, "pylon", (_req, n) => (n === 1 ? new HttpResponse(null, { status: 429, headers: { "X-Retry-After": "3" } }) : HttpResponse.json(okPage("pylon"))));
    const clock = fakeClock();
    await readAll(client("pylon", { rateLimit: false, clock }));
    expect(clock.sleeps).toEqual([3_000]);
  });

  test("Pylon X-Retry-After beyond maxRetryDelayMs: RateLimitError, one request", async () => {
    const seen = serve(server, "pylon", () => new HttpResponse(null, { status: 429, headers: { "X-Retry-After": "120" } }));
    const error = await rejectionOf(readAll(client("pylon", { rateLimit: false })));
    expect(RateLimitError.isInstance(error)).toBe(true);
    expect((error as RateLimitError).retryAfterMs).toBe(120_000);
    expect(seen).toHaveLength(1);
  });

  test("Cortex problem+json retryAfter (seconds), with no header", async () => {
    serve(server, "cortex", (_req, n) =>
      n === 1
        ? HttpResponse.json({ type: "about:blank", title: "Too Many Requests", status: 429, retryAfter: 4 }, { status: 429, headers: { "content-type": "application/problem+json" } })
        : HttpResponse.json(okPage("cortex")),
    );
    const clock = fakeClock();
    await readAll(client("cortex", { rateLimit: false, clock }));
    expect(clock.sleeps).toEqual([4_000]);
  });

  test("Cortex retryAfter beyond maxRetryDelayMs: RateLimitError carrying it, one request", async () => {
    const seen = serve(server, "cortex", () =>
      HttpResponse.json({ title: "Too Many Requests", status: 429, retryAfter: 61 }, { status: 429, headers: { "content-type": "application/problem+json" } }),
    );
    const error = await rejectionOf(readAll(client("cortex", { rateLimit: false })));
    expect(RateLimitError.isInstance(error)).toBe(true);
    expect((error as RateLimitError).retryAfterMs).toBe(61_000);
    expect(seen).toHaveLength(1);
  });

  test("Zendesk's text/plain 429 is retried after its Retry-After, and its text is the error's body when it persists", async () => {
    const seen = serve(server, "zendesk", () =>
      new HttpResponse("Number of allowed API requests per minute exceeded", { status: 429, headers: { "content-type": "text/plain", "Retry-After": "2" } }),
    );
    const clock = fakeClock();
    const error = await rejectionOf(readAll(client("zendesk", { rateLimit: false, clock })));
    expect(RateLimitError.isInstance(error)).toBe(true);
    expect((error as RateLimitError).body).toBe("Number of allowed API requests per minute exceeded");
    expect((error as RateLimitError).retryAfterMs).toBe(2_000);
    expect(error.message).toContain("Number of allowed API requests per minute exceeded");
    expect(seen).toHaveLength(4);
    expect(clock.sleeps).toEqual([2_000, 2_000, 2_000]);
  });

  test("retries are logged at info with the attempt and cause", async () => {
    serve(server, "pylon", (_req, n) => (n === 1 ? HttpResponse.json({}, { status: 502 }) : HttpResponse.json(okPage("pylon"))));
    const lines: string[] = [];
    const logger = { info: (message: string) => lines.push(message) };
    await readAll(client("pylon", { rateLimit: false, logger, logLevel: "info" }));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^pylon: retrying GET \/audit-logs in \d+ ms \(attempt 1 of 4: HTTP 502\)$/);
  });
});

describe("client.raw goes through the same retries", () => {
  test("a 500 then 200 through raw.GET: retried; a persistent 503 comes back as the Response, not thrown", async () => {
    const seen = serve(server, "pylon", (_req, n) => (n === 1 ? HttpResponse.json({}, { status: 500 }) : HttpResponse.json(okPage("pylon"))));
    const c = client("pylon", { rateLimit: false });
    const ok = await (c.raw as any).GET("/audit-logs", {});
    expect(ok.response.status).toBe(200);
    expect(seen).toHaveLength(2);

    server.resetHandlers();
    const seen2 = serve(server, "pylon", () => HttpResponse.json({ error: "down" }, { status: 503 }));
    const clock = fakeClock();
    const raw = await (client("pylon", { rateLimit: false, clock }).raw as any).GET("/audit-logs", {});
    expect(raw.response.status).toBe(503);
    expect(raw.error).toEqual({ error: "down" });
    expect(seen2).toHaveLength(4);
    expect(clock.sleeps).toHaveLength(3);
  });
});
