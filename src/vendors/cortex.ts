/**
 * Cortex: `GET https://api.getcortexapp.com/api/v1/audit-logs`, Bearer API key, page numbers
 * from 0. Records have no id: the SDK derives one from their content.
 * Source: vendor-docs 003 and upstream/cortex.audit-logs.json.
 */
import { z } from "zod";
import type { components, paths } from "../../generated/cortex.js";
import { createVendorClient, RecordFieldError, type AuditLogClient, type VendorDefinition } from "../core/client.js";
import { compact, contentHashId, operationOf, str, toOccurredAt, unmappedFields, type AuditEvent } from "../core/event.js";
import { asList, filterParser, oneOrMany } from "../core/filter.js";
import { requireSecret, type CommonOptions } from "../core/options.js";
import { pageNumberStrategy } from "../core/paginate.js";

export type { components, paths };

// --- options and auth --------------------------------------------------------------------------

export interface CortexOptions extends CommonOptions {
  /** An API key with the "View audit logs" permission. */
  apiToken: string;
}

export type CortexAuditLog = components["schemas"]["AuditLogResponse"];
export interface CortexFilter {
  actions?: string | string[];
  objectTypes?: string | string[];
  objectIdentifiers?: string | string[];
  actorTypes?: string | string[];
  actorEmails?: string | string[];
  actorApiKeyIdentifiers?: string | string[];
  actorIpAddresses?: string | string[];
  actorRequestTypes?: string | string[];
}
export type CortexClient = AuditLogClient<"cortex", CortexAuditLog, CortexFilter, paths>;

// --- raw record schema -------------------------------------------------------------------------

const record = z.object({
  action: z.string(),
  actorIdentifier: z.string().nullish(),
  ipAddress: z.string().nullish(),
  objectIdentifier: z.string(),
  objectType: z.string(),
  timestamp: z.string(),
});

const envelope = z.object({
  logs: z.array(z.unknown()),
  page: z.number().int().min(0),
  total: z.number().int().min(0),
  totalPages: z.number().int().min(0),
});

// --- normalize ---------------------------------------------------------------------------------

const MAPPED = new Set(["action", "actorIdentifier", "ipAddress", "objectIdentifier", "objectType", "timestamp"]);

export function normalizeCortex(raw: CortexAuditLog): AuditEvent<CortexAuditLog> {
  const occurredAt = toOccurredAt(raw.timestamp);
  if (!occurredAt) throw new RecordFieldError("timestamp", "no usable timestamp");
  const action = str(raw.action) ?? "unknown";
  // GitOps and auto-import changes have no actorIdentifier; an email also goes to actor.email.
  const actor = str(raw.actorIdentifier);
  return {
    vendor: "cortex",
    id: contentHashId(raw),
    occurredAt,
    action,
    operation: operationOf(action),
    actor: actor ? (actor.includes("@") ? { id: actor, email: actor } : { id: actor }) : {},
    source: compact({ ip: str(raw.ipAddress) }),
    target: compact({ type: str(raw.objectType), id: str(raw.objectIdentifier) }),
    unmapped: unmappedFields(raw as Record<string, unknown>, MAPPED),
    raw,
  };
}

// --- pagination --------------------------------------------------------------------------------

const FILTER_KEYS = ["actions", "objectTypes", "objectIdentifiers", "actorTypes", "actorEmails", "actorApiKeyIdentifiers", "actorIpAddresses", "actorRequestTypes"] as const;

const strategy = pageNumberStrategy({
  envelope,
  path: "/api/v1/audit-logs",
  defaultPageSize: 250,
  // endTime is the run's fixed `until`, so pages do not drift while events keep arriving.
  query: (ctx, page, pageSize) => [
    ["page", page],
    ["pageSize", pageSize],
    ["startTime", ctx.since === undefined ? undefined : new Date(ctx.since).toISOString()],
    ["endTime", new Date(ctx.until).toISOString()],
    // Array filters go comma-joined, as Cortex's own CLI sends them.
    ...FILTER_KEYS.map((key): [string, string | undefined] => {
      const values = asList((ctx.filter as CortexFilter | undefined)?.[key]);
      return [key, values.length ? values.join(",") : undefined];
    }),
  ],
  records: (page) => page.logs,
  page: (page) => page.page,
  totalPages: (page) => page.totalPages,
  total: (page) => page.total,
});

// --- factory -----------------------------------------------------------------------------------

const cortex: VendorDefinition<"cortex", CortexOptions, CortexAuditLog, CortexFilter, { page: number; pageSize: number }, z.infer<typeof envelope>> = {
  id: "cortex",
  defaultBaseUrl: () => "https://api.getcortexapp.com",
  // 1,000 requests/min per client (docs.cortex.io/api).
  requestsPerMinute: 1000,
  auth: (options) => ({ headers: { Authorization: `Bearer ${requireSecret(options.apiToken, "apiToken")}` } }),
  record: record as z.ZodType<CortexAuditLog>,
  normalize: normalizeCortex,
  strategy,
  pageSize: { max: 1000 },
  filter: filterParser("cortex", Object.fromEntries(FILTER_KEYS.map((key) => [key, z.optional(oneOrMany(z.string().min(1).regex(/^[^,]*$/, "must not contain a comma")))]))),
};

/** A client for Cortex's audit log. After page 0, the remaining pages are fetched in parallel. */
export function createCortexClient(options: CortexOptions): CortexClient {
  return createVendorClient<"cortex", CortexOptions, CortexAuditLog, CortexFilter, { page: number; pageSize: number }, z.infer<typeof envelope>, paths>(cortex, options);
}
