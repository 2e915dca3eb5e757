/**
 * `createCollector`'s options, checked in full before the collector touches the database: every
 * problem is a `ConfigError` naming its path (`sources[2].every`), and a source whose `options`
 * is an object builds its client once here, so a missing credential is reported at startup, not
 * at 3 a.m. on the first run.
 */
import type { CollectClient } from "../collect/collect.js";
import type { Checkpoint } from "../core/checkpoint.js";
import type { AuditEvent } from "../core/event.js";
import { ConfigError } from "../core/errors.js";
import { nearestName, refuseUnknownKeys } from "../core/names.js";
import type { Logger } from "../core/options.js";
import { isVendor, type OptionsOf, type Vendor } from "../core/vendor.js";
import { BUILT_IN_VENDORS, isVendorId, VENDOR_IDS, type VendorId } from "../vendors/registry.js";
import { parseEvery, type Every } from "./schedule.js";

/** A vendor's client options, or a function returning them, called at every run (rotated secrets). */
export type SourceOptions<O> = O | (() => O | Promise<O>);

/** What one run of a source reads: `since` applies to the first run only; later runs resume. */
export interface SourceParams {
  /** The vendor's filter (`events()`'s `filter`); a checkpoint belongs to it, so a new filter needs a new source id. */
  filter?: Record<string, unknown>;
  /** How late an event may arrive; the watermark stays this far behind now. Default 5 minutes. */
  lagMs?: number;
  /** Records per request; default the vendor's. */
  pageSize?: number;
  /** Where the first run starts (Date or RFC 3339); default the vendor's retention. */
  since?: Date | string;
}

interface SourceBase {
  /** Unique within the collector: letters, digits and `._:-`. It keys the checkpoint and the events. */
  id: string;
  params?: SourceParams;
  /** `"30s"`, `"5m"`, `"1h"` or a cron expression (5 fields, or 6 with seconds). Default `"5m"`. */
  every?: string;
  /**
   * Sources with the same key share one rate limit across every process of the fleet: the
   * vendor's documented one, unless `rateLimit: { requestsPerMinute }` is in `options`.
   */
  rateLimitKey?: string;
}

/** One vendor account the collector reads on a schedule. */
export type CollectorSource =
  | { [V in VendorId]: SourceBase & { vendor: V; options: SourceOptions<OptionsOf<(typeof BUILT_IN_VENDORS)[V]>> } }[VendorId]
  | (SourceBase & { vendor: Vendor; options: SourceOptions<Record<string, unknown>> });

/**
 * Where a custom sink gets each page's events. The collector awaits `write` before it commits the
 * page's checkpoint: at least once (an event's `id` is stable, so a sink can dedupe). The default
 * sink, the `<schema>.events` table, commits both in one transaction: exactly once.
 */
export interface CollectorSink {
  /** Makes a page's events durable; the page's checkpoint commits once this resolves. */
  write(events: AuditEvent[], context: { key: string; checkpoint: Checkpoint }): Promise<void>;
}

/** `createCollector`'s options. */
export interface CollectorOptions {
  /** A PostgreSQL URL. Omitted: an embedded PGlite database in `dataDir` (one process only). */
  connectionString?: string;
  /** The embedded database's directory. Default `.auditlogs`. Ignored with `connectionString`. */
  dataDir?: string;
  /** The PostgreSQL schema holding the collector's tables and pg-boss's queues; created if missing. Default `auditlogs`. */
  schema?: string;
  /** The vendor accounts to read, each validated now (a `ConfigError` names `sources[i].…`). */
  sources: CollectorSource[];
  /** Default: the `<schema>.events` table, written with the checkpoint in one transaction. */
  sink?: CollectorSink;
  /** A run whose worker stopped heartbeating this long is taken over elsewhere. Default 60 000; at least 10 000. */
  staleAfterMs?: number;
  /** Run lines (started, finished, failed), never with a credential. */
  logger?: Logger;
}

/** A source after validation. */
export interface ResolvedSource {
  id: string;
  vendorId: string;
  vendor: Vendor;
  /** The vendor's documented limit: the shared bucket's rate unless `options.rateLimit` sets one. */
  requestsPerMinute: number | undefined;
  options: SourceOptions<Record<string, unknown>>;
  params: SourceParams;
  every: Every;
  rateLimitKey: string | undefined;
  /** Builds the client for one run from resolved options (a ConfigError names `sources[i].options.…`). */
  createClient(options: Record<string, unknown>): CollectClient;
}

export interface ResolvedCollectorOptions {
  connectionString: string | undefined;
  dataDir: string;
  schema: string;
  sources: ResolvedSource[];
  sink: CollectorSink | undefined;
  staleAfterMs: number;
  logger: Logger | undefined;
}

const SOURCE_ID = /^[A-Za-z0-9._:-]+$/;
const SCHEMA = /^[a-z_][a-z0-9_]{0,40}$/;
const COLLECTOR_KEYS = ["connectionString", "dataDir", "schema", "sources", "sink", "staleAfterMs", "logger"] as const;
const SOURCE_KEYS = new Set(["id", "vendor", "options", "params", "every", "rateLimitKey"]);
const PARAM_KEYS = new Set(["filter", "lagMs", "pageSize", "since"]);

// Every key of CollectorOptions is in COLLECTOR_KEYS (a key added to one and not the other fails to compile).
const _everyCollectorKey: Record<Exclude<keyof CollectorOptions, (typeof COLLECTOR_KEYS)[number]>, never> = {};
void _everyCollectorKey;

/** ": did you mean x?" for a key near one of `known` (a typo), else "". */
function didYouMean(key: string, known: Iterable<string>): string {
  const near = nearestName(key, [...known]);
  return near ? `: did you mean ${near}?` : "";
}
/** pg-boss refuses a job heartbeat shorter than 10 s, and the takeover rides on it. */
export const MIN_STALE_AFTER_MS = 10_000;

/** Validates `createCollector`'s options. Throws `ConfigError` naming the path of the first problem. */
export function resolveCollectorOptions(options: CollectorOptions): ResolvedCollectorOptions {
  if (options === null || typeof options !== "object") throw new ConfigError("createCollector options must be an object");
  // A misspelt key is refused, not ignored: `conectionString` would have run on the embedded
  // database, each machine of a fleet collecting every source into its own.
  refuseUnknownKeys(options, COLLECTOR_KEYS, "an option of createCollector()");
  const { connectionString, dataDir = ".auditlogs", schema = "auditlogs", sources, sink, staleAfterMs = 60_000, logger } = options;
  if (connectionString !== undefined) checkConnectionString(connectionString);
  if (typeof dataDir !== "string" || dataDir.trim() === "") throw new ConfigError("must be a directory path", "dataDir");
  if (typeof schema !== "string" || !SCHEMA.test(schema)) {
    throw new ConfigError(`must be a lowercase SQL identifier (letters, digits, _; at most 41 characters), got ${JSON.stringify(schema)}`, "schema");
  }
  if (typeof staleAfterMs !== "number" || !Number.isInteger(staleAfterMs) || staleAfterMs < MIN_STALE_AFTER_MS) {
    throw new ConfigError(`must be a whole number of milliseconds >= ${MIN_STALE_AFTER_MS} (pg-boss's shortest heartbeat), got ${JSON.stringify(staleAfterMs)}`, "staleAfterMs");
  }
  if (sink !== undefined && (sink === null || typeof sink !== "object" || typeof sink.write !== "function")) {
    throw new ConfigError("must be an object with a write(events, { key, checkpoint }) method", "sink");
  }
  if (logger !== undefined && (logger === null || typeof logger !== "object")) throw new ConfigError("must be an object with debug/info/warn/error methods", "logger");
  if (!Array.isArray(sources)) throw new ConfigError("must be an array of sources", "sources");
  const seen = new Map<string, number>();
  const resolved = sources.map((source, index) => {
    const result = resolveSource(source, `sources[${index}]`);
    const first = seen.get(result.id);
    if (first !== undefined) throw new ConfigError(`duplicates sources[${first}].id ${JSON.stringify(result.id)}: every source needs its own id`, `sources[${index}].id`);
    seen.set(result.id, index);
    return result;
  });
  return { connectionString, dataDir, schema, sources: resolved, sink, staleAfterMs, logger };
}

function resolveSource(source: CollectorSource, path: string): ResolvedSource {
  if (source === null || typeof source !== "object") throw new ConfigError("must be an object { id, vendor, options }", path);
  for (const key of Object.keys(source)) {
    if (!SOURCE_KEYS.has(key)) throw new ConfigError(`is not a source option${didYouMean(key, SOURCE_KEYS)} (expected ${[...SOURCE_KEYS].join(", ")})`, `${path}.${key}`);
  }
  const { id, vendor, options, params = {}, every = "5m", rateLimitKey } = source;
  if (typeof id !== "string" || !SOURCE_ID.test(id)) {
    throw new ConfigError(`must be a non-empty string of letters, digits and ._:- (got ${JSON.stringify(id)})`, `${path}.id`);
  }
  let resolvedVendor: Vendor;
  if (isVendorId(vendor)) resolvedVendor = BUILT_IN_VENDORS[vendor] as Vendor;
  else if (isVendor(vendor)) resolvedVendor = vendor;
  else {
    throw new ConfigError(`must be one of ${VENDOR_IDS.join(", ")} or a defineVendor() vendor (got ${typeof vendor === "string" ? JSON.stringify(vendor) : typeof vendor})`, `${path}.vendor`);
  }
  if (options === undefined || options === null || (typeof options !== "object" && typeof options !== "function")) {
    throw new ConfigError("is required: the vendor's client options, or a function returning them (called at every run)", `${path}.options`);
  }
  const schedule = parseEvery(every);
  if (typeof schedule === "string") throw new ConfigError(schedule, `${path}.every`);
  if (rateLimitKey !== undefined && (typeof rateLimitKey !== "string" || rateLimitKey.trim() === "" || rateLimitKey.length > 200)) {
    throw new ConfigError("must be a non-empty string of at most 200 characters", `${path}.rateLimitKey`);
  }
  checkParams(params, `${path}.params`);
  const build = (resolvedOptions: Record<string, unknown>): CollectClient => {
    try {
      return resolvedVendor.createClient(resolvedOptions) as CollectClient;
    } catch (error) {
      throw underPath(error, `${path}.options`);
    }
  };
  // Static options are checked now (credentials present, baseUrl valid); a function's at each run.
  if (typeof options === "object") build(options as Record<string, unknown>);
  return {
    id,
    vendorId: resolvedVendor.id,
    vendor: resolvedVendor,
    requestsPerMinute: resolvedVendor.definition.requestsPerMinute,
    options: options as SourceOptions<Record<string, unknown>>,
    params,
    every: schedule,
    rateLimitKey,
    createClient: build,
  };
}

function checkParams(params: SourceParams, path: string): void {
  if (params === null || typeof params !== "object" || Array.isArray(params)) throw new ConfigError("must be an object { filter, lagMs, pageSize, since }", path);
  for (const key of Object.keys(params)) {
    if (!PARAM_KEYS.has(key)) {
      throw new ConfigError(`is not a source param${didYouMean(key, PARAM_KEYS)} (expected ${[...PARAM_KEYS].join(", ")}; the collector sets the range and the checkpoint itself)`, `${path}.${key}`);
    }
  }
  if (params.filter !== undefined && (params.filter === null || typeof params.filter !== "object")) throw new ConfigError("must be an object", `${path}.filter`);
  if (params.lagMs !== undefined && (typeof params.lagMs !== "number" || !Number.isInteger(params.lagMs) || params.lagMs < 0)) {
    throw new ConfigError(`must be a whole number >= 0, got ${JSON.stringify(params.lagMs)}`, `${path}.lagMs`);
  }
  if (params.pageSize !== undefined && (typeof params.pageSize !== "number" || !Number.isInteger(params.pageSize) || params.pageSize < 1)) {
    throw new ConfigError(`must be a whole number >= 1, got ${JSON.stringify(params.pageSize)}`, `${path}.pageSize`);
  }
  if (params.since !== undefined) {
    const time = params.since instanceof Date ? params.since.getTime() : typeof params.since === "string" ? Date.parse(params.since) : NaN;
    if (!Number.isFinite(time)) throw new ConfigError("must be a Date or an RFC 3339 string", `${path}.since`);
  }
}

/** A ConfigError from a vendor factory, re-rooted under the source (`sources[1].options.apiToken`). */
export function underPath(error: unknown, path: string): unknown {
  if (!ConfigError.isInstance(error)) return error;
  const option = error.option;
  const message = option && error.message.startsWith(`${option}: `) ? error.message.slice(option.length + 2) : error.message;
  return new ConfigError(message, option ? `${path}.${option}` : path);
}

function checkConnectionString(value: unknown): void {
  if (typeof value !== "string" || value.trim() === "") throw new ConfigError("must be a postgres:// URL", "connectionString");
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    // Never echoed: it may hold a password.
    throw new ConfigError("is not a valid URL (expected postgres://user:password@host:port/database)", "connectionString");
  }
  if (url.protocol !== "postgres:" && url.protocol !== "postgresql:") {
    throw new ConfigError(`must be a postgres:// or postgresql:// URL, got ${url.protocol}`, "connectionString");
  }
}
