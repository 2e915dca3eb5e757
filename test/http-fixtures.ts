/**
 * Shared facts for the resilience, security and HTTP suites: each vendor's valid options, host,
 * path, a valid record and a page envelope, plus an injectable clock that records sleeps and
 * an msw server that counts what it is asked. Vendor facts here come from DESIGN §1.
 */
import { createServer } from "node:http";
import { http, HttpResponse } from "msw";
import { expect } from "vitest";
import type { SetupServer } from "msw/node";
import { createClient, type AnyClient, type AuditEvent, type ClientOptions, type Clock } from "../src/index.js";
import type { VendorId } from "../src/core/vendor-id.js";

export const VENDORS: readonly VendorId[] = ["pylon", "zendesk", "cortex", "datafold", "jitsudo"];

/** Distinct, recognizable credentials: any of these in an output is a leak. */
export const SECRETS = {
  token: "tok_SECRET_a81f3c92e4",
  oauth: "oauth_SECRET_77d0b5e1c6",
  key: "key_SECRET_3e9b0d44f1",
  email: "admin.secret@example.com",
  tenant: "6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b",
} as const;

/** Zendesk's Basic credentials: `{email}/token:{apiToken}`, base64. */
export const BASIC = Buffer.from(`${SECRETS.email}/token:${SECRETS.token}`).toString("base64");

/** Every string that must never appear in an error, a log line, a client or a checkpoint. */
export const NEEDLES: readonly string[] = [SECRETS.token, SECRETS.oauth, SECRETS.key, SECRETS.tenant, BASIC, `${SECRETS.email}/token`];

export const ORIGIN: Record<VendorId, string> = {
  pylon: "https://api.usepylon.com",
  zendesk: "https://acme.zendesk.com",
  cortex: "https://api.getcortexapp.com",
  datafold: "https://app.datafold.com",
  jitsudo: "https://jitsudo.example.com",
};

export const PATH: Record<VendorId, string> = {
  pylon: "/audit-logs",
  zendesk: "/api/v2/audit_logs",
  cortex: "/api/v1/audit-logs",
  datafold: "/api/v1/audit_logs",
  jitsudo: "/v1/audit-log",
};

/** Valid options for each vendor (Zendesk with an API token; see ZENDESK_OAUTH for the other form). */
export const OPTIONS: Record<VendorId, Record<string, unknown>> = {
  pylon: { apiToken: SECRETS.token },
  zendesk: { subdomain: "acme", auth: { email: SECRETS.email, apiToken: SECRETS.token } },
  cortex: { apiToken: SECRETS.token },
  datafold: { apiKey: SECRETS.key },
  jitsudo: { baseUrl: ORIGIN.jitsudo, apiKey: SECRETS.key, tenantId: SECRETS.tenant },
};

export const ZENDESK_OAUTH = { subdomain: "acme", auth: { oauthToken: SECRETS.oauth } };

/** The run every test reads: one day, so Datafold is one window and one request. */
export const RANGE = { since: "2026-01-01T00:00:00Z", until: "2026-01-02T00:00:00Z" } as const;
/** What the fake clock says "now" is: well after RANGE (Zendesk clamps until to now − 61 s). */
export const NOW = Date.parse("2026-03-01T00:00:00Z");

/** A valid record for each vendor, `i` making it distinct; at 2026-01-01T12:00:00Z + i s. */
export function record(vendor: VendorId, i: number): Record<string, unknown> {
  const at = new Date(Date.parse("2026-01-01T12:00:00Z") + i * 1000).toISOString();
  switch (vendor) {
    case "pylon":
      return { id: `pylon-${i}`, action: "UserCreated", action_happened_at: at };
    case "zendesk":
      return { id: 1000 + i, action: "update", created_at: at.replace(/\.\d{3}Z$/, "Z") };
    case "cortex":
      return { action: "UPDATE", objectIdentifier: `svc-${i}`, objectType: "SERVICE", timestamp: at };
    case "datafold":
      return { timestamp: at, event_uuid: `df-${i}`, client_ip: "10.0.0.1", url: "/api/v1/x" };
    case "jitsudo":
      return {
        id: `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`,
        actor_id: "u1",
        actor_type: "oidc",
        action: "request.create",
        resource_type: "request",
        resource_id: `r${i}`,
        metadata: {},
        created_at: at,
      };
  }
}

/**
 * A page envelope. `next` is what tells the client there is more: a cursor (Pylon, JITSudo), a
 * URL (Zendesk `links.next`), or for Cortex `{ page, total, totalPages }`.
 */
export function page(vendor: VendorId, records: unknown[], next?: string | { page: number; total: number; totalPages: number }): Record<string, unknown> {
  switch (vendor) {
    case "pylon":
      return { data: records, pagination: { cursor: typeof next === "string" ? next : "", has_next_page: typeof next === "string" } };
    case "zendesk":
      return {
        audit_logs: records,
        meta: { has_more: typeof next === "string", after_cursor: typeof next === "string" ? "c" : null, before_cursor: null },
        links: { next: typeof next === "string" ? next : null, prev: null },
      };
    case "cortex": {
      const n = typeof next === "object" ? next : { page: 0, total: records.length, totalPages: records.length ? 1 : 0 };
      return { logs: records, ...n };
    }
    case "datafold":
      return { logs: records };
    case "jitsudo":
      return { data: records, next_cursor: typeof next === "string" ? next : null, has_more: typeof next === "string" };
  }
}

/** A one-page answer with one record: what a successful retry ends with. */
export const okPage = (vendor: VendorId) => page(vendor, [record(vendor, 1)]);

/** A clock whose sleeps return at once (or reject if the signal is aborted) and are recorded. */
export interface FakeClock extends Clock {
  sleeps: number[];
  t: number;
}

export function fakeClock(start = NOW): FakeClock {
  const clock: FakeClock = {
    t: start,
    sleeps: [],
    now: () => clock.t,
    sleep: async (ms: number, signal?: AbortSignal) => {
      if (signal?.aborted) throw signal.reason;
      clock.sleeps.push(ms);
      clock.t += ms;
    },
  };
  return clock;
}

/** A clock whose sleeps never end unless aborted (to abort a wait in progress). */
export function stuckClock(): FakeClock & { sleeping: Promise<void> } {
  let entered!: () => void;
  const sleeping = new Promise<void>((resolve) => (entered = resolve));
  const clock = fakeClock() as FakeClock & { sleeping: Promise<void> };
  clock.sleeping = sleeping;
  clock.sleep = (ms: number, signal?: AbortSignal) =>
    new Promise<void>((_resolve, reject) => {
      clock.sleeps.push(ms);
      entered();
      signal?.addEventListener("abort", () => reject(new Error("sleep aborted")), { once: true });
    });
  return clock;
}

/** Builds a client from the vendor's valid options and overrides (after `server.listen()`). */
export function client(vendor: VendorId, overrides: Record<string, unknown> = {}): AnyClient {
  // These fakes serve one chain of pages whatever the time filter says, so the parallel time
  // slices of Zendesk and JITSudo (which rely on it) are off: one chain, as the tests count it.
  const slicing = vendor === "zendesk" || vendor === "jitsudo" ? { concurrency: 1 } : {};
  return createClient({ vendor, ...OPTIONS[vendor], clock: fakeClock(), ...slicing, ...overrides } as unknown as ClientOptions);
}

export interface Seen {
  url: URL;
  headers: Headers;
}

/**
 * Serves the vendor's host with `reply` (called with the request and its 1-based number) and
 * records every request; any other host answers nothing (the server errors on it).
 */
export function serve(server: SetupServer, vendor: VendorId, reply: (request: Request, n: number) => Response | Promise<Response>, origin = ORIGIN[vendor]): Seen[] {
  const seen: Seen[] = [];
  server.use(
    http.all(`${origin}/*`, ({ request }) => {
      seen.push({ url: new URL(request.url), headers: new Headers(request.headers) });
      return reply(request, seen.length);
    }),
  );
  return seen;
}

/** A host that must never be asked: every request to it is recorded. */
export function evilHost(server: SetupServer, origin = "https://evil.example.net"): Seen[] {
  const seen: Seen[] = [];
  server.use(
    http.all(`${origin}/*`, ({ request }) => {
      seen.push({ url: new URL(request.url), headers: new Headers(request.headers) });
      return HttpResponse.json({});
    }),
  );
  return seen;
}

/** The error a promise rejects with (fails the test if it resolves). */
export async function rejectionOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected the promise to reject, it resolved");
}

/** The error a function throws synchronously (fails the test if it does not). */
export function thrownBy(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected a throw, nothing was thrown");
}

/** Reads the vendor's RANGE to the end (or the first error), collecting up to `limit` events. */
export function readAll(c: AnyClient, params: Record<string, unknown> = {}, limit = 10_000) {
  return (c.events as (p: Record<string, unknown>) => { toArray(o: { limit: number }): Promise<Array<{ id: string }>> })({ ...RANGE, ...params }).toArray({ limit });
}

/**
 * The JSON body of a GET sent over node:http (Datafold): msw's Request has a null body on GET,
 * the raw stream is reachable through @mswjs/interceptors. Undefined for a fetch request.
 */
export async function getBody(request: Request): Promise<string | undefined> {
  const { getClientRequestBodyStream } = (await import("@mswjs/interceptors/utils/node")) as {
    getClientRequestBodyStream(request: Request): NodeJS.ReadableStream;
  };
  let stream: NodeJS.ReadableStream;
  try {
    stream = getClientRequestBodyStream(request);
  } catch {
    return undefined;
  }
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string));
  return Buffer.concat(chunks).toString("utf8");
}

/**
 * A fetch that counts the requests in flight at once, as the server sees them. `onAnswer` sees
 * each response before its request stops counting as in flight.
 */
export function countingFetch(onAnswer?: (response: Response) => Promise<void>): { counter: { inFlight: number; max: number; requests: number }; fetch: typeof fetch } {
  const counter = { inFlight: 0, max: 0, requests: 0 };
  const fetchFn: typeof fetch = async (input, init) => {
    counter.inFlight += 1;
    counter.requests += 1;
    counter.max = Math.max(counter.max, counter.inFlight);
    try {
      const response = await fetch(input, init);
      await onAnswer?.(response);
      return response;
    } finally {
      counter.inFlight -= 1;
    }
  };
  return { counter, fetch: fetchFn };
}

/** Every expected id exactly once, and the events in time order (across slices, pages or windows). */
export function expectExactlyOnce(events: AuditEvent[], expectedIds: string[]): void {
  const ids = events.map((e) => e.id);
  expect(new Set(ids).size).toBe(ids.length);
  expect([...ids].sort()).toEqual([...expectedIds].sort());
  const times = events.map((e) => Date.parse(e.occurredAt));
  for (let i = 1; i < times.length; i++) expect(times[i]!).toBeGreaterThanOrEqual(times[i - 1]!);
}

/** Waits for `condition`, polling; false if it has not held after `ms` (a deadline, not a measured time). */
export async function eventually(condition: () => boolean, ms = 10_000): Promise<boolean> {
  for (const deadline = Date.now() + ms; Date.now() < deadline; ) {
    if (condition()) return true;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return condition();
}

/** A Datafold log's `timestamp` for an epoch-ms time, as Datafold writes it (µs digits, `+00:00`). */
export const datafoldTimestamp = (ms: number): string => `${new Date(ms).toISOString().slice(0, 23)}000+00:00`;

/**
 * A Datafold-shaped server on 127.0.0.1 (a GET with a JSON body, which msw cannot see): each
 * request's `{ start_date, end_date }` → `{ logs: answer(body) }`. Idle sockets stay open longer
 * than any pause between reads: a socket the server closes as the client reuses it is a reset,
 * not what these tests are about.
 */
export async function datafoldBodyServer(answer: (body: { start_date: string; end_date: string }) => unknown[]): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    let text = "";
    req.setEncoding("utf8").on("data", (chunk: string) => (text += chunk));
    req.on("end", () => {
      const logs = answer(JSON.parse(text || "{}") as { start_date: string; end_date: string });
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ logs }));
    });
  });
  server.keepAliveTimeout = 120_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
