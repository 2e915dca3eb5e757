import { sleepOrAbort, type Clock } from "../internal/clock.js";

/**
 * A token bucket refilled at `requestsPerMinute`, starting full. One per client, shared by
 * `events()`, `pages()` and `raw`, so a long export stays under the vendor's limit instead of
 * collecting 429s.
 *
 * It holds one token less than a minute's worth (at least one). The vendor's bucket starts
 * counting when our first request reaches it, ours when we send it: if that first request is
 * slower than a later one (it opens the connection), the vendor's bucket runs behind ours by
 * the difference, and a full-size bucket drained to zero gets a 429 there. One token of headroom
 * covers any such lag shorter than one refill interval (60 s / requestsPerMinute).
 */
export class TokenBucket {
  requestsPerMinute: number;
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
  take(signal?: AbortSignal): Promise<void> {
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

  private refill(): void {
    const now = this.clock.now();
    const elapsed = Math.max(0, now - this.updatedAt);
    this.updatedAt = now;
    this.tokens = Math.min(this.capacity, this.tokens + (elapsed * this.requestsPerMinute) / 60_000);
  }
}
