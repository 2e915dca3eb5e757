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
