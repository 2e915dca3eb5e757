/**
 * Checkpoints: a small, versioned JSON value a caller stores between runs (DESIGN §4).
 *
 * - Mid-run it records the page being read (`position.state`) and how many of its records were
 *   consumed (`position.skip`): resuming re-requests that page and skips them, so nothing is
 *   yielded twice or skipped.
 * - Once a run completes it is a watermark: the next run reads from `watermark`, which never
 *   passes `now − lagMs`, and skips the ids in `seen` (events at or after the watermark that
 *   were already yielded). Late events in the lag zone are caught; boundary events not repeated.
 */
import * as z from "zod/mini";
import { englishMessages } from "./zod.js";
import { canonicalJson, tooDeepField } from "./event.js";
import { ConfigError } from "./errors.js";
import { createHash } from "node:crypto";

export const CHECKPOINT_VERSION = 1;

/**
 * Where a run stands, as a JSON value: store it anywhere (`JSON.stringify`) and pass it back as
 * `resumeFrom`. Its fields are described for inspection; treat it as opaque otherwise.
 */
export interface Checkpoint {
  /** The checkpoint format; a later format is read by a later version of the library. */
  version: 1;
  /** The vendor it belongs to (a built-in or a defined vendor's id): another vendor's client rejects it. */
  vendor: string;
  /** Hash of what the checkpoint is valid for: the vendor's scope (tenant, subdomain) and `filter`. */
  scope: string;
  /** The run's range, RFC 3339: `[since, until)`; since is null for "from the beginning". */
  since: string | null;
  /** The run's exclusive upper bound, RFC 3339. */
  until: string;
  /** Where the next run starts once this one is complete: min(until, now − lagMs). */
  watermark: string;
  /** The page being read and how many of its records were consumed; null before the first. */
  position: { state: unknown; skip: number } | null;
  /** True once the run read everything up to `until`: the next run starts at `watermark`. */
  complete: boolean;
  /** id → occurredAt of events yielded at or after a watermark, so a re-read skips them. */
  seen: Record<string, string>;
  /**
   * A finished run of a vendor without a time filter (Pylon): the state of its last page and the
   * order its records came in, so the next run reads on from there (oldest first) or stops at
   * the first page older than the watermark (newest first) instead of reading everything again.
   */
  tail?: { state: unknown; order: "oldest-first" | "newest-first" };
}

englishMessages();

const CheckpointSchema = z.object({
  version: z.literal(CHECKPOINT_VERSION),
  vendor: z.string(),
  scope: z.string(),
  since: z.nullable(z.string()),
  until: z.string(),
  watermark: z.string(),
  position: z.nullable(z.object({ state: z.unknown(), skip: z.int().check(z.minimum(0)) })),
  complete: z.boolean(),
  // Checked by hand (readSeen): 100,000 entries in about 0.1 s, and a `__proto__` id kept.
  seen: z.custom<Record<string, string>>((value) => value !== null && typeof value === "object" && !Array.isArray(value), "Expected an object"),
  tail: z.optional(z.object({ state: z.unknown(), order: z.enum(["oldest-first", "newest-first"]) })),
});

/** The most ids a checkpoint's `seen` holds (DESIGN §14); a run saving more keeps the newest. */
export const MAX_SEEN = 100_000;

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/i;

/**
 * A checkpoint time (RFC 3339 with a zone, years 0000–9999) as epoch ms; ConfigError naming
 * `resumeFrom.<field>` otherwise, never an `Invalid time value` later.
 */
export function checkpointTime(value: string, field: string): number {
  const ms = RFC3339.test(value) ? Date.parse(value) : NaN;
  const iso = Number.isFinite(ms) ? new Date(ms).toISOString() : "";
  // Date.parse rolls 2026-02-30 over to March: a UTC date must read back as written.
  if (!/^\d{4}-/.test(iso) || (/z$/i.test(value) && iso.slice(0, 10) !== value.slice(0, 10))) {
    throw new ConfigError(`must be an RFC 3339 UTC time such as "2026-01-01T00:00:00.000Z" (got ${JSON.stringify(value.slice(0, 40))})`, `resumeFrom.${field}`);
  }
  return ms;
}

/** A time as a run writes it (`toISOString()`), its fields in range; the day is checked against its month apart. */
const SEEN_TIME = /^\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d\.\d{3}Z$/;

/** The longest id `seen` holds: far beyond any vendor's (a `sha256:` content hash is 71). */
export const MAX_SEEN_ID_LENGTH = 1_000;

/**
 * An id a checkpoint's `seen` can hold: 1 to MAX_SEEN_ID_LENGTH characters, none of them a
 * control character (C0, DEL, C1). A run never saves another (`SeenIds.note`), so every
 * checkpoint it writes loads again.
 */
export function storableId(id: string): boolean {
  return id.length > 0 && id.length <= MAX_SEEN_ID_LENGTH && !CONTROL.test(id);
}

const CONTROL = /[\x00-\x1f\x7f-\x9f]/;

/** Whether day 29–31 of a `SEEN_TIME` exists in its month (Date.parse would roll Feb 30 over to March). */
function dayExists(at: string): boolean {
  const digit = (i: number) => at.charCodeAt(i) - 48;
  const day = digit(8) * 10 + digit(9);
  if (day <= 28) return true;
  const month = digit(5) * 10 + digit(6);
  if (month !== 2) return day <= (month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31);
  const year = digit(0) * 1000 + digit(1) * 100 + digit(2) * 10 + digit(3);
  return day === 29 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
}

/** A checkpoint's `seen` as loaded: ids and their times side by side, each checked. */
export interface LoadedSeen {
  readonly ids: readonly string[];
  /** `toISOString()` text, whatever RFC 3339 form the checkpoint held. */
  readonly times: readonly string[];
}

/**
 * `seen` checked in full: at most MAX_SEEN ids, each a `storableId`, dated by a valid time
 * before `until` (an event the run yielded). One pass over `Object.keys` (own keys only,
 * `__proto__` an id like any other), times compared as `toISOString()` text, which sorts as
 * time does; no Map built (the run's Set of ids is the only copy): 100,000 ids in about 0.1 s of CPU.
 */
function readSeen(seen: Record<string, unknown>, until: number): LoadedSeen {
  const ids = Object.keys(seen);
  if (ids.length > MAX_SEEN) throw new ConfigError(`holds more than ${MAX_SEEN} ids (${ids.length})`, "resumeFrom.seen");
  const untilText = new Date(until).toISOString();
  const times = new Array<string>(ids.length);
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    if (!storableId(id)) throw new ConfigError(`is not an event id: 1 to ${MAX_SEEN_ID_LENGTH} characters, none a control character`, `resumeFrom.${seenField(id)}`);
    const at = seen[id];
    if (typeof at !== "string") throw new ConfigError("must be an RFC 3339 time string", `resumeFrom.${seenField(id)}`);
    // The times a run writes, checked cheaply; any other RFC 3339 form the full way, then written as a run would.
    const time = SEEN_TIME.test(at) && dayExists(at) ? at : new Date(checkpointTime(at, seenField(id))).toISOString();
    // A future-dated id could never have been yielded: the checkpoint was edited or corrupted.
    if (time >= untilText) throw new ConfigError("is dated at or after the checkpoint's until; no event of the run can have it", `resumeFrom.${seenField(id)}`);
    times[i] = time;
  }
  return { ids, times };
}

const seenField = (id: string) => `seen[${JSON.stringify(id.slice(0, 60))}]`;

/** The scope a checkpoint belongs to: vendor-level identity (tenant, subdomain) plus the filter. */
export function scopeOf(vendorScope: unknown, filter: unknown): string {
  return createHash("sha256")
    .update(canonicalJson({ vendorScope: vendorScope ?? null, filter: filter ?? null }))
    .digest("hex")
    .slice(0, 16);
}

/**
 * Checks that `value` is a checkpoint of this vendor and scope. Accepts the object or its JSON
 * text. Anything else is a `ConfigError` naming `resumeFrom`. `seen` comes back apart, checked
 * (the checkpoint's own object is left as it was).
 */
export function readCheckpoint(value: unknown, vendor: string, scope: string): { checkpoint: Checkpoint; seen: LoadedSeen } {
  let input = value;
  if (typeof input === "string") {
    try {
      input = JSON.parse(input);
    } catch {
      throw new ConfigError("is not valid JSON", "resumeFrom");
    }
  }
  const parsed = CheckpointSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? ` at ${issue.path.join(".")}` : "";
    throw new ConfigError(`is not an auditlogs checkpoint${where}: ${issue?.message ?? "wrong shape"}`, "resumeFrom");
  }
  const checkpoint = parsed.data as Checkpoint;
  // A state is a cursor, a URL or a small object: a deep one would overflow structuredClone.
  if (checkpoint.position && tooDeepField(checkpoint.position.state, 100) !== undefined) {
    throw new ConfigError("nests too deep to be a page position", "resumeFrom.position.state");
  }
  // zod copies the objects it knows, not `position.state` (unknown) or `seen`: the run gets its own.
  if (checkpoint.position) checkpoint.position = { state: structuredClone(checkpoint.position.state), skip: checkpoint.position.skip };
  // Every time is checked now, not when a request is built: a bad one names its field.
  const since = checkpoint.since === null ? undefined : checkpointTime(checkpoint.since, "since");
  const until = checkpointTime(checkpoint.until, "until");
  const watermark = checkpointTime(checkpoint.watermark, "watermark");
  if (since !== undefined && since >= until) throw new ConfigError("must be earlier than resumeFrom.until", "resumeFrom.since");
  if (watermark > until || (since !== undefined && watermark < since)) throw new ConfigError("must be within [since, until]", "resumeFrom.watermark");
  const seen = readSeen(checkpoint.seen, until);
  if (checkpoint.vendor !== vendor) {
    throw new ConfigError(`belongs to vendor "${checkpoint.vendor}", not "${vendor}"`, "resumeFrom");
  }
  if (checkpoint.scope !== scope) {
    throw new ConfigError("was made with another filter (or another tenant/subdomain); start a new run without resumeFrom, or pass the same filter", "resumeFrom");
  }
  return { checkpoint, seen };
}

/** `record[key] = value`, for any key, `__proto__` included. */
export function setKey<T>(record: Record<string, T>, key: string, value: T): void {
  if (key === "__proto__") Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
  else record[key] = value;
}

/** A checkpoint of a run at its current point. A complete run's keeps only the ids not older than its watermark. */
export function writeCheckpoint(run: {
  vendor: string;
  scope: string;
  since: number | undefined;
  until: number;
  watermark: number;
  position: { state: unknown; skip: number } | null;
  complete: boolean;
  seen: { toJSON(floor: number): Record<string, string> };
  tail?: Checkpoint["tail"];
}): Checkpoint {
  return {
    version: CHECKPOINT_VERSION,
    vendor: run.vendor,
    scope: run.scope,
    since: run.since === undefined ? null : new Date(run.since).toISOString(),
    until: new Date(run.until).toISOString(),
    watermark: new Date(run.watermark).toISOString(),
    position: run.complete ? null : run.position,
    complete: run.complete,
    seen: run.seen.toJSON(run.complete ? run.watermark : -Infinity),
    ...(run.complete && run.tail ? { tail: run.tail } : {}),
  };
}
