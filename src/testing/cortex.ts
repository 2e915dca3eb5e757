/**
 * Cortex's `GET /api/v1/audit-logs`: Bearer API key, `page` (0-indexed) and `pageSize`
 * (1–1000, default 250), `startTime`/`endTime`, array filters comma-joined, records without an
 * id, and a problem+json 429 with both `retryAfter` and `Retry-After`.
 */
import type { components } from "../../generated/cortex.js";
import { ipv4, person, type Random } from "./data.js";
import { AuditLog, bearer, intParam, json, parseTime, type FakeRequest, type VendorFake } from "./vendor.js";

type CortexRecord = components["schemas"]["AuditLogResponse"];

const OBJECT_TYPES = ["CATALOG", "TEAM", "SCORECARD", "INITIATIVE", "PLUGIN", "WORKFLOW"];
const SERVICES = ["payments-service", "platform-team", "checkout-api", "legacy-billing", "search-indexer", "auth-gateway", "data-pipeline"];
const FILTERS: Array<[param: string, field: keyof CortexRecord]> = [
  ["actions", "action"],
  ["objectTypes", "objectType"],
  ["objectIdentifiers", "objectIdentifier"],
  ["actorEmails", "actorIdentifier"],
  ["actorApiKeyIdentifiers", "actorIdentifier"],
  ["actorIpAddresses", "ipAddress"],
];

export function cortexFake(credentials: { apiToken: string }): VendorFake<CortexRecord> {
  const problem = (req: FakeRequest, status: number, message: string) =>
    json({ type: status === 401 ? "UNAUTHORIZED" : status === 400 ? "BAD_REQUEST" : "INTERNAL_SERVER_ERROR", message, httpStatus: status, requestId: req.requestId }, status, { "X-Request-Id": req.requestId });

  return {
    vendor: "cortex",
    path: "/api/v1/audit-logs",
    precisionMs: 1,
    log: new AuditLog<CortexRecord>(),

    authenticate: (req) => (bearer(req.request) === credentials.apiToken ? undefined : problem(req, 401, "Invalid or missing API key")),
    rateLimited: (req, seconds) =>
      new Response(JSON.stringify({ type: "about:blank", title: "Too Many Requests", status: 429, detail: "Rate limit of 1000 requests per minute exceeded", retryAfter: seconds }), {
        status: 429,
        headers: { "content-type": "application/problem+json", "Retry-After": String(seconds), "X-Request-Id": req.requestId },
      }),
    serverError: (req, status) => problem(req, status, "Internal server error"),

    list(req) {
      const q = req.url.searchParams;
      const page = intParam(q.get("page"), 0, 0, 1_000_000);
      const pageSize = intParam(q.get("pageSize"), 250, 1, 1000);
      if (page === "invalid") return problem(req, 400, "page must be an integer >= 0");
      if (pageSize === "invalid") return problem(req, 400, "pageSize must be between 1 and 1000");
      const start = parseTime(q.get("startTime"));
      const end = parseTime(q.get("endTime"));
      if (start === "invalid" || end === "invalid") return problem(req, 400, "startTime and endTime must be ISO-8601 date-times");
      let entries = this.log.between(start, end);
      for (const [param, field] of FILTERS) {
        const wanted = q.get(param)?.split(",").filter(Boolean);
        if (wanted?.length) entries = entries.filter((e) => wanted.includes(String(e.record[field])));
      }
      const total = entries.length;
      return json(
        { logs: entries.slice(page * pageSize, (page + 1) * pageSize).map((e) => e.record), page, total, totalPages: Math.ceil(total / pageSize) },
        200,
        { "X-Request-Id": req.requestId },
      );
    },

    make(rng: Random, at: number): CortexRecord {
      const record: CortexRecord = {
        action: rng.pick(["CREATE", "UPDATE", "UPDATE", "UPDATE", "DELETE"] as const),
        objectIdentifier: `${rng.pick(SERVICES)}-${rng.int(1, 60)}`,
        objectType: rng.pick(OBJECT_TYPES),
        timestamp: new Date(at).toISOString(),
      };
      // GitOps and auto-import changes carry no actor; API keys are named, people are emails.
      const actor = rng.next();
      if (actor < 0.6) record.actorIdentifier = person(rng).email;
      else if (actor < 0.85) record.actorIdentifier = rng.pick(["ci-deploy-key", "terraform-sync", "backstage-import"]);
      if (record.actorIdentifier) record.ipAddress = ipv4(rng);
      return record;
    },
  };
}
