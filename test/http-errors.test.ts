// DESIGN §5 errors, for every vendor: each HTTP status becomes the class a caller catches, with
// vendor, status, request id and body; every class has its `name` and a static `isInstance()`
// that accepts exactly its own instances; bodies that are not JSON never crash parsing.
import { HttpResponse } from "msw";
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import * as api from "../src/index.js";
import {
  ApiError,
  AuditLogsError,
  AuthenticationError,
  BadRequestError,
  ConfigError,
  ConnectionError,
  InternalServerError,
  NotFoundError,
  PaginationLoopError,
  PermissionDeniedError,
  RateLimitError,
  ResponseValidationError,
  TimeoutError,
  UnprocessableEntityError,
  UserAbortError,
} from "../src/index.js";
import { client, readAll, rejectionOf, serve, VENDORS } from "./http-fixtures.js";

const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

const BY_STATUS: Array<[number, typeof ApiError, string]> = [
  [400, BadRequestError, "BadRequestError"],
  [401, AuthenticationError, "AuthenticationError"],
  [403, PermissionDeniedError, "PermissionDeniedError"],
  [404, NotFoundError, "NotFoundError"],
  [422, UnprocessableEntityError, "UnprocessableEntityError"],
  [429, RateLimitError, "RateLimitError"],
  [500, InternalServerError, "InternalServerError"],
  [502, InternalServerError, "InternalServerError"],
  [503, InternalServerError, "InternalServerError"],
  [504, InternalServerError, "InternalServerError"],
];

describe.each(VENDORS)("%s: status → error class", (vendor) => {
  test.each(BY_STATUS)("HTTP %i → %O", async (status, Class, name) => {
    serve(server, vendor, () => HttpResponse.json({ error: "nope", message: "details here" }, { status, headers: { "X-Request-Id": `req_${status}` } }));
    const error = await rejectionOf(readAll(client(vendor, { rateLimit: false, maxRetries: 0 })));
    expect(Class.isInstance(error)).toBe(true);
    expect(ApiError.isInstance(error)).toBe(true);
    expect(AuditLogsError.isInstance(error)).toBe(true);
    expect(error).toBeInstanceOf(Class);
    expect(error.name).toBe(name);
    expect(error).toMatchObject({ vendor, status, requestId: `req_${status}`, body: { error: "nope", message: "details here" } });
    expect(error.message).toBe(`${vendor}: HTTP ${status} nope: details here (request id req_${status})`);
    expect(String(error)).toBe(`${name}: ${error.message}`);
  });

  test("an unlisted status (418) is a plain ApiError", async () => {
    serve(server, vendor, () => new HttpResponse("I'm a teapot", { status: 418 }));
    const error = await rejectionOf(readAll(client(vendor, { rateLimit: false })));
    expect(error.name).toBe("ApiError");
    expect(ApiError.isInstance(error)).toBe(true);
    expect(BadRequestError.isInstance(error)).toBe(false);
    expect((error as ApiError).status).toBe(418);
  });

  test("a 302 (to anywhere) is not followed: an ApiError with status 302", async () => {
    const seen = serve(server, vendor, () => new HttpResponse(null, { status: 302, headers: { Location: "/elsewhere" } }));
    const error = await rejectionOf(readAll(client(vendor, { rateLimit: false })));
    expect(ApiError.isInstance(error)).toBe(true);
    expect((error as ApiError).status).toBe(302);
    expect(seen).toHaveLength(1);
  });

  test.each([
    ["text/plain", "Number of allowed API requests per minute exceeded"],
    ["text/html", "<html><body><h1>502 Bad Gateway</h1></body></html>"],
    ["application/json", '{"error": "truncat'],
    ["application/json", ""],
    ["application/problem+json", "not json at all"],
  ])("an error body of type %s %j never crashes parsing", async (type, text) => {
    serve(server, vendor, () => new HttpResponse(text || null, { status: 429, headers: { "content-type": type, "Retry-After": "1" } }));
    const error = await rejectionOf(readAll(client(vendor, { rateLimit: false, maxRetries: 0 })));
    expect(RateLimitError.isInstance(error)).toBe(true);
    expect((error as RateLimitError).retryAfterMs).toBe(1_000);
    if (text) expect((error as ApiError).body).toBe(text);
    else expect((error as ApiError).body).toBeUndefined();
  });

  test("a request id from the X-Request-Id header is on the error (and on a page)", async () => {
    serve(server, vendor, () => HttpResponse.json({ message: "who are you" }, { status: 401, headers: { "X-Request-Id": "abc-123" } }));
    const error = await rejectionOf(readAll(client(vendor, { rateLimit: false })));
    expect((error as ApiError).requestId).toBe("abc-123");
    expect(error.message).toContain("(request id abc-123)");
  });
});

describe("vendor facts", () => {
  test("Pylon: the request id comes from the body's request_id", async () => {
    serve(server, "pylon", () => HttpResponse.json({ errors: ["invalid token"], request_id: "pylon-req-9" }, { status: 401 }));
    const error = await rejectionOf(readAll(client("pylon", { rateLimit: false })));
    expect(AuthenticationError.isInstance(error)).toBe(true);
    expect((error as ApiError).requestId).toBe("pylon-req-9");
    expect(error.message).toBe("pylon: HTTP 401 invalid token (request id pylon-req-9)");
  });

  test("Zendesk's plan-gated 403 is explained in plain words (Enterprise plan)", async () => {
    serve(server, "zendesk", () =>
      HttpResponse.json(
        { error: "Forbidden", description: "You do not have access to this page. Please contact the account owner of this help desk for further help." },
        { status: 403, headers: { "X-Request-Id": "zd-403" } },
      ),
    );
    const error = await rejectionOf(readAll(client("zendesk", { rateLimit: false })));
    expect(PermissionDeniedError.isInstance(error)).toBe(true);
    expect(error.message).toMatch(/^zendesk: HTTP 403: .*Enterprise plan/);
    expect(error.message).toContain("(request id zd-403)");
    expect((error as ApiError).body).toMatchObject({ error: "Forbidden" });
  });

  test("Zendesk with OAuth gets the same explanation", async () => {
    serve(server, "zendesk", () => HttpResponse.json({ error: "Forbidden", description: "You do not have access to this page." }, { status: 403 }));
    const error = await rejectionOf(readAll(client("zendesk", { rateLimit: false, auth: { oauthToken: "oauth_abcdef" } })));
    expect(error.message).toMatch(/Enterprise plan/);
  });

  test("another Zendesk 403 keeps the vendor's own words", async () => {
    serve(server, "zendesk", () => HttpResponse.json({ error: "Forbidden", description: "IP address not allowed" }, { status: 403 }));
    const error = await rejectionOf(readAll(client("zendesk", { rateLimit: false })));
    expect(error.message).toBe("zendesk: HTTP 403 Forbidden: IP address not allowed");
  });

  test("JITSudo's 403 tenant_mismatch is a PermissionDeniedError with the code in its message", async () => {
    serve(server, "jitsudo", () => HttpResponse.json({ code: "tenant_mismatch", message: "the credential and X-Tenant-ID belong to different tenants" }, { status: 403 }));
    const error = await rejectionOf(readAll(client("jitsudo", { rateLimit: false })));
    expect(PermissionDeniedError.isInstance(error)).toBe(true);
    expect(error.message).toBe("jitsudo: HTTP 403 tenant_mismatch: the credential and X-Tenant-ID belong to different tenants");
  });

  test("Cortex's problem+json 429 gives title and detail", async () => {
    serve(server, "cortex", () =>
      HttpResponse.json({ title: "Too Many Requests", status: 429, detail: "Rate limit exceeded", retryAfter: 2 }, { status: 429, headers: { "content-type": "application/problem+json" } }),
    );
    const error = await rejectionOf(readAll(client("cortex", { rateLimit: false, maxRetries: 0 })));
    expect(error.message).toBe("cortex: HTTP 429 Too Many Requests: Rate limit exceeded");
    expect((error as RateLimitError).retryAfterMs).toBe(2_000);
  });
});

describe("every error class: name and isInstance", () => {
  const init = { vendor: "pylon" as const, status: 400 };
  const instances: Array<[string, AuditLogsError]> = [
    ["AuditLogsError", new AuditLogsError("x")],
    ["ConfigError", new ConfigError("x", "opt")],
    ["ApiError", new ApiError({ ...init, status: 418 })],
    ["BadRequestError", new BadRequestError(init)],
    ["AuthenticationError", new AuthenticationError({ ...init, status: 401 })],
    ["PermissionDeniedError", new PermissionDeniedError({ ...init, status: 403 })],
    ["NotFoundError", new NotFoundError({ ...init, status: 404 })],
    ["UnprocessableEntityError", new UnprocessableEntityError({ ...init, status: 422 })],
    ["RateLimitError", new RateLimitError({ ...init, status: 429, retryAfterMs: 5 })],
    ["InternalServerError", new InternalServerError({ ...init, status: 500 })],
    ["ConnectionError", new ConnectionError("x")],
    ["TimeoutError", new TimeoutError("x")],
    ["UserAbortError", new UserAbortError()],
    ["ResponseValidationError", new ResponseValidationError({ vendor: "pylon", path: "data", message: "x" })],
    ["PaginationLoopError", new PaginationLoopError("pylon", "x")],
  ];
  const parents: Record<string, string[]> = {
    BadRequestError: ["ApiError"],
    AuthenticationError: ["ApiError"],
    PermissionDeniedError: ["ApiError"],
    NotFoundError: ["ApiError"],
    UnprocessableEntityError: ["ApiError"],
    RateLimitError: ["ApiError"],
    InternalServerError: ["ApiError"],
    TimeoutError: ["ConnectionError"],
  };

  test("every class is exported from the root", () => {
    for (const [name] of instances) expect(typeof (api as Record<string, unknown>)[name]).toBe("function");
  });

  test.each(instances)("%s: name, and isInstance true for it and its parents only", (name, error) => {
    expect(error.name).toBe(name);
    expect(error).toBeInstanceOf(Error);
    for (const [other] of instances) {
      const Class = (api as unknown as Record<string, { isInstance(v: unknown): boolean }>)[other]!;
      const expected = other === name || other === "AuditLogsError" || (parents[name] ?? []).includes(other);
      expect(Class.isInstance(error), `${other}.isInstance(${name})`).toBe(expected);
    }
  });

  test("isInstance recognizes an error from another copy of the package (the Symbol.for brand), and rejects look-alikes", () => {
    const foreign = Object.assign(new Error("x"), { name: "RateLimitError" });
    Object.defineProperty(foreign, Symbol.for("auditlogs.AuditLogsError"), { value: true });
    Object.defineProperty(foreign, Symbol.for("auditlogs.ApiError"), { value: true });
    Object.defineProperty(foreign, Symbol.for("auditlogs.RateLimitError"), { value: true });
    expect(RateLimitError.isInstance(foreign)).toBe(true);
    expect(ApiError.isInstance(foreign)).toBe(true);
    expect(AuthenticationError.isInstance(foreign)).toBe(false);
    const lookalike = Object.assign(new Error("x"), { name: "RateLimitError", status: 429 });
    expect(RateLimitError.isInstance(lookalike)).toBe(false);
    expect(AuditLogsError.isInstance(null)).toBe(false);
    expect(AuditLogsError.isInstance("RateLimitError")).toBe(false);
  });
});
