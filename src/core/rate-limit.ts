import { sleepOrAbort, systemClock, type Clock } from "../internal/clock.js";
import { ConfigError } from "./errors.js";
import { refuseUnknownKeys } from "./names.js";

/**
 * What the `rateLimit` client option takes besides `{ requestsPerMinute }` and `false`: a limiter
 * that several clients (or, backed by a database, several processes) hold, so everything reading
 * one vendor account stays under one limit. `createTokenBucket` is the in-process one.
 */
export interface RateLimiter {
  /** Resolves when one request may be sent; rejects (UserAbortError) if `signal` aborts first. */
  acquire(signal?: AbortSignal): Promise<void>;
  /**
   * Told the wait of every 429 a holder gets (Retry-After, or the backoff when the vendor gave
   * none), so every holder backs off, not just the one that was refused.
   */
  penalize?(retryAfterMs: number): void;
}

/**
 * A token bucket refilled at `requestsPerMinute`, starting full. One per client by default,
 * shared by `events()`, `pages()` and `raw`, so a long export stays under the vendor's limit
 * instead of collecting 429s; pass one to several clients (`rateLimit: bucket`) and they share it.
 *
 * It holds one token less than a minute's worth (at least one). The vendor's bucket starts
 * counting when our first request reaches it, ours when we send it: if that first request is
 * slower than a later one (it opens the connection), the vendor's bucket runs behind ours by
 * the difference, and a full-size bucket drained to zero gets a 429 there. One token of headroom
 * covers any such lag shorter than one refill interval (60 s / requestsPerMinute).
 */
export class TokenBucket implements RateLimiter {
  /** The rate the bucket refills at (the vendor's headers may change it: `observe`). */
  requestsPerMinute: number;
  /** Tokens it holds when full: one less than a minute's worth, at least one. */
  capacity: number;
  private tokens: number;
  private updatedAt: number;
  private queue: Promise<void> = Promise.resolve();
  /** A limit the vendor's headers may raise (the documented default), not one the caller set. */
  private readonly widens: boolean;

  constructor(requestsPerMinute: number, private readonly clock: Clock, options: { widens?: boolean } = {}) {
    this.requestsPerMinute = requestsPerMinute;
    this.capacity = Math.max(1, requestsPerMinute - 1);
    this.tokens = this.capacity;
    this.updatedAt = clock.now();
    this.widens = options.widens ?? false;
  }

  /**
   * What a response's rate-limit headers say about the account (DESIGN §13), called by the http
   * layer: `limit`, requests per minute on this account's plan, sets the rate (lower always;
   * higher only for the documented default, never above a limit the caller chose); `remaining`,
   * requests left in the vendor's window, caps the tokens held (other clients of the account
   * spend them too). A value that is not a finite number ≥ 0 is ignored.
   */
  observe(headers: { limit?: number | undefined; remaining?: number | undefined }): void {
    const { limit, remaining } = headers;
    this.refill();
    if (limit !== undefined && Number.isFinite(limit) && limit >= 1 && limit !== this.requestsPerMinute && (limit < this.requestsPerMinute || this.widens)) {
      this.requestsPerMinute = limit;
      this.capacity = Math.max(1, limit - 1);
      this.tokens = Math.min(this.tokens, this.capacity);
    }
    if (remaining !== undefined && Number.isFinite(remaining) && remaining >= 0) this.tokens = Math.min(this.tokens, remaining);
  }

  /** Waits until a request may be sent. Waiters are served in order. */
  acquire(signal?: AbortSignal): Promise<void> {
    const turn = this.queue.then(() => this.takeNow(signal));
    // A waiter that aborts must not block the ones behind it.
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  private async takeNow(signal?: AbortSignal): Promise<void> {
    for (;;) {
      this.refill();
      // A wait of exactly the missing time can refill 0.999…9 tokens in floating point: that is
      // a token, not another 1 ms wait.
      if (this.tokens >= 1 - 1e-9) {
        this.tokens -= 1;
        return;
      }
      const msPerToken = 60_000 / this.requestsPerMinute;
      await sleepOrAbort(this.clock, Math.ceil((1 - this.tokens) * msPerToken), signal);
    }
  }

  /**
   * A 429 said to wait `retryAfterMs`: no holder gets a token before then, and one token is there
   * at that moment (what the vendor's Retry-After promises), the rest refilling from there.
   */
  penalize(retryAfterMs: number): void {
    if (!(retryAfterMs > 0) || !Number.isFinite(retryAfterMs)) return;
    this.refill();
    // A debt of tokens: refilled back to exactly one after retryAfterMs.
    this.tokens = Math.min(this.tokens, 1 - (retryAfterMs * this.requestsPerMinute) / 60_000);
  }

  private refill(): void {
    const now = this.clock.now();
    const elapsed = Math.max(0, now - this.updatedAt);
    this.updatedAt = now;
    this.tokens = Math.min(this.capacity, this.tokens + (elapsed * this.requestsPerMinute) / 60_000);
  }
}

/** Options of `createTokenBucket`. */
export interface TokenBucketOptions {
  /** The vendor account's limit. */
  requestsPerMinute: number;
  /** Time source and timer, for tests; the clients sharing the bucket should use the same one. */
  clock?: Clock;
}

/**
 * The in-process `RateLimiter`: a token bucket that several clients in one process share, so
 * together they stay under one vendor account's limit, and a 429 any of them gets holds them all.
 *
 * ```ts
 * const limit = createTokenBucket({ requestsPerMinute: 700 });
 * const a = createZendeskClient({ subdomain: "acme", auth, rateLimit: limit });
 * const b = createZendeskClient({ subdomain: "acme", auth, rateLimit: limit }); // shares a's 700/min
 * ```
 *
 * For processes on several machines, use a limiter backed by shared storage (the collector's
 * PostgreSQL bucket) with the same interface. A bad option, or one it does not have, is a
 * `ConfigError` naming it.
 */
export function createTokenBucket(options: TokenBucketOptions): TokenBucket {
  if (options === null || typeof options !== "object") throw new ConfigError("createTokenBucket() takes { requestsPerMinute, clock? }");
  refuseUnknownKeys(options, ["requestsPerMinute", "clock"], "an option of createTokenBucket()");
  const { requestsPerMinute, clock } = options;
  if (typeof requestsPerMinute !== "number" || !Number.isFinite(requestsPerMinute) || requestsPerMinute <= 0) {
    throw new ConfigError(`must be a number > 0, got ${JSON.stringify(requestsPerMinute)}`, "requestsPerMinute");
  }
  if (clock !== undefined && (clock === null || typeof clock !== "object" || typeof clock.now !== "function" || typeof clock.sleep !== "function")) {
    throw new ConfigError("must be an object with now() and sleep(ms, signal) methods", "clock");
  }
  return new TokenBucket(requestsPerMinute, clock ?? systemClock);
}

/** `value` if it is a RateLimiter (an object with `acquire`), checked; undefined if it is no limiter at all. */
export function asRateLimiter(value: unknown, option: string): RateLimiter | undefined {
  if (value === null || typeof value !== "object" || !("acquire" in value)) return undefined;
  const limiter = value as Partial<RateLimiter>;
  if (typeof limiter.acquire !== "function") throw new ConfigError("must be a function (signal?) => Promise<void>", `${option}.acquire`);
  if (limiter.penalize !== undefined && typeof limiter.penalize !== "function") throw new ConfigError("must be a function (retryAfterMs) => void", `${option}.penalize`);
  return limiter as RateLimiter;
}
