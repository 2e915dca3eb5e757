// Faults and events that arrive late: every fault kind as the vendor would show it, drawn from a
// seeded PRNG, never corrupting state (a client that retries gets every event exactly once), and
// addEvents inserting in the past or appending now.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createSimulator, type FaultKind, type Simulator, type SimulatorServer } from "../src/testing/index.js";
import { VENDOR_IDS, type VendorId } from "../src/core/vendor-id.js";
import { authHeaders, distinct, flush, get, heldClock, PATHS, readAll, settles, type Reply } from "./simulator-fixtures.js";

const ORIGIN = "https://example.test";
const send = (s: Simulator, vendor: VendorId, query = "") => s.handle(new Request(`${ORIGIN}${PATHS[vendor]}${query}`, { headers: authHeaders(vendor, s.credentials) }));
const END_AT = "2026-06-01T00:00:00Z";
const faulty = (kind: FaultKind, extra: { burst?: number; slowMs?: number } = {}) => createSimulator({ eventsPerVendor: 5, endAt: END_AT, rateLimit: false, faults: { rate: 1, kinds: [kind], ...extra } });

/** The key each vendor's error body has. */
const ERROR_KEY: Record<VendorId, string> = { pylon: "errors", zendesk: "error", cortex: "type", datafold: "detail", jitsudo: "code" };

describe.each(VENDOR_IDS)("%s faults", (vendor) => {
  test("an injected 429 is the vendor's own signal with a wait of 0, so retries stay fast", async () => {
    const s = faulty("429");
    const response = await send(s, vendor);
    expect(response.status).toBe(429);
    expect(response.headers.get(vendor === "pylon" ? "x-retry-after" : "retry-after")).toBe("0");
    const text = await response.text();
    if (vendor === "zendesk") expect(text).toBe("Number of allowed API requests per minute exceeded");
    else expect(JSON.parse(text)).toHaveProperty(vendor === "cortex" ? "retryAfter" : ERROR_KEY[vendor]);
    expect(s.stats.faults[vendor]).toBe(1);
    expect(s.stats.rateLimited[vendor]).toBe(0);
  });

  test.each(["500", "502", "503"] as const)("an injected %s has the vendor's error body", async (kind) => {
    const response = await send(faulty(kind), vendor);
    expect(response.status).toBe(Number(kind));
    expect(response.headers.get("x-request-id")).toBeTruthy();
    expect(await response.json()).toHaveProperty(ERROR_KEY[vendor]);
  });

  test("truncate: a 200 whose JSON is cut in half", async () => {
    const s = faulty("truncate");
    const response = await send(s, vendor);
    expect(response.status).toBe(200);
    const text = await response.text();
    // The same page from the same data, without the fault (request ids have one length).
    const full = await (await send(createSimulator({ eventsPerVendor: 5, endAt: END_AT, rateLimit: false }), vendor)).text();
    expect(text.length).toBe(Math.floor(full.length / 2));
    expect(full.startsWith(text)).toBe(true);
    expect(() => JSON.parse(text)).toThrow();
  });

  test("reset: a network error", async () => {
    const response = await send(faulty("reset"), vendor);
    expect(response.type).toBe("error");
  });
});

describe("faults on loopback", () => {
  const kinds = ["reset", "truncate"] as const;
  const servers: SimulatorServer[] = [];
  afterAll(() => Promise.all(servers.map((s) => s.close())));
  const serve = async (s: Simulator) => {
    const server = await s.listen();
    servers.push(server);
    return server;
  };

  test.each(kinds)("%s: the client sees the connection fail", async (kind) => {
    const s = faulty(kind);
    const server = await serve(s);
    await expect(get(`${server.url}${PATHS.pylon}`, authHeaders("pylon", s.credentials))).rejects.toThrow();
  });

  test("truncate announces the full length and sends half", async () => {
    const s = faulty("truncate");
    const server = await serve(s);
    const { request } = await import("node:http");
    const received = await new Promise<{ length: number; got: number }>((resolve) => {
      request(`${server.url}${PATHS.jitsudo}`, { headers: authHeaders("jitsudo", s.credentials) }, (res) => {
        let got = 0;
        res.on("data", (chunk: Buffer) => (got += chunk.length));
        res.on("error", () => undefined);
        res.on("close", () => resolve({ length: Number(res.headers["content-length"]), got }));
      }).end();
    });
    expect(received.got).toBe(Math.floor(received.length / 2));
  });

  test("slow: the response waits slowMs on the simulator's clock, then is a normal answer", async () => {
    const clock = heldClock();
    const s = createSimulator({ eventsPerVendor: 5, endAt: END_AT, rateLimit: false, faults: { rate: 1, kinds: ["slow"], slowMs: 120 }, clock });
    const answered = settles(send(s, "cortex"));
    await flush();
    expect(clock.sleeps).toEqual([120]);
    expect(answered.done).toBe(false);
    clock.release();
    const reply = await answered.promise;
    expect(reply.status).toBe(200);
    expect(((await reply.json()) as { logs: unknown[] }).logs).toHaveLength(5);
    expect(s.stats.faults.cortex).toBe(1);
  });

  test("faults serve nothing and change nothing: a client that retries reads every event of every vendor exactly once", async () => {
    const s = createSimulator({ eventsPerVendor: 150, seed: 21, rateLimit: false, faults: { rate: 0.35, slowMs: 5, burst: 2 } });
    const server = await serve(s);
    for (const vendor of VENDOR_IDS) {
      const retrying = async (url: string, body?: string): Promise<Reply> => {
        for (let attempt = 1; ; attempt++) {
          const reply = await get(url, authHeaders(vendor, s.credentials), body).catch(() => undefined);
          if (reply?.status === 200 && isJson(reply.text)) return reply;
          if (attempt > 40) throw new Error(`still failing: ${reply?.status}`);
        }
      };
      const records = await readAll(vendor, server.url, retrying, 10);
      expect(records).toEqual(s.events[vendor]);
      expect(distinct(records)).toBe(150);
    }
    for (const vendor of VENDOR_IDS) expect(s.stats.faults[vendor]).toBeGreaterThan(0);
  });
});

describe("fault draws", () => {
  const statuses = async (s: Simulator, vendor: VendorId, n: number) => {
    const out: number[] = [];
    for (let i = 0; i < n; i++) out.push((await send(s, vendor)).status);
    return out;
  };

  test("a 429 fault repeats for `burst` consecutive requests to its vendor", async () => {
    const s = createSimulator({ vendors: ["cortex", "pylon"], eventsPerVendor: 2, rateLimit: false, faults: { rate: 0.3, kinds: ["429"], burst: 4 } });
    const seen = await statuses(s, "cortex", 60);
    const runs = seen.join(",").split("200").map((run) => run.split(",").filter((x) => x === "429").length).filter((n) => n > 0);
    expect(runs.length).toBeGreaterThan(0);
    expect(runs.every((n) => n % 4 === 0)).toBe(true);
    expect(s.stats.faults.cortex).toBe(seen.filter((x) => x === 429).length);
  });

  test("the same seed meets the same faults; another seed others", async () => {
    const run = (seed: number) => statuses(createSimulator({ vendors: ["jitsudo"], eventsPerVendor: 2, seed, rateLimit: false, faults: { rate: 0.5, kinds: ["500", "503"] } }), "jitsudo", 40);
    const first = await run(5);
    expect(await run(5)).toEqual(first);
    expect(await run(6)).not.toEqual(first);
    expect(new Set(first)).toEqual(new Set([200, 500, 503]));
  });

  test("stats count requests, faults and rate-limited requests per vendor; resetStats zeroes them", async () => {
    const s = createSimulator({ vendors: ["pylon", "zendesk"], eventsPerVendor: 2, rateLimit: { pylon: 1, zendesk: false }, faults: { rate: 0 } });
    await statuses(s, "pylon", 3);
    await statuses(s, "zendesk", 2);
    expect(s.stats).toEqual({
      requests: { pylon: 3, zendesk: 2, cortex: 0, datafold: 0, jitsudo: 0 },
      faults: { pylon: 0, zendesk: 0, cortex: 0, datafold: 0, jitsudo: 0 },
      rateLimited: { pylon: 2, zendesk: 0, cortex: 0, datafold: 0, jitsudo: 0 },
    });
    s.resetStats();
    expect(Object.values(s.stats).every((counter) => Object.values(counter).every((n) => n === 0))).toBe(true);
  });
});

describe("addEvents", () => {
  test("late events are inserted in the past, in time order, and served by the next read", async () => {
    const s = createSimulator({ vendors: ["jitsudo", "zendesk"], eventsPerVendor: 20, seed: 9, rateLimit: false });
    const middle = Date.parse(s.events.jitsudo[10]!.created_at);
    const late = s.addEvents("jitsudo", 2, { occurredAt: new Date(middle + 500) });
    expect(late).toHaveLength(2);
    expect(late.every((e) => e.created_at === s.events.jitsudo[10]!.created_at)).toBe(true);
    expect(s.events.jitsudo.indexOf(late[0]!)).toBe(11);
    expect(s.events.jitsudo.indexOf(late[1]!)).toBe(12);
    expect(s.events.jitsudo).toHaveLength(22);
    const page = (await (await send(s, "jitsudo", "?limit=100")).json()) as { data: unknown[] };
    expect(page.data).toEqual(s.events.jitsudo);
  });

  test("a reader whose cursor has passed a late event's place does not see it; a fresh read does", async () => {
    const s = createSimulator({ vendors: ["pylon"], eventsPerVendor: 20, seed: 4, rateLimit: false });
    const first = (await (await send(s, "pylon", "?limit=10")).json()) as { pagination: { cursor: string } };
    const [late] = s.addEvents("pylon", 1, { occurredAt: s.events.pylon[2]!.action_happened_at ?? s.events.pylon[2]!.created_at! });
    const rest = (await (await send(s, "pylon", `?limit=100&cursor=${first.pagination.cursor}`)).json()) as { data: unknown[] };
    expect(rest.data).toHaveLength(10);
    expect(rest.data).not.toContainEqual(late);
    const fresh = (await (await send(s, "pylon", "?limit=100")).json()) as { data: unknown[] };
    expect(fresh.data).toContainEqual(late);
  });

  test("without occurredAt, events are appended at the clock's now, after everything, even when endAt is in the future", () => {
    const clock = heldClock();
    const s = createSimulator({ vendors: ["cortex"], eventsPerVendor: 10, endAt: new Date(clock.t + 86_400_000), clock });
    const [appended] = s.addEvents("cortex", 1);
    expect(s.events.cortex.at(-1)).toBe(appended);
    const past = createSimulator({ vendors: ["datafold"], eventsPerVendor: 10, clock });
    clock.t += 3_600_000;
    const [now] = past.addEvents("datafold", 1);
    expect(past.events.datafold.at(-1)).toBe(now);
    expect(Date.parse(now!.timestamp)).toBe(clock.t);
    expect(past.addEvents("datafold", 0)).toEqual([]);
  });

  test("bad arguments are refused", () => {
    const s = createSimulator({ vendors: ["pylon"], eventsPerVendor: 1 });
    expect(() => s.addEvents("pylon", -1)).toThrow(/count/);
    expect(() => s.addEvents("pylon", 1, { occurredAt: "whenever" })).toThrow(/occurredAt/);
  });
});

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
