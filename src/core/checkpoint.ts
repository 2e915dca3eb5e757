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
import { z } from "zod";
import { canonicalJson } from "./event.js";
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

const CheckpointSchema = z.object({
  version: z.literal(CHECKPOINT_VERSION),
  vendor: z.string(),
  scope: z.string(),
  since: z.string().nullable(),
  until: z.string(),
  watermark: z.string(),
  position: z.object({ state: z.unknown(), skip: z.number().int().min(0) }).nullable(),
  complete: z.boolean(),
  seen: z.record(z.string(), z.string()),
  tail: z.object({ state: z.unknown(), order: z.enum(["oldest-first", "newest-first"]) }).optional(),
});

/** The scope a checkpoint belongs to: vendor-level identity (tenant, subdomain) plus the filter. */
export function scopeOf(vendorScope: unknown, filter: unknown): string {
  return createHash("sha256")
    .update(canonicalJson({ vendorScope: vendorScope ?? null, filter: filter ?? null }))
    .digest("hex")
    .slice(0, 16);
}

/**
 * Checks that `value` is a checkpoint of this vendor and scope. Accepts the object or its JSON
 * text. Anything else is a `ConfigError` naming `resumeFrom`.
 */
export function readCheckpoint(value: unknown, vendor: string, scope: string): Checkpoint {
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
  // zod copies the objects it knows, not `position.state` (unknown): the run gets its own.
  if (checkpoint.position) checkpoint.position = { state: structuredClone(checkpoint.position.state), skip: checkpoint.position.skip };
  if (checkpoint.vendor !== vendor) {
    throw new ConfigError(`belongs to vendor "${checkpoint.vendor}", not "${vendor}"`, "resumeFrom");
  }
  if (checkpoint.scope !== scope) {
    throw new ConfigError("was made with another filter (or another tenant/subdomain); start a new run without resumeFrom, or pass the same filter", "resumeFrom");
  }
  return checkpoint;
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
