// DESIGN §2 and §5, for every vendor: `timeoutMs` ends a slow request with TimeoutError (after its
// retries), `signal` ends a run with UserAbortError, and breaking out of `for await` aborts what
// is in flight and sends nothing more. Timeouts here are tens of milliseconds; backoff waits go
// through an injected clock.
import https from "node:https";
import type { ClientRequest } from "node:http";
import { delay, HttpResponse } from "msw";
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, describe, expect, test, vi } from "vitest";
import { ConnectionError, TimeoutError, UserAbortError } from "../src/index.js";
import { systemClock } from "../src/internal/clock.js";
import type { VendorId } from "../src/core/vendor-id.js";
import { client, fakeClock, getBody, okPage, page, RANGE, readAll, record, rejectionOf, serve, stuckClock, VENDORS } from "./http-fixtures.js";

const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
afterEach(() => {
  server.resetHandlers();
  vi.restoreAllMocks();
});
afterAll(() => server.close());

const tick = (ms = 0) => new Promise((resolve) => setTimeout(resolve, ms));

/** A first page of three records that says there is more, for each vendor's kind of "more". */
function firstPageWithMore(vendor: VendorId, req: Request): Record<string, unknown> {
  const records = [record(vendor, 1), record(vendor, 2), record(vendor, 3)];
  if (vendor === "zendesk") return page(vendor, records, `${new URL(req.url).origin}/api/v2/audit_logs?page[after]=p2&page[size]=3`);
  if (vendor === "cortex") return page(vendor, records, { page: 0, total: 9, totalPages: 3 });
  return page(vendor, records, "p2");
}

/**
 * Params that read several pages: Cortex at 3 a page; Datafold in one-hour windows from 12:00,
 * so the first window holds the records.
 */
const SEVERAL: Record<VendorId, Record<string, unknown>> = {
  pylon: RANGE,
  zendesk: RANGE,
  cortex: { ...RANGE, pageSize: 3 },
  datafold: { since: "2026-01-01T12:00:00Z", until: RANGE.until, windowMs: 3_600_000 },
  jitsudo: RANGE,
};

/** True for a request that is not the run's first page (Datafold: not the first window). */
function isFollowUp(vendor: VendorId, req: Request, body: string | undefined): boolean {
  const q = new URL(req.url).searchParams;
  if (vendor === "cortex") return q.get("page") !== "0";
  if (vendor === "zendesk") return q.has("page[after]");
  if (vendor === "datafold") return !body?.includes(`"start_date":"${new Date(SEVERAL.datafold.since as string).toISOString()}"`);
  return q.has("cursor");
}

/** Datafold's GET-with-body goes over node:https, where msw's Request has no signal to watch. */
function watchNodeRequests(): ClientRequest[] {
  const made: ClientRequest[] = [];
  const original = https.request;
  vi.spyOn(https, "request").mockImplementation(((...args: Parameters<typeof https.request>) => {
    const req = (original as (...a: unknown[]) => ClientRequest)(...args);
    made.push(req);
    return req;
  }) as typeof https.request);
  return made;
}

describe.each(VENDORS)("%s: timeouts and aborts", (vendor) => {
  test("timeoutMs: an answer that never comes is a TimeoutError after maxRetries + 1 attempts", async () => {
    // The server never answers, so only the client's timeout can end an attempt: no second timer
    // to race with, and without the timeout this test hangs instead of passing.
    const seen = serve(server, vendor, async () => {
      await delay("infinite");
      return HttpResponse.json(okPage(vendor));
    });
    const clock = fakeClock();
    const error = await rejectionOf(readAll(client(vendor, { rateLimit: false, timeoutMs: 25, maxRetries: 2, clock })));
    expect(TimeoutError.isInstance(error)).toBe(true);
    expect(ConnectionError.isInstance(error)).toBe(true);
    expect(error.name).toBe("TimeoutError");
    expect(error.message).toBe(`${vendor}: request timed out after 25 ms`);
    expect(seen).toHaveLength(3);
    expect(clock.sleeps).toHaveLength(2);
  });

  test("a signal aborted before the run sends nothing: UserAbortError", async () => {
    const seen = serve(server, vendor, () => HttpResponse.json(okPage(vendor)));
    const error = await rejectionOf(readAll(client(vendor, { rateLimit: false }), { signal: AbortSignal.abort() }));
    expect(UserAbortError.isInstance(error)).toBe(true);
    expect(error.name).toBe("UserAbortError");
    expect(seen).toHaveLength(0);
  });

  test("signal aborted during a request: UserAbortError at once, no retry, no further request", async () => {
    let arrived!: () => void;
    const inFlight = new Promise<void>((resolve) => (arrived = resolve));
    const seen = serve(server, vendor, async () => {
      arrived();
      await delay("infinite");
      return HttpResponse.json(okPage(vendor));
    });
    const controller = new AbortController();
    const pending = readAll(client(vendor, { rateLimit: false }), { signal: controller.signal });
    await inFlight;
    controller.abort();
    const error = await rejectionOf(pending);
    expect(UserAbortError.isInstance(error)).toBe(true);
    await tick(20);
    expect(seen).toHaveLength(1);
  });

  test("signal aborted during a retry's backoff: UserAbortError, no further request", async () => {
    const seen = serve(server, vendor, () => HttpResponse.json({}, { status: 503 }));
    const clock = stuckClock();
    const controller = new AbortController();
    const pending = readAll(client(vendor, { rateLimit: false, clock }), { signal: controller.signal });
    await clock.sleeping;
    controller.abort();
    const error = await rejectionOf(pending);
    expect(UserAbortError.isInstance(error)).toBe(true);
    expect(seen).toHaveLength(1);
  });

  test("an abort with the caller's own reason is still a UserAbortError, the reason as its cause", async () => {
    serve(server, vendor, async () => {
      await delay("infinite");
      return HttpResponse.json(okPage(vendor));
    });
    const controller = new AbortController();
    const reason = new Error("shutting down");
    const pending = readAll(client(vendor, { rateLimit: false }), { signal: controller.signal });
    await tick(5);
    controller.abort(reason);
    const error = await rejectionOf(pending);
    expect(UserAbortError.isInstance(error)).toBe(true);
    expect(error.cause).toBe(reason);
    expect(error.message).toContain("shutting down");
  });

  test("breaking out of for await aborts the request in flight and sends no further request", async () => {
    const node = vendor === "datafold" ? watchNodeRequests() : [];
    const aborted: string[] = [];
    let followUp!: () => void;
    const followUpArrived = new Promise<void>((resolve) => (followUp = resolve));
    const seen = serve(server, vendor, async (req) => {
      if (!isFollowUp(vendor, req, await getBody(req))) return HttpResponse.json(firstPageWithMore(vendor, req));
      const url = new URL(req.url);
      req.signal.addEventListener("abort", () => aborted.push(url.search));
      followUp();
      await delay("infinite");
      return HttpResponse.json(okPage(vendor));
    });
    const c = client(vendor, { rateLimit: false });
    const stream = (c.events as (p: object) => AsyncIterable<{ id: string }>)(SEVERAL[vendor]);
    const got: string[] = [];
    for await (const event of stream) {
      got.push(event.id);
      // Wait until the next page (Cortex: pages 1 and 2; Datafold: the next windows) is in flight.
      await followUpArrived;
      expect(seen.length).toBeGreaterThan(1);
      break;
    }
    expect(got).toHaveLength(1);
    const sentAtBreak = seen.length;
    await tick(30);
    expect(seen).toHaveLength(sentAtBreak);
    if (vendor === "datafold") {
      // Every request after the first window's was destroyed.
      expect(node.length).toBe(sentAtBreak);
      expect(node.slice(1).every((r) => r.destroyed)).toBe(true);
    } else {
      // Every follow-up request (all hanging) was aborted.
      expect(aborted).toHaveLength(sentAtBreak - 1);
    }
  });

  test("with prefetch: 0, breaking after the first event sends exactly one request", async () => {
    const seen = serve(server, vendor, (req) => HttpResponse.json(firstPageWithMore(vendor, req)));
    const c = client(vendor, { rateLimit: false, prefetch: 0, concurrency: 1 });
    for await (const _ of (c.events as (p: object) => AsyncIterable<unknown>)(SEVERAL[vendor])) break;
    await tick(20);
    expect(seen).toHaveLength(1);
  });

  test("an abort between two events of one page stops at once", async () => {
    serve(server, vendor, () => HttpResponse.json(page(vendor, [1, 2, 3, 4, 5].map((i) => record(vendor, i)))));
    const controller = new AbortController();
    const got: string[] = [];
    const error = await rejectionOf(
      (async () => {
        for await (const event of (client(vendor, { rateLimit: false }).events as (p: object) => AsyncIterable<{ id: string }>)({ ...RANGE, signal: controller.signal })) {
          got.push(event.id);
          if (got.length === 2) controller.abort();
        }
      })(),
    );
    expect(UserAbortError.isInstance(error)).toBe(true);
    expect(got).toHaveLength(2);
  });
});

describe("prefetch depth (a cursor chain: Pylon)", () => {
  // Ten pages of three; the caller holds the first event and waits. With prefetch n, the n pages
  // after the one in hand are requested meanwhile (each cursor comes with the page before it),
  // and no more.
  test.each([0, 1, 2, 3])("prefetch: %i → that many more page requests while the caller holds page 1", async (prefetch) => {
    const seen = serve(server, "pylon", (req) => {
      const n = Number(new URL(req.url).searchParams.get("cursor")?.slice(1) ?? 1);
      return HttpResponse.json(page("pylon", [1, 2, 3].map((i) => record("pylon", n * 10 + i)), n < 10 ? `p${n + 1}` : undefined));
    });
    const c = client("pylon", { rateLimit: false, prefetch });
    const stream = c.events(RANGE)[Symbol.asyncIterator]();
    await stream.next();
    // The prefetched requests arrive when they arrive (a loaded machine is slow, never wrong);
    // then a moment more shows that no other follows.
    while (seen.length < 1 + prefetch) await tick(5);
    await tick(50);
    expect(seen).toHaveLength(1 + prefetch);
    await stream.return?.();
  });
});

describe("systemClock", () => {
  test("a sleep longer than 2^31 − 1 ms is not cut to 1 ms (Node's timer overflow)", async () => {
    vi.useFakeTimers();
    try {
      let done = false;
      const sleeping = systemClock.sleep(2 ** 31 + 5_000).then(() => (done = true));
      await vi.advanceTimersByTimeAsync(10);
      expect(done).toBe(false);
      await vi.advanceTimersByTimeAsync(2 ** 31 - 1);
      expect(done).toBe(false);
      await vi.advanceTimersByTimeAsync(5_100);
      await sleeping;
      expect(done).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });

  test("an abort during a sleep rejects with UserAbortError", async () => {
    const controller = new AbortController();
    const sleeping = systemClock.sleep(60_000, controller.signal);
    controller.abort();
    const error = await rejectionOf(sleeping);
    expect(UserAbortError.isInstance(error)).toBe(true);
  });
});
