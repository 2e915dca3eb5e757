// DESIGN §5: which transport a client's requests take on Node. Without a `fetch` of its own they
// go over node:http(s), which costs less CPU and memory per request than Node's fetch; a
// `globalThis.fetch` replaced since the package loaded (a test's stub, a mock library) is still
// used, as is `fetch` while undici's global dispatcher is not a plain Agent (a proxy's). Against
// the simulator on 127.0.0.1: nothing here reaches the internet.
import http from "node:http";
import zlib from "node:zlib";
import { afterAll, afterEach, beforeAll, describe, expect, test, vi } from "vitest";
import { createPylonClient, createZendeskClient } from "../src/index.js";
import { createSimulator, type SimulatorServer } from "../src/testing/index.js";

const END = Date.parse("2026-03-01T00:00:00Z");
const DAY = 86_400_000;
const params = { since: new Date(END - 5 * DAY), until: new Date(END), pageSize: 50 };
const DISPATCHER = Symbol.for("undici.globalDispatcher.1");

/** Counts the requests made through node:http's `request`. */
function watchNodeHttp(): { count: number } {
  const made = { count: 0 };
  const original = http.request;
  vi.spyOn(http, "request").mockImplementation(((...args: Parameters<typeof http.request>) => {
    made.count += 1;
    return (original as (...a: unknown[]) => http.ClientRequest)(...args);
  }) as typeof http.request);
  return made;
}

async function ids(events: AsyncIterable<{ id: string }>): Promise<string[]> {
  const out: string[] = [];
  for await (const event of events) out.push(event.id);
  return out;
}

describe("transport", () => {
  const sim = createSimulator({ vendors: ["pylon", "zendesk"], eventsPerVendor: 400, seed: 7, endAt: new Date(END), spanDays: 5, rateLimit: false });
  let server: SimulatorServer;
  let expected: { pylon: string[]; zendesk: string[] };
  beforeAll(async () => {
    server = await sim.listen();
    // What a client with fetch of its own reads: the same events whatever the transport.
    expected = {
      pylon: await ids(createPylonClient({ ...server.credentials.pylon, rateLimit: false, fetch: (input, init) => fetch(input, init) }).events(params)),
      zendesk: await ids(createZendeskClient({ ...server.credentials.zendesk, rateLimit: false, fetch: (input, init) => fetch(input, init) }).events(params)),
    };
  });
  afterAll(() => server.close());
  afterEach(() => {
    vi.restoreAllMocks();
    vi.unstubAllGlobals();
  });

  test("without a fetch of its own, a client on Node sends every request over node:http, and reads the same events", async () => {
    expect(expected.pylon.length).toBeGreaterThan(100);
    expect(expected.zendesk.length).toBeGreaterThan(100);
    const made = watchNodeHttp();
    const pylon = createPylonClient({ ...server.credentials.pylon, rateLimit: false });
    expect(await ids(pylon.events(params))).toEqual(expected.pylon);
    const zendesk = createZendeskClient({ ...server.credentials.zendesk, rateLimit: false });
    expect(await ids(zendesk.events(params))).toEqual(expected.zendesk);
    expect(made.count).toBe(pylon.stats.requests + zendesk.stats.requests);
    expect(made.count).toBeGreaterThan(4);
    // Node's own fetch, called in the meantime, installs its default Agent: still node:http.
    await (await fetch(new URL("/", server.url))).text().catch(() => undefined);
    const before = made.count;
    const again = createPylonClient({ ...server.credentials.pylon, rateLimit: false });
    await ids(again.events(params));
    expect(made.count - before).toBe(again.stats.requests);
  });

  test("a fetch of its own is used for every request, node:http for none", async () => {
    const made = watchNodeHttp();
    let calls = 0;
    const own: typeof fetch = (input, init) => {
      calls += 1;
      return fetch(input, init);
    };
    const client = createPylonClient({ ...server.credentials.pylon, rateLimit: false, fetch: own });
    expect(await ids(client.events(params))).toEqual(expected.pylon);
    expect(calls).toBe(client.stats.requests);
    expect(made.count).toBe(0);
  });

  test("a globalThis.fetch replaced after the package loaded (a test's stub) is still the one used", async () => {
    const made = watchNodeHttp();
    const original = globalThis.fetch;
    let calls = 0;
    vi.stubGlobal("fetch", (...args: Parameters<typeof fetch>) => {
      calls += 1;
      return original(...args);
    });
    const client = createZendeskClient({ ...server.credentials.zendesk, rateLimit: false });
    expect(await ids(client.events(params))).toEqual(expected.zendesk);
    expect(calls).toBe(client.stats.requests);
    expect(made.count).toBe(0);
  });

  test("while undici's global dispatcher is not a plain Agent (a proxy's), requests go through fetch and that dispatcher", async () => {
    // Node's fetch installs its default Agent on first use; a ProxyAgent would replace it.
    await (await fetch(new URL("/", server.url))).text().catch(() => undefined);
    const global = globalThis as unknown as Record<symbol, { dispatch: (...args: unknown[]) => unknown } | undefined>;
    const agent = global[DISPATCHER];
    expect(agent?.constructor.name).toBe("Agent");
    let dispatched = 0;
    class ProxyAgent {
      dispatch(...args: unknown[]): unknown {
        dispatched += 1;
        return agent!.dispatch(...args);
      }
    }
    const made = watchNodeHttp();
    global[DISPATCHER] = new ProxyAgent() as never;
    try {
      const client = createPylonClient({ ...server.credentials.pylon, rateLimit: false });
      expect(await ids(client.events(params))).toEqual(expected.pylon);
      expect(dispatched).toBe(client.stats.requests);
      expect(made.count).toBe(0);
    } finally {
      global[DISPATCHER] = agent;
    }
  });

  test("over node:http a compressed answer is decoded, as fetch decodes it", async () => {
    const body = JSON.stringify({ data: [{ id: "evt-1", action: "issue.created", actor: { id: "u1", type: "user" }, created_at: "2026-02-27T00:00:00Z" }], pagination: { has_next_page: false, cursor: "c1" } });
    let gzipped = 0;
    const origin = await new Promise<{ url: string; close: () => Promise<void> }>((resolve) => {
      const srv = http.createServer((req, res) => {
        const gzip = /gzip/.test(String(req.headers["accept-encoding"]));
        if (gzip) gzipped += 1;
        res.writeHead(200, { "content-type": "application/json", ...(gzip ? { "content-encoding": "gzip" } : {}) });
        res.end(gzip ? zlib.gzipSync(body) : body);
      });
      srv.listen(0, "127.0.0.1", () => {
        const { port } = srv.address() as { port: number };
        resolve({ url: `http://127.0.0.1:${port}`, close: () => new Promise((done) => srv.close(() => done())) });
      });
    });
    try {
      const made = watchNodeHttp();
      const client = createPylonClient({ apiToken: "t0k3n", baseUrl: origin.url, rateLimit: false });
      const events = [];
      for await (const event of client.events({ since: new Date(END - 5 * DAY), until: new Date(END) })) events.push(event);
      expect(made.count).toBe(1);
      // The client asked for gzip, and what came compressed was read as the JSON it holds.
      expect(gzipped).toBe(1);
      expect(events.map((e) => e.id)).toEqual(["evt-1"]);
    } finally {
      await origin.close();
    }
  });
});
