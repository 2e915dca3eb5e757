// The fleet's guarantees across processes (DESIGN §11), on a real PostgreSQL and real pg-boss:
// worker processes pointed at one database, the simulator behind a proxy that records which run
// sent each request. A worker SIGKILLed mid-run loses nothing and duplicates nothing; two
// collectors never run one source at once.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createSimulator } from "../src/testing/index.js";
import { buildWorker, startProxy, startWorker, type WorkerConfig, type WorkerProcess } from "./collector-fixtures.js";
import { usePostgres } from "./postgres.js";

const database = usePostgres("collector_fleet");
let worker: ReturnType<typeof buildWorker>;
const running: WorkerProcess[] = [];
const closing: (() => Promise<void>)[] = [];

beforeAll(() => {
  worker = buildWorker();
});
afterAll(async () => {
  await Promise.all(running.map((w) => w.kill()));
  for (const close of closing) await close();
  worker?.remove();
});

async function until<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function spawnWorker(config: WorkerConfig): WorkerProcess {
  const w = startWorker(worker.file, config);
  running.push(w);
  return w;
}

describe("a worker killed mid-run", () => {
  test("loses nothing and duplicates nothing: its run is taken over after staleAfterMs and resumes from its last committed page", async () => {
    const sim = createSimulator({ vendors: ["jitsudo"], eventsPerVendor: 300, rateLimit: false, latencyMs: 40, seed: 11 });
    const server = await sim.listen();
    // The victim's run gets no more answers once it is chosen: it cannot finish between being
    // chosen and being killed (it would, and the takeover test would test nothing).
    const held = new Set<string>();
    const proxy = await startProxy(server.url, (req) => held.has(/collector-test \S+ (\S+)/.exec(String(req.headers["user-agent"]))?.[1] ?? ""));
    closing.push(() => proxy.close(), () => server.close());
    const ids = [0, 1, 2, 3, 4, 5].map((i) => `acct-${i}`);
    const config: WorkerConfig = {
      connectionString: database.connectionString,
      schema: "killed",
      staleAfterMs: 10_000,
      workers: 2,
      sources: ids.map((id) => ({
        id,
        vendor: "jitsudo",
        every: "1h",
        params: { pageSize: 10 },
        // One chain (no time slices): 30 pages in a row, so the takeover's first request is the
        // chain's next page, with its cursor.
        options: { ...server.credentials.jitsudo, baseUrl: proxy.url, rateLimit: false, maxRetries: 0, concurrency: 1 },
      })),
    };
    const workers = [spawnWorker(config), spawnWorker(config), spawnWorker(config)];
    await Promise.all(workers.map((w) => w.waitFor(/^READY/)));

    // Kill, without warning, a worker that holds a run with a few pages committed.
    const victim = await until(
      "a run with committed pages",
      async () => {
        const rows = await database.sql<{ source_id: string }>("SELECT source_id FROM killed.sources WHERE run_token IS NOT NULL AND run_pages BETWEEN 3 AND 20 AND last_success_at IS NULL");
        for (const row of rows) {
          const owner = workers.find((w) => w.lines.some((l) => l.includes(`run of ${row.source_id} started`)));
          const runId = proxy.observed.findLast((o) => o.sourceId === row.source_id)?.runId;
          if (owner && runId) {
            held.add(runId);
            return { owner, sourceId: row.source_id };
          }
        }
        return undefined;
      },
      30_000,
    );
    await victim.owner.kill();
    const [atKill] = await database.sql<{ run_pages: number; last_success_at: Date | null }>("SELECT run_pages, last_success_at FROM killed.sources WHERE source_id = $1", [victim.sourceId]);
    // Killed mid-run: its run had not finished.
    expect(atKill!.last_success_at).toBeNull();
    const killedAt = performance.now();

    // Every source's run completes, the victim's in another process.
    await until(
      "every source's run to succeed",
      async () => {
        const [row] = await database.sql<{ done: string }>("SELECT count(*) AS done FROM killed.sources WHERE last_success_at IS NOT NULL");
        return Number(row!.done) === ids.length;
      },
      90_000,
    );

    const expected = sim.events.jitsudo.map((e) => e.id).sort();
    for (const id of ids) {
      const rows = await database.sql<{ id: string }>("SELECT id FROM killed.events WHERE source_id = $1 ORDER BY id", [id]);
      expect(rows.map((r) => r.id), id).toEqual(expected);
    }
    const counters = await database.sql<{ source_id: string; events: string; run_pages: number }>("SELECT source_id, events, run_pages FROM killed.sources");
    for (const row of counters) expect(Number(row.events), row.source_id).toBe(expected.length);

    // The takeover continued the run: its first request asked for a later page, not the first one.
    const after = proxy.observed.filter((o) => o.sourceId === victim.sourceId && o.startedAt > killedAt);
    expect(after.length).toBeGreaterThan(0);
    expect(new URL(after[0]!.url, "http://x").searchParams.get("cursor")).not.toBeNull();
    // ... and no page was read twice by the run that finished, beyond the one in flight at the kill.
    const victimRow = counters.find((r) => r.source_id === victim.sourceId)!;
    expect(victimRow.run_pages).toBeGreaterThanOrEqual(atKill!.run_pages);
    // Each source was due once (every 1h), and ran once: three processes all saw each new source
    // due at start, and a run one of them queued while another's was active used to start a second,
    // fresh run once the first ended.
    for (const id of ids) {
      const fresh = workers.flatMap((w) => w.lines.filter((l) => l.endsWith(`run of ${id} started`)));
      expect(fresh, id).toHaveLength(1);
    }
    const survivors = workers.filter((w) => w !== victim.owner);
    expect(survivors.some((w) => w.lines.some((l) => l.includes(`run of ${victim.sourceId} started (resuming after`)))).toBe(true);
    await Promise.all(survivors.map((w) => w.stop()));
  }, 150_000);
});

describe("two collectors", () => {
  test("never run one source at once", async () => {
    const sim = createSimulator({ vendors: ["jitsudo"], eventsPerVendor: 40, rateLimit: false, latencyMs: 150, seed: 5 });
    const server = await sim.listen();
    const proxy = await startProxy(server.url);
    closing.push(() => proxy.close(), () => server.close());
    const config: WorkerConfig = {
      connectionString: database.connectionString,
      schema: "exclusive",
      staleAfterMs: 10_000,
      workers: 3,
      sources: ["s1", "s2"].map((id) => ({
        id,
        vendor: "jitsudo",
        // Due every second in both processes: each would start it without the fleet's exclusion.
        every: "1s",
        params: { pageSize: 10, lagMs: 0 },
        options: { ...server.credentials.jitsudo, baseUrl: proxy.url, rateLimit: false, maxRetries: 0 },
      })),
    };
    const a = spawnWorker(config);
    const b = spawnWorker(config);
    await Promise.all([a.waitFor(/^READY/), b.waitFor(/^READY/)]);
    await until("ten runs", async () => new Set(proxy.observed.map((o) => o.runId)).size >= 10 && proxy.observed.every((o) => o.endedAt > 0), 60_000);
    await Promise.all([a.stop(), b.stop()]);

    // Each run's span, from its first request to its last response.
    const spans = new Map<string, { sourceId: string; start: number; end: number }>();
    for (const o of proxy.observed) {
      const span = spans.get(o.runId) ?? { sourceId: o.sourceId, start: o.startedAt, end: o.endedAt };
      span.start = Math.min(span.start, o.startedAt);
      span.end = Math.max(span.end, o.endedAt || Infinity);
      spans.set(o.runId, span);
    }
    for (const source of ["s1", "s2"]) {
      const runs = [...spans.values()].filter((s) => s.sourceId === source).sort((x, y) => x.start - y.start);
      expect(runs.length, source).toBeGreaterThanOrEqual(2);
      for (let i = 1; i < runs.length; i++) expect(runs[i]!.start, `${source} run ${i} started before run ${i - 1} ended`).toBeGreaterThanOrEqual(runs[i - 1]!.end);
    }
    // Both processes ran some: the exclusion held across processes, not within one.
    expect(a.lines.some((l) => /run of s\d succeeded/.test(l))).toBe(true);
    expect(b.lines.some((l) => /run of s\d succeeded/.test(l))).toBe(true);
    for (const source of ["s1", "s2"]) {
      const rows = await database.sql<{ n: string }>("SELECT count(*) AS n FROM exclusive.events WHERE source_id = $1", [source]);
      expect(Number(rows[0]!.n)).toBe(sim.events.jitsudo.length);
    }
  }, 120_000);
});
