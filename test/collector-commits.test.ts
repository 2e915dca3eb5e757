// The collector's round trips per page, against a real PostgreSQL (test/postgres.ts): statements
// prepared by name, the run's last commit releasing the lease, the last page committed with the
// watermark in one transaction, and the commits of a run that stops (page-commits.ts).
import pg from "pg";
import { afterAll, beforeAll, describe, expect, test, vi } from "vitest";
import type { Checkpoint } from "../src/core/checkpoint.js";
import type { AuditEvent } from "../src/core/event.js";
import { createCollector, type Collector, type CollectorSource } from "../src/collector/index.js";
import { openDatabase } from "../src/collector/database.js";
import { PageCommits } from "../src/collector/page-commits.js";
import { createTables, LeaseKeeper, SourceState } from "../src/collector/tables.js";
import { createSimulator } from "../src/testing/index.js";
import { startProxy } from "./collector-fixtures.js";
import { usePostgres } from "./postgres.js";

const database = usePostgres("collector_commits_test");
const sim = createSimulator({ vendors: ["jitsudo"], eventsPerVendor: 120, rateLimit: false, seed: 11 });
let server: Awaited<ReturnType<typeof sim.listen>>;
const open: Collector[] = [];

beforeAll(async () => {
  server = await sim.listen();
});
afterAll(async () => {
  await Promise.all(open.map((c) => c.stop()));
  await server?.close();
});

function collector(schema: string, sources: CollectorSource[]): Collector {
  const c = createCollector({ connectionString: database.connectionString, schema, sources, staleAfterMs: 10_000 });
  open.push(c);
  return c;
}

const checkpoint = (complete: boolean, state = "c1"): Checkpoint =>
  ({ version: 1, vendor: "jitsudo", scope: "x", since: null, until: "2026-01-02T00:00:00.000Z", watermark: "2026-01-01T00:00:00.000Z", position: complete ? null : { state, skip: 0 }, complete, seen: {} }) as unknown as Checkpoint;

describe("statements", () => {
  test("a statement with parameters is prepared by name once per connection; one without is not", async () => {
    const db = await openDatabase({ connectionString: database.connectionString, dataDir: "", poolSize: 1 });
    try {
      await db.query("SELECT $1::int + 1 AS n", [1]);
      expect((await db.query<{ n: number }>("SELECT $1::int + 1 AS n", [2])).rows).toEqual([{ n: 3 }]);
      await db.query("SELECT $1::text AS t", ["x"]);
      // One connection (poolSize 1): the session that ran them.
      const { rows } = await db.query<{ name: string; statement: string }>("SELECT name, statement FROM pg_prepared_statements ORDER BY statement");
      expect(rows.map((r) => r.statement)).toEqual(["SELECT $1::int + 1 AS n", "SELECT $1::text AS t"]);
      expect(rows.every((r) => /^auditlogs_[0-9a-f]{24}$/.test(r.name))).toBe(true);
      expect(new Set(rows.map((r) => r.name)).size).toBe(2);
      // A prepared statement that fails leaves the connection usable, and runs again.
      await expect(db.query("SELECT 1 / $1::int AS n", [0])).rejects.toThrow(/division by zero/);
      expect((await db.query<{ n: number }>("SELECT 1 / $1::int AS n", [1])).rows).toEqual([{ n: 1 }]);
    } finally {
      await db.close();
    }
  });
});

describe("the run's last commit", () => {
  test("releases the lease with the watermark, in the same statement; a page's commit keeps it", async () => {
    const db = await openDatabase({ connectionString: database.connectionString, dataDir: "", poolSize: 2 });
    try {
      await createTables(db, "release");
      const state = new SourceState("release", 10_000);
      expect(await state.acquire(db, "s", "jitsudo", "run-a")).toMatchObject({ pages: 0 });
      await state.commitPage(db, "s", "run-a", "jitsudo", undefined, checkpoint(false), 0);
      expect(await state.acquire(db, "s", "jitsudo", "run-b")).toBe("busy");
      await state.commitPage(db, "s", "run-a", "jitsudo", JSON.stringify([{ id: "1", occurredAt: "2026-01-01T00:00:00.000Z" }]), checkpoint(true), 0, 2);
      // Nothing else ran: the next run takes the source at once.
      const [row] = await database.sql<{ run_token: string | null; run_expires_at: Date | null; run_pages: number; last_success_at: Date | null }>(
        "SELECT run_token, run_expires_at, run_pages, last_success_at FROM release.sources",
      );
      expect(row).toMatchObject({ run_token: null, run_expires_at: null, run_pages: 3 });
      expect(row!.last_success_at).toBeInstanceOf(Date);
      expect(await state.acquire(db, "s", "jitsudo", "run-b")).toMatchObject({ pages: 0, checkpoint: { complete: true } });
    } finally {
      await db.close();
    }
  });

  test("a run's pages commit each in a transaction of its own, and the last page with the watermark: one statement fewer", async () => {
    const c = collector("merged", [{ id: "j", vendor: "jitsudo", every: "1h", params: { pageSize: 50 }, options: { ...server.credentials.jitsudo, rateLimit: false, maxRetries: 0 } }]);
    const summary = c.run("j");
    await c.start();
    expect(await summary).toMatchObject({ status: "succeeded", events: 120, pages: 3 });
    // Rows a transaction wrote carry its id (xmin): 50, 50 and 20 events in three transactions,
    // and the source row (the watermark, the lease released) last written by the third.
    const events = await database.sql<{ tx: string; n: string }>("SELECT xmin::text AS tx, count(*) AS n FROM merged.events GROUP BY xmin ORDER BY min(occurred_at)");
    expect(events.map((e) => Number(e.n))).toEqual([50, 50, 20]);
    const [source] = await database.sql<{ tx: string; run_token: string | null; run_pages: number; events: string }>("SELECT xmin::text AS tx, run_token, run_pages, events FROM merged.sources");
    expect(source).toMatchObject({ tx: events[2]!.tx, run_token: null, run_pages: 4, events: "120" });
  });

  test("a run that fails mid-way keeps every page it read before the failure; the next run reads only the rest", async () => {
    let failing = true;
    let requests = 0;
    const proxy = await startProxy(server.url, (_req, res) => {
      requests += 1;
      if (!failing || requests < 3) return false;
      res.writeHead(500, { "content-type": "application/json" }).end("{}");
      return true;
    });
    try {
      const c = collector("failing", [{ id: "j", vendor: "jitsudo", every: "1h", params: { pageSize: 50 }, options: { ...server.credentials.jitsudo, baseUrl: proxy.url, rateLimit: false, maxRetries: 0 } }]);
      const failed = c.run("j");
      await c.start();
      expect(await failed).toMatchObject({ status: "failed", events: 100, pages: 2 });
      expect((await c.status())[0]).toMatchObject({ events: 100 });
      failing = false;
      const before = requests;
      // It continues the failed run (its counts too) from page 2's checkpoint, which resumes
      // past page 2's records (a position is a page's request and how many of its records are
      // in): page 2's request again, then page 3's.
      expect(await c.run("j")).toMatchObject({ status: "succeeded", events: 120 });
      expect(proxy.observed.slice(before).map((o) => o.url)).toEqual([proxy.observed[1]!.url, proxy.observed[2]!.url]);
      const [count] = await database.sql<{ n: string; distinct_ids: string }>("SELECT count(*) AS n, count(DISTINCT id) AS distinct_ids FROM failing.events");
      expect(count).toEqual({ n: "120", distinct_ids: "120" });
    } finally {
      await proxy.close();
    }
  });
});

describe("the schedule", () => {
  test("asks the database nothing while no source can be due", async () => {
    // Every statement of this process that reads the sources' last runs (the schedule's query).
    let reads = 0;
    // The reads made up to the first one whose answer showed the run (its last_run_at set).
    let readsWhenSeen: number | undefined;
    const query = pg.Client.prototype.query;
    const spy = vi.spyOn(pg.Client.prototype, "query").mockImplementation(function (this: pg.Client, ...args: unknown[]) {
      const text = typeof args[0] === "string" ? args[0] : (args[0] as { text?: string } | undefined)?.text;
      if (text?.includes("FROM quiet.sources WHERE source_id = ANY")) {
        reads += 1;
        const seen = (result: { rows: { last_run_at: Date | null }[] } | undefined) => {
          if (readsWhenSeen === undefined && result?.rows.some((r) => r.last_run_at !== null)) readsWhenSeen = reads;
        };
        // pg's pool passes a callback; a client called without one answers with a promise.
        const callback = args.at(-1);
        if (typeof callback === "function") {
          args[args.length - 1] = (error: unknown, result: { rows: { last_run_at: Date | null }[] } | undefined) => {
            if (!error) seen(result);
            return (callback as (...a: unknown[]) => unknown)(error, result);
          };
        } else {
          const answer = (query as (...a: unknown[]) => unknown).apply(this, args) as Promise<{ rows: { last_run_at: Date | null }[] }>;
          void answer.then(seen, () => undefined);
          return answer;
        }
      }
      return (query as (...a: unknown[]) => unknown).apply(this, args);
    } as typeof query);
    try {
      const c = collector("quiet", [{ id: "j", vendor: "jitsudo", every: "1h", params: { pageSize: 50 }, options: { ...server.credentials.jitsudo, rateLimit: false, maxRetries: 0 } }]);
      const summary = c.run("j");
      await c.start();
      expect(await summary).toMatchObject({ status: "succeeded", events: 120 });
      // Once a read has shown the run (next turn in an hour), the ticks (one a second) skip the
      // query: however the ticks fell around the run's end, no read follows that one.
      while (readsWhenSeen === undefined) await new Promise((resolve) => setTimeout(resolve, 100));
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      expect(reads).toBe(readsWhenSeen);
    } finally {
      spy.mockRestore();
    }
  });
});

describe("PageCommits", () => {
  const page = (id: string) => [{ id } as unknown as AuditEvent];
  const recorder = () => {
    const calls: { ids: string[]; complete: boolean; pages: number }[] = [];
    let fail: unknown;
    const commits = new PageCommits(async (events, cp, pages) => {
      await Promise.resolve();
      if (fail !== undefined) throw fail;
      calls.push({ ids: events.map((e) => e.id), complete: cp.complete, pages });
    });
    return { calls, commits, failWith: (error: unknown) => (fail = error) };
  };
  /** One turn of the event loop: what a page that needs a request waits at least. */
  const turn = () => new Promise((resolve) => setImmediate(resolve));

  test("the last page goes in with the watermark when the end comes in the same turn; a page read later commits on its own first", async () => {
    const { calls, commits } = recorder();
    await commits.write(page("a"), checkpoint(false));
    await turn();
    expect(calls).toEqual([{ ids: ["a"], complete: false, pages: 1 }]);
    await commits.write(page("b"), checkpoint(false, "c2"));
    // The stream knew at once that b was the last page.
    await commits.write([], checkpoint(true));
    expect(calls).toEqual([
      { ids: ["a"], complete: false, pages: 1 },
      { ids: ["b"], complete: true, pages: 2 },
    ]);
  });

  test("a page the stream had ready sends the held one first, in order, one commit at a time", async () => {
    const { calls, commits } = recorder();
    await commits.write(page("a"), checkpoint(false));
    await commits.write(page("b"), checkpoint(false, "c2"));
    expect(calls.map((c) => c.ids)).toEqual([["a"]]);
    await turn();
    await commits.write([], checkpoint(true));
    expect(calls).toEqual([
      { ids: ["a"], complete: false, pages: 1 },
      { ids: ["b"], complete: false, pages: 1 },
      { ids: [], complete: true, pages: 1 },
    ]);
  });

  test("settle() commits the page still held; after a failed commit nothing more is committed and the failure is thrown", async () => {
    const a = recorder();
    await a.commits.write(page("a"), checkpoint(false));
    await a.commits.settle();
    expect(a.calls).toEqual([{ ids: ["a"], complete: false, pages: 1 }]);

    const b = recorder();
    await b.commits.write(page("a"), checkpoint(false));
    const lost = new Error("lease lost");
    b.failWith(lost);
    await turn();
    await turn();
    await expect(b.commits.write(page("b"), checkpoint(false, "c2"))).rejects.toBe(lost);
    await expect(b.commits.settle()).rejects.toBe(lost);
    expect(b.calls).toEqual([]);
  });
});

describe("LeaseKeeper", () => {
  test("beats only when no commit has extended the lease for a third of staleAfterMs", () => {
    vi.useFakeTimers();
    try {
      let now = 0;
      const beats: number[] = [];
      const keeper = new LeaseKeeper(6_000, () => beats.push(now), () => now);
      const advance = (ms: number) => {
        for (let i = 0; i < ms / 100; i++) {
          now += 100;
          vi.advanceTimersByTime(100);
        }
      };
      // Commits every second: never a beat.
      for (let i = 0; i < 10; i++) {
        advance(1_000);
        keeper.extended();
      }
      expect(beats).toEqual([]);
      // No commit from 10 s on (a slow page): a beat within half of staleAfterMs, and on.
      advance(9_000);
      expect(beats.length).toBeGreaterThanOrEqual(3);
      expect(beats[0]! - 10_000).toBeLessThanOrEqual(3_000);
      for (let i = 1; i < beats.length; i++) expect(beats[i]! - beats[i - 1]!).toBeLessThanOrEqual(3_000);
      keeper.stop();
      advance(6_000);
      expect(beats.length).toBeLessThanOrEqual(5);
    } finally {
      vi.useRealTimers();
    }
  });
});
