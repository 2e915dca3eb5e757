/**
 * Pylon: `GET https://api.usepylon.com/audit-logs`, Bearer token, opaque cursor.
 * Source: vendor-docs 000 (Pylon API reference, audit logs).
 */
import createFetchClient from "openapi-fetch";
import * as z from "zod/mini";
import type { components, paths } from "../../generated/pylon.js";
import type { CommonOptions } from "../core/options.js";
import { cursorPagination } from "../core/paginate.js";
import { recordTime, unmappedFieldsOf, type NormalizedFields } from "../core/event.js";
import { isJsonObject, isOptionalString, withFastPath } from "../core/schema.js";
import { defineVendor, type ClientOf } from "../core/vendor.js";

export type { components, paths };

// --- options and auth --------------------------------------------------------------------------

/** Pylon client options: credentials and the common options. */
export interface PylonOptions extends CommonOptions {
  /** An API token created by an admin (Settings > Developer > API Tokens). */
  apiToken: string;
}

/** One Pylon audit-log record, typed from the vendor's spec. */
export type PylonAuditLog = components["schemas"]["AuditLog"];
/** Pylon's audit-log endpoint has no filters. */
export type PylonFilter = Record<string, never>;

// --- raw record schema -------------------------------------------------------------------------

// Every Pylon field is optional in the spec; the SDK needs a time (checked in normalize).
// The hand-written test decides the common case; zod decides (and words) the rest.
const record = withFastPath(
  z.object({
    id: z.optional(z.string()),
    action: z.optional(z.string()),
    action_happened_at: z.optional(z.string()),
    created_at: z.optional(z.string()),
    actor_user_id: z.optional(z.string()),
    actor_contact_id: z.optional(z.string()),
    object_type: z.optional(z.string()),
    object_id: z.optional(z.string()),
  }),
  (r) =>
    isJsonObject(r) &&
    isOptionalString(r.id) &&
    isOptionalString(r.action) &&
    isOptionalString(r.action_happened_at) &&
    isOptionalString(r.created_at) &&
    isOptionalString(r.actor_user_id) &&
    isOptionalString(r.actor_contact_id) &&
    isOptionalString(r.object_type) &&
    isOptionalString(r.object_id),
);

const envelope = z.object({
  data: z.array(z.unknown()),
  pagination: z.object({ cursor: z.string(), has_next_page: z.boolean() }),
  request_id: z.optional(z.string()),
});

// --- normalize ---------------------------------------------------------------------------------

const MAPPED = new Set(["id", "action", "action_happened_at", "created_at", "actor_user_id", "actor_contact_id", "object_type", "object_id"]);
// The other documented fields as records bring them: `link` and `attributes` only for some
// actions, and `metadata` (optional, as every field of Pylon's record is) with or without them.
const unmapped = unmappedFieldsOf(MAPPED, [
  (r) => ({ source: r.source, metadata: r.metadata }),
  (r) => ({ source: r.source, attributes: r.attributes, metadata: r.metadata }),
  (r) => ({ source: r.source, link: r.link, attributes: r.attributes, metadata: r.metadata }),
  (r) => ({ source: r.source }),
  (r) => ({ source: r.source, attributes: r.attributes }),
  (r) => ({ source: r.source, link: r.link, attributes: r.attributes }),
]);

const failures = new Map<string, boolean>();

/** Whether an action is a failure (`LoginFailed`, `AccessDenied`), cached: a stream has few distinct actions. */
function failed(action: string): boolean {
  let failure = failures.get(action);
  if (failure === undefined) {
    failure = /failed|denied|rejected/i.test(action);
    if (failures.size < 10_000) failures.set(action, failure);
  }
  return failure;
}

function normalize(raw: PylonAuditLog): NormalizedFields {
  const actorId = raw.actor_user_id || raw.actor_contact_id;
  return {
    // Every Pylon field is optional, id included: a record without one gets a content-hash id.
    id: raw.id,
    occurredAt: recordTime(raw, "action_happened_at", "created_at"),
    action: raw.action,
    outcome: raw.action && failed(raw.action) ? "failure" : undefined,
    actor: actorId ? { id: actorId, type: raw.actor_user_id ? "user" : "contact" } : undefined,
    target: raw.object_type || raw.object_id ? { type: raw.object_type || undefined, id: raw.object_id || undefined } : undefined,
    unmapped: unmapped(raw),
  };
}

// --- definition --------------------------------------------------------------------------------

/** Pylon, as a vendor definition. Pylon has no time filter: `since`/`until` are applied client-side. */
export const pylon = defineVendor({
  id: "pylon",
  name: "Pylon",
  baseUrl: "https://api.usepylon.com",
  // 60/min documented for this endpoint (a newer page says 30/120/300 by tier: `rateLimit` overrides).
  requestsPerMinute: 60,
  rateLimitHeaders: { remaining: ["x-rate-limit-remaining"] },
  secrets: ["apiToken"],
  // Nothing else: any other option is a ConfigError naming it (a typo of timeoutMs, say).
  options: [],
  auth: (options: PylonOptions) => ({ Authorization: `Bearer ${options.apiToken}` }),
  pageSize: { max: 999 },
  record,
  pagination: cursorPagination({
    envelope,
    path: "/audit-logs",
    defaultPageSize: 100,
    query: (ctx, cursor) => ({ limit: ctx.pageSize ?? 100, cursor }),
    records: (page) => page.data,
    next: (page) => (page.pagination.has_next_page ? page.pagination.cursor : undefined),
    // No time filter: a next run reads on from the last page instead of the whole history.
    incremental: true,
  }),
  normalize,
  raw: (init) => createFetchClient<paths>(init),
});

/** A Pylon client: `events()`, `pages()`, `raw`, `stats`. */
export type PylonClient = ClientOf<typeof pylon>;

/** The event a Pylon client makes of a record. */
export const normalizePylon = (raw: PylonAuditLog) => pylon.normalize(raw);

/** A client for Pylon's audit log. Pylon has no time filter: `since`/`until` are applied client-side. */
export function createPylonClient(options: PylonOptions): PylonClient {
  return pylon.createClient(options);
}
