/**
 * Zendesk Support: `GET https://{subdomain}.zendesk.com/api/v2/audit_logs`, Basic
 * (`{email}/token:{apiToken}`) or OAuth Bearer, cursor pagination followed by `links.next`.
 * Source: vendor-docs 001 and research/vendors.md (response envelope, 429 as text/plain).
 */
import createFetchClient from "openapi-fetch";
import * as z from "zod/mini";
import type { components, paths } from "../../generated/zendesk.js";
import { ConfigError, ResponseValidationError } from "../core/errors.js";
import { recordTime, str, timeOfField, unmappedFieldsOf, type NormalizedFields } from "../core/event.js";
import { asList, oneOrMany } from "../core/filter.js";
import type { CommonOptions } from "../core/options.js";
import { linkPagination, type PageContext } from "../core/paginate.js";
import { isJsonObject, isNullishString, isNumber, isString, withFastPath } from "../core/schema.js";
import { defineVendor, type ClientOf } from "../core/vendor.js";

export type { components, paths };

// --- options and auth --------------------------------------------------------------------------

/** Zendesk client options: credentials and the common options. */
export interface ZendeskOptions extends CommonOptions {
  /** `acme` for acme.zendesk.com. */
  subdomain: string;
  /** An API token with the agent's email, or an OAuth access token (scope `read` or `auditlogs:read`). */
  auth: { email: string; apiToken: string } | { oauthToken: string };
}

/** One Zendesk audit-log record, typed from the vendor's spec. */
export type ZendeskAuditLog = components["schemas"]["AuditLog"];

function authHeaders(options: ZendeskOptions): Record<string, string> {
  const auth: unknown = options.auth;
  if (auth === undefined || auth === null || typeof auth !== "object") {
    throw new ConfigError("is required: { email, apiToken } or { oauthToken }", "auth");
  }
  if ("oauthToken" in auth) {
    if ("apiToken" in auth || "email" in auth) throw new ConfigError("give either { email, apiToken } or { oauthToken }, not both", "auth");
    return { Authorization: `Bearer ${auth.oauthToken}` };
  }
  if ("email" in auth || "apiToken" in auth) {
    const { email, apiToken } = auth as { email?: unknown; apiToken?: unknown };
    if (email === undefined) throw new ConfigError("is required", "auth.email");
    if (!/^[^@\s]+@[^@\s]+$/.test(String(email))) throw new ConfigError("must be an email address", "auth.email");
    if (apiToken === undefined) throw new ConfigError("is required", "auth.apiToken");
    return { Authorization: `Basic ${Buffer.from(`${email}/token:${apiToken}`).toString("base64")}` };
  }
  throw new ConfigError("must be { email, apiToken } or { oauthToken }", "auth");
}

function subdomainOf(options: ZendeskOptions): string {
  const subdomain: unknown = options.subdomain;
  if (typeof subdomain !== "string" || subdomain === "") throw new ConfigError("is required (acme for acme.zendesk.com)", "subdomain");
  if (!/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i.test(subdomain)) {
    throw new ConfigError(`must be the subdomain only, such as "acme" (got ${JSON.stringify(subdomain)})`, "subdomain");
  }
  return subdomain.toLowerCase();
}

const numericId = z.union([z.number().check(z.int()), z.string().check(z.regex(/^\d+$/))]);

const filter = z
  .strictObject({
    action: z.optional(oneOrMany(z.string().check(z.minLength(1)))),
    actorId: z.optional(oneOrMany(numericId)),
    sourceType: z.optional(oneOrMany(z.string().check(z.minLength(1)))),
    /** Zendesk requires `sourceType` with it. */
    sourceId: z.optional(oneOrMany(numericId)),
    ipAddress: z.optional(oneOrMany(z.string().check(z.minLength(1)))),
  })
  .check(z.refine((f) => f.sourceId === undefined || f.sourceType !== undefined, { message: "needs filter.sourceType too (Zendesk requires it)", path: ["sourceId"] }));

/** Zendesk's filters for `events({ filter })`, mapped to its query parameters. */
export type ZendeskFilter = z.input<typeof filter>;

// --- raw record schema -------------------------------------------------------------------------

const isNullishId = (value: unknown) => value === undefined || value === null || typeof value === "string" || isNumber(value);

// The hand-written test decides the common case; zod decides (and words) the rest.
const record = withFastPath(
  z.object({
    id: z.union([z.number(), z.string()]),
    action: z.nullish(z.string()),
    actor_id: z.nullish(z.union([z.number(), z.string()])),
    actor_name: z.nullish(z.string()),
    source_id: z.nullish(z.union([z.number(), z.string()])),
    source_type: z.nullish(z.string()),
    source_label: z.nullish(z.string()),
    change_description: z.nullish(z.string()),
    ip_address: z.nullish(z.string()),
    created_at: z.string(),
  }),
  (r) =>
    isJsonObject(r) &&
    (typeof r.id === "string" || isNumber(r.id)) &&
    isNullishString(r.action) &&
    isNullishId(r.actor_id) &&
    isNullishString(r.actor_name) &&
    isNullishId(r.source_id) &&
    isNullishString(r.source_type) &&
    isNullishString(r.source_label) &&
    isNullishString(r.change_description) &&
    isNullishString(r.ip_address) &&
    isString(r.created_at),
);

const envelope = z.object({
  audit_logs: z.array(z.unknown()),
  meta: z.object({ has_more: z.boolean(), after_cursor: z.nullish(z.string()), before_cursor: z.nullish(z.string()) }),
  links: z.optional(z.object({ next: z.nullish(z.string()), prev: z.nullish(z.string()) })),
});

// --- normalize ---------------------------------------------------------------------------------

const MAPPED = new Set(["id", "action", "actor_id", "actor_name", "source_id", "source_type", "source_label", "change_description", "ip_address", "created_at"]);
const unmapped = unmappedFieldsOf(MAPPED, [(r) => ({ url: r.url, action_label: r.action_label })]);

function normalize(raw: ZendeskAuditLog): NormalizedFields {
  return {
    // As a string here: a large numeric id read into another object is boxed first (~40 % of this function).
    id: str(raw.id),
    occurredAt: recordTime(raw, "created_at"),
    action: raw.action,
    actor: { id: str(raw.actor_id), name: str(raw.actor_name) },
    source: { ip: str(raw.ip_address) },
    target: { type: str(raw.source_type), id: str(raw.source_id), name: str(raw.source_label) },
    message: raw.change_description,
    unmapped: unmapped(raw as Record<string, unknown>),
  };
}

// --- definition --------------------------------------------------------------------------------

/** Zendesk timestamps are second precision, `YYYY-MM-DDTHH:MM:SSZ`. */
const zendeskTime = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");

const FILTER_PARAMS = {
  action: "filter[action][]",
  actorId: "filter[actor_id][]",
  sourceType: "filter[source_type][]",
  sourceId: "filter[source_id][]",
  ipAddress: "filter[ip_address][]",
} as const;

function firstPage(ctx: PageContext<z.output<typeof filter>>) {
  // filter[created_at][] is sent twice (start, end), both inclusive at Zendesk, whole seconds:
  // the SDK widens to whole seconds and trims to [since, until) itself.
  const query: Record<string, string | number | string[]> = {
    "page[size]": ctx.pageSize ?? 100,
    // Oldest first; the default is newest first.
    sort: "created_at",
    "filter[created_at][]": [zendeskTime(Math.floor((ctx.since ?? 0) / 1000) * 1000), zendeskTime(Math.floor(ctx.until / 1000) * 1000)],
  };
  for (const [key, param] of Object.entries(FILTER_PARAMS)) query[param] = asList(ctx.filter?.[key as keyof typeof FILTER_PARAMS]);
  return { path: "/api/v2/audit_logs", query };
}

/** Zendesk Support, as a vendor definition. Events come oldest first (`sort=created_at`). */
export const zendesk = defineVendor({
  id: "zendesk",
  name: "Zendesk Support",
  vendorName: "Zendesk",
  baseUrl: (options) => `https://${subdomainOf(options)}.zendesk.com`,
  // Audit logs are Enterprise-only; Enterprise allows 700/min (2,500 with High Volume: `rateLimit`).
  requestsPerMinute: 700,
  // The account's real plan: X-Rate-Limit (per minute) and what is left of it.
  rateLimitHeaders: { limit: ["x-rate-limit", "ratelimit-limit"], remaining: ["x-rate-limit-remaining", "ratelimit-remaining"] },
  secrets: ["auth.email?", "auth.apiToken?", "auth.oauthToken?"],
  // And nothing else: any other option is a ConfigError naming it (a typo of timeoutMs, say).
  options: ["subdomain"],
  tenant: (options) => subdomainOf(options),
  auth: (options: ZendeskOptions) => authHeaders(options),
  pageSize: { max: 100 },
  record,
  filter,
  pagination: linkPagination({
    envelope,
    first: firstPage,
    defaultPageSize: 100,
    // A resumed run may use another page size than the one stored in the link.
    query: (ctx) => ({ "page[size]": ctx.pageSize }),
    records: (page) => page.audit_logs,
    linkField: "links.next",
    next: (page, response) => {
      if (!page.meta.has_more) return undefined;
      if (page.links?.next) return page.links.next;
      if (!page.meta.after_cursor) {
        throw new ResponseValidationError({ vendor: "zendesk", path: "meta.after_cursor", message: "has_more is true but there is no next link or cursor" });
      }
      const url = new URL(response.url);
      url.searchParams.set("page[after]", page.meta.after_cursor);
      return url.href;
    },
    // The created_at filter bounds every request: the range is read as parallel time slices.
    timeSlices: true,
    time: timeOfField("created_at"),
  }),
  normalize,
  // Zendesk rejects a time filter bound 60 s or less in the past.
  maxUntil: (now) => now - 61_000,
  explainError: (status, body) =>
    status === 403 && /do not have access/i.test(JSON.stringify(body ?? ""))
      ? "Zendesk denied access to the audit log. Audit logs need a Zendesk Enterprise plan and an admin's credentials; this account or user has neither."
      : undefined,
  raw: (init) => createFetchClient<paths>(init),
});

/** A Zendesk client: `events()`, `pages()`, `raw`, `stats`. */
export type ZendeskClient = ClientOf<typeof zendesk>;

/** The event a Zendesk client makes of a record (`tenant`: the subdomain). */
export const normalizeZendesk = (raw: ZendeskAuditLog, tenant?: string) => zendesk.normalize(raw, { tenant });

/** A client for Zendesk Support's audit log. Events come oldest first (`sort=created_at`). */
export function createZendeskClient(options: ZendeskOptions): ZendeskClient {
  return zendesk.createClient(options);
}
