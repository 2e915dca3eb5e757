/**
 * Zendesk Support, `GET /api/v2/audit_logs` (vendor-docs/001, research §2): Basic
 * `{email}/token:{apiToken}` or an OAuth Bearer token; Enterprise only (403 "You do not have
 * access to this page."). Cursor pagination when `page[size]` (1–100; 101 is a 400, not
 * clamped), `page[after]` or `page[before]` is sent, with opaque cursors bound to the `sort`
 * (default `-created_at`, newest first); otherwise offset pagination (`page`, `per_page`, 400
 * past 10,000 records). Filters `filter[x][]` (repeated) or `filter[x]`; `filter[created_at][]`
 * exactly twice, inclusive, and never 60 s or less in the past. 429 is text/plain with
 * `Retry-After`.
 */
import type { components } from "../../generated/zendesk.js";
import { isoSeconds, ipv4, person, type Random } from "./data.js";
import { cursorParam, encodeCursor, intParam, json, keysetPage, parseTime, text, type AuditLog, type Entry, type FakeContext, type VendorFake } from "./fake.js";

// Records ---------------------------------------------------------------------------------------

export type ZendeskRecord = components["schemas"]["AuditLog"];

const ACTIONS: Record<string, { label: string; sources: string[] }> = {
  create: { label: "Created", sources: ["user", "ticket", "rule", "api_token", "organization"] },
  update: { label: "Updated", sources: ["user", "account_setting", "user_setting", "rule", "organization", "ticket"] },
  destroy: { label: "Deleted", sources: ["user", "organization", "rule", "api_token"] },
  login: { label: "Logged in", sources: ["user"] },
  exported: { label: "Exported", sources: ["account"] },
};
const ACTION_NAMES = Object.keys(ACTIONS);
const SETTINGS = ["Credit Card Redaction", "Two-factor authentication", "Agent Workspace", "Single sign-on", "IP restrictions"];
const RULES = ["Trigger: Notify requester of received request", "Automation: Close ticket 4 days after status is set to solved", "View: Unassigned tickets"];
/** The simulated account: acme.zendesk.com. */
export const ZENDESK_SUBDOMAIN = "acme";
/** Real audit log ids are about 14 digits (research §2.3); still below 2^53. */
const FIRST_ID = 54_210_000_000_000;

/** Ids grow with arrival, as Zendesk's do; some records lack actor_name or ip_address. */
function record(rng: Random, at: number, log: AuditLog<ZendeskRecord>): ZendeskRecord {
  const action = rng.pick(ACTION_NAMES);
  const { label, sources } = ACTIONS[action]!;
  const sourceType = rng.pick(sources);
  const actor = person(rng);
  const id = FIRST_ID + log.size * 8 + rng.int(0, 7);
  const sourceLabel =
    sourceType === "ticket" ? `Ticket #${rng.int(1000, 99_999)}`
    : sourceType === "user" || sourceType === "user_setting" ? person(rng).name
    : sourceType === "account_setting" ? rng.pick(SETTINGS)
    : sourceType === "rule" ? rng.pick(RULES)
    : sourceType === "organization" ? `Organization: ${rng.pick(["Globex", "Initech", "Umbrella", "Hooli"])}`
    : sourceType === "api_token" ? "API token"
    : "Account";
  const changeDescription =
    action === "login" ? `${actor.name} logged in`
    : action === "exported" ? "Exported users as CSV"
    : sourceType === "account_setting" ? rng.pick(["Enabled", "Disabled"])
    : sourceType === "api_token" ? ""
    : sourceType === "user" && action === "update" ? "Role changed from End User to Administrator"
    : `${label} ${sourceLabel}`;
  const out: ZendeskRecord = {
    url: `https://${ZENDESK_SUBDOMAIN}.zendesk.com/api/v2/audit_logs/${id}`,
    id,
    action_label: label,
    actor_id: 380_012_000_000 + rng.int(0, 999_999),
    actor_name: actor.name,
    source_id: sourceType === "account_setting" ? rng.int(1, 40) : 380_012_000_000 + rng.int(0, 999_999),
    source_type: sourceType,
    source_label: sourceLabel,
    action,
    change_description: changeDescription,
    ip_address: ipv4(rng),
    created_at: isoSeconds(at),
  };
  if (rng.chance(0.05)) delete out.actor_name;
  if (rng.chance(0.05)) delete out.ip_address;
  return out;
}

// Errors ----------------------------------------------------------------------------------------

function error(status: number, code: string, description?: string): Response {
  return json(description === undefined ? { error: code } : { error: code, description }, status, { "content-type": "application/json; charset=utf-8" });
}

const INVALID_CREATED_AT = "Invalid filter[created_at] specified; format is ?filter[created_at][]=YYYY-MM-DDTHH:MM:SSZ&filter[created_at][]=YYYY-MM-DDTHH:MM:SSZ";
const FILTERS = ["action", "actor_id", "source_type", "source_id", "ip_address"] as const;

/** The entries the filters keep, oldest first; or the vendor's 400. */
function filtered(context: FakeContext<ZendeskRecord>): Array<Entry<ZendeskRecord>> | Response {
  const query = context.url.searchParams;
  if (query.has("filter[created_at]")) return error(400, "InvalidValue", INVALID_CREATED_AT);
  let entries = context.log.entries;
  const created = query.getAll("filter[created_at][]");
  if (created.length > 0) {
    const [from, to] = created.map((value) => parseTime(value));
    if (created.length !== 2 || typeof from !== "number" || typeof to !== "number") return error(400, "InvalidValue", INVALID_CREATED_AT);
    // Zendesk rejects a bound 60 s or less in the past (DESIGN §1).
    if (Math.max(from, to) >= context.now - 60_000) return error(400, "InvalidValue", "filter[created_at] must be more than 60 seconds in the past");
    entries = context.log.between(from, to);
  }
  const wanted = FILTERS.map((name) => [name, [...query.getAll(`filter[${name}][]`), ...query.getAll(`filter[${name}]`)]] as const).filter(([, values]) => values.length > 0);
  if (wanted.some(([name]) => name === "source_id") && !wanted.some(([name]) => name === "source_type")) {
    return error(400, "InvalidValue", "filter[source_id] requires filter[source_type] to also be set");
  }
  return wanted.length === 0 ? entries : entries.filter((entry) => wanted.every(([name, values]) => values.includes(String(entry.record[name]))));
}

// The fake --------------------------------------------------------------------------------------

export const zendesk: VendorFake<ZendeskRecord> = {
  vendor: "zendesk",
  paths: ["/api/v2/audit_logs", "/api/v2/audit_logs.json"],
  precisionMs: 1000,

  authenticate(request, context) {
    const { credentials, zendeskOauthToken, zendeskEnterprise } = context.config;
    const { email, apiToken } = credentials.zendesk.auth;
    const [scheme, token = ""] = (request.headers.get("authorization") ?? "").split(" ");
    const basic = scheme?.toLowerCase() === "basic" && token === Buffer.from(`${email}/token:${apiToken}`).toString("base64");
    const oauth = scheme?.toLowerCase() === "bearer" && token === zendeskOauthToken;
    if (!basic && !oauth) return error(401, "Couldn't authenticate you");
    if (!zendeskEnterprise) return error(403, "Forbidden", "You do not have access to this page. Please contact the account owner of this help desk for further help.");
    return undefined;
  },

  list(_request, _body, context) {
    const query = context.url.searchParams;
    const entries = filtered(context);
    if (entries instanceof Response) return entries;
    const cursorMode = ["page[size]", "page[after]", "page[before]"].some((name) => query.has(name));
    return cursorMode ? cursorPage(entries, context) : offsetPage(entries, context);
  },

  // Zendesk reports the account's limit per minute and what is left of it on every answer.
  rateLimitHeaders: (perMinute, remaining) => ({ "X-Rate-Limit": String(perMinute), "X-Rate-Limit-Remaining": String(remaining) }),
  rateLimited: (_context, seconds) => text("Number of allowed API requests per minute exceeded", 429, { "Retry-After": String(seconds), "X-Rate-Limit-Remaining": "0" }),
  serverError: (_context, status) => error(status, status === 500 ? "InternalServerError" : "ServiceUnavailable", "Please try again later"),
  record,
};

/** `{audit_logs, meta: {has_more, after_cursor, before_cursor}, links: {next, prev}}`, links on the request's own origin. */
function cursorPage(entries: Array<Entry<ZendeskRecord>>, context: FakeContext<ZendeskRecord>): Response {
  const query = context.url.searchParams;
  const limit = intParam(query.get("page[size]"), 100, 1, 100);
  if (limit === "invalid") return error(400, "InvalidPaginationParameter", "page[size] cannot be greater than 100");
  const sort = query.get("sort") ?? "-created_at";
  if (sort !== "created_at" && sort !== "-created_at") return error(400, "InvalidValue", "sort must be one of created_at, -created_at");
  const after = cursorParam(query, "page[after]", sort);
  const before = cursorParam(query, "page[before]", sort);
  if (after === "invalid") return error(400, "InvalidPaginationParameter", "page[after] is not valid");
  if (before === "invalid") return error(400, "InvalidPaginationParameter", "page[before] is not valid");

  const page = keysetPage(entries, { after, before, limit, newestFirst: sort === "-created_at" });
  const first = page.items[0];
  const last = page.items[page.items.length - 1];
  const afterCursor = last ? encodeCursor(last, sort) : null;
  const beforeCursor = first ? encodeCursor(first, sort) : null;
  const link = (name: "page[after]" | "page[before]", cursor: string | null) => {
    if (cursor === null) return null;
    const url = new URL(context.url);
    url.searchParams.delete("page[after]");
    url.searchParams.delete("page[before]");
    url.searchParams.set(name, cursor);
    return url.href;
  };
  // Paging backwards (page[before]), has_more looks backwards too.
  const hasMore = before ? page.hasPrevious : page.hasNext;
  return json({
    audit_logs: page.items.map((entry) => entry.record),
    meta: { has_more: hasMore, after_cursor: afterCursor, before_cursor: beforeCursor },
    links: {
      next: page.hasNext ? link("page[after]", afterCursor) : null,
      prev: page.hasPrevious ? link("page[before]", beforeCursor) : null,
    },
  }, 200, { "content-type": "application/json; charset=utf-8" });
}

/** Offset pagination (no `page[...]`): `{audit_logs, next_page, previous_page, count}`, at most 10,000 records deep. */
function offsetPage(entries: Array<Entry<ZendeskRecord>>, context: FakeContext<ZendeskRecord>): Response {
  const query = context.url.searchParams;
  const page = intParam(query.get("page"), 1, 1, Number.MAX_SAFE_INTEGER);
  const perPage = intParam(query.get("per_page"), 100, 1, 100);
  if (page === "invalid" || perPage === "invalid") return error(400, "InvalidPaginationParameter", "page and per_page must be positive integers, per_page at most 100");
  // Offset pagination stops at 10,000 records (Zendesk, 2024).
  if ((page - 1) * perPage >= 10_000) return error(400, "InvalidPaginationParameter", "Offset pagination is limited to the first 10,000 records; use cursor pagination");
  const descending = (query.get("sort_order") ?? "desc") !== "asc";
  const ordered = descending ? [...entries].reverse() : entries;
  const link = (n: number) => {
    const url = new URL(context.url);
    url.searchParams.set("page", String(n));
    return url.href;
  };
  return json({
    audit_logs: ordered.slice((page - 1) * perPage, page * perPage).map((entry) => entry.record),
    next_page: page * perPage < ordered.length ? link(page + 1) : null,
    previous_page: page > 1 ? link(page - 1) : null,
    count: ordered.length,
  }, 200, { "content-type": "application/json; charset=utf-8" });
}
