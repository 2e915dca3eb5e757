/**
 * Cortex: `GET https://api.getcortexapp.com/api/v1/audit-logs`, Bearer API key, page numbers
 * from 0. Records have no id: the SDK derives one from their content.
 * Source: vendor-docs 003 and upstream/cortex.audit-logs.json.
 */
import createFetchClient from "openapi-fetch";
import * as z from "zod/mini";
import type { components, paths } from "../../generated/cortex.js";
import { recordTime, unmappedFieldsOf, type NormalizedFields } from "../core/event.js";
import { asList, oneOrMany } from "../core/filter.js";
import type { CommonOptions } from "../core/options.js";
import { pageNumberPagination, type PageContext } from "../core/paginate.js";
import { isJsonObject, isNullishString, isString, withFastPath } from "../core/schema.js";
import { defineVendor, type ClientOf } from "../core/vendor.js";

export type { components, paths };

// --- options and auth --------------------------------------------------------------------------

/** Cortex client options: credentials and the common options. */
export interface CortexOptions extends CommonOptions {
  /** An API key with the "View audit logs" permission. */
  apiToken: string;
}

/** One Cortex audit-log record, typed from the vendor's spec. */
export type CortexAuditLog = components["schemas"]["AuditLogResponse"];

const FILTER_KEYS = ["actions", "objectTypes", "objectIdentifiers", "actorTypes", "actorEmails", "actorApiKeyIdentifiers", "actorIpAddresses", "actorRequestTypes"] as const;

// Array filters go comma-joined, as Cortex's own CLI sends them: a value cannot hold a comma.
const filterValue = z.optional(oneOrMany(z.string().check(z.minLength(1), z.regex(/^[^,]*$/, "must not contain a comma"))));
const filter = z.strictObject(Object.fromEntries(FILTER_KEYS.map((key) => [key, filterValue])) as Record<(typeof FILTER_KEYS)[number], typeof filterValue>);

/** Cortex's filters for `events({ filter })`, mapped to its query parameters. */
export type CortexFilter = z.input<typeof filter>;

// --- raw record schema -------------------------------------------------------------------------

// The hand-written test decides the common case; zod decides (and words) the rest.
const record = withFastPath(
  z.object({
    action: z.string(),
    actorIdentifier: z.nullish(z.string()),
    ipAddress: z.nullish(z.string()),
    objectIdentifier: z.string(),
    objectType: z.string(),
    timestamp: z.string(),
  }),
  (r) =>
    isJsonObject(r) &&
    isString(r.action) &&
    isNullishString(r.actorIdentifier) &&
    isNullishString(r.ipAddress) &&
    isString(r.objectIdentifier) &&
    isString(r.objectType) &&
    isString(r.timestamp),
);

const whole = z.number().check(z.int(), z.minimum(0));
const envelope = z.object({ logs: z.array(z.unknown()), page: whole, total: whole, totalPages: whole });

// --- normalize ---------------------------------------------------------------------------------

const MAPPED = new Set(["action", "actorIdentifier", "ipAddress", "objectIdentifier", "objectType", "timestamp"]);
// Every documented field is mapped: what is left is usually nothing.
const unmapped = unmappedFieldsOf(MAPPED, [() => ({})]);

function normalize(raw: CortexAuditLog): NormalizedFields {
  // GitOps and auto-import changes have no actorIdentifier; an email also goes to actor.email.
  const actor = raw.actorIdentifier || undefined;
  return {
    // No id: the core derives the content hash.
    occurredAt: recordTime(raw, "timestamp"),
    action: raw.action,
    actor: actor ? (actor.includes("@") ? { id: actor, email: actor } : { id: actor }) : undefined,
    source: { ip: raw.ipAddress || undefined },
    target: { type: raw.objectType || undefined, id: raw.objectIdentifier || undefined },
    unmapped: unmapped(raw as Record<string, unknown>),
  };
}

// --- definition --------------------------------------------------------------------------------

/** Cortex, as a vendor definition. After page 0, the remaining pages are fetched in parallel. */
export const cortex = defineVendor({
  id: "cortex",
  name: "Cortex",
  baseUrl: "https://api.getcortexapp.com",
  // 1,000 requests/min per client (docs.cortex.io/api).
  requestsPerMinute: 1000,
  secrets: ["apiToken"],
  // Nothing else: any other option is a ConfigError naming it (a typo of timeoutMs, say).
  options: [],
  auth: (options: CortexOptions) => ({ Authorization: `Bearer ${options.apiToken}` }),
  pageSize: { max: 1000 },
  record,
  filter,
  pagination: pageNumberPagination({
    envelope,
    path: "/api/v1/audit-logs",
    defaultPageSize: 250,
    // endTime is the run's fixed `until`, so pages do not drift while events keep arriving.
    query: (ctx: PageContext<z.output<typeof filter>>, page, pageSize) => {
      const query: Record<string, string | number | undefined> = {
        page,
        pageSize,
        startTime: ctx.since === undefined ? undefined : new Date(ctx.since).toISOString(),
        endTime: new Date(ctx.until).toISOString(),
      };
      for (const key of FILTER_KEYS) {
        const values = asList(ctx.filter?.[key]);
        if (values.length) query[key] = values.join(",");
      }
      return query;
    },
    records: (page) => page.logs,
    page: (page) => page.page,
    totalPages: (page) => page.totalPages,
    total: (page) => page.total,
  }),
  normalize,
  raw: (init) => createFetchClient<paths>(init),
});

/** A Cortex client: `events()`, `pages()`, `raw`, `stats`. */
export type CortexClient = ClientOf<typeof cortex>;

/** The event a Cortex client makes of a record. */
export const normalizeCortex = (raw: CortexAuditLog) => cortex.normalize(raw);

/** A client for Cortex's audit log. After page 0, the remaining pages are fetched in parallel. */
export function createCortexClient(options: CortexOptions): CortexClient {
  return cortex.createClient(options);
}
