// Type-level checks of the package's public surface: what users pass in (loggers) and get back.
import { describe, expectTypeOf, test } from "vitest";
import { createPylonClient, type Logger } from "../src/index.js";

describe("logger", () => {
  test("console and a pino logger are accepted as they are", () => {
    // pino's LogFn (pino 8/9): (obj, msg?, ...args) or (msg, ...args).
    interface PinoLogFn {
      <T extends object>(obj: T, msg?: string, ...args: unknown[]): void;
      (obj: unknown, msg?: string, ...args: unknown[]): void;
      (msg: string, ...args: unknown[]): void;
    }
    const pino = {} as { level: string; child(bindings: object): unknown; trace: PinoLogFn; debug: PinoLogFn; info: PinoLogFn; warn: PinoLogFn; error: PinoLogFn; fatal: PinoLogFn };
    createPylonClient({ apiToken: "t", logger: pino });
    createPylonClient({ apiToken: "t", logger: console });
    expectTypeOf(console).toMatchTypeOf<Logger>();
    // @ts-expect-error a logger is an object with methods, not a function
    createPylonClient({ apiToken: "t", logger: (message: string) => void message });
  });
});

describe("raw calls narrow after if (error) throw error, for every vendor", () => {
  test("data is defined after the idiom; error is the vendor's JSON error body or an ApiError", async () => {
    const { createCortexClient, createDatafoldClient, createJitsudoClient, createZendeskClient, ApiError } = await import("../src/index.js");
    {
      const { data, error } = await createPylonClient({ apiToken: "t" }).raw.GET("/audit-logs", { params: { query: { limit: 10 } } });
      if (error) {
        // Pylon's 429 has no body: that case is the ApiError, the JSON errors are the spec's type
        expectTypeOf(error).toEqualTypeOf<{ errors?: string[]; exists_id?: string; request_id?: string } | InstanceType<typeof ApiError>>();
        throw error;
      }
      expectTypeOf(data.data).toEqualTypeOf<import("../src/vendors/pylon.js").PylonAuditLog[] | undefined>();
    }
    {
      const { data, error } = await createZendeskClient({ subdomain: "acme", auth: { oauthToken: "t" } }).raw.GET("/api/v2/audit_logs", {});
      if (error) {
        // Zendesk's text/plain 400 and 429 are not strings in error: they are ApiErrors
        expectTypeOf(error).not.toMatchTypeOf<string>();
        throw error;
      }
      expectTypeOf(data.audit_logs[0]!.id).toEqualTypeOf<number>();
    }
    {
      const { data, error } = await createCortexClient({ apiToken: "t" }).raw.GET("/api/v1/audit-logs", { params: { query: { page: 0, pageSize: 10 } } });
      if (error) throw error;
      expectTypeOf(data.logs).not.toBeUndefined();
    }
    {
      const { data, error } = await createDatafoldClient({ apiKey: "k" }).raw.GET("/api/v1/audit_logs", { body: { start_date: null, end_date: null } });
      if (error) throw error;
      expectTypeOf(data.logs).not.toBeUndefined();
    }
    {
      const jitsudo = createJitsudoClient({ baseUrl: "https://j.example.com", apiKey: "k", tenantId: "2489e9ad-2ee2-8e00-8ec9-32d5f69181c0" });
      const { data, error } = await jitsudo.raw.GET("/v1/audit-log", {});
      if (error) throw error;
      expectTypeOf(data).not.toBeUndefined();
      const viaRequest = await jitsudo.raw.request("get", "/v1/audit-log", {});
      if (viaRequest.error) throw viaRequest.error;
      expectTypeOf(viaRequest.data).not.toBeUndefined();
    }
  });
});

describe("pageSize is typed by each vendor's maximum", () => {
  test("a literal over the maximum, below 1 or fractional does not compile; a computed number does", async () => {
    const { createCortexClient, createDatafoldClient, createJitsudoClient, createZendeskClient, createClient } = await import("../src/index.js");
    const pylon = createPylonClient({ apiToken: "t" });
    const zendesk = createZendeskClient({ subdomain: "acme", auth: { oauthToken: "t" } });
    const cortex = createCortexClient({ apiToken: "t" });
    const datafold = createDatafoldClient({ apiKey: "k" });
    const jitsudo = createJitsudoClient({ baseUrl: "https://j.example.com", apiKey: "k", tenantId: "2489e9ad-2ee2-8e00-8ec9-32d5f69181c0" });
    const computed = Number(process.env.PAGE_SIZE);

    pylon.events({ pageSize: 999 });
    // @ts-expect-error Pylon's maximum is 999
    pylon.events({ pageSize: 1000 });
    zendesk.pages({ pageSize: 100 });
    zendesk.pages({ pageSize: 1 });
    // @ts-expect-error Zendesk's maximum is 100 (the README's old pages() example)
    zendesk.pages({ pageSize: 500 });
    // @ts-expect-error Zendesk's maximum is 100
    zendesk.events({ pageSize: 101 });
    cortex.events({ pageSize: 1000 });
    // @ts-expect-error Cortex's maximum is 1000
    cortex.events({ pageSize: 1001 });
    // @ts-expect-error at least 1
    cortex.events({ pageSize: 0 });
    // @ts-expect-error a whole number
    cortex.events({ pageSize: 2.5 });
    // @ts-expect-error not negative
    cortex.events({ pageSize: -5 });
    jitsudo.events({ pageSize: 1000 });
    // @ts-expect-error JITSudo's maximum is 1000
    jitsudo.events({ pageSize: 1001 });
    // @ts-expect-error Datafold has no pages
    datafold.pages({ pageSize: 100 });
    datafold.pages({ windowMs: 3_600_000 });

    // Numbers known only at run time are checked at run time (ConfigError).
    for (const client of [pylon, zendesk, cortex, datafold, jitsudo]) client.events({ pageSize: computed });
    const any = createClient({ vendor: process.env.VENDOR as "zendesk", subdomain: "acme", auth: { oauthToken: "t" } });
    any.events({ pageSize: computed });
    // Other params still checked as before
    // @ts-expect-error unknown param
    zendesk.events({ pageSize: 10, pageSise: 10 });
    // @ts-expect-error unknown filter key
    zendesk.events({ pageSize: 10, filter: { actor: "x" } });
  });

  test("a defineVendor vendor: pageSize.max types its clients, no pageSize means no pages", async () => {
    const { defineVendor } = await import("../src/define.js");
    const base = { auth: () => ({}), normalize: () => ({ id: "1", occurredAt: "2026-01-01T00:00:00Z", action: "x" }), pagination: {} as never };
    const paged = defineVendor({ id: "paged", baseUrl: "https://x.example.com", pageSize: { max: 50 }, ...base });
    const unpaged = defineVendor({ id: "unpaged", baseUrl: "https://x.example.com", ...base });
    paged.createClient({}).events({ pageSize: 50 });
    // @ts-expect-error over the definition's max
    paged.createClient({}).events({ pageSize: 51 });
    // @ts-expect-error no pageSize in the definition: no pages
    unpaged.createClient({}).events({ pageSize: 1 });
  });
});
