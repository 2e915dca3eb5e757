/**
 * Shared by the simulator's suites: the vendors' OpenAPI schemas as validators, each vendor's
 * auth headers and path, a GET that can carry a body (node:http/https, as Datafold needs), and a
 * full read of a vendor written by hand, following the vendor's own pagination (the SDK clients
 * are not used here: these suites test the fake, not the library).
 */
import { readFileSync } from "node:fs";
import http, { type IncomingHttpHeaders } from "node:http";
import https from "node:https";
import { Ajv } from "ajv";
import formats from "ajv-formats";
import { expect } from "vitest";
import { parse as parseYaml } from "yaml";
import type { Clock } from "../src/index.js";
import type { SimulatorCredentials } from "../src/testing/index.js";
import type { VendorId } from "../src/core/vendor-id.js";

export const PATHS: Record<VendorId, string> = {
  pylon: "/audit-logs",
  zendesk: "/api/v2/audit_logs",
  cortex: "/api/v1/audit-logs",
  datafold: "/api/v1/audit_logs",
  jitsudo: "/v1/audit-log",
};

/** The spec file of each vendor and the schema names its pages and errors use. */
export const SPECS: Record<VendorId, { file: string; page: string; record: string; error?: string }> = {
  pylon: { file: "openapi/pylon.json", page: "GetAuditLogsResponseBody", record: "AuditLog", error: "ErrorApiResponseBody" },
  zendesk: { file: "openapi/zendesk.yaml", page: "AuditLogsResponse", record: "AuditLog", error: "ErrorResponse" },
  cortex: { file: "openapi/cortex.json", page: "AuditLogsResponse", record: "AuditLogResponse" },
  datafold: { file: "openapi/datafold.yaml", page: "ApiGetAuditLogs", record: "AuditLogs" },
  jitsudo: { file: "openapi/jitsudo.yaml", page: "AuditLogPage", record: "AuditLogEntry", error: "Error" },
};

type Schema = Record<string, unknown>;

/**
 * OpenAPI 3.0's `nullable: true` as JSON Schema. Ajv reads `nullable` itself next to `type`;
 * elsewhere (next to `$ref` or `allOf`) it must become an `anyOf` with null.
 */
function nullableToJsonSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(nullableToJsonSchema);
  if (node === null || typeof node !== "object") return node;
  const out: Schema = {};
  for (const [key, value] of Object.entries(node)) out[key] = nullableToJsonSchema(value);
  if (out.nullable === true && out.type === undefined) {
    delete out.nullable;
    return { anyOf: [out, { type: "null" }] };
  }
  return out;
}

const ajvByFile = new Map<string, Ajv>();

/** A validator for one component schema of a vendor's spec: "" when valid, else Ajv's errors. */
export function specValidator(vendor: VendorId, schema: string): (body: unknown) => string {
  const { file } = SPECS[vendor];
  let ajv = ajvByFile.get(file);
  if (!ajv) {
    const text = readFileSync(file, "utf8");
    const spec = (file.endsWith(".json") ? JSON.parse(text) : parseYaml(text)) as { components: unknown };
    ajv = new Ajv({ strict: false, allErrors: true });
    // ajv-formats is CommonJS with a default export: NodeNext sees the module object.
    const addFormats = (formats as unknown as { default?: (ajv: Ajv) => void }).default ?? (formats as unknown as (ajv: Ajv) => void);
    addFormats(ajv);
    ajv.addSchema({ $id: "spec", components: nullableToJsonSchema(spec.components) });
    ajvByFile.set(file, ajv);
  }
  const validate = ajv.compile({ $ref: `spec#/components/schemas/${schema}` });
  const checker = ajv;
  return (body) => (validate(body) ? "" : checker.errorsText(validate.errors));
}

/** The headers that authenticate against the simulator, built by hand from its credentials. */
export function authHeaders(vendor: VendorId, credentials: SimulatorCredentials): Record<string, string> {
  switch (vendor) {
    case "pylon":
      return { authorization: `Bearer ${credentials.pylon.apiToken}` };
    case "zendesk": {
      const { email, apiToken } = credentials.zendesk.auth;
      return { authorization: `Basic ${Buffer.from(`${email}/token:${apiToken}`).toString("base64")}` };
    }
    case "cortex":
      return { authorization: `Bearer ${credentials.cortex.apiToken}` };
    case "datafold":
      return { authorization: `Key ${credentials.datafold.apiKey}` };
    case "jitsudo":
      return { "x-api-key": credentials.jitsudo.apiKey, "x-tenant-id": credentials.jitsudo.tenantId };
  }
}

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

/**
 * A GET over node:http or node:https, with a JSON body when given (Datafold's GET body; fetch
 * refuses one). `request` is read at call time, so msw's interceptor sees it.
 */
export function get(url: string, headers: Record<string, string>, body?: string): Promise<Reply> {
  const send = url.startsWith("https:") ? https.request : http.request;
  const withBody = body === undefined ? headers : { ...headers, "content-type": "application/json", "content-length": String(Buffer.byteLength(body)) };
  return new Promise((resolve, reject) => {
    const req = send(url, { method: "GET", headers: withBody }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (text += chunk));
      res.on("end", () => (res.complete ? resolve({ status: res.statusCode ?? 0, headers: res.headers, text }) : reject(new Error("response cut short"))));
      res.on("error", reject);
      res.on("aborted", () => reject(new Error("response aborted")));
    });
    req.on("error", reject);
    req.end(body);
  });
}

/** Fetches one page; `body` only for Datafold. */
export type PageFetcher = (url: string, body?: string) => Promise<Reply>;

/**
 * Every record of a vendor, read by hand the vendor's way: Pylon and JITSudo by cursor, Zendesk
 * by `links.next` (oldest first), Cortex by page number, Datafold in one GET with a body. Every
 * page must be a 200 that validates against the vendor's spec.
 */
export async function readAll(vendor: VendorId, origin: string, fetchPage: PageFetcher, pageSize = 25): Promise<unknown[]> {
  const validate = specValidator(vendor, SPECS[vendor].page);
  const base = `${origin}${PATHS[vendor]}`;
  const page = async (url: string, body?: string) => {
    const reply = await fetchPage(url, body);
    expect(reply.status, reply.text).toBe(200);
    const json = JSON.parse(reply.text) as Record<string, unknown> & { [key: string]: any };
    expect(validate(json)).toBe("");
    return json;
  };
  const records: unknown[] = [];
  switch (vendor) {
    case "datafold":
      records.push(...(await page(base, JSON.stringify({ start_date: null, end_date: null }))).logs);
      break;
    case "cortex":
      for (let n = 0, totalPages = 1; n < totalPages; n++) {
        const json = await page(`${base}?page=${n}&pageSize=${pageSize}`);
        totalPages = json.totalPages;
        records.push(...json.logs);
      }
      break;
    case "zendesk":
      for (let url: string | null = `${base}?page[size]=${pageSize}&sort=created_at`; url !== null; ) {
        const json = await page(url);
        records.push(...json.audit_logs);
        url = json.meta.has_more ? json.links.next : null;
      }
      break;
    case "pylon":
      for (let url: string | null = `${base}?limit=${pageSize}`; url !== null; ) {
        const json = await page(url);
        records.push(...json.data);
        url = json.pagination.has_next_page ? `${base}?limit=${pageSize}&cursor=${encodeURIComponent(json.pagination.cursor)}` : null;
      }
      break;
    case "jitsudo":
      for (let url: string | null = `${base}?limit=${pageSize}`; url !== null; ) {
        const json = await page(url);
        records.push(...json.data);
        url = json.has_more ? `${base}?limit=${pageSize}&cursor=${encodeURIComponent(json.next_cursor)}` : null;
      }
      break;
  }
  return records;
}

/** Distinct whole records (Cortex has no id: its records must differ as objects). */
export function distinct(records: unknown[]): number {
  return new Set(records.map((record) => JSON.stringify(record))).size;
}

/**
 * A clock for the simulator that no test has to wait for: `now()` is `t` (moved by hand), and
 * every sleep (latency, slow faults) is recorded and held until `release()`, so a test decides
 * when a delayed answer comes instead of measuring how long it took.
 */
export interface HeldClock extends Clock {
  t: number;
  readonly sleeps: number[];
  /** Ends every sleep in progress. */
  release(): void;
}

export function heldClock(start = Date.parse("2026-06-01T00:00:00Z")): HeldClock {
  const waiting: Array<() => void> = [];
  const clock: HeldClock = {
    t: start,
    sleeps: [],
    now: () => clock.t,
    sleep: (ms) => {
      clock.sleeps.push(ms);
      return new Promise<void>((resolve) => waiting.push(resolve));
    },
    release: () => {
      for (const resolve of waiting.splice(0)) resolve();
    },
  };
  return clock;
}

/** A promise with a flag that says whether it has settled yet. */
export function settles<T>(promise: Promise<T>): { promise: Promise<T>; readonly done: boolean } {
  const watched = { promise, done: false };
  promise.then(
    () => (watched.done = true),
    () => (watched.done = true),
  );
  return watched;
}

/** Lets every pending promise callback run (one macrotask turn; no time passes on any clock). */
export function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
