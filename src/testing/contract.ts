/**
 * The contract every vendor passes, the five built-ins and any `defineVendor` vendor alike:
 * auth header exact, page 2 requested, end of list, every event once and schema-valid, `break`
 * stops fetching, 429 retried, 429 without retries a `RateLimitError`, 401 an
 * `AuthenticationError`, a field the vendor adds kept, a malformed envelope refused, a
 * checkpoint mid-run resumes exactly, a finished run's checkpoint is a watermark.
 *
 * Runner-agnostic: pass your runner's `describe`, `test` and `expect` (vitest, jest):
 *
 *   vendorContract({ vendor: okta, fake: oktaFake, options: { domain: "okta.test", apiToken: "t" } }, { describe, test, expect });
 *
 * Each test serves `fake` from a real HTTP server on 127.0.0.1 (nothing beyond Node) and points
 * the client's `baseUrl` at it, so a GET with a body works as it does against the vendor.
 */
import { AuditEventSchema } from "../core/event.js";
import { AuthenticationError, RateLimitError, ResponseValidationError } from "../core/errors.js";
import { requestUrl, type PageContext } from "../core/paginate.js";
import type { Vendor } from "../core/vendor.js";
import type { EventParams } from "../core/run-plan.js";
import { serveFake, type Fake } from "./server.js";

/** One request the client sent, as the contract recorded it. */
export interface RecordedRequest {
  /** The URL requested. */
  url: URL;
  /** The headers sent. */
  headers: Headers;
  /** The body sent (a GET body included), if any. */
  body: string | undefined;
}

/** What the contract is run against. */
export interface VendorContractSubject<V extends Vendor = Vendor> {
  /** The vendor, from `defineVendor` (the built-ins' definitions are exported by their subpaths too). */
  vendor: V;
  /** A fake of the vendor's API: auth, pagination and its list, from a Request (and the body a GET cannot carry) to a Response. */
  fake: Fake;
  /** Client options that authenticate against the fake; `baseUrl` is set by the contract. */
  options: Record<string, unknown>;
  /** Options the fake refuses with 401. Default: `options` with its first secret prefixed `wrong-`. */
  badOptions?: Record<string, unknown>;
  /** `events()` params under which a full read takes at least three requests. Default `{ pageSize: 2 }` when the vendor has pages. */
  params?: EventParams<any>;
  /** How many events a full read yields, when the fake knows. */
  count?: number;
  /** The exact auth headers expected. Default: the definition's `auth(options)`. */
  authHeaders?: Record<string, string>;
  /** Vendor facts about the second request (it asks for the page after the first). */
  secondRequest?(first: RecordedRequest, second: RecordedRequest): void;
}

/** The matchers the contract uses; vitest's and jest's `expect` have them. */
export interface ContractMatchers {
  /** Passes when the value is `expected` (`Object.is`). */
  toBe(expected: unknown): void;
  /** Passes when the value deeply equals `expected`. */
  toEqual(expected: unknown): void;
  /** Passes when the value's `length` is `length`. */
  toHaveLength(length: number): void;
  /** Passes when the value is greater than `n`. */
  toBeGreaterThan(n: number): void;
  /** Passes when the value is at least `n`. */
  toBeGreaterThanOrEqual(n: number): void;
  /** Passes when the value is less than `n`. */
  toBeLessThan(n: number): void;
  /** Passes when the value is at most `n`. */
  toBeLessThanOrEqual(n: number): void;
  /** Passes when the array or string contains `item`. */
  toContain(item: unknown): void;
  /** Passes when the string matches `pattern`. */
  toMatch(pattern: RegExp | string): void;
  /** Passes when the value is `undefined`. */
  toBeUndefined(): void;
  /** The negation of each matcher. */
  not: Omit<ContractMatchers, "not">;
}

/** Your test runner's `describe`, `test` and `expect`. */
export interface ContractRunner {
  /** Groups the contract's tests under `name`. */
  describe(name: string, body: () => void): void;
  /** Registers one contract test. */
  test(name: string, body: () => Promise<void>): void;
  /** Starts an assertion on `actual`; `message` is shown when it fails. */
  expect(actual: unknown, message?: string): ContractMatchers;
}

/** Registers the vendor contract's tests with `runner`, run against `subject.fake`. */
export function vendorContract<V extends Vendor>(subject: VendorContractSubject<V>, runner: ContractRunner): void {
  const { describe, test, expect } = runner;
  const { vendor } = subject;
  const definition = vendor.definition;
  const params: EventParams<any> = subject.params ?? (definition.pageSize ? { pageSize: 2 } : {});

  /** Runs `body` with the fake on a loopback server, every request recorded; `wrap` may answer instead of the fake. */
  const withFake = async <T>(body: (run: Run) => Promise<T>, wrap?: (request: Request, body: string | undefined, fake: Fake, n: number) => Response | Promise<Response>): Promise<T> => {
    const recorded: RecordedRequest[] = [];
    let n = 0;
    const server = await serveFake(async (request, requestBody) => {
      recorded.push({ url: new URL(request.url), headers: new Headers(request.headers), body: requestBody });
      n += 1;
      return wrap ? wrap(request, requestBody, subject.fake, n) : subject.fake(request, requestBody);
    });
    try {
      const client = (overrides: Record<string, unknown> = {}) =>
        vendor.createClient({ ...subject.options, rateLimit: false, maxRetries: 0, ...overrides, baseUrl: server.url } as never);
      return await body({ client, recorded });
    } finally {
      await server.close();
    }
  };
  const readAll = (run: Run, overrides?: Record<string, unknown>, extra: EventParams<any> = {}) => run.client(overrides).events({ ...params, ...extra }).toArray({ limit: 1_000_000 });

  describe(`${vendor.id} contract`, () => {
    test("sends the exact auth header and User-Agent, on the vendor's path", async () => {
      await withFake(async (run) => {
        await run.client().events(params).toArray({ limit: 1 });
        const first = run.recorded[0]!;
        expect(first.url.pathname).toBe(firstPath(vendor));
        const expected = subject.authHeaders ?? definition.auth(subject.options as never);
        for (const [name, value] of Object.entries(expected)) expect(first.headers.get(name)).toBe(value);
        expect(first.headers.get("user-agent") ?? "").toMatch(/^auditlogs\/\d+\.\d+\.\d+/);
      });
    });

    test("reads every event once, requesting page 2 correctly, and stops at the end of the list", async () => {
      await withFake(async (run) => {
        const events = await readAll(run);
        if (subject.count !== undefined) expect(events).toHaveLength(subject.count);
        expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
        expect(run.recorded.length).toBeGreaterThan(2);
        subject.secondRequest?.(run.recorded[0]!, run.recorded[1]!);
        // Nothing is requested after the vendor said there is no more.
        const again = run.recorded.length;
        await readAll(run);
        expect(run.recorded.length).toBe(again * 2);
      });
    });

    test("every event passes AuditEventSchema and keeps its raw record", async () => {
      await withFake(async (run) => {
        const events = await readAll(run);
        expect(events.length).toBeGreaterThan(0);
        for (const event of events) {
          expect(AuditEventSchema.safeParse(event).success).toBe(true);
          expect(event.vendor).toBe(vendor.id);
          expect(event.raw === undefined).toBe(false);
        }
      });
    });

    test("break stops fetching", async () => {
      await withFake(async (run) => {
        await readAll(run);
        const full = run.recorded.length;
        // One chain: with the default read-ahead (several pages or slices at once) a small fake's
        // whole data can be on its way before the first event is handed out.
        const client = run.client({ concurrency: 1 });
        for await (const _event of client.events(params)) break;
        // What the client had sent when the loop ended (a prefetched page may still be on its way).
        const sent = client.stats.requests;
        await new Promise((resolve) => setTimeout(resolve, 100));
        // Only what was in flight when the loop ended, and nothing after.
        expect(sent).toBeLessThan(full);
        expect(client.stats.requests).toBe(sent);
        expect(run.recorded.length - full).toBeLessThanOrEqual(sent);
        // At the default concurrency too, nothing is sent once the loop has ended.
        const parallel = run.client();
        for await (const _event of parallel.events(params)) break;
        const sentInParallel = parallel.stats.requests;
        await new Promise((resolve) => setTimeout(resolve, 100));
        expect(parallel.stats.requests).toBe(sentInParallel);
      });
    });

    test("a 429 is retried and the read completes", async () => {
      const all = await withFake((run) => readAll(run));
      let failed = 0;
      await withFake(
        async (run) => {
          const events = await readAll(run, { maxRetries: 2 });
          expect(failed).toBe(1);
          expect(run.recorded.length).toBeGreaterThan(1);
          expect(events.map((e) => e.id)).toEqual(all.map((e) => e.id));
        },
        (request, body, fake, n) => {
          if (n > 1) return fake(request, body);
          failed += 1;
          return new Response("Too many requests", { status: 429, headers: { "Retry-After": "0" } });
        },
      );
    });

    test("a 429 with no retries left is a RateLimitError", async () => {
      await withFake(
        async (run) => {
          const error = await run.client().events(params).toArray({ limit: 1 }).catch((e: unknown) => e);
          expect(RateLimitError.isInstance(error)).toBe(true);
        },
        () => new Response("slow down", { status: 429, headers: { "Retry-After": "0" } }),
      );
    });

    test("bad credentials are an AuthenticationError", async () => {
      await withFake(async (run) => {
        const bad = run.client(subject.badOptions ?? wrongSecret(vendor, subject.options));
        const error = await bad.events(params).toArray({ limit: 1 }).catch((e: unknown) => e);
        expect(AuthenticationError.isInstance(error)).toBe(true);
        expect((error as AuthenticationError).status).toBe(401);
        expect((error as AuthenticationError).vendor).toBe(vendor.id);
      });
    });

    test("a field the vendor adds is kept in unmapped and raw", async () => {
      let added = false;
      await withFake(
        async (run) => {
          const events = await readAll(run);
          expect(added).toBe(true);
          const event = events.find((e) => (e.raw as Record<string, unknown>).x_new_field !== undefined);
          expect(event === undefined).toBe(false);
          expect(event!.unmapped.x_new_field).toEqual({ added: "by the vendor" });
          expect((event!.raw as Record<string, unknown>).x_new_field).toEqual({ added: "by the vendor" });
        },
        async (request, body, fake) => {
          const response = await fake(request, body);
          if (added || !response.ok) return response;
          // The first record of the first page that has one gets a field no spec knows.
          const json: unknown = await response.json();
          const record = firstRecord(json);
          if (record) {
            record.x_new_field = { added: "by the vendor" };
            added = true;
          }
          const headers = new Headers(response.headers);
          headers.delete("content-length");
          return new Response(JSON.stringify(json), { status: response.status, headers });
        },
      );
    });

    test("a malformed page envelope is a ResponseValidationError naming vendor and request id", async () => {
      await withFake(
        async (run) => {
          const error = await run.client().events(params).toArray({ limit: 1 }).catch((e: unknown) => e);
          expect(ResponseValidationError.isInstance(error)).toBe(true);
          expect((error as ResponseValidationError).vendor).toBe(vendor.id);
          expect((error as ResponseValidationError).requestId).toBe("req-contract-1");
          expect((error as Error).message).toContain(vendor.id);
        },
        () => Response.json({ unexpected: true }, { headers: { "X-Request-Id": "req-contract-1" } }),
      );
    });

    test("a checkpoint mid-run resumes with exactly the rest", async () => {
      await withFake(async (run) => {
        const all = (await readAll(run)).map((e) => e.id);
        expect(all.length).toBeGreaterThan(2);
        const stop = Math.min(17, Math.floor(all.length / 2));
        const stream = run.client().events(params);
        const head: string[] = [];
        for await (const event of stream) if (head.push(event.id) === stop) break;
        const rest = await run.client().events({ ...params, resumeFrom: stream.checkpoint() }).toArray({ limit: 1_000_000 });
        expect([...head, ...rest.map((e) => e.id)]).toEqual(all);
      });
    });

    test("a finished run's checkpoint is a watermark: the next run repeats nothing", async () => {
      await withFake(async (run) => {
        const stream = run.client().events(params);
        const first = await stream.toArray({ limit: 1_000_000 });
        const checkpoint = stream.checkpoint();
        expect(checkpoint.complete).toBe(true);
        expect(checkpoint.vendor).toBe(vendor.id);
        expect(Date.parse(checkpoint.watermark)).toBeLessThanOrEqual(Date.now() - 5 * 60_000 + 1_000);
        const next = await run.client().events({ ...params, resumeFrom: checkpoint }).toArray({ limit: 1_000_000 });
        const seen = new Set(first.map((e) => e.id));
        expect(next.filter((e) => seen.has(e.id))).toEqual([]);
      });
    });
  });
}

interface Run {
  client(overrides?: Record<string, unknown>): ReturnType<Vendor["createClient"]>;
  recorded: RecordedRequest[];
}

/** The path of the first page the definition asks for. */
export function firstPath(vendor: Vendor): string {
  const pagination = vendor.definition.pagination;
  const now = Date.now();
  const origin = "http://127.0.0.1";
  const ctx: PageContext = { vendor: vendor.id, origin, since: now - 86_400_000, until: now, pageSize: undefined, filter: undefined, windowMs: 86_400_000 };
  const state = pagination.start ? pagination.start(ctx)[0] : null;
  return requestUrl(pagination.request(state, ctx), origin).pathname;
}

/** `options` with its first secret (a definition's `secrets`) prefixed `wrong-`. */
function wrongSecret(vendor: Vendor, options: Record<string, unknown>): Record<string, unknown> {
  const copy = structuredClone(options);
  for (const name of vendor.definition.secrets ?? []) {
    const path = name.replace(/\?$/, "").split(".");
    let holder: Record<string, unknown> | undefined = copy;
    for (const key of path.slice(0, -1)) holder = holder?.[key] as Record<string, unknown> | undefined;
    const last = path[path.length - 1]!;
    if (holder && typeof holder[last] === "string") {
      holder[last] = `wrong-${holder[last] as string}`;
      return copy;
    }
  }
  throw new TypeError(`vendorContract: ${vendor.id} declares no secret in options; pass badOptions`);
}

/** The first object in the first non-empty array of objects in `json`, depth first. */
function firstRecord(json: unknown): Record<string, unknown> | undefined {
  if (Array.isArray(json)) {
    if (json.length > 0 && json[0] !== null && typeof json[0] === "object" && !Array.isArray(json[0])) return json[0] as Record<string, unknown>;
    for (const item of json) {
      const found = firstRecord(item);
      if (found) return found;
    }
    return undefined;
  }
  if (json !== null && typeof json === "object") {
    for (const value of Object.values(json)) {
      const found = firstRecord(value);
      if (found) return found;
    }
  }
  return undefined;
}
