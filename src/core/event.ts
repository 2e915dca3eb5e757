import * as nodeCrypto from "node:crypto";
import * as z from "zod/mini";
import { englishMessages } from "./zod.js";

/** What kind of thing an event's action did, derived from the action by keyword (see `AuditEvent.operation`). */
export type Operation = "create" | "read" | "update" | "delete" | "login" | "other";
export const OPERATIONS = ["create", "read", "update", "delete", "login", "other"] as const satisfies readonly Operation[];

/**
 * One audit-log record, the same shape for every vendor, with the vendor's record kept in `raw`.
 * `V` is the vendor's literal id, so in a stream of several vendors `event.vendor === "zendesk"`
 * narrows `event.raw`.
 */
export interface AuditEvent<Raw = unknown, V extends string = string> {
  /** A built-in vendor id, or the id of a `defineVendor` vendor. */
  vendor: V;
  /** The vendor's id as a string; Cortex, which has none: `"sha256:" + hex` of the canonical record. */
  id: string;
  /** RFC 3339, UTC, millisecond precision: `2026-03-01T12:00:00.000Z`. */
  occurredAt: string;
  /** The vendor's action, verbatim (`"unknown"` when the record has none). */
  action: string;
  /**
   * The action's kind, by keyword, case-insensitively, after splitting CamelCase: create/add/invite
   * → create; read/view/get/list/export/download → read; update/edit/change/modify/set/enable/disable
   * → update; delete/destroy/remove/revoke → delete; login/logon/signin/authenticate → login; else other.
   */
  operation: Operation;
  /** Set only where the vendor says (Pylon's `…Failed`/`Denied`/`Rejected` actions are failures). */
  outcome?: "success" | "failure";
  /** Who did it; each field only when the vendor's record has it. */
  actor: { id?: string; type?: string; name?: string; email?: string };
  /** Where the request came from, when the vendor records it. */
  source: { ip?: string; userAgent?: string };
  /** What it was done to, when the vendor records it. */
  target?: { type?: string; id?: string; name?: string };
  /** Human description (Zendesk `change_description`, Datafold `log_entry`, JITSudo `reasoning`). */
  message?: string;
  /** Zendesk subdomain, JITSudo tenant id. */
  tenant?: string;
  /** Every vendor field not mapped above: nothing is dropped. */
  unmapped: Record<string, unknown>;
  /** The record exactly as received. */
  raw: Raw;
}

englishMessages();

const optionalString = z.optional(z.string());

/** A zod/mini schema of `AuditEvent` of any vendor, built-in or defined (with `raw` unchecked), to validate events you stored or received: `AuditEventSchema.parse(value)`. */
export const AuditEventSchema = z.object({
  vendor: z.string().check(z.regex(/^[a-z][a-z0-9-]*$/, "a vendor id")),
  id: z.string().check(z.minLength(1)),
  occurredAt: z.string().check(z.regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/, "RFC 3339 UTC with milliseconds")),
  action: z.string().check(z.minLength(1)),
  operation: z.enum(OPERATIONS),
  outcome: z.optional(z.enum(["success", "failure"])),
  actor: z.object({ id: optionalString, type: optionalString, name: optionalString, email: optionalString }),
  source: z.object({ ip: optionalString, userAgent: optionalString }),
  target: z.optional(z.object({ type: optionalString, id: optionalString, name: optionalString })),
  message: optionalString,
  tenant: optionalString,
  unmapped: z.record(z.string(), z.unknown()),
  raw: z.unknown(),
});

// --- operation ---------------------------------------------------------------------------------

const OPERATION_KEYWORDS: ReadonlyArray<readonly [Operation, readonly string[]]> = [
  ["create", ["create", "add", "invite"]],
  ["read", ["read", "view", "get", "list", "export", "download"]],
  ["update", ["update", "edit", "change", "modify", "set", "enable", "disable"]],
  ["delete", ["delete", "destroy", "remove", "revoke"]],
  ["login", ["login", "logon", "signin", "authenticate"]],
];

const operationCache = new Map<string, Operation>();

/**
 * The operation an action names, by keyword, case-insensitively (DESIGN §10). CamelCase actions
 * (Pylon `UserCreated`) are split into words first, so `UserCreated` is create. Cached per action:
 * a stream has few distinct actions and many events.
 */
export function operationOf(action: string): Operation {
  let op = operationCache.get(action);
  if (op === undefined) {
    op = deriveOperation(action);
    if (operationCache.size < 10_000) operationCache.set(action, op);
  }
  return op;
}

function deriveOperation(action: string): Operation {
  const words = action
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1 $2")
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
  for (const [op, keywords] of OPERATION_KEYWORDS) {
    // `sign_in` spans two words once split.
    if (op === "login" && /(^|_)sign_in(_|$)/.test(words.join("_"))) return op;
    for (const word of words) {
      for (const keyword of keywords) {
        // `created`, `deleted`, `exported`, `revoked`: a keyword followed by an inflection.
        if (word === keyword || (word.startsWith(keyword) && /^(e?d|s|ing|e?s)$/.test(word.slice(keyword.length)))) {
          return op;
        }
      }
    }
  }
  return "other";
}

// --- time --------------------------------------------------------------------------------------

const CANONICAL_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const ISO_LIKE = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/i;

/**
 * A vendor timestamp as RFC 3339 UTC with milliseconds, or undefined when it is not a usable
 * time. A timestamp without a zone (Datafold's format is unspecified) is read as UTC.
 */
export function toOccurredAt(value: unknown): string | undefined {
  if (typeof value !== "string") return undefined;
  // The length first: Zendesk's and Datafold's times are never canonical, and fail the regex late.
  if (value.length === 24 && CANONICAL_TIME.test(value)) return value;
  const fast = utcSeconds(value);
  if (fast !== undefined) return fast;
  if (!ISO_LIKE.test(value)) return undefined;
  const hasZone = /(Z|[+-]\d{2}:?\d{2})$/i.test(value);
  const ms = Date.parse(hasZone ? value : `${value}Z`);
  if (!Number.isFinite(ms)) return undefined;
  // An offset can carry 9999-12-31 or 0000-01-01 past the years RFC 3339 can write (`+010000-…`).
  const iso = new Date(ms).toISOString();
  return CANONICAL_TIME.test(iso) ? iso : undefined;
}

/**
 * The epoch ms of a record's time field, read as `toOccurredAt` reads it; undefined when unusable.
 * `field` names the field, for a reader that compares the texts themselves (`sameUtcShape`).
 */
export function timeOfField(field: string): ((record: unknown) => number | undefined) & { readonly field: string } {
  const timeOf = (record: unknown) => {
    if (record === null || typeof record !== "object") return undefined;
    const value = (record as Record<string, unknown>)[field];
    // Zendesk's, JITSudo's and Datafold's times straight from their digits, without the canonical text.
    const fast = typeof value === "string" ? utcSecondsMs(value) : undefined;
    if (fast !== undefined) return fast;
    const at = toOccurredAt(value);
    return at === undefined ? undefined : canonicalMs(at);
  };
  return Object.assign(timeOf, { field });
}

/**
 * Whether `text` is laid out as `shape` is, where `shape` is a UTC time of the layout
 * (`YYYY-MM-DDTHH:MM:SS`, any fraction, `Z`): the same length, the same separators. Two times of
 * one layout whose digits are digits sort as text as they do in time, so a reader checking that
 * a page's times ascend compares the texts and reads the digits of only some of them. (A text of
 * the layout whose digits are not all digits, or not a date, is no usable time: the record fails
 * its normalize whatever its place.)
 */
export function sameUtcShape(text: string, shape: string): boolean {
  const n = text.length;
  return (
    n === shape.length &&
    text.charCodeAt(n - 1) === 90 && // Z
    text.charCodeAt(4) === 45 && // -
    text.charCodeAt(7) === 45 &&
    text.charCodeAt(10) === 84 && // T
    text.charCodeAt(13) === 58 && // :
    text.charCodeAt(16) === 58 &&
    (n === 20 || text.charCodeAt(19) === 46) // no fraction, or "."
  );
}

/** `text` if it is a UTC time of the layout `sameUtcShape` compares (`shape` for the next). */
export function utcShapeOf(text: unknown): string | undefined {
  return typeof text === "string" && text.length >= 20 && sameUtcShape(text, text) ? text : undefined;
}

/**
 * `Date.parse` of an event's `occurredAt` (canonical, as `toOccurredAt` writes it), by
 * `canonicalMs`; the time `utcSeconds` wrote last is known already (the run reads an event's time
 * right after its normalize wrote it: reading the new text again cost its flattening and its
 * digits, ~90 of the ~150 ns a JITSudo event's time cost in all).
 */
export function occurredAtMs(at: string): number {
  if (at === lastWritten) {
    const ms = utcSecondsEndMs(lastWrittenFrom, lastWrittenEnd);
    if (ms !== undefined) return ms;
  }
  return canonicalMs(at);
}

/** The last canonical time `utcSeconds` wrote, and the value and end it wrote it from (its ms is read from them when asked). */
let lastWritten: string | undefined;
let lastWrittenFrom = "";
let lastWrittenEnd = 0;

/**
 * `Date.parse` of a canonical time (`toOccurredAt`'s), from its digits (`utcMs`) at a fifth of
 * the cost (time slices and windows read it for every record). A canonical-looking time out of
 * range (Feb 30, which `toOccurredAt` keeps) and years below 100 (which `Date.UTC` reads as
 * 19xx) are left to `Date.parse`.
 */
function canonicalMs(at: string): number {
  const year = twoDigits(at, 0) * 100 + twoDigits(at, 2);
  const month = twoDigits(at, 5);
  const day = twoDigits(at, 8);
  const hour = twoDigits(at, 11);
  const minute = twoDigits(at, 14);
  const second = twoDigits(at, 17);
  if (year < 100 || month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return Date.parse(at);
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  if (day > 28 && day > (month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1]!)) return Date.parse(at);
  return utcMs(year, month, day, hour, minute, second, twoDigits(at, 20) * 10 + at.charCodeAt(22) - 48);
}

/**
 * `Date.UTC(year, month - 1, …)` for fields in range and years from 100 (the callers check both),
 * by arithmetic: the days since 1970 of a proleptic Gregorian date (Howard Hinnant's
 * `days_from_civil`), at half the cost of the builtin's call (about 30 against 60 ns).
 */
function utcMs(year: number, month: number, day: number, hour: number, minute: number, second: number, ms: number): number {
  // Years as from March, so that a leap day is the last day of its year.
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  const days = era * 146_097 + dayOfEra - 719_468;
  return ((days * 24 + hour) * 60 + minute) * 60_000 + second * 1000 + ms;
}

const UTC_SECONDS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|\+00:00)?$/;
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const twoDigits = (s: string, at: number) => (s.charCodeAt(at) - 48) * 10 + s.charCodeAt(at + 1) - 48;

/**
 * `YYYY-MM-DDTHH:MM:SS[.fraction]` in UTC (`Z`, `+00:00` or no zone): Zendesk's and Pylon's
 * second precision, Datafold's Python-style microseconds, as canonical text without a Date
 * round trip, which costs ~10x more per event. Only when every field is in range; anything
 * else (Feb 30, hour 24, which Date.parse rolls over; other offsets) takes the general path,
 * so the result is the same. Date.parse truncates a fraction to ms, as this does.
 */
function utcSeconds(value: string): string | undefined {
  const end = utcSecondsEnd(value);
  if (end < 0) return undefined;
  const text = `${value.slice(0, 19)}.${end >= 23 ? value.slice(20, 23) : end > 20 ? `${value.slice(20, end)}00`.slice(0, 3) : "000"}Z`;
  lastWritten = text;
  lastWrittenFrom = value;
  lastWrittenEnd = end;
  return text;
}

/** Where a time `utcSeconds` reads ends before its zone; -1 for one it leaves to the general path. */
function utcSecondsEnd(value: string): number {
  if (!UTC_SECONDS.test(value)) return -1;
  const year = twoDigits(value, 0) * 100 + twoDigits(value, 2);
  const month = twoDigits(value, 5);
  const day = twoDigits(value, 8);
  if (month < 1 || month > 12 || day < 1 || twoDigits(value, 11) > 23 || twoDigits(value, 14) > 59 || twoDigits(value, 17) > 59) return -1;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  if (day > 28 && day > (month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1]!)) return -1;
  return value.length - (value.endsWith("Z") ? 1 : value.endsWith("+00:00") ? 6 : 0);
}

/**
 * `canonicalMs(utcSeconds(value))` without writing the text in between (a time slice reads every
 * record's time): the same digits, the fraction cut to milliseconds. Years below 100, which
 * `canonicalMs` leaves to `Date.parse`, are left to the general path here.
 */
function utcSecondsMs(value: string): number | undefined {
  const end = utcSecondsEnd(value);
  return end < 0 ? undefined : utcSecondsEndMs(value, end);
}

/** `utcSecondsMs` of a time `utcSecondsEnd` accepted, ending at `end`. */
function utcSecondsEndMs(value: string, end: number): number | undefined {
  const year = twoDigits(value, 0) * 100 + twoDigits(value, 2);
  if (year < 100) return undefined;
  // The fraction's first three digits, as utcSeconds pads them: `.5` is 500 ms, `.05` 50.
  const ms = end >= 23 ? twoDigits(value, 20) * 10 + value.charCodeAt(22) - 48 : end === 22 ? twoDigits(value, 20) * 10 : end === 21 ? (value.charCodeAt(20) - 48) * 100 : 0;
  return utcMs(year, twoDigits(value, 5), twoDigits(value, 8), twoDigits(value, 11), twoDigits(value, 14), twoDigits(value, 17), ms);
}

// --- ids ---------------------------------------------------------------------------------------

/** How deep a record may nest (DESIGN §14); deeper is a poison record, not a stack overflow. */
export const MAX_RECORD_DEPTH = 1_000;

/** A value nested deeper than `MAX_RECORD_DEPTH`; `field` is the top-level key it sits under. */
export class NestingTooDeepError extends Error {
  constructor(readonly field: string) {
    super(`nests deeper than ${MAX_RECORD_DEPTH} levels`);
    this.name = "NestingTooDeepError";
  }
}

/**
 * The top-level key under which `value` nests deeper than `limit` levels (`""` for the value
 * itself), or undefined. Iterative: a 100,000-deep value costs no stack.
 */
export function tooDeepField(value: unknown, limit: number = MAX_RECORD_DEPTH): string | undefined {
  if (value === null || typeof value !== "object") return undefined;
  // Records at most two levels deep (the usual case: Pylon's `attributes`, JITSudo's
  // `metadata`) are decided without allocating a stack.
  let nested = false;
  for (const key in value) {
    const item = (value as Record<string, unknown>)[key];
    if (item !== null && typeof item === "object") {
      if (limit < 3) {
        nested = true;
        break;
      }
      for (const inner in item) {
        const leaf = (item as Record<string, unknown>)[inner];
        if (leaf !== null && typeof leaf === "object") {
          nested = true;
          break;
        }
      }
      if (nested) break;
    }
  }
  if (!nested) return undefined;
  const stack: Array<{ value: object; depth: number; field: string }> = [{ value, depth: 1, field: "" }];
  while (stack.length > 0) {
    const { value: node, depth, field } = stack.pop()!;
    if (depth > limit) return field;
    for (const key in node) {
      const item = (node as Record<string, unknown>)[key];
      if (item !== null && typeof item === "object") stack.push({ value: item, depth: depth + 1, field: depth === 1 ? key : field });
    }
  }
  return undefined;
}

/**
 * JSON with object keys sorted at every depth and no whitespace (DESIGN §10). Deeper than
 * `MAX_RECORD_DEPTH` it throws `NestingTooDeepError`, never a stack overflow.
 */
export function canonicalJson(value: unknown): string {
  const length = flatCanonicalBytes(value);
  return length < 0 ? canonical(value, 0, "") : canonicalBuffer.toString("utf8", 0, length);
}

/** Where `flatCanonicalBytes` writes; a record whose canonical form is longer takes the general path. */
const canonicalBuffer = Buffer.alloc(4096);
/** `canonicalBuffer.subarray(0, n)` by n: the hash needs a view of the exact length, and a page's records share a few. */
const canonicalViews: Buffer[] = [];

/**
 * Key orders `flatCanonicalBytes` has seen lately (records of a page share a few: Cortex's differ
 * by whether the optional fields are there), each with its keys sorted and written as `"key":`
 * bytes, so the sort and the quoting are done once per key order instead of per record.
 */
const keyOrders: Array<{ keys: string[]; sorted: string[]; keyBytes: Uint8Array[] }> = [];
let nextKeyOrder = 0;

function keyOrderOf(record: Record<string, unknown>): { sorted: string[]; keyBytes: Uint8Array[] } {
  const keys = Object.keys(record);
  for (let i = 0; i < keyOrders.length; i++) if (sameKeys(keys, keyOrders[i]!.keys)) return keyOrders[i]!;
  const sorted = sortedKeys(record);
  const order = { keys, sorted, keyBytes: sorted.map((key) => Buffer.from(`${quotedKey(key)}:`)) };
  keyOrders[nextKeyOrder] = order;
  nextKeyOrder = (nextKeyOrder + 1) % 8;
  return order;
}

/**
 * `canonical` of a flat object (every value a string, number, boolean, null or undefined:
 * Cortex's records) written as UTF-8 into `canonicalBuffer`, its length; -1 for anything else,
 * which takes the general path: a nested value, a string with a character JSON escapes or that
 * is not ASCII, a form longer than the buffer. Bytes, not a string: the content hash then reads
 * them as they are, where hashing a concatenated string costs its flattening and its UTF-8
 * encoding, about as much again as the hash itself.
 */
function flatCanonicalBytes(value: unknown): number {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return -1;
  const record = value as Record<string, unknown>;
  const { sorted, keyBytes } = keyOrderOf(record);
  const out = canonicalBuffer;
  // Room for the longest constant (`false`, `,`, `}`) past any check.
  const end = out.length - 8;
  let at = 0;
  out[at++] = 0x7b; // {
  for (let i = 0; i < sorted.length; i++) {
    const item = record[sorted[i]!];
    if (item === undefined) continue;
    if (at > 1) out[at++] = 0x2c; // ,
    const key = keyBytes[i]!;
    if (at + key.length > end) return -1;
    for (let j = 0; j < key.length; j++) out[at++] = key[j]!;
    let text: string;
    if (typeof item === "string") {
      if (at + item.length + 2 > end) return -1;
      out[at++] = 0x22; // "
      for (let j = 0; j < item.length; j++) {
        const c = item.charCodeAt(j);
        // Control characters, `"` and `\` are escaped in JSON; anything past ASCII is more than one byte.
        if (c < 0x20 || c === 0x22 || c === 0x5c || c > 0x7f) return -1;
        out[at++] = c;
      }
      out[at++] = 0x22;
      continue;
    } else if (item === null) text = "null";
    else if (typeof item === "number" || typeof item === "boolean") text = JSON.stringify(item);
    else return -1;
    if (at + text.length > end) return -1;
    for (let j = 0; j < text.length; j++) out[at++] = text.charCodeAt(j);
  }
  out[at++] = 0x7d; // }
  return at;
}

function sameKeys(a: string[], b: string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function canonical(value: unknown, depth: number, field: string): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (depth >= MAX_RECORD_DEPTH) throw new NestingTooDeepError(field);
  // Built by concatenation, not map/filter/join: this runs for every Cortex record.
  if (Array.isArray(value)) {
    let out = "[";
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      out += (i === 0 ? "" : ",") + (item === undefined ? "null" : canonical(item, depth + 1, depth === 0 ? String(i) : field));
    }
    return `${out}]`;
  }
  const record = value as Record<string, unknown>;
  const keys = sortedKeys(record);
  let out = "{";
  for (const key of keys) {
    const item = record[key];
    if (item === undefined) continue;
    out += `${out.length === 1 ? "" : ","}${quotedKey(key)}:${canonical(item, depth + 1, depth === 0 ? key : field)}`;
  }
  return `${out}}`;
}

/** Object keys in sort order; vendors often send them sorted already, which skips the sort. */
function sortedKeys(record: Record<string, unknown>): string[] {
  const keys = Object.keys(record);
  for (let i = 1; i < keys.length; i++) if (keys[i - 1]! > keys[i]!) return keys.sort();
  return keys;
}

const quotedKeys = new Map<string, string>();

/** `JSON.stringify(key)`, cached: records of one vendor share a handful of keys. */
function quotedKey(key: string): string {
  let quoted = quotedKeys.get(key);
  if (quoted === undefined) {
    quoted = JSON.stringify(key);
    if (quotedKeys.size < 10_000) quotedKeys.set(key, quoted);
  }
  return quoted;
}

/** `"sha256:"` + lowercase hex SHA-256 of the canonical JSON: the id of a record that has none. */
export function contentHashId(record: unknown): string {
  const length = flatCanonicalBytes(record);
  const data = length < 0 ? canonical(record, 0, "") : (canonicalViews[length] ??= canonicalBuffer.subarray(0, length));
  // One-shot crypto.hash (Node >= 20.12) costs about half of createHash().update().digest().
  const hex = typeof nodeCrypto.hash === "function" ? nodeCrypto.hash("sha256", data, "hex") : nodeCrypto.createHash("sha256").update(data).digest("hex");
  // Joined, not concatenated: `+` and a template make a cons string (prefix and hex apart),
  // which the run's id window then reads through at twice the cost of a flat one (measured: 155
  // against 82 ns to hash a 71-character id); `join` writes one flat string.
  return ["sha256:", hex].join("");
}

// --- building ----------------------------------------------------------------------------------

/**
 * Everything in `raw` whose key the vendor's mapping did not use. A `__proto__` key (JSON.parse
 * makes it an own property) stays plain data: assigned, it would replace the result's prototype.
 */
export function unmappedFields(raw: Record<string, unknown>, mapped: ReadonlySet<string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key in raw) {
    if (mapped.has(key)) continue;
    if (key === "__proto__") Object.defineProperty(out, key, { value: raw[key], enumerable: true, writable: true, configurable: true });
    else out[key] = raw[key];
  }
  return out;
}

/** A builder of one kind of record's unmapped fields: an object literal reading each field it writes. */
export type UnmappedShape = (raw: any) => Record<string, unknown>;

/**
 * `unmappedFields(raw, mapped)` for a vendor whose records usually carry one of a few sets of
 * unmapped fields: each `shape` builds one of them, in the vendor's order, as an object literal
 * (one allocation of a known layout, where copying key by key costs a lookup and a layout change
 * per field: 6x the time for Datafold's 7). A record's key order that leaves exactly a shape's
 * fields unmapped is remembered (8 orders at most), so the next record of that order is matched
 * by comparing its keys in turn; any other record gets `unmappedFields`, so the result is the
 * same object either way. Each shape is checked here, once: it must write exactly the fields it
 * reads, none of them mapped, no `__proto__`.
 */
export function unmappedFieldsOf(mapped: ReadonlySet<string>, shapes: readonly UnmappedShape[]): (raw: Record<string, unknown>) => Record<string, unknown> {
  const known = shapes.map((build) => {
    const read: string[] = [];
    const probe = build(new Proxy({}, { get: (_target, key) => (typeof key === "string" && read.push(key), key) }));
    const keys = Object.keys(probe);
    const bad = keys.find((key) => probe[key] !== key || mapped.has(key) || key === "__proto__" || /^\d+$/.test(key));
    if (bad !== undefined || read.length !== keys.length || read.some((key, i) => key !== keys[i])) {
      throw new TypeError(`unmappedFieldsOf: a shape must copy fields of the record under their own names, in order, none mapped (${bad ?? read.join(",")})`);
    }
    return { keys, build };
  });
  /** Key orders seen: all of a record's keys (for-in), and the shape they leave, or none. */
  const orders: Array<{ keys: string[]; build: UnmappedShape | undefined }> = [];
  return (raw) => {
    next: for (let o = 0; o < orders.length; o++) {
      const order = orders[o]!;
      const keys = order.keys;
      let i = 0;
      for (const key in raw) if (keys[i++] !== key) continue next;
      if (i !== keys.length) continue;
      return order.build ? order.build(raw) : unmappedFields(raw, mapped);
    }
    const all: string[] = [];
    const rest: string[] = [];
    for (const key in raw) {
      all.push(key);
      if (!mapped.has(key)) rest.push(key);
    }
    const build = known.find((shape) => sameKeys(shape.keys, rest))?.build;
    if (orders.length < 8) orders.push({ keys: all, build });
    return build ? build(raw) : unmappedFields(raw, mapped);
  };
}

/** A string, or a number as a string; undefined for null, empty and anything else. */
export function str(value: unknown): string | undefined {
  if (typeof value === "string") return value === "" ? undefined : value;
  if (typeof value === "number" && Number.isFinite(value)) return numberString(value);
  return undefined;
}

/** "000" to "999": the groups of three digits below the billions in `numberString`. */
const DIGITS3 = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, "0"));

/**
 * `String(value)`, faster for the integers past 2^31 that vendors use as ids (Zendesk's
 * 54210000000058): V8 writes those with its shortest-double algorithm, ~150 ns each, where the
 * billions (a small integer, which it writes directly and caches: ids share them) and three
 * looked-up groups of three digits take a third of that.
 */
export function numberString(value: number): string {
  if (value > 2_147_483_647 && Number.isSafeInteger(value)) {
    // `| 0`: each part fits 32 bits, and V8 writes a 32-bit integer fast only when it knows it is one.
    const billions = (value / 1e9) | 0;
    const low = (value - billions * 1e9) | 0;
    const millions = (low / 1e6) | 0;
    const rest = low - millions * 1e6;
    const thousands = (rest / 1000) | 0;
    return String(billions) + DIGITS3[millions]! + DIGITS3[thousands]! + DIGITS3[rest - thousands * 1000]!;
  }
  return String(value);
}

/**
 * Drops undefined members so events compare and serialize cleanly. Returns `obj` itself when
 * nothing is undefined, else a copy without them: `delete` would turn the object into a slow
 * dictionary-mode object (measured: 4x the cost per call).
 */
export function compact<T extends Record<string, unknown>>(obj: T): T {
  for (const key in obj) {
    if (obj[key] === undefined) {
      const out: Record<string, unknown> = {};
      for (const k in obj) if (obj[k] !== undefined) out[k] = obj[k];
      return out as T;
    }
  }
  return obj;
}

// --- completing what normalize returns ---------------------------------------------------------

/** Thrown for a record the SDK cannot use; the core reports it as `ResponseValidationError` at `records[i].<field>`. */
export class RecordFieldError extends Error {
  constructor(
    /** The record's field, as a dotted path. */
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

/** What `normalize` is told besides the record. */
export interface NormalizeContext {
  /** The definition's `tenant(options)`: a subdomain, a tenant id. */
  tenant: string | undefined;
}

/**
 * What a vendor's `normalize` returns: the mapped fields. The core completes the event: `vendor`
 * and `raw`; `id` as a string (a content hash when absent); `occurredAt` as RFC 3339 UTC with
 * milliseconds (missing or unusable: `ResponseValidationError`); `action` (`"unknown"`);
 * `operation` from the action by keyword; `actor`/`source` (`{}`); `tenant` from the
 * definition; `unmapped`: every top-level field of the record `normalize` did not read, unless
 * it returns its own.
 */
export interface NormalizedFields {
  /** The vendor's record id; none: the core uses a `sha256:` hash of the canonical record. */
  id?: string | number | null | undefined;
  /** Any RFC 3339 form (a zone-less ISO time is read as UTC). */
  occurredAt?: string | null | undefined;
  /** The vendor's action, verbatim; none: `"unknown"`. */
  action?: string | null | undefined;
  /** Omitted: derived from `action` by keyword (see `AuditEvent.operation`). */
  operation?: Operation | undefined;
  /** Only where the vendor says whether it succeeded. */
  outcome?: "success" | "failure" | undefined;
  /** Who did it. */
  actor?: { id?: string | undefined; type?: string | undefined; name?: string | undefined; email?: string | undefined } | undefined;
  /** Where the request came from. */
  source?: { ip?: string | undefined; userAgent?: string | undefined } | undefined;
  /** What it was done to. */
  target?: { type?: string | undefined; id?: string | undefined; name?: string | undefined } | undefined;
  /** A human description of the event. */
  message?: string | null | undefined;
  /** Omitted: the client's tenant (the definition's `tenant`). */
  tenant?: string | undefined;
  /** The record's other fields; omitted: every field the core did not see `normalize` read. */
  unmapped?: Record<string, unknown> | undefined;
}

/**
 * The first usable time among `fields` of `record`, as RFC 3339 UTC with milliseconds. None
 * usable: an error naming the first field, reported as `ResponseValidationError`.
 */
export function recordTime<R>(record: R, ...fields: Array<keyof R & string>): string {
  for (const field of fields) {
    const at = toOccurredAt(record[field]);
    if (at !== undefined) return (lastRecordTime = at);
  }
  throw new RecordFieldError(fields[0] ?? "occurredAt", `no usable ${fields.join(" or ")}`);
}

/** The last time `recordTime` returned: already canonical, so `completeEvent` need not parse it again. */
let lastRecordTime: string | undefined;

/** The event of `record`, from the fields `normalize` returned (see `NormalizedFields`). */
export function completeEvent<Raw, V extends string>(vendor: V, record: Raw, fields: NormalizedFields, tenant: string | undefined, read?: ReadonlySet<string>): AuditEvent<Raw, V> {
  if (fields === null || typeof fields !== "object") throw new TypeError(`${vendor}: normalize must return an object of mapped fields`);
  const occurredAt = fields.occurredAt === lastRecordTime && lastRecordTime !== undefined ? lastRecordTime : toOccurredAt(fields.occurredAt);
  if (occurredAt === undefined) throw new RecordFieldError(fieldHolding(record, fields.occurredAt), `no usable time (${fields.occurredAt === undefined ? "none" : JSON.stringify(fields.occurredAt)})`);
  const rawId = fields.id;
  const id = typeof rawId === "number" && Number.isFinite(rawId) ? numberString(rawId) : typeof rawId === "string" && rawId !== "" ? rawId : contentHashId(record);
  const action = typeof fields.action === "string" && fields.action !== "" ? fields.action : "unknown";
  const event: AuditEvent<Raw, V> = {
    vendor,
    id,
    occurredAt,
    action,
    operation: fields.operation ?? operationOf(action),
    actor: fields.actor ? compact(fields.actor) : {},
    source: fields.source ? compact(fields.source) : {},
    unmapped: fields.unmapped ?? (isPlainRecord(record) ? unmappedFields(record, read ?? EMPTY) : {}),
    raw: record,
  };
  if (fields.outcome !== undefined) event.outcome = fields.outcome;
  if (fields.target) {
    const target = compact(fields.target);
    if (target.type !== undefined || target.id !== undefined || target.name !== undefined) event.target = target;
  }
  const message = fields.message;
  if (typeof message === "string" && message !== "") event.message = message;
  const eventTenant = fields.tenant ?? tenant;
  if (eventTenant) event.tenant = eventTenant;
  return event;
}

const EMPTY: ReadonlySet<string> = new Set();

/** The top-level field of `record` holding `value`, for naming it in an error; else `occurredAt`. */
function fieldHolding(record: unknown, value: unknown): string {
  if (isPlainRecord(record) && value !== undefined) for (const key in record) if (record[key] === value) return key;
  return "occurredAt";
}

function isPlainRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * `record` behind a proxy that notes the top-level fields read, for a `normalize` that returns
 * no `unmapped` of its own. Enumerating the keys (a spread, `Object.keys`) counts as reading all.
 */
export function readTracker(record: unknown): { record: unknown; read: Set<string> } {
  const read = new Set<string>();
  if (!isPlainRecord(record)) return { record, read };
  const proxy = new Proxy(record, {
    get(target, key, receiver) {
      if (typeof key === "string") read.add(key);
      return Reflect.get(target, key, receiver);
    },
    has(target, key) {
      if (typeof key === "string") read.add(key);
      return Reflect.has(target, key);
    },
    ownKeys(target) {
      for (const key of Object.keys(target)) read.add(key);
      return Reflect.ownKeys(target);
    },
  });
  return { record: proxy, read };
}

/**
 * Runs a vendor's `normalize` and completes the event. A `normalize` that returns its own
 * `unmapped` is called on the record itself; one that does not is watched through a proxy to
 * learn which fields it read. Which kind it is is learnt from the first record and re-checked.
 */
export class Normalizer<Raw, V extends string> {
  #ownUnmapped = false;

  constructor(
    readonly vendor: V,
    readonly normalize: (record: Raw, ctx: NormalizeContext) => NormalizedFields,
  ) {}

  event(record: Raw, ctx: NormalizeContext): AuditEvent<Raw, V> {
    if (this.#ownUnmapped) {
      const fields = this.normalize(record, ctx);
      if (fields && fields.unmapped !== undefined) return completeEvent(this.vendor, record, fields, ctx.tenant);
      this.#ownUnmapped = false;
    }
    const { record: watched, read } = readTracker(record);
    const fields = this.normalize(watched as Raw, ctx);
    if (fields && fields.unmapped !== undefined) this.#ownUnmapped = true;
    return completeEvent(this.vendor, record, fields, ctx.tenant, read);
  }
}
