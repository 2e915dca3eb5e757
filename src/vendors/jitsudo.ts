/**
 * JITSudo (just-in-time AWS access, self-hosted): `GET {baseUrl}/v1/audit-log`, `X-API-Key` and
 * `X-Tenant-ID` headers, opaque cursor. Source: vendor-docs 002.
 */
import { z } from "zod";
import type { components, paths } from "../../generated/jitsudo.js";
import { createVendorClient, RecordFieldError, type AuditLogClient, type VendorDefinition } from "../core/client.js";
import { ConfigError, ResponseValidationError } from "../core/errors.js";
import { compact, operationOf, str, timeOfField, toOccurredAt, unmappedFields, type AuditEvent } from "../core/event.js";
import { filterParser } from "../core/filter.js";
import { requireSecret, type CommonOptions } from "../core/options.js";
import { cursorStrategy } from "../core/paginate.js";

export type { components, paths };

// --- options and auth --------------------------------------------------------------------------

export interface JitsudoOptions extends CommonOptions {
  /** Your deployment's origin, such as `https://jitsudo.example.com` (JITSudo is self-hosted). */
  baseUrl: string;
  apiKey: string;
  /** The tenant the key belongs to (a uuid); another tenant's id gets 403 `tenant_mismatch`. */
  tenantId: string;
}

export type JitsudoAuditLog = components["schemas"]["AuditLogEntry"];
export interface JitsudoFilter {
  actorId?: string;
  resourceType?: string;
  resourceId?: string;
  action?: string;
}
export type JitsudoClient = AuditLogClient<"jitsudo", JitsudoAuditLog, JitsudoFilter, paths>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function auth(options: JitsudoOptions): { headers: Record<string, string>; tenant: string } {
  const apiKey = requireSecret(options.apiKey, "apiKey");
  const tenantId = requireSecret(options.tenantId, "tenantId");
  if (!UUID.test(tenantId)) throw new ConfigError("must be a uuid such as 2489e9ad-2ee2-8e00-8ec9-32d5f69181c0", "tenantId");
  return { headers: { "X-API-Key": apiKey, "X-Tenant-ID": tenantId }, tenant: tenantId };
}

// --- raw record schema -------------------------------------------------------------------------

const record = z.object({
  id: z.string().min(1),
  actor_id: z.string(),
  actor_type: z.string(),
  action: z.string(),
  resource_type: z.string(),
  resource_id: z.string(),
  metadata: z.record(z.string(), z.unknown()),
  reasoning: z.string().nullish(),
  created_at: z.string(),
});

const envelope = z.object({
  data: z.array(z.unknown()),
  next_cursor: z.string().nullish(),
  has_more: z.boolean(),
});

// --- normalize ---------------------------------------------------------------------------------

const MAPPED = new Set(["id", "actor_id", "actor_type", "action", "resource_type", "resource_id", "reasoning", "created_at"]);

export function normalizeJitsudo(raw: JitsudoAuditLog, tenant?: string): AuditEvent<JitsudoAuditLog> {
  const occurredAt = toOccurredAt(raw.created_at);
  if (!occurredAt) throw new RecordFieldError("created_at", "no usable created_at");
  const action = str(raw.action) ?? "unknown";
  const message = str(raw.reasoning);
  const event: AuditEvent<JitsudoAuditLog> = {
    vendor: "jitsudo",
    id: raw.id,
    occurredAt,
    action,
    operation: operationOf(action),
    actor: compact({ id: str(raw.actor_id), type: str(raw.actor_type) }),
    source: {},
    target: compact({ type: str(raw.resource_type), id: str(raw.resource_id) }),
    unmapped: unmappedFields(raw as Record<string, unknown>, MAPPED),
    raw,
  };
  if (message) event.message = message;
  if (tenant) event.tenant = tenant;
  return event;
}

// --- pagination --------------------------------------------------------------------------------

const strategy = cursorStrategy({
  envelope,
  path: "/v1/audit-log",
  query: (ctx, cursor) => {
    const filter = (ctx.filter ?? {}) as JitsudoFilter;
    return [
      ["limit", ctx.pageSize ?? 100],
      ["cursor", cursor ?? undefined],
      ["from", ctx.since === undefined ? undefined : new Date(ctx.since).toISOString()],
      ["to", new Date(ctx.until).toISOString()],
      ["actor_id", filter.actorId],
      ["resource_type", filter.resourceType],
      ["resource_id", filter.resourceId],
      ["action", filter.action],
    ];
  },
  // from/to bound every request: the range is read as parallel slices.
  timeSlices: { time: timeOfField("created_at") },
  records: (page) => page.data,
  next: (page) => {
    if (!page.has_more) return undefined;
    if (!page.next_cursor) {
      throw new ResponseValidationError({ vendor: "jitsudo", path: "next_cursor", message: "has_more is true but next_cursor is missing" });
    }
    return page.next_cursor;
  },
});

// --- factory -----------------------------------------------------------------------------------

const jitsudo: VendorDefinition<"jitsudo", JitsudoOptions, JitsudoAuditLog, JitsudoFilter, string | null, z.infer<typeof envelope>> = {
  id: "jitsudo",
  // Self-hosted: no default host.
  defaultBaseUrl: () => undefined,
  // No documented limit.
  requestsPerMinute: undefined,
  auth,
  record: record as z.ZodType<JitsudoAuditLog>,
  normalize: (raw, ctx) => normalizeJitsudo(raw, ctx.tenant),
  strategy,
  pageSize: { max: 1000 },
  filter: filterParser("jitsudo", {
    actorId: z.string().min(1).optional(),
    resourceType: z.string().min(1).optional(),
    resourceId: z.string().min(1).optional(),
    action: z.string().min(1).optional(),
  }),
};

/** A client for a JITSudo deployment's audit log. */
export function createJitsudoClient(options: JitsudoOptions): JitsudoClient {
  return createVendorClient<"jitsudo", JitsudoOptions, JitsudoAuditLog, JitsudoFilter, string | null, z.infer<typeof envelope>, paths>(jitsudo, options);
}
