// DESIGN §11 `collect()`: one incremental run. It resumes from `store.load(key)`, and for every
// page awaits `sink.write(events, { key, checkpoint })` before `store.save(key, checkpoint)`; the
// finished run's watermark is saved last. A crash anywhere repeats at most the page in flight and
// loses nothing; a sink with `writeWithCheckpoint` commits both at once, exactly once. Every
// vendor, against the simulator over msw; crashes are injected at every step of a run, and a
// child process is SIGKILLed at every step with the file store.
import { spawn } from "node:child_process";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { http, HttpResponse } from "msw";
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, describe, expect, onTestFinished, test } from "vitest";
import {
  collect,
  ConfigError,
  ConnectionError,
  createClient,
  createPylonClient,
  fileCheckpointStore,
  memoryCheckpointStore,
  UserAbortError,
  type AuditEvent,
  type Checkpoint,
  type CheckpointStore,
  type ClientOptions,
  type CollectSink,
  type SinkContext,
} from "../src/index.js";
import { cursorPagination, defineVendor } from "../src/define.js";
import { createSimulator } from "../src/testing/index.js";
import * as z from "zod/mini";
import { VENDOR_IDS, type VendorId } from "../src/core/vendor-id.js";
import { bundle } from "./child-fixtures.js";
import { fakeClock, rejectionOf } from "./http-fixtures.js";

const DAY = 86_400_000;
const COUNT = 23;
const sim = createSimulator({ eventsPerVendor: COUNT, seed: 11, rateLimit: false });
const server = setupServer(...sim.handlers);
beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

const SINCE = new Date(Date.now() - 8 * DAY);
/** Several pages per run: 5 events a page, or for Datafold (no pages) one window a day. */
function paramsFor(vendor: VendorId): { since: Date; lagMs: number; pageSize?: number; windowMs?: number } {
  return { since: SINCE, lagMs: 0, ...(vendor === "datafold" ? { windowMs: DAY } : { pageSize: 5 }) };
}

function clientFor(vendor: VendorId, overrides: Record<string, unknown> = {}) {
  return createClient({ vendor, ...sim.credentials[vendor], rateLimit: false, maxRetries: 0, ...overrides } as ClientOptions);
}

/** Where events land: every delivery kept, so duplicates are visible. */
class Table {
  readonly deliveries: string[][] = [];
  sink(): { contexts: SinkContext[]; write(events: AuditEvent[], context: SinkContext): Promise<void> } {
    const contexts: SinkContext[] = [];
    return {
      contexts,
      write: async (events, context) => {
        contexts.push(structuredClone(context));
        this.deliveries.push(events.map((e) => e.id));
      },
    };
  }
  counts(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const ids of this.deliveries) for (const id of ids) counts.set(id, (counts.get(id) ?? 0) + 1);
    return counts;
  }
}

type Op = "load" | "write" | "save";
interface Step {
  op: Op;
  /** 0-based page index, or "final" for the watermark's save. */
  page: number | "final";
  ids: string[];
}

class Crash extends Error {
  override name = "Crash";
}

/**
 * Wraps a store and a sink so that the `at`th call (0-based, over load/write/save in the order
 * collect makes them) throws a Crash: before it takes effect, or after. Records every step.
 */
function instrument(store: CheckpointStore, sink: CollectSink, crash?: { at: number; when: "before" | "after" }) {
  const steps: Step[] = [];
  const saved: Checkpoint[] = [];
  let page = 0;
  const step = async <T>(op: Op, ids: string[], effect: () => Promise<T>): Promise<T> => {
    const index = steps.length;
    steps.push({ op, page: op === "load" ? 0 : page, ids });
    if (crash?.at === index && crash.when === "before") throw new Crash(`before ${op}`);
    const value = await effect();
    if (crash?.at === index && crash.when === "after") throw new Crash(`after ${op}`);
    return value;
  };
  const wrappedStore: CheckpointStore = {
    load: (key) => step("load", [], () => store.load(key)),
    save: (key, checkpoint) =>
      step("save", [], async () => {
        await store.save(key, checkpoint);
        saved.push(structuredClone(checkpoint));
        if (checkpoint.complete) steps[steps.length - 1]!.page = "final";
        else page += 1;
      }),
  };
  const wrappedSink: CollectSink = {
    write: (events, context) => step("write", events.map((e) => e.id), () => sink.write!(events, context)),
  };
  return { store: wrappedStore, sink: wrappedSink, steps, saved };
}

/** The ids a clean run of `vendor` delivers, and the steps it takes. */
async function reference(vendor: VendorId) {
  const table = new Table();
  const probe = instrument(memoryCheckpointStore(), table.sink());
  await collect({ client: clientFor(vendor), key: "k", store: probe.store, sink: probe.sink, params: paramsFor(vendor) });
  // A step's page is known once its save ran: number the writes after the fact.
  let page = 0;
  for (const s of probe.steps) {
    if (s.op === "write") s.page = page;
    if (s.op === "save" && s.page !== "final") page += 1;
  }
  return { ids: table.deliveries.flat(), steps: probe.steps };
}

describe.each(VENDOR_IDS)("%s", (vendor) => {
  test("a first run delivers every event once, page by page, each write before its page's save; the watermark is saved last", async () => {
    const table = new Table();
    const store = memoryCheckpointStore();
    const probe = instrument(store, table.sink());
    const result = await collect({ client: clientFor(vendor), key: "acme", store: probe.store, sink: probe.sink, params: paramsFor(vendor) });

    expect(new Set(table.deliveries.flat()).size).toBe(COUNT);
    expect(table.deliveries.flat()).toHaveLength(COUNT);
    expect(sim.events[vendor]).toHaveLength(COUNT);
    const ops = probe.steps.map((s) => s.op);
    expect(ops[0]).toBe("load");
    expect(ops.at(-1)).toBe("save");
    // Every write is followed directly by a save, and the sink was told the checkpoint that save stored.
    ops.forEach((op, i) => op === "write" && expect(ops[i + 1]).toBe("save"));
    expect(probe.saved.at(-1)!.complete).toBe(true);
    expect(probe.saved.slice(0, -1).every((c) => !c.complete)).toBe(true);
    expect(result.pages).toBe(probe.saved.length - 1);
    expect(result.pages).toBeGreaterThan(2);
    expect(result.events).toBe(COUNT);
    expect(result.key).toBe("acme");
    expect(result.watermark).toBe(probe.saved.at(-1)!.watermark);
    expect(await store.load("acme")).toEqual(probe.saved.at(-1));

    // The next run resumes from the watermark: nothing new, nothing delivered again.
    const again = await collect({ client: clientFor(vendor), key: "acme", store, sink: table.sink(), params: paramsFor(vendor) });
    expect(again.events).toBe(0);
    expect(table.deliveries.flat()).toHaveLength(COUNT);
  });

  test("a crash before or after every load, write and save: the rerun delivers the rest; only a written but unsaved page comes twice", async () => {
    const { ids: all, steps } = await reference(vendor);
    expect(steps.length).toBeGreaterThan(5);
    for (let at = 0; at < steps.length; at++) {
      for (const when of ["before", "after"] as const) {
        const step = steps[at]!;
        const table = new Table();
        const store = memoryCheckpointStore();
        const crashed = instrument(store, table.sink(), { at, when });
        const error = await rejectionOf(collect({ client: clientFor(vendor), key: "k", store: crashed.store, sink: crashed.sink, params: paramsFor(vendor) }));
        expect(error, `${when} step ${at} (${step.op})`).toBeInstanceOf(Crash);
        // The store holds the last checkpoint saved before the crash, whatever the crash was.
        expect(await store.load("k")).toEqual(crashed.saved.at(-1));

        await collect({ client: clientFor(vendor), key: "k", store, sink: table.sink(), params: paramsFor(vendor) });
        const counts = table.counts();
        expect([...counts.keys()].sort(), `${when} ${step.op} ${at}: every event delivered`).toEqual([...all].sort());
        // The page in flight is the one written and not yet saved: after its write, or before its save.
        const inFlight = step.op === "write" && when === "after" ? step.ids : step.op === "save" && when === "before" && step.page !== "final" ? pageIds(steps, step.page as number) : [];
        const twice = [...counts].filter(([, n]) => n > 1).map(([id]) => id);
        expect(twice.sort(), `${when} ${step.op} ${at}: duplicates`).toEqual([...inFlight].sort());
        expect(Math.max(...counts.values())).toBeLessThanOrEqual(2);
      }
    }
  });

  test("a request that fails at any point of a run: the rerun delivers the rest, none twice", async () => {
    const client = clientFor(vendor);
    const { ids: all } = await reference(vendor);
    await collect({ client, key: "count", store: memoryCheckpointStore(), sink: new Table().sink(), params: paramsFor(vendor) });
    const requests = client.stats.requests;
    for (let failing = 1; failing <= requests; failing++) {
      let n = 0;
      server.use(
        http.all("*", () => {
          n += 1;
          return n === failing ? HttpResponse.error() : undefined;
        }),
      );
      const table = new Table();
      const store = memoryCheckpointStore();
      const error = await rejectionOf(collect({ client: clientFor(vendor), key: "k", store, sink: table.sink(), params: paramsFor(vendor) }));
      expect(ConnectionError.isInstance(error), `request ${failing}: ${error.message}`).toBe(true);
      server.resetHandlers();
      await collect({ client: clientFor(vendor), key: "k", store, sink: table.sink(), params: paramsFor(vendor) });
      expect(table.deliveries.flat().sort(), `request ${failing} failed`).toEqual([...all].sort());
    }
  });

  test("writeWithCheckpoint commits events and checkpoint at once: exactly once through a crash at every commit; write and store.save are never called", async () => {
    const { ids: all } = await reference(vendor);
    const clean = new TransactionalSink();
    await collect({ client: clientFor(vendor), key: "k", store: clean.store, sink: clean, params: paramsFor(vendor) });
    const commits = clean.calls;
    expect(commits.at(-1)!.events).toEqual([]);
    expect(commits.at(-1)!.checkpoint.complete).toBe(true);
    expect(commits.every((c) => c.key === "k")).toBe(true);
    expect(clean.ids().sort()).toEqual([...all].sort());

    for (let at = 0; at < commits.length; at++) {
      for (const when of ["before", "after"] as const) {
        const sink = new TransactionalSink({ at, when });
        const error = await rejectionOf(collect({ client: clientFor(vendor), key: "k", store: sink.store, sink, params: paramsFor(vendor) }));
        expect(error).toBeInstanceOf(Crash);
        sink.crash = undefined;
        await collect({ client: clientFor(vendor), key: "k", store: sink.store, sink, params: paramsFor(vendor) });
        const ids = sink.ids();
        expect(ids.sort(), `${when} commit ${at}`).toEqual([...all].sort());
      }
    }
  });
});

/** The ids of page `page` in a reference run. */
function pageIds(steps: Step[], page: number): string[] {
  return steps.find((s) => s.op === "write" && s.page === page)?.ids ?? [];
}

/** A sink that keeps events and checkpoint in one transaction, like a database table would. */
class TransactionalSink {
  rows = new Map<string, AuditEvent>();
  checkpoint: Checkpoint | undefined;
  calls: Array<{ events: string[]; key: string; checkpoint: Checkpoint }> = [];
  constructor(public crash?: { at: number; when: "before" | "after" }) {}
  readonly store: CheckpointStore = {
    load: async () => (this.checkpoint ? structuredClone(this.checkpoint) : undefined),
    save: async () => {
      throw new Error("store.save must not be called when the sink has writeWithCheckpoint");
    },
  };
  async write(): Promise<void> {
    throw new Error("write must not be called when the sink has writeWithCheckpoint");
  }
  async writeWithCheckpoint(events: AuditEvent[], key: string, checkpoint: Checkpoint): Promise<void> {
    const index = this.calls.length;
    this.calls.push({ events: events.map((e) => e.id), key, checkpoint });
    if (this.crash?.at === index && this.crash.when === "before") throw new Crash("before commit");
    for (const event of events) {
      // A primary key: a second insert of an id would be a duplicate, which exactly once forbids.
      if (this.rows.has(event.id)) throw new Error(`duplicate ${event.id}`);
      this.rows.set(event.id, event);
    }
    this.checkpoint = structuredClone(checkpoint);
    if (this.crash?.at === index && this.crash.when === "after") throw new Crash("after commit");
  }
  ids(): string[] {
    return [...this.rows.keys()];
  }
}

describe("ordering of sink and store (pylon)", () => {
  const vendor = "pylon";

  test.each([1, 2, 3])("a sink that throws on page %i: the store holds the previous page's checkpoint; the rerun delivers that page once more and loses nothing", async (k) => {
    const { ids: all } = await reference(vendor);
    const store = memoryCheckpointStore();
    const table = new Table();
    const contexts: SinkContext[] = [];
    let page = 0;
    const failing: CollectSink = {
      write: async (events, context) => {
        page += 1;
        if (page === k) throw new Error(`sink down on page ${k}`);
        contexts.push(structuredClone(context));
        table.deliveries.push(events.map((e) => e.id));
      },
    };
    const error = await rejectionOf(collect({ client: clientFor(vendor), key: "k", store, sink: failing, params: paramsFor(vendor) }));
    expect(error.message).toBe(`sink down on page ${k}`);
    expect(table.deliveries).toHaveLength(k - 1);
    // Page k − 1's checkpoint (the one its write was told), or nothing before the first page.
    expect(await store.load("k")).toEqual(k === 1 ? undefined : contexts[k - 2]!.checkpoint);

    const rerun = table.sink();
    await collect({ client: clientFor(vendor), key: "k", store, sink: rerun, params: paramsFor(vendor) });
    expect(table.deliveries.flat().sort()).toEqual([...all].sort());
    expect(table.deliveries.flat()).toHaveLength(all.length);
  });

  test("a store whose save fails: the run stops there, and the page it could not save is delivered again by the rerun", async () => {
    const inner = memoryCheckpointStore();
    let saves = 0;
    const store: CheckpointStore = {
      load: (key) => inner.load(key),
      save: async (key, checkpoint) => {
        saves += 1;
        if (saves === 2) throw new Error("disk full");
        await inner.save(key, checkpoint);
      },
    };
    const table = new Table();
    await expect(collect({ client: clientFor(vendor), key: "k", store, sink: table.sink(), params: paramsFor(vendor) })).rejects.toThrow("disk full");
    expect(table.deliveries).toHaveLength(2);
    const second = table.deliveries[1]!;
    await collect({ client: clientFor(vendor), key: "k", store: inner, sink: table.sink(), params: paramsFor(vendor) });
    const counts = table.counts();
    expect([...counts].filter(([, n]) => n === 2).map(([id]) => id).sort()).toEqual([...second].sort());
  });

  test("pages without events are saved without a write", async () => {
    const table = new Table();
    const probe = instrument(memoryCheckpointStore(), table.sink());
    // A filter that leaves nothing: every page's events are empty.
    await collect({ client: clientFor(vendor), key: "k", store: probe.store, sink: probe.sink, params: { ...paramsFor(vendor), since: new Date(Date.now() - 60_000) } });
    expect(probe.steps.filter((s) => s.op === "write")).toEqual([]);
    expect(probe.steps.filter((s) => s.op === "save").length).toBeGreaterThan(1);
  });

  test("the result counts requests and retries of this run, and lagMs is now − watermark", async () => {
    let n = 0;
    server.use(
      http.all("https://api.usepylon.com/*", () => {
        n += 1;
        return n === 2 ? HttpResponse.json({ error: "boom" }, { status: 500 }) : undefined;
      }),
    );
    const clock = fakeClock(Date.now());
    const client = createPylonClient({ ...sim.credentials.pylon, rateLimit: false, maxRetries: 1, clock });
    const before = Date.now();
    const result = await collect({ client, key: "k", store: memoryCheckpointStore(), sink: new Table().sink(), params: paramsFor(vendor) });
    const after = Date.now();
    expect(result.retries).toBe(1);
    expect(result.requests).toBe(n);
    expect(result.requests).toBe(result.pages + 1);
    const watermark = Date.parse(result.watermark);
    expect(result.lagMs).toBeGreaterThanOrEqual(before - watermark);
    expect(result.lagMs).toBeLessThanOrEqual(after - watermark);
    // A second run on the same client counts only its own requests.
    const second = await collect({ client, key: "k2", store: memoryCheckpointStore(), sink: new Table().sink(), params: paramsFor(vendor) });
    expect(second.requests).toBe(second.pages);
    expect(second.retries).toBe(0);
  });

  test("params.signal and signal both stop it; the store keeps the page that was delivered when the abort came", async () => {
    for (const where of ["signal", "params.signal"] as const) {
      const controller = new AbortController();
      const store = memoryCheckpointStore();
      const table = new Table();
      const inner = table.sink();
      const sink: CollectSink = {
        write: async (events, context) => {
          await inner.write(events, context);
          if (table.deliveries.length === 2) controller.abort();
        },
      };
      const params = { ...paramsFor(vendor), ...(where === "params.signal" ? { signal: controller.signal } : {}) };
      const error = await rejectionOf(collect({ client: clientFor(vendor), key: "k", store, sink, params, ...(where === "signal" ? { signal: controller.signal } : {}) }));
      expect(UserAbortError.isInstance(error), where).toBe(true);
      expect(table.deliveries).toHaveLength(2);
      expect(await store.load("k")).toEqual(inner.contexts[1]!.checkpoint);
    }
  });

  test("an abort while a page request is in flight rejects with UserAbortError and saves nothing past the last delivered page", async () => {
    const controller = new AbortController();
    let n = 0;
    server.use(
      http.all("https://api.usepylon.com/*", async () => {
        n += 1;
        if (n < 3) return undefined;
        controller.abort();
        // Never answers: only the abort ends this request.
        await new Promise(() => undefined);
      }),
    );
    const store = memoryCheckpointStore();
    const table = new Table();
    const sink = table.sink();
    const client = createPylonClient({ ...sim.credentials.pylon, rateLimit: false, maxRetries: 0, prefetch: 0 });
    const error = await rejectionOf(collect({ client, key: "k", store, sink, params: paramsFor(vendor), signal: controller.signal }));
    expect(UserAbortError.isInstance(error)).toBe(true);
    expect(table.deliveries).toHaveLength(2);
    expect(await store.load("k")).toEqual(sink.contexts[1]!.checkpoint);
  });

  test("an already aborted signal: nothing is loaded, requested or saved", async () => {
    const controller = new AbortController();
    controller.abort();
    const table = new Table();
    const probe = instrument(memoryCheckpointStore(), table.sink());
    const client = clientFor(vendor);
    const error = await rejectionOf(collect({ client, key: "k", store: probe.store, sink: probe.sink, signal: controller.signal }));
    expect(UserAbortError.isInstance(error)).toBe(true);
    expect(probe.steps).toEqual([]);
    expect(client.stats.requests).toBe(0);
  });

  test("a checkpoint of another vendor under the key is a ConfigError naming store, before any request", async () => {
    const store = memoryCheckpointStore();
    await collect({ client: clientFor("jitsudo"), key: "shared", store, sink: new Table().sink(), params: paramsFor("jitsudo") });
    const client = clientFor(vendor);
    const error = await rejectionOf(collect({ client, key: "shared", store, sink: new Table().sink() }));
    expect(ConfigError.isInstance(error)).toBe(true);
    expect((error as ConfigError).option).toBe("store");
    expect(error.message).toContain('"shared"');
    expect(error.message).toContain("jitsudo");
    expect(client.stats.requests).toBe(0);
  });
});

describe("a defineVendor vendor", () => {
  // A vendor of the user's own, on the same engine: collect() needs nothing special for it.
  const records = Array.from({ length: 7 }, (_, i) => ({ uuid: `t${i}`, at: `2026-01-01T00:00:0${i}Z`, kind: "user.update" }));
  const tiny = defineVendor({
    id: "tiny",
    baseUrl: "https://api.tiny.example",
    secrets: ["apiKey"],
    auth: (options: { apiKey: string }) => ({ "X-Tiny-Key": options.apiKey }),
    pageSize: { max: 50 },
    pagination: cursorPagination({
      envelope: z.object({ items: z.array(z.unknown()), next: z.nullable(z.string()) }),
      path: "/logs",
      query: (ctx, cursor) => ({ limit: ctx.pageSize ?? 2, after: cursor }),
      records: (body) => body.items,
      next: (body) => body.next ?? undefined,
    }),
    normalize: (record: { uuid: string; at: string; kind: string }) => ({ id: record.uuid, occurredAt: record.at, action: record.kind }),
  });

  test("a sink that fails on page 2, then a rerun: every event once more after the page in flight, none lost, its checkpoint refused to another vendor", async () => {
    server.use(
      http.get("https://api.tiny.example/logs", ({ request }) => {
        const after = Number(new URL(request.url).searchParams.get("after") ?? "0");
        const next = after + 2 < records.length ? String(after + 2) : null;
        return HttpResponse.json({ items: records.slice(after, after + 2), next });
      }),
    );
    const store = memoryCheckpointStore();
    const table = new Table();
    let pages = 0;
    const inner = table.sink();
    const flaky: CollectSink = {
      write: async (events, context) => {
        pages += 1;
        if (pages === 2) throw new Error("sink down");
        await inner.write(events, context);
      },
    };
    const client = () => tiny.createClient({ apiKey: "tiny_key_123456", rateLimit: false });
    const params = { since: "2026-01-01T00:00:00Z", lagMs: 0, pageSize: 2 };
    await expect(collect({ client: client(), key: "tiny", store, sink: flaky, params })).rejects.toThrow("sink down");
    const result = await collect({ client: client(), key: "tiny", store, sink: table.sink(), params });
    expect(table.deliveries.flat()).toEqual(records.map((r) => r.uuid));
    expect(result.events).toBe(5);
    const error = await rejectionOf(collect({ client: clientFor("pylon"), key: "tiny", store, sink: table.sink() }));
    expect((error as ConfigError).option).toBe("store");
  });
});

describe("bad input is a ConfigError naming the field, before the store or the vendor is asked", () => {
  const client = () => clientFor("pylon");
  const store = () => memoryCheckpointStore();
  const sink = () => new Table().sink();
  const cases: Array<[string, () => unknown, string | undefined]> = [
    ["no options", () => undefined, undefined],
    ["client missing", () => ({ key: "k", store: store(), sink: sink() }), "client"],
    ["client without pages()", () => ({ client: {}, key: "k", store: store(), sink: sink() }), "client"],
    ["key missing", () => ({ client: client(), store: store(), sink: sink() }), "key"],
    ["key empty", () => ({ client: client(), key: "", store: store(), sink: sink() }), "key"],
    ["key a number", () => ({ client: client(), key: 1, store: store(), sink: sink() }), "key"],
    ["store missing", () => ({ client: client(), key: "k", sink: sink() }), "store"],
    ["store without save", () => ({ client: client(), key: "k", store: { load: async () => undefined }, sink: sink() }), "store.save"],
    ["store.load not a function", () => ({ client: client(), key: "k", store: { load: 1, save: async () => undefined }, sink: sink() }), "store.load"],
    ["sink missing", () => ({ client: client(), key: "k", store: store() }), "sink"],
    ["sink without write", () => ({ client: client(), key: "k", store: store(), sink: {} }), "sink.write"],
    ["sink.write not a function", () => ({ client: client(), key: "k", store: store(), sink: { write: "x" } }), "sink.write"],
    ["sink.writeWithCheckpoint not a function", () => ({ client: client(), key: "k", store: store(), sink: { write: async () => undefined, writeWithCheckpoint: 1 } }), "sink.writeWithCheckpoint"],
    ["params not an object", () => ({ client: client(), key: "k", store: store(), sink: sink(), params: "x" }), "params"],
    ["params.resumeFrom", () => ({ client: client(), key: "k", store: store(), sink: sink(), params: { resumeFrom: {} } }), "params.resumeFrom"],
    ["params.pageSize out of range", () => ({ client: client(), key: "k", store: store(), sink: sink(), params: { pageSize: 5000 } }), "params.pageSize"],
    ["params.since not a date", () => ({ client: client(), key: "k", store: store(), sink: sink(), params: { since: "yesterday" } }), "params.since"],
    ["params.signal not a signal", () => ({ client: client(), key: "k", store: store(), sink: sink(), params: { signal: {} } }), "params.signal"],
    ["signal not a signal", () => ({ client: client(), key: "k", store: store(), sink: sink(), signal: {} }), "signal"],
    // A misspelt key is refused, not ignored (`parms` would have dropped `since` and read the whole history).
    ["params misspelt", () => ({ client: client(), key: "k", store: store(), sink: sink(), parms: { since: "2026-01-01T00:00:00Z" } }), "parms"],
    ["the client as the options (collect(client, …))", () => client(), undefined],
  ];
  test.each(cases)("%s", async (_name, options, option) => {
    let asked = 0;
    const built = options() as { store?: { load?: unknown } } | undefined;
    // A store that counts its loads, where the case has a working one.
    let loads = 0;
    if (built?.store && typeof built.store.load === "function") {
      const load = built.store.load as (key: string) => Promise<unknown>;
      built.store.load = (key: string) => {
        loads += 1;
        return load(key);
      };
    }
    server.use(
      http.all("*", () => {
        asked += 1;
        return HttpResponse.json({});
      }),
    );
    const error = await rejectionOf(collect(built as never));
    expect(ConfigError.isInstance(error), error.message).toBe(true);
    expect((error as ConfigError).option).toBe(option);
    if (option) expect(error.message.startsWith(`${option}: `)).toBe(true);
    expect(asked).toBe(0);
    expect(loads).toBe(0);
  });
});

test("a misspelt option names the one it is near, and a client passed as the options says how to call collect()", async () => {
  const options = { client: clientFor("pylon"), key: "k", store: memoryCheckpointStore(), sink: new Table().sink(), parms: {} };
  expect((await rejectionOf(collect(options as never))).message).toBe(
    "parms: is not an option of collect(): did you mean params? (its options: client, key, store, sink, params, signal)",
  );
  expect((await rejectionOf(collect(clientFor("pylon") as never))).message).toBe(
    "collect() takes one options object { client, key, store, sink, params?, signal? }: pass the client as its client, not as the first argument",
  );
});

describe("a real crash: a child process SIGKILLed at every step, with fileCheckpointStore and an NDJSON file", () => {
  test("after a clean rerun every event is in the file, only the page in flight twice, no line partial, no temp file left", async () => {
    const work = await mkdtemp(join(tmpdir(), "auditlogs-collect-"));
    onTestFinished(() => rm(work, { recursive: true, force: true }));
    const libraryUrl = bundle("src/index.ts", join(work, "auditlogs.mjs"));
    const listening = await createSimulator({ vendors: ["pylon"], eventsPerVendor: 12, seed: 3, rateLimit: false }).listen();
    onTestFinished(() => listening.close());
    const script = join(work, "child.mjs");
    await writeFile(script, childScript(libraryUrl));
    const options = { ...listening.credentials.pylon, rateLimit: false, maxRetries: 0 };
    const params = { since: SINCE.toISOString(), lagMs: 0, pageSize: 5 };

    // A clean run in a child first: its steps are what the kill points range over.
    const cleanDir = join(work, "clean");
    const clean = await runChild(script, { dir: cleanDir, options, params });
    expect(clean.code).toBe(0);
    const all = readIds(await readFile(join(cleanDir, "events.ndjson"), "utf8"));
    expect(new Set(all).size).toBe(12);
    const steps = clean.stdout.trim().split("\n").map((line) => JSON.parse(line) as { op: string; ids: string[] });
    expect(steps.map((s) => s.op)).toEqual(["load", "write", "save", "write", "save", "write", "save", "save"]);

    for (let at = 0; at < steps.length; at++) {
      for (const when of ["before", "after"] as const) {
        const dir = join(work, `${at}-${when}`);
        const killed = await runChild(script, { dir, options, params, kill: { at, when } });
        expect(killed.signal, killed.stderr).toBe("SIGKILL");
        const rerun = await runChild(script, { dir, options, params });
        expect(rerun.code, rerun.stderr).toBe(0);
        const text = await readFile(join(dir, "events.ndjson"), "utf8").catch(() => "");
        const ids = readIds(text);
        const counts = new Map<string, number>();
        for (const id of ids) counts.set(id, (counts.get(id) ?? 0) + 1);
        expect([...counts.keys()].sort(), `killed ${when} step ${at}`).toEqual([...all].sort());
        const step = steps[at]!;
        const pageOfSave = steps.slice(0, at).filter((s) => s.op === "write").length - 1;
        const inFlight =
          step.op === "write" && when === "after" ? step.ids : step.op === "save" && when === "before" && at < steps.length - 1 ? steps.filter((s) => s.op === "write")[pageOfSave]!.ids : [];
        const twice = [...counts].filter(([, n]) => n > 1).map(([id]) => id);
        expect(twice.sort(), `killed ${when} step ${at}`).toEqual([...inFlight].sort());
        expect((await readdir(join(dir, "state"))).filter((name) => name.endsWith(".tmp"))).toEqual([]);
      }
    }
  }, 120_000);
});

function readIds(text: string): string[] {
  // Every line whole: JSON.parse throws on a partial one.
  return text
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => (JSON.parse(line) as AuditEvent).id);
}

interface ChildRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function runChild(script: string, config: unknown): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, JSON.stringify(config)], { stdio: ["ignore", "pipe", "pipe"], timeout: 30_000 });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/**
 * The child: collect() with fileCheckpointStore(<dir>/state) and a sink appending NDJSON to
 * <dir>/events.ndjson (fsynced before write resolves). It prints each step as it happens, and
 * with `kill` SIGKILLs itself before or after step `at`: no finally block, no flush.
 */
function childScript(libraryUrl: string): string {
  return `
    import { open, mkdir } from "node:fs/promises";
    import { join } from "node:path";
    import { writeSync } from "node:fs";
    const { collect, createPylonClient, fileCheckpointStore } = await import(${JSON.stringify(libraryUrl)});
    const { dir, options, params, kill } = JSON.parse(process.argv[2]);
    await mkdir(dir, { recursive: true });
    let index = 0;
    const step = async (op, ids, effect) => {
      const at = index++;
      if (kill && kill.at === at && kill.when === "before") process.kill(process.pid, "SIGKILL");
      const value = await effect();
      writeSync(1, JSON.stringify({ op, ids }) + "\\n");
      if (kill && kill.at === at && kill.when === "after") process.kill(process.pid, "SIGKILL");
      return value;
    };
    const files = fileCheckpointStore(join(dir, "state"));
    const store = { load: (key) => step("load", [], () => files.load(key)), save: (key, c) => step("save", [], () => files.save(key, c)) };
    const sink = {
      write: (events) => step("write", events.map((e) => e.id), async () => {
        const file = await open(join(dir, "events.ndjson"), "a");
        try {
          await file.writeFile(events.map((e) => JSON.stringify(e) + "\\n").join(""));
          await file.sync();
        } finally {
          await file.close();
        }
      }),
    };
    await collect({ client: createPylonClient(options), key: "pylon-acme", store, sink, params });
  `;
}
