// Type-level tests: the generated spec types reach users through client.raw and the event types.
import { describe, expectTypeOf, test } from "vitest";
import { createClient, createCortexClient, createDatafoldClient, createJitsudoClient, createPylonClient, createZendeskClient, mergeEvents, type AuditEvent } from "../src/index.js";
import type { ZendeskAuditLog } from "../src/vendors/zendesk.js";

const zendesk = createZendeskClient({ subdomain: "acme", auth: { email: "a@example.com", apiToken: "t" } });

describe("client.raw is typed from each vendor's spec", () => {
  test("Zendesk query parameters are checked by name and type", () => {
    void zendesk.raw.GET("/api/v2/audit_logs", { params: { query: { "page[size]": 100 } } });
    void zendesk.raw.GET("/api/v2/audit_logs", { params: { query: { sort: "created_at", "filter[created_at][]": ["2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z"] } } });
    // @ts-expect-error a misspelled parameter is rejected
    void zendesk.raw.GET("/api/v2/audit_logs", { params: { query: { "page[sise]": 100 } } });
    // @ts-expect-error page[size] is a number
    void zendesk.raw.GET("/api/v2/audit_logs", { params: { query: { "page[size]": "100" } } });
    // @ts-expect-error an unknown path is rejected
    void zendesk.raw.GET("/api/v2/audit_log", {});
  });

  test("responses are typed", async () => {
    const { data } = await zendesk.raw.GET("/api/v2/audit_logs", { params: { query: { "page[size]": 10 } } });
    expectTypeOf(data!.audit_logs[0]!.id).toEqualTypeOf<number>();
  });

  test("every vendor's raw client knows its own path", () => {
    void createPylonClient({ apiToken: "t" }).raw.GET("/audit-logs", { params: { query: { limit: 10 } } });
    void createCortexClient({ apiToken: "t" }).raw.GET("/api/v1/audit-logs", { params: { query: { page: 0, pageSize: 10 } } });
    void createDatafoldClient({ apiKey: "k" }).raw.GET("/api/v1/audit_logs", { body: { start_date: "2026-01-01T00:00:00Z", end_date: null } });
    void createJitsudoClient({ baseUrl: "https://j.example.com", apiKey: "k", tenantId: "2489e9ad-2ee2-8e00-8ec9-32d5f69181c0" }).raw.GET("/v1/audit-log", { params: { query: { limit: 10 } } });
    // @ts-expect-error Pylon has no such path
    void createPylonClient({ apiToken: "t" }).raw.GET("/api/v2/audit_logs", {});
  });
});

describe("events carry the vendor's raw type", () => {
  test("AuditEvent<ZendeskAuditLog>", async () => {
    for await (const event of zendesk.events()) {
      expectTypeOf(event).toEqualTypeOf<AuditEvent<ZendeskAuditLog>>();
      expectTypeOf(event.raw.created_at).toEqualTypeOf<string>();
    }
  });

  test("createClient picks the client by vendor", () => {
    const client = createClient({ vendor: "cortex", apiToken: "t" });
    expectTypeOf(client.vendor).toEqualTypeOf<"cortex">();
    // @ts-expect-error zendesk options need auth
    createClient({ vendor: "zendesk", subdomain: "acme" });
    // @ts-expect-error unknown filter keys are rejected at compile time too
    zendesk.events({ filter: { actor: "x" } });
  });
});

describe("mergeEvents", () => {
  test("several vendors' streams merge into a stream of the union of their events", async () => {
    const { mergeEvents } = await import("../src/index.js");
    const merged = mergeEvents([createPylonClient({ apiToken: "t" }).events(), zendesk.events()]);
    for await (const event of merged) {
      if (event.vendor === "zendesk") expectTypeOf(event.raw).toMatchTypeOf<ZendeskAuditLog | import("../src/vendors/pylon.js").PylonAuditLog>();
    }
  });
});

describe("errors", () => {
  test("isInstance narrows to the subclass", async () => {
    const { ConfigError, RateLimitError } = await import("../src/index.js");
    const error: unknown = undefined;
    if (ConfigError.isInstance(error)) expectTypeOf(error.option).toEqualTypeOf<string | undefined>();
    if (RateLimitError.isInstance(error)) expectTypeOf(error.retryAfterMs).toEqualTypeOf<number | undefined>();
  });
});

describe("a vendor's literal id narrows its raw type", () => {
  test("in a merged stream, event.vendor === \"zendesk\" narrows event.raw to ZendeskAuditLog", async () => {
    const { mergeEvents } = await import("../src/index.js");
    type PylonAuditLog = import("../src/vendors/pylon.js").PylonAuditLog;
    const merged = mergeEvents([createPylonClient({ apiToken: "t" }).events(), zendesk.events()]);
    for await (const event of merged) {
      expectTypeOf(event.vendor).toEqualTypeOf<"pylon" | "zendesk">();
      if (event.vendor === "zendesk") {
        expectTypeOf(event.raw).toEqualTypeOf<ZendeskAuditLog>();
        expectTypeOf(event.raw.id).toEqualTypeOf<number>();
      } else {
        expectTypeOf(event.raw).toEqualTypeOf<PylonAuditLog>();
      }
    }
  });

  test("a defineVendor vendor: options, record and id inferred from the definition, no type arguments", async () => {
    const { defineVendor, cursorPagination } = await import("../src/define.js");
    interface OktaLog {
      uuid: string;
      published: string;
    }
    const okta = defineVendor({
      id: "okta",
      baseUrl: (options) => `https://${options.domain}`,
      secrets: ["apiToken"],
      auth: (options: { domain: string; apiToken: string }) => ({ Authorization: `SSWS ${options.apiToken}` }),
      pagination: cursorPagination({ path: "/api/v1/logs", query: (_ctx, cursor) => ({ after: cursor }), records: (body: OktaLog[]) => body, next: () => undefined }),
      normalize: (record: OktaLog) => ({ id: record.uuid, occurredAt: record.published }),
    });
    const client = okta.createClient({ domain: "acme.okta.com", apiToken: "t" });
    expectTypeOf(client.vendor).toEqualTypeOf<"okta">();
    // @ts-expect-error the options are the definition's
    okta.createClient({ domain: "acme.okta.com" });
    const merged = mergeEvents([client.events(), zendesk.events()]);
    for await (const event of merged) {
      if (event.vendor === "okta") expectTypeOf(event.raw).toEqualTypeOf<OktaLog>();
    }
  });
});
