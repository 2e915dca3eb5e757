// The simulator on loopback (listen()), against the vendors' specs and documented behaviour:
// full reads by hand with every page valid against the vendor's OpenAPI schema, auth failures in
// the vendor's own error shape, page-size limits, stable cursors, rate limits with each vendor's
// 429 signal, determinism, and the options it refuses.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createSimulator, type Simulator, type SimulatorServer } from "../src/testing/index.js";
import { VENDOR_IDS, type VendorId } from "../src/core/vendor-id.js";
import { authHeaders, distinct, flush, get, heldClock, PATHS, readAll, settles, SPECS, specValidator } from "./simulator-fixtures.js";

const COUNT = 120;
const sim = createSimulator({ eventsPerVendor: COUNT, seed: 3, rateLimit: false });
let server: SimulatorServer;
beforeAll(async () => {
  server = await sim.listen();
});
afterAll(() => server.close());

const auth = (vendor: VendorId) => authHeaders(vendor, sim.credentials);
const url = (vendor: VendorId, query = "") => `${server.url}${PATHS[vendor]}${query}`;
const body = (text: string) => JSON.parse(text) as Record<string, any>;

/** One request straight to the dispatcher, authenticated, on any origin. */
function send(s: Simulator, vendor: VendorId, query = ""): Promise<Response> {
  return s.handle(new Request(`https://example.test${PATHS[vendor]}${query}`, { headers: authHeaders(vendor, s.credentials) }));
}

/** Each vendor's error body for a 401, the key that shows its shape. */
const ERROR_SHAPE: Record<VendorId, (b: Record<string, any>) => void> = {
  pylon: (b) => expect(b).toEqual({ errors: [expect.any(String)], request_id: expect.any(String) }),
  zendesk: (b) => expect(b).toEqual({ error: "Couldn't authenticate you" }),
  cortex: (b) => expect(b).toEqual({ type: "UNAUTHORIZED", message: expect.any(String), httpStatus: 401, requestId: expect.any(String) }),
  datafold: (b) => expect(b).toEqual({ detail: expect.any(String) }),
  jitsudo: (b) => expect(b).toEqual({ code: "unauthenticated", message: expect.any(String) }),
};

/** Wrong credentials: the same headers with every value changed (the tenant id left alone). */
function wrongAuth(vendor: VendorId): Record<string, string> {
  return Object.fromEntries(Object.entries(auth(vendor)).map(([name, value]) => [name, name === "x-tenant-id" ? value : `${value}x`]));
}

describe.each(VENDOR_IDS)("%s", (vendor) => {
  test("a full read by hand returns every record once, oldest first, every page valid against the vendor's spec", async () => {
    const records = await readAll(vendor, server.url, (u, b) => get(u, auth(vendor), b));
    expect(records).toHaveLength(COUNT);
    expect(distinct(records)).toBe(COUNT);
    expect(records).toEqual(sim.events[vendor]);
    // The validator is not a rubber stamp.
    expect(specValidator(vendor, SPECS[vendor].page)({ data: 1, audit_logs: 1, logs: 1, pagination: 1, meta: 1, has_more: "no" })).not.toBe("");
  });

  test("wrong or missing credentials get 401 in the vendor's own error shape, valid against its spec", async () => {
    for (const headers of [wrongAuth(vendor), {}]) {
      const reply = await get(url(vendor), headers, vendor === "datafold" ? "{}" : undefined);
      expect(reply.status).toBe(401);
      const error = body(reply.text);
      ERROR_SHAPE[vendor](error);
      const schema = SPECS[vendor].error;
      if (schema) expect(specValidator(vendor, schema)(error)).toBe("");
    }
  });

  test("request ids: Pylon's in the body, every vendor's in X-Request-Id", async () => {
    const ok = await get(url(vendor), auth(vendor), vendor === "datafold" ? "{}" : undefined);
    const denied = await get(url(vendor), wrongAuth(vendor));
    for (const reply of [ok, denied]) expect(reply.headers["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
    if (vendor === "pylon") expect(body(ok.text).request_id).toBe(ok.headers["x-request-id"]);
  });

  test("the same seed and endAt give the same data, whichever other vendors are simulated", () => {
    const options = { eventsPerVendor: 40, seed: 11, endAt: "2026-06-01T00:00:00Z" };
    const once = createSimulator(options).events[vendor];
    expect(createSimulator({ ...options, vendors: [vendor] }).events[vendor]).toEqual(once);
    expect(createSimulator({ ...options, seed: 12 }).events[vendor]).not.toEqual(once);
    const times = once.map((record) => Date.parse(String(Object.values(record).find((v) => typeof v === "string" && /^\d{4}-\d\d-\d\dT/.test(v)))));
    expect(times.every((t) => t < Date.parse(options.endAt) && t >= Date.parse(options.endAt) - 7 * 86_400_000)).toBe(true);
  });

  test("the vendor's 429 once its rate limit is spent", async () => {
    const limited = createSimulator({ vendors: [vendor], eventsPerVendor: 3, rateLimit: { [vendor]: 2 }, clock: heldClock() });
    const s = await limited.listen();
    try {
      const send = () => get(`${s.url}${PATHS[vendor]}`, authHeaders(vendor, limited.credentials), vendor === "datafold" ? "{}" : undefined);
      const replies = [await send(), await send(), await send()];
      expect(replies.map((r) => r.status)).toEqual([200, 200, 429]);
      const last = replies[2]!;
      const wait = Number(last.headers[vendor === "pylon" ? "x-retry-after" : "retry-after"]);
      // Two a minute, the clock standing still: the next token is 30 s away.
      expect(wait).toBe(30);
      if (vendor === "pylon") expect(body(last.text)).toMatchObject({ errors: [expect.any(String)], request_id: expect.any(String) });
      if (vendor === "zendesk") {
        expect(last.headers["content-type"]).toMatch(/^text\/plain/);
        expect(last.text).toBe("Number of allowed API requests per minute exceeded");
      }
      if (vendor === "cortex") {
        expect(last.headers["content-type"]).toBe("application/problem+json");
        expect(body(last.text)).toMatchObject({ status: 429, retryAfter: wait });
        expect(specValidator("cortex", "TooManyRequestsProblemDetail")(body(last.text))).toBe("");
      }
      if (vendor === "datafold") expect(body(last.text)).toEqual({ detail: expect.any(String) });
      if (vendor === "jitsudo") expect(specValidator("jitsudo", "Error")(body(last.text))).toBe("");
      expect(limited.stats.rateLimited[vendor]).toBe(1);
      expect(limited.stats.requests[vendor]).toBe(3);
    } finally {
      await s.close();
    }
  });
});

describe("documented rate limits are the defaults", () => {
  test.each([
    ["pylon", 60],
    ["zendesk", 700],
    ["cortex", 1000],
  ] as const)("%s allows %i requests a minute, then 429", async (vendor, perMinute) => {
    // The clock stands still while the requests are answered, so the bucket does not refill.
    const clock = heldClock();
    const limited = createSimulator({ vendors: [vendor], eventsPerVendor: 1, clock });
    const statuses = (await Promise.all(Array.from({ length: perMinute + 20 }, () => send(limited, vendor)))).map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(perMinute);
    expect(statuses.slice(perMinute).every((s) => s === 429)).toBe(true);
    // It refills continuously: one more request a 60/perMinute seconds later.
    clock.t += Math.ceil(60_000 / perMinute);
    expect((await send(limited, vendor)).status).toBe(200);
    expect((await send(limited, vendor)).status).toBe(429);
  });

  test("Datafold and JITSudo have none; rateLimit: false (for all or one vendor) turns it off", async () => {
    for (const [vendor, rateLimit] of [["datafold", undefined], ["jitsudo", undefined], ["pylon", false], ["pylon", { pylon: false }]] as const) {
      const s = createSimulator({ vendors: [vendor], eventsPerVendor: 1, rateLimit });
      const replies = await Promise.all(Array.from({ length: 80 }, () => send(s, vendor)));
      expect(replies.every((r) => r.status === 200)).toBe(true);
    }
  });
});

describe("page sizes", () => {
  test.each([
    ["pylon", "?limit=0", 400],
    ["pylon", "?limit=1000", 400],
    ["pylon", "?limit=abc", 400],
    ["pylon", "?limit=999", 200],
    ["zendesk", "?page[size]=101", 400],
    ["zendesk", "?page[size]=0", 400],
    ["zendesk", "?page[size]=100", 200],
    ["cortex", "?pageSize=1001", 400],
    ["cortex", "?pageSize=0", 400],
    ["cortex", "?page=-1", 400],
    ["cortex", "?pageSize=1000", 200],
    ["jitsudo", "?limit=0", 400],
    ["jitsudo", "?limit=1000", 200],
  ] as const)("%s %s → %i", async (vendor, query, status) => {
    const reply = await get(url(vendor, query), auth(vendor));
    expect(reply.status).toBe(status);
    const schema = SPECS[vendor].error;
    if (status === 400 && schema) expect(specValidator(vendor, schema)(body(reply.text))).toBe("");
  });

  test("defaults: Pylon 100, Zendesk 100, Cortex 250, JITSudo 50", async () => {
    const big = createSimulator({ vendors: ["pylon", "zendesk", "cortex", "jitsudo"], eventsPerVendor: 300, rateLimit: false });
    const count = async (vendor: VendorId, key: string) => (body(await (await send(big, vendor)).text())[key] as unknown[]).length;
    expect(await count("pylon", "data")).toBe(100);
    expect(await count("zendesk", "audit_logs")).toBe(100);
    expect(await count("cortex", "logs")).toBe(250);
    expect(await count("jitsudo", "data")).toBe(50);
  });
});

describe("cursors are opaque and stable", () => {
  test.each([
    ["pylon", "?limit=10", (b: Record<string, any>) => b.pagination.cursor as string, "cursor"],
    ["zendesk", "?page[size]=10&sort=created_at", (b: Record<string, any>) => b.meta.after_cursor as string, "page[after]"],
    ["jitsudo", "?limit=10", (b: Record<string, any>) => b.next_cursor as string, "cursor"],
  ] as const)("%s: re-using a cursor re-reads the same page; a made-up one is a 400", async (vendor, first, cursorOf, param) => {
    const cursor = cursorOf(body((await get(url(vendor, first), auth(vendor))).text));
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    const again = `${first}&${param}=${encodeURIComponent(cursor)}`;
    const [a, b] = [await get(url(vendor, again), auth(vendor)), await get(url(vendor, again), auth(vendor))];
    expect(a.status).toBe(200);
    const { request_id: _a, ...pageA } = body(a.text);
    const { request_id: _b, ...pageB } = body(b.text);
    expect(pageA).toEqual(pageB);
    const bad = await get(url(vendor, `${first}&${param}=not-a-cursor`), auth(vendor));
    expect(bad.status).toBe(400);
  });

  test("Cortex: a page number re-reads the same page; past the last page, an empty one", async () => {
    const [a, b] = [await get(url("cortex", "?page=2&pageSize=10"), auth("cortex")), await get(url("cortex", "?page=2&pageSize=10"), auth("cortex"))];
    expect(body(a.text)).toEqual(body(b.text));
    expect(body(a.text)).toMatchObject({ page: 2, total: COUNT, totalPages: 12 });
    expect(body((await get(url("cortex", "?page=12&pageSize=10"), auth("cortex"))).text)).toEqual({ logs: [], page: 12, total: COUNT, totalPages: 12 });
  });
});

describe("options", () => {
  test("bad options are refused, naming the option", () => {
    expect(() => createSimulator({ vendors: ["nope" as VendorId] })).toThrow(/unknown vendor "nope"/);
    expect(() => createSimulator({ eventsPerVendor: -1 })).toThrow(/eventsPerVendor/);
    expect(() => createSimulator({ eventsPerVendor: { pylon: 1.5 } })).toThrow(/eventsPerVendor/);
    expect(() => createSimulator({ endAt: "yesterday" })).toThrow(/endAt/);
    expect(() => createSimulator({ spanDays: 0 })).toThrow(/spanDays/);
    expect(() => createSimulator({ faults: { rate: 2 } })).toThrow(/faults.rate/);
    expect(() => createSimulator({ faults: { rate: 0.1, kinds: ["404" as "500"] } })).toThrow(/faults.kinds/);
    expect(() => createSimulator({ faults: { rate: 0.1, burst: 0 } })).toThrow(/faults.burst/);
    expect(() => createSimulator({ latencyMs: -5 })).toThrow(/latencyMs/);
    expect(() => createSimulator({ rateLimit: { pylon: 0 } })).toThrow(/rateLimit.pylon/);
    expect(() => createSimulator({ datafoldMaxLogs: -1 })).toThrow(/datafoldMaxLogs/);
    // A misspelt option is refused, not run on the defaults.
    expect(() => createSimulator({ eventsPerVendr: 5 } as never)).toThrow(/^createSimulator: eventsPerVendr is not an option: did you mean eventsPerVendor\? \(its options: vendors, /);
    expect(() => createSimulator({ latency: 5 } as never)).toThrow(/^createSimulator: latency is not an option: did you mean latencyMs\? /);
    expect(() => createSimulator({ bogus: 5 } as never)).toThrow(/^createSimulator: bogus is not an option \(its options: /);
    expect(createSimulator({ eventsPerVendor: 1, seed: undefined }).events.pylon).toHaveLength(1);
  });

  test("defaults: all five vendors, 250 events each, over the 7 days before the clock's now − 5 min", () => {
    const clock = heldClock();
    const s = createSimulator({ clock });
    for (const vendor of VENDOR_IDS) expect(s.events[vendor]).toHaveLength(250);
    const newest = Date.parse(s.events.cortex.at(-1)!.timestamp);
    const oldest = Date.parse(s.events.cortex[0]!.timestamp);
    expect(newest).toBeLessThan(clock.t - 5 * 60_000);
    expect(oldest).toBeGreaterThanOrEqual(clock.t - 5 * 60_000 - 7 * 86_400_000);
  });

  test("eventsPerVendor per vendor, and only the vendors asked for are served", async () => {
    const s = createSimulator({ vendors: ["pylon", "cortex"], eventsPerVendor: { pylon: 3, cortex: 0 } });
    expect(s.events.pylon).toHaveLength(3);
    expect(s.events.cortex).toHaveLength(0);
    expect(s.events.zendesk).toHaveLength(0);
    expect((await send(s, "zendesk")).status).toBe(404);
    expect(() => s.addEvents("zendesk", 1)).toThrow(/not simulated/);
  });

  test("latencyMs delays every response on the simulator's clock, per vendor when given so", async () => {
    const clock = heldClock();
    const s = createSimulator({ vendors: ["pylon", "jitsudo"], eventsPerVendor: 1, rateLimit: false, latencyMs: { jitsudo: 80 }, clock });
    const answered = settles(send(s, "jitsudo"));
    await flush();
    expect(clock.sleeps).toEqual([80]);
    expect(answered.done).toBe(false);
    clock.release();
    expect((await answered.promise).status).toBe(200);
    // No latency for Pylon: answered without sleeping.
    expect((await send(s, "pylon")).status).toBe(200);
    expect(clock.sleeps).toEqual([80]);
  });

  test("unknown paths are 404 and other methods 405; listen() takes a port", async () => {
    expect((await get(`${server.url}/api/v3/nothing`, {})).status).toBe(404);
    const post = await sim.handle(new Request(url("pylon"), { method: "POST", headers: auth("pylon") }));
    expect(post.status).toBe(405);
    expect(post.headers.get("allow")).toBe("GET");
    const probe = await createSimulator({ vendors: ["pylon"], eventsPerVendor: 0 }).listen();
    const port = Number(new URL(probe.url).port);
    await probe.close();
    const fixed = await createSimulator({ vendors: ["pylon"], eventsPerVendor: 0 }).listen({ port });
    try {
      expect(fixed.url).toBe(`http://127.0.0.1:${port}`);
      expect(fixed.credentials.jitsudo.baseUrl).toBe(fixed.url);
      expect(fixed.credentials.zendesk).toMatchObject({ subdomain: "acme", baseUrl: fixed.url });
    } finally {
      await fixed.close();
    }
  });
});
