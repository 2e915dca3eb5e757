/**
 * `collect()`: one incremental run of one source, with durable state and a sink (DESIGN §11).
 * No job engine and no database: a cron entry, a queue worker or the fleet in
 * `auditlogs/collector` calls it, and it makes the run safe to kill at any point.
 */
import type { Checkpoint } from "../core/checkpoint.js";
import type { EventParams, Page } from "../core/client.js";
import { ConfigError } from "../core/errors.js";
import { refuseUnknownKeys } from "../core/names.js";
import type { AuditEvent } from "../core/event.js";
import { abortReason } from "../internal/clock.js";
import type { CheckpointStore } from "./checkpoint-store.js";

/** What a sink is told with each page's events. */
export interface SinkContext {
  /** The key `collect()` runs under. */
  key: string;
  /** The checkpoint `collect()` saves once `write` resolves: it resumes after these events. */
  checkpoint: Checkpoint;
}

/**
 * Where `collect()` delivers events. `write` must resolve only once the events are durable:
 * the store moves past them right after. A sink that can also keep the checkpoint in the same
 * transaction (a database) implements `writeWithCheckpoint` instead, and gets exactly once.
 */
export type CollectSink<E = AuditEvent> =
  | {
      /** Called per page with at least one event, before that page's checkpoint is saved. */
      write(events: E[], context: SinkContext): Promise<void>;
      writeWithCheckpoint?(events: E[], key: string, checkpoint: Checkpoint): Promise<void>;
    }
  | {
      write?(events: E[], context: SinkContext): Promise<void>;
      /**
       * Commits a page's events (possibly none) and its checkpoint at once. When present,
       * `collect()` never calls `write` or `store.save`: every checkpoint, the final watermark
       * too, goes through here, and `store.load(key)` must return the last one committed.
       */
      writeWithCheckpoint(events: E[], key: string, checkpoint: Checkpoint): Promise<void>;
    };

/**
 * The part of a client `collect()` uses: any vendor's client, a `createClient` union or a
 * `defineVendor` client. (`EventParams<never>` accepts every vendor's `pages`, whatever its filter.)
 */
export interface CollectClient {
  /** The client's `pages()`: collect() passes the params, `signal` and `resumeFrom`. */
  pages(params?: EventParams<never>): AsyncIterable<Page<unknown>> & { checkpoint(): Checkpoint };
  /** Requests sent and retries made; the run's share is reported in the result. */
  readonly stats?: { readonly requests: number; readonly retries: number };
}

/** The events a client's pages carry: `AuditEvent<ZendeskAuditLog>` for a Zendesk client. */
export type CollectEvent<C> = C extends { pages(...args: never[]): AsyncIterable<Page<infer Raw, infer V>> } ? AuditEvent<Raw, V> : AuditEvent;

/** The `pages()` params a client takes, its own filter type included. */
export type CollectParams<C> = Omit<C extends { pages(params?: infer P): unknown } ? NonNullable<P> : EventParams, "resumeFrom">;

/** Options of `collect()`. */
export interface CollectOptions<C extends CollectClient = CollectClient> {
  /** The vendor client to read with (its options hold the credentials and the rate limit). */
  client: C;
  /** Names this source in the store (and to the sink): one key per account and filter. */
  key: string;
  /** Where the checkpoint under `key` is loaded from and saved to. */
  store: CheckpointStore;
  /** Where each page's events go, before its checkpoint is saved. */
  sink: CollectSink<CollectEvent<C>>;
  /**
   * `events()` params for the run: `since` (first run only; later runs resume from the store),
   * `until`, `pageSize`, `filter`, `lagMs`, `windowMs`. `resumeFrom` is the store's to set.
   */
  params?: CollectParams<C>;
  /** Stops the run: it rejects with `UserAbortError`, the store holding the last page delivered. */
  signal?: AbortSignal;
}

/** What one run did. */
export interface CollectResult {
  /** The key the run was made under. */
  key: string;
  /** Events delivered to the sink. */
  events: number;
  /** Pages read (each committed before the next was delivered). */
  pages: number;
  /** HTTP requests this run sent, retries included. */
  requests: number;
  /** How many of those requests were retries. */
  retries: number;
  /** Where the next run starts (RFC 3339): the finished run's watermark, saved last. */
  watermark: string;
  /** now − watermark: how far behind the source the saved state is, the number to alert on. */
  lagMs: number;
}

/**
 * One incremental run: resumes from `store.load(key)`, reads `client.pages()`, and for every
 * page awaits `sink.write(page.events, { key, checkpoint })` before `store.save(key,
 * page.checkpoint)`; the finished run's watermark is saved last. A crash anywhere repeats at
 * most the page in flight (at least once: an event's `id` is stable, so a sink can dedupe) and
 * loses nothing. A sink with `writeWithCheckpoint` commits events and checkpoint together:
 * exactly once.
 *
 * ```ts
 * const store = fileCheckpointStore(".auditlogs");
 * const sink = { write: async (events) => appendNdjson("events.ndjson", events) };
 * const result = await collect({ client, key: "acme-zendesk", store, sink });
 * ```
 *
 * Bad options reject with a `ConfigError` naming the field, before the store or the vendor is
 * asked; an option it does not have too (`parms: … did you mean params?`).
 */
export async function collect<C extends CollectClient>(options: CollectOptions<C>): Promise<CollectResult> {
  const { client, key, store, sink, params, signal } = validate(options as unknown as CollectOptions);
  if (signal?.aborted) throw abortReason(signal);
  const before = statsOf(client);

  const open = (resumeFrom: unknown): ReturnType<CollectClient["pages"]> => {
    try {
      return client.pages({ ...(params as EventParams<never>), ...(signal ? { signal } : {}), resumeFrom });
    } catch (error) {
      throw paramsError(error, key);
    }
  };
  // Bad params fail before the store is asked: pages() checks them synchronously, and a stream
  // sends nothing until it is iterated.
  open(undefined);
  const saved = await store.load(key);
  if (signal?.aborted) throw abortReason(signal);
  const pages = open(saved);

  const commit: (events: AuditEvent[], checkpoint: Checkpoint) => Promise<void> = sink.writeWithCheckpoint
    ? (events, checkpoint) => sink.writeWithCheckpoint!(events, key, checkpoint)
    : async (events, checkpoint) => {
        // Events first, then the position past them: a crash between the two repeats the page.
        if (events.length > 0) await sink.write!(events, { key, checkpoint });
        await store.save(key, checkpoint);
      };

  let events = 0;
  let pageCount = 0;
  for await (const page of pages) {
    await commit(page.events, page.checkpoint);
    events += page.events.length;
    pageCount += 1;
    // Checked once the page is committed, so an abort never throws away delivered work.
    if (signal?.aborted) throw abortReason(signal);
  }
  const watermark = pages.checkpoint();
  await commit([], watermark);

  const after = statsOf(client);
  return {
    key,
    events,
    pages: pageCount,
    requests: after.requests - before.requests,
    retries: after.retries - before.retries,
    watermark: watermark.watermark,
    lagMs: Math.max(0, Date.now() - Date.parse(watermark.watermark)),
  };
}

function statsOf(client: CollectClient): { requests: number; retries: number } {
  const stats = client.stats;
  return { requests: stats?.requests ?? 0, retries: stats?.retries ?? 0 };
}

/** A ConfigError from `pages()` names its param as the caller wrote it: `params.pageSize`, or the stored checkpoint. */
function paramsError(error: unknown, key: string): unknown {
  if (!ConfigError.isInstance(error) || error.option === undefined) return error;
  const detail = error.message.startsWith(`${error.option}: `) ? error.message.slice(error.option.length + 2) : error.message;
  if (error.option === "resumeFrom") {
    return new ConfigError(`the checkpoint saved under key ${JSON.stringify(key)} ${detail}`, "store");
  }
  if (error.option === "signal") return error;
  return new ConfigError(detail, `params.${error.option}`);
}

function validate(options: CollectOptions): CollectOptions & { params: EventParams<never> | undefined } {
  if (options === null || typeof options !== "object") throw new ConfigError("collect() takes an options object: { client, key, store, sink, params?, signal? }");
  if (typeof (options as { pages?: unknown }).pages === "function") {
    throw new ConfigError("collect() takes one options object { client, key, store, sink, params?, signal? }: pass the client as its client, not as the first argument");
  }
  refuseUnknownKeys(options, ["client", "key", "store", "sink", "params", "signal"], "an option of collect()");
  const { client, key, store, sink, params, signal } = options;
  if (client === null || typeof client !== "object" || typeof client.pages !== "function") {
    throw new ConfigError("must be an auditlogs client (an object with pages())", "client");
  }
  if (typeof key !== "string" || key === "") throw new ConfigError("must be a non-empty string", "key");
  if (store === null || typeof store !== "object") throw new ConfigError("must be a CheckpointStore: { load(key), save(key, checkpoint) }", "store");
  for (const method of ["load", "save"] as const) {
    if (typeof store[method] !== "function") throw new ConfigError("must be a function", `store.${method}`);
  }
  if (sink === null || typeof sink !== "object") throw new ConfigError("must be an object with write(events, context) or writeWithCheckpoint(events, key, checkpoint)", "sink");
  for (const method of ["write", "writeWithCheckpoint"] as const) {
    if (sink[method] !== undefined && typeof sink[method] !== "function") throw new ConfigError("must be a function", `sink.${method}`);
  }
  if (sink.write === undefined && sink.writeWithCheckpoint === undefined) {
    throw new ConfigError("needs write(events, context) or writeWithCheckpoint(events, key, checkpoint)", "sink.write");
  }
  if (params !== undefined && (params === null || typeof params !== "object")) throw new ConfigError("must be an object", "params");
  if (params && "resumeFrom" in params && (params as { resumeFrom?: unknown }).resumeFrom !== undefined) {
    throw new ConfigError("is collect()'s to set, from store.load(key); to start over, use a new key or a store without one", "params.resumeFrom");
  }
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw new ConfigError("must be an AbortSignal", "signal");
  let merged = signal;
  const inner = (params as EventParams | undefined)?.signal;
  if (inner !== undefined) {
    if (!(inner instanceof AbortSignal)) throw new ConfigError("must be an AbortSignal", "params.signal");
    merged = signal ? AbortSignal.any([signal, inner]) : inner;
  }
  return { client, key, store, sink, params: params as EventParams<never> | undefined, signal: merged };
}

