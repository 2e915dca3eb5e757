/**
 * JITSudo (self-hosted just-in-time AWS access), `GET /v1/audit-log` (vendor-docs/002, research
 * §3): `X-API-Key` and `X-Tenant-ID` (401 for a wrong key; 403 `tenant_mismatch` when the key is
 * good but the header names another tenant); `cursor` + `limit` (1–1000, default 50); body
 * `{data, next_cursor, has_more}` (no `next_cursor` on the last page); filters `actor_id`,
 * `resource_type`, `resource_id`, `action` (exact) and `from`/`to` (inclusive); errors
 * `{code, message, details?}`.
 */
import type { components } from "../../generated/jitsudo.js";
import { isoSeconds, person, type Random } from "./data.js";
import { cursorParam, encodeCursor, intParam, json, keysetPage, parseTime, type VendorFake } from "./fake.js";

// Records ---------------------------------------------------------------------------------------

export type JitsudoRecord = components["schemas"]["AuditLogEntry"];

const ACTIONS = ["request.created", "request.approved", "request.denied", "request.cancelled", "grant.activated", "grant.expired", "grant.revoked", "policy_rule.updated", "api_key.created"];
const PERMISSION_SETS = ["ReadOnlyAccess", "PowerUserAccess", "AdministratorAccess", "DatabaseAdministrator"];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Access requests, Cedar decisions, grants and policy changes; `reasoning` is null or absent unless a policy decided. */
function record(rng: Random, at: number): JitsudoRecord {
  const action = rng.pick(ACTIONS);
  const [subject] = action.split(".") as [string];
  const decided = action === "request.approved" || action === "request.denied";
  const actorType = action === "grant.expired" || (decided && rng.chance(0.6)) ? "system" : rng.chance(0.8) ? "oidc" : "api_key";
  const actorId = actorType === "system" ? "system" : actorType === "api_key" ? rng.uuid() : person(rng).email;
  const account = String(rng.int(100_000_000_000, 999_999_999_999));
  const resource: [string, string] =
    subject === "policy_rule" ? ["policy_rule", rng.pick(["prod-manual-review", "auto-approve-dev", "break-glass"])]
    : subject === "api_key" ? ["api_key", rng.uuid()]
    : ["aws_account", account];
  const out: JitsudoRecord = {
    id: rng.uuid(),
    actor_id: actorId,
    actor_type: actorType,
    action,
    resource_type: resource[0],
    resource_id: resource[1],
    metadata: subject === "request" || subject === "grant"
      ? { permission_set: rng.pick(PERMISSION_SETS), duration_seconds: rng.pick([3600, 14_400, 28_800]), justification: `Investigating INC-${rng.int(1000, 9999)}` }
      : { approval_mode: rng.pick(["auto", "require", "break_glass"]) },
    created_at: isoSeconds(at),
  };
  if (decided) out.reasoning = `${action === "request.approved" ? "Permitted" : "Forbidden"} by policy ${rng.pick(["auto-approve-dev", "prod-manual-review"])} (priority ${rng.int(1, 20) * 10})`;
  else if (rng.chance(0.7)) out.reasoning = null;
  return out;
}

// Errors ----------------------------------------------------------------------------------------

function error(status: number, code: string, message: string, extra: { details?: Record<string, unknown>; headers?: Record<string, string> } = {}): Response {
  return json({ code, message, ...(extra.details ? { details: extra.details } : {}) }, status, extra.headers);
}

// The fake --------------------------------------------------------------------------------------

export const jitsudo: VendorFake<JitsudoRecord> = {
  vendor: "jitsudo",
  paths: ["/v1/audit-log"],
  precisionMs: 1000,

  authenticate(request, context) {
    const { apiKey, tenantId } = context.config.credentials.jitsudo;
    if (request.headers.get("x-api-key") !== apiKey) return error(401, "unauthenticated", "missing or invalid X-API-Key");
    const tenant = request.headers.get("x-tenant-id") ?? "";
    if (!UUID.test(tenant)) return error(400, "invalid_argument", "X-Tenant-ID must be a uuid");
    if (tenant.toLowerCase() !== tenantId.toLowerCase()) {
      return error(403, "tenant_mismatch", "X-Tenant-ID does not match the tenant associated with the credential.", { details: { header_tenant_id: tenant.toLowerCase() } });
    }
    return undefined;
  },

  list(_request, _body, context) {
    const query = context.url.searchParams;
    const limit = intParam(query.get("limit"), 50, 1, 1000);
    if (limit === "invalid") return error(400, "invalid_argument", "limit must be between 1 and 1000");
    const from = parseTime(query.get("from"));
    const to = parseTime(query.get("to"));
    if (from === "invalid" || to === "invalid") return error(400, "invalid_argument", "from and to must be RFC 3339 date-times");
    const after = cursorParam(query, "cursor");
    if (after === "invalid") return error(400, "invalid_argument", "invalid cursor");
    let entries = context.log.between(from, to);
    for (const field of ["actor_id", "resource_type", "resource_id", "action"] as const) {
      const wanted = query.get(field);
      if (wanted) entries = entries.filter((entry) => entry.record[field] === wanted);
    }
    const page = keysetPage(entries, { after, limit });
    const last = page.items[page.items.length - 1];
    return json({ data: page.items.map((entry) => entry.record), ...(page.hasNext && last ? { next_cursor: encodeCursor(last) } : {}), has_more: page.hasNext });
  },

  rateLimited: (_context, seconds) => error(429, "rate_limited", "too many requests", { headers: { "Retry-After": String(seconds) } }),
  serverError: (_context, status) => error(status, "internal", "internal error"),
  record,
};
