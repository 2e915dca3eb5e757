/**
 * The transport every client request goes through: `events()`, `pages()` and `client.raw` alike.
 * Auth headers, User-Agent, the rate limiter, per-request timeout, retries with backoff that
 * honour the vendors' retry signals, origin pinning, and a GET-with-body path for Datafold.
 * Retries live here, not in openapi-fetch middleware, and `globalThis.fetch` is read per call so
 * msw (which patches it after a client may have been built) always sees the traffic.
 */
import nodeHttp from "node:http";
import nodeHttps from "node:https";
import type { Readable } from "node:stream";
import { StringDecoder } from "node:string_decoder";
import zlib from "node:zlib";
import { abortReason, sleepOrAbort, type Clock } from "../internal/clock.js";
import { VERSION } from "../version.js";
import {
  apiErrorFor,
  AuditLogsError,
  ConnectionError,
  RateLimitError,
  ResponseValidationError,
  TimeoutError,
  type ApiError,
} from "./errors.js";
import type { Logger, LogLevel } from "./options.js";
import type { RateLimiter, TokenBucket } from "./rate-limit.js";
import { telemetry } from "./telemetry.js";

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
  /** The most bytes a response body may hold, counted after decompression (DESIGN §14). */
  maxResponseBytes: number;
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
  /**
   * Called when a success status and its headers have arrived, before the body is read: the
   * server is done with the request (time slices give its slot to another chain then).
   */
  onResponse?: (() => void) | undefined;
  /**
   * Called when a success's body has been read, before it is parsed, with the ms (by `workClock`;
   * 0 without one) this thread spent decoding its chunks: what comes after (parsing and checking
   * it) is the thread's work alone, where the read itself also waited on the network and on
   * whatever else the thread was doing between chunks (the read-ahead meter's parse time).
   */
  onBody?: ((decodeMs: number) => void) | undefined;
  /** The clock (ms) `onBody`'s decoding time is read with. */
  workClock?: (() => number) | undefined;
  /**
   * Called before a request is sent again after an attempt whose `onResponse` ran (a success
   * status whose body then broke off or did not parse): the caller gave the request's slot away
   * at its headers, and the retry is sent once the promise it returns settles (a slot is free).
   */
  beforeResend?: (() => Promise<void>) | undefined;
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
  /** HTTP requests sent, retries included. */
  requests: number;
  /** Requests sent again after a retryable failure: a network error or a status such as 429 or 503. */
  retries: number;
}

export class HttpClient {
  readonly stats: HttpStats = { requests: 0, retries: 0 };
  readonly #config: HttpConfig;
  /** The credential strings, to blank out of anything a server echoes back into an error. */
  readonly #secrets: readonly string[];
  /** Header names never logged: the usual credential headers and this vendor's auth headers. */
  readonly #maskedHeaders: Set<string>;

  /** The headers every request carries after its own: auth and User-Agent, lower-cased once. */
  readonly #ownHeaders: Record<string, string>;

  constructor(config: HttpConfig) {
    this.#config = config;
    this.#secrets = secretsOf(config.authHeaders, config.secrets ?? []);
    this.#maskedHeaders = new Set([...SECRET_HEADERS, ...Object.keys(config.authHeaders).map((key) => key.toLowerCase())]);
    this.#ownHeaders = {
      ...lowerCaseKeys(config.authHeaders),
      "user-agent": config.userAgent ? `${config.userAgent} auditlogs/${VERSION}` : `auditlogs/${VERSION}`,
    };
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
    // Whether the last attempt's onResponse ran: its slot is to be taken again before a resend.
    let answered = false;
    const onResponse = req.onResponse;
    const sent = onResponse
      ? {
          ...req,
          onResponse: () => {
            answered = true;
            onResponse();
          },
        }
      : req;
    for (;;) {
      attempt += 1;
      if (answered && req.beforeResend) await req.beforeResend();
      answered = false;
      if (req.signal?.aborted) throw abortReason(req.signal);
      let result: HttpResult | undefined;
      let failure: unknown;
      const otel = telemetry();
      if (config.rateLimiter) {
        const waitFrom = config.clock.now();
        await config.rateLimiter.acquire(req.signal);
        otel?.rateLimitWait(config.vendor, config.clock.now() - waitFrom);
      }
      this.stats.requests += 1;
      try {
        result = await this.#attempt(sent, attempt);
      } catch (error) {
        if (!ConnectionError.isInstance(error)) throw error;
        failure = error;
      }
      otel?.request(config.vendor, result?.status);

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
      otel?.retry(config.vendor);
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
      ...(req.headers ? lowerCaseKeys(req.headers) : undefined),
      ...this.#ownHeaders,
    };
    if (req.body !== undefined) headers["content-type"] ??= "application/json";
    // The masked copy only for a logger that takes debug lines: it is built per request.
    if (this.#logs("debug")) this.#log("debug", `${config.vendor}: ${req.method} ${req.url.href} (attempt ${attempt})`, { headers: maskHeaders(headers, this.#maskedHeaders) });

    // One timer for the whole exchange, body included: a trickled or endless body times out too.
    // One controller for the timeout and the caller's abort alike (see `abortWith`).
    const exchange = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      exchange.abort();
    }, config.timeoutMs);
    const unlink = req.signal ? abortWith(req.signal, exchange) : undefined;
    const signal = exchange.signal;
    const started = config.clock.now();
    try {
      const response =
        (req.body !== undefined && (req.method === "GET" || req.method === "HEAD")) || (config.fetch === undefined && nodeHttpIsDefault())
          ? await sendWithNodeHttp(req.method, req.url, headers, req.body, signal)
          : fromFetch(await (config.fetch ?? globalThis.fetch)(req.url, { method: req.method, headers, body: req.body, signal, redirect: "manual" }));
      if (response.status >= 200 && response.status < 300) req.onResponse?.();
      const decoding = req.onBody && req.workClock ? { now: req.workClock, ms: 0 } : undefined;
      const text = await this.#readText(response, decoding);
      if (response.status >= 200 && response.status < 300) req.onBody?.(decoding?.ms ?? 0);
      const body = parseBody(text, response.headers);
      const requestId = requestIdOf(response.headers, body, this.#secrets);
      if (response.status >= 200 && response.status < 300 && body === TRUNCATED) {
        throw new ConnectionError(`${config.vendor}: response body is not complete JSON (truncated or corrupted)`);
      }
      if (this.#logs("debug")) this.#log("debug", `${config.vendor}: HTTP ${response.status} in ${config.clock.now() - started} ms${requestId ? ` (request id ${requestId})` : ""}`);
      return { status: response.status, headers: response.headers, body: body === TRUNCATED ? text : body, text, requestId, attempts: attempt };
    } catch (error) {
      if (AuditLogsError.isInstance(error)) throw error;
      if (req.signal?.aborted) throw abortReason(req.signal);
      if (timedOut) {
        throw new TimeoutError(`${config.vendor}: request timed out after ${config.timeoutMs} ms`, { cause: error });
      }
      throw new ConnectionError(`${config.vendor}: connection failed: ${describeNetworkError(error)}`, { cause: error });
    } finally {
      clearTimeout(timer);
      unlink?.();
    }
  }

  /**
   * The body as text, read chunk by chunk and refused once it passes `maxResponseBytes` (after
   * decompression, so a 2 KB brotli bomb stops at the cap): nothing past the cap is buffered,
   * and the rest of the body is never read. Not retried: the same server would send it again.
   */
  async #readText(response: RawResponse, decoding?: { now: () => number; ms: number }): Promise<string> {
    const cap = this.#config.maxResponseBytes;
    const text = new BodyText();
    let size = 0;
    const body = response.body;
    if (body) {
      for (;;) {
        const { done, value: chunk } = await body.read();
        if (done) break;
        size += chunk.byteLength;
        if (size > cap) {
          // Cancels the stream (fetch) or destroys the socket (node:http).
          response.cancel();
          throw new ResponseValidationError({
            vendor: this.#config.vendor,
            path: "",
            requestId: requestIdOf(response.headers, undefined, this.#secrets),
            message: `the response body is larger than maxResponseBytes (${cap} bytes); refused without reading the rest`,
          });
        }
        const from = decoding?.now();
        text.add(chunk);
        if (decoding) decoding.ms += decoding.now() - from!;
      }
    }
    const from = decoding?.now();
    const whole = text.end();
    if (decoding) decoding.ms += decoding.now() - from!;
    return whole;
  }

  /** `text` with every secret of this client (its options' and its auth headers') masked. */
  redact(text: string): string {
    return redactText(text, this.#secrets);
  }

  /** The error for an HTTP answer; `tooLong` names a wait beyond maxRetryDelayMs (a RateLimitError). */
  #errorFor(result: HttpResult, retryAfterMs?: number, tooLong?: string): ApiError {
    const init = {
      vendor: this.#config.vendor,
      status: result.status,
      requestId: result.requestId,
      // A server may echo a key or tenant id back in its error body: never pass it on.
      body: redact(result.body, this.#secrets),
      headers: redactHeaders(result.headers, this.#secrets, this.#maskedHeaders),
      retryAfterMs: retryAfterMs ?? this.#retryAfter(result),
    };
    const error = tooLong ? new RateLimitError(init) : apiErrorFor(init);
    const explained = tooLong ?? this.#config.explainError?.(result.status, result.body);
    if (explained) {
      error.message = `${this.#config.vendor}: HTTP ${result.status}: ${explained}${result.requestId ? ` (request id ${result.requestId})` : ""}`;
    }
    error.message = redactText(error.message, this.#secrets);
    return error;
  }

  #retryAfter(result: HttpResult): number | undefined {
    const own = this.#config.retryAfter?.(result);
    return own !== undefined && Number.isFinite(own) && own >= 0 ? own : retryAfterOf(result, this.#config.clock.now());
  }

  /** Whether a line of `level` reaches the logger. */
  #logs(level: Exclude<LogLevel, "off">): boolean {
    const { logger, logLevel } = this.#config;
    return logger !== undefined && LEVELS[level] >= LEVELS[logLevel];
  }

  #log(level: Exclude<LogLevel, "off">, message: string, data?: Record<string, unknown>): void {
    const { logger } = this.#config;
    if (!logger || !this.#logs(level)) return;
    const fn = logger[level];
    // Every line is redacted: a URL may carry a credential (a vendor that takes its key in the
    // query), a message may quote what a server sent (a request id, an error).
    if (typeof fn === "function") fn.call(logger, redactText(message, this.#secrets), data && (redact(data, this.#secrets) as Record<string, unknown>));
  }
}

/**
 * A body's bytes as text, as `TextDecoder` would give it (a leading byte-order mark dropped, a
 * malformed sequence as U+FFFD), through `Buffer`'s decoder: about a quarter less CPU than
 * `TextDecoder.decode` for the same bytes (Node 20, a 200 KB page: 145 against 199 µs).
 *
 * A body of several chunks is decoded chunk by chunk as they come (`StringDecoder`, which
 * carries a character split between two chunks over, and reads every byte as one decode of the
 * whole body does), and the texts joined: no copy of the whole body is made outside V8's heap,
 * and each chunk is garbage as soon as it is read. Measured against `Buffer.concat` and one
 * decode (the bench's memory step, eight runs of each build, alternating): RSS growth over 1M
 * events, medians, JITSudo 77 → 68 MB, Datafold 64.6 → 61.2 MB; CPU an event 1–5 % less
 * for both, in rounds of the two builds alternating in one process.
 */
export class BodyText {
  /** The first chunk, kept whole while it may be the only one. */
  #first: Buffer | undefined;
  #decoder: StringDecoder | undefined;
  readonly #parts: string[] = [];

  add(chunk: Uint8Array): void {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (this.#decoder === undefined) {
      if (this.#first === undefined) {
        this.#first = buffer;
        return;
      }
      this.#decoder = new StringDecoder("utf8");
      this.#parts.push(this.#decoder.write(this.#first));
      this.#first = undefined;
    }
    this.#parts.push(this.#decoder.write(buffer));
  }

  /** The text of every chunk added. */
  end(): string {
    if (this.#decoder === undefined) {
      const buffer = this.#first;
      if (buffer === undefined) return "";
      const bom = buffer.length >= 3 && buffer[0] === 0xef && buffer[1] === 0xbb && buffer[2] === 0xbf;
      return buffer.toString("utf8", bom ? 3 : 0);
    }
    const rest = this.#decoder.end();
    if (rest !== "") this.#parts.push(rest);
    const text = this.#parts.join("");
    // A byte-order mark, whole or split between the first chunks.
    return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  }
}

/**
 * The requests in flight under each caller's signal (a run's), aborted with its reason when it
 * aborts: one listener per signal, where `AbortSignal.any` or a listener per request cost
 * 10-15 µs a request (measured on Node 20; a run sends thousands).
 */
const underSignal = new WeakMap<AbortSignal, Set<AbortController>>();

/** Aborts `exchange` when `signal` does (with its reason); the function returned unlinks it. */
function abortWith(signal: AbortSignal, exchange: AbortController): () => void {
  let linked = underSignal.get(signal);
  if (linked === undefined) {
    const set = new Set<AbortController>();
    linked = set;
    underSignal.set(signal, set);
    signal.addEventListener(
      "abort",
      () => {
        for (const controller of set) controller.abort(signal.reason);
        set.clear();
      },
      { once: true },
    );
  }
  const set = linked;
  if (signal.aborted) exchange.abort(signal.reason);
  else set.add(exchange);
  return () => void set.delete(exchange);
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

/** An answer whose body is read by `#readText`, from fetch or node:http alike. */
interface RawResponse {
  status: number;
  headers: Headers;
  /**
   * The decoded (decompressed) body, chunk by chunk; null for none. A stream reader's `read`,
   * not `for await`: a web stream's async iterator costs ~20 µs more per answer (Node 20).
   */
  body: { read(): Promise<{ done: true; value?: undefined } | { done: false; value: Uint8Array }> } | null;
  /** Stops reading: the rest of the body is never received. */
  cancel(): void;
}

function fromFetch(response: Response): RawResponse {
  const reader = response.body?.getReader();
  return {
    status: response.status,
    headers: response.headers,
    body: reader ?? null,
    cancel: () => void reader?.cancel().catch(() => undefined),
  };
}

/** Decoders for the encodings fetch undoes by itself; node:http leaves them to us. */
const DECODERS: Record<string, () => zlib.Gunzip | zlib.Inflate | zlib.BrotliDecompress> = {
  gzip: () => zlib.createGunzip(),
  "x-gzip": () => zlib.createGunzip(),
  deflate: () => zlib.createInflate(),
  br: () => zlib.createBrotliDecompress(),
};

/**
 * Whether requests go over node:http(s) rather than `fetch` when the client was given no `fetch`
 * of its own: on Node, unless `globalThis.fetch` was replaced since this package loaded (a test's
 * stub, a mock library, msw's interceptor: the replacement is used, as it always was) or a
 * dispatcher other than a plain `Agent` is undici's global one (a `ProxyAgent`,
 * `EnvHttpProxyAgent` or `MockAgent`, which only `fetch` honours; Node installs an `Agent` itself
 * on its first `fetch`). Bun and Deno keep `fetch`, their own.
 *
 * node:http costs less CPU and memory per request than Node's `fetch`: against a server on
 * loopback (`npm run bench`'s CPU step, two runs of each side by side), `events()` read at
 * 0.74–0.78 of a hand-written fetch loop's speed for Zendesk (pages of 100) over node:http,
 * 0.66–0.68 over fetch; Pylon 0.65–0.67 against 0.54–0.55; and a million Zendesk events grew
 * RSS by 79 MB, not 110 MB.
 */
function nodeHttpIsDefault(): boolean {
  if (!ON_NODE) return false;
  const runtime = globalThis as { fetch?: unknown; [key: symbol]: unknown };
  if (runtime.fetch !== FETCH_AT_LOAD) return false;
  const dispatcher = runtime[UNDICI_GLOBAL_DISPATCHER] as { constructor?: { name?: unknown } } | null | undefined;
  return dispatcher == null || dispatcher.constructor?.name === "Agent";
}

/** The runtime is Node itself (Bun and Deno also have `process.versions.node`): fixed for the process, so asked once. */
const ON_NODE = (() => {
  const runtime = globalThis as { process?: { versions?: Record<string, string | undefined> }; Deno?: unknown };
  const versions = runtime.process?.versions;
  return typeof versions?.node === "string" && versions.bun === undefined && runtime.Deno === undefined;
})();

/** `globalThis.fetch` as it was when the package loaded. */
const FETCH_AT_LOAD: unknown = (globalThis as { fetch?: unknown }).fetch;

/** Where undici (Node's fetch) keeps its global dispatcher: `setGlobalDispatcher` puts one there. */
const UNDICI_GLOBAL_DISPATCHER = Symbol.for("undici.globalDispatcher.1");

/**
 * node:http(s) request, which, unlike fetch, sends a body on GET. msw intercepts it too. The
 * body is decompressed as it streams, so `maxResponseBytes` counts what it expands to.
 */
function sendWithNodeHttp(method: string, url: URL, headers: Record<string, string>, body: string | undefined, signal: AbortSignal): Promise<RawResponse> {
  const transport = url.protocol === "https:" ? nodeHttps : nodeHttp;
  const payload = body === undefined ? undefined : Buffer.from(body, "utf8");
  return new Promise<RawResponse>((resolve, reject) => {
    const request = transport.request(
      url,
      { method, headers: { "accept-encoding": "gzip, deflate, br", ...headers, ...(payload ? { "content-length": String(payload.length) } : undefined) }, signal },
      (res) => {
        const responseHeaders = new Headers();
        for (const [key, value] of Object.entries(res.headers)) {
          if (Array.isArray(value)) value.forEach((v) => responseHeaders.append(key, v));
          else if (value !== undefined) responseHeaders.set(key, value);
        }
        const status = res.statusCode ?? 0;
        const encodings = (res.headers["content-encoding"] ?? "").toLowerCase().split(",").map((e) => e.trim()).filter((e) => e && e !== "identity");
        let stream: Readable = res;
        for (const encoding of encodings.reverse()) {
          const decoder = DECODERS[encoding];
          if (!decoder) {
            res.destroy();
            return reject(new Error(`unsupported content-encoding ${JSON.stringify(encoding)}`));
          }
          const source = stream;
          stream = source.pipe(decoder());
          source.on("error", (error) => stream.destroy(error));
        }
        const cancel = () => {
          stream.destroy();
          res.destroy();
          request.destroy();
        };
        // A socket that closes before the body is complete is a truncated answer, not the end.
        res.on("aborted", () => stream.destroy(new Error("response aborted")));
        res.on("close", () => {
          if (!res.complete) stream.destroy(new Error("response ended before it was complete"));
        });
        let chunks: AsyncIterator<Uint8Array> | undefined;
        const body = { read: () => (chunks ??= (stream as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]()).next() as Promise<{ done: true; value?: undefined } | { done: false; value: Uint8Array }> };
        resolve({ status, headers: responseHeaders, body: nullBodyStatus(status) ? null : body, cancel });
      },
    );
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

/** The most characters a request id keeps (DESIGN §14): a server may send anything there. */
export const MAX_REQUEST_ID = 200;

function requestIdOf(headers: Headers, body: unknown, secrets: readonly string[]): string | undefined {
  const fromHeader = headers.get("x-request-id") ?? headers.get("request-id") ?? headers.get("x-zendesk-request-id");
  if (fromHeader) return cleanRequestId(fromHeader, secrets);
  if (body && typeof body === "object") {
    const b = body as Record<string, unknown>;
    const id = b.request_id ?? b.requestId;
    if (typeof id === "string" && id) return cleanRequestId(id, secrets);
  }
  return undefined;
}

/** A request id as printable ASCII, at most MAX_REQUEST_ID characters, with any echoed credential blanked. */
function cleanRequestId(value: string, secrets: readonly string[]): string | undefined {
  // Control characters out first (they could split a secret past the redaction), then redact, then cut.
  const printable = redactText(value.replace(/[^\x20-\x7e]/g, ""), secrets).trim();
  return printable ? printable.slice(0, MAX_REQUEST_ID) : undefined;
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
 * The secret strings in auth headers, in every form a server may echo them (DESIGN §14): each
 * value, its credentials after the scheme, for Basic the decoded `user:password`, the user and
 * the password alone; and each of those URL-encoded (`%2F`, `+` for space) and base64-encoded
 * (standard and URL-safe, with or without padding).
 */
export function secretsOf(authHeaders: Record<string, string>, extra: readonly string[] = []): string[] {
  const plain = new Set<string>(extra);
  for (const value of Object.values(authHeaders)) {
    plain.add(value);
    const [scheme, credentials] = value.split(/ (.*)/s, 2);
    if (!credentials) continue;
    plain.add(credentials);
    if (scheme!.toLowerCase() === "basic") {
      const decoded = Buffer.from(credentials, "base64").toString("utf8");
      plain.add(decoded);
      const colon = decoded.indexOf(":");
      if (colon >= 0) {
        plain.add(decoded.slice(0, colon));
        plain.add(decoded.slice(colon + 1));
      }
    }
  }
  return echoForms(plain);
}

/**
 * `secrets` in every form a server may echo them: each as it is, URL-encoded (`%2F`, lowercase
 * hex, `+` for space) and base64-encoded (standard and URL-safe, with or without padding),
 * longest first. Strings shorter than `minLength` are left out: they would blank ordinary text.
 */
export function echoForms(secrets: Iterable<string>, minLength = 6): string[] {
  const out = new Set<string>();
  for (const secret of secrets) {
    out.add(secret);
    const url = encodeURIComponent(secret);
    out.add(url);
    out.add(url.replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase())); // lowercase hex escapes
    out.add(url.replace(/%20/g, "+"));
    const base64 = Buffer.from(secret, "utf8").toString("base64");
    out.add(base64);
    out.add(base64.replace(/=+$/, ""));
    out.add(Buffer.from(secret, "utf8").toString("base64url"));
  }
  // Longest first, so a value is blanked whole before a part of it.
  return [...out].filter((s) => s.length >= minLength).sort((a, b) => b.length - a.length);
}

/** `text` with every secret string replaced by `marker` (`***`). */
export function redactText(text: string, secrets: readonly string[], marker = "***"): string {
  for (const secret of secrets) if (text.includes(secret)) text = text.split(secret).join(marker);
  return text;
}

/** Below this depth a body is summarized, not walked: a 5,000-deep echo must not overflow the stack. */
const MAX_REDACT_DEPTH = 100;

/**
 * `value` with every secret string replaced by `***`, keys included. Objects come back as plain
 * data (a `__proto__` key stays a key); deeper than MAX_REDACT_DEPTH a value is replaced by a note.
 */
export function redact(value: unknown, secrets: readonly string[], depth = 0): unknown {
  if (typeof value === "string") return secrets.length === 0 ? value : redactText(value, secrets);
  if (value === null || typeof value !== "object") return value;
  if (depth >= MAX_REDACT_DEPTH) return "[nested too deep]";
  if (Array.isArray(value)) return value.map((v) => redact(v, secrets, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [redactText(k, secrets), redact(v, secrets, depth + 1)]));
}

/** A copy of response headers with any echoed credential blanked (`X-Request-Id`, `WWW-Authenticate`, `Location`…). */
function redactHeaders(headers: Headers, secrets: readonly string[], masked: ReadonlySet<string>): Headers {
  const out = new Headers();
  headers.forEach((value, key) => out.append(key, masked.has(key) ? "***" : redactText(value, secrets)));
  return out;
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

