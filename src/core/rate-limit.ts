import { sleepOrAbort, type Clock } from "../internal/clock.js";

/**
 * A token bucket: `requestsPerMinute` tokens, refilled continuously, starting full. One per
 * client, shared by `events()`, `pages()` and `raw`, so a long export stays under the vendor's
 * limit instead of collecting 429s.
 */
export class TokenBucket {
  readonly requestsPerMinute: number;
  private tokens: number;
  private updatedAt: number;
  private queue: Promise<void> = Promise.resolve();

  constructor(requestsPerMinute: number, private readonly clock: Clock) {
    this.requestsPerMinute = requestsPerMinute;
    this.tokens = requestsPerMinute;
    this.updatedAt = clock.now();
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
      if (this.tokens >= 1) {
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
    this.tokens = Math.min(this.requestsPerMinute, this.tokens + (elapsed * this.requestsPerMinute) / 60_000);
  }
}
