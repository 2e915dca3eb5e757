import { systemClock, type Clock } from "../internal/clock.js";
import { ConfigError } from "./errors.js";
import { asRateLimiter, type RateLimiter } from "./rate-limit.js";
import type { InvalidRecordHandler } from "./records.js";

/** The least severe level passed to `logger`; `"off"` passes nothing. */
export type LogLevel = "debug" | "info" | "warn" | "error" | "off";

/**
 * Any object with some of these methods: console, pino, winston, or your own. The library calls
 * `method(message)`, or `method(message, data)` when a line has structured fields; a pino logger
 * (recognized by its `Symbol.for("pino.serializers")`) gets them pino's way, `method(data, message)`,
 * so the fields land in the JSON line. Auth headers are masked in `data`.
 */
export interface Logger {
  /** Each request sent, with its (masked) headers in `data`. */
  debug?(message: string, data?: Record<string, unknown>): void;
  /** Each retry: why, after how long, which attempt. */
  info?(message: string, data?: Record<string, unknown>): void;
  /** Something the caller should know about that did not fail the run. */
  warn?(message: string, data?: Record<string, unknown>): void;
  /** A failure the library reports besides throwing it. */
  error?(message: string, data?: Record<string, unknown>): void;
}

/** Options every vendor's factory accepts. */
export interface CommonOptions {
  /** Origin to send requests to (scheme, host, port), without the API path. https unless loopback. */
  baseUrl?: string;
  /**
   * A fetch for every request. Without it, on Node requests go over `node:http`/`node:https`
   * (less CPU and memory a request than Node's fetch), unless `globalThis.fetch` was replaced
   * after the package loaded (a test's stub: it is used) or undici's global dispatcher is not a
   * plain `Agent` (a `ProxyAgent`, say: `globalThis.fetch` is used, so it applies). Bun and Deno
   * use `globalThis.fetch`, read at each call.
   */
  fetch?: typeof fetch;
  /** Retries on network errors, timeouts, 408/409/425/429/5xx. Default 3. */
  maxRetries?: number;
  /** A vendor asking to wait longer than this fails with `RateLimitError` instead. Default 60 000. */
  maxRetryDelayMs?: number;
  /** Per request, the whole exchange (the body included). Default 60 000. */
  timeoutMs?: number;
  /**
   * The most bytes a response body may hold, counted after decompression; a larger one fails
   * with `ResponseValidationError` (not retried) without being buffered. Default 64 MiB.
   */
  maxResponseBytes?: number;
  /**
   * Client-side limit; default the vendor's documented one. `false` turns it off. A `RateLimiter`
   * (`createTokenBucket`, or one backed by shared storage) is shared with every client given it.
   */
  rateLimit?: false | { requestsPerMinute: number } | RateLimiter;
  /** Pages fetched ahead while the caller works on the current one. Default 1; 0 = strictly sequential. */
  prefetch?: number;
  /** Requests in flight at once where pages are known ahead (Cortex pages, Datafold windows) or time slices are read (Zendesk, JITSudo). Default 4. */
  concurrency?: number;
  /** Where requests (debug), retries (info) and warnings go: console, pino, winston, or your own. Nothing is logged without it. */
  logger?: Logger;
  /** Least severe level passed to `logger`. Default "warn". */
  logLevel?: LogLevel;
  /** Your application's name/version, sent before `auditlogs/<version>` in User-Agent. */
  userAgent?: string;
  /** Time source and timer, for tests. */
  clock?: Clock;
  /**
   * Skip-and-report for records the SDK cannot use (no usable time, a missing required field,
   * nesting deeper than 1,000 levels): each is handed here with its `ResponseValidationError`,
   * counted in `client.stats.invalidRecords`, and the run goes on. Default: the error is thrown.
   */
  onInvalidRecord?: InvalidRecordHandler;
  /** Default size of the time windows, in ms, for vendors read in time windows (Datafold). Default one day. */
  windowMs?: number;
}

/** Every key of `CommonOptions`: with a definition's `options`, a client's options may hold only these besides. */
export const COMMON_OPTION_KEYS = [
  "baseUrl",
  "fetch",
  "maxRetries",
  "maxRetryDelayMs",
  "timeoutMs",
  "maxResponseBytes",
  "rateLimit",
  "prefetch",
  "concurrency",
  "logger",
  "logLevel",
  "userAgent",
  "clock",
  "onInvalidRecord",
  "windowMs",
] as const satisfies ReadonlyArray<keyof CommonOptions>;
// Every key of CommonOptions is in the list (a new option left out would be refused).
const _everyCommonKey: Record<Exclude<keyof CommonOptions, (typeof COMMON_OPTION_KEYS)[number]>, never> = {};
void _everyCommonKey;

export interface ResolvedCommon {
  origin: string;
  fetch: typeof fetch | undefined;
  maxRetries: number;
  maxRetryDelayMs: number;
  timeoutMs: number;
  maxResponseBytes: number;
  /** The bucket's rate when the client makes its own; undefined with `rateLimiter` or no limit. */
  requestsPerMinute: number | undefined;
  /** A limiter the caller passed in `rateLimit`, shared with other clients. */
  rateLimiter: RateLimiter | undefined;
  prefetch: number;
  concurrency: number;
  logger: Logger | undefined;
  logLevel: LogLevel;
  userAgent: string | undefined;
  clock: Clock;
  onInvalidRecord: InvalidRecordHandler | undefined;
}

/** Validates the common options; a bad one throws `ConfigError` naming it, before any request. */
export function resolveCommon(
  options: CommonOptions,
  defaults: { baseUrl: string | undefined; requestsPerMinute: number | undefined },
): ResolvedCommon {
  if (options === null || typeof options !== "object") throw new ConfigError("options must be an object");
  const baseUrl = options.baseUrl ?? defaults.baseUrl;
  if (baseUrl === undefined) throw new ConfigError("is required for this vendor (it is self-hosted)", "baseUrl");
  const rateLimit = options.rateLimit;
  let requestsPerMinute = defaults.requestsPerMinute;
  const rateLimiter = asRateLimiter(rateLimit, "rateLimit");
  if (rateLimit === false || rateLimiter) requestsPerMinute = undefined;
  else if (rateLimit !== undefined) {
    if (typeof rateLimit !== "object" || rateLimit === null) {
      throw new ConfigError("must be false, { requestsPerMinute } or a RateLimiter (an object with acquire(signal), such as createTokenBucket())", "rateLimit");
    }
    requestsPerMinute = positiveNumber((rateLimit as { requestsPerMinute?: unknown }).requestsPerMinute, "rateLimit.requestsPerMinute");
  }
  if (options.fetch !== undefined && typeof options.fetch !== "function") throw new ConfigError("must be a function", "fetch");
  if (options.logger !== undefined && (typeof options.logger !== "object" || options.logger === null)) {
    throw new ConfigError("must be an object with debug/info/warn/error methods", "logger");
  }
  const logLevel = options.logLevel ?? "warn";
  if (!["debug", "info", "warn", "error", "off"].includes(logLevel)) {
    throw new ConfigError(`must be one of debug, info, warn, error, off (got ${JSON.stringify(logLevel)})`, "logLevel");
  }
  if (options.userAgent !== undefined && (typeof options.userAgent !== "string" || /[\r\n]/.test(options.userAgent))) {
    throw new ConfigError("must be a single-line string", "userAgent");
  }
  const clock = options.clock;
  if (clock !== undefined && (typeof clock !== "object" || clock === null || typeof clock.now !== "function" || typeof clock.sleep !== "function")) {
    throw new ConfigError("must be an object with now() and sleep(ms, signal) methods", "clock");
  }
  if (options.onInvalidRecord !== undefined && typeof options.onInvalidRecord !== "function") {
    throw new ConfigError("must be a function (record, error) => void", "onInvalidRecord");
  }
  const timeoutMs = positiveNumber(options.timeoutMs ?? 60_000, "timeoutMs");
  // Node's timers fire at once (after 1 ms) for a delay above 2^31 − 1 ms: every request would time out.
  if (timeoutMs > MAX_TIMER_MS) throw new ConfigError(`must be at most ${MAX_TIMER_MS} (about 24.8 days), got ${timeoutMs}`, "timeoutMs");
  return {
    origin: parseOrigin(baseUrl, "baseUrl"),
    fetch: options.fetch,
    maxRetries: wholeNumber(options.maxRetries ?? 3, "maxRetries"),
    maxRetryDelayMs: wholeNumber(options.maxRetryDelayMs ?? 60_000, "maxRetryDelayMs"),
    timeoutMs,
    maxResponseBytes: positiveWhole(options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES, "maxResponseBytes"),
    requestsPerMinute,
    rateLimiter,
    prefetch: wholeNumber(options.prefetch ?? 1, "prefetch"),
    concurrency: positiveWhole(options.concurrency ?? 4, "concurrency"),
    logger: options.logger && callingConvention(options.logger),
    logLevel,
    userAgent: options.userAgent,
    clock: clock ?? systemClock,
    onInvalidRecord: options.onInvalidRecord,
  };
}

const MAX_TIMER_MS = 2_147_483_647;

/** 64 MiB: a page of the largest page size is a few MB; a bomb is stopped long before memory is. */
const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

/** pino documents this symbol on every logger it makes (child loggers inherit it). */
const PINO = Symbol.for("pino.serializers");
const LOG_METHODS = ["debug", "info", "warn", "error"] as const;

/**
 * The user's logger behind one calling convention, `(message, data?)`: no `data` argument at all
 * when a line has none (console would print a literal `undefined`), and pino's `(data, message)`
 * order for pino (which otherwise treats `data` as a printf argument and drops it). Methods are
 * looked up at each call: pino swaps them for no-ops when its level changes.
 */
function callingConvention(logger: Logger): Logger {
  const dataFirst = typeof logger === "object" && PINO in logger;
  const adapted: Logger = {};
  for (const level of LOG_METHODS) {
    if (typeof logger[level] !== "function") continue;
    adapted[level] = (message, data) => {
      const method = logger[level] as ((...args: unknown[]) => void) | undefined;
      if (typeof method !== "function") return;
      if (data === undefined) method.call(logger, message);
      else if (dataFirst) method.call(logger, data, message);
      else method.call(logger, message, data);
    };
  }
  return adapted;
}

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i;

/**
 * The origin of `value`, which must be an http(s) URL with no path beyond `/`: https, or http on
 * a loopback host (the simulator, a local proxy).
 */
export function parseOrigin(value: unknown, option: string): string {
  if (typeof value !== "string" || value.trim() === "") throw new ConfigError("must be a URL such as https://api.example.com", option);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    // Not echoed when it may hold credentials (`https://user:password@…`).
    throw new ConfigError(`is not a valid URL${value.includes("@") ? "" : `: ${JSON.stringify(value)}`}`, option);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") throw new ConfigError(`must be http(s), got ${url.protocol}`, option);
  if (url.protocol === "http:" && !LOOPBACK.test(url.hostname)) {
    throw new ConfigError(`must use https (http is allowed only for localhost/127.0.0.1/[::1]), got ${url.origin}`, option);
  }
  if (url.username || url.password) throw new ConfigError("must not contain credentials", option);
  if (url.pathname !== "/" && url.pathname !== "") {
    throw new ConfigError(`must be an origin only (scheme, host, port); the client adds the API path itself. Got path ${url.pathname}`, option);
  }
  if (url.search || url.hash) throw new ConfigError("must not have a query or fragment", option);
  return url.origin;
}

export function wholeNumber(value: unknown, option: string): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0) {
    throw new ConfigError(`must be a whole number >= 0, got ${JSON.stringify(value)}`, option);
  }
  return value;
}

export function positiveWhole(value: unknown, option: string): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1) {
    throw new ConfigError(`must be a whole number >= 1, got ${JSON.stringify(value)}`, option);
  }
  return value;
}

function positiveNumber(value: unknown, option: string): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) {
    throw new ConfigError(`must be a number > 0, got ${JSON.stringify(value)}`, option);
  }
  return value;
}

/** A non-empty single-line string credential; the message never echoes the value. */
export function requireSecret(value: unknown, option: string): string {
  if (value === undefined || value === null || value === "") throw new ConfigError("is required", option);
  if (typeof value !== "string") throw new ConfigError(`must be a string, got ${typeof value}`, option);
  if (value.trim() !== value || /[\s\r\n]/.test(value)) throw new ConfigError("must not contain whitespace or line breaks", option);
  return value;
}
