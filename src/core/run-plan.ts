/**
 * A run's options and time-range maths: what `events()`/`pages()` params mean once checked
 * (ConfigError naming the param otherwise), with a checkpoint deciding where a resumed run starts.
 */
import { readCheckpoint, scopeOf, type Checkpoint, type LoadedSeen } from "./checkpoint.js";
import { ConfigError } from "./errors.js";
import { check, type Schema } from "./schema.js";
import { unknownKey } from "./names.js";
import { wholeNumber } from "./options.js";
import type { PageContext, Pagination, Position, PositionIssue } from "./paginate.js";
import { isSliceState } from "./slices.js";

const DEFAULT_LAG_MS = 5 * 60_000;
const DAY_MS = 24 * 60 * 60_000;

/** Parameters of `events()` and `pages()`; a key that is none of these (a typo of `since`) is a `ConfigError` naming it. */
export interface EventParams<Filter = Record<string, unknown>> {
  /** Inclusive start: a Date or an RFC 3339 string. Ignored with `resumeFrom`. */
  since?: Date | string;
  /** Exclusive end: a Date or an RFC 3339 string. Default now. */
  until?: Date | string;
  /** Records per request, from 1 to the vendor's maximum (a literal over it does not compile). Default the vendor's own. Refused by a vendor without pages (Datafold). */
  pageSize?: number;
  /** The vendor's typed filters, mapped to its own query parameters; an unknown key is a `ConfigError`. */
  filter?: Filter;
  /** A checkpoint from `stream.checkpoint()` (the object or its JSON text). */
  resumeFrom?: unknown;
  /** Aborts the run: the request in flight is cancelled and iteration rejects with `UserAbortError`. */
  signal?: AbortSignal;
  /** How late an event may arrive; the watermark stays this far behind now. Default 5 minutes. */
  lagMs?: number;
  /** Time-window size, for vendors read in time windows (Datafold). Default one day. */
  windowMs?: number;
}

/** Every key `EventParams` has: any other is a `ConfigError` (a typo of `since` would read the whole history). */
const PARAM_KEYS: ReadonlyArray<keyof EventParams> = ["since", "until", "pageSize", "filter", "resumeFrom", "signal", "lagMs", "windowMs"];

/**
 * The `ConfigError` for the first key of `params` that is no parameter (one set to undefined
 * passes: `{ ...options }` of an object that has it unset), naming the parameter it is likely a
 * typo of: the same but for case, or two edits away.
 */
function checkParamKeys(params: object): void {
  const unknown = unknownKey(params, PARAM_KEYS);
  if (unknown) throw new ConfigError(`is not a parameter of events() or pages()${unknown.near ? `: did you mean ${unknown.near}?` : ""} (they are ${PARAM_KEYS.join(", ")})`, unknown.key);
}

/** What a run needs to know of its vendor. */
export interface RunVendor {
  id: string;
  pageSize?: { max: number } | undefined;
  filter?: Schema | undefined;
  maxUntil?(now: number): number;
  defaultSince?(until: number): number;
  /** Its pagination's check of a checkpoint's position. */
  pagination?: Pick<Pagination<any, any, any>, "checkPosition" | "timeSlices">;
}

/** Per-client values a run starts from. */
export interface RunDefaults {
  tenant: string | undefined;
  windowMs: number | undefined;
  now: number;
}

/** A run, planned: its page context, checkpoint scope, watermark and where it resumes. */
export interface RunPlan {
  ctx: PageContext;
  scope: string;
  /** Where the next run starts once this one completes: never past now − lagMs. */
  watermark: number;
  signal: AbortSignal | undefined;
  /** A mid-run checkpoint's position: the page to re-request and the records of it consumed. */
  resume: Position | undefined;
  /** Ids and times of events already yielded at or after the watermark (a checkpoint's `seen`, checked). */
  seen: LoadedSeen;
  /** A finished checkpoint's last page and order, for an incremental pagination's next run. */
  tail: Checkpoint["tail"];
}

export function planRun(vendor: RunVendor, origin: string, defaults: RunDefaults, params: EventParams<unknown>): RunPlan {
  if (params === null || typeof params !== "object") throw new ConfigError("params must be an object");
  checkParamKeys(params);
  const filter = parseFilter(vendor, params.filter);
  const pageSize = params.pageSize === undefined ? undefined : wholeNumber(params.pageSize, "pageSize");
  if (pageSize !== undefined && !vendor.pageSize) {
    throw new ConfigError(`${vendor.id} has no pages (it answers one time range at a time); use windowMs to size the requests`, "pageSize");
  }
  if (pageSize !== undefined && vendor.pageSize && (pageSize < 1 || pageSize > vendor.pageSize.max)) {
    throw new ConfigError(`must be between 1 and ${vendor.pageSize.max} for ${vendor.id}, got ${pageSize}`, "pageSize");
  }
  const lagMs = wholeNumber(params.lagMs ?? DEFAULT_LAG_MS, "lagMs");
  const windowMs = wholeNumber(params.windowMs ?? defaults.windowMs ?? DAY_MS, "windowMs");
  if (windowMs < 1_000) throw new ConfigError("must be at least 1000 (one second)", "windowMs");
  if (params.signal !== undefined && !(params.signal instanceof AbortSignal)) throw new ConfigError("must be an AbortSignal", "signal");
  const scope = scopeOf(defaults.tenant ?? null, filter ?? null);

  const now = defaults.now;
  const latest = vendor.maxUntil ? vendor.maxUntil(now) : now;
  const read = params.resumeFrom === undefined ? undefined : readCheckpoint(params.resumeFrom, vendor.id, scope);
  const checkpoint = read?.checkpoint;
  let since: number | undefined;
  let until: number;
  let watermark: number;
  let resume: Position | undefined;
  if (checkpoint && !checkpoint.complete) {
    // Mid-run: the same range and watermark, from the recorded position.
    since = checkpoint.since === null ? undefined : Date.parse(checkpoint.since);
    until = Date.parse(checkpoint.until);
    watermark = Date.parse(checkpoint.watermark);
    resume = checkpoint.position ?? undefined;
  } else {
    since = checkpoint ? Date.parse(checkpoint.watermark) : timeParam(params.since, "since");
    until = Math.min(timeParam(params.until, "until") ?? latest, latest);
    if (since !== undefined && since >= until) {
      throw new ConfigError(`must be earlier than until (${new Date(until).toISOString()})`, checkpoint ? "resumeFrom" : "since");
    }
    // Never past now − lagMs (late events), never before the range asked for.
    watermark = Math.max(since ?? -Infinity, Math.min(until, now - lagMs));
  }
  if (since === undefined && vendor.defaultSince) since = vendor.defaultSince(until);
  const ctx: PageContext = { vendor: vendor.id, origin, since, until, pageSize, filter, windowMs };
  // The position is checked against the vendor's pagination: never page=NaN, nor a skip past a page.
  const issue = resume && checkResume(vendor.pagination, resume, ctx, vendor.pageSize?.max);
  if (issue) throw new ConfigError(issue.message, `resumeFrom.position.${issue.field}`);
  return {
    ctx,
    scope,
    watermark,
    signal: params.signal,
    resume,
    seen: read?.seen ?? { ids: [], times: [] },
    tail: checkpoint?.complete ? checkpoint.tail : undefined,
  };
}

/** `params.filter` through the vendor's filter schema: ConfigError naming `filter.<key>` when it does not fit. */
function parseFilter(vendor: RunVendor, value: unknown): unknown {
  if (value === undefined) return undefined;
  if (value === null || typeof value !== "object" || Array.isArray(value)) throw new ConfigError("must be an object", "filter");
  const schema = vendor.filter;
  if (!schema) {
    const key = Object.keys(value)[0];
    if (key !== undefined) throw new ConfigError(`is not a ${vendor.id} filter (this vendor has no filters)`, `filter.${key}`);
    return value;
  }
  const result = check(schema, value);
  if (result.ok) return result.value;
  const issue = result.issue;
  if (issue.code === "unrecognized_keys" && issue.keys?.length) {
    const shape = (schema as { shape?: Record<string, unknown> }).shape;
    const known = shape ? Object.keys(shape) : [];
    throw new ConfigError(`is not a ${vendor.id} filter${known.length ? ` (known: ${known.join(", ")})` : ""}`, `filter.${issue.keys[0]}`);
  }
  throw new ConfigError(issue.message, `filter${result.path ? `.${result.path}` : ""}`);
}

/** A Date or RFC 3339 string as epoch ms; ConfigError naming the option otherwise. */
export function timeParam(value: unknown, option: string): number | undefined {
  if (value === undefined) return undefined;
  if (value instanceof Date) {
    const ms = value.getTime();
    if (Number.isNaN(ms)) throw new ConfigError("is an invalid Date", option);
    return ms;
  }
  if (typeof value === "string" && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/i.test(value)) {
    const ms = Date.parse(value);
    if (Number.isFinite(ms)) return ms;
  }
  throw new ConfigError(`must be a Date or an RFC 3339 date-time with a zone, such as "2026-01-01T00:00:00Z" (got ${JSON.stringify(value)})`, option);
}

/**
 * A checkpoint's position against the vendor's pagination. A sliced run's state is its slice's
 * bounds around the chain's own state: the bounds are checked here, the inner state by the
 * pagination, as any other.
 */
function checkResume(
  pagination: Pick<Pagination<any, any, any>, "checkPosition" | "timeSlices"> | undefined,
  position: Position<unknown>,
  ctx: PageContext,
  maxPageSize: number | undefined,
): PositionIssue | undefined {
  if (!pagination?.timeSlices || !isSliceState(position.state)) return pagination?.checkPosition?.(position, ctx, maxPageSize);
  const slice = position.state;
  const time = (value: unknown) => typeof value === "number" && Number.isFinite(value) && Math.abs(value) <= 8.64e15;
  if (!time(slice.until)) return { field: "state.until", message: "must be a time in epoch milliseconds" };
  if (slice.since !== null && (!time(slice.since) || slice.since >= slice.until)) return { field: "state.since", message: "must be null or a time before state.until" };
  if (slice.requested !== undefined && !time(slice.requested)) return { field: "state.requested", message: "must be a time in epoch milliseconds" };
  const inner = pagination.checkPosition?.({ state: slice.state, skip: position.skip }, ctx, maxPageSize);
  return inner && inner.field.startsWith("state") ? { ...inner, field: `state.${inner.field}` } : inner;
}
