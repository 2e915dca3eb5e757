// The simulator against the vendors' specs and documented behaviour: responses validate against
// each spec's schemas, auth fails the vendor's way, limits and filters hold, faults are injected
// without corrupting state, and data is deterministic.
import { readFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { Ajv } from "ajv";
import formats from "ajv-formats";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { parse as parseYaml } from "yaml";
import { createSimulator, type SimulatorServer } from "../src/testing/index.js";
import { VENDOR_IDS, type VendorId } from "../src/core/vendor-id.js";

const SPECS: Record<VendorId, { file: string; page: string; error?: string }> = {
  pylon: { file: "openapi/pylon.json", page: "GetAuditLogsResponseBody", error: "ErrorApiResponseBody" },
  zendesk: { file: "openapi/zendesk.yaml", page: "AuditLogsResponse", error: "ErrorResponse" },
  cortex: { file: "openapi/cortex.json", page: "AuditLogsResponse", error: "TooManyRequestsProblemDetail" },
  datafold: { file: "openapi/datafold.yaml", page: "ApiGetAuditLogs", error: "HTTPValidationError" },
  jitsudo: { file: "openapi/jitsudo.yaml", page: "AuditLogPage", error: "Error" },
};

function validator(vendor: VendorId, schema: string) {
  const { file } = SPECS[vendor];
  const text = readFileSync(file, "utf8");
  const spec = (file.endsWith(".json") ? JSON.parse(text) : parseYaml(text)) as { components: unknown };
  const ajv = new Ajv({ strict: false, allErrors: true });
  // ajv-formats is CommonJS with a default export: NodeNext sees the module object.
  const addFormats = (formats as unknown as { default: (ajv: Ajv) => void }).default ?? (formats as unknown as (ajv: Ajv) => void);
  addFormats(ajv);
  ajv.addSchema({ $id: "spec", components: spec.components });
  const validate = ajv.compile({ $ref: `spec#/components/schemas/${schema}` });
  return (body: unknown) => {
    const ok = validate(body);
    return ok ? "" : ajv.errorsText(validate.errors);
  };
}

const PATHS: Record<VendorId, string> = { pylon: "/audit-logs", zendesk: "/api/v2/audit_logs", cortex: "/api/v1/audit-logs", datafold: "/api/v1/audit_logs", jitsudo: "/v1/audit-log" };

/** A GET with an optional body (Datafold), over node:http. */
function get(url: string, headers: Record<string, string>, body?: string): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: "GET", headers: { ...headers, ...(body ? { "content-type": "application/json", "content-length": String(Buffer.byteLength(body)) } : {}) } }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (text += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}

const sim = createSimulator({ eventsPerVendor: 120, seed: 3, rateLimit: false });
let server: SimulatorServer;
beforeAll(async () => {
  server = await sim.listen();
});
afterAll(() => server.close());

const auth: Record<VendorId, () => Record<string, string>> = {
  pylon: () => ({ authorization: `Bearer ${sim.credentials.pylon.apiToken}` }),
  zendesk: () => ({ authorization: `Basic ${Buffer.from(`${sim.credentials.zendesk.auth.email}/token:${sim.credentials.zendesk.auth.apiToken}`).toString("base64")}` }),
  cortex: () => ({ authorization: `Bearer ${sim.credentials.cortex.apiToken}` }),
  datafold: () => ({ authorization: `Key ${sim.credentials.datafold.apiKey}` }),
  jitsudo: () => ({ "x-api-key": sim.credentials.jitsudo.apiKey, "x-tenant-id": sim.credentials.jitsudo.tenantId }),
};

/** Reads every record by hand, following each vendor's own pagination, validating every page. */
async function readAll(vendor: VendorId): Promise<unknown[]> {
  const validate = validator(vendor, SPECS[vendor].page);
  const base = `${server.url}${PATHS[vendor]}`;
  const records: unknown[] = [];
  const page = async (url: string, body?: string) => {
    const res = await get(url, auth[vendor](), body);
    expect(res.status, res.text).toBe(200);
    const json = JSON.parse(res.text) as Record<string, any>;
    expect(validate(json)).toBe("");
    return json;
  };
  if (vendor === "datafold") {
    records.push(...(await page(base, JSON.stringify({ start_date: null, end_date: null }))).logs);
  } else if (vendor === "cortex") {
    for (let p = 0, total = 1; p < total; p++) {
      const json = await page(`${base}?page=${p}&pageSize=25`);
      total = json.totalPages;
      records.push(...json.logs);
    }
  } else {
    let url: string | undefined = { pylon: `${base}?limit=25`, zendesk: `${base}?page[size]=25&sort=created_at`, jitsudo: `${base}?limit=25` }[vendor];
    while (url) {
      const json = await page(url);
      if (vendor === "pylon") {
        records.push(...json.data);
        url = json.pagination.has_next_page ? `${base}?limit=25&cursor=${encodeURIComponent(json.pagination.cursor)}` : undefined;
      } else if (vendor === "zendesk") {
        records.push(...json.audit_logs);
        url = json.meta.has_more ? json.links.next : undefined;
      } else {
        records.push(...json.data);
        url = json.has_more ? `${base}?limit=25&cursor=${encodeURIComponent(json.next_cursor)}` : undefined;
      }
    }
  }
  return records;
}

describe.each(VENDOR_IDS)("%s", (vendor) => {
  test("a full read by hand returns every record once, each page valid against the vendor's spec", async () => {
    const records = await readAll(vendor);
    expect(records).toHaveLength(120);
    expect(records).toEqual(sim.events[vendor]);
    expect(new Set(records.map((r) => JSON.stringify(r))).size).toBe(120);
    // The validator is not a rubber stamp.
    expect(validator(vendor, SPECS[vendor].page)({ data: 1, audit_logs: 1, logs: 1, pagination: 1, meta: 1, has_more: "no" })).not.toBe("");
  });

  test("bad credentials are refused the vendor's way", async () => {
    const headers = Object.fromEntries(Object.entries(auth[vendor]()).map(([k, v]) => [k, k === "x-tenant-id" ? v : `${v}x`]));
    const res = await get(`${server.url}${PATHS[vendor]}`, headers, vendor === "datafold" ? "{}" : undefined);
    expect(res.status).toBe(401);
    const body = JSON.parse(res.text) as Record<string, unknown>;
    const shape = { pylon: "errors", zendesk: "error", cortex: "message", datafold: "detail", jitsudo: "code" }[vendor];
    expect(body).toHaveProperty(shape);
  });

  test("the same seed gives the same data", () => {
    const again = createSimulator({ eventsPerVendor: 120, seed: 3, endAt: new Date(0).toISOString() });
    const twice = createSimulator({ eventsPerVendor: 120, seed: 3, endAt: new Date(0).toISOString() });
    expect(again.events[vendor]).toEqual(twice.events[vendor]);
    expect(createSimulator({ eventsPerVendor: 120, seed: 4, endAt: new Date(0).toISOString() }).events[vendor]).not.toEqual(again.events[vendor]);
  });
});

describe("vendor facts", () => {
  test("JITSudo: a valid key with another tenant is 403 tenant_mismatch", async () => {
    const res = await get(`${server.url}/v1/audit-log`, { ...auth.jitsudo(), "x-tenant-id": "00000000-0000-4000-8000-000000000000" });
    expect(res.status).toBe(403);
    expect(JSON.parse(res.text)).toMatchObject({ code: "tenant_mismatch" });
    expect(validator("jitsudo", "Error")(JSON.parse(res.text))).toBe("");
  });

  test("Zendesk: page[size] 101 is a 400, not clamped; a malformed created_at filter is the vendor's InvalidValue", async () => {
    expect((await get(`${server.url}/api/v2/audit_logs?page[size]=101`, auth.zendesk())).status).toBe(400);
    const res = await get(`${server.url}/api/v2/audit_logs?filter[created_at]=2026-01-01T00:00:00Z`, auth.zendesk());
    expect(res.status).toBe(400);
    expect(JSON.parse(res.text)).toMatchObject({ error: "InvalidValue" });
  });

  test("Zendesk: a bound 60 s or less in the past is rejected", async () => {
    const now = new Date(Date.now() - 10_000).toISOString().replace(/\.\d+Z$/, "Z");
    const res = await get(`${server.url}/api/v2/audit_logs?filter[created_at][]=2026-01-01T00:00:00Z&filter[created_at][]=${now}`, auth.zendesk());
    expect(res.status).toBe(400);
  });

  test("Zendesk: the default order is newest first; sort=created_at is oldest first", async () => {
    const desc = JSON.parse((await get(`${server.url}/api/v2/audit_logs?page[size]=5`, auth.zendesk())).text).audit_logs;
    const asc = JSON.parse((await get(`${server.url}/api/v2/audit_logs?page[size]=5&sort=created_at`, auth.zendesk())).text).audit_logs;
    expect(desc[0]).toEqual(sim.events.zendesk.at(-1));
    expect(asc[0]).toEqual(sim.events.zendesk[0]);
  });

  test("Zendesk: an account without Enterprise gets the plan-gate 403", async () => {
    const gated = await createSimulator({ vendors: ["zendesk"], zendeskEnterprise: false }).listen();
    try {
      const res = await get(`${gated.url}/api/v2/audit_logs`, auth.zendesk());
      expect(res.status).toBe(403);
      expect(res.text).toContain("You do not have access to this page.");
    } finally {
      await gated.close();
    }
  });

  test("Pylon: limit 1000 is a 400; Cortex: pageSize 1001 is a 400", async () => {
    expect((await get(`${server.url}/audit-logs?limit=1000`, auth.pylon())).status).toBe(400);
    expect((await get(`${server.url}/api/v1/audit-logs?pageSize=1001`, auth.cortex())).status).toBe(400);
  });

  test("Cortex: comma-joined array filters and a time window", async () => {
    const res = JSON.parse((await get(`${server.url}/api/v1/audit-logs?pageSize=1000&actions=CREATE,DELETE`, auth.cortex())).text);
    expect(res.logs.length).toBeGreaterThan(0);
    expect(res.logs.every((l: { action: string }) => l.action === "CREATE" || l.action === "DELETE")).toBe(true);
    const mid = sim.events.cortex[60]!.timestamp;
    const window = JSON.parse((await get(`${server.url}/api/v1/audit-logs?pageSize=1000&endTime=${mid}`, auth.cortex())).text);
    expect(window.total).toBe(sim.events.cortex.filter((l) => l.timestamp <= mid).length);
  });

  test("Datafold: the GET body selects the range; a bad one is a 422 with detail", async () => {
    const logs = sim.events.datafold;
    const start = Date.parse(logs[10]!.timestamp);
    const end = Date.parse(logs[20]!.timestamp);
    const res = await get(`${server.url}/api/v1/audit_logs`, auth.datafold(), JSON.stringify({ start_date: new Date(start).toISOString(), end_date: new Date(end).toISOString() }));
    expect(JSON.parse(res.text).logs).toEqual(logs.slice(10, 21));
    const bad = await get(`${server.url}/api/v1/audit_logs`, auth.datafold(), JSON.stringify({ start_date: "not a date" }));
    expect(bad.status).toBe(422);
    expect(validator("datafold", "HTTPValidationError")(JSON.parse(bad.text))).toBe("");
  });

  test("JITSudo: filters by action and by time", async () => {
    const action = sim.events.jitsudo[0]!.action;
    const res = JSON.parse((await get(`${server.url}/v1/audit-log?limit=1000&action=${action}`, auth.jitsudo())).text);
    expect(res.data).toEqual(sim.events.jitsudo.filter((e) => e.action === action));
  });
});

describe("rate limits, with the vendor's own 429", () => {
  test.each([
    ["pylon", "x-retry-after"],
    ["zendesk", "retry-after"],
    ["cortex", "retry-after"],
  ] as const)("%s answers 429 with %s once its bucket is empty", async (vendor, header) => {
    const limited = createSimulator({ vendors: [vendor], eventsPerVendor: 3, rateLimit: { [vendor]: 2 } });
    const s = await limited.listen();
    try {
      const url = `${s.url}${PATHS[vendor]}`;
      const statuses = [];
      for (let i = 0; i < 3; i++) statuses.push(await get(url, auth[vendor]()));
      expect(statuses.map((r) => r.status)).toEqual([200, 200, 429]);
      const last = statuses[2]!;
      expect(Number(last.headers[header])).toBeGreaterThan(0);
      if (vendor === "zendesk") expect(last.text).toBe("Number of allowed API requests per minute exceeded");
      if (vendor === "cortex") {
        expect(last.headers["content-type"]).toBe("application/problem+json");
        expect(JSON.parse(last.text).retryAfter).toBeGreaterThan(0);
        expect(validator("cortex", "TooManyRequestsProblemDetail")(JSON.parse(last.text))).toBe("");
      }
      expect(limited.stats.rateLimited[vendor]).toBe(1);
    } finally {
      await s.close();
    }
  });
});

describe("faults", () => {
  test.each(["429", "500", "502", "503", "truncate", "reset"] as const)("%s at rate 1 is injected and serves nothing", async (kind) => {
    const faulty = createSimulator({ vendors: ["pylon"], eventsPerVendor: 3, rateLimit: false, faults: { rate: 1, kinds: [kind] } });
    const s = await faulty.listen();
    try {
      const outcome = await get(`${s.url}/audit-logs`, auth.pylon()).then(
        (res) => ({ status: res.status, parses: (() => { try { JSON.parse(res.text); return true; } catch { return false; } })() }),
        (error: Error) => ({ error: error.message }),
      );
      if (kind === "reset") expect(outcome).toHaveProperty("error");
      // Half the body, then the connection drops: the client sees an aborted or unparsable body.
      else if (kind === "truncate") expect("error" in outcome || outcome.parses === false).toBe(true);
      else expect(outcome).toMatchObject({ status: Number(kind) });
      expect(faulty.stats.faults.pylon).toBe(1);
    } finally {
      await s.close();
    }
  });

  test("a 429 burst repeats for consecutive requests", async () => {
    const faulty = createSimulator({ vendors: ["cortex"], eventsPerVendor: 3, rateLimit: false, faults: { rate: 1, kinds: ["429"], burst: 3 } });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await faulty.handle(new Request("https://api.getcortexapp.com/api/v1/audit-logs", { headers: auth.cortex() }))).status);
    expect(statuses).toEqual([429, 429, 429]);
  });

  test("slow responses are delayed by slowMs", async () => {
    const faulty = createSimulator({ vendors: ["pylon"], eventsPerVendor: 3, rateLimit: false, faults: { rate: 1, kinds: ["slow"], slowMs: 150 } });
    const started = performance.now();
    const res = await faulty.handle(new Request("https://api.usepylon.com/audit-logs", { headers: auth.pylon() }));
    expect(res.status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
  });
});

describe("events added while reading", () => {
  test("late events are inserted in time order; appended events come last", () => {
    const s = createSimulator({ vendors: ["jitsudo"], eventsPerVendor: 20, seed: 9 });
    const middle = Date.parse(s.events.jitsudo[10]!.created_at);
    const [late] = s.addEvents("jitsudo", 1, { occurredAt: new Date(middle + 500) });
    expect(s.events.jitsudo.indexOf(late!)).toBe(11);
    const [appended] = s.addEvents("jitsudo", 1);
    expect(s.events.jitsudo.at(-1)).toBe(appended);
  });
});
