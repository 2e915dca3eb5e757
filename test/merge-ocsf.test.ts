// mergeEvents (several vendors as one stream, with a checkpoint that resumes every part) and
// toOCSF (OCSF 1.x API Activity).
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { ConfigError, createClient, mergeEvents, toOCSF, type AnyClient, type AuditEvent, type ClientOptions } from "../src/index.js";
import { createSimulator, type SimulatorServer } from "../src/testing/index.js";
import { VENDOR_IDS } from "../src/core/vendor-id.js";
import { normalizeDatafold } from "../src/vendors/datafold.js";
import { normalizeZendesk } from "../src/vendors/zendesk.js";

describe("mergeEvents", () => {
  const sim = createSimulator({ eventsPerVendor: 30, seed: 8, rateLimit: false });
  let server: SimulatorServer;
  let clients: AnyClient[];
  const params = { since: new Date(Date.now() - 8 * 86_400_000).toISOString(), pageSize: 7 };
  const streams = () => clients.map((c) => c.events(c.vendor === "datafold" ? { since: params.since } : params));

  beforeAll(async () => {
    server = await sim.listen();
    clients = VENDOR_IDS.map((vendor) => createClient({ vendor, ...server.credentials[vendor], rateLimit: false } as ClientOptions));
  });
  afterAll(() => server.close());

  test("reads every vendor at once as one stream", async () => {
    const events = await mergeEvents(streams(), { concurrency: 3 }).toArray({ limit: 1000 });
    expect(events).toHaveLength(150);
    for (const vendor of VENDOR_IDS) expect(events.filter((e) => e.vendor === vendor)).toHaveLength(30);
  });

  test("its checkpoint resumes every part exactly, at any stop", async () => {
    const all = await mergeEvents(streams()).toArray({ limit: 1000 });
    const key = (e: AuditEvent) => `${e.vendor}:${e.id}`;
    for (const stop of [1, 13, 64, 149]) {
      const merged = mergeEvents(streams());
      const head: AuditEvent[] = [];
      for await (const event of merged) if (head.push(event) === stop) break;
      const checkpoint = JSON.parse(JSON.stringify(merged.checkpoint())) as ReturnType<typeof merged.checkpoint>;
      expect(checkpoint.version).toBe(1);
      expect(checkpoint.parts.map((p) => p.vendor)).toEqual([...VENDOR_IDS]);
      const resumed = clients.map((c, i) => c.events({ ...(c.vendor === "datafold" ? {} : { pageSize: 7 as number }), resumeFrom: checkpoint.parts[i] }));
      const rest = await mergeEvents(resumed).toArray({ limit: 1000 });
      const got = [...head, ...rest].map(key);
      expect(new Set(got).size, `stop ${stop}`).toBe(got.length);
      expect(new Set(got)).toEqual(new Set(all.map(key)));
    }
  });

  test("rejects what is not a stream", () => {
    expect(() => mergeEvents([{} as never])).toThrow(/streams/);
  });

  test("refuses an option it does not have, and options that are not an object", () => {
    expect(() => mergeEvents([], { concurency: 2 } as never)).toThrow("concurency: is not an option of mergeEvents(): did you mean concurrency? (its one option is concurrency)");
    expect(() => mergeEvents([], null as never)).toThrow("mergeEvents() options must be an object { concurrency }");
    expect(mergeEvents([], { concurrency: undefined })).toBeDefined();
  });
});

describe("toOCSF", () => {
  test("a value that is not an event is a ConfigError naming the field it lacks, not a TypeError", () => {
    const event = normalizeDatafold({ timestamp: "2026-06-01T12:00:05Z", event_uuid: "u", client_ip: "203.0.113.10", url: "/x", action: "view" });
    const { source: _source, ...cut } = event;
    const refusal = (value: unknown) => {
      try {
        toOCSF(value as never);
      } catch (error) {
        expect(ConfigError.isInstance(error)).toBe(true);
        return [(error as ConfigError).option, (error as Error).message];
      }
      return undefined;
    };
    expect(refusal(cut)).toEqual(["event.source", "event.source: must be an object: toOCSF() takes an AuditEvent (AuditEventSchema checks one)"]);
    expect(refusal({ ...event, occurredAt: 5 })?.[0]).toBe("event.occurredAt");
    expect(refusal(null)?.[0]).toBe("event");
    expect(refusal(event)).toBeUndefined();
  });

  const zendesk = normalizeZendesk(
    { id: 498483, action: "destroy", actor_id: 1234, actor_name: "Sameer Patel", change_description: "Deleted user John Doe", created_at: "2012-03-05T11:32:44Z", ip_address: "209.119.38.228", source_id: 3456, source_label: "John Doe", source_type: "user", url: "https://company.zendesk.com/api/v2/audit_logs/498483" },
    "company",
  );

  test("API Activity with activity from operation, epoch-ms time, actor, endpoint, resources, unmapped, raw_data", () => {
    const ocsf = toOCSF(zendesk);
    expect(ocsf).toMatchObject({
      class_uid: 6003,
      category_uid: 6,
      activity_id: 4,
      activity_name: "Delete",
      type_uid: 600304,
      time: Date.parse("2012-03-05T11:32:44Z"),
      message: "Deleted user John Doe",
      metadata: { uid: "498483", product: { name: "Zendesk Support", vendor_name: "Zendesk" }, tenant_uid: "company" },
      api: { operation: "destroy" },
      actor: { user: { uid: "1234", name: "Sameer Patel" } },
      src_endpoint: { ip: "209.119.38.228" },
      resources: [{ type: "user", uid: "3456", name: "John Doe" }],
      unmapped: { url: "https://company.zendesk.com/api/v2/audit_logs/498483" },
    });
    expect(JSON.parse(ocsf.raw_data)).toEqual(zendesk.raw);
  });

  test.each([
    ["create", 1],
    ["view", 2],
    ["update", 3],
    ["delete", 4],
    ["login", 99],
    ["rotate", 99],
  ])("operation of %s → activity_id %i", (action, id) => {
    const event = normalizeDatafold({ timestamp: "2026-06-01T12:00:05Z", event_uuid: "u", client_ip: "203.0.113.10", url: "/x", action, user_agent: "curl/8", user_email: "a@example.com" });
    const ocsf = toOCSF(event);
    expect(ocsf.activity_id).toBe(id);
    expect(ocsf.actor.user.email_addr).toBe("a@example.com");
    expect(ocsf.http_request).toEqual({ user_agent: "curl/8" });
  });
});
