/**
 * A sixth vendor, defined outside the library: "Acme Audit", a made-up API shaped like Okta's
 * System Log and GitHub's audit log. `GET https://{domain}/api/v1/logs?since&until&limit`,
 * `Authorization: SSWS <apiToken>`, pages linked by the `Link: <…>; rel="next"` header, records
 * a JSON array. Its filter by time lets the library read a range in slices (`timeSlices`).
 */
import * as z from "zod/mini";
import { defineVendor, linkPagination, nextLink, recordTime, type ClientOf } from "auditlogs/define";

// --- options and auth --------------------------------------------------------------------------

/** Options of an Acme client, besides the common ones (`baseUrl`, `maxRetries`, …). */
export interface AcmeOptions {
  /** Your Acme domain, such as `acme.example.com`. */
  domain: string;
  /** An API token with the "read logs" scope. */
  apiToken: string;
}

// --- raw record schema -------------------------------------------------------------------------

/** One Acme log record, as the API documents it. */
export interface AcmeLog {
  uuid: string;
  published: string;
  eventType: string;
  displayMessage?: string;
  actor: { id: string; type: string; displayName?: string; alternateId?: string };
  client?: { ipAddress?: string; userAgent?: string };
  target?: Array<{ id: string; type: string; displayName?: string }>;
  outcome?: { result: "SUCCESS" | "FAILURE" | "UNKNOWN" };
  [field: string]: unknown;
}

// Lenient: the fields normalize relies on; anything else the vendor adds passes.
const record = z.object({
  uuid: z.string().check(z.minLength(1)),
  published: z.string(),
  eventType: z.string(),
  actor: z.object({ id: z.string(), type: z.string() }),
});

// --- normalize ---------------------------------------------------------------------------------

function normalize(log: AcmeLog) {
  const target = log.target?.[0];
  return {
    id: log.uuid,
    occurredAt: recordTime(log, "published"),
    action: log.eventType,
    outcome: log.outcome?.result === "SUCCESS" ? ("success" as const) : log.outcome?.result === "FAILURE" ? ("failure" as const) : undefined,
    actor: { id: log.actor.id, type: log.actor.type, name: log.actor.displayName, email: log.actor.alternateId },
    source: { ip: log.client?.ipAddress, userAgent: log.client?.userAgent },
    target: target && { type: target.type, id: target.id, name: target.displayName },
    message: log.displayMessage,
    // No `unmapped`: the core keeps every top-level field normalize did not read.
  };
}

// --- definition --------------------------------------------------------------------------------

/** The Acme Audit vendor: `acme.createClient({ domain, apiToken })`. */
export const acme = defineVendor({
  id: "acme",
  name: "Acme Audit",
  vendorName: "Acme",
  baseUrl: (options) => `https://${options.domain}`,
  // Acme documents 600 requests a minute per token.
  requestsPerMinute: 600,
  secrets: ["apiToken"],
  // Its other option; listed, any option besides these and the common ones is a ConfigError.
  options: ["domain"],
  auth: (options: AcmeOptions) => ({ Authorization: `SSWS ${options.apiToken}` }),
  pageSize: { max: 1000 },
  record,
  pagination: linkPagination({
    envelope: z.array(z.unknown()),
    // `since` inclusive, `until` exclusive, as the library's ranges are.
    first: (ctx) => ({
      path: "/api/v1/logs",
      query: { since: ctx.since === undefined ? undefined : new Date(ctx.since).toISOString(), until: new Date(ctx.until).toISOString(), limit: ctx.pageSize ?? 100 },
    }),
    records: (logs) => logs,
    next: (_logs, response) => nextLink(response.headers),
    timeSlices: true,
  }),
  normalize,
});

/** An Acme client: `events()`, `pages()`, `raw`, `stats`. */
export type AcmeClient = ClientOf<typeof acme>;
