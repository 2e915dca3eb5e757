/**
 * JITSudo (just-in-time AWS access, self-hosted): `GET {baseUrl}/v1/audit-log`, `X-API-Key` and
 * `X-Tenant-ID` headers, opaque cursor. Source: vendor-docs 002.
 */
import createFetchClient from "openapi-fetch";
import * as z from "zod/mini";
import type { components, paths } from "../../generated/jitsudo.js";
import { ConfigError, ResponseValidationError } from "../core/errors.js";
import { recordTime, timeOfField, unmappedFieldsOf, type NormalizedFields } from "../core/event.js";
import type { CommonOptions } from "../core/options.js";
import { cursorPagination, type PageContext } from "../core/paginate.js";
import { isJsonObject, isNonEmptyString, isNullishString, isString, withFastPath } from "../core/schema.js";
import { defineVendor, type ClientOf } from "../core/vendor.js";

export type { components, paths };

// --- options and auth --------------------------------------------------------------------------

/** Options of `createJitsudoClient`: the credentials, and every option clients share (`CommonOptions`). */
export interface JitsudoOptions extends CommonOptions {
  /** Your deployment's origin, such as `https://jitsudo.example.com` (JITSudo is self-hosted). */
  baseUrl: string;
  /** The API key, sent as `X-API-Key`. */
  apiKey: string;
  /** The tenant the key belongs to (a uuid); another tenant's id gets 403 `tenant_mismatch`. */
  tenantId: string;
}

/** One Jitsudo audit-log record, typed from the vendor's spec. */
export type JitsudoAuditLog = components["schemas"]["AuditLogEntry"];

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function tenantOf(options: JitsudoOptions): string {
  if (!UUID.test(options.tenantId)) throw new ConfigError("must be a uuid such as 2489e9ad-2ee2-8e00-8ec9-32d5f69181c0", "tenantId");
  return options.tenantId;
}

const text = z.optional(z.string().check(z.minLength(1)));
const filter = z.strictObject({ actorId: text, resourceType: text, resourceId: text, action: text });

/** Jitsudo's filters for `events({ filter })`, mapped to its query parameters. */
export type JitsudoFilter = z.input<typeof filter>;

// --- raw record schema -------------------------------------------------------------------------

// The hand-written test decides the common case; zod decides (and words) the rest.
const record = withFastPath(
  z.object({
    id: z.string().check(z.minLength(1)),
    actor_id: z.string(),
    actor_type: z.string(),
    action: z.string(),
    resource_type: z.string(),
    resource_id: z.string(),
    metadata: z.record(z.string(), z.unknown()),
    reasoning: z.nullish(z.string()),
    created_at: z.string(),
  }),
  (r) =>
    isJsonObject(r) &&
    isNonEmptyString(r.id) &&
    isString(r.actor_id) &&
    isString(r.actor_type) &&
    isString(r.action) &&
    isString(r.resource_type) &&
    isString(r.resource_id) &&
    isJsonObject(r.metadata) &&
    isNullishString(r.reasoning) &&
    isString(r.created_at),
);

const envelope = z.object({
  data: z.array(z.unknown()),
  next_cursor: z.nullish(z.string()),
  has_more: z.boolean(),
});

// --- normalize ---------------------------------------------------------------------------------

const MAPPED = new Set(["id", "actor_id", "actor_type", "action", "resource_type", "resource_id", "reasoning", "created_at"]);
const unmapped = unmappedFieldsOf(MAPPED, [(r) => ({ metadata: r.metadata })]);

function normalize(raw: JitsudoAuditLog): NormalizedFields {
  return {
    id: raw.id,
    occurredAt: recordTime(raw, "created_at"),
    action: raw.action,
    actor: { id: raw.actor_id || undefined, type: raw.actor_type || undefined },
    target: { type: raw.resource_type || undefined, id: raw.resource_id || undefined },
    message: raw.reasoning,
    unmapped: unmapped(raw as Record<string, unknown>),
  };
}

// --- definition --------------------------------------------------------------------------------

/** JITSudo, as a vendor definition. Self-hosted: `baseUrl` is required. */
export const jitsudo = defineVendor({
  id: "jitsudo",
  name: "JITSudo",
  // Self-hosted: no default host. No documented limit.
  secrets: ["apiKey", "tenantId"],
  // Nothing else: any other option is a ConfigError naming it (a typo of timeoutMs, say).
  options: [],
  tenant: tenantOf,
  auth: (options: JitsudoOptions) => ({ "X-API-Key": options.apiKey, "X-Tenant-ID": options.tenantId }),
  pageSize: { max: 1000 },
  record,
  filter,
  pagination: cursorPagination({
    envelope,
    path: "/v1/audit-log",
    defaultPageSize: 100,
    query: (ctx: PageContext<z.output<typeof filter>>, cursor) => ({
      limit: ctx.pageSize ?? 100,
      cursor,
      from: ctx.since === undefined ? undefined : new Date(ctx.since).toISOString(),
      to: new Date(ctx.until).toISOString(),
      actor_id: ctx.filter?.actorId,
      resource_type: ctx.filter?.resourceType,
      resource_id: ctx.filter?.resourceId,
      action: ctx.filter?.action,
    }),
    records: (page) => page.data,
    next: (page) => {
      if (!page.has_more) return undefined;
      if (!page.next_cursor) {
        throw new ResponseValidationError({ vendor: "jitsudo", path: "next_cursor", message: "has_more is true but next_cursor is missing" });
      }
      return page.next_cursor;
    },
    // from/to bound every request: the range is read as parallel time slices.
    timeSlices: true,
    time: timeOfField("created_at"),
  }),
  normalize,
  raw: (init) => createFetchClient<paths>(init),
});

/** A Jitsudo client: `events()`, `pages()`, `raw`, `stats`. */
export type JitsudoClient = ClientOf<typeof jitsudo>;

/** The event a JITSudo client makes of a record (`tenant`: the tenant id). */
export const normalizeJitsudo = (raw: JitsudoAuditLog, tenant?: string) => jitsudo.normalize(raw, { tenant });

/** A client for a JITSudo deployment's audit log. */
export function createJitsudoClient(options: JitsudoOptions): JitsudoClient {
  return jitsudo.createClient(options);
}
