/**
 * Datafold: `GET https://app.datafold.com/api/v1/audit_logs` with a JSON body
 * `{start_date, end_date}` (a GET with a body: sent over node:http, since fetch refuses it),
 * `Authorization: Key <apiKey>`, no pagination: the SDK reads time windows.
 * Source: vendor-docs 004 and upstream/datafold.audit-logs.json.
 */
import { z } from "zod";
import type { components, paths } from "../../generated/datafold.js";
import { createVendorClient, RecordFieldError, type AuditLogClient, type VendorDefinition } from "../core/client.js";
import { compact, operationOf, str, toOccurredAt, unmappedFields, type AuditEvent } from "../core/event.js";
import { filterParser } from "../core/filter.js";
import { requireSecret, type CommonOptions } from "../core/options.js";
import { timeWindowStrategy } from "../core/paginate.js";

export type { components, paths };

// --- options and auth --------------------------------------------------------------------------

export interface DatafoldOptions extends CommonOptions {
  /** A Datafold API key. Hosts: app.datafold.com (default), eu.datafold.com or a dedicated domain (`baseUrl`). */
  apiKey: string;
  /** Default size of the time windows `events()` reads, in ms. Default one day. */
  windowMs?: number;
}

export type DatafoldAuditLog = components["schemas"]["AuditLogs"];
/** Datafold's audit-log endpoint has no filters. */
export type DatafoldFilter = Record<string, never>;
export type DatafoldClient = AuditLogClient<"datafold", DatafoldAuditLog, DatafoldFilter, paths>;

// --- raw record schema -------------------------------------------------------------------------

const record = z.object({
  timestamp: z.string(),
  event_uuid: z.string().min(1),
  client_ip: z.string(),
  url: z.string(),
  action: z.string().nullish(),
  log_entry: z.string().nullish(),
  object_id: z.number().nullish(),
  object_type: z.string().nullish(),
  user_agent: z.string().nullish(),
  user_email: z.string().nullish(),
  user_id: z.number().nullish(),
});

const envelope = z.object({ logs: z.array(z.unknown()) });

// --- normalize ---------------------------------------------------------------------------------

const MAPPED = new Set(["timestamp", "event_uuid", "client_ip", "action", "log_entry", "object_id", "object_type", "user_agent", "user_email", "user_id"]);

export function normalizeDatafold(raw: DatafoldAuditLog): AuditEvent<DatafoldAuditLog> {
  const occurredAt = toOccurredAt(raw.timestamp);
  if (!occurredAt) throw new RecordFieldError("timestamp", "no usable timestamp");
  const action = str(raw.action) ?? "unknown";
  const target = compact({ type: str(raw.object_type), id: str(raw.object_id) });
  const message = str(raw.log_entry);
  const event: AuditEvent<DatafoldAuditLog> = {
    vendor: "datafold",
    id: raw.event_uuid,
    occurredAt,
    action,
    operation: operationOf(action),
    actor: compact({ id: str(raw.user_id), email: str(raw.user_email) }),
    source: compact({ ip: str(raw.client_ip), userAgent: str(raw.user_agent) }),
    unmapped: unmappedFields(raw as Record<string, unknown>, MAPPED),
    raw,
  };
  if (target.type !== undefined || target.id !== undefined) event.target = target;
  if (message) event.message = message;
  return event;
}

// --- pagination --------------------------------------------------------------------------------

/** A response this large may have been cut short by the server: its window is split and read again. */
export const DATAFOLD_SPLIT_AT = 10_000;

const strategy = timeWindowStrategy({
  envelope,
  path: "/api/v1/audit_logs",
  // Datafold's bounds are not documented as inclusive or exclusive; the SDK trims to [since, until).
  body: (window) => ({ start_date: new Date(window.start).toISOString(), end_date: new Date(window.end).toISOString() }),
  records: (page) => page.logs,
  time: (record) => {
    const at = toOccurredAt((record as { timestamp?: unknown } | null)?.timestamp);
    return at === undefined ? undefined : Date.parse(at);
  },
  splitAt: DATAFOLD_SPLIT_AT,
});

// --- factory -----------------------------------------------------------------------------------

const datafold: VendorDefinition<"datafold", DatafoldOptions, DatafoldAuditLog, DatafoldFilter, { start: number; end: number }, z.infer<typeof envelope>> = {
  id: "datafold",
  defaultBaseUrl: () => "https://app.datafold.com",
  // No documented limit.
  requestsPerMinute: undefined,
  auth: (options) => ({ headers: { Authorization: `Key ${requireSecret(options.apiKey, "apiKey")}` } }),
  record: record as z.ZodType<DatafoldAuditLog>,
  normalize: normalizeDatafold,
  strategy,
  pageSize: undefined,
  filter: filterParser("datafold", {}),
  // Windows need a start: by default the year before `until`.
  defaultSince: (until) => until - 365 * 24 * 60 * 60_000,
  windowMs: (options) => options.windowMs,
  getWithBody: true,
};

/**
 * A client for Datafold's audit log. `events()` reads `[since, until)` in windows of `windowMs`
 * (default one day; `since` defaults to 365 days before `until`), several at once, in time order.
 */
export function createDatafoldClient(options: DatafoldOptions): DatafoldClient {
  return createVendorClient<"datafold", DatafoldOptions, DatafoldAuditLog, DatafoldFilter, { start: number; end: number }, z.infer<typeof envelope>, paths>(datafold, options);
}
