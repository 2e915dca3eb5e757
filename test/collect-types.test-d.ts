// Type-level tests for collect(): a sink sees the client's own event type, and the store, sink
// and result have the shapes DESIGN §11 names.
import { describe, expectTypeOf, test } from "vitest";
import { collect, createClient, createZendeskClient, type AnyClient, memoryCheckpointStore, type AuditEvent, type Checkpoint, type CollectResult, type CollectSink } from "../src/index.js";
import type { ZendeskAuditLog } from "../src/vendors/zendesk.js";

const zendesk = createZendeskClient({ subdomain: "acme", auth: { email: "a@example.com", apiToken: "t" } });

describe("collect", () => {
  test("the sink's events are typed from the client's vendor; params are that vendor's", () => {
    void collect({
      client: zendesk,
      key: "acme-zendesk",
      store: memoryCheckpointStore(),
      sink: {
        write: async (events, context) => {
          expectTypeOf(events).toEqualTypeOf<AuditEvent<ZendeskAuditLog>[]>();
          expectTypeOf(context.checkpoint).toEqualTypeOf<Checkpoint>();
        },
      },
      params: { filter: { action: "update" }, lagMs: 60_000 },
    });
    // @ts-expect-error resumeFrom is collect()'s to set
    void collect({ client: zendesk, key: "k", store: memoryCheckpointStore(), sink: { write: async () => undefined }, params: { resumeFrom: {} } });
  });

  test("a client of any vendor (the createClient union) is accepted", () => {
    const client = ((vendor: "pylon" | "cortex"): AnyClient => createClient({ vendor, apiToken: "t" }))("cortex");
    void collect({
      client,
      key: "k",
      store: memoryCheckpointStore(),
      sink: {
        write: async (events) => {
          expectTypeOf(events[0]!.id).toEqualTypeOf<string>();
        },
      },
      params: { pageSize: 10 },
    });
  });

  test("a sink may have writeWithCheckpoint only; one with neither is refused", () => {
    const transactional: CollectSink = { writeWithCheckpoint: async (_events, _key, _checkpoint) => undefined };
    void collect({ client: zendesk, key: "k", store: memoryCheckpointStore(), sink: transactional });
    // @ts-expect-error neither write nor writeWithCheckpoint
    const neither: CollectSink = {};
    void neither;
  });

  test("the result", () => {
    expectTypeOf(collect).returns.resolves.toEqualTypeOf<CollectResult>();
    expectTypeOf<CollectResult>().toEqualTypeOf<{ key: string; events: number; pages: number; requests: number; retries: number; watermark: string; lagMs: number }>();
  });
});
