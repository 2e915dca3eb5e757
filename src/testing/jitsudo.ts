/**
 * JITSudo's `GET /v1/audit-log`: `X-API-Key` and `X-Tenant-ID` (403 `tenant_mismatch` when the
 * key belongs to another tenant), `cursor` + `limit`, `from`/`to`, filters, body
 * `{data, next_cursor, has_more}`, errors `{code, message, details?, notices?}`.
 */
import type { components } from "../../generated/jitsudo.js";
import { person, type Random } from "./data.js";
import { AuditLog, intParam, json, pageAfter, parseTime, type FakeRequest, type VendorFake } from "./vendor.js";

type JitsudoRecord = components["schemas"]["AuditLogEntry"];

const ACTIONS = ["request.created", "request.approved", "request.denied", "grant.activated", "grant.expired", "grant.revoked", "policy.updated"];

export function jitsudoFake(credentials: { apiKey: string; tenantId: string }): VendorFake<JitsudoRecord> {
  const error = (req: FakeRequest, status: number, code: string, message: string, headers: Record<string, string> = {}) =>
    json({ code, message }, status, { "X-Request-Id": req.requestId, ...headers });

  return {
    vendor: "jitsudo",
    path: "/v1/audit-log",
    precisionMs: 1000,
    log: new AuditLog<JitsudoRecord>(),

    authenticate(req) {
      const headers = req.request.headers;
      if (headers.get("x-api-key") !== credentials.apiKey) return error(req, 401, "unauthenticated", "invalid or missing API key");
      const tenant = headers.get("x-tenant-id");
      if (!tenant || tenant.toLowerCase() !== credentials.tenantId.toLowerCase()) {
        return error(req, 403, "tenant_mismatch", "the credential and X-Tenant-ID belong to different tenants");
      }
      return undefined;
    },
    rateLimited: (req, seconds) => error(req, 429, "rate_limited", "too many requests", { "Retry-After": String(seconds) }),
    serverError: (req, status) => error(req, status, "internal", "internal error"),

    list(req) {
      const q = req.url.searchParams;
      const limit = intParam(q.get("limit"), 50, 1, 1000);
      if (limit === "invalid") return error(req, 400, "invalid_argument", "limit must be between 1 and 1000");
      const from = parseTime(q.get("from"));
      const to = parseTime(q.get("to"));
      if (from === "invalid" || to === "invalid") return error(req, 400, "invalid_argument", "from and to must be RFC 3339 date-times");
      let entries = this.log.between(from, to);
      for (const param of ["actor_id", "resource_type", "resource_id", "action"] as const) {
        const wanted = q.get(param);
        if (wanted) entries = entries.filter((e) => e.record[param] === wanted);
      }
      const page = pageAfter(entries, q.get("cursor"), limit);
      if (page === "bad-cursor") return error(req, 400, "invalid_argument", "invalid cursor");
      return json({ data: page.items.map((e) => e.record), ...(page.next ? { next_cursor: page.next } : {}), has_more: page.next !== undefined }, 200, { "X-Request-Id": req.requestId });
    },

    make(rng: Random, at: number): JitsudoRecord {
      const action = rng.pick(ACTIONS);
      const actorType = action === "grant.expired" || action === "request.approved" ? rng.pick(["system", "oidc"] as const) : rng.pick(["oidc", "oidc", "api_key"] as const);
      const actorId = actorType === "system" ? "system" : actorType === "api_key" ? rng.uuid() : person(rng).email;
      const account = String(rng.int(100_000_000_000, 999_999_999_999));
      return {
        id: rng.uuid(),
        actor_id: actorId,
        actor_type: actorType,
        action,
        resource_type: action.startsWith("policy") ? "policy" : "aws_account",
        resource_id: action.startsWith("policy") ? `policy-${rng.int(1, 40)}` : account,
        metadata: action.startsWith("request")
          ? { permission_set: rng.pick(["ReadOnly", "PowerUser", "Admin"]), duration_seconds: rng.pick([3600, 14400]), justification: `Investigating INC-${rng.int(1000, 9999)}` }
          : { approval_mode: rng.pick(["auto", "manual"]) },
        reasoning: action === "request.approved" || action === "request.denied" ? `Decided by policy rule ${rng.int(1, 20)}` : null,
        created_at: new Date(at).toISOString().replace(/\.\d{3}Z$/, "Z"),
      };
    },
  };
}
