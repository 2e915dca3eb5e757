// DESIGN §5 security: no credential (token, key, tenant id, the Basic header value, the
// email/token pair) appears anywhere a user could print or ship it: an error's message, stack,
// String(), util.inspect(), JSON.stringify() (cause chain included), a log line at debug level,
// the client printed or serialized, or a checkpoint. For every vendor (Zendesk with both kinds of
// auth), on every failure path, and when the server echoes the credentials back.
import { inspect } from "node:util";
import { delay, HttpResponse } from "msw";
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { ConfigError, createClient, type AnyClient, type ClientOptions } from "../src/index.js";
import type { VendorId } from "../src/core/vendor-id.js";
import { BASIC, fakeClock, NEEDLES, OPTIONS, page, RANGE, record, SECRETS, serve, thrownBy, ZENDESK_OAUTH } from "./http-fixtures.js";

const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

/** Each way to authenticate: the five vendors, and Zendesk with OAuth. */
const SETUPS: Array<[string, VendorId, Record<string, unknown>]> = [
  ["pylon", "pylon", OPTIONS.pylon],
  ["zendesk (email + API token)", "zendesk", OPTIONS.zendesk],
  ["zendesk (OAuth)", "zendesk", ZENDESK_OAUTH],
  ["cortex", "cortex", OPTIONS.cortex],
  ["datafold", "datafold", OPTIONS.datafold],
  ["jitsudo", "jitsudo", OPTIONS.jitsudo],
];

/** The credentials a client holds, as its server might echo them back: plain, in a header, in a sentence. */
function echoOf(vendor: VendorId, options: Record<string, unknown>): { error: string; message: string; [key: string]: unknown } {
  const held: string[] =
    vendor === "zendesk"
      ? "oauthToken" in (options.auth as object)
        ? [`Bearer ${SECRETS.oauth}`]
        : [`Basic ${BASIC}`, `${SECRETS.email}/token:${SECRETS.token}`, SECRETS.token]
      : vendor === "jitsudo"
        ? [SECRETS.key, `tenant ${SECRETS.tenant}`]
        : vendor === "datafold"
          ? [`Key ${SECRETS.key}`]
          : [`Bearer ${SECRETS.token}`];
  return { error: "invalid_credentials", message: `rejected: ${held.join(" / ")}`, [`echo ${held[0]}`]: held };
}

type Reply = (vendor: VendorId, options: Record<string, unknown>) => Response | Promise<Response>;
const SCENARIOS: Array<[string, Reply, Record<string, unknown>]> = [
  ["401", () => HttpResponse.json({ error: "Unauthorized", message: "bad credentials" }, { status: 401, headers: { "X-Request-Id": "r401" } }), {}],
  ["403", () => HttpResponse.json({ code: "tenant_mismatch", message: "no" }, { status: 403 }), {}],
  ["500 after retries", () => HttpResponse.json({ error: "boom" }, { status: 500 }), { maxRetries: 2 }],
  ["429 asking too long", () => new HttpResponse("slow down", { status: 429, headers: { "Retry-After": "3600" } }), {}],
  ["network error after retries", () => HttpResponse.error(), { maxRetries: 1 }],
  [
    "timeout after retries",
    async (vendor) => {
      await delay(300);
      return HttpResponse.json(page(vendor, []));
    },
    { maxRetries: 1, timeoutMs: 15 },
  ],
  ["malformed page", () => HttpResponse.json({ nope: true }, { headers: { "X-Request-Id": "rbad" } }), {}],
  ["record with no time", (vendor) => HttpResponse.json(page(vendor, [{ ...record(vendor, 1), created_at: 7, timestamp: 7, action_happened_at: 7 }])), {}],
  ["401 whose JSON body echoes the credentials", (vendor, options) => HttpResponse.json(echoOf(vendor, options), { status: 401 }), {}],
  ["403 whose text body echoes the credentials", (vendor, options) => new HttpResponse(echoOf(vendor, options).message, { status: 403, headers: { "content-type": "text/plain" } }), {}],
  ["500 whose problem+json echoes the credentials", (vendor, options) => HttpResponse.json({ title: echoOf(vendor, options).message }, { status: 500 }), { maxRetries: 0 }],
];

/** Everything printable about a value, as a user (or a log shipper) would print it. */
function renderings(label: string, value: unknown): Array<[string, string]> {
  const out: Array<[string, string]> = [
    [`String(${label})`, String(value)],
    [`inspect(${label})`, inspect(value, { depth: 10, showHidden: true, getters: true })],
    [`JSON.stringify(${label})`, JSON.stringify(value) ?? ""],
  ];
  if (value instanceof Error) {
    out.push([`${label}.message`, value.message], [`${label}.stack`, String(value.stack)]);
    if (value.cause !== undefined) out.push(...renderings(`${label}.cause`, value.cause));
    // Every own property, enumerable or not (body, headers, requestId, …).
    for (const key of Object.getOwnPropertyNames(value)) out.push([`${label}.${key}`, inspect((value as unknown as Record<string, unknown>)[key], { depth: 10 })]);
  }
  return out;
}

function expectNoSecret(pairs: Array<[string, string]>): void {
  for (const [where, text] of pairs) for (const needle of NEEDLES) expect(text.includes(needle), `${where} shows a credential (${needle})`).toBe(false);
}

describe.each(SETUPS)("%s: no credential leaks", (_label, vendor, options) => {
  test.each(SCENARIOS)("on %s: the error, the logs, the client and the checkpoint", async (_name, reply, extra) => {
    const seen = serve(server, vendor, () => reply(vendor, options));
    const lines: string[] = [];
    const capture = (...args: unknown[]) => void lines.push(inspect(args, { depth: 10, showHidden: true }));
    const client = createClient({
      vendor,
      ...options,
      clock: fakeClock(),
      logger: { debug: capture, info: capture, warn: capture, error: capture },
      logLevel: "debug",
      ...extra,
    } as unknown as ClientOptions) as AnyClient;
    const stream = (client.events as (p: object) => ReturnType<AnyClient["events"]>)(RANGE);
    const error = await stream.toArray({ limit: 10 }).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error, "the scenario must fail").toBeInstanceOf(Error);
    expect(seen.length).toBeGreaterThan(0);
    // The debug log did run, and shows the auth header masked.
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.join("\n")).toMatch(vendor === "jitsudo" ? /'x-api-key': '\*\*\*'.*'x-tenant-id': '\*\*\*'/s : /authorization: '\*\*\*'/);
    expectNoSecret([
      ...renderings("error", error),
      ["log lines", lines.join("\n")],
      ...renderings("client", client),
      ["inspect(client.raw)", inspect(client.raw, { depth: 10, showHidden: true })],
      ["inspect(stream)", inspect(stream, { depth: 10, showHidden: true })],
      ["JSON.stringify(checkpoint)", JSON.stringify(stream.checkpoint())],
    ]);
  });

  test("after a successful run: client, stream, checkpoint and events carry no credential beyond the tenant field", async () => {
    serve(server, vendor, () => HttpResponse.json(page(vendor, [record(vendor, 1)])));
    const lines: string[] = [];
    const capture = (...args: unknown[]) => void lines.push(inspect(args, { depth: 10 }));
    // One chain: this server ignores time filters, so parallel time slices would each get its record.
    const client = createClient({ vendor, ...options, concurrency: 1, clock: fakeClock(), logger: { debug: capture, info: capture }, logLevel: "debug" } as unknown as ClientOptions) as AnyClient;
    const stream = (client.events as (p: object) => ReturnType<AnyClient["events"]>)(RANGE);
    const events = await stream.toArray({ limit: 10 });
    expect(events).toHaveLength(1);
    // JITSudo's tenant id is the event's documented `tenant` field (DESIGN §3), nothing else is.
    const shown = events.map(({ tenant: _tenant, ...rest }) => rest);
    expectNoSecret([
      ["events", JSON.stringify(shown)],
      ["log lines", lines.join("\n")],
      ...renderings("client", client),
      ["JSON.stringify(checkpoint)", JSON.stringify(stream.checkpoint())],
    ]);
  });
});

describe.each(SETUPS)("%s: configuration errors never echo a credential", (_label, vendor, options) => {
  const variants: Array<[string, Record<string, unknown>]> = [
    ["a credential with a trailing space", { apiToken: `${SECRETS.token} `, apiKey: `${SECRETS.key} ` }],
    ["a credential with a line break", { apiToken: `${SECRETS.token}\n`, apiKey: `${SECRETS.key}\r\n` }],
    ["an invalid baseUrl holding a password", { baseUrl: `https://user:${SECRETS.token}@host:99999` }],
    ["a baseUrl holding a password", { baseUrl: `https://user:${SECRETS.token}@api.example.com` }],
    ["a baseUrl with the key in its query", { baseUrl: `https://api.example.com/?key=${SECRETS.key}` }],
  ];
  test.each(variants)("%s", (name, bad) => {
    const merged: Record<string, unknown> = { ...options };
    for (const [key, value] of Object.entries(bad)) if (key === "baseUrl" || key in merged) merged[key] = value;
    if (vendor === "zendesk" && name.startsWith("a credential")) {
      merged.auth = "oauthToken" in (options.auth as object) ? { oauthToken: bad.apiToken } : { email: SECRETS.email, apiToken: bad.apiToken };
    }
    const error = thrownBy(() => createClient({ vendor, ...merged } as ClientOptions));
    expect(ConfigError.isInstance(error)).toBe(true);
    expectNoSecret(renderings("error", error));
  });

});

test("a JITSudo tenant id that is not a uuid is refused without echoing it", () => {
  const error = thrownBy(() => createClient({ vendor: "jitsudo", ...OPTIONS.jitsudo, tenantId: `x${SECRETS.tenant}` } as ClientOptions));
  expect((error as ConfigError).option).toBe("tenantId");
  expectNoSecret(renderings("error", error));
});
