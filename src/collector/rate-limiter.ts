/**
 * A token bucket in PostgreSQL: every process of a fleet reading one vendor account takes its
 * tokens from one row, so together they stay under the account's limit, and a 429 seen by one
 * empties the bucket for all (DESIGN §11, shared rate limits).
 *
 * Time is the database's (`clock_timestamp()`), never a process's, so clock skew between machines
 * cannot mint tokens. The bucket matches the in-process one (src/core/rate-limit.ts): refilled at
 * `requestsPerMinute`, holding one token less than a minute's worth, so a vendor bucket that
 * started counting a moment later than ours is never overdrawn.
 */
import { abortReason, sleepOrAbort, systemClock } from "../internal/clock.js";
import type { RateLimiter } from "../core/rate-limit.js";
import type { Sql } from "./database.js";

/** The `RateLimiter` a client takes as `rateLimit` (DESIGN §11), with `penalize` always there. */
export type SharedRateLimiter = Required<RateLimiter>;

export function rateLimitTableSql(schema: string): string {
  return `CREATE TABLE IF NOT EXISTS ${schema}.rate_limits (
    key text PRIMARY KEY,
    tokens double precision NOT NULL,
    updated_at timestamptz NOT NULL,
    blocked_until timestamptz
  )`;
}

/** The shared bucket `key`, refilled at `requestsPerMinute`. */
export function postgresRateLimiter(db: Sql, schema: string, key: string, requestsPerMinute: number, onError?: (error: unknown) => void): SharedRateLimiter {
  const capacity = Math.max(1, requestsPerMinute - 1);
  const perMs = requestsPerMinute / 60_000;
  let created: Promise<unknown> | undefined;
  // One statement takes a token or says how long until one is there: refill since the last
  // update, then take one if it is whole and no penalty is running. The row lock serializes
  // takers across processes.
  const take = `
    UPDATE ${schema}.rate_limits b SET
      tokens = CASE WHEN x.avail >= 1 - 1e-9 AND (b.blocked_until IS NULL OR x.t >= b.blocked_until) THEN x.avail - 1 ELSE x.avail END,
      updated_at = x.t
    FROM (
      SELECT r.key, n.t, LEAST($2::float8, r.tokens + GREATEST(0, EXTRACT(EPOCH FROM (n.t - r.updated_at)) * 1000) * $3::float8) AS avail
      FROM ${schema}.rate_limits r, (SELECT clock_timestamp() AS t) n
      WHERE r.key = $1
      FOR UPDATE OF r
    ) x
    WHERE b.key = x.key
    RETURNING
      (x.avail >= 1 - 1e-9 AND (b.blocked_until IS NULL OR x.t >= b.blocked_until)) AS granted,
      GREATEST(
        CASE WHEN b.blocked_until IS NULL THEN 0 ELSE EXTRACT(EPOCH FROM (b.blocked_until - x.t)) * 1000 END,
        (1 - x.avail) / $3::float8
      ) AS wait_ms`;
  const ensure = () =>
    (created ??= db
      .query(`INSERT INTO ${schema}.rate_limits (key, tokens, updated_at) VALUES ($1, $2, clock_timestamp()) ON CONFLICT (key) DO NOTHING`, [key, capacity])
      .catch((error: unknown) => {
        created = undefined;
        throw error;
      }));
  return {
    async acquire(signal) {
      await ensure();
      for (;;) {
        if (signal?.aborted) throw abortReason(signal);
        const { rows } = await db.query<{ granted: boolean; wait_ms: number }>(take, [key, capacity, perMs]);
        const row = rows[0];
        if (row === undefined) {
          // The row was deleted under us (a reset by an operator): make it again.
          created = undefined;
          await ensure();
          continue;
        }
        if (row.granted) return;
        await sleepOrAbort(systemClock, Math.max(1, Math.ceil(Number(row.wait_ms))), signal);
      }
    },
    penalize(retryAfterMs) {
      const ms = Math.max(0, Math.min(retryAfterMs, 3_600_000));
      void ensure()
        .then(() =>
          db.query(
            `UPDATE ${schema}.rate_limits SET tokens = 0, updated_at = clock_timestamp(),
               blocked_until = GREATEST(COALESCE(blocked_until, clock_timestamp()), clock_timestamp() + $2 * interval '1 millisecond')
             WHERE key = $1`,
            [key, ms],
          ),
        )
        .catch((error: unknown) => onError?.(error));
    },
  };
}
