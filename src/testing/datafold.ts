/**
 * Datafold, `GET /api/v1/audit_logs` (vendor-docs/004, research §5): `Authorization: Key
 * <apiKey>`; a JSON body on the GET, `{start_date, end_date}`, both nullable and inclusive (a
 * bad one is a FastAPI 422 `{detail: [{loc, msg, type}]}`); query parameters are ignored, as
 * FastAPI ignores undeclared ones; no pagination: one `{logs}` per call, oldest first, cut
 * silently at `datafoldMaxLogs` when set; other errors FastAPI's `{detail: "..."}`.
 */
import type { components } from "../../generated/datafold.js";
import { ipv4, isoPython, person, userAgent, type Random } from "./data.js";
import { authToken, json, parseTime, type VendorFake } from "./fake.js";

// Records ---------------------------------------------------------------------------------------

export type DatafoldRecord = components["schemas"]["AuditLogs"];

/** What was done: action (null for plain reads), HTTP method, path, object type. */
const REQUESTS: Array<[action: string | null, method: string, path: string, objectType: string | null]> = [
  ["create", "POST", "/api/v1/datadiffs", "datadiff"],
  ["update", "PATCH", "/api/v1/data_sources/{id}", "data_source"],
  ["delete", "DELETE", "/api/v1/monitors/{id}", "monitor"],
  ["create", "POST", "/api/v1/monitors", "monitor"],
  ["login", "POST", "/login", null],
  ["logout", "POST", "/logout", null],
  ["view", "GET", "/api/v1/datadiffs/{id}", "datadiff"],
  [null, "GET", "/api/v1/audit_logs", null],
];

/** HTTP-request-like records with Python timestamps; nullable fields are null now and then. */
function record(rng: Random, at: number): DatafoldRecord {
  const [action, method, path, objectType] = rng.pick(REQUESTS);
  const objectId = objectType ? rng.int(1, 50_000) : null;
  const url = path.replace("{id}", String(objectId ?? 0));
  const viaApi = method === "GET" || rng.chance(0.3);
  const failedLogin = action === "login" && rng.chance(0.2);
  const user = person(rng);
  return {
    timestamp: isoPython(at),
    event_uuid: rng.uuid(),
    client_ip: ipv4(rng),
    url,
    action,
    is_support_user: rng.chance(0.05) ? null : rng.chance(0.03),
    log_entry: action === null ? null : objectType ? `${action} ${objectType} ${objectId}` : failedLogin ? `failed login for ${user.email}` : `${action} ${user.email}`,
    object_id: objectId,
    object_type: objectType,
    payload: objectType === "datadiff" && method === "POST" ? { data_source1_id: rng.int(1, 9), table1: ["analytics", "public", rng.pick(["orders", "users", "events"])] } : null,
    referer: viaApi ? null : `https://app.datafold.com${url}`,
    request_type: method,
    source: viaApi ? "api" : "web",
    status: failedLogin ? "401" : "200",
    user_agent: viaApi ? rng.pick(["python-requests/2.32.3", "curl/8.7.1", null]) : userAgent(rng),
    user_email: failedLogin ? null : user.email,
    user_id: failedLogin ? null : rng.int(100, 999),
  };
}

// Errors ----------------------------------------------------------------------------------------

function detail(status: number, message: string, headers: Record<string, string> = {}): Response {
  return json({ detail: message }, status, headers);
}

/** FastAPI's request validation error. */
function invalid(loc: Array<string | number>, msg: string, type: string): Response {
  return json({ detail: [{ loc, msg, type }] }, 422);
}

/** The `{start_date, end_date}` body as epoch ms bounds (undefined: open), or the 422. */
function range(body: string | undefined): [number | undefined, number | undefined] | Response {
  if (body === undefined || body.trim() === "") return [undefined, undefined];
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return invalid(["body", 0], "JSON decode error", "json_invalid");
  }
  if (value === null) return [undefined, undefined];
  if (typeof value !== "object" || Array.isArray(value)) return invalid(["body"], "Input should be a valid dictionary or object to extract fields from", "model_attributes_type");
  const bounds: Array<number | undefined> = [];
  for (const key of ["start_date", "end_date"] as const) {
    const raw = (value as Record<string, unknown>)[key];
    const ms = raw === null || raw === undefined ? undefined : typeof raw === "string" ? parseTime(raw, { zoneOptional: true }) : "invalid";
    if (ms === "invalid") return invalid(["body", key], "Input should be a valid datetime or date, invalid character in year", "datetime_from_date_parsing");
    bounds.push(ms);
  }
  return [bounds[0], bounds[1]];
}

// The fake --------------------------------------------------------------------------------------

export const datafold: VendorFake<DatafoldRecord> = {
  vendor: "datafold",
  paths: ["/api/v1/audit_logs"],
  precisionMs: 1,

  authenticate(request, context) {
    if (!request.headers.has("authorization")) return detail(401, "Not authenticated");
    return authToken(request, "Key") === context.config.credentials.datafold.apiKey ? undefined : detail(401, "Invalid API key");
  },

  list(_request, body, context) {
    const bounds = range(body);
    if (bounds instanceof Response) return bounds;
    const logs = context.log.between(...bounds).map((entry) => entry.record);
    const max = context.config.datafoldMaxLogs;
    return json({ logs: max === undefined ? logs : logs.slice(0, max) });
  },

  rateLimited: (_context, seconds) => detail(429, "Too Many Requests", { "Retry-After": String(seconds) }),
  serverError: (_context, status) => detail(status, status === 500 ? "Internal Server Error" : "Service Unavailable"),
  record,
};
