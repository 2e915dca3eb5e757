// DESIGN §5 and §10: credentials go to the configured origin and nowhere else. A next link on
// another origin is refused (and never requested), a redirect is never followed, `client.raw`
// cannot be pointed elsewhere, and `baseUrl` is an https origin (http only on loopback).
import { HttpResponse } from "msw";
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { ApiError, AuditLogsError, ConfigError, createClient, ResponseValidationError, type ClientOptions } from "../src/index.js";
import { client, evilHost, OPTIONS, ORIGIN, page, PATH, RANGE, readAll, record, rejectionOf, serve, thrownBy, VENDORS } from "./http-fixtures.js";

const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

describe("Zendesk links.next", () => {
  const firstThenNext = (next: string) => (_req: Request, n: number) =>
    HttpResponse.json(n === 1 ? page("zendesk", [record("zendesk", 1)], next) : page("zendesk", [record("zendesk", 2)]));

  test.each([
    ["another host", "https://evil.example.net/api/v2/audit_logs?page[after]=x"],
    ["a protocol-relative URL to another host", "//evil.example.net/api/v2/audit_logs?page[after]=x"],
    ["another subdomain of zendesk.com", "https://evil.zendesk.com/api/v2/audit_logs?page[after]=x"],
  ])("on %s: refused with ResponseValidationError, and that host sees no request", async (_name, next) => {
    const evil = [...evilHost(server), ...evilHost(server, "https://evil.zendesk.com")];
    const seen = serve(server, "zendesk", firstThenNext(next));
    const error = await rejectionOf(readAll(client("zendesk", { rateLimit: false })));
    expect(ResponseValidationError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ vendor: "zendesk", path: "links.next" });
    expect(error.message).toMatch(/next link points to another origin \(https:\/\/evil\.(example\.net|zendesk\.com)\); refusing to send credentials there/);
    expect(evil).toHaveLength(0);
    expect(seen).toHaveLength(1);
  });

  test.each([
    ["plain http on the same host", "http://acme.zendesk.com/api/v2/audit_logs?page[after]=x", "http://acme.zendesk.com"],
    ["another port on the same host", "https://acme.zendesk.com:8443/api/v2/audit_logs?page[after]=x", "https://acme.zendesk.com:8443"],
  ])("on %s: refused, no request there", async (_name, next, origin) => {
    const elsewhere = evilHost(server, origin);
    serve(server, "zendesk", firstThenNext(next));
    const error = await rejectionOf(readAll(client("zendesk", { rateLimit: false })));
    expect(ResponseValidationError.isInstance(error)).toBe(true);
    expect(elsewhere).toHaveLength(0);
  });

  test("a relative next link stays on the origin and is followed (with credentials)", async () => {
    const seen = serve(server, "zendesk", firstThenNext("/api/v2/audit_logs?page[after]=x&page[size]=100"));
    const events = await readAll(client("zendesk", { rateLimit: false }));
    expect(events).toHaveLength(2);
    expect(seen).toHaveLength(2);
    expect(seen[1]!.url.searchParams.get("page[after]")).toBe("x");
    expect(seen[1]!.headers.get("authorization")).toMatch(/^Basic /);
  });

  test("with OAuth too: the evil host sees nothing", async () => {
    const evil = evilHost(server);
    serve(server, "zendesk", firstThenNext("https://evil.example.net/steal"));
    const error = await rejectionOf(readAll(client("zendesk", { rateLimit: false, auth: { oauthToken: "oauth_token_1" } })));
    expect(ResponseValidationError.isInstance(error)).toBe(true);
    expect(evil).toHaveLength(0);
  });
});

describe.each(VENDORS)("%s: redirects are never followed", (vendor) => {
  test.each([301, 302, 303, 307, 308])("a %i to another origin: ApiError with that status, the other origin sees nothing", async (status) => {
    const evil = evilHost(server);
    const seen = serve(server, vendor, () => new HttpResponse(null, { status, headers: { Location: `https://evil.example.net${PATH[vendor]}` } }));
    const error = await rejectionOf(readAll(client(vendor, { rateLimit: false })));
    expect(ApiError.isInstance(error)).toBe(true);
    expect((error as ApiError).status).toBe(status);
    expect(evil).toHaveLength(0);
    expect(seen).toHaveLength(1);
  });
});

describe.each(VENDORS)("%s: client.raw stays on the origin", (vendor) => {
  test("a per-call baseUrl to another origin is refused before any request", async () => {
    const evil = evilHost(server);
    const seen = serve(server, vendor, () => HttpResponse.json(page(vendor, [])));
    const c = client(vendor, { rateLimit: false });
    const error = await rejectionOf((c.raw as any).GET(PATH[vendor], { baseUrl: "https://evil.example.net" }));
    expect(AuditLogsError.isInstance(error)).toBe(true);
    expect(error.message).toBe(`${vendor}: refusing to send credentials to https://evil.example.net; the client is configured for ${ORIGIN[vendor]}`);
    expect(evil).toHaveLength(0);
    expect(seen).toHaveLength(0);
  });

  test("credentials go to a configured baseUrl, and only there", async () => {
    const origin = "https://audit-proxy.example.org:8443";
    const defaultHost = vendor === "jitsudo" ? [] : evilHost(server, ORIGIN[vendor]);
    const seen = serve(server, vendor, () => HttpResponse.json(page(vendor, [record(vendor, 1)])), origin);
    expect(await readAll(client(vendor, { rateLimit: false, baseUrl: origin }))).toHaveLength(1);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.url.origin).toBe(origin);
    expect(seen[0]!.url.pathname).toBe(PATH[vendor]);
    expect(seen[0]!.headers.get(vendor === "jitsudo" ? "x-api-key" : "authorization")).toBeTruthy();
    expect(defaultHost).toHaveLength(0);
  });
});

describe.each(VENDORS)("%s: baseUrl must be an https origin (http only on loopback)", (vendor) => {
  const make = (baseUrl: string) => () => createClient({ vendor, ...OPTIONS[vendor], baseUrl } as ClientOptions);

  test.each([
    ["http on a public host", "http://api.example.com", /^baseUrl: must use https \(http is allowed only for localhost\/127\.0\.0\.1\/\[::1\]\), got http:\/\/api\.example\.com$/],
    ["http on a host that only starts like loopback", "http://127.0.0.1.evil.example", /^baseUrl: must use https/],
    ["http on a localhost look-alike", "http://localhost.evil.example", /^baseUrl: must use https/],
    ["another scheme", "ftp://api.example.com", /^baseUrl: must be http\(s\), got ftp:$/],
    ["the API path included", `https://api.example.com${PATH[vendor]}`, new RegExp(`^baseUrl: must be an origin only \\(scheme, host, port\\); the client adds the API path itself\\. Got path ${PATH[vendor]}$`)],
    ["any path", "https://api.example.com/v2", /^baseUrl: must be an origin only/],
    ["a query", "https://api.example.com/?region=eu", /^baseUrl: must not have a query or fragment$/],
    ["user info", "https://me:pw@api.example.com", /^baseUrl: must not contain credentials$/],
    ["not a URL", "api.example.com", /^baseUrl: is not a valid URL: "api\.example\.com"$/],
    ["empty", "", /^baseUrl: must be a URL such as https:\/\/api\.example\.com$/],
  ])("%s → ConfigError naming baseUrl", (_name, baseUrl, message) => {
    const error = thrownBy(make(baseUrl));
    expect(ConfigError.isInstance(error)).toBe(true);
    expect((error as ConfigError).option).toBe("baseUrl");
    expect(error.message).toMatch(message);
  });

  test.each(["http://localhost:8080", "http://127.0.0.1:9999", "http://[::1]:8080", "https://api.example.com", "https://api.example.com/", "https://api.example.com:8443"])(
    "%s is accepted",
    (baseUrl) => {
      expect(make(baseUrl)).not.toThrow();
    },
  );

  test("a trailing slash is the same origin: requests go to origin + API path", async () => {
    const seen = serve(server, vendor, () => HttpResponse.json(page(vendor, [])), "https://api.example.com");
    await readAll(client(vendor, { rateLimit: false, baseUrl: "https://api.example.com/" }), RANGE);
    expect(seen[0]!.url.href.startsWith(`https://api.example.com${PATH[vendor]}`)).toBe(true);
  });
});
