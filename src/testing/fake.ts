/**
 * What every vendor fake is made of, and the helpers they share: the stored log, key-based
 * cursors, JSON responses. A fake is a plain function from a WHATWG Request to a Response, so
 * the same code serves msw handlers and the node:http server.
 */
import type { VendorId } from "../core/vendor-id.js";
import type { Random } from "./data.js";

/** A request as a fake sees it: the body travels beside it (a WHATWG GET cannot carry one). */
export interface FakeRequest {
  request: Request;
  url: URL;
  body: string | undefined;
  requestId: string;
  now: number;
}

/** One stored record, with the keys the log is ordered by. */
export interface Entry<R> {
  at: number;
  seq: number;
  record: R;
}

export interface VendorFake<R = Record<string, unknown>> {
  vendor: VendorId;
  path: string;
  /** Stored records, oldest first. */
  log: AuditLog<R>;
  /** The precision of the vendor's timestamps: 1000 for whole seconds, 1 for milliseconds. */
  precisionMs: number;
  /** The vendor's answer to bad credentials, or undefined when they are good. */
  authenticate(req: FakeRequest): Response | undefined;
  /** The vendor's own 429. */
  rateLimited(req: FakeRequest, retryAfterSeconds: number): Response;
  /** The vendor's 5xx. */
  serverError(req: FakeRequest, status: number): Response;
  /** Serves a list request (auth and rate limit already passed). */
  list(req: FakeRequest): Response;
  /** A new record at time `at` (epoch ms). */
  make(rng: Random, at: number): R;
}

/** The records a fake serves, oldest first; late events are inserted in time order. */
export class AuditLog<R> {
  readonly entries: Array<Entry<R>> = [];
  /** The records, oldest first: the same objects the fake serves (mutations show up). */
  readonly records: R[] = [];
  #seq = 0;

  /** Stores many records at once: one sort, not an insertion each (the initial data set). */
  addAll(items: Array<{ at: number; record: R }>): void {
    for (const { at, record } of items) this.entries.push({ at, seq: this.#seq++, record });
    this.entries.sort((a, b) => a.at - b.at || a.seq - b.seq);
    this.records.length = 0;
    for (const entry of this.entries) this.records.push(entry.record);
  }

  add(at: number, record: R): void {
    const entry = { at, seq: this.#seq++, record };
    let i = this.entries.length;
    while (i > 0 && this.entries[i - 1]!.at > at) i--;
    this.entries.splice(i, 0, entry);
    this.records.splice(i, 0, record);
  }

  /** Entries with `from <= at <= to` (both inclusive, as most vendors treat them). */
  between(from: number | undefined, to: number | undefined): Array<Entry<R>> {
    return this.entries.filter((e) => (from === undefined || e.at >= from) && (to === undefined || e.at <= to));
  }
}

/**
 * A page of `entries` after an opaque cursor. The cursor names the last entry served (time and
 * sequence), not an offset, so it stays valid and re-reads the same page while events arrive.
 */
export function pageAfter<R>(entries: Array<Entry<R>>, cursor: string | null, limit: number): { items: Array<Entry<R>>; next: string | undefined } | "bad-cursor" {
  let start = 0;
  if (cursor !== null) {
    const key = decodeCursor(cursor);
    if (!key) return "bad-cursor";
    // Right after the entry the cursor names, in whatever order `entries` is in.
    const at = entries.findIndex((e) => e.seq === key.seq && e.at === key.at);
    start = at >= 0 ? at + 1 : entries.findIndex((e) => e.at > key.at || (e.at === key.at && e.seq > key.seq));
    if (start < 0) start = entries.length;
  }
  const items = entries.slice(start, start + limit);
  const last = items[items.length - 1];
  const more = start + limit < entries.length;
  return { items, next: more && last ? encodeCursor(last) : undefined };
}

export function encodeCursor(entry: { at: number; seq: number }): string {
  return Buffer.from(JSON.stringify({ t: entry.at, s: entry.seq })).toString("base64url");
}

function decodeCursor(cursor: string): { at: number; seq: number } | undefined {
  try {
    const value = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as { t?: unknown; s?: unknown };
    if (typeof value.t === "number" && typeof value.s === "number") return { at: value.t, seq: value.s };
  } catch {
    // not ours
  }
  return undefined;
}

export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });
}

export function text(body: string, status: number, headers: Record<string, string> = {}): Response {
  return new Response(body, { status, headers: { "content-type": "text/plain; charset=utf-8", ...headers } });
}

/** An RFC 3339 date-time, or undefined for anything else. */
export function parseTime(value: string | null | undefined): number | undefined | "invalid" {
  if (value === null || value === undefined || value === "") return undefined;
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/i.test(value)) return "invalid";
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? ms : "invalid";
}

/** An integer query parameter within bounds; `fallback` when absent; "invalid" otherwise. */
export function intParam(value: string | null, fallback: number, min: number, max: number): number | "invalid" {
  if (value === null) return fallback;
  if (!/^-?\d+$/.test(value)) return "invalid";
  const n = Number(value);
  return n < min || n > max ? "invalid" : n;
}

export function bearer(request: Request): string | undefined {
  const header = request.headers.get("authorization") ?? "";
  return header.startsWith("Bearer ") ? header.slice(7) : undefined;
}
