import { refuseUnknownKeys } from "./names.js";
import { positiveWhole } from "./options.js";
import { ConfigError } from "./errors.js";
import { ReadAhead } from "./read-ahead.js";
import { cancelStream, checkpointMark, eventStream, EventStream, shareReadAhead } from "./stream.js";
import type { AuditEvent } from "./event.js";
import type { Checkpoint } from "./checkpoint.js";

/** The checkpoint of a merged stream: each part's, in the order the streams were given. */
export interface MergedCheckpoint {
  /** The format of the merged checkpoint. */
  version: 1;
  /** Each stream's checkpoint, in the order the streams were given to `mergeEvents`. */
  parts: Checkpoint[];
}

type Part = EventStream<AuditEvent<any>, Checkpoint>;

/**
 * Several streams (typically one per vendor) read at once and yielded as one, in arrival order.
 * Each part's checkpoint moves only when its event is yielded here, so the merged checkpoint
 * resumes every part exactly. Breaking out stops every part. What the parts fetch ahead of the
 * consumer is bounded once for all of them: as far as the most demanding part alone would.
 * `options.concurrency` (how many streams read at once; default all) is its one option; another is a
 * `ConfigError`.
 */
export function mergeEvents<S extends EventStream<AuditEvent<any>, Checkpoint>>(
  streams: readonly S[],
  options: { concurrency?: number } = {},
  // The events of each stream type, distributed over a union of streams (several vendors).
): EventStream<S extends EventStream<infer T, any> ? T : never, MergedCheckpoint> {
  type T = S extends EventStream<infer E, any> ? E : never;
  if (!Array.isArray(streams) || streams.some((s) => !EventStream.isInstance(s))) {
    throw new ConfigError("must be an array of streams from client.events()", "streams");
  }
  if (options === null || typeof options !== "object") throw new ConfigError("mergeEvents() options must be an object { concurrency }");
  refuseUnknownKeys(options, ["concurrency"], "an option of mergeEvents()");
  const concurrency = positiveWhole(options.concurrency ?? Math.max(1, streams.length), "concurrency");
  // Each part's checkpoint as of its last event yielded here, made only when asked for.
  const committed: Array<() => Checkpoint> = streams.map((s) => checkpointMark(s as Part));

  async function* source(): AsyncGenerator<T, void, undefined> {
    // One read-ahead budget for all the parts: together they read ahead as far as the most
    // demanding of them would alone (read-ahead.ts), not each as far.
    const readAhead = new ReadAhead();
    for (const stream of streams) shareReadAhead(stream, readAhead);
    const iterators = streams.map((s) => s[Symbol.asyncIterator]() as AsyncIterator<T, void>);
    type Pulled = { index: number; result: IteratorResult<T, void>; checkpoint: (() => Checkpoint) | undefined } | { index: number; error: unknown };
    // Parts' answers in the order they came, and the wait for the next. Not `Promise.race` over
    // the pending pulls once per event: each race leaves a reaction on every pull still pending,
    // so a part slow to answer (a large window) collects one per event the others yield.
    const ready: Pulled[] = [];
    let wake: (() => void) | undefined;
    let pending = 0;
    const settle = (pulled: Pulled) => {
      ready.push(pulled);
      const w = wake;
      wake = undefined;
      w?.();
    };
    const waiting = streams.map((_, i) => i);
    const pull = (index: number) => {
      pending += 1;
      iterators[index]!.next().then(
        (result) =>
          settle({
            index,
            result,
            // The part's checkpoint right after this event: committed only when it is yielded here.
            checkpoint: result.done ? undefined : checkpointMark(streams[index] as Part),
          }),
        (error: unknown) => settle({ index, error }),
      );
    };
    try {
      while (waiting.length > 0 && pending < concurrency) pull(waiting.shift()!);
      while (pending > 0) {
        if (ready.length === 0) await new Promise<void>((resolve) => (wake = resolve));
        const pulled = ready.shift()!;
        pending -= 1;
        if ("error" in pulled) throw pulled.error;
        const { index, result, checkpoint } = pulled;
        if (result.done) {
          committed[index] = checkpointMark(streams[index] as Part);
          if (waiting.length > 0) pull(waiting.shift()!);
          continue;
        }
        committed[index] = checkpoint!;
        yield result.value;
        pull(index);
      }
    } finally {
      // Stop every part now: abort what each has in flight, then close it.
      for (const stream of streams) cancelStream(stream);
      await Promise.allSettled(iterators.map((it) => it.return?.()));
    }
  }

  return eventStream<T, MergedCheckpoint>(source, () => ({ version: 1, parts: committed.map((made) => made()) }));
}
