// client.raw's `error` is set whenever a call failed (DESIGN §15: `if (error) throw error;`
// leaves `data` defined): the vendor's JSON error body when it sent a JSON object, and otherwise
// the ApiError that events() throws for the same answer, never undefined or a (possibly empty)
// string as openapi-fetch alone returns for an empty or text body.
import { HttpResponse } from "msw";
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { ApiError, BadRequestError, InternalServerError, RateLimitError } from "../src/index.js";
import { client, NEEDLES, okPage, SECRETS, serve, VENDORS } from "./http-fixtures.js";
import type { VendorId } from "../src/core/vendor-id.js";

const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

const PATHS: Record<VendorId, string> = {
  pylon: "/audit-logs",
  zendesk: "/api/v2/audit_logs",
  cortex: "/api/v1/audit-logs",
  datafold: "/api/v1/audit_logs",
  jitsudo: "/v1/audit-log",
};

/** One raw GET of the vendor's audit-log path, without retries. */
async function rawGet(vendor: VendorId, overrides: Record<string, unknown> = {}) {
  const c = client(vendor, { rateLimit: false, maxRetries: 0, ...overrides });
  const init = vendor === "datafold" ? { body: { start_date: null, end_date: null } } : {};
  return (c.raw as unknown as { GET(path: string, init: object): Promise<{ data?: unknown; error?: unknown; response: Response }> }).GET(PATHS[vendor], init);
}

describe.each(VENDORS)("%s", (vendor) => {
  test("an empty 429 (Pylon's) is a RateLimitError with the wait the vendor asked for", async () => {
    serve(server, vendor, () => new HttpResponse(null, { status: 429, headers: { "Retry-After": "7", "X-Retry-After": "7" } }));
    const { data, error, response } = await rawGet(vendor);
    expect(response.status).toBe(429);
    expect(data).toBeUndefined();
    expect(RateLimitError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ vendor, status: 429, retryAfterMs: 7000 });
  });

  test("a text/plain error (Zendesk's 429 and some 400s) is the ApiError with the text as its body", async () => {
    serve(server, vendor, () => HttpResponse.text("Invalid filter value", { status: 400 }));
    const { error } = await rawGet(vendor);
    expect(BadRequestError.isInstance(error)).toBe(true);
    expect((error as ApiError).body).toBe("Invalid filter value");
    expect((error as ApiError).message).toContain("Invalid filter value");
  });

  test("an empty text body and a JSON null are ApiErrors too, not falsy", async () => {
    serve(server, vendor, () => HttpResponse.text("", { status: 502 }));
    expect(InternalServerError.isInstance((await rawGet(vendor)).error)).toBe(true);
    server.resetHandlers();
    serve(server, vendor, () => HttpResponse.json(null, { status: 500 }));
    expect(InternalServerError.isInstance((await rawGet(vendor)).error)).toBe(true);
  });

  test("a JSON error object is returned as the vendor sent it, as the spec types it", async () => {
    serve(server, vendor, () => HttpResponse.json({ error: "Forbidden", description: "no access" }, { status: 403 }));
    const { error } = await rawGet(vendor);
    expect(error).toEqual({ error: "Forbidden", description: "no access" });
  });

  test("success is unchanged: data set, no error", async () => {
    serve(server, vendor, () => HttpResponse.json(okPage(vendor)));
    const { data, error } = await rawGet(vendor);
    expect(error).toBeUndefined();
    expect(data).toEqual(okPage(vendor));
  });
});

test("a credential a server echoes into a text error is blanked in the ApiError, as in events()", async () => {
  serve(server, "pylon", () => HttpResponse.text(`bad token ${SECRETS.token}`, { status: 401 }));
  const { error } = await rawGet("pylon");
  expect(ApiError.isInstance(error)).toBe(true);
  for (const secret of NEEDLES) {
    expect(String((error as ApiError).body)).not.toContain(secret);
    expect((error as ApiError).message).not.toContain(secret);
  }
});

test("a response replaced by the user's own middleware still gets an ApiError", async () => {
  serve(server, "cortex", () => HttpResponse.json({}, { status: 200 }));
  const c = client("cortex", { rateLimit: false, maxRetries: 0 });
  c.raw.use({ onResponse: () => new Response("", { status: 503 }) });
  const { error } = await (c.raw as unknown as { GET(path: string, init: object): Promise<{ error?: unknown }> }).GET(PATHS.cortex, { params: { query: { page: 0, pageSize: 10 } } });
  expect(InternalServerError.isInstance(error)).toBe(true);
  expect(error).toMatchObject({ vendor: "cortex", status: 503 });
});
