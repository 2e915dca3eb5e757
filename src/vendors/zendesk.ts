/**
 * Zendesk Support: `GET https://{subdomain}.zendesk.com/api/v2/audit_logs`, Basic
 * (`{email}/token:{apiToken}`) or OAuth Bearer, cursor pagination followed by `links.next`.
 * Source: vendor-docs 001 and research/vendors.md (response envelope, 429 as text/plain).
 */
import { z } from "zod";
import type { components, paths } from "../../generated/zendesk.js";
import { createVendorClient, RecordFieldError, type AuditLogClient, type VendorDefinition } from "../core/client.js";
import { ConfigError, ResponseValidationError } from "../core/errors.js";
import { compact, operationOf, str, toOccurredAt, unmappedFields, type AuditEvent } from "../core/event.js";
import { asList, filterParser, oneOrMany } from "../core/filter.js";
import { requireSecret, type CommonOptions } from "../core/options.js";
import { linkStrategy } from "../core/paginate.js";

export type { components, paths };

// --- options and auth --------------------------------------------------------------------------

export interface ZendeskOptions extends CommonOptions {
  /** `acme` for acme.zendesk.com. */
  subdomain: string;
  /** An API token with the agent's email, or an OAuth access token (scope `read` or `auditlogs:read`). */
  auth: { email: string; apiToken: string } | { oauthToken: string };
}

export type ZendeskAuditLog = components["schemas"]["AuditLog"];
export interface ZendeskFilter {
  action?: string | string[];
  actorId?: number | string | Array<number | string>;
  sourceType?: string | string[];
  /** Zendesk requires `sourceType` with it. */
  sourceId?: number | string | Array<number | string>;
  ipAddress?: string | string[];
}
export type ZendeskClient = AuditLogClient<"zendesk", ZendeskAuditLog, ZendeskFilter, paths>;

function authHeaders(options: ZendeskOptions): Record<string, string> {
  const auth: unknown = options.auth;
  if (auth === undefined || auth === null || typeof auth !== "object") {
    throw new ConfigError("is required: { email, apiToken } or { oauthToken }", "auth");
  }
  if ("oauthToken" in auth) {
    if ("apiToken" in auth || "email" in auth) throw new ConfigError("give either { email, apiToken } or { oauthToken }, not both", "auth");
    return { Authorization: `Bearer ${requireSecret(auth.oauthToken, "auth.oauthToken")}` };
  }
  if ("email" in auth || "apiToken" in auth) {
    const email = requireSecret((auth as { email?: unknown }).email, "auth.email");
    if (!/^[^@\s]+@[^@\s]+$/.test(email)) throw new ConfigError("must be an email address", "auth.email");
    const token = requireSecret((auth as { apiToken?: unknown }).apiToken, "auth.apiToken");
    return { Authorization: `Basic ${Buffer.from(`${email}/token:${token}`).toString("base64")}` };
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

// --- raw record schema -------------------------------------------------------------------------

const record = z.object({
  id: z.union([z.number(), z.string()]),
  action: z.string().nullish(),
  actor_id: z.union([z.number(), z.string()]).nullish(),
  actor_name: z.string().nullish(),
  source_id: z.union([z.number(), z.string()]).nullish(),
  source_type: z.string().nullish(),
  source_label: z.string().nullish(),
  change_description: z.string().nullish(),
  ip_address: z.string().nullish(),
  created_at: z.string(),
});

const envelope = z.object({
  audit_logs: z.array(z.unknown()),
  meta: z.object({ has_more: z.boolean(), after_cursor: z.string().nullish(), before_cursor: z.string().nullish() }),
  links: z.object({ next: z.string().nullish(), prev: z.string().nullish() }).optional(),
});

// --- normalize ---------------------------------------------------------------------------------

const MAPPED = new Set(["id", "action", "actor_id", "actor_name", "source_id", "source_type", "source_label", "change_description", "ip_address", "created_at"]);

export function normalizeZendesk(raw: ZendeskAuditLog, tenant?: string): AuditEvent<ZendeskAuditLog> {
  const occurredAt = toOccurredAt(raw.created_at);
  if (!occurredAt) throw new RecordFieldError("created_at", "no usable created_at");
  const action = str(raw.action) ?? "unknown";
  const target = compact({ type: str(raw.source_type), id: str(raw.source_id), name: str(raw.source_label) });
  const message = str(raw.change_description);
  const event: AuditEvent<ZendeskAuditLog> = {
    vendor: "zendesk",
    id: String(raw.id),
    occurredAt,
    action,
    operation: operationOf(action),
    actor: compact({ id: str(raw.actor_id), name: str(raw.actor_name) }),
    source: compact({ ip: str(raw.ip_address) }),
    unmapped: unmappedFields(raw as Record<string, unknown>, MAPPED),
    raw,
  };
  if (target.type !== undefined || target.id !== undefined || target.name !== undefined) event.target = target;
  if (message) event.message = message;
  if (tenant) event.tenant = tenant;
  return event;
}

// --- pagination --------------------------------------------------------------------------------

/** Zendesk timestamps are second precision, `YYYY-MM-DDTHH:MM:SSZ`. */
const zendeskTime = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");

const FILTER_PARAMS: Record<keyof ZendeskFilter, string> = {
  action: "filter[action][]",
  actorId: "filter[actor_id][]",
  sourceType: "filter[source_type][]",
  sourceId: "filter[source_id][]",
  ipAddress: "filter[ip_address][]",
};

const strategy = linkStrategy({
  envelope,
  firstUrl: (ctx) => {
    const url = new URL("/api/v2/audit_logs", ctx.origin);
    const q = url.searchParams;
    q.set("page[size]", String(ctx.pageSize ?? 100));
    // Oldest first; the default is newest first.
    q.set("sort", "created_at");
    // filter[created_at][] is sent twice (start, end), both inclusive at Zendesk, whole seconds:
    // the SDK widens to whole seconds and trims to [since, until) itself.
    if (ctx.since !== undefined || ctx.until !== undefined) {
      q.append("filter[created_at][]", zendeskTime(Math.floor((ctx.since ?? 0) / 1000) * 1000));
      q.append("filter[created_at][]", zendeskTime(Math.floor(ctx.until / 1000) * 1000));
    }
    const filter = (ctx.filter ?? {}) as ZendeskFilter;
    for (const key of Object.keys(FILTER_PARAMS) as Array<keyof ZendeskFilter>) {
      for (const value of asList(filter[key])) q.append(FILTER_PARAMS[key], value);
    }
    return url;
  },
  // A resumed run may use another page size than the one stored in the link.
  adjust: (url, ctx) => {
    if (ctx.pageSize !== undefined) url.searchParams.set("page[size]", String(ctx.pageSize));
  },
  records: (page) => page.audit_logs,
  next: (page, current) => {
    if (!page.meta.has_more) return undefined;
    if (page.links?.next) return page.links.next;
    if (!page.meta.after_cursor) {
      throw new ResponseValidationError({ vendor: "zendesk", path: "meta.after_cursor", message: "has_more is true but there is no next link or cursor" });
    }
    const url = new URL(current);
    url.searchParams.set("page[after]", page.meta.after_cursor);
    return url.href;
  },
});

// --- factory -----------------------------------------------------------------------------------

const filter = filterParser("zendesk", {
  action: z.optional(oneOrMany(z.string().min(1))),
  actorId: z.optional(oneOrMany(z.union([z.number().int(), z.string().regex(/^\d+$/)]))),
  sourceType: z.optional(oneOrMany(z.string().min(1))),
  sourceId: z.optional(oneOrMany(z.union([z.number().int(), z.string().regex(/^\d+$/)]))),
  ipAddress: z.optional(oneOrMany(z.string().min(1))),
});

function zendesk(subdomain: string): VendorDefinition<"zendesk", ZendeskOptions, ZendeskAuditLog, ZendeskFilter, string, z.infer<typeof envelope>> {
  return {
    id: "zendesk",
    defaultBaseUrl: () => `https://${subdomain}.zendesk.com`,
    // Audit logs are Enterprise-only; Enterprise allows 700/min (2,500 with High Volume: `rateLimit`).
    requestsPerMinute: 700,
    auth: (options) => ({ headers: authHeaders(options), tenant: subdomain }),
    record: record as z.ZodType<ZendeskAuditLog>,
    normalize: (raw, ctx) => normalizeZendesk(raw, ctx.tenant),
    strategy,
    pageSize: { max: 100 },
    filter: (value) => {
      const parsed = filter(value);
      if (parsed?.sourceId !== undefined && parsed.sourceType === undefined) {
        throw new ConfigError("needs filter.sourceType too (Zendesk requires it)", "filter.sourceId");
      }
      return parsed;
    },
    // Zendesk rejects a time filter bound 60 s or less in the past.
    maxUntil: (now) => now - 61_000,
    explainError: (status, body) =>
      status === 403 && /do not have access/i.test(JSON.stringify(body ?? ""))
        ? "Zendesk denied access to the audit log. Audit logs need a Zendesk Enterprise plan and an admin's credentials; this account or user has neither."
        : undefined,
  };
}

/** A client for Zendesk Support's audit log. Events come oldest first (`sort=created_at`). */
export function createZendeskClient(options: ZendeskOptions): ZendeskClient {
  if (options === null || typeof options !== "object") throw new ConfigError("options must be an object");
  return createVendorClient<"zendesk", ZendeskOptions, ZendeskAuditLog, ZendeskFilter, string, z.infer<typeof envelope>, paths>(zendesk(subdomainOf(options)), options);
}
