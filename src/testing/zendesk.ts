/**
 * Zendesk Support's `GET /api/v2/audit_logs`: Basic `{email}/token:{apiToken}` or OAuth Bearer,
 * cursor pagination (`page[size]` 1–100, 101 is a 400, not clamped; `page[after]`), `sort`
 * (default `-created_at`, newest first), `filter[...]` with `[]` for repeated values,
 * `filter[created_at][]` exactly twice and not within the last 60 s, Enterprise-only (403),
 * and a text/plain 429 with `Retry-After`.
 */
import type { components } from "../../generated/zendesk.js";
import { isoSeconds, ipv4, person, type Random } from "./data.js";
import { AuditLog, intParam, json, pageAfter, parseTime, text, type Entry, type FakeRequest, type VendorFake } from "./vendor.js";

type ZendeskRecord = components["schemas"]["AuditLog"];

const ACTIONS: Array<[string, string]> = [
  ["create", "Created"],
  ["update", "Updated"],
  ["destroy", "Deleted"],
  ["login", "Signed in"],
  ["exported", "Exported"],
];
const SOURCES = ["user", "rule", "ticket", "organization", "account_setting", "trigger"];

export interface ZendeskFakeOptions {
  subdomain: string;
  email: string;
  apiToken: string;
  oauthToken: string;
  /** false: the account is not on Enterprise and gets 403 like the real one. */
  enterprise: boolean;
}

export function zendeskFake(options: ZendeskFakeOptions): VendorFake<ZendeskRecord> {
  const basic = `Basic ${Buffer.from(`${options.email}/token:${options.apiToken}`).toString("base64")}`;
  const error = (status: number, error: string, description?: string) => json(description ? { error, description } : { error }, status);
  let nextId = 35436;

  return {
    vendor: "zendesk",
    path: "/api/v2/audit_logs",
    precisionMs: 1000,
    log: new AuditLog<ZendeskRecord>(),

    authenticate(req) {
      const header = req.request.headers.get("authorization");
      if (header !== basic && header !== `Bearer ${options.oauthToken}`) return error(401, "Couldn't authenticate you");
      if (!options.enterprise) return error(403, "Forbidden", "You do not have access to this page. Please contact the account owner of this help desk for further help.");
      return undefined;
    },
    rateLimited: (_req, seconds) => text("Number of allowed API requests per minute exceeded", 429, { "Retry-After": String(seconds) }),
    serverError: (_req, status) => error(status, "InternalError", "Something went wrong"),

    list(req) {
      const q = req.url.searchParams;
      const size = intParam(q.get("page[size]"), 100, 1, 100);
      if (size === "invalid") return error(400, "InvalidPaginationParameter", "page[size] must be an integer between 1 and 100");
      const sort = q.get("sort") ?? "-created_at";
      if (sort !== "created_at" && sort !== "-created_at") return error(400, "InvalidValue", "sort must be created_at or -created_at");

      let entries: Array<Entry<ZendeskRecord>> = this.log.entries;
      const created = q.getAll("filter[created_at][]");
      if (created.length > 0 || q.has("filter[created_at]")) {
        const bounds = created.map((v) => parseTime(v));
        if (created.length !== 2 || bounds.some((b) => typeof b !== "number")) {
          return error(400, "InvalidValue", "Invalid filter[created_at] specified; format is ?filter[created_at][]=YYYY-MM-DDTHH:MM:SSZ&filter[created_at][]=YYYY-MM-DDTHH:MM:SSZ");
        }
        const [from, to] = bounds as [number, number];
        if (from > req.now - 60_000 || to > req.now - 60_000) {
          return error(400, "InvalidValue", "filter[created_at] must be more than 60 seconds in the past");
        }
        entries = entries.filter((e) => e.at >= from && e.at <= to);
      }
      for (const [param, field] of [["action", "action"], ["actor_id", "actor_id"], ["source_type", "source_type"], ["source_id", "source_id"], ["ip_address", "ip_address"]] as const) {
        const wanted = [...q.getAll(`filter[${param}][]`), ...q.getAll(`filter[${param}]`)];
        if (wanted.length > 0) entries = entries.filter((e) => wanted.includes(String(e.record[field])));
      }
      if (sort === "-created_at") entries = [...entries].reverse();

      const page = pageAfter(entries, q.get("page[after]"), size);
      if (page === "bad-cursor") return error(400, "InvalidPaginationParameter", "page[after] is not a valid cursor");
      const first = page.items[0];
      const last = page.items[page.items.length - 1];
      let next: string | null = null;
      if (page.next) {
        const url = new URL(req.url);
        url.searchParams.set("page[after]", page.next);
        url.searchParams.delete("page[before]");
        next = url.href;
      }
      return json({
        audit_logs: page.items.map((e) => e.record),
        meta: {
          has_more: page.next !== undefined,
          after_cursor: last ? page.next ?? null : null,
          before_cursor: first ? Buffer.from(JSON.stringify({ t: first.at, s: first.seq })).toString("base64url") : null,
        },
        links: { next, prev: null },
      });
    },

    make(rng: Random, at: number): ZendeskRecord {
      const [action, label] = rng.pick(ACTIONS);
      const sourceType = action === "login" ? "user" : rng.pick(SOURCES);
      const actor = person(rng);
      const id = nextId++;
      const subject = sourceType === "ticket" ? `Ticket #${rng.int(1000, 99999)}` : sourceType === "user" ? person(rng).name : `${sourceType.replace("_", " ")} ${rng.int(1, 400)}`;
      return {
        id,
        action,
        action_label: label,
        actor_id: rng.int(1000, 999_999),
        actor_name: actor.name,
        source_id: rng.int(1000, 999_999),
        source_type: sourceType,
        source_label: subject,
        change_description: action === "login" ? `${actor.name} signed in` : `${label} ${subject}`,
        ip_address: ipv4(rng),
        created_at: isoSeconds(at),
        url: `https://${options.subdomain}.zendesk.com/api/v2/audit_logs/${id}`,
      };
    },
  };
}
