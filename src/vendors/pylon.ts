/**
 * Pylon: `GET https://api.usepylon.com/audit-logs`, Bearer token, opaque cursor.
 * Source: vendor-docs 000 (Pylon API reference, audit logs).
 */
import { z } from "zod";
import type { components, paths } from "../../generated/pylon.js";
import { createVendorClient, RecordFieldError, type AuditLogClient, type VendorDefinition } from "../core/client.js";
import { compact, contentHashId, operationOf, str, toOccurredAt, unmappedFields, type AuditEvent } from "../core/event.js";
import { requireSecret, type CommonOptions } from "../core/options.js";
import { cursorStrategy } from "../core/paginate.js";
import { filterParser } from "../core/filter.js";

export type { components, paths };

// --- options and auth --------------------------------------------------------------------------

export interface PylonOptions extends CommonOptions {
  /** An API token created by an admin (Settings > Developer > API Tokens). */
  apiToken: string;
}

export type PylonAuditLog = components["schemas"]["AuditLog"];
/** Pylon's audit-log endpoint has no filters. */
export type PylonFilter = Record<string, never>;
export type PylonClient = AuditLogClient<"pylon", PylonAuditLog, PylonFilter, paths>;

// --- raw record schema -------------------------------------------------------------------------

// Every Pylon field is optional in the spec; the SDK needs a time (checked in normalize).
const record = z.object({
  id: z.string().optional(),
  action: z.string().optional(),
  action_happened_at: z.string().optional(),
  created_at: z.string().optional(),
  actor_user_id: z.string().optional(),
  actor_contact_id: z.string().optional(),
  object_type: z.string().optional(),
  object_id: z.string().optional(),
});

const envelope = z.object({
  data: z.array(z.unknown()),
  pagination: z.object({ cursor: z.string(), has_next_page: z.boolean() }),
  request_id: z.string().optional(),
});

// --- normalize ---------------------------------------------------------------------------------

const MAPPED = new Set(["id", "action", "action_happened_at", "created_at", "actor_user_id", "actor_contact_id", "object_type", "object_id"]);

export function normalizePylon(raw: PylonAuditLog): AuditEvent<PylonAuditLog> {
  const occurredAt = toOccurredAt(raw.action_happened_at) ?? toOccurredAt(raw.created_at);
  if (!occurredAt) throw new RecordFieldError("action_happened_at", "no usable action_happened_at or created_at");
  const action = str(raw.action) ?? "unknown";
  // Every Pylon field is optional, id included: a record without one gets a content-hash id.
  const id = str(raw.id) ?? contentHashId(raw);
  const actorId = str(raw.actor_user_id) ?? str(raw.actor_contact_id);
  // Optional members are assigned, not spread in: spreads cost two thirds of normalization.
  const event: AuditEvent<PylonAuditLog> = {
    vendor: "pylon",
    id,
    occurredAt,
    action,
    operation: operationOf(action),
    actor: actorId ? { id: actorId, type: str(raw.actor_user_id) ? "user" : "contact" } : {},
    source: {},
    unmapped: unmappedFields(raw, MAPPED),
    raw,
  };
  if (/failed|denied|rejected/i.test(action)) event.outcome = "failure";
  if (raw.object_type || raw.object_id) event.target = compact({ type: str(raw.object_type), id: str(raw.object_id) });
  return event;
}

// --- pagination --------------------------------------------------------------------------------

const strategy = cursorStrategy({
  envelope,
  path: "/audit-logs",
  query: (ctx, cursor) => [
    ["limit", ctx.pageSize ?? 100],
    ["cursor", cursor ?? undefined],
  ],
  records: (page) => page.data,
  next: (page) => (page.pagination.has_next_page ? page.pagination.cursor : undefined),
  // No time filter: a next run reads on from the last page instead of the whole history.
  incremental: true,
});

// --- factory -----------------------------------------------------------------------------------

const pylon: VendorDefinition<"pylon", PylonOptions, PylonAuditLog, PylonFilter, string | null, z.infer<typeof envelope>> = {
  id: "pylon",
  defaultBaseUrl: () => "https://api.usepylon.com",
  // 60/min documented for this endpoint (a newer page says 30/120/300 by tier: `rateLimit` overrides).
  requestsPerMinute: 60,
  rateLimitHeaders: { remaining: ["x-rate-limit-remaining"] },
  auth: (options) => ({ headers: { Authorization: `Bearer ${requireSecret(options.apiToken, "apiToken")}` } }),
  record: record as z.ZodType<PylonAuditLog>,
  normalize: normalizePylon,
  strategy,
  pageSize: { max: 999 },
  filter: filterParser("pylon", {}),
};

/** A client for Pylon's audit log. Pylon has no time filter: `since`/`until` are applied client-side. */
export function createPylonClient(options: PylonOptions): PylonClient {
  return createVendorClient<"pylon", PylonOptions, PylonAuditLog, PylonFilter, string | null, z.infer<typeof envelope>, paths>(pylon, options);
}
