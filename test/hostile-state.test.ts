// DESIGN §14 bad state: checkpoints are validated in full at events()/pages() (every time, state
// and skip against the vendor's pagination) as a ConfigError naming the field, before any
// request; `seen` holds at most 100,000 ids (oldest dropped when a run saves, future-dated
// refused). And prototype keys: `__proto__`, `constructor`, `prototype` in a record stay plain
// data in unmapped, raw, OCSF output and checkpoints. Loopback servers.
import { afterAll, describe, expect, test } from "vitest";
import { ConfigError, toOCSF, type AuditEvent, type Checkpoint } from "../src/index.js";
import { MAX_SEEN } from "../src/core/checkpoint.js";
import type { VendorId } from "../src/core/vendor-id.js";
import { clientOf, closeAll, deep, drain, hostile, json, page, record, RUN } from "./hostile-fixtures.js";

afterAll(closeAll);

/** A mid-run checkpoint of `vendor`: the first page of two read, the second not. */
async function midRun(vendor: VendorId): Promise<{ checkpoint: Checkpoint; server: Awaited<ReturnType<typeof hostile>> }> {
  const server = await hostile((req, res, _n, body) => {
    if (vendor === "datafold") {
      // A window's logs only, as Datafold answers (a log far outside the window asked for is refused).
      const window = JSON.parse(body) as { start_date: string; end_date: string };
      const inside = [1, 2, 3, 4].map((i) => record(vendor, i)).filter((r) => Date.parse(r.timestamp as string) >= Date.parse(window.start_date) && Date.parse(r.timestamp as string) <= Date.parse(window.end_date));
      return json(res, page(vendor, inside));
    }
    const second = req.url!.includes("second") || req.url!.includes("page=1") || server.requests.length > 1;
    const records = [record(vendor, second ? 3 : 1), record(vendor, second ? 4 : 2)];
    const next = vendor === "cortex" ? { page: second ? 1 : 0, total: 4, totalPages: 2 } : vendor === "zendesk" ? `${server.origin}/api/v2/audit_logs?second=1` : second ? undefined : "second";
    json(res, page(vendor, records, next));
  });
  const client = clientOf(vendor, server, { prefetch: 0, concurrency: 1 });
  const stream = client.events({ ...RUN, ...(vendor === "datafold" ? {} : { pageSize: 2 as number }), ...(vendor === "datafold" ? { windowMs: 12 * 3600_000 } : {}) });
  for await (const _event of stream) break;
  return { checkpoint: stream.checkpoint(), server };
}

/** The ConfigError a resume from `checkpoint` throws, with the requests it sent (none expected). */
async function resumeError(vendor: VendorId, checkpoint: unknown) {
  const server = await hostile((_req, res) => json(res, page(vendor, [])));
  let thrown: unknown;
  try {
    // events() checks the checkpoint when called; a failure in the run would come from drain.
    thrown = (await drain(clientOf(vendor, server).events({ resumeFrom: checkpoint }))).error;
  } catch (error) {
    thrown = error;
  }
  return { error: thrown as ConfigError, requests: server.requests.length };
}

describe("checkpoints validated in full", () => {
  test.each<[string, VendorId, (c: Checkpoint) => void, string]>([
    ["a Cortex page that is not a number (page=NaN)", "cortex", (c) => ((c.position!.state as { page: unknown }).page = "x"), "resumeFrom.position.state.page"],
    ["a Cortex skip of 2^53 − 1 (would skip events and mark the run complete)", "cortex", (c) => (c.position!.skip = 2 ** 53 - 1), "resumeFrom.position.skip"],
    ["a Cortex page size beyond the vendor's bound", "cortex", (c) => ((c.position!.state as { pageSize: unknown }).pageSize = 1e9), "resumeFrom.position.state.pageSize"],
    ["a Pylon cursor that is a number", "pylon", (c) => (c.position!.state = 42), "resumeFrom.position.state"],
    ["a Pylon skip past any page", "pylon", (c) => (c.position!.skip = 5_000), "resumeFrom.position.skip"],
    ["a Zendesk link on another origin", "zendesk", (c) => (c.position!.state = "https://evil.example.net/api/v2/audit_logs"), "resumeFrom.position.state"],
    ["a Datafold window outside the run", "datafold", (c) => (c.position!.state = { start: 0, end: 5 }), "resumeFrom.position.state.start"],
    ["a watermark that is not a time", "jitsudo", (c) => (c.watermark = "garbage"), "resumeFrom.watermark"],
    ["an until that Date.parse would roll over (Feb 30)", "pylon", (c) => (c.until = "2026-02-30T00:00:00.000Z"), "resumeFrom.until"],
    ["a since in year 275760", "pylon", (c) => (c.since = "+275760-09-13T00:00:00.000Z"), "resumeFrom.since"],
    ["a watermark outside [since, until]", "pylon", (c) => (c.watermark = "2027-01-01T00:00:00.000Z"), "resumeFrom.watermark"],
    ["a seen id dated after until", "pylon", (c) => (c.seen = { x: "2030-01-01T00:00:00.000Z" }), 'resumeFrom.seen["x"]'],
    ["a seen id with no time", "pylon", (c) => (c.seen = { x: "soon" }), 'resumeFrom.seen["x"]'],
    ["a seen id dated Feb 30 (as a run writes times)", "pylon", (c) => (c.seen = { x: "2026-02-30T00:00:00.000Z" }), 'resumeFrom.seen["x"]'],
    ["a seen id dated at hour 24", "pylon", (c) => (c.seen = { x: "2026-01-01T24:00:00.000Z" }), 'resumeFrom.seen["x"]'],
    ["a seen time that is a number", "pylon", (c) => (c.seen = { x: 5 } as unknown as Record<string, string>), 'resumeFrom.seen["x"]'],
    ["an empty seen id", "pylon", (c) => (c.seen = { "": "2026-01-01T06:00:00.000Z" }), 'resumeFrom.seen[""]'],
    ["a seen id holding a control character", "pylon", (c) => (c.seen = { "a\u0000b": "2026-01-01T06:00:00.000Z" }), 'resumeFrom.seen["a\\u0000b"]'],
    ["a seen id holding a C1 control character", "pylon", (c) => (c.seen = { "a\u009bb": "2026-01-01T06:00:00.000Z" }), 'resumeFrom.seen["a\u009bb"]'],
    ["a seen id of 1,001 characters", "pylon", (c) => (c.seen = { ["i".repeat(1_001)]: "2026-01-01T06:00:00.000Z" }), `resumeFrom.seen["${"i".repeat(60)}"]`],
    ["a cursor state nested 5,000 deep (structuredClone would overflow)", "pylon", (c) => (c.position!.state = deep(5_000)), "resumeFrom.position.state"],
  ])("%s is a ConfigError naming the field, before any request", async (_name, vendor, spoil, option) => {
    const { checkpoint, server } = await midRun(vendor);
    await server.close();
    expect(checkpoint.position).not.toBeNull();
    spoil(checkpoint);
    const { error, requests } = await resumeError(vendor, checkpoint);
    expect(ConfigError.isInstance(error)).toBe(true);
    expect(error.option).toBe(option);
    expect(requests).toBe(0);
  });

  test(`a seen of more than ${MAX_SEEN} ids is refused; ${MAX_SEEN} ids load`, async () => {
    const { checkpoint, server } = await midRun("pylon");
    await server.close();
    const seen: Record<string, string> = {};
    for (let i = 0; i < MAX_SEEN; i++) seen[`id-${i}`] = "2026-01-01T06:00:00.000Z";
    // The checkpoint consumed one record of the page it stopped in: the second is new.
    const ok = await hostile((_req, res) => json(res, page("pylon", [record("pylon", 8), record("pylon", 9)])));
    const { items, error } = await drain(clientOf("pylon", ok).events({ resumeFrom: { ...checkpoint, seen } }));
    expect(error).toBeUndefined();
    expect(items).toHaveLength(1);
    seen.one_more = "2026-01-01T06:00:00.000Z";
    const { error: tooMany } = await resumeError("pylon", { ...checkpoint, seen });
    expect((tooMany as ConfigError).option).toBe("resumeFrom.seen");
  });

  test(`every one of ${MAX_SEEN} seen ids is checked: a bad last one is named, good ones load as a run writes them`, async () => {
    const { checkpoint, server } = await midRun("pylon");
    await server.close();
    const good = (): Record<string, string> => {
      const seen: Record<string, string> = {};
      for (let i = 0; i < MAX_SEEN - 1; i++) seen[`id-${i}`] = new Date(Date.parse("2026-01-01T06:00:00.000Z") + i).toISOString();
      return seen;
    };
    for (const [id, at] of [
      ["id-99999\n", "2026-01-01T06:00:00.000Z"],
      ["id-99999", "2026-01-02T00:00:00.000Z"],
      ["id-99999", "2026-13-01T00:00:00.000Z"],
    ] as const) {
      const { error, requests } = await resumeError("pylon", JSON.stringify({ ...checkpoint, seen: { ...good(), [id]: at } }));
      expect(ConfigError.isInstance(error)).toBe(true);
      expect(error.option).toBe(`resumeFrom.seen[${JSON.stringify(id)}]`);
      expect(requests).toBe(0);
    }
    // Other RFC 3339 forms of a time load, and the next checkpoint writes them as a run would.
    const ok = await hostile((_req, res) => json(res, page("pylon", [record("pylon", 8), record("pylon", 9)], "more")));
    const stream = clientOf("pylon", ok, { prefetch: 0 }).events({ resumeFrom: { ...checkpoint, seen: { ...good(), __proto__x: "2026-01-01T07:30:00+01:00", "id-0": "2026-01-01t06:00:00Z" } } });
    for await (const _event of stream) break;
    const saved = stream.checkpoint().seen;
    expect(Object.keys(saved)).toHaveLength(MAX_SEEN);
    expect(saved.__proto__x).toBe("2026-01-01T06:30:00.000Z");
    expect(saved["id-0"]).toBe("2026-01-01T06:00:00.000Z");
    expect(saved["id-5"]).toBe("2026-01-01T06:00:00.005Z");
  });

  test("a run never saves a seen id the next run would refuse (a hostile server's control character or 2 KB id)", async () => {
    const ids = ["ok-1", "bad\u0001id", "x".repeat(2_000), "ok-2"];
    const server = await hostile((_req, res) => json(res, page("pylon", ids.map((id, i) => ({ ...record("pylon", i + 1), id })))));
    const run1 = clientOf("pylon", server).events({ ...RUN, lagMs: 365 * 86_400_000 });
    const first = await drain(run1);
    expect(first.error).toBeUndefined();
    expect(first.items).toHaveLength(4);
    const complete = run1.checkpoint();
    expect(Object.keys(complete.seen).sort()).toEqual(["ok-1", "ok-2"]);
    // It loads: the next run reads again, and only the ids it could keep are skipped.
    const run2 = clientOf("pylon", server).events({ resumeFrom: JSON.stringify(complete), until: RUN.until, lagMs: 365 * 86_400_000 });
    const second = await drain(run2);
    expect(second.error).toBeUndefined();
    expect((second.items as AuditEvent[]).map((e) => e.id)).toEqual([ids[1], ids[2]]);
  });

  test(`a run saving more than ${MAX_SEEN} seen ids keeps the newest ${MAX_SEEN}`, async () => {
    // A long lag zone: every event of the run is at or after the watermark, so all go to seen.
    const first = await hostile((_req, res) => json(res, page("pylon", [record("pylon", 1)])));
    const run1 = clientOf("pylon", first).events({ ...RUN, lagMs: 365 * 86_400_000 });
    await drain(run1);
    const complete = run1.checkpoint();
    expect(complete.complete).toBe(true);
    const seen: Record<string, string> = { ...complete.seen };
    // Older than the run's events, old-0 the oldest of all.
    for (let i = 0; i < MAX_SEEN - 1; i++) seen[`old-${i}`] = new Date(Date.parse(RUN.since) + i).toISOString();
    const second = await hostile((_req, res) => json(res, page("pylon", [record("pylon", 1), record("pylon", 2), record("pylon", 3)])));
    const run2 = clientOf("pylon", second).events({ resumeFrom: { ...complete, seen }, until: RUN.until, lagMs: 365 * 86_400_000 });
    const { items } = await drain(run2);
    expect((items as AuditEvent[]).map((e) => e.id)).toEqual(["pylon-2", "pylon-3"]);
    const saved = run2.checkpoint().seen;
    expect(Object.keys(saved)).toHaveLength(MAX_SEEN);
    expect(saved["pylon-3"]).toBeDefined();
    expect(saved["pylon-1"]).toBeDefined();
    // 100,002 ids: the two oldest dropped.
    expect(saved["old-0"]).toBeUndefined();
    expect(saved["old-1"]).toBeUndefined();
    expect(saved["old-2"]).toBeDefined();
  });
});

describe("prototype keys stay plain data", () => {
  // Written as JSON text: a JS object literal with __proto__ would set the prototype instead.
  const RECORD = `{"id":"__proto__","action":"UserCreated","action_happened_at":"2026-01-01T12:00:00Z","__proto__":{"polluted":true},"constructor":{"prototype":{"x":1}},"prototype":"p"}`;

  test("in unmapped, raw, OCSF output and the checkpoint (an id __proto__ kept in seen)", async () => {
    const server = await hostile((_req, res) => {
      const text = `{"data":[${RECORD}],"pagination":{"cursor":"","has_next_page":false}}`;
      res.writeHead(200, { "content-type": "application/json" });
      res.end(text);
    });
    const stream = clientOf("pylon", server).events({ ...RUN, lagMs: 365 * 86_400_000 });
    const { items, error } = await drain(stream);
    expect(error).toBeUndefined();
    const event = items[0] as AuditEvent;
    expect(event.id).toBe("__proto__");
    for (const value of [event.unmapped, event.raw as object, toOCSF(event).unmapped]) {
      expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
      expect(Object.prototype.hasOwnProperty.call(value, "__proto__")).toBe(true);
      expect(Object.getOwnPropertyDescriptor(value, "__proto__")!.value).toEqual(JSON.parse('{"polluted":true}'));
      expect(Object.prototype.hasOwnProperty.call(value, "constructor")).toBe(true);
      expect(String(value)).toBe("[object Object]");
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(JSON.parse(toOCSF(event).raw_data)).toEqual(JSON.parse(RECORD));
    expect(JSON.stringify(event.unmapped)).toContain('"__proto__":{"polluted":true}');

    const checkpoint = stream.checkpoint();
    expect(Object.prototype.hasOwnProperty.call(checkpoint.seen, "__proto__")).toBe(true);
    expect(Object.getPrototypeOf(checkpoint.seen)).toBe(Object.prototype);
    // Through JSON and back, the id is still one the next run skips.
    const again = await hostile((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(`{"data":[${RECORD}],"pagination":{"cursor":"","has_next_page":false}}`);
    });
    const next = clientOf("pylon", again).events({ resumeFrom: JSON.stringify(checkpoint), until: RUN.until, lagMs: 365 * 86_400_000 });
    const rerun = await drain(next);
    expect(rerun.error).toBeUndefined();
    expect(rerun.items).toHaveLength(0);
    expect(Object.prototype.hasOwnProperty.call(next.checkpoint().seen, "__proto__")).toBe(true);
  });
});
