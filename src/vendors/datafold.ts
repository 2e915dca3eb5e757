/**
 * Datafold: `GET https://app.datafold.com/api/v1/audit_logs` with a JSON body
 * `{start_date, end_date}` (a GET with a body: sent over node:http, since fetch refuses it),
 * `Authorization: Key <apiKey>`, no pagination: the SDK reads time windows.
 * Source: vendor-docs 004 and upstream/datafold.audit-logs.json.
 */
import createFetchClient from "openapi-fetch";
import * as z from "zod/mini";
import type { components, paths } from "../../generated/datafold.js";
import { recordTime, str, timeOfField, unmappedFieldsOf, type NormalizedFields } from "../core/event.js";
import type { CommonOptions } from "../core/options.js";
import { isoMicros, timeWindowPagination } from "../core/paginate.js";
import { isJsonObject, isNonEmptyString, isNullishNumber, isNullishString, isString, withFastPath } from "../core/schema.js";
import { defineVendor, type ClientOf } from "../core/vendor.js";

export type { components, paths };

// --- options and auth --------------------------------------------------------------------------

/** Datafold client options: credentials and the common options. */
export interface DatafoldOptions extends CommonOptions {
  /** A Datafold API key. Hosts: app.datafold.com (default), eu.datafold.com or a dedicated domain (`baseUrl`). */
  apiKey: string;
  /** Default size of the time windows `events()` reads, in ms. Default one day. */
  windowMs?: number;
}

/** One Datafold audit-log record, typed from the vendor's spec. */
export type DatafoldAuditLog = components["schemas"]["AuditLogs"];
/** Datafold's audit-log endpoint has no filters. */
export type DatafoldFilter = Record<string, never>;

// --- raw record schema -------------------------------------------------------------------------

// The hand-written test decides the common case; zod decides (and words) the rest.
const record = withFastPath(
  z.object({
    timestamp: z.string(),
    event_uuid: z.string().check(z.minLength(1)),
    client_ip: z.string(),
    url: z.string(),
    action: z.nullish(z.string()),
    log_entry: z.nullish(z.string()),
    object_id: z.nullish(z.number()),
    object_type: z.nullish(z.string()),
    user_agent: z.nullish(z.string()),
    user_email: z.nullish(z.string()),
    user_id: z.nullish(z.number()),
  }),
  (r) =>
    isJsonObject(r) &&
    isString(r.timestamp) &&
    isNonEmptyString(r.event_uuid) &&
    isString(r.client_ip) &&
    isString(r.url) &&
    isNullishString(r.action) &&
    isNullishString(r.log_entry) &&
    isNullishNumber(r.object_id) &&
    isNullishString(r.object_type) &&
    isNullishString(r.user_agent) &&
    isNullishString(r.user_email) &&
    isNullishNumber(r.user_id),
);

const envelope = z.object({ logs: z.array(z.unknown()) });

// --- normalize ---------------------------------------------------------------------------------

const MAPPED = new Set(["timestamp", "event_uuid", "client_ip", "action", "log_entry", "object_id", "object_type", "user_agent", "user_email", "user_id"]);
// The other documented fields, in the order records bring them and in the spec's (alphabetical).
const unmapped = unmappedFieldsOf(MAPPED, [
  (r) => ({ url: r.url, is_support_user: r.is_support_user, payload: r.payload, referer: r.referer, request_type: r.request_type, source: r.source, status: r.status }),
  (r) => ({ is_support_user: r.is_support_user, payload: r.payload, referer: r.referer, request_type: r.request_type, source: r.source, status: r.status, url: r.url }),
]);

function normalize(raw: DatafoldAuditLog): NormalizedFields {
  return {
    id: raw.event_uuid,
    occurredAt: recordTime(raw, "timestamp"),
    action: raw.action,
    actor: { id: str(raw.user_id), email: str(raw.user_email) },
    source: { ip: str(raw.client_ip), userAgent: str(raw.user_agent) },
    target: { type: str(raw.object_type), id: str(raw.object_id) },
    message: raw.log_entry,
    unmapped: unmapped(raw as Record<string, unknown>),
  };
}

// --- time ---------------------------------------------------------------------------------------

const timestampMs = timeOfField("timestamp");
const digit = (s: string, at: number) => s.charCodeAt(at) - 48;

/**
 * A log's time to the µs, as µs / 1000 (Datafold writes six digits, `…05.418123+00:00`; the
 * event's `occurredAt` keeps the ms): a window of one ms that is still capped is split by µs.
 */
function timeOf(record: unknown): number | undefined {
  const ms = timestampMs(record);
  const at = ms === undefined ? undefined : (record as { timestamp?: unknown }).timestamp;
  if (typeof at !== "string" || at.length < 26 || at.charCodeAt(19) !== 46) return ms;
  const a = digit(at, 23);
  const b = digit(at, 24);
  const c = digit(at, 25);
  if (!(a >= 0 && a <= 9 && b >= 0 && b <= 9 && c >= 0 && c <= 9) || a + b + c === 0) return ms;
  return (ms! * 1000 + a * 100 + b * 10 + c) / 1000;
}

// --- definition --------------------------------------------------------------------------------

/** A response this large may have been cut short by the server: its window is split and read again. */
export const DATAFOLD_SPLIT_AT = 10_000;

/**
 * Datafold, as a vendor definition. `events()` reads `[since, until)` in windows of `windowMs`
 * (default one day; `since` defaults to 365 days before `until`), several at once, in time order.
 */
export const datafold = defineVendor({
  id: "datafold",
  name: "Datafold",
  baseUrl: "https://app.datafold.com",
  // No documented limit.
  secrets: ["apiKey"],
  // Nothing else: any other option is a ConfigError naming it (a typo of timeoutMs, say).
  options: [],
  auth: (options: DatafoldOptions) => ({ Authorization: `Key ${options.apiKey}` }),
  record,
  pagination: timeWindowPagination({
    envelope,
    path: "/api/v1/audit_logs",
    // Datafold's bounds are not documented as inclusive or exclusive; the SDK trims to [since, until).
    request: (window) => ({ body: { start_date: isoMicros(window.start), end_date: isoMicros(window.end) } }),
    records: (page) => page.logs,
    time: timeOf,
    splitAt: DATAFOLD_SPLIT_AT,
    // RFC 3339 date-times, which Datafold (FastAPI, pydantic) reads to the µs.
    precisionMs: 0.001,
  }),
  normalize,
  // Windows need a start: by default the year before `until`.
  defaultSince: (until) => until - 365 * 24 * 60 * 60_000,
  raw: (init) => createFetchClient<paths>(init),
});

/** A Datafold client: `events()`, `pages()`, `raw`, `stats`. */
export type DatafoldClient = ClientOf<typeof datafold>;

/** The event a Datafold client makes of a record. */
export const normalizeDatafold = (raw: DatafoldAuditLog) => datafold.normalize(raw);

/**
 * A client for Datafold's audit log. `events()` reads `[since, until)` in windows of `windowMs`
 * (default one day; `since` defaults to 365 days before `until`), several at once, in time order.
 */
export function createDatafoldClient(options: DatafoldOptions): DatafoldClient {
  return datafold.createClient(options);
}
