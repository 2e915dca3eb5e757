/**
 * What every vendor fake is made of, and the helpers they share: the stored log, keyset pages
 * behind opaque cursors, parameter parsing, JSON and text responses.
 *
 * A vendor fake (pylon.ts, zendesk.ts, …) is a set of plain functions from a WHATWG Request (and
 * the body text a GET cannot carry) plus the simulator's state to a Response. The dispatcher in
 * index.ts composes them (fault, then auth, then rate limit, then the list), so the same code
 * serves the msw handlers and the node:http server.
 */
import { stringifyDeep } from "../internal/json.js";
import type { VendorId } from "../core/vendor-id.js";
import type { Random } from "./data.js";
import type { SimulatorCredentials } from "./index.js";

/** Settings every fake may read. */
export interface FakeConfig {
  readonly credentials: SimulatorCredentials;
  /** The OAuth token Zendesk accepts besides Basic auth. */
  readonly zendeskOauthToken: string;
  /** false: Zendesk answers 403 as for an account without the Enterprise plan. */
  readonly zendeskEnterprise: boolean;
  /** Datafold cuts every answer to this many logs, silently. */
  readonly datafoldMaxLogs: number | undefined;
  /** The order Pylon serves (its API documents none): as ingested (oldest first) or newest first. */
  readonly pylonOrder: "ingestion" | "newest-first";
}

/** What a fake sees of one request besides the Request itself. */
export interface FakeContext<R> {
  readonly log: AuditLog<R>;
  readonly config: FakeConfig;
  readonly url: URL;
  /** Sent as `X-Request-Id` on every response (and in Pylon's body). */
  readonly requestId: string;
  /** When the request is served, epoch ms. */
  readonly now: number;
}

export interface VendorFake<R> {
  readonly vendor: VendorId;
  /** The API paths served. */
  readonly paths: readonly string[];
  /** The precision of the vendor's timestamps, ms: 1000 for whole seconds, 1 for milliseconds. */
  readonly precisionMs: number;
  /** The vendor's answer to missing or wrong credentials, or undefined when they are good. */
  authenticate(request: Request, context: FakeContext<R>): Response | undefined;
  /** Serves the list (auth and rate limit already passed). `body` is the request body, if any. */
  list(request: Request, body: string | undefined, context: FakeContext<R>): Response;
  /** The headers the vendor reports its rate limit in on every answer, when it does (Zendesk, Pylon). */
  rateLimitHeaders?(perMinute: number, remaining: number): Record<string, string>;
  /** The vendor's own 429. */
  rateLimited(context: FakeContext<R>, retryAfterSeconds: number): Response;
  /** The vendor's 5xx. */
  serverError(context: FakeContext<R>, status: number): Response;
  /** A new record that occurred at `at` (epoch ms), to be stored in `log`. */
  record(rng: Random, at: number, log: AuditLog<R>): R;
}

// ---------------------------------------------------------------------------------------------
// The stored log

/** A place in the log: time, then arrival order. */
export interface Position {
  at: number;
  seq: number;
}

export interface Entry<R> extends Position {
  record: R;
}

/** The records a fake serves, oldest first; late events are inserted in time order. */
export class AuditLog<R> {
  /** Ordered by time, then arrival (`seq`). */
  readonly entries: Array<Entry<R>> = [];
  /** The records, in the same order: the same objects the fake serves (mutations show up). */
  readonly records: R[] = [];
  #seq = 0;

  /** The number of records ever stored: the `seq` of the next one. */
  get size(): number {
    return this.#seq;
  }

  /** The time of the newest record, if any. */
  get newestAt(): number | undefined {
    return this.entries[this.entries.length - 1]?.at;
  }

  add(at: number, record: R): void {
    const entry = { at, seq: this.#seq++, record };
    const index = bisect(this.entries, entry);
    if (index === this.entries.length) {
      this.entries.push(entry);
      this.records.push(record);
    } else {
      this.entries.splice(index, 0, entry);
      this.records.splice(index, 0, record);
    }
  }

  /** Entries with `from <= at <= to` (both bounds inclusive; undefined is open). The log itself when unbounded. */
  between(from: number | undefined, to: number | undefined): Array<Entry<R>> {
    if (from === undefined && to === undefined) return this.entries;
    const start = from === undefined ? 0 : bisect(this.entries, { at: from, seq: -Infinity });
    const end = to === undefined ? this.entries.length : bisect(this.entries, { at: to, seq: Infinity });
    return this.entries.slice(start, Math.max(start, end));
  }
}

function compare(a: Position, b: Position): number {
  return a.at - b.at || a.seq - b.seq;
}

/** Index of the first entry after `p` (or at or after it, with `orAt`), by binary search. */
function bisect(entries: readonly Position[], p: Position, orAt = false): number {
  let lo = 0;
  let hi = entries.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const c = compare(entries[mid]!, p);
    if (c < 0 || (c === 0 && !orAt)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

// ---------------------------------------------------------------------------------------------
// Keyset pages and cursors

export interface KeysetPage<R> {
  /** In the order served. */
  items: Array<Entry<R>>;
  /** More entries follow the page, in the order served. */
  hasNext: boolean;
  /** Entries precede the page, in the order served. */
  hasPrevious: boolean;
}

/**
 * One page of `entries` (oldest first) in the order served: the first page, the page after a
 * position, or the page before one. Positions, not offsets: a cursor re-reads the same page
 * while events arrive elsewhere, and a late event before the cursor is not served (as with the
 * real vendors' keyset cursors).
 */
export function keysetPage<R>(entries: Array<Entry<R>>, options: { after?: Position; before?: Position; limit: number; newestFirst?: boolean }): KeysetPage<R> {
  const { after, before, limit, newestFirst = false } = options;
  const n = entries.length;
  let start: number;
  let end: number;
  if (newestFirst) {
    // Served newest first: the page "after" a position is older, the page "before" it newer.
    if (before) {
      start = bisect(entries, before);
      end = Math.min(n, start + limit);
    } else {
      end = after ? bisect(entries, after, true) : n;
      start = Math.max(0, end - limit);
    }
  } else if (before) {
    end = bisect(entries, before, true);
    start = Math.max(0, end - limit);
  } else {
    start = after ? bisect(entries, after) : 0;
    end = Math.min(n, start + limit);
  }
  const items = entries.slice(start, end);
  if (newestFirst) items.reverse();
  return newestFirst ? { items, hasNext: start > 0, hasPrevious: end < n } : { items, hasNext: end < n, hasPrevious: start > 0 };
}

/** An opaque cursor naming a position; `order` binds it to a sort order (Zendesk). */
export function encodeCursor(position: Position, order?: string): string {
  return Buffer.from(JSON.stringify({ t: position.at, s: position.seq, ...(order ? { o: order } : {}) })).toString("base64url");
}

/** The position a cursor names, or undefined for a cursor that is not ours (or of another order). */
function decodeCursor(cursor: string, order?: string): Position | undefined {
  try {
    const value = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as { t?: unknown; s?: unknown; o?: unknown };
    if (typeof value.t === "number" && typeof value.s === "number" && value.o === order) return { at: value.t, seq: value.s };
  } catch {
    // not base64url JSON: not ours
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Parameters

/** The position named by a cursor parameter; undefined when absent; "invalid" when not ours. */
export function cursorParam(query: URLSearchParams, name: string, order?: string): Position | undefined | "invalid" {
  const cursor = query.get(name);
  if (cursor === null || cursor === "") return undefined;
  return decodeCursor(cursor, order) ?? "invalid";
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/i;
const NO_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/;

/**
 * An RFC 3339 date-time as epoch ms; undefined when absent; "invalid" otherwise. With
 * `zoneOptional`, a time without offset is read as UTC (Cortex's own CLI sends those).
 */
export function parseTime(value: string | null | undefined, options: { zoneOptional?: boolean } = {}): number | undefined | "invalid" {
  if (value === null || value === undefined || value === "") return undefined;
  const text = options.zoneOptional && NO_ZONE.test(value) ? `${value}Z` : value;
  if (!RFC3339.test(text)) return "invalid";
  const ms = Date.parse(text);
  return Number.isFinite(ms) ? ms : "invalid";
}

/** An integer query parameter within [min, max]; `fallback` when absent; "invalid" otherwise. */
export function intParam(value: string | null, fallback: number, min: number, max: number): number | "invalid" {
  if (value === null) return fallback;
  if (!/^-?\d+$/.test(value)) return "invalid";
  const n = Number(value);
  return n < min || n > max ? "invalid" : n;
}

/** Every value of a list parameter, whether repeated or comma-joined (`a,b` or `x=a&x=b`). */
export function listParam(query: URLSearchParams, ...names: string[]): string[] {
  return names.flatMap((name) => query.getAll(name)).flatMap((value) => value.split(",")).filter((value) => value !== "");
}

/** The token of an `Authorization: <scheme> <token>` header, for that scheme only. */
export function authToken(request: Request, scheme: "Bearer" | "Key"): string | undefined {
  const header = request.headers.get("authorization") ?? "";
  return header.startsWith(`${scheme} `) ? header.slice(scheme.length + 1) : undefined;
}

// ---------------------------------------------------------------------------------------------
// Responses

/** A JSON response. Any depth: a test may plant a record nested 5,000 deep for the SDK to refuse. */
export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(stringifyDeep(body), { status, headers: { "content-type": "application/json", ...headers } });
}

export function text(body: string, status: number, headers: Record<string, string> = {}): Response {
  return new Response(body, { status, headers: { "content-type": "text/plain; charset=utf-8", ...headers } });
}
