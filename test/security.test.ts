// DESIGN §5 security and HTTP behaviour: no secret leaks anywhere a user could see it, credentials
// never leave the configured origin, retries honour every vendor's signal, the limiter paces.
import { inspect } from "node:util";
import { delay, http, HttpResponse } from "msw";
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { ConfigError, createClient, RateLimitError, ResponseValidationError, type ClientOptions, type Clock } from "../src/index.js";
import { VENDOR_IDS, type VendorId } from "../src/core/vendor-id.js";

const SECRETS = {
  token: "tok_SECRET_5f3a9c",
  key: "key_SECRET_8b1e2d",
  email: "secret.admin@example.com",
  tenant: "7d9f3a2e-1b4c-4e8f-9a6d-2c5b8e1f4a7d",
};
const BASIC = Buffer.from(`${SECRETS.email}/token:${SECRETS.token}`).toString("base64");
const NEEDLES = [SECRETS.token, SECRETS.key, SECRETS.tenant, BASIC, `${SECRETS.email}/token`];

const OPTIONS: Record<VendorId, Record<string, unknown>> = {
  pylon: { apiToken: SECRETS.token },
  zendesk: { subdomain: "acme", auth: { email: SECRETS.email, apiToken: SECRETS.token } },
  cortex: { apiToken: SECRETS.token },
  datafold: { apiKey: SECRETS.key },
  jitsudo: { baseUrl: "https://jitsudo.example.com", apiKey: SECRETS.key, tenantId: SECRETS.tenant },
};
const ORIGIN: Record<VendorId, string> = {
  pylon: "https://api.usepylon.com",
  zendesk: "https://acme.zendesk.com",
  cortex: "https://api.getcortexapp.com",
  datafold: "https://app.datafold.com",
  jitsudo: "https://jitsudo.example.com",
};

const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

/** A clock whose sleeps return at once and are recorded. */
function fakeClock(): Clock & { sleeps: number[]; t: number } {
  const clock = {
    t: 1_000_000,
    sleeps: [] as number[],
    now: () => clock.t,
    sleep: async (ms: number) => {
      clock.sleeps.push(ms);
      clock.t += ms;
    },
  };
  return clock;
}

function expectNoSecret(label: string, text: string): void {
  for (const needle of NEEDLES) expect(text, `${label} shows a secret`).not.toContain(needle);
}

describe.each(VENDOR_IDS)("%s: no secret leaks", (vendor) => {
  const scenarios: Array<[string, () => Response | never, Record<string, unknown>]> = [
    ["401", () => HttpResponse.json({ error: "Unauthorized", message: "bad credentials" }, { status: 401 }), {}],
    ["403", () => HttpResponse.json({ code: "tenant_mismatch", message: "no" }, { status: 403 }), {}],
    ["500 after retries", () => HttpResponse.json({ error: "boom" }, { status: 500 }), { maxRetries: 2 }],
    ["network error", () => HttpResponse.error(), { maxRetries: 1 }],
    ["malformed page", () => HttpResponse.json({ nope: true }), {}],
  ];

  test.each(scenarios)("on %s: error message, stack, inspect, JSON; logs; client; checkpoint", async (_name, reply, extra) => {
    server.use(http.all(`${ORIGIN[vendor]}/*`, reply));
    const lines: string[] = [];
    const capture = (...args: unknown[]) => {
      lines.push(inspect(args, { depth: 10 }));
    };
    const client = createClient({
      vendor,
      ...OPTIONS[vendor],
      clock: fakeClock(),
      logger: { debug: capture, info: capture, warn: capture, error: capture },
      logLevel: "debug",
      ...extra,
    } as unknown as ClientOptions);
    const stream = client.events();
    const error = (await stream.toArray({ limit: 1 }).catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(Error);
    expect(lines.length).toBeGreaterThan(0);
    expectNoSecret("error.message", error.message);
    expectNoSecret("error.stack", String(error.stack));
    expectNoSecret("String(error)", String(error));
    expectNoSecret("inspect(error)", inspect(error, { depth: 10, showHidden: true }));
    expectNoSecret("JSON.stringify(error)", JSON.stringify(error));
    expectNoSecret("log lines", lines.join("\n"));
    expectNoSecret("String(client)", String(client));
    expectNoSecret("inspect(client)", inspect(client, { depth: 10, showHidden: true }));
    expectNoSecret("JSON.stringify(client)", JSON.stringify(client));
    expectNoSecret("checkpoint", JSON.stringify(stream.checkpoint()));
    // The debug log shows the request headers, masked.
    if (vendor === "jitsudo") expect(lines.join("\n")).toContain("'x-api-key': '***'");
    else expect(lines.join("\n")).toContain("authorization: '***'");
  });

  test("a ConfigError about a credential does not echo it", () => {
    const bad = { ...OPTIONS[vendor], apiToken: `${SECRETS.token} `, apiKey: `${SECRETS.key}\n`, ...(vendor === "zendesk" ? { auth: { email: SECRETS.email, apiToken: `${SECRETS.token} x` } } : {}) };
    const error = (() => {
      try {
        createClient({ vendor, ...bad } as ClientOptions);
      } catch (e) {
        return e as Error;
      }
      return undefined;
    })();
    expect(ConfigError.isInstance(error)).toBe(true);
    expectNoSecret("ConfigError", `${error!.message} ${error!.stack}`);
  });
});

describe("credentials stay on the configured origin", () => {
  test("a Zendesk next link to another origin is refused and never requested", async () => {
    let evil = 0;
    server.use(
      http.get("https://acme.zendesk.com/api/v2/audit_logs", () =>
        HttpResponse.json({ audit_logs: [], meta: { has_more: true, after_cursor: "x", before_cursor: null }, links: { next: "https://evil.example.net/api/v2/audit_logs?page[after]=x", prev: null } }),
      ),
      http.all("https://evil.example.net/*", () => {
        evil += 1;
        return HttpResponse.json({});
      }),
    );
    const client = createClient({ vendor: "zendesk", ...OPTIONS.zendesk, rateLimit: false } as ClientOptions);
    const error = await client.events().toArray({ limit: 10 }).catch((e: unknown) => e);
    expect(ResponseValidationError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(/another origin/);
    expect(evil).toBe(0);
  });

  test.each(VENDOR_IDS)("%s: a redirect to another origin is not followed", async (vendor) => {
    let evil = 0;
    server.use(
      http.all(`${ORIGIN[vendor]}/*`, () => new HttpResponse(null, { status: 302, headers: { Location: "https://evil.example.net/steal" } })),
      http.all("https://evil.example.net/*", () => {
        evil += 1;
        return HttpResponse.json({});
      }),
    );
    const client = createClient({ vendor, ...OPTIONS[vendor], rateLimit: false } as ClientOptions);
    await expect(client.events().toArray({ limit: 1 })).rejects.toThrow();
    expect(evil).toBe(0);
  });

  test("baseUrl must be https unless loopback, and an origin only", () => {
    const make = (baseUrl: string) => () => createClient({ vendor: "pylon", apiToken: "t", baseUrl });
    expect(make("http://api.example.com")).toThrow(/baseUrl: must use https/);
    expect(make("https://api.example.com/api/v1")).toThrow(/baseUrl: must be an origin only/);
    expect(make("ftp://api.example.com")).toThrow(ConfigError);
    expect(make("http://127.0.0.1:8080")).not.toThrow();
    expect(make("http://localhost:8080")).not.toThrow();
    expect(make("http://[::1]:8080")).not.toThrow();
  });
});

describe("retries honour each vendor's signal", () => {
  const page = { pylon: { data: [], pagination: { cursor: "", has_next_page: false } } };

  test("Retry-After seconds, Retry-After HTTP date, Pylon X-Retry-After, Cortex retryAfter", async () => {
    const replies = [
      () => new HttpResponse("slow down", { status: 429, headers: { "Retry-After": "2" } }),
      // An HTTP date is read against the client's clock (here 1970-01-01T00:16:42Z after the first wait).
      () => new HttpResponse("slow down", { status: 429, headers: { "Retry-After": new Date(clock.t + 5_000).toUTCString() } }),
      () => new HttpResponse(null, { status: 429, headers: { "X-Retry-After": "3" } }),
      () => HttpResponse.json({ status: 429, title: "Too Many Requests", retryAfter: 4 }, { status: 429, headers: { "content-type": "application/problem+json" } }),
      () => HttpResponse.json(page.pylon),
    ];
    let n = 0;
    server.use(http.get("https://api.usepylon.com/audit-logs", () => replies[n++]!()));
    const clock = fakeClock();
    const client = createClient({ vendor: "pylon", apiToken: "t", clock, maxRetries: 4, rateLimit: false });
    expect(await client.events().toArray({ limit: 1 })).toEqual([]);
    expect(clock.sleeps[0]).toBe(2_000);
    expect(clock.sleeps[1]).toBe(5_000);
    expect(clock.sleeps.slice(2)).toEqual([3_000, 4_000]);
  });

  test("backoff without a signal: 0.5 s doubling, with jitter", async () => {
    server.use(http.get("https://api.usepylon.com/audit-logs", () => HttpResponse.json({}, { status: 503 })));
    const clock = fakeClock();
    const client = createClient({ vendor: "pylon", apiToken: "t", clock, maxRetries: 3, rateLimit: false });
    await expect(client.events().toArray({ limit: 1 })).rejects.toThrow(/503/);
    expect(clock.sleeps).toHaveLength(3);
    [500, 1_000, 2_000].forEach((base, i) => {
      expect(clock.sleeps[i]).toBeGreaterThanOrEqual(base * 0.75);
      expect(clock.sleeps[i]).toBeLessThanOrEqual(base);
    });
  });

  test("a wait longer than maxRetryDelayMs fails at once with RateLimitError and retryAfterMs", async () => {
    let requests = 0;
    server.use(
      http.get("https://api.usepylon.com/audit-logs", () => {
        requests += 1;
        return new HttpResponse(null, { status: 429, headers: { "X-Retry-After": "120" } });
      }),
    );
    const clock = fakeClock();
    const client = createClient({ vendor: "pylon", apiToken: "t", clock, maxRetryDelayMs: 60_000, rateLimit: false });
    const error = await client.events().toArray({ limit: 1 }).catch((e: unknown) => e);
    expect(RateLimitError.isInstance(error)).toBe(true);
    expect((error as RateLimitError).retryAfterMs).toBe(120_000);
    expect(requests).toBe(1);
    expect(clock.sleeps).toEqual([]);
  });

  test.each([400, 401, 403, 404, 422])("%i is not retried", async (status) => {
    let requests = 0;
    server.use(
      http.get("https://api.usepylon.com/audit-logs", () => {
        requests += 1;
        return HttpResponse.json({ errors: ["no"] }, { status });
      }),
    );
    const client = createClient({ vendor: "pylon", apiToken: "t", clock: fakeClock(), rateLimit: false });
    await expect(client.events().toArray({ limit: 1 })).rejects.toMatchObject({ status });
    expect(requests).toBe(1);
  });

  test.each([408, 409, 425, 429, 500, 502, 503, 504])("%i is retried", async (status) => {
    let requests = 0;
    server.use(
      http.get("https://api.usepylon.com/audit-logs", () => {
        requests += 1;
        return requests === 1 ? HttpResponse.json({}, { status }) : HttpResponse.json(page.pylon);
      }),
    );
    const client = createClient({ vendor: "pylon", apiToken: "t", clock: fakeClock(), rateLimit: false });
    await client.events().toArray({ limit: 1 });
    expect(requests).toBe(2);
  });
});

describe("client-side rate limiter", () => {
  test("Pylon's default 60/min (59 of burst): the 60th request in a minute waits about a second; rateLimit false never waits", async () => {
    server.use(http.get("https://api.usepylon.com/audit-logs", () => HttpResponse.json({ data: [], pagination: { cursor: "", has_next_page: false } })));
    const clock = fakeClock();
    const client = createClient({ vendor: "pylon", apiToken: "t", clock });
    for (let i = 0; i < 59; i++) await client.raw.GET("/audit-logs", {});
    expect(clock.sleeps).toEqual([]);
    await client.raw.GET("/audit-logs", {});
    expect(clock.sleeps).toHaveLength(1);
    expect(clock.sleeps[0]).toBeGreaterThanOrEqual(990);
    expect(clock.sleeps[0]).toBeLessThanOrEqual(1_000);

    const free = fakeClock();
    const unlimited = createClient({ vendor: "pylon", apiToken: "t", clock: free, rateLimit: false });
    for (let i = 0; i < 100; i++) await unlimited.raw.GET("/audit-logs", {});
    expect(free.sleeps).toEqual([]);
  });

  test("requestsPerMinute overrides the default", async () => {
    server.use(http.get("https://api.usepylon.com/audit-logs", () => HttpResponse.json({ data: [], pagination: { cursor: "", has_next_page: false } })));
    const clock = fakeClock();
    const client = createClient({ vendor: "pylon", apiToken: "t", clock, rateLimit: { requestsPerMinute: 6 } });
    for (let i = 0; i < 6; i++) await client.raw.GET("/audit-logs", {});
    expect(clock.sleeps).toHaveLength(1);
    expect(clock.sleeps[0]).toBeGreaterThanOrEqual(9_900);
  });
});

describe("cancellation", () => {
  test("signal aborts with UserAbortError; timeoutMs gives TimeoutError", async () => {
    // The server never answers: the abort (after the request arrived) and the timeout are each
    // the only thing that can end the request, so no two timers race.
    let arrived!: () => void;
    const inFlight = new Promise<void>((resolve) => (arrived = resolve));
    server.use(http.get("https://api.getcortexapp.com/api/v1/audit-logs", async () => {
      arrived();
      await delay("infinite");
      return HttpResponse.json({ logs: [], page: 0, total: 0, totalPages: 0 });
    }));
    const controller = new AbortController();
    const client = createClient({ vendor: "cortex", apiToken: "t", rateLimit: false });
    const pending = client.events({ signal: controller.signal }).toArray({ limit: 1 });
    await inFlight;
    controller.abort();
    await expect(pending).rejects.toMatchObject({ name: "UserAbortError" });
    const slow = createClient({ vendor: "cortex", apiToken: "t", rateLimit: false, timeoutMs: 50, maxRetries: 0 });
    await expect(slow.events().toArray({ limit: 1 })).rejects.toMatchObject({ name: "TimeoutError" });
  });
});
