/**
 * The transport every client request goes through: `events()`, `pages()` and `client.raw` alike.
 * Auth headers, User-Agent, the rate limiter, per-request timeout, retries with backoff that
 * honour the vendors' retry signals, origin pinning, and a GET-with-body path for Datafold.
 * Retries live here, not in openapi-fetch middleware, and `globalThis.fetch` is read per call so
 * msw (which patches it after a client may have been built) always sees the traffic.
 */
import nodeHttp from "node:http";
import nodeHttps from "node:https";
import { abortReason, sleepOrAbort, type Clock } from "../internal/clock.js";
import { VERSION } from "../version.js";
import {
  apiErrorFor,
  AuditLogsError,
  ConnectionError,
  RateLimitError,
  TimeoutError,
  type ApiError,
} from "./errors.js";
import type { Logger, LogLevel } from "./options.js";
import type { RateLimiter, TokenBucket } from "./rate-limit.js";

const RETRYABLE_STATUS = new Set([408, 409, 425, 429, 500, 502, 503, 504]);
const SECRET_HEADERS = new Set(["authorization", "x-api-key", "x-tenant-id", "cookie", "proxy-authorization"]);
const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, off: 100 };

export interface HttpConfig {
  vendor: string;
  /** Origin only (`https://api.usepylon.com`); every request must stay on it. */
  origin: string;
  /** Secret: sent on every request, never logged or shown. */
  authHeaders: Record<string, string>;
  /** Other credential strings (a definition's `secrets`), blanked out wherever the auth headers are. */
  secrets?: readonly string[] | undefined;
  fetch: typeof fetch | undefined;
  maxRetries: number;
  maxRetryDelayMs: number;
  timeoutMs: number;
  rateLimiter: RateLimiter | undefined;
  /**
   * Response headers that tell the account's rate limit (DESIGN §13), lower-case names tried in
   * order: `limit` in requests per minute, `remaining` in the vendor's window. Given to the
   * rate limiter after every response.
   */
  rateLimitHeaders?: { limit?: readonly string[]; remaining?: readonly string[] } | undefined;
  logger: Logger | undefined;
  logLevel: LogLevel;
  userAgent: string | undefined;
  clock: Clock;
  /** A plainer message for a vendor's error (Zendesk's plan-gated 403), or undefined. */
  explainError?: ((status: number, body: unknown) => string | undefined) | undefined;
  /** The vendor's own rate-limit signal (ms), consulted before the standard ones. */
  retryAfter?: ((response: { status: number; headers: Headers; body: unknown }) => number | undefined) | undefined;
}

export interface HttpRequest {
  method: string;
  url: URL;
  headers?: Record<string, string>;
  /** JSON text. A GET with a body (Datafold) goes over node:http, since fetch refuses it. */
  body?: string | undefined;
  signal?: AbortSignal | undefined;
}

export interface HttpResult {
  status: number;
  headers: Headers;
  /** The parsed JSON body (or the text, when it is not JSON). */
  body: unknown;
  /** The exact text received. */
  text: string;
  requestId: string | undefined;
  /** Attempts it took (1 = no retry). */
  attempts: number;
}

/** Counters a caller can read for progress and summaries. */
export interface HttpStats {
  requests: number;
  retries: number;
}

export class HttpClient {
  readonly stats: HttpStats = { requests: 0, retries: 0 };
  readonly #config: HttpConfig;
  /** The credential strings, to blank out of anything a server echoes back into an error. */
  readonly #secrets: string[];
  /** Header names never logged: the usual credential headers and this vendor's auth headers. */
  readonly #maskedHeaders: Set<string>;

  constructor(config: HttpConfig) {
    this.#config = config;
    this.#secrets = secretsOf(config.authHeaders, config.secrets ?? []);
    this.#maskedHeaders = new Set([...SECRET_HEADERS, ...Object.keys(config.authHeaders).map((key) => key.toLowerCase())]);
  }

  get vendor(): string {
    return this.#config.vendor;
  }

  get origin(): string {
    return this.#config.origin;
  }

  /**
   * Sends a request, retrying what is worth retrying, and returns the final answer. With
   * `throwOnError` (the default) an HTTP error status becomes the matching `ApiError` subclass.
   */
  async request(req: HttpRequest, options: { throwOnError?: boolean } = {}): Promise<HttpResult> {
    const { throwOnError = true } = options;
    const config = this.#config;
    if (req.url.origin !== config.origin) {
      // Credentials go to the configured origin only, whatever a response said.
      throw new AuditLogsError(`${config.vendor}: refusing to send credentials to ${req.url.origin}; the client is configured for ${config.origin}`);
    }
    let attempt = 0;
    for (;;) {
      attempt += 1;
      if (req.signal?.aborted) throw abortReason(req.signal);
      let result: HttpResult | undefined;
      let failure: unknown;
      await config.rateLimiter?.acquire(req.signal);
      this.stats.requests += 1;
      try {
        result = await this.#attempt(req, attempt);
      } catch (error) {
        if (!ConnectionError.isInstance(error)) throw error;
        failure = error;
      }

      // The vendor's own rate-limit headers, for a limiter that adjusts to them (the token bucket).
      const limiter = config.rateLimiter as RateLimiter & Partial<Pick<TokenBucket, "observe">>;
      if (result && limiter && config.rateLimitHeaders && typeof limiter.observe === "function") {
        const { limit, remaining } = config.rateLimitHeaders;
        limiter.observe({ limit: headerNumber(result.headers, limit), remaining: headerNumber(result.headers, remaining) });
      }
      const retriesLeft = attempt <= config.maxRetries;
      if (result && !RETRYABLE_STATUS.has(result.status)) {
        if (result.status >= 300 && throwOnError) throw this.#errorFor(result);
        return result;
      }

      // Retryable: a network failure, a truncated body, or a retryable status.
      const retryAfterMs = result ? this.#retryAfter(result) : undefined;
      // The SDK's own backoff never waits longer than maxRetryDelayMs (it is capped, not refused).
      const delay = retryAfterMs ?? Math.min(backoffMs(attempt), config.maxRetryDelayMs);
      // Every holder of the limiter backs off, not only this request; never past maxRetryDelayMs,
      // beyond which a request is to fail fast with RateLimitError rather than wait.
      if (result?.status === 429) config.rateLimiter?.penalize?.(Math.min(delay, config.maxRetryDelayMs));
      if (result && retryAfterMs !== undefined && retryAfterMs > config.maxRetryDelayMs) {
        // Any status (429, or a 503 with Retry-After): a wait this long fails now, as RateLimitError.
        if (!throwOnError) return result;
        throw this.#errorFor(result, retryAfterMs, `the vendor asked to wait ${Math.ceil(retryAfterMs / 1000)} s, longer than maxRetryDelayMs (${config.maxRetryDelayMs} ms)`);
      }
      if (!retriesLeft) {
        if (failure) throw failure;
        if (!throwOnError) return result!;
        throw this.#errorFor(result!, retryAfterMs);
      }
      this.stats.retries += 1;
      this.#log("info", `${config.vendor}: retrying ${req.method} ${req.url.pathname} in ${delay} ms (attempt ${attempt} of ${config.maxRetries + 1}: ${result ? `HTTP ${result.status}` : (failure as Error).message})`);
      await sleepOrAbort(config.clock, delay, req.signal);
    }
  }

  /**
   * A `fetch` for openapi-fetch (`client.raw`): same headers, limiter, timeout and retries as
   * `request`, but an HTTP error comes back as a Response, as openapi-fetch expects.
   */
  readonly fetch = async (input: Request): Promise<Response> => {
    const url = new URL(input.url);
    const carried = (input as RequestWithBody)[GET_BODY];
    const body = carried ?? (input.body ? await input.text() : undefined);
    const headers: Record<string, string> = {};
    input.headers.forEach((value, key) => {
      headers[key] = value;
    });
    const result = await this.request({ method: input.method, url, headers, body, signal: input.signal }, { throwOnError: false });
    const response = new Response(nullBodyStatus(result.status) ? null : result.text, { status: result.status, headers: result.headers });
    // The error events() would throw for this answer, for client.raw to return (see raw.ts).
    if (!response.ok) RAW_ERRORS.set(response, this.#errorFor(result));
    return response;
  };

  async #attempt(req: HttpRequest, attempt: number): Promise<HttpResult> {
    const config = this.#config;
    const headers: Record<string, string> = {
      accept: "application/json",
      ...lowerCaseKeys(req.headers ?? {}),
      ...lowerCaseKeys(config.authHeaders),
      "user-agent": config.userAgent ? `${config.userAgent} auditlogs/${VERSION}` : `auditlogs/${VERSION}`,
    };
    if (req.body !== undefined) headers["content-type"] ??= "application/json";
    this.#log("debug", `${config.vendor}: ${req.method} ${req.url.href} (attempt ${attempt})`, { headers: maskHeaders(headers, this.#maskedHeaders) });

    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(), config.timeoutMs);
    const signal = req.signal ? AbortSignal.any([req.signal, timeout.signal]) : timeout.signal;
    const started = config.clock.now();
    try {
      const response =
        req.body !== undefined && (req.method === "GET" || req.method === "HEAD")
          ? await sendWithNodeHttp(req.method, req.url, headers, req.body, signal)
          : await (config.fetch ?? globalThis.fetch)(req.url, { method: req.method, headers, body: req.body, signal, redirect: "manual" });
      const text = await response.text();
      const body = parseBody(text, response.headers);
      const requestId = requestIdOf(response.headers, body);
      if (response.status >= 200 && response.status < 300 && body === TRUNCATED) {
        throw new ConnectionError(`${config.vendor}: response body is not complete JSON (truncated or corrupted)`);
      }
      this.#log("debug", `${config.vendor}: HTTP ${response.status} in ${config.clock.now() - started} ms${requestId ? ` (request id ${requestId})` : ""}`);
      return { status: response.status, headers: response.headers, body: body === TRUNCATED ? text : body, text, requestId, attempts: attempt };
    } catch (error) {
      if (AuditLogsError.isInstance(error)) throw error;
      if (req.signal?.aborted) throw abortReason(req.signal);
      if (timeout.signal.aborted) {
        throw new TimeoutError(`${config.vendor}: request timed out after ${config.timeoutMs} ms`, { cause: error });
      }
      throw new ConnectionError(`${config.vendor}: connection failed: ${describeNetworkError(error)}`, { cause: error });
    } finally {
      clearTimeout(timer);
    }
  }

  /** The error for an HTTP answer; `tooLong` names a wait beyond maxRetryDelayMs (a RateLimitError). */
  #errorFor(result: HttpResult, retryAfterMs?: number, tooLong?: string): ApiError {
    const init = {
      vendor: this.#config.vendor,
      status: result.status,
      requestId: result.requestId,
      // A server may echo a key or tenant id back in its error body: never pass it on.
      body: redact(result.body, this.#secrets),
      headers: result.headers,
      retryAfterMs: retryAfterMs ?? this.#retryAfter(result),
    };
    const error = tooLong ? new RateLimitError(init) : apiErrorFor(init);
    const explained = tooLong ?? this.#config.explainError?.(result.status, result.body);
    if (explained) {
      error.message = `${this.#config.vendor}: HTTP ${result.status}: ${explained}${result.requestId ? ` (request id ${result.requestId})` : ""}`;
    }
    error.message = redact(error.message, this.#secrets) as string;
    return error;
  }

  #retryAfter(result: HttpResult): number | undefined {
    const own = this.#config.retryAfter?.(result);
    return own !== undefined && Number.isFinite(own) && own >= 0 ? own : retryAfterOf(result, this.#config.clock.now());
  }

  #log(level: Exclude<LogLevel, "off">, message: string, data?: Record<string, unknown>): void {
    const { logger, logLevel } = this.#config;
    if (!logger || LEVELS[level] < LEVELS[logLevel]) return;
    const fn = logger[level];
    // A URL may carry a credential (a vendor that takes its key in the query).
    if (typeof fn === "function") fn.call(logger, redact(message, this.#secrets) as string, data);
  }
}

// --- GET with a body ---------------------------------------------------------------------------

const RAW_ERRORS = new WeakMap<Response, ApiError>();

/** The `ApiError` for an error Response that `HttpClient.fetch` returned, if it was one. */
export function errorOfRawResponse(response: Response): ApiError | undefined {
  return RAW_ERRORS.get(response);
}

const GET_BODY = Symbol.for("auditlogs.getBody");
type RequestWithBody = Request & { [GET_BODY]?: string };

/**
 * A `Request` that accepts a body on GET by carrying it beside the request, for openapi-fetch's
 * `Request` option: WHATWG `new Request()` throws on a GET with a body (Datafold needs one).
 */
export class BodyCarryingRequest extends Request {
  constructor(input: string | URL | Request, init?: RequestInit) {
    const method = (init?.method ?? "GET").toUpperCase();
    const carries = init?.body != null && (method === "GET" || method === "HEAD");
    super(input, carries ? { ...init, body: null } : init);
    if (carries) {
      if (typeof init!.body !== "string") throw new TypeError("A GET body must be a string (JSON)");
      Object.defineProperty(this, GET_BODY, { value: init!.body });
    }
  }
}

/** node:http(s) request, which, unlike fetch, sends a body on GET. msw intercepts it too. */
function sendWithNodeHttp(method: string, url: URL, headers: Record<string, string>, body: string, signal: AbortSignal): Promise<Response> {
  const transport = url.protocol === "https:" ? nodeHttps : nodeHttp;
  const payload = Buffer.from(body, "utf8");
  return new Promise<Response>((resolve, reject) => {
    const request = transport.request(url, { method, headers: { ...headers, "content-length": String(payload.length) }, signal }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("error", reject);
      res.on("aborted", () => reject(new Error("response aborted")));
      res.on("end", () => {
        if (!res.complete) return reject(new Error("response ended before it was complete"));
        const responseHeaders = new Headers();
        for (const [key, value] of Object.entries(res.headers)) {
          if (Array.isArray(value)) value.forEach((v) => responseHeaders.append(key, v));
          else if (value !== undefined) responseHeaders.set(key, value);
        }
        const status = res.statusCode ?? 0;
        resolve(new Response(nullBodyStatus(status) ? null : Buffer.concat(chunks), { status, headers: responseHeaders }));
      });
    });
    request.on("error", reject);
    request.end(payload);
  });
}

function nullBodyStatus(status: number): boolean {
  return status === 204 || status === 205 || status === 304 || (status >= 100 && status < 200);
}

// --- bodies, retry signals, helpers ------------------------------------------------------------

const TRUNCATED = Symbol("truncated");

/** JSON when it parses; the text otherwise (Zendesk's 429 is plain text). Never throws. */
function parseBody(text: string, headers: Headers): unknown {
  if (text === "") return undefined;
  const type = headers.get("content-type") ?? "";
  const looksJson = /json/i.test(type) || /^\s*[[{]/.test(text);
  if (!looksJson) return text;
  try {
    return JSON.parse(text);
  } catch {
    return TRUNCATED;
  }
}

function requestIdOf(headers: Headers, body: unknown): string | undefined {
  const fromHeader = headers.get("x-request-id") ?? headers.get("request-id") ?? headers.get("x-zendesk-request-id");
  if (fromHeader) return fromHeader;
  if (body && typeof body === "object") {
    const b = body as Record<string, unknown>;
    const id = b.request_id ?? b.requestId;
    if (typeof id === "string" && id) return id;
  }
  return undefined;
}

/**
 * How long the vendor asked us to wait, in ms: `retry-after-ms`, `Retry-After` (seconds or an
 * HTTP date), Pylon's `X-Retry-After` (seconds) or Cortex's problem+json `retryAfter` (seconds).
 */
export function retryAfterOf(result: Pick<HttpResult, "headers" | "body">, now: number = Date.now()): number | undefined {
  const ms = Number(result.headers.get("retry-after-ms"));
  if (result.headers.has("retry-after-ms") && Number.isFinite(ms) && ms >= 0) return ms;
  for (const name of ["retry-after", "x-retry-after"]) {
    const value = result.headers.get(name)?.trim();
    if (!value) continue;
    if (/^\d+(\.\d+)?$/.test(value)) return Math.round(Number(value) * 1000);
    const date = Date.parse(value);
    // Relative to the client's clock (the injectable one), which is wall time outside tests.
    if (Number.isFinite(date)) return Math.max(0, date - now);
  }
  const body = result.body;
  if (body && typeof body === "object" && typeof (body as Record<string, unknown>).retryAfter === "number") {
    return Math.max(0, (body as { retryAfter: number }).retryAfter * 1000);
  }
  return undefined;
}

/** 0.5 s doubling to 8 s, minus up to 25 % jitter. */
function backoffMs(attempt: number): number {
  const base = Math.min(500 * 2 ** (attempt - 1), 8_000);
  return Math.round(base * (1 - Math.random() * 0.25));
}

/** The first of `names` present in `headers` as a whole number, or undefined. */
function headerNumber(headers: Headers, names: readonly string[] | undefined): number | undefined {
  for (const name of names ?? []) {
    const value = headers.get(name);
    if (value !== null && /^\s*\d+\s*$/.test(value)) return Number(value);
  }
  return undefined;
}

function lowerCaseKeys(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(headers)) out[key.toLowerCase()] = value;
  return out;
}

/**
 * The secret strings in auth headers: each value, its credentials after the scheme, and for
 * Basic the decoded `user:password` and the password alone.
 */
function secretsOf(authHeaders: Record<string, string>, extra: readonly string[]): string[] {
  const out = new Set<string>(extra);
  for (const value of Object.values(authHeaders)) {
    out.add(value);
    const [scheme, credentials] = value.split(/ (.*)/s, 2);
    if (!credentials) continue;
    out.add(credentials);
    if (scheme!.toLowerCase() === "basic") {
      const decoded = Buffer.from(credentials, "base64").toString("utf8");
      out.add(decoded);
      const colon = decoded.indexOf(":");
      if (colon >= 0) out.add(decoded.slice(colon + 1));
    }
  }
  // Longest first, so a value is blanked whole before a part of it; very short strings would
  // blank ordinary text.
  return [...out].filter((s) => s.length >= 6).sort((a, b) => b.length - a.length);
}

/** `value` with every secret string replaced by `***`, at any depth. */
function redact(value: unknown, secrets: string[]): unknown {
  if (secrets.length === 0) return value;
  if (typeof value === "string") return secrets.reduce((text, secret) => text.split(secret).join("***"), value);
  if (Array.isArray(value)) return value.map((v) => redact(v, secrets));
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [redact(k, secrets) as string, redact(v, secrets)]));
  }
  return value;
}

export function maskHeaders(headers: Record<string, string>, secret: ReadonlySet<string> = SECRET_HEADERS): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(headers)) out[key] = secret.has(key.toLowerCase()) ? "***" : value;
  return out;
}

function describeNetworkError(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } })?.cause;
  const code = cause?.code ?? (error as { code?: string })?.code;
  const message = cause?.message ?? (error as Error)?.message ?? String(error);
  return code ? `${code} ${message}`.trim() : message;
}

