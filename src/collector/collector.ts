/**
 * The fleet (DESIGN §11) on pg-boss: each source's runs are jobs of one `stately` queue keyed by
 * source id, so at most one is queued and one active per source across every process; pg-boss's
 * job heartbeat hands a killed worker's run to another worker after `staleAfterMs`, and the
 * retried run resumes from the checkpoint its predecessor last committed. The schedule is a
 * small loop in every process that queues a source when its `every` comes due (pg-boss refuses
 * the duplicates the other processes send while one is queued; one they send while a run is
 * active finds, when it reaches a worker, that a run started since the schedule saw the source,
 * and ends without reading). The processes need not configure the same sources: a worker that
 * takes a job of a source its process does not know hands it on to the others (#handOn).
 */
import { randomUUID } from "node:crypto";
import { collect, type CollectOptions } from "../collect/collect.js";
import { AuditLogsError, ConfigError } from "../core/errors.js";
import type { AuditEvent } from "../core/event.js";
import { refuseUnknownKeys } from "../core/names.js";
import type { Logger } from "../core/options.js";
import { resolveCollectorOptions, underPath, type CollectorOptions, type ResolvedCollectorOptions, type ResolvedSource } from "./config.js";
import { loadPgBoss, openDatabase, type Database } from "./database.js";
import { postgresRateLimiter, type SharedRateLimiter } from "./rate-limiter.js";
import { redact, secretsOf } from "./secrets.js";
import { PageCommits } from "./page-commits.js";
import { createTables, eventsJson, lastRunMicros, LeaseKeeper, LeaseLostError, SourceState } from "./tables.js";

type PgBoss = InstanceType<Awaited<ReturnType<typeof loadPgBoss>>["PgBoss"]>;

/** What `run(id)` resolves with. */
export interface RunSummary {
  /** The source's id. */
  sourceId: string;
  /** "failed" when the run stopped on an error (`error` says which); its committed pages stay. */
  status: "succeeded" | "failed";
  /** Events committed by this run (a run taken over after a crash counts its earlier pages too). */
  events: number;
  /** Pages read and committed. */
  pages: number;
  /** Why it failed: the error's name and message, without any credential. */
  error?: string;
}

/** One source as `status()` reports it. Times are RFC 3339 strings, null before the first. */
export interface SourceStatus {
  /** The source's id. */
  sourceId: string;
  /** Its vendor's id. */
  vendor: string;
  /** When the last run started. */
  lastRunAt: string | null;
  /** When a run last read to its end. */
  lastSuccessAt: string | null;
  /** The last run's error, or null once a run succeeds. */
  lastError: string | null;
  /** Where the next run starts reading: everything before it is in. */
  watermark: string | null;
  /** now − watermark: how far behind the source is; the number to alert on. Null before the first success. */
  lagMs: number | null;
  /** Events collected from this source, all runs together. */
  events: number;
}

/** A collector: the same object in every process of a fleet pointed at one database. */
export interface Collector {
  /** Schedules the sources and works their runs in this process, `workers` at a time (default 1). */
  start(options?: { workers?: number }): Promise<void>;
  /**
   * Queues a run of `sourceId` now and resolves when it ends (any process's worker may run it).
   * Called before `start()`, it is queued before the schedule's first run: `const summary =
   * collector.run(id); await collector.start();` is the summary of the run that read the source.
   */
  run(sourceId: string): Promise<RunSummary>;
  /** Every source the database knows, plus configured ones not yet run. */
  status(): Promise<SourceStatus[]>;
  /** Stops scheduling and working; a run in flight is handed back (it resumes elsewhere) after a grace period. */
  stop(): Promise<void>;
}

const QUEUE = "collector-run";
/** The schedule loop's period: how late a due run may be queued. */
const TICK_MS = 1_000;

/**
 * How many times a job of a source this process does not configure is handed on (queued again
 * for another process) before it is dropped. Its delays (below) add up to about 50 minutes; a
 * source some process configures is queued again by that process's schedule when it is due.
 */
const HAND_ON_LIMIT = 100;

/**
 * A job's data. `after` is set on a run the schedule queued: the source's last run start it saw
 * (microseconds since the epoch, as text; null before the first run). `run(id)` leaves it out.
 * `hops`: how many processes that do not configure the source have handed this run on.
 */
interface RunJob {
  sourceId: string;
  after?: string | null;
  hops?: number;
}

/**
 * The output of a job that read nothing: a scheduled one that found a run had started since it
 * was queued, or one a process without its source handed on (`handedOn`) or dropped.
 */
interface Superseded {
  sourceId: string;
  superseded: true;
  handedOn?: boolean;
}

interface Runtime {
  db: Database;
  state: SourceState;
}

/** Thrown to pg-boss so it retries later: a live run of this source holds its lease. */
class SourceBusyError extends Error {
  override name = "SourceBusyError";
}

/**
 * Creates a collector. Every source is validated now, before the database is touched: a bad one
 * throws `ConfigError` naming its path (`sources[2].every`), and so does a key the options, a
 * source or its params do not have, asking about the one it is near (`conectionString`).
 */
export function createCollector(options: CollectorOptions): Collector {
  return new FleetCollector(resolveCollectorOptions(options));
}

class FleetCollector implements Collector {
  readonly #options: ResolvedCollectorOptions;
  readonly #sources: Map<string, ResolvedSource>;
  readonly #logger: Logger | undefined;
  #runtime: Promise<Runtime> | undefined;
  #boss: Promise<PgBoss> | undefined;
  #working = false;
  #tick: ReturnType<typeof setInterval> | undefined;
  #ticking: Promise<void> | undefined;
  /** No configured source can be due before this (Date.now() ms): the schedule skips its queries until then. */
  #quietUntil = 0;
  readonly #limiters = new Map<string, { rpm: number; limiter: SharedRateLimiter }>();
  #stopped = false;
  /**
   * run() calls still putting their job in the queue. start() waits for them before it works or
   * schedules: `const summary = collector.run(id); await collector.start()` is then the summary of
   * that run, never of a run queued behind the schedule's first one (which would find nothing new).
   */
  readonly #queueing = new Set<Promise<unknown>>();

  constructor(options: ResolvedCollectorOptions) {
    this.#options = options;
    this.#sources = new Map(options.sources.map((s) => [s.id, s]));
    this.#logger = options.logger;
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return `Collector { sources: ${this.#sources.size}, database: ${this.#options.connectionString === undefined ? "embedded" : "postgres"} }`;
  }

  toJSON(): unknown {
    return { sources: [...this.#sources.keys()] };
  }

  /** The database, its tables created. Opened once; a failure is retried on the next call. */
  #db(poolSize = 4): Promise<Runtime> {
    this.#runtime ??= (async () => {
      const db = await openDatabase({ connectionString: this.#options.connectionString, dataDir: this.#options.dataDir, poolSize });
      try {
        await createTables(db, this.#options.schema);
      } catch (error) {
        await db.close().catch(() => undefined);
        throw error;
      }
      return { db, state: new SourceState(this.#options.schema, this.#options.staleAfterMs) };
    })().catch((error: unknown) => {
      this.#runtime = undefined;
      throw error;
    });
    return this.#runtime;
  }

  #engine(poolSize?: number): Promise<PgBoss> {
    this.#boss ??= (async () => {
      const { db } = await this.#db(poolSize);
      const { PgBoss } = await loadPgBoss();
      const staleSeconds = Math.ceil(this.#options.staleAfterMs / 1000);
      // The supervisor is what notices a missed heartbeat: check a few times per stale period.
      const superviseSeconds = Math.min(60, Math.max(1, Math.floor(staleSeconds / 4)));
      const boss = new PgBoss({
        ...(db.boss as object),
        schema: this.#options.schema,
        superviseIntervalSeconds: superviseSeconds,
        monitorIntervalSeconds: superviseSeconds,
        max: 4,
        application_name: "auditlogs-collector",
      } as ConstructorParameters<typeof PgBoss>[0]);
      // An EventEmitter without an "error" listener throws; pg-boss reports trouble there.
      boss.on("error", (error: Error) => this.#logger?.error?.(`auditlogs collector: job engine error: ${error.message}`));
      try {
        await boss.start();
      } catch (error) {
        throw new AuditLogsError(`auditlogs/collector: cannot start pg-boss on the database at ${db.where}: ${(error as Error).message}`, { cause: error });
      }
      const queue = {
        policy: "stately" as const,
        heartbeatSeconds: staleSeconds,
        // Retries are for runs that died with their worker or found their source busy; a run that
        // fails on its own (a vendor error) completes as "failed" and waits for its next turn.
        retryLimit: 50,
        retryDelay: 2,
        retryBackoff: true,
        retryDelayMax: 60,
        // The heartbeat bounds a run, not a wall-clock limit: a backfill may take hours.
        expireInSeconds: 24 * 3600,
      };
      if (!(await boss.getQueue(QUEUE))) {
        await boss.createQueue(QUEUE, queue).catch(async (error: unknown) => {
          // Another process created it first.
          if (!(await boss.getQueue(QUEUE))) throw error;
        });
      }
      const existing = await boss.getQueue(QUEUE);
      if (existing && existing.heartbeatSeconds !== staleSeconds) await boss.updateQueue(QUEUE, { heartbeatSeconds: staleSeconds });
      return boss;
    })().catch((error: unknown) => {
      this.#boss = undefined;
      throw error;
    });
    return this.#boss;
  }

  async start(options: { workers?: number } = {}): Promise<void> {
    if (options === null || typeof options !== "object") throw new ConfigError("start() options must be an object { workers }");
    refuseUnknownKeys(options, ["workers"], "an option of start()");
    const workers = options.workers ?? 1;
    if (typeof workers !== "number" || !Number.isInteger(workers) || workers < 1) {
      throw new ConfigError(`must be a whole number >= 1, got ${JSON.stringify(workers)}`, "workers");
    }
    if (this.#stopped) throw new AuditLogsError("auditlogs collector: start() after stop(): create a new collector");
    if (this.#working) throw new AuditLogsError("auditlogs collector: already started");
    this.#working = true;
    // Each worker holds a connection through a page's commit; the rate limiter and the schedule share the rest.
    const boss = await this.#engine(workers + 2);
    await Promise.allSettled(this.#queueing);
    await boss.work<RunJob>(QUEUE, { localConcurrency: workers, pollingIntervalSeconds: 1 }, async ([job]) => {
      if (job === undefined) return undefined;
      const source = this.#sources.get(job.data.sourceId);
      if (source === undefined) return this.#handOn(boss, job.data);
      return this.#handle(source, job.data, job.signal);
    });
    const tick = () => {
      this.#ticking ??= this.#schedule()
        .catch((error: unknown) => this.#logger?.warn?.(`auditlogs collector: scheduling failed: ${(error as Error).message}`))
        .finally(() => (this.#ticking = undefined));
    };
    tick();
    this.#tick = setInterval(tick, TICK_MS);
  }

  /** Queues every configured source whose next run is due within a tick. */
  async #schedule(): Promise<void> {
    if (this.#sources.size === 0 || Date.now() < this.#quietUntil) return;
    const [{ db }, boss] = await Promise.all([this.#db(), this.#engine()]);
    const { rows } = await db.query<{ source_id: string; last_run_at: Date | null; last_run_us: string | null }>(
      `SELECT source_id, last_run_at, ${lastRunMicros("last_run_at")}::text AS last_run_us FROM ${this.#options.schema}.sources WHERE source_id = ANY($1)`,
      [[...this.#sources.keys()]],
    );
    const known = new Map(rows.map((r) => [r.source_id, r]));
    const now = Date.now();
    const due: { source: ResolvedSource; at: number; after: string | null }[] = [];
    let next = Number.POSITIVE_INFINITY;
    for (const source of this.#sources.values()) {
      const row = known.get(source.id);
      const last = row?.last_run_at ?? null;
      const at = last === null ? now : this.#nextRun(boss, source, last);
      if (at <= now + TICK_MS) due.push({ source, at, after: row?.last_run_us ?? null });
      else next = Math.min(next, at);
    }
    // A source's last run start only ever moves later (a run sets it, a takeover keeps it), and
    // its next turn with it: until the earliest next turn seen here, nothing can come due, and
    // the ticks before it need not ask the database (one query a second per process, for nothing).
    if (due.length === 0) this.#quietUntil = next - TICK_MS;
    if (due.length === 0 || this.#stopped) return;
    // One insert for every due source, every tick until its run starts: the queue drops a
    // source's job while one is already queued. (Remembering what this process queued would not
    // do: the job kept may be another process's, queued on an older view and superseded when it
    // reaches a worker, and then no process would queue the source again.)
    await boss.insert(
      QUEUE,
      due.map(({ source, at, after }) => ({
        data: { sourceId: source.id, after } satisfies RunJob,
        singletonKey: source.id,
        ...(at > now ? { startAfter: new Date(at) } : {}),
      })),
    );
  }

  #nextRun(boss: PgBoss, source: ResolvedSource, last: Date): number {
    if (source.every.kind === "interval") return last.getTime() + source.every.ms;
    const next = boss.previewSchedule(source.every.expression, { from: last, count: 1 })[0];
    return next ? next.getTime() : Number.POSITIVE_INFINITY;
  }

  async run(sourceId: string): Promise<RunSummary> {
    if (!this.#sources.has(sourceId)) throw new ConfigError(`is not a configured source (known: ${[...this.#sources.keys()].join(", ") || "none"})`, "sourceId");
    if (this.#stopped) throw new AuditLogsError("auditlogs collector: run() after stop()");
    // Registered before the first await, so a start() called next sees it.
    const queued = this.#engine().then((boss) => this.#queue(boss, sourceId).then((jobId) => ({ boss, jobId })));
    this.#queueing.add(queued);
    void queued.then(
      () => this.#queueing.delete(queued),
      () => this.#queueing.delete(queued),
    );
    const first = await queued;
    const boss = first.boss;
    let jobId = first.jobId;
    for (;;) {
      const summary = await this.#outcome(boss, sourceId, jobId);
      // The queued run we waited for was the schedule's, and a run had started since it was
      // queued: it read nothing, so queue one of our own.
      if (summary !== undefined) return summary;
      jobId = await this.#queue(boss, sourceId);
    }
  }

  /** Queues a run of `sourceId`, or finds the one already queued (stately: one at most): its job id. */
  async #queue(boss: PgBoss, sourceId: string): Promise<string> {
    for (let attempt = 0; ; attempt++) {
      const jobId = (await boss.send(QUEUE, { sourceId } satisfies RunJob, { singletonKey: sourceId })) ?? (await boss.findJobs(QUEUE, { key: sourceId, queued: true }))[0]?.id;
      if (jobId !== undefined) return jobId;
      // Neither: the queued job started between the two statements; the next send is taken.
      if (attempt > 50) throw new AuditLogsError(`auditlogs collector: could not queue a run of ${sourceId}`);
    }
  }

  /** Waits for job `jobId` to end: its summary, or undefined when it was superseded. */
  async #outcome(boss: PgBoss, sourceId: string, jobId: string): Promise<RunSummary | undefined> {
    for (;;) {
      const [job] = await boss.findJobs<RunJob>(QUEUE, { id: jobId });
      if (job === undefined) throw new AuditLogsError(`auditlogs collector: the run of ${sourceId} (job ${jobId}) was deleted before it ended`);
      if (job.state === "completed") {
        const output = job.output as RunSummary | Superseded;
        return "superseded" in output ? undefined : output;
      }
      if (job.state === "failed" || job.state === "cancelled") {
        const output = job.output as { message?: string } | null;
        return { sourceId, status: "failed", events: 0, pages: 0, error: output?.message ?? `the run was ${job.state}` };
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  /**
   * A job of a source another process configures (a fleet whose processes run different
   * sources): queued again, for any process's worker, and this one ends having read nothing. A
   * new job, not a failed one: failing it would spend the run's retries (which are for crashes
   * and a busy source) and wait out their backoff, up to a minute a hop. The copy waits a second
   * first, so every process's pollers get their turn at it, not this one's again at once; longer
   * once it has gone round for a while. A run taken over after a crash is handed on like any
   * other: the lease and checkpoint it resumes from are in the sources table, not in the job.
   * (With the queue's one queued job a source, the copy is dropped when another is already
   * queued, which then carries the run.)
   */
  async #handOn(boss: PgBoss, job: RunJob): Promise<Superseded> {
    const hops = (job.hops ?? 0) + 1;
    if (hops > HAND_ON_LIMIT) {
      // Configured nowhere, or its processes were stopped or busy all that time: a process that
      // configures it queues it again when it is due.
      this.#logger?.warn?.(`auditlogs collector: a run of ${job.sourceId} was dropped: no process took it after ${HAND_ON_LIMIT} hand-ons (about 50 minutes); a process that configures the source queues it again when it is due`);
      return { sourceId: job.sourceId, superseded: true };
    }
    const delaySeconds = Math.min(60, 2 ** Math.floor((hops - 1) / 10));
    await boss.send(QUEUE, { ...job, hops } satisfies RunJob, { singletonKey: job.sourceId, startAfter: delaySeconds });
    this.#logger?.debug?.(`auditlogs collector: a run of ${job.sourceId} was handed on: the source is not configured in this process`);
    return { sourceId: job.sourceId, superseded: true, handedOn: true };
  }

  /** One job: a run of one configured source, from its committed checkpoint to the end of its data. */
  async #handle(source: ResolvedSource, { sourceId, after }: RunJob, jobSignal: AbortSignal): Promise<RunSummary | Superseded> {
    const { db, state } = await this.#db();
    const token = randomUUID();
    const lease = await state.acquire(db, source.id, source.vendorId, token, after);
    if (lease === "busy") throw new SourceBusyError(`source ${sourceId} is being run by another worker; retried later`);
    if (lease === "done") {
      this.#logger?.info?.(`auditlogs collector: run of ${sourceId} skipped: another run started after this one was queued, and ended`);
      return { sourceId, superseded: true };
    }
    this.#logger?.info?.(`auditlogs collector: run of ${sourceId} started${lease.pages > 0 ? ` (resuming after ${lease.pages} committed pages)` : ""}`);
    const abort = new AbortController();
    const onJobAbort = () => abort.abort(jobSignal.reason);
    jobSignal.addEventListener("abort", onJobAbort, { once: true });
    // Every commit extends the lease too: a separate beat goes out only when none has for a third
    // of staleAfterMs (a page slower than that, a rate-limit wait), not every few seconds of a run.
    const keeper = new LeaseKeeper(this.#options.staleAfterMs, () =>
      state.heartbeat(db, source.id, token).then(
        (held) => held || abort.abort(new LeaseLostError(`source ${sourceId}: another worker took this run over`)),
        () => undefined, // A missed beat is not a lost lease; the next commit checks.
      ),
    );
    let secrets: string[] = [];
    // The default sink's commits still held or in flight when the run stops (page-commits.ts).
    let settle = async (): Promise<void> => undefined;
    try {
      const resolved = typeof source.options === "function" ? await source.options() : source.options;
      if (resolved === null || typeof resolved !== "object") throw new ConfigError("must return the vendor's client options (an object)", `source ${sourceId} options()`);
      secrets = secretsOf(resolved);
      const client = source.createClient(this.#withSharedLimit(source, resolved, db));
      const custom = this.#options.sink;
      // Events a custom sink wrote since the last commit, counted into the source's total there.
      let written = 0;
      const commits = new PageCommits((events, checkpoint, pages) => {
        keeper.extended();
        return state.commitPage(db, sourceId, token, source.vendorId, events.length > 0 ? redact(eventsJson(events), secrets) : undefined, checkpoint, 0, pages);
      });
      settle = () => commits.settle();
      const result = await collect({
        client,
        key: sourceId,
        store: {
          load: async () => lease.checkpoint,
          save: async (_key, checkpoint) => {
            keeper.extended();
            await state.commitPage(db, sourceId, token, source.vendorId, undefined, checkpoint, written);
            written = 0;
          },
        },
        // The default sink commits a page's events and its checkpoint in one transaction (exactly
        // once; page-commits.ts); a custom sink writes first and the checkpoint follows (at least once).
        sink: custom
          ? {
              write: async (events, context) => {
                await custom.write(events, context);
                written += events.length;
              },
            }
          : { writeWithCheckpoint: (events, _key, checkpoint) => commits.write(events, checkpoint) },
        params: source.params as CollectOptions["params"],
        signal: abort.signal,
      });
      // Its last commit (the complete checkpoint) released the lease.
      // A run taken over after a crash counts the pages its predecessor committed too.
      const totals = { events: lease.events + result.events, pages: lease.pages + result.pages };
      this.#logger?.info?.(`auditlogs collector: run of ${sourceId} succeeded: ${totals.events} events, ${totals.pages} pages`);
      return { sourceId, status: "succeeded", ...totals };
    } catch (error) {
      // A page read before the stop is committed still (and every commit ends) before the run is
      // handed back or failed: nothing read is thrown away, and nothing commits after.
      const unsettled = await settle().then(
        () => undefined,
        (failure: unknown) => failure,
      );
      const lost = error instanceof LeaseLostError || abort.signal.reason instanceof LeaseLostError || unsettled instanceof LeaseLostError;
      if (lost) throw new LeaseLostError(`source ${sourceId}: another worker took this run over`);
      if (jobSignal.aborted) {
        // Stopping: hand the run back at once so another process resumes it from the last commit.
        await state.handBack(db, sourceId, token).catch(() => undefined);
        throw new AuditLogsError(`source ${sourceId}: the run was stopped; it resumes from its last committed page`);
      }
      const message = redact(describe(underPath(error, `sources[${this.#options.sources.indexOf(source)}].options`)), secrets);
      const totals = await state.fail(db, sourceId, token, message);
      this.#logger?.warn?.(`auditlogs collector: run of ${sourceId} failed: ${message}`);
      return { sourceId, status: "failed", ...totals, error: message };
    } finally {
      keeper.stop();
      jobSignal.removeEventListener("abort", onJobAbort);
    }
  }

  /** The run's client options, with the shared bucket as `rateLimit` when the source has a `rateLimitKey`. */
  #withSharedLimit(source: ResolvedSource, options: Record<string, unknown>, db: Database): Record<string, unknown> {
    const key = source.rateLimitKey;
    if (key === undefined) return options;
    const path = `sources[${this.#options.sources.indexOf(source)}]`;
    const own = options.rateLimit as { requestsPerMinute?: unknown } | false | undefined;
    if (own === false) throw new ConfigError("rateLimit: false cannot be combined with a rateLimitKey (the shared limit is the point of the key)", `${path}.options.rateLimit`);
    const rpm = own?.requestsPerMinute ?? source.requestsPerMinute;
    if (typeof rpm !== "number" || !(rpm > 0)) {
      throw new ConfigError(`${source.vendorId} documents no rate limit: set options.rateLimit.requestsPerMinute for the shared limit`, `${path}.rateLimitKey`);
    }
    let shared = this.#limiters.get(key);
    if (shared === undefined || shared.rpm !== rpm) {
      shared = { rpm, limiter: postgresRateLimiter(db, this.#options.schema, key, rpm, (error) => this.#logger?.warn?.(`auditlogs collector: rate limit ${key}: ${(error as Error).message}`)) };
      this.#limiters.set(key, shared);
    }
    return { ...options, rateLimit: shared.limiter };
  }

  async status(): Promise<SourceStatus[]> {
    const { db, state } = await this.#db();
    const rows = await state.all(db);
    const known = new Set(rows.map((r) => r.source_id));
    const iso = (d: Date | null) => (d === null ? null : new Date(d).toISOString());
    const result: SourceStatus[] = rows.map((r) => ({
      sourceId: r.source_id,
      vendor: r.vendor,
      lastRunAt: iso(r.last_run_at),
      lastSuccessAt: iso(r.last_success_at),
      lastError: r.last_error,
      watermark: iso(r.watermark),
      lagMs: r.watermark === null ? null : Math.max(0, new Date(r.now).getTime() - new Date(r.watermark).getTime()),
      events: Number(r.events),
    }));
    for (const source of this.#sources.values()) {
      if (!known.has(source.id)) {
        result.push({ sourceId: source.id, vendor: source.vendorId, lastRunAt: null, lastSuccessAt: null, lastError: null, watermark: null, lagMs: null, events: 0 });
      }
    }
    return result;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#tick) clearInterval(this.#tick);
    this.#tick = undefined;
    await this.#ticking;
    const boss = this.#boss ? await this.#boss.catch(() => undefined) : undefined;
    // Graceful: runs in flight get a few seconds to finish, then their signal aborts them and they hand back.
    if (boss) await boss.stop({ graceful: true, timeout: 10_000, close: true }).catch(() => undefined);
    this.#boss = undefined;
    const runtime = this.#runtime ? await this.#runtime.catch(() => undefined) : undefined;
    this.#runtime = undefined;
    if (runtime) await runtime.db.close().catch(() => undefined);
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
