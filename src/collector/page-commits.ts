/**
 * The default sink's commits for one run: each page's events with its checkpoint in one
 * statement (exactly once), in order, and the run's last page together with its watermark when
 * the end is known at once.
 *
 * `collect()` hands over a page and, once the sink resolves, asks the stream for the next one;
 * the finished run's watermark comes last, as one more commit with no events. Most streams know
 * their last page is the last (no next cursor) without another request, so the watermark arrives
 * within the same turn of the event loop. A page is therefore held until the event loop's next
 * turn (`setImmediate`, after every promise already settled): if the watermark came first, the
 * page goes in with it, one statement where there were two; otherwise it is committed then, while
 * the stream reads on. Commits run one at a time, each after the one before, so the committed
 * checkpoint only moves forward; at most one page is held and one commit in flight, so a crash
 * repeats at most those two pages' reading and loses nothing (nothing of them was committed).
 */
import type { Checkpoint } from "../core/checkpoint.js";
import type { AuditEvent } from "../core/event.js";

/** Commits `events` and `checkpoint` at once; `pages` is how many pages they are (for the run's count). */
export type CommitPage = (events: AuditEvent[], checkpoint: Checkpoint, pages: number) => Promise<unknown>;

interface Held {
  events: AuditEvent[];
  checkpoint: Checkpoint;
}

export class PageCommits {
  readonly #commit: CommitPage;
  /** The last commit sent (settled once it and every one before it are). */
  #chain: Promise<void> = Promise.resolve();
  #held: Held | undefined;
  #failure: { error: unknown } | undefined;

  constructor(commit: CommitPage) {
    this.#commit = commit;
  }

  /** `writeWithCheckpoint` for `collect()`: resolves once the commits before this page are in. */
  async write(events: AuditEvent[], checkpoint: Checkpoint): Promise<void> {
    this.#throwIfFailed();
    if (checkpoint.complete) {
      // The end: a page still held goes in with the watermark.
      const held = this.#take();
      this.#send(held ? held.events.concat(events) : events, checkpoint, held ? 2 : 1);
      return this.#settled();
    }
    // The stream had this page ready before the held one was sent: that one goes first.
    const before = this.#take();
    if (before) this.#send(before.events, before.checkpoint, 1);
    const page: Held = { events, checkpoint };
    this.#held = page;
    await this.#chain;
    this.#throwIfFailed();
    setImmediate(() => {
      if (this.#held === page) this.#send(this.#take()!.events, page.checkpoint, 1);
    });
  }

  /**
   * For a run that stopped (an error, an abort): commits the page still held, if nothing failed,
   * and waits for every commit; rejects with a commit's failure.
   */
  async settle(): Promise<void> {
    const held = this.#take();
    if (held && !this.#failure) this.#send(held.events, held.checkpoint, 1);
    return this.#settled();
  }

  #take(): Held | undefined {
    const held = this.#held;
    this.#held = undefined;
    return held;
  }

  #send(events: AuditEvent[], checkpoint: Checkpoint, pages: number): void {
    this.#chain = this.#chain.then(async () => {
      // After a failure nothing more is committed: the run is over, and its next one repeats the rest.
      if (this.#failure) return;
      try {
        await this.#commit(events, checkpoint, pages);
      } catch (error) {
        this.#failure = { error };
      }
    });
  }

  async #settled(): Promise<void> {
    await this.#chain;
    this.#throwIfFailed();
  }

  #throwIfFailed(): void {
    if (this.#failure) throw this.#failure.error;
  }
}
