// auditlogs/collector (DESIGN §11) in one process, on a real PostgreSQL (test/postgres.ts) and the
// simulator on 127.0.0.1: configuration checked before the database, runs that write each event
// once with its checkpoint, status(), rotated secrets, and nothing secret in any table.
import { createServer, type Server } from "node:http";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, test, vi } from "vitest";
import { ConfigError } from "../src/core/errors.js";
import { createCollector, type Collector, type CollectorSource } from "../src/collector/index.js";
import { createSimulator } from "../src/testing/index.js";
import { cursorPagination, defineVendor } from "../src/define.js";
import * as z from "zod/mini";
import { forward, startProxy } from "./collector-fixtures.js";
import { usePostgres } from "./postgres.js";

const database = usePostgres("collector_test");
const sim = createSimulator({ vendors: ["jitsudo", "pylon", "cortex"], eventsPerVendor: 120, rateLimit: false, seed: 7 });
let server: Awaited<ReturnType<typeof sim.listen>>;
const open: Collector[] = [];

beforeAll(async () => {
  server = await sim.listen();
});
afterAll(async () => {
  await Promise.all(open.map((c) => c.stop()));
  await server?.close();
});

function collector(schema: string, sources: CollectorSource[], extra: Record<string, unknown> = {}): Collector {
  const c = createCollector({ connectionString: database.connectionString, schema, sources, staleAfterMs: 10_000, ...extra });
  open.push(c);
  return c;
}

const jitsudo = () => ({ ...server.credentials.jitsudo, rateLimit: false as const, maxRetries: 0 });

/**
 * Starts `c` with a run of `id` queued first, and resolves to that run's summary: start() waits
 * for run() calls still queueing, so the schedule's own first run (due at once for a new source)
 * cannot go first and leave run() the next one, which would find nothing new.
 */
async function startWithRun(c: Collector, id: string, options?: { workers?: number }) {
  const run = c.run(id);
  await c.start(options);
  return run;
}

describe("createCollector validates every source before touching the database", () => {
  // The connection string points nowhere: a check that reached the database would fail differently.
  const base = { connectionString: "postgres://u:pw@127.0.0.1:1/x" };
  const ok = { id: "a", vendor: "jitsudo", options: { baseUrl: "http://127.0.0.1:9", apiKey: "k", tenantId: "2489e9ad-2ee2-4e00-8ec9-32d5f69181c0" } } as const;
  const cases: [string, unknown[], string][] = [
    ["duplicate id", [ok, { ...ok }], "sources[1].id"],
    ["unknown vendor", [ok, { ...ok, id: "b", vendor: "okta" }], "sources[1].vendor"],
    ["bad every", [ok, { ...ok, id: "b" }, { ...ok, id: "c", every: "5 minutes" }], "sources[2].every"],
    ["cron out of range", [{ ...ok, every: "61 * * * *" }], "sources[0].every"],
    ["missing options", [{ id: "a", vendor: "pylon" }], "sources[0].options"],
    ["missing credential", [{ id: "a", vendor: "pylon", options: {} }], "sources[0].options.apiToken"],
    ["bad id", [{ ...ok, id: "a b" }], "sources[0].id"],
    ["unknown param", [{ ...ok, params: { until: "2026-01-01T00:00:00Z" } }], "sources[0].params.until"],
    ["misspelt option (a config file's typo)", [{ ...ok, options: { ...ok.options, timeoutMS: 5000 } }], "sources[0].options.timeoutMS"],
  ];
  for (const [name, sources, path] of cases) {
    test(name, () => {
      let caught: unknown;
      try {
        createCollector({ ...base, sources: sources as CollectorSource[] });
      } catch (error) {
        caught = error;
      }
      expect(ConfigError.isInstance(caught)).toBe(true);
      expect((caught as ConfigError).option).toBe(path);
      expect((caught as Error).message.startsWith(`${path}: `)).toBe(true);
    });
  }

  test("a misspelt key is refused and asked about, at every level (conectionString would have run on the embedded database)", async () => {
    const messageOf = (fn: () => unknown): string => {
      try {
        fn();
      } catch (error) {
        expect(ConfigError.isInstance(error)).toBe(true);
        return (error as Error).message;
      }
      throw new Error("not refused");
    };
    expect(messageOf(() => createCollector({ conectionString: "postgres://u@127.0.0.1:1/x", sources: [] } as never))).toBe(
      "conectionString: is not an option of createCollector(): did you mean connectionString? (its options: connectionString, dataDir, schema, sources, sink, staleAfterMs, logger)",
    );
    expect(messageOf(() => createCollector({ ...base, sources: [], staleAfterMS: 10_000 } as never))).toMatch(/^staleAfterMS: is not an option of createCollector\(\): did you mean staleAfterMs\?/);
    expect(messageOf(() => createCollector({ ...base, sources: [], workers: 4 } as never))).toMatch(/^workers: is not an option of createCollector\(\) \(its options: /);
    expect(messageOf(() => createCollector({ ...base, sources: [{ ...ok, evry: "5m" } as never] }))).toMatch(/^sources\[0\]\.evry: is not a source option: did you mean every\? \(expected /);
    expect(messageOf(() => createCollector({ ...base, sources: [{ ...ok, params: { sinse: "2026-01-01T00:00:00Z" } } as never] }))).toMatch(/^sources\[0\]\.params\.sinse: is not a source param: did you mean since\? \(expected /);
    // A key set to undefined is no key (a config spread from optional parts).
    const c = createCollector({ ...base, sources: [], extra: undefined } as never);
    const error = await c.start({ workes: 2 } as never).then(() => undefined, (e: unknown) => e);
    expect(ConfigError.isInstance(error)).toBe(true);
    expect((error as Error).message).toBe("workes: is not an option of start(): did you mean workers? (its one option is workers)");
    await c.stop();
  });

  test("accepts intervals and cron expressions", () => {
    for (const every of ["30s", "5m", "1h", "*/5 * * * *", "0 3 * * MON-FRI", "*/30 * * * * *"]) {
      expect(() => createCollector({ ...base, sources: [{ ...ok, every }] })).not.toThrow();
    }
  });

  test("an unreachable database names host and port, never the password", async () => {
    const c = createCollector({ connectionString: "postgres://collector:hunter2-secret@127.0.0.1:1/db", sources: [] });
    const error = await c.status().then(() => undefined, (e: unknown) => e as Error);
    expect(error).toBeInstanceOf(Error);
    expect(error!.message).toContain("127.0.0.1:1");
    expect(error!.message).not.toContain("hunter2");
    expect(JSON.stringify(error, Object.getOwnPropertyNames(error))).not.toContain("hunter2");
    await c.stop();
  });
});

describe("runs", () => {
  test("run() writes every event once with its checkpoint, and status() reports watermark and lag", async () => {
    const c = collector("runs", [{ id: "acme-jitsudo", vendor: "jitsudo", options: jitsudo(), params: { pageSize: 25, lagMs: 60_000 } }]);
    const first = await startWithRun(c, "acme-jitsudo", { workers: 1 });
    expect(first).toEqual({ sourceId: "acme-jitsudo", status: "succeeded", events: 120, pages: 5 });
    const rows = await database.sql<{ id: string; vendor: string; occurred_at: Date; event: { id: string } }>("SELECT id, vendor, occurred_at, event FROM runs.events WHERE source_id = 'acme-jitsudo'");
    expect(rows.map((r) => r.id).sort()).toEqual(sim.events.jitsudo.map((e) => e.id).sort());
    expect(rows.every((r) => r.vendor === "jitsudo" && r.event.id === r.id && r.occurred_at instanceof Date)).toBe(true);

    // A next run reads only what is new: nothing, then the late arrivals.
    expect(await c.run("acme-jitsudo")).toMatchObject({ status: "succeeded", events: 0 });
    // Late arrivals inside the lag zone (the last lagMs) are caught by the next run.
    sim.addEvents("jitsudo", 3, { occurredAt: new Date(Date.now() - 30_000) });
    expect(await c.run("acme-jitsudo")).toMatchObject({ status: "succeeded", events: 3 });
    const [total] = await database.sql<{ count: string }>("SELECT count(*) FROM runs.events");
    expect(Number(total!.count)).toBe(123);

    const [status] = await c.status();
    expect(status).toMatchObject({ sourceId: "acme-jitsudo", vendor: "jitsudo", lastError: null, events: 123 });
    expect(Date.parse(status!.lastSuccessAt!)).toBeGreaterThan(Date.now() - 60_000);
    // The watermark trails now by the source's lagMs; lagMs is how far.
    expect(status!.lagMs).toBeGreaterThanOrEqual(60_000);
    expect(Date.now() - Date.parse(status!.watermark!)).toBeGreaterThanOrEqual(status!.lagMs!);
  });

  test("run() called before start() is the run that reads: start() waits for its job to be queued", async () => {
    // run()'s job is held on its way into the queue (its insert goes out 1.5 s late). A start()
    // that went ahead would schedule the source's first run, a worker would take that one, and
    // run()'s job would queue behind it and read nothing new (events: 0).
    const query = pg.Client.prototype.query;
    let held = false;
    const spy = vi.spyOn(pg.Client.prototype, "query").mockImplementation(function (this: pg.Client, ...args: unknown[]) {
      const text = typeof args[0] === "string" ? args[0] : (args[0] as { text?: string } | undefined)?.text;
      const callback = args.at(-1);
      // run()'s job is the one whose data is only the source id (the schedule's carries `after`).
      const values = JSON.stringify(args[1] ?? null).replaceAll("\\", "");
      if (!held && typeof callback === "function" && text?.includes("INSERT INTO held.") && values.includes('"sourceId":"j"') && !values.includes("after")) {
        held = true;
        // Sent to the server 1.5 s late (with a callback, pg's query returns nothing).
        setTimeout(() => (query as (...a: unknown[]) => unknown).apply(this, args), 1_500);
        return undefined;
      }
      return (query as (...a: unknown[]) => unknown).apply(this, args);
    } as typeof query);
    try {
      const c = collector("held", [{ id: "j", vendor: "jitsudo", options: jitsudo(), params: { pageSize: 50 } }]);
      const summary = await startWithRun(c, "j");
      expect(held).toBe(true);
      expect(summary).toMatchObject({ status: "succeeded", events: sim.events.jitsudo.length });
    } finally {
      spy.mockRestore();
    }
  });

  test("a failed run is reported and recorded; the next run with good options succeeds", async () => {
    let apiKey = "wrong-key-do-not-store";
    const c = collector("failures", [{ id: "j", vendor: "jitsudo", options: () => ({ ...jitsudo(), apiKey }) }]);
    const failed = await startWithRun(c, "j");
    expect(failed.status).toBe("failed");
    expect(failed.error).toMatch(/AuthenticationError/);
    expect(failed.error).not.toContain(apiKey);
    expect((await c.status())[0]!.lastError).toMatch(/AuthenticationError/);
    apiKey = server.credentials.jitsudo.apiKey;
    expect(await c.run("j")).toMatchObject({ status: "succeeded", events: sim.events.jitsudo.length });
    expect((await c.status())[0]!.lastError).toBeNull();
  });
});

describe("a custom sink", () => {
  test("gets every page's events before its checkpoint commits; the events table stays empty", async () => {
    const written: string[] = [];
    let committedBeforeWrite = -1;
    const c = collector("custom", [{ id: "j", vendor: "jitsudo", options: jitsudo(), params: { pageSize: 40 } }], {
      sink: {
        async write(events: { id: string }[], context: { key: string }) {
          expect(context.key).toBe("j");
          // The source's committed count has not moved past what this sink already wrote.
          const [row] = await database.sql<{ events: string }>("SELECT events FROM custom.sources WHERE source_id = 'j'");
          committedBeforeWrite = Math.max(committedBeforeWrite, Number(row?.events ?? 0) - written.length);
          written.push(...events.map((e) => e.id));
        },
      },
    });
    const summary = await startWithRun(c, "j");
    expect(summary).toMatchObject({ status: "succeeded", events: sim.events.jitsudo.length });
    expect(new Set(written).size).toBe(sim.events.jitsudo.length);
    expect(committedBeforeWrite).toBe(0);
    expect(await database.sql("SELECT * FROM custom.events")).toEqual([]);
    expect((await c.status())[0]!.events).toBe(sim.events.jitsudo.length);
  });
});

describe("options as a function, called at every run", () => {
  // A vendor whose key rotates: the proxy accepts only the current key and forwards with the
  // simulator's own. A collector that kept the first run's options would be refused after rotation.
  let proxy: Server;
  let proxyUrl = "";
  let current = "key-one";
  const seen: string[] = [];
  beforeAll(async () => {
    proxy = createServer((req, res) => {
      const key = String(req.headers["x-api-key"]);
      seen.push(key);
      if (key !== current) {
        res.writeHead(401, { "content-type": "application/json" }).end('{"error":{"code":"unauthorized","message":"bad key"}}');
        return;
      }
      forward(req, res, server.url, { "x-api-key": server.credentials.jitsudo.apiKey });
    });
    await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
    proxyUrl = `http://127.0.0.1:${(proxy.address() as { port: number }).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => proxy.close(() => resolve())));

  test("a secret rotated between runs takes effect without a restart, and is stored nowhere", async () => {
    let calls = 0;
    const c = collector("rotation", [
      {
        id: "rotating",
        vendor: "jitsudo",
        params: { pageSize: 50 },
        options: async () => {
          calls += 1;
          return { ...jitsudo(), baseUrl: proxyUrl, apiKey: current };
        },
      },
    ]);
    expect(await startWithRun(c, "rotating")).toMatchObject({ status: "succeeded", events: sim.events.jitsudo.length });
    current = "key-two";
    sim.addEvents("jitsudo", 2, { occurredAt: new Date(Date.now() - 60_000) });
    expect(await c.run("rotating")).toMatchObject({ status: "succeeded", events: 2 });
    expect(calls).toBe(2);
    expect(seen).toContain("key-one");
    expect(seen).toContain("key-two");
    expect(seen.filter((k) => k !== "key-one" && k !== "key-two")).toEqual([]);

    // No credential in any table of the schema, pg-boss's job rows (data and output) included.
    const secrets = ["key-one", "key-two", server.credentials.jitsudo.apiKey];
    const tables = await database.sql<{ table_name: string }>("SELECT table_name FROM information_schema.tables WHERE table_schema = 'rotation'");
    expect(tables.map((t) => t.table_name)).toEqual(expect.arrayContaining(["events", "sources", "rate_limits", "job"]));
    for (const { table_name } of tables) {
      const dump = JSON.stringify(await database.sql(`SELECT * FROM rotation."${table_name}"`));
      for (const secret of secrets) expect(dump, `rotation.${table_name}`).not.toContain(secret);
    }
  });
});

describe("the run lease", () => {
  test("a run that lost its source to another worker commits nothing more", async () => {
    const { createTables, SourceState, LeaseLostError } = await import("../src/collector/tables.js");
    const { openDatabase } = await import("../src/collector/database.js");
    const db = await openDatabase({ connectionString: database.connectionString, dataDir: "", poolSize: 2 });
    try {
      await createTables(db, "fence");
      const state = new SourceState("fence", 10_000);
      expect(await state.acquire(db, "s", "jitsudo", "run-a")).toEqual({ checkpoint: undefined, events: 0, pages: 0 });
      // A live run holds it: another cannot take it.
      expect(await state.acquire(db, "s", "jitsudo", "run-b")).toBe("busy");
      const checkpoint = { version: 1, vendor: "jitsudo", scope: "x", since: null, until: "2026-01-02T00:00:00.000Z", watermark: "2026-01-01T00:00:00.000Z", position: { state: "c1", skip: 0 }, complete: false, seen: {} } as const;
      const event = (id: string) => ({ id, occurredAt: "2026-01-01T00:00:00.000Z", vendor: "jitsudo" });
      expect(await state.commitPage(db, "s", "run-a", "jitsudo", JSON.stringify([event("1"), event("2")]), checkpoint, 0)).toBe(2);
      // Run a is presumed dead: its lease expired and run b took the source over.
      await db.query("UPDATE fence.sources SET run_expires_at = clock_timestamp() - interval '1 second'");
      expect(await state.acquire(db, "s", "jitsudo", "run-b")).toMatchObject({ checkpoint: { position: { state: "c1" } }, events: 2, pages: 1 });
      await expect(state.commitPage(db, "s", "run-a", "jitsudo", JSON.stringify([event("3")]), { ...checkpoint, position: { state: "c2", skip: 0 } }, 0)).rejects.toBeInstanceOf(LeaseLostError);
      const rows = await database.sql<{ id: string }>("SELECT id FROM fence.events ORDER BY id");
      expect(rows.map((r) => r.id)).toEqual(["1", "2"]);
      const [row] = await database.sql<{ checkpoint: { position: { state: string } }; events: string }>("SELECT checkpoint, events FROM fence.sources");
      expect(row!.checkpoint.position.state).toBe("c1");
      expect(Number(row!.events)).toBe(2);
    } finally {
      await db.close();
    }
  });
});

describe("a run the schedule queued", () => {
  test("ends without reading when a run started after it was queued and read to the end; a takeover (whatever was committed) and a due run still run", async () => {
    const { createTables, SourceState } = await import("../src/collector/tables.js");
    const { openDatabase } = await import("../src/collector/database.js");
    const db = await openDatabase({ connectionString: database.connectionString, dataDir: "", poolSize: 2 });
    try {
      await createTables(db, "planned");
      const state = new SourceState("planned", 10_000);
      const lastRun = async () => (await database.sql<{ us: string }>("SELECT (extract(epoch FROM last_run_at) * 1000000)::bigint::text AS us FROM planned.sources WHERE source_id = 's'"))[0]!.us;
      const row = async () => (await database.sql<{ run_token: string | null; run_pages: number }>("SELECT run_token, run_pages FROM planned.sources WHERE source_id = 's'"))[0]!;
      const checkpoint = (complete: boolean) =>
        ({ version: 1, vendor: "jitsudo", scope: "x", since: null, until: "2026-01-02T00:00:00.000Z", watermark: "2026-01-01T00:00:00.000Z", position: complete ? null : { state: "c1", skip: 0 }, complete, seen: {} }) as const;

      // Two processes saw the new source due (no run yet) and both queued it; the first runs it.
      expect(await state.acquire(db, "s", "jitsudo", "run-a", null)).toMatchObject({ pages: 0 });
      const started = await lastRun();
      // The second's job reaches a worker while the first is live: busy, retried later.
      expect(await state.acquire(db, "s", "jitsudo", "run-b", null)).toBe("busy");
      await state.commitPage(db, "s", "run-a", "jitsudo", undefined, checkpoint(false), 0);
      await state.commitPage(db, "s", "run-a", "jitsudo", undefined, checkpoint(true), 0);
      await state.release(db, "s", "run-a");
      // Retried after the first ended: done, and the source is as the first run left it: not
      // even rewritten (its row version, xmin, is still the one the first run's release wrote).
      const version = async () => (await database.sql<{ xmin: string }>("SELECT xmin::text FROM planned.sources WHERE source_id = 's'"))[0]!.xmin;
      const released = await version();
      expect(await state.acquire(db, "s", "jitsudo", "run-b", null)).toBe("done");
      expect(await version()).toBe(released);
      expect(await lastRun()).toBe(started);
      expect(await row()).toEqual({ run_token: null, run_pages: 2 });

      // Queued by a schedule that saw that run (its next turn): a new run.
      expect(await state.acquire(db, "s", "jitsudo", "run-c", started)).toMatchObject({ pages: 0 });
      expect(await lastRun()).not.toBe(started);
      await state.commitPage(db, "s", "run-c", "jitsudo", undefined, checkpoint(false), 0);
      // run-c dies mid-run; the job queued before it started is the takeover, not "done": the
      // run has not read to its end.
      await db.query("UPDATE planned.sources SET run_expires_at = clock_timestamp() - interval '1 second'");
      expect(await state.acquire(db, "s", "jitsudo", "run-d", started)).toMatchObject({ pages: 1, checkpoint: { complete: false } });
      await state.commitPage(db, "s", "run-d", "jitsudo", undefined, checkpoint(true), 0);
      await state.release(db, "s", "run-d");
      const afterD = await lastRun();
      // A run asked for by run(id) (no schedule view) always runs. run-e dies before its first
      // commit: the checkpoint is still run-d's complete one, but run-e did not end. A job queued
      // before run-e started is its takeover (from run-d's watermark), not "done".
      expect(await state.acquire(db, "s", "jitsudo", "run-e")).toMatchObject({ pages: 0 });
      await db.query("UPDATE planned.sources SET run_expires_at = clock_timestamp() - interval '1 second'");
      expect(await state.acquire(db, "s", "jitsudo", "run-f", afterD)).toMatchObject({ pages: 0, checkpoint: { complete: true } });
      expect((await row()).run_token).toBe("run-f");

      // The very first run dies before any commit (no checkpoint at all): the other job queued
      // for it takes it over too.
      expect(await state.acquire(db, "t", "jitsudo", "first", null)).toMatchObject({ pages: 0 });
      await db.query("UPDATE planned.sources SET run_expires_at = clock_timestamp() - interval '1 second' WHERE source_id = 't'");
      expect(await state.acquire(db, "t", "jitsudo", "second", null)).toMatchObject({ pages: 0, checkpoint: undefined });
    } finally {
      await db.close();
    }
  });

  test("a superseded job reads nothing, and run(id) waiting on one queues a run of its own", async () => {
    const own = createSimulator({ vendors: ["jitsudo"], eventsPerVendor: 120, rateLimit: false, seed: 9 });
    const ownServer = await own.listen();
    const proxy = await startProxy(ownServer.url);
    const { PgBoss } = await import("pg-boss");
    const boss = new PgBoss({ connectionString: database.connectionString, schema: "superseded" });
    boss.on("error", () => undefined);
    try {
      const c = collector("superseded", [{ id: "s", vendor: "jitsudo", every: "1h", params: { pageSize: 50 }, options: { ...ownServer.credentials.jitsudo, rateLimit: false, maxRetries: 0, baseUrl: proxy.url } }]);
      // (Which run reads the 120 events, run(id)'s or the schedule's first, is a race: run(id)
      // resolves with a run that started after it was called.)
      expect(await startWithRun(c, "s")).toMatchObject({ status: "succeeded" });
      expect((await c.status())[0]).toMatchObject({ sourceId: "s", events: 120 });
      await boss.start();
      // Another process's schedule queued the source before that run started (it saw no run yet),
      // and its job arrives now: done at once, without a request.
      const job = async (id: string) => {
        for (;;) {
          const [found] = await boss.findJobs("collector-run", { id });
          if (found?.state === "completed") return found.output;
          await new Promise((r) => setTimeout(r, 100));
        }
      };
      // (The schedule of this very collector may have queued it already: it too saw no run yet.)
      const before = proxy.observed.length;
      const stale =
        (await boss.send("collector-run", { sourceId: "s", after: null }, { singletonKey: "s" })) ??
        (await boss.findJobs<{ after?: unknown }>("collector-run", { key: "s", queued: true })).find((j) => j.data.after === null)?.id;
      expect(await job(stale!)).toEqual({ sourceId: "s", superseded: true });
      expect(proxy.observed.length).toBe(before);
      expect((await c.status())[0]).toMatchObject({ sourceId: "s", events: 120 });

      // run(id) finds such a job queued (due in a moment) and waits for it; it is superseded, so
      // run(id) queues its own, which reads.
      const later = await boss.send("collector-run", { sourceId: "s", after: null }, { singletonKey: "s", startAfter: 1 });
      const summary = await c.run("s");
      expect(await job(later!)).toEqual({ sourceId: "s", superseded: true });
      expect(summary).toMatchObject({ sourceId: "s", status: "succeeded", events: 0 });
      expect(summary.pages).toBeGreaterThan(0);
      expect(proxy.observed.length).toBeGreaterThan(before);
    } finally {
      await boss.stop({ graceful: false });
      await proxy.close();
      await ownServer.close();
    }
  });
});

describe("a fleet whose processes configure different sources", () => {
  test("a worker given a job of a source its process does not configure hands it on: no retry spent, the process that has the source runs it", async () => {
    const { PgBoss } = await import("pg-boss");
    const boss = new PgBoss({ connectionString: database.connectionString, schema: "sharded" });
    boss.on("error", () => undefined);
    const lines: string[] = [];
    const logger = { debug: (m: string) => lines.push(m), info: (m: string) => lines.push(m), warn: (m: string) => lines.push(m) };
    try {
      const a = collector("sharded", [{ id: "a", vendor: "jitsudo", every: "1h", options: jitsudo() }], { logger });
      const b = collector("sharded", [{ id: "b", vendor: "pylon", every: "1h", options: { ...server.credentials.pylon, rateLimit: false, maxRetries: 0 } }]);
      await a.start();
      // b's run is queued before b's process works: a's worker is the only one to take it.
      const run = b.run("b");
      await vi.waitFor(() => expect(lines.filter((l) => l.includes("run of b was handed on"))).not.toEqual([]), { timeout: 30_000, interval: 50 });
      await b.start();
      expect(await run).toMatchObject({ sourceId: "b", status: "succeeded", events: 120 });
      await boss.start();
      const jobs = await boss.findJobs<{ hops?: number }>("collector-run", { key: "b" });
      expect(jobs.filter((j) => j.state === "completed" && (j.output as { handedOn?: boolean }).handedOn === true)).not.toEqual([]);
      expect(jobs.map((j) => j.data.hops ?? 0)).toContain(1);
      // No job of b failed, or waits out a retry's backoff, and none spent a retry.
      for (const job of jobs) {
        expect(["created", "active", "completed"]).toContain(job.state);
        expect(job.retryCount).toBe(0);
      }
      expect(lines.join("\n")).not.toMatch(/run of b (started|succeeded|failed)/);
    } finally {
      await boss.stop({ graceful: false });
    }
  });

  test("a job goes round with its hop count, and is dropped with a warning once no process has taken it in 100 hand-ons", async () => {
    const { PgBoss } = await import("pg-boss");
    const boss = new PgBoss({ connectionString: database.connectionString, schema: "sharded_limit" });
    boss.on("error", () => undefined);
    const warnings: string[] = [];
    try {
      const a = collector("sharded_limit", [{ id: "a", vendor: "jitsudo", every: "1h", options: jitsudo() }], { logger: { warn: (m: string) => warnings.push(m) } });
      await a.start();
      await boss.start();
      const ended = async (id: string) => {
        for (;;) {
          const [found] = await boss.findJobs("collector-run", { id });
          if (found?.state === "completed") return found.output;
          // Failed, or waiting out a retry's backoff, it would have spent a retry.
          expect(["created", "active"]).toContain(found?.state);
          await new Promise((r) => setTimeout(r, 50));
        }
      };
      const goingRound = await boss.send("collector-run", { sourceId: "elsewhere", hops: 7 }, { singletonKey: "elsewhere" });
      expect(await ended(goingRound!)).toEqual({ sourceId: "elsewhere", superseded: true, handedOn: true });
      const copies = await boss.findJobs<{ sourceId: string; hops?: number }>("collector-run", { key: "elsewhere" });
      expect(copies.map((j) => j.data)).toContainEqual({ sourceId: "elsewhere", hops: 8 });

      const last = await boss.send("collector-run", { sourceId: "gone", hops: 100 }, { singletonKey: "gone" });
      expect(await ended(last!)).toEqual({ sourceId: "gone", superseded: true });
      expect(await boss.findJobs("collector-run", { key: "gone", queued: true })).toEqual([]);
      expect(warnings.join("\n")).toContain("a run of gone was dropped: no process took it after 100 hand-ons (about 50 minutes)");
    } finally {
      await boss.stop({ graceful: false });
    }
  });
});

describe("a record holding U+0000, which PostgreSQL's text cannot", () => {
  // A server whose records and cursors carry NUL: jsonb refuses "\u0000", so a page with one used
  // to fail its commit on every run, for good.
  const records = Array.from({ length: 5 }, (_, i) => ({ uuid: `n${i}`, at: `2026-01-01T00:00:0${i}Z`, kind: `user.update\u0000${i}`, note: i === 2 ? "\\u0000 is text, not NUL" : "ok" }));
  const nul = defineVendor({
    id: "nul",
    baseUrl: "http://127.0.0.1:9",
    secrets: ["apiKey"],
    auth: (options: { apiKey: string }) => ({ "X-Key": options.apiKey }),
    pagination: cursorPagination({
      envelope: z.object({ items: z.array(z.unknown()), next: z.nullable(z.string()) }),
      path: "/logs",
      query: (_ctx, cursor) => ({ after: cursor }),
      records: (body) => body.items,
      next: (body) => body.next ?? undefined,
    }),
    normalize: (record: { uuid: string; at: string; kind: string }) => ({ id: record.uuid, occurredAt: record.at, action: record.kind }),
  });
  let nulServer: Server;
  let origin = "";
  const cursors: (string | null)[] = [];
  beforeAll(async () => {
    nulServer = createServer((req, res) => {
      const after = new URL(req.url ?? "/", "http://x").searchParams.get("after");
      cursors.push(after);
      // Cursors "\u0000<n>": the position is after the NUL.
      const from = after === null ? 0 : Number(after.slice(1));
      const next = from + 2 < records.length ? `\u0000${from + 2}` : null;
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ items: records.slice(from, from + 2), next }));
    });
    await new Promise<void>((resolve) => nulServer.listen(0, "127.0.0.1", resolve));
    origin = `http://127.0.0.1:${(nulServer.address() as { port: number }).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => nulServer.close(() => resolve())));

  test("is stored as U+FFFD in the events table, and a cursor holding one resumes exactly", async () => {
    let calls = 0;
    const c = collector("nul", [{ id: "n", vendor: nul, options: { apiKey: "k", baseUrl: origin, maxRetries: 0, rateLimit: false } }]);
    expect(await startWithRun(c, "n")).toMatchObject({ status: "succeeded", events: 5 });
    const rows = await database.sql<{ id: string; event: { action: string; raw: { note: string } } }>("SELECT id, event FROM nul.events ORDER BY id");
    expect(rows.map((r) => r.event.action)).toEqual(records.map((_, i) => `user.update\ufffd${i}`));
    // A backslash and "u0000" in the text stay what they were.
    expect(rows[2]!.event.raw.note).toBe("\\u0000 is text, not NUL");
    const [row] = await database.sql<{ checkpoint: string }>("SELECT checkpoint::text AS checkpoint FROM nul.sources WHERE source_id = 'n'");
    expect(JSON.parse(row!.checkpoint)).toMatchObject({ vendor: "nul", complete: true });
    calls = cursors.length;
    // The next run starts from the stored cursor, NUL and all: the server sees it as it sent it.
    expect(await c.run("n")).toMatchObject({ status: "succeeded" });
    expect(cursors.slice(calls).every((cursor) => cursor === null || /^\u0000\d+$/.test(cursor))).toBe(true);
    expect(cursors.slice(calls).some((cursor) => cursor !== null)).toBe(true);
  });
});
