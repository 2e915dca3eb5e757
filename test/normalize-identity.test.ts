// Normalization has fast paths (a record's canonical bytes written straight into a hash buffer,
// unmapped fields picked by a cached key order, times read without Date, large integers written
// in halves). Each must give the event, byte for byte, that the plain reading of DESIGN §3 and
// §10 gives. Here that plain reading is written out once, without any fast path, and compared
// with every vendor's `normalize` over simulator records and over records whose every field is
// replaced by hostile values (escapes, non-ASCII, lone surrogates, huge numbers, numeric strings,
// nested values, odd types), with extra keys (`__proto__`, numeric keys) and shuffled key orders.
import { createHash } from "node:crypto";
import { describe, expect, test } from "vitest";
import { occurredAtMs, operationOf, timeOfField, toOccurredAt } from "../src/core/event.js";
import { createSimulator } from "../src/testing/index.js";
import { normalizeCortex } from "../src/vendors/cortex.js";
import { normalizeDatafold } from "../src/vendors/datafold.js";
import { normalizeJitsudo } from "../src/vendors/jitsudo.js";
import { normalizePylon } from "../src/vendors/pylon.js";
import { normalizeZendesk } from "../src/vendors/zendesk.js";

type Raw = Record<string, any>;

// --- the plain reading -------------------------------------------------------------------------

/** DESIGN §10: keys sorted at every depth, no whitespace; undefined members left out. */
function canonical(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (Array.isArray(value)) return `[${value.map((item) => (item === undefined ? "null" : canonical(item))).join(",")}]`;
  const record = value as Raw;
  const keys = Object.keys(record).sort().filter((key) => record[key] !== undefined);
  return `{${keys.map((key) => `${JSON.stringify(key)}:${canonical(record[key])}`).join(",")}}`;
}

const contentHash = (record: unknown) => `sha256:${createHash("sha256").update(canonical(record)).digest("hex")}`;

/** RFC 3339 UTC with milliseconds through Date; an already canonical time is kept as it is. */
function time(value: unknown): string | undefined {
  if (typeof value !== "string") return undefined;
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(value)) return value;
  if (!/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/i.test(value)) return undefined;
  const ms = Date.parse(/(Z|[+-]\d{2}:?\d{2})$/i.test(value) ? value : `${value}Z`);
  if (!Number.isFinite(ms)) return undefined;
  const iso = new Date(ms).toISOString();
  return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(iso) ? iso : undefined;
}

function recordTime(raw: Raw, ...fields: string[]): string {
  for (const field of fields) {
    const at = time(raw[field]);
    if (at !== undefined) return at;
  }
  throw Object.assign(new Error(`no usable ${fields.join(" or ")}`), { field: fields[0] });
}

const str = (value: unknown) => (typeof value === "string" ? (value === "" ? undefined : value) : typeof value === "number" && Number.isFinite(value) ? String(value) : undefined);

/** Every enumerable key (for-in) not mapped, in order; `__proto__` as plain data. */
function unmapped(raw: Raw, mapped: string[]): Raw {
  const entries: Array<[string, unknown]> = [];
  for (const key in raw) if (!mapped.includes(key)) entries.push([key, raw[key]]);
  return Object.fromEntries(entries);
}

const defined = (obj: Raw | undefined) => (obj ? Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined)) : {});

interface Mapped {
  id?: unknown;
  occurredAt: string;
  action?: unknown;
  outcome?: string | undefined;
  actor?: Raw | undefined;
  source?: Raw | undefined;
  target?: Raw | undefined;
  message?: unknown;
  unmapped: Raw;
}

/** The event, members in the order the core writes them. */
function event(vendor: string, raw: Raw, m: Mapped, tenant?: string): Raw {
  const id = typeof m.id === "number" && Number.isFinite(m.id) ? String(m.id) : typeof m.id === "string" && m.id !== "" ? m.id : contentHash(raw);
  const action = typeof m.action === "string" && m.action !== "" ? m.action : "unknown";
  const out: Raw = { vendor, id, occurredAt: m.occurredAt, action, operation: operationOf(action), actor: defined(m.actor), source: defined(m.source), unmapped: m.unmapped, raw };
  if (m.outcome !== undefined) out.outcome = m.outcome;
  const target = defined(m.target);
  if (m.target && (target.type !== undefined || target.id !== undefined || target.name !== undefined)) out.target = target;
  if (typeof m.message === "string" && m.message !== "") out.message = m.message;
  if (tenant) out.tenant = tenant;
  return out;
}

const MAPPED = {
  pylon: ["id", "action", "action_happened_at", "created_at", "actor_user_id", "actor_contact_id", "object_type", "object_id"],
  zendesk: ["id", "action", "actor_id", "actor_name", "source_id", "source_type", "source_label", "change_description", "ip_address", "created_at"],
  cortex: ["action", "actorIdentifier", "ipAddress", "objectIdentifier", "objectType", "timestamp"],
  datafold: ["timestamp", "event_uuid", "client_ip", "action", "log_entry", "object_id", "object_type", "user_agent", "user_email", "user_id"],
  jitsudo: ["id", "actor_id", "actor_type", "action", "resource_type", "resource_id", "reasoning", "created_at"],
};

/** DESIGN §3, vendor by vendor. */
const REFERENCE: Record<keyof typeof MAPPED, (raw: Raw, tenant?: string) => Raw> = {
  pylon: (raw) => {
    const actorId = raw.actor_user_id || raw.actor_contact_id;
    return event("pylon", raw, {
      id: raw.id,
      occurredAt: recordTime(raw, "action_happened_at", "created_at"),
      action: raw.action,
      outcome: raw.action && /failed|denied|rejected/i.test(raw.action) ? "failure" : undefined,
      actor: actorId ? { id: actorId, type: raw.actor_user_id ? "user" : "contact" } : undefined,
      target: raw.object_type || raw.object_id ? { type: raw.object_type || undefined, id: raw.object_id || undefined } : undefined,
      unmapped: unmapped(raw, MAPPED.pylon),
    });
  },
  zendesk: (raw, tenant) =>
    event(
      "zendesk",
      raw,
      {
        id: str(raw.id),
        occurredAt: recordTime(raw, "created_at"),
        action: raw.action,
        actor: { id: str(raw.actor_id), name: str(raw.actor_name) },
        source: { ip: str(raw.ip_address) },
        target: { type: str(raw.source_type), id: str(raw.source_id), name: str(raw.source_label) },
        message: raw.change_description,
        unmapped: unmapped(raw, MAPPED.zendesk),
      },
      tenant,
    ),
  cortex: (raw) => {
    const occurredAt = recordTime(raw, "timestamp");
    const actor = raw.actorIdentifier || undefined;
    return event("cortex", raw, {
      occurredAt,
      action: raw.action,
      actor: actor ? (actor.includes("@") ? { id: actor, email: actor } : { id: actor }) : undefined,
      source: { ip: raw.ipAddress || undefined },
      target: { type: raw.objectType || undefined, id: raw.objectIdentifier || undefined },
      unmapped: unmapped(raw, MAPPED.cortex),
    });
  },
  datafold: (raw) =>
    event("datafold", raw, {
      id: raw.event_uuid,
      occurredAt: recordTime(raw, "timestamp"),
      action: raw.action,
      actor: { id: str(raw.user_id), email: str(raw.user_email) },
      source: { ip: str(raw.client_ip), userAgent: str(raw.user_agent) },
      target: { type: str(raw.object_type), id: str(raw.object_id) },
      message: raw.log_entry,
      unmapped: unmapped(raw, MAPPED.datafold),
    }),
  jitsudo: (raw, tenant) =>
    event(
      "jitsudo",
      raw,
      {
        id: raw.id,
        occurredAt: recordTime(raw, "created_at"),
        action: raw.action,
        actor: { id: raw.actor_id || undefined, type: raw.actor_type || undefined },
        target: { type: raw.resource_type || undefined, id: raw.resource_id || undefined },
        message: raw.reasoning,
        unmapped: unmapped(raw, MAPPED.jitsudo),
      },
      tenant,
    ),
};

const NORMALIZE: Record<keyof typeof MAPPED, (raw: any, tenant?: string) => unknown> = {
  pylon: normalizePylon,
  zendesk: normalizeZendesk,
  cortex: normalizeCortex,
  datafold: normalizeDatafold,
  jitsudo: normalizeJitsudo,
};

// --- hostile records ---------------------------------------------------------------------------

function seeded(seed: number) {
  return () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
}

const STRINGS = ["", "x", "UPDATE", "user@example.com", "@", 'quote " and \\ backslash', "line\nbreak\ttab\u0000nul\u001f\u007f", "é ü 日本 🎉", "café", "\u0080\u00ff", "\u007f", "\ud800 lone high", "lone low \udc00", "</script>", "\u2028\u2029", "x".repeat(5_000), "54210000000058", "-0", "1e21"];
const TIMES = [
  "2026-03-01T12:00:00Z",
  "2026-03-01T12:00:00.000Z",
  "2026-03-01T12:00:00.5Z",
  "2026-03-01T12:00:00.123456+00:00",
  "2026-03-01T12:00:00.123456789",
  "2026-03-01T12:00:00",
  "2026-03-01 12:00:00",
  "2026-03-01T12:00",
  "2026-03-01T12:00:00+02:00",
  "2026-03-01T12:00:00-0530",
  "2024-02-29T23:59:59Z",
  "2026-02-29T00:00:00Z",
  "2026-02-30T00:00:00.000Z",
  "2026-04-31T00:00:00Z",
  "2026-03-01T24:00:00Z",
  "2026-03-01T12:60:00Z",
  "2026-03-01T12:00:60Z",
  "2026-00-10T00:00:00Z",
  "2026-13-10T00:00:00Z",
  "2026-03-00T00:00:00Z",
  "0000-01-01T00:00:00Z",
  "9999-12-31T23:59:59-01:00",
  "2026-03-01t12:00:00z",
  "2026-03-01T12:00:00.Z",
  "2026-03-01T12:00:00.1234567890Z",
  "2026-03-01T12:00:00+00:00 ",
  "yesterday",
];
const NUMBERS = [0, -0, 1, -1, 1.5, 0.1, 1e21, 1e-7, 5e-324, 2 ** 31 - 1, 2 ** 31, 2 ** 32, 2 ** 53 - 1, 2 ** 53, 2 ** 53 + 2, 54210000000058, 380012780431, 1e9, 1e18, -54210000000058, Number.MAX_VALUE];
const VALUES: unknown[] = [...STRINGS, ...TIMES, ...NUMBERS, true, false, null, {}, { b: 1, a: [2, { d: null, c: "é" }] }, [], [1, "x", null], [[[]]]];
const MISSING = Symbol("missing");
const EXTRA_KEYS = ["url", "__proto__", "10", "9", "0", "é", "constructor", "toString", "A", "_"];

/** `value` as a record arrives: through JSON (numbers such as -0 and 1e21 as JSON writes them). */
const asReceived = (value: unknown) => JSON.parse(JSON.stringify(value)) as Raw;

function variants(vendor: keyof typeof MAPPED, good: Raw, random: () => number): Raw[] {
  const out: Raw[] = [good];
  for (const key of [...new Set([...MAPPED[vendor], ...Object.keys(good)])]) {
    for (const value of [MISSING, ...VALUES]) {
      const copy: Raw = { ...good };
      if (value === MISSING) delete copy[key];
      else copy[key] = value;
      out.push(asReceived(copy));
    }
  }
  for (let n = 0; n < 200; n++) {
    // Several fields changed at once, extra keys, and the keys in another order.
    const entries = Object.entries(good).map(([k, v]): [string, unknown] => [k, random() < 0.3 ? VALUES[Math.floor(random() * VALUES.length)] : v]);
    for (const key of EXTRA_KEYS) if (random() < 0.3) entries.push([key, VALUES[Math.floor(random() * VALUES.length)]]);
    if (random() < 0.5) entries.sort(() => random() - 0.5);
    const text = `{${entries.filter(([, v]) => random() < 0.9 || v === undefined).map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(",")}}`;
    out.push(JSON.parse(text) as Raw);
  }
  // Not from JSON: a value JSON cannot carry, and a record with an inherited enumerable key.
  out.push({ ...good, extra: undefined }, { ...good, n: Number.NaN }, Object.assign(Object.create({ inherited: "yes" }), good));
  return out;
}

/** What normalize gives: the event, or the error it throws. */
function outcome(fn: () => unknown): unknown {
  try {
    return { event: fn() };
  } catch (error) {
    const e = error as Error & { field?: string };
    return { error: e.message, field: e.field };
  }
}

const sim = createSimulator({ eventsPerVendor: 300, seed: 21 });

describe.each(Object.keys(MAPPED) as Array<keyof typeof MAPPED>)("%s normalize", (vendor) => {
  const tenant = vendor === "zendesk" || vendor === "jitsudo" ? "acme" : undefined;

  test("gives the plain reading's event for every simulator record, byte for byte", () => {
    for (const raw of asReceived(sim.events[vendor]) as unknown as Raw[]) {
      const actual = NORMALIZE[vendor](raw, tenant);
      const expected = REFERENCE[vendor](raw, tenant);
      expect(actual).toStrictEqual(expected);
      expect(JSON.stringify(actual)).toBe(JSON.stringify(expected));
    }
  });

  test("and for records with every field replaced by hostile values", () => {
    const random = seeded(vendor.length * 7919);
    let events = 0;
    let errors = 0;
    for (const good of asReceived(sim.events[vendor].slice(0, 6)) as unknown as Raw[]) {
      for (const raw of variants(vendor, good, random)) {
        const actual = outcome(() => NORMALIZE[vendor](raw, tenant)) as { event?: Raw };
        const expected = outcome(() => REFERENCE[vendor](raw, tenant)) as { event?: Raw };
        expect(actual, JSON.stringify(raw)).toStrictEqual(expected);
        if (actual.event) {
          events += 1;
          expect(JSON.stringify(actual.event)).toBe(JSON.stringify(expected.event));
          expect(Object.getPrototypeOf(actual.event.unmapped)).toBe(Object.prototype);
          expect(Object.keys(actual.event.unmapped)).toEqual(Object.keys(expected.event!.unmapped));
        } else errors += 1;
      }
    }
    expect(events).toBeGreaterThan(500);
    expect(errors).toBeGreaterThan(10);
  });

  test("twice in a row, alternating key orders, gives the same events (no state carried between records)", () => {
    const records = asReceived(sim.events[vendor].slice(0, 50)) as unknown as Raw[];
    const reversed = records.map((r) => Object.fromEntries(Object.entries(r).reverse()));
    const withExtra = records.map((r, i) => ({ ...r, [`extra${i % 3}`]: i }));
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < records.length; i++) {
        for (const raw of [records[i]!, reversed[i]!, withExtra[i]!]) expect(NORMALIZE[vendor](raw, tenant)).toStrictEqual(REFERENCE[vendor](raw, tenant));
      }
    }
  });
});

test("times: every generated near-RFC 3339 string reads as the Date reading gives", () => {
  const random = seeded(5);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)]!;
  const two = () => pick(["00", "01", "09", "10", "12", "13", "23", "24", "28", "29", "30", "31", "32", "59", "60", "99", "1", "a0"]);
  const year = () => pick(["2026", "2024", "2000", "1900", "2100", "0000", "9999", "1970", "202", "20a6"]);
  const fraction = () => pick(["", ".", ".1", ".12", ".123", ".1234", ".123456", ".123456789", ".1234567890", ".99999"]);
  const zone = () => pick(["", "Z", "z", "+00:00", "-00:00", "+0000", "+01:00", "-05:30", "+00:00Z", "Z ", " "]);
  const sep = () => pick(["T", "T", "T", " ", "t", "-"]);
  let previous: string | undefined;
  for (let n = 0; n < 30_000; n++) {
    const value = `${year()}-${two()}-${two()}${sep()}${two()}:${two()}${random() < 0.9 ? `:${two()}` : ""}${fraction()}${zone()}`;
    const at = toOccurredAt(value);
    expect(at, value).toBe(time(value));
    // Its epoch ms, read as the run reads it right after normalize wrote the time (the text just
    // written is known), and an earlier one's after it (what was known is another time's).
    if (at !== undefined) expect(occurredAtMs(at), at).toBe(Date.parse(at));
    if (previous !== undefined) expect(occurredAtMs(previous), previous).toBe(Date.parse(previous));
    if (at !== undefined) previous = at;
  }
});

test("a canonical time's epoch ms is Date.parse's on every end of February and start of March from year 100 to 9999, and on every day of 1969-2100", () => {
  const days: string[] = [];
  const pad = (n: number, width: number) => String(n).padStart(width, "0");
  for (let year = 100; year <= 9999; year++) for (const [month, day] of [[2, 27], [2, 28], [2, 29], [3, 1], [12, 31], [1, 1]] as const) days.push(`${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}`);
  for (let ms = Date.UTC(1969, 0, 1); ms < Date.UTC(2101, 0, 1); ms += 86_400_000) days.push(new Date(ms).toISOString().slice(0, 10));
  const timeOf = timeOfField("at");
  for (const [i, day] of days.entries()) {
    const at = `${day}T${pad(i % 24, 2)}:${pad(i % 60, 2)}:${pad((i * 7) % 60, 2)}.${pad(i % 1000, 3)}Z`;
    expect(occurredAtMs(at), at).toBe(Date.parse(at));
    // Second precision without a zone, as Zendesk and Datafold write it (Feb 29 of a common year as Date.parse reads it).
    const plain = at.slice(0, 19);
    const canonical = time(plain);
    expect(timeOf({ at: plain }), plain).toBe(canonical === undefined ? undefined : Date.parse(canonical));
  }
});

test("a record's time for slices and windows is Date.parse of its canonical time, impossible canonical ones included", () => {
  const random = seeded(9);
  const two = () => String(Math.floor(random() * 100)).padStart(2, "0");
  const timeOf = timeOfField("at");
  const values: unknown[] = [undefined, null, 5, "yesterday", ...TIMES];
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)]!;
  for (let n = 0; n < 30_000; n++) {
    const year = random() < 0.05 ? String(Math.floor(random() * 10_000)).padStart(4, "0") : `20${two()}`;
    values.push(`${year}-${two()}-${two()}T${two()}:${two()}:${two()}.${two()}${Math.floor(random() * 10)}Z`);
    values.push(new Date(Math.floor(random() * 4e12)).toISOString());
    // Second precision and other fractions, in UTC or without a zone (Zendesk's, JITSudo's, Datafold's forms).
    const fraction = pick(["", ".", ".1", ".12", ".123", ".1234", ".123456", ".123456789", ".1234567890", ".05", ".005"]);
    const zone = pick(["", "Z", "+00:00", "-00:00", "+01:00", "z", " "]);
    values.push(`${year}-${two()}-${two()}T${two()}:${two()}:${two()}${fraction}${zone}`);
  }
  for (const value of values) {
    const at = time(value);
    expect(timeOf({ at: value }), String(value)).toBe(at === undefined ? undefined : Date.parse(at));
    // An event's time, as the client reads it for its range and order.
    if (at !== undefined) expect(occurredAtMs(at), at).toBe(Date.parse(at));
  }
  expect(timeOf(null)).toBeUndefined();
  expect(timeOf("2026-03-01T12:00:00Z")).toBeUndefined();
});
