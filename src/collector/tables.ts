/**
 * The collector's tables, beside pg-boss's own in the same schema:
 *
 * - `events`: the default sink, one row per (source, event id), so a page committed twice cannot
 *   add a row twice.
 * - `sources`: per source the committed checkpoint, status fields, and the run lease. The lease
 *   (`run_token`, `run_expires_at`) is the fence behind "one run per source at a time": pg-boss
 *   hands a source's job to one worker at a time, and every commit also checks that this run
 *   still holds the lease, so a worker that was presumed dead and taken over can never commit
 *   again (it would otherwise move the checkpoint back).
 * - `rate_limits`: the shared token buckets (rate-limiter.ts).
 *
 * No column holds a credential: a source row has its id, vendor, checkpoint (positions, times and
 * event ids) and the redacted message of its last error.
 */
import type { Checkpoint } from "../core/checkpoint.js";
import type { AuditEvent } from "../core/event.js";
import type { Database, Sql } from "./database.js";
import { rateLimitTableSql } from "./rate-limiter.js";

/** Creates what is missing. Several processes starting at once take turns (an advisory lock). */
export async function createTables(db: Database, schema: string): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.query("SELECT pg_advisory_xact_lock(hashtext($1))", [`auditlogs.collector.${schema}`]);
    await tx.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await tx.query(`CREATE TABLE IF NOT EXISTS ${schema}.events (
      source_id text NOT NULL,
      id text NOT NULL,
      vendor text NOT NULL,
      occurred_at timestamptz NOT NULL,
      event jsonb NOT NULL,
      PRIMARY KEY (source_id, id)
    )`);
    await tx.query(`CREATE TABLE IF NOT EXISTS ${schema}.sources (
      source_id text PRIMARY KEY,
      vendor text NOT NULL,
      checkpoint json,
      watermark timestamptz,
      events bigint NOT NULL DEFAULT 0,
      last_run_at timestamptz,
      last_success_at timestamptz,
      last_error text,
      run_token text,
      run_expires_at timestamptz,
      run_events bigint NOT NULL DEFAULT 0,
      run_pages integer NOT NULL DEFAULT 0
    )`);
    await tx.query(rateLimitTableSql(schema));
  });
}

/** A run's hold on its source. */
export interface Lease {
  /** The committed checkpoint: mid-run (a taken-over run resumes from it) or the last watermark. */
  checkpoint: Checkpoint | undefined;
  /** Pages and events this run committed so far (a takeover continues the count). */
  events: number;
  pages: number;
}

/**
 * Keeps a run's lease alive between commits. Each commit extends the lease as well (`extended()`
 * is called as it is sent), so `beat` runs only once neither has for a third of `staleAfterMs`:
 * checked every sixth, the lease is never left unextended for more than half of it.
 */
export class LeaseKeeper {
  readonly #timer: ReturnType<typeof setInterval>;
  readonly #now: () => number;
  #last: number;

  constructor(staleAfterMs: number, beat: () => unknown, now: () => number = Date.now) {
    this.#now = now;
    this.#last = now();
    const quiet = staleAfterMs / 3;
    this.#timer = setInterval(() => {
      if (now() - this.#last < quiet) return;
      this.#last = now();
      beat();
    }, Math.max(1, Math.floor(staleAfterMs / 6)));
  }

  /** A commit that extends the lease went out. */
  extended(): void {
    this.#last = this.#now();
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}

/** Thrown when a run no longer holds its source (another worker took it over). */
export class LeaseLostError extends Error {
  override name = "LeaseLostError";
}

/**
 * A run start as whole microseconds since the epoch (PostgreSQL's own precision, which a JS Date
 * would round to milliseconds), as SQL over `column`.
 */
export function lastRunMicros(column: string): string {
  return `(extract(epoch FROM ${column}) * 1000000)::bigint`;
}

export class SourceState {
  readonly #schema: string;
  readonly #staleAfterMs: number;

  constructor(schema: string, staleAfterMs: number) {
    this.#schema = schema;
    this.#staleAfterMs = staleAfterMs;
  }

  /**
   * Takes the lease on `sourceId` for `token`: a `Lease`, or "busy" while a live run holds it. A
   * run that finds a mid-run checkpoint continues that run (its counts too); otherwise it starts one.
   *
   * `plannedAfter` is set for a run the schedule queued: the source's last run start as the
   * schedule saw it (`lastRunMicros`, null before the first). When a run has started since, has
   * ended (its lease released, not expired: a run whose worker died is taken over, whatever it
   * committed) and left no run half done, this one has nothing left to do and is "done" without
   * touching the source: two processes can both see a source due and both queue it, and the
   * second queued job reaches a worker only after the first run ends (the queue keeps one active
   * per source).
   */
  async acquire(db: Sql, sourceId: string, vendor: string, token: string, plannedAfter?: string | null): Promise<Lease | "busy" | "done"> {
    const s = this.#schema;
    const fresh = `(t.checkpoint IS NULL OR (t.checkpoint->>'complete')::boolean)`;
    // Parameters `planned` (is this a scheduled run) and `after` (its view of the last run start).
    const doneWith = (planned: string, after: string) =>
      `(${planned}::boolean AND t.run_token IS NULL AND ${fresh} AND ${lastRunMicros("t.last_run_at")} IS DISTINCT FROM ${after}::bigint)`;
    const done = doneWith("$5", "$6");
    // One round trip: a new source's row, or the lease on an existing one unless a live run holds
    // it or this run is done. Neither writes the row (an update to the same values would still be
    // a new row version, and a write to the source after its run's last commit).
    const { rows } = await db.query<{ checkpoint: Checkpoint | null; run_events: string; run_pages: number }>(
      `INSERT INTO ${s}.sources AS t (source_id, vendor, run_token, run_expires_at, last_run_at)
       VALUES ($1, $2, $3, clock_timestamp() + $4 * interval '1 millisecond', clock_timestamp())
       ON CONFLICT (source_id) DO UPDATE SET
         vendor = $2,
         run_token = $3,
         run_expires_at = clock_timestamp() + $4 * interval '1 millisecond',
         last_run_at = CASE WHEN ${fresh} OR t.last_run_at IS NULL THEN clock_timestamp() ELSE t.last_run_at END,
         run_events = CASE WHEN ${fresh} THEN 0 ELSE t.run_events END,
         run_pages = CASE WHEN ${fresh} THEN 0 ELSE t.run_pages END
       WHERE (t.run_token IS NULL OR t.run_expires_at < clock_timestamp()) AND NOT ${done}
       RETURNING checkpoint, run_events, run_pages`,
      [sourceId, vendor, token, this.#staleAfterMs, plannedAfter !== undefined, plannedAfter ?? null],
    );
    const row = rows[0];
    if (row !== undefined) return { checkpoint: row.checkpoint ?? undefined, events: Number(row.run_events), pages: row.run_pages };
    // Busy or done: which, as the row is now (a second statement only on this rare path; a run
    // that ended in between makes this one "done", which it is).
    if (plannedAfter === undefined) return "busy";
    const { rows: state } = await db.query<{ done: boolean }>(`SELECT ${doneWith("$2", "$3")} AS done FROM ${s}.sources AS t WHERE t.source_id = $1`, [sourceId, true, plannedAfter]);
    return state[0]?.done ? "done" : "busy";
  }

  /** Extends the lease; false when this run lost it. */
  async heartbeat(db: Sql, sourceId: string, token: string): Promise<boolean> {
    const { rowCount } = await db.query(
      `UPDATE ${this.#schema}.sources SET run_expires_at = clock_timestamp() + $3 * interval '1 millisecond' WHERE source_id = $1 AND run_token = $2`,
      [sourceId, token, this.#staleAfterMs],
    );
    return rowCount > 0;
  }

  /**
   * Commits a page (or `pages` of them, the run's last with its watermark): its events into
   * `events` (default sink; `eventsJson` undefined for a custom sink, which wrote `written` events
   * itself) and its checkpoint, if this run still holds the
   * lease. One statement, so one round trip and one transaction: the lease row is locked first
   * (a takeover in between is seen), events go in only with it, and the run's last commit, a
   * complete checkpoint, also records the watermark and the success and releases the lease (the
   * run is over once it commits: a separate release would be one more round trip per run, and a
   * worker killed between the two would hold a finished source until the lease expired). Returns
   * how many events were new.
   */
  async commitPage(db: Sql, sourceId: string, token: string, vendor: string, eventsJson: string | undefined, checkpoint: Checkpoint, written: number, pages = 1): Promise<number> {
    const s = this.#schema;
    const { rows } = await db.query<{ added: string }>(
      `WITH lease AS (
         SELECT source_id FROM ${s}.sources WHERE source_id = $1 AND run_token = $2 FOR UPDATE
       ), inserted AS (
         INSERT INTO ${s}.events (source_id, id, vendor, occurred_at, event)
         SELECT $1, e->>'id', $3, (e->>'occurredAt')::timestamptz, e FROM jsonb_array_elements($4::jsonb) e
         WHERE EXISTS (SELECT 1 FROM lease)
         ON CONFLICT (source_id, id) DO NOTHING
         RETURNING 1
       ), n AS (SELECT count(*) + $5::bigint AS added FROM inserted)
       UPDATE ${s}.sources SET checkpoint = $6, events = events + n.added, run_events = run_events + n.added, run_pages = run_pages + $10::integer,
         run_token = CASE WHEN $8 THEN NULL ELSE run_token END,
         run_expires_at = CASE WHEN $8 THEN NULL ELSE clock_timestamp() + $7 * interval '1 millisecond' END,
         watermark = CASE WHEN $8 THEN $9::timestamptz ELSE watermark END,
         last_success_at = CASE WHEN $8 THEN clock_timestamp() ELSE last_success_at END,
         last_error = CASE WHEN $8 THEN NULL ELSE last_error END
       FROM n, lease WHERE ${s}.sources.source_id = lease.source_id
       RETURNING n.added`,
      [sourceId, token, vendor, eventsJson ?? "[]", written, checkpoint, this.#staleAfterMs, checkpoint.complete === true, checkpoint.watermark, pages],
    );
    if (rows.length === 0) throw new LeaseLostError(`source ${sourceId}: another worker took this run over`);
    return Number(rows[0]!.added);
  }

  /** Ends a run that read to its end (its last commit recorded the watermark): the lease goes. */
  async release(db: Sql, sourceId: string, token: string): Promise<void> {
    await db.query(`UPDATE ${this.#schema}.sources SET run_token = NULL, run_expires_at = NULL WHERE source_id = $1 AND run_token = $2`, [sourceId, token]);
  }

  /** Ends a failed run: the error is recorded, the committed checkpoint stays for the next run. */
  async fail(db: Sql, sourceId: string, token: string, message: string): Promise<{ events: number; pages: number }> {
    const { rows } = await db.query<{ run_events: string; run_pages: number }>(
      `UPDATE ${this.#schema}.sources SET last_error = $3, run_token = NULL, run_expires_at = NULL
       WHERE source_id = $1 AND run_token = $2 RETURNING run_events, run_pages`,
      [sourceId, token, message],
    );
    const row = rows[0];
    return { events: Number(row?.run_events ?? 0), pages: row?.run_pages ?? 0 };
  }

  /** Hands a run back at once (a graceful stop): another worker resumes it from the last commit. */
  async handBack(db: Sql, sourceId: string, token: string): Promise<void> {
    await this.release(db, sourceId, token);
  }

  /** Every source the database knows, for status(). */
  async all(db: Sql): Promise<SourceRow[]> {
    const { rows } = await db.query<SourceRow>(
      `SELECT source_id, vendor, last_run_at, last_success_at, last_error, watermark, events, clock_timestamp() AS now
       FROM ${this.#schema}.sources ORDER BY source_id`,
    );
    return rows;
  }
}

export interface SourceRow {
  source_id: string;
  vendor: string;
  last_run_at: Date | null;
  last_success_at: Date | null;
  last_error: string | null;
  watermark: Date | null;
  events: string;
  now: Date;
}

/**
 * A page's events as the JSON array the insert unpacks. PostgreSQL's text, and so jsonb, cannot
 * hold U+0000: a page with one would fail its insert on every run, for good. It is stored as
 * U+FFFD (a custom sink gets the event as read). The checkpoint column is json, which keeps its
 * text as given, so a cursor holding U+0000 resumes exactly.
 */
export function eventsJson(events: AuditEvent[]): string {
  const text = JSON.stringify(events);
  // JSON.stringify writes U+0000 as the escape \u0000, and a backslash as \\: an escape is a
  // backslash after an even run of escaped backslashes.
  return text.includes("\\u0000") ? text.replace(/(?<!\\)((?:\\\\)*)\\u0000/g, "$1\\ufffd") : text;
}
