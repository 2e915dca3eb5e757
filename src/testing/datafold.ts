/**
 * Datafold's `GET /api/v1/audit_logs`: `Authorization: Key <apiKey>`, a JSON body on the GET
 * (`{start_date, end_date}`, both nullable; a bad one is a FastAPI 422 with `detail`), no
 * pagination: one `{logs}` per call.
 */
import type { components } from "../../generated/datafold.js";
import { ipv4, person, userAgent, type Random } from "./data.js";
import { AuditLog, json, parseTime, type VendorFake } from "./vendor.js";

type DatafoldRecord = components["schemas"]["AuditLogs"];

const ACTIONS: Array<[action: string, method: string, url: string, objectType: string | null]> = [
  ["create", "POST", "/api/v1/datadiffs", "datadiff"],
  ["update", "PATCH", "/api/v1/data_sources/7", "data_source"],
  ["delete", "DELETE", "/api/v1/monitors/31", "monitor"],
  ["login", "POST", "/login", null],
  ["view", "GET", "/api/v1/datadiffs/48213", "datadiff"],
  ["export", "GET", "/api/v1/audit_logs", null],
];

export interface DatafoldFakeOptions {
  apiKey: string;
  /** Cuts every answer to this many logs, silently, like an undocumented server cap. */
  maxLogs: number | undefined;
}

export function datafoldFake(options: DatafoldFakeOptions): VendorFake<DatafoldRecord> {
  const invalid = (loc: Array<string | number>, msg: string, type: string) => json({ detail: [{ loc, msg, type }] }, 422);
  const detail = (status: number, message: string) => json({ detail: message }, status);

  return {
    vendor: "datafold",
    path: "/api/v1/audit_logs",
    precisionMs: 1,
    log: new AuditLog<DatafoldRecord>(),

    authenticate: (req) => (req.request.headers.get("authorization") === `Key ${options.apiKey}` ? undefined : detail(401, "Invalid API key")),
    rateLimited: (_req, seconds) => json({ detail: "Too many requests" }, 429, { "Retry-After": String(seconds) }),
    serverError: (_req, status) => detail(status, "Internal Server Error"),

    list(req) {
      let body: unknown = null;
      if (req.body !== undefined && req.body.trim() !== "") {
        try {
          body = JSON.parse(req.body);
        } catch {
          return invalid(["body", 0], "JSON decode error", "json_invalid");
        }
      }
      if (body !== null && (typeof body !== "object" || Array.isArray(body))) return invalid(["body"], "Input should be a valid dictionary or object", "model_attributes_type");
      const range = (body ?? {}) as { start_date?: unknown; end_date?: unknown };
      const bounds: Array<number | undefined> = [];
      for (const key of ["start_date", "end_date"] as const) {
        const value = range[key];
        if (value === null || value === undefined) {
          bounds.push(undefined);
          continue;
        }
        const ms = typeof value === "string" ? parseTime(value) : "invalid";
        if (ms === "invalid") return invalid(["body", key], "Input should be a valid datetime or date, invalid character in year", "datetime_from_date_parsing");
        bounds.push(ms);
      }
      const logs = this.log.between(bounds[0], bounds[1]).map((e) => e.record);
      return json({ logs: options.maxLogs === undefined ? logs : logs.slice(0, options.maxLogs) }, 200, { "X-Request-Id": req.requestId });
    },

    make(rng: Random, at: number): DatafoldRecord {
      const [action, method, url, objectType] = rng.pick(ACTIONS);
      const user = person(rng);
      const api = method === "GET" && rng.chance(0.5);
      const objectId = objectType ? rng.int(1, 50_000) : null;
      return {
        // Datafold's timestamps carry microseconds and an offset.
        timestamp: new Date(at).toISOString().replace(/\.(\d{3})Z$/, ".$1000+00:00"),
        event_uuid: rng.uuid(),
        client_ip: ipv4(rng),
        url,
        action,
        is_support_user: rng.chance(0.05),
        log_entry: objectType ? `${action[0]!.toUpperCase()}${action.slice(1)} ${objectType} ${objectId}` : null,
        object_id: objectId,
        object_type: objectType,
        payload: objectType === "datadiff" ? { data_source1_id: 7, table1: ["analytics", "public", "orders"] } : null,
        referer: api ? null : `https://app.datafold.com${url}`,
        request_type: method,
        source: api ? "api" : "web",
        status: "200",
        user_agent: api ? "python-requests/2.32.3" : userAgent(rng),
        user_email: user.email,
        user_id: rng.int(100, 999),
      };
    },
  };
}
