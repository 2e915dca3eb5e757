import { AuditLogsError } from "./errors.js";
import { positiveWhole } from "./options.js";
import type { AuditEvent } from "./event.js";

const STREAM = Symbol.for("auditlogs.EventStream");
const CANCEL = Symbol.for("auditlogs.EventStream.cancel");
const READ_AHEAD = Symbol.for("auditlogs.EventStream.readAhead");
const MARK = Symbol.for("auditlogs.EventStream.mark");

/**
 * Reads until `signal` aborts (see `cancelStream`); `readAhead` is the read-ahead budget a merge
 * shares with it (see `shareReadAhead`), undefined when it reads alone.
 */
type Source<T> = (signal: AbortSignal, readAhead: unknown) => AsyncGenerator<T, void, undefined>;

/** The checkpoint as of now, made when the returned function is called (each call a new copy). */
type Mark<C> = () => () => C;

let construct: <T, C>(source: Source<T>, checkpoint: () => C, mark?: Mark<C>) => EventStream<T, C>;

/**
 * A stream over `source`, whose `checkpoint()` is `checkpoint`'s value. `mark`, when given, is a
 * cheap way to hold the checkpoint of a moment and make it later (see `checkpointMark`).
 */
export function eventStream<T, C>(source: Source<T>, checkpoint: () => C, mark?: Mark<C>): EventStream<T, C> {
  return construct(source, checkpoint, mark);
}

/**
 * The stream's checkpoint as of now, made only when the returned function is called, each call a
 * new copy: `mergeEvents` marks every event of every part and is asked for few checkpoints, and
 * a checkpoint made per event costs as much as the ids it holds (a run's lag zone: quadratic).
 * Any copy's stream; one without the mark makes its checkpoint at once.
 */
export function checkpointMark<C>(stream: EventStream<any, C>): () => C {
  const mark = (stream as unknown as Record<symbol, Mark<C> | undefined>)[MARK];
  if (mark) return mark();
  const made = stream.checkpoint();
  return () => structuredClone(made);
}

/** Aborts the stream's requests in flight now, even while a `next()` is pending; any copy's stream. */
export function cancelStream(stream: EventStream<any, any>): void {
  (stream as unknown as Record<symbol, (() => void) | undefined>)[CANCEL]?.();
}

/**
 * Has the stream count what it reads ahead in `budget` (read-ahead.ts), shared with other
 * streams: set by `mergeEvents` before it iterates the stream; any copy's stream.
 */
export function shareReadAhead(stream: EventStream<any, any>, budget: unknown): void {
  (stream as unknown as Record<symbol, ((budget: unknown) => void) | undefined>)[READ_AHEAD]?.(budget);
}

/**
 * What `events()` returns: iterate it once with `for await`, and ask it at any point for the
 * checkpoint that resumes right after the last event it yielded.
 */
export class EventStream<T = AuditEvent, C = unknown> implements AsyncIterable<T> {
  #started = false;
  readonly #source: Source<T>;
  readonly #checkpoint: () => C;
  readonly #cancel = new AbortController();
  #readAhead: unknown;

  // Made by the library only (`eventStream` below): the public d.ts shows a private constructor.
  private constructor(source: Source<T>, checkpoint: () => C, mark?: Mark<C>) {
    this.#source = source;
    this.#checkpoint = checkpoint;
    Object.defineProperty(this, STREAM, { value: true });
    if (mark) Object.defineProperty(this, MARK, { value: mark });
    // Symbol-keyed, not a private field: a stream from another copy of the package (ESM and CJS
    // side by side, two versions in one tree) can be cancelled too.
    Object.defineProperty(this, CANCEL, { value: () => this.#cancel.abort(new Error("stream cancelled")) });
    Object.defineProperty(this, READ_AHEAD, {
      value: (budget: unknown) => {
        this.#readAhead = budget;
      },
    });
  }

  /** True for a stream from `events()` of any copy of the package (a brand, not `instanceof`). */
  static isInstance(value: unknown): value is EventStream<unknown, unknown> {
    return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[STREAM] === true;
  }

  static {
    construct = (source, checkpoint, mark) => new EventStream(source, checkpoint, mark);
  }

  /** Iterates the events once; a second iteration throws (call `events()` again, with `resumeFrom` to continue). */
  [Symbol.asyncIterator](): AsyncGenerator<T, void, undefined> {
    if (this.#started) {
      throw new AuditLogsError("This stream was already iterated; call events() again (with resumeFrom to continue).");
    }
    this.#started = true;
    return this.#source(this.#cancel.signal, this.#readAhead);
  }

  /** A JSON value to store and pass back as `resumeFrom`. Safe to call at any time. */
  checkpoint(): C {
    return this.#checkpoint();
  }

  /** Collects events into an array. `limit` is required, so a large export cannot fill memory by accident. */
  async toArray(options: { limit: number }): Promise<T[]> {
    const limit = positiveWhole(options?.limit, "limit");
    const out: T[] = [];
    for await (const item of this) {
      out.push(item);
      if (out.length >= limit) break;
    }
    return out;
  }
}
