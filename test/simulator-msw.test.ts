// The simulator through msw, on the vendors' real hosts, never reaching the network
// (onUnhandledRequest: "error"): full reads with fetch, Datafold's GET body over node:https
// (msw's ClientRequest interceptor), faults as msw shows them, msw loaded only when handlers are
// read, and a CommonJS build reading GET bodies too.
import { execFileSync } from "node:child_process";
import Module from "node:module";
import { build } from "esbuild";
import { setupServer } from "msw/node";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createSimulator } from "../src/testing/index.js";
import { VENDOR_IDS, type VendorId } from "../src/core/vendor-id.js";
import { authHeaders, distinct, get, PATHS, readAll, type Reply } from "./simulator-fixtures.js";

const HOSTS: Record<VendorId, string> = {
  pylon: "https://api.usepylon.com",
  zendesk: "https://acme.zendesk.com",
  cortex: "https://api.getcortexapp.com",
  datafold: "https://app.datafold.com",
  jitsudo: "https://jitsudo.example.com",
};
const COUNT = 60;
const sim = createSimulator({ eventsPerVendor: COUNT, seed: 13, rateLimit: false });
const server = setupServer(...sim.handlers);
beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
afterAll(() => server.close());

const auth = (vendor: VendorId) => authHeaders(vendor, sim.credentials);

/** fetch for every vendor but Datafold, whose GET body needs node:http(s). */
function fetcher(vendor: VendorId) {
  return async (url: string, body?: string): Promise<Reply> => {
    if (vendor === "datafold") return get(url, auth(vendor), body);
    const response = await fetch(url, { headers: auth(vendor) });
    return { status: response.status, headers: Object.fromEntries(response.headers), text: await response.text() };
  };
}

describe.each(VENDOR_IDS)("%s over msw", (vendor) => {
  test("a full read by hand on the vendor's real host returns every record once, every page valid", async () => {
    const records = await readAll(vendor, HOSTS[vendor], fetcher(vendor), 20);
    expect(records).toEqual(sim.events[vendor]);
    expect(distinct(records)).toBe(COUNT);
  });

  test("another vendor's path on this host is the simulator's 404", async () => {
    const other = VENDOR_IDS.find((v) => v !== vendor && v !== "datafold")!;
    const response = await fetch(`${HOSTS[vendor]}${PATHS[other]}`, { headers: auth(other) });
    expect(response.status).toBe(404);
  });
});

describe("Datafold's GET body through msw", () => {
  const events = sim.events.datafold;

  test("reaches the fake: the body's range selects the logs", async () => {
    const body = JSON.stringify({ start_date: events[5]!.timestamp, end_date: events[9]!.timestamp });
    const reply = await get(`${HOSTS.datafold}${PATHS.datafold}`, auth("datafold"), body);
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.text).logs).toEqual(events.slice(5, 10));
  });

  test("a bad body is the 422; no body gives everything", async () => {
    expect((await get(`${HOSTS.datafold}${PATHS.datafold}`, auth("datafold"), '{"start_date": 3}')).status).toBe(422);
    expect(JSON.parse((await get(`${HOSTS.datafold}${PATHS.datafold}`, auth("datafold"))).text).logs).toHaveLength(COUNT);
  });
});

describe("msw specifics", () => {
  test("Zendesk's links.next stays on acme.zendesk.com", async () => {
    const page = (await (await fetch(`${HOSTS.zendesk}${PATHS.zendesk}?page[size]=10&sort=created_at`, { headers: auth("zendesk") })).json()) as { links: { next: string } };
    expect(new URL(page.links.next).origin).toBe(HOSTS.zendesk);
  });

  test("credentials point at the real hosts; JITSudo's baseUrl is jitsudo.example.com", () => {
    expect(sim.credentials.zendesk.subdomain).toBe("acme");
    expect(sim.credentials.jitsudo.baseUrl).toBe(HOSTS.jitsudo);
  });

  test("faults: a reset rejects fetch, a truncated body does not parse, a 429 carries the vendor's signal", async () => {
    const faulty = (kind: "reset" | "truncate" | "429") => createSimulator({ vendors: ["cortex"], eventsPerVendor: 5, rateLimit: false, faults: { rate: 1, kinds: [kind] } });
    const url = `${HOSTS.cortex}${PATHS.cortex}`;
    const headers = auth("cortex");
    server.use(...faulty("reset").handlers);
    await expect(fetch(url, { headers })).rejects.toThrow(TypeError);
    server.use(...faulty("truncate").handlers);
    const cut = await fetch(url, { headers });
    expect(cut.status).toBe(200);
    await expect(cut.json()).rejects.toThrow();
    server.use(...faulty("429").handlers);
    const limited = await fetch(url, { headers });
    expect(limited.status).toBe(429);
    expect(limited.headers.get("content-type")).toBe("application/problem+json");
    server.resetHandlers();
  });

  test("handlers cover only the simulated vendors", () => {
    expect(createSimulator({ vendors: ["pylon", "cortex"], eventsPerVendor: 0 }).handlers).toHaveLength(2);
  });

  test("msw is loaded when handlers are first read, never before", async () => {
    const loader = Module as unknown as { _load: (request: string, ...rest: unknown[]) => unknown };
    const original = loader._load;
    const requested: string[] = [];
    loader._load = function (request, ...rest) {
      requested.push(request);
      return original.call(this, request, ...rest);
    };
    try {
      const s = createSimulator({ vendors: ["pylon"], eventsPerVendor: 1 });
      await s.handle(new Request(`${HOSTS.pylon}${PATHS.pylon}`, { headers: authHeaders("pylon", s.credentials) }));
      await (await s.listen()).close();
      expect(requested.filter((r) => r.startsWith("msw"))).toEqual([]);
      const handlers = s.handlers;
      expect(requested.filter((r) => r.startsWith("msw"))).toEqual(["msw"]);
      expect(s.handlers).toBe(handlers);
    } finally {
      loader._load = original;
    }
  });
});

describe("auditlogs/testing built as CommonJS", () => {
  // Bundled the way tsup bundles it (esbuild, CommonJS, import.meta.url shimmed, msw external,
  // and import() turned into require(), as tsup's CommonJS output does), into
  // node_modules/.cache so the bundle resolves msw; faster than the full build.
  const bundle = "node_modules/.cache/auditlogs-simulator-test/testing.cjs";
  beforeAll(async () => {
    await build({
      entryPoints: ["src/testing/index.ts"],
      outfile: bundle,
      bundle: true,
      format: "cjs",
      platform: "node",
      target: "node20",
      external: ["msw", "@mswjs/interceptors"],
      define: { "import.meta.url": "importMetaUrl" },
      banner: { js: 'const importMetaUrl = require("node:url").pathToFileURL(__filename).href;' },
      supported: { "dynamic-import": false },
      logLevel: "silent",
    });
  });

  test("with msw required too, Datafold's GET body reaches the fake", () => {
    const script = `
      const { setupServer } = require("msw/node");
      const { createSimulator } = require(${JSON.stringify(`./${bundle}`)});
      const https = require("node:https");
      const sim = createSimulator({ vendors: ["datafold"], eventsPerVendor: 30, rateLimit: false });
      const server = setupServer(...sim.handlers);
      server.listen({ onUnhandledRequest: "error" });
      const logs = sim.events.datafold;
      const body = JSON.stringify({ start_date: logs[3].timestamp, end_date: logs[6].timestamp });
      const req = https.request("https://app.datafold.com/api/v1/audit_logs", {
        method: "GET",
        headers: { authorization: "Key " + sim.credentials.datafold.apiKey, "content-type": "application/json", "content-length": Buffer.byteLength(body) },
      }, (res) => {
        let text = "";
        res.on("data", (c) => (text += c));
        res.on("end", () => { console.log(JSON.stringify(JSON.parse(text).logs.length)); server.close(); });
      });
      req.end(body);
    `;
    expect(JSON.parse(execFileSync(process.execPath, ["-e", script], { encoding: "utf8", timeout: 60_000 }))).toBe(4);
  });
});
