/**
 * Cortex, `GET /api/v1/audit-logs` (vendor-docs/003, research §4): `Authorization: Bearer
 * <token>`; `page` (0-indexed, default 0) and `pageSize` (1–1000, default 250); body
 * `{logs, page, total, totalPages}`; `startTime`/`endTime` (inclusive; a time without offset is
 * UTC); array filters comma-joined (or repeated); records without an id, some without an actor;
 * errors `{type, message, httpStatus, requestId}`; 429 as `application/problem+json` with
 * `retryAfter` and a `Retry-After` header.
 */
import type { components } from "../../generated/cortex.js";
import { ipv4, isoMillis, person, type Random } from "./data.js";
import { authToken, intParam, json, listParam, parseTime, type AuditLog, type FakeContext, type VendorFake } from "./fake.js";

// Records ---------------------------------------------------------------------------------------

export type CortexRecord = components["schemas"]["AuditLogResponse"];

const OBJECT_TYPES = ["CATALOG", "CATALOG", "TEAM", "SCORECARD", "INITIATIVE", "WORKFLOW", "AWS_CONFIGURATION", "BITBUCKET_CONFIGURATION"];
const TAGS = ["payments-service", "platform-team", "checkout-api", "legacy-billing", "search-indexer", "auth-gateway", "data-pipeline", "sre-oncall"];
const API_KEYS = ["ci-deploy-key", "terraform-sync", "github-actions"];
const PERSONAL_KEYS = ["jdoe-laptop", "migration-script"];

/** Who a record says acted, as Cortex's `actorTypes` filter sees it. */
function actorType(log: CortexRecord): string {
  const actor = log.actorIdentifier;
  if (actor === undefined) return "ANONYMOUS";
  if (actor.includes("@")) return "OAUTH2";
  if (actor === "backstage-plugin") return "BACKSTAGE";
  return PERSONAL_KEYS.includes(actor) ? "PERSONAL_API_KEY" : "API_KEY";
}

/** Hashes of the records in each log (FNV-1a of their JSON): a repeat is drawn again. */
const fingerprints = new WeakMap<AuditLog<CortexRecord>, Set<number>>();

/**
 * Cortex records have no id, so the SDK tells them apart by content: a record is never the same
 * as another in its log. GitOps and auto-import changes carry no actor; API keys are named,
 * people are emails.
 */
function record(rng: Random, at: number, log: AuditLog<CortexRecord>): CortexRecord {
  let seen = fingerprints.get(log);
  if (!seen) fingerprints.set(log, (seen = new Set()));
  for (;;) {
    const out: CortexRecord = {
      action: rng.pick(["CREATE", "UPDATE", "UPDATE", "UPDATE", "DELETE"] as const),
      objectIdentifier: `${rng.pick(TAGS)}${rng.chance(0.5) ? `-${rng.int(1, 60)}` : ""}`,
      objectType: rng.pick(OBJECT_TYPES),
      timestamp: isoMillis(at),
    };
    const actor = rng.next();
    if (actor < 0.55) out.actorIdentifier = person(rng).email;
    else if (actor < 0.75) out.actorIdentifier = rng.pick(API_KEYS);
    else if (actor < 0.8) out.actorIdentifier = rng.pick(PERSONAL_KEYS);
    else if (actor < 0.85) out.actorIdentifier = "backstage-plugin";
    if (out.actorIdentifier !== undefined) out.ipAddress = ipv4(rng);
    const hash = fnv1a(JSON.stringify(out));
    if (!seen.has(hash)) {
      seen.add(hash);
      return out;
    }
  }
}

function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return hash >>> 0;
}

// Errors ----------------------------------------------------------------------------------------

const ERROR_TYPES: Record<number, string> = { 400: "BAD_REQUEST", 401: "UNAUTHORIZED", 500: "INTERNAL_SERVER_ERROR", 502: "BAD_GATEWAY", 503: "SERVICE_UNAVAILABLE" };

function problem(context: FakeContext<CortexRecord>, status: number, message: string): Response {
  return json({ type: ERROR_TYPES[status] ?? "ERROR", message, httpStatus: status, requestId: context.requestId }, status);
}

/** Query parameter → what it matches, and the values it may take (undefined: any). */
const FILTERS: Array<[param: string, value: (log: CortexRecord) => string | undefined, allowed?: string[]]> = [
  ["actions", (log) => log.action, ["CREATE", "READ", "UPDATE", "DELETE"]],
  ["objectTypes", (log) => log.objectType],
  ["objectIdentifiers", (log) => log.objectIdentifier],
  ["actorTypes", actorType, ["API_KEY", "PERSONAL_API_KEY", "OAUTH2", "BACKSTAGE", "ANONYMOUS"]],
  ["actorEmails", (log) => log.actorIdentifier],
  ["actorApiKeyIdentifiers", (log) => log.actorIdentifier],
  ["actorIpAddresses", (log) => log.ipAddress],
];

// The fake --------------------------------------------------------------------------------------

export const cortex: VendorFake<CortexRecord> = {
  vendor: "cortex",
  paths: ["/api/v1/audit-logs"],
  precisionMs: 1,

  authenticate(request, context) {
    return authToken(request, "Bearer") === context.config.credentials.cortex.apiToken ? undefined : problem(context, 401, "Invalid or missing API key");
  },

  list(_request, _body, context) {
    const query = context.url.searchParams;
    const page = intParam(query.get("page"), 0, 0, 2 ** 31 - 1);
    const pageSize = intParam(query.get("pageSize"), 250, 1, 1000);
    if (page === "invalid") return problem(context, 400, "page must be an integer of 0 or more");
    if (pageSize === "invalid") return problem(context, 400, "pageSize must be between 1 and 1000");
    const start = parseTime(query.get("startTime"), { zoneOptional: true });
    const end = parseTime(query.get("endTime"), { zoneOptional: true });
    if (start === "invalid" || end === "invalid") return problem(context, 400, "startTime and endTime must be ISO-8601 date-times");
    let entries = context.log.between(start, end);
    for (const [param, value, allowed] of FILTERS) {
      const wanted = listParam(query, param);
      const wrong = allowed && wanted.find((v) => !allowed.includes(v));
      if (wrong) return problem(context, 400, `${param}: unknown value ${wrong}`);
      if (wanted.length > 0) entries = entries.filter((entry) => wanted.includes(value(entry.record) ?? ""));
    }
    const total = entries.length;
    const logs = entries.slice(page * pageSize, (page + 1) * pageSize).map((entry) => entry.record);
    return json({ logs, page, total, totalPages: Math.ceil(total / pageSize) });
  },

  rateLimited(context, seconds) {
    const body = { type: "about:blank", title: "Too Many Requests", status: 429, detail: "Rate limit exceeded", instance: context.url.pathname, retryAfter: seconds };
    return json(body, 429, { "content-type": "application/problem+json", "Retry-After": String(seconds) });
  },
  serverError: (context, status) => problem(context, status, "An unexpected error occurred"),
  record,
};
