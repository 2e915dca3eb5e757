/**
 * The contract every vendor client passes (STYLE §8): auth header exact, page 2 requested
 * correctly, end of list, full count with no duplicates, `break` stops fetching, 429 retried,
 * 401 typed, extra vendor field kept, malformed envelope rejected, every event schema-valid,
 * checkpoint resume. It runs over msw with the simulator's handlers; vendor facts live in the
 * fixtures (test/contract.test.ts), nowhere else.
 */
import { http, HttpResponse } from "msw";
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { AuditEventSchema, AuthenticationError, createClient, RateLimitError, ResponseValidationError, type AnyClient, type ClientOptions } from "../src/index.js";
import { createSimulator, type Simulator } from "../src/testing/index.js";
import type { VendorId } from "../src/core/vendor-id.js";

export interface Recorded {
  url: URL;
  headers: Headers;
}

export interface VendorFixture {
  vendor: VendorId;
  /** The API path the client must call. */
  path: string;
  /** Exact auth headers for the simulator's credentials. */
  authHeaders(credentials: Record<string, unknown>): Record<string, string>;
  /** Client options from the simulator's credentials, with the given overrides. */
  options(credentials: Record<string, unknown>): Record<string, unknown>;
  /** Params that make a full read take several requests. */
  params: Record<string, unknown>;
  /** Asserts that the second request asks for the page after the first. */
  secondRequest(first: Recorded, second: Recorded): void;
  /** Credentials the vendor rejects with 401. */
  badCredentials(credentials: Record<string, unknown>): Record<string, unknown>;
}

const COUNT = 42;

export function contract(fixture: VendorFixture): void {
  describe(`${fixture.vendor} contract`, () => {
    let sim: Simulator;
    const recorded: Recorded[] = [];
    const server = setupServer();
    let credentials: Record<string, unknown>;
    const client = (overrides: Record<string, unknown> = {}): AnyClient =>
      createClient({ vendor: fixture.vendor, ...fixture.options(credentials), rateLimit: false, maxRetries: 0, ...overrides } as ClientOptions);
    const origin = () => (JSON.parse(JSON.stringify(client())) as { baseUrl: string }).baseUrl;

    beforeAll(() => {
      sim = createSimulator({ vendors: [fixture.vendor], eventsPerVendor: COUNT, seed: 5, rateLimit: false });
      credentials = sim.credentials[fixture.vendor] as Record<string, unknown>;
      server.use(...sim.handlers);
      server.events.on("request:start", ({ request }) => {
        recorded.push({ url: new URL(request.url), headers: new Headers(request.headers) });
      });
      server.listen({ onUnhandledRequest: "error" });
    });
    afterEach(() => {
      recorded.length = 0;
      server.resetHandlers(...sim.handlers);
    });
    afterAll(() => server.close());

    test("sends the exact auth header and User-Agent, on the vendor's path", async () => {
      await client().events(fixture.params).toArray({ limit: 1 });
      const first = recorded[0]!;
      expect(first.url.pathname).toBe(fixture.path);
      for (const [name, value] of Object.entries(fixture.authHeaders(credentials))) expect(first.headers.get(name)).toBe(value);
      expect(first.headers.get("user-agent")).toMatch(/^auditlogs\/\d+\.\d+\.\d+/);
    });

    test("reads every event once, requesting page 2 correctly, and stops at the end of the list", async () => {
      const events = await client().events(fixture.params).toArray({ limit: 10_000 });
      expect(events).toHaveLength(COUNT);
      expect(new Set(events.map((e) => e.id)).size).toBe(COUNT);
      expect(recorded.length).toBeGreaterThan(2);
      fixture.secondRequest(recorded[0]!, recorded[1]!);
      // Nothing is requested after the vendor said there is no more.
      const again = recorded.length;
      await client().events(fixture.params).toArray({ limit: 10_000 });
      expect(recorded.length).toBe(again * 2);
    });

    test("every event passes AuditEventSchema and keeps its raw record", async () => {
      const events = await client().events(fixture.params).toArray({ limit: 10_000 });
      for (const event of events) {
        expect(AuditEventSchema.safeParse(event).success).toBe(true);
        expect(event.vendor).toBe(fixture.vendor);
      }
    });

    test("break stops fetching", async () => {
      await client().events(fixture.params).toArray({ limit: 10_000 });
      const full = recorded.length;
      recorded.length = 0;
      for await (const _event of client().events(fixture.params)) break;
      const after = recorded.length;
      await new Promise((resolve) => setTimeout(resolve, 100));
      // Only what was in flight when the loop ended, and nothing after.
      expect(after).toBeLessThan(full);
      expect(recorded.length).toBe(after);
    });

    test("a 429 is retried and the read completes", async () => {
      let failed = 0;
      server.use(
        http.all(`${origin()}${fixture.path}`, () => {
          if (failed++ > 0) return undefined; // fall through to the simulator
          return new HttpResponse("Too many requests", { status: 429, headers: { "Retry-After": "0" } });
        }),
      );
      const events = await client({ maxRetries: 2 }).events(fixture.params).toArray({ limit: 10_000 });
      expect(failed).toBeGreaterThan(1);
      expect(events).toHaveLength(COUNT);
    });

    test("a 429 with no retries left is a RateLimitError", async () => {
      server.use(http.all(`${origin()}${fixture.path}`, () => new HttpResponse("slow down", { status: 429, headers: { "Retry-After": "0" } })));
      await expect(client().events(fixture.params).toArray({ limit: 1 })).rejects.toSatisfy((e) => RateLimitError.isInstance(e));
    });

    test("bad credentials are an AuthenticationError", async () => {
      const bad = createClient({ vendor: fixture.vendor, ...fixture.options(fixture.badCredentials(credentials)), rateLimit: false, maxRetries: 0 } as ClientOptions);
      const error = await bad.events(fixture.params).toArray({ limit: 1 }).catch((e: unknown) => e);
      expect(AuthenticationError.isInstance(error)).toBe(true);
      expect((error as AuthenticationError).status).toBe(401);
      expect((error as AuthenticationError).vendor).toBe(fixture.vendor);
    });

    test("a field the vendor adds is kept in unmapped and raw", async () => {
      const records = sim.events[fixture.vendor] as Array<Record<string, unknown>>;
      records[0]!.x_new_field = { added: "by the vendor" };
      try {
        const events = await client().events(fixture.params).toArray({ limit: 10_000 });
        const event = events.find((e) => (e.raw as Record<string, unknown>).x_new_field !== undefined)!;
        expect(event.unmapped.x_new_field).toEqual({ added: "by the vendor" });
        expect((event.raw as Record<string, unknown>).x_new_field).toEqual({ added: "by the vendor" });
      } finally {
        delete records[0]!.x_new_field;
      }
    });

    test("a malformed page envelope is a ResponseValidationError naming vendor and request id", async () => {
      server.use(http.all(`${origin()}${fixture.path}`, () => HttpResponse.json({ unexpected: true }, { headers: { "X-Request-Id": "req-contract-1" } })));
      const error = await client().events(fixture.params).toArray({ limit: 1 }).catch((e: unknown) => e);
      expect(ResponseValidationError.isInstance(error)).toBe(true);
      expect((error as ResponseValidationError).vendor).toBe(fixture.vendor);
      expect((error as ResponseValidationError).requestId).toBe("req-contract-1");
      expect((error as Error).message).toContain(fixture.vendor);
    });

    test("a checkpoint mid-run resumes with exactly the rest", async () => {
      const all = (await client().events(fixture.params).toArray({ limit: 10_000 })).map((e) => e.id);
      const stream = client().events(fixture.params);
      const head: string[] = [];
      for await (const event of stream) if (head.push(event.id) === 17) break;
      const rest = await client().events({ ...fixture.params, resumeFrom: stream.checkpoint() }).toArray({ limit: 10_000 });
      expect([...head, ...rest.map((e) => e.id)]).toEqual(all);
    });
  });
}
