// Vendor facts the simulator must keep: each vendor's filters and time filters (with their
// bounds), sort orders, plan gates, tenant checks, GET body rules, and records that look like
// the vendor's own.
import { describe, expect, test } from "vitest";
import { createSimulator, type Simulator } from "../src/testing/index.js";
import type { VendorId } from "../src/core/vendor-id.js";
import { authHeaders, distinct, PATHS, specValidator } from "./simulator-fixtures.js";

const COUNT = 200;
const sim = createSimulator({ eventsPerVendor: COUNT, seed: 7, rateLimit: false });
const ORIGIN = "https://example.test";

interface Sent {
  status: number;
  headers: Headers;
  body: Record<string, any>;
  text: string;
}

/** One request to the dispatcher: the vendor's path plus `query`, authenticated unless headers are given. */
async function send(vendor: VendorId, query = "", options: { body?: string; headers?: Record<string, string>; s?: Simulator } = {}): Promise<Sent> {
  const s = options.s ?? sim;
  const response = await s.handle(new Request(`${ORIGIN}${PATHS[vendor]}${query}`, { headers: options.headers ?? authHeaders(vendor, s.credentials) }), options.body);
  const text = await response.text();
  let body: Record<string, any> = {};
  try {
    body = JSON.parse(text) as Record<string, any>;
  } catch {
    // text/plain (Zendesk's 429)
  }
  return { status: response.status, headers: response.headers, body, text };
}

const q = (value: string) => encodeURIComponent(value);

describe("Pylon", () => {
  const events = sim.events.pylon;

  test("records: every field optional, CamelCase actions, contacts or users or nobody as actor", () => {
    expect(events.every((e) => /^[A-Z][A-Za-z]+$/.test(e.action ?? ""))).toBe(true);
    expect(events.some((e) => e.actor_contact_id && !e.actor_user_id)).toBe(true);
    expect(events.some((e) => e.actor_user_id && !e.actor_contact_id)).toBe(true);
    expect(events.some((e) => !e.actor_user_id && !e.actor_contact_id)).toBe(true);
    expect(events.some((e) => e.action_happened_at === undefined && e.created_at !== undefined)).toBe(true);
    expect(events.some((e) => e.link?.startsWith("https://app.usepylon.com/issues"))).toBe(true);
    expect(events.every((e) => Object.values(e.attributes ?? {}).every((v) => typeof v === "string"))).toBe(true);
  });

  test("has no filters: time or action parameters are ignored", async () => {
    const plain = await send("pylon", "?limit=50");
    const filtered = await send("pylon", `?limit=50&since=${q(new Date().toISOString())}&action=UserCreated&start_time=2030-01-01T00:00:00Z`);
    expect(filtered.body.data).toEqual(plain.body.data);
  });

  test("the last page's cursor is kept: polled later, it yields only what arrived since", async () => {
    const s = createSimulator({ vendors: ["pylon"], eventsPerVendor: 30, rateLimit: false });
    const last = await send("pylon", "?limit=30", { s });
    expect(last.body.pagination.has_next_page).toBe(false);
    const cursor = q(last.body.pagination.cursor);
    expect((await send("pylon", `?cursor=${cursor}`, { s })).body.data).toEqual([]);
    const added = s.addEvents("pylon", 4);
    const later = await send("pylon", `?cursor=${cursor}`, { s });
    expect(later.body.data).toEqual(added);
    expect(later.body.pagination.has_next_page).toBe(false);
  });
});

describe("Zendesk", () => {
  const events = sim.events.zendesk;
  const at = (i: number) => events[i]!.created_at;
  const INVALID = "Invalid filter[created_at] specified; format is ?filter[created_at][]=YYYY-MM-DDTHH:MM:SSZ&filter[created_at][]=YYYY-MM-DDTHH:MM:SSZ";

  test("records: integer ids growing with time, actions with labels, second-precision times", () => {
    expect(events.every((e) => Number.isSafeInteger(e.id) && e.id > 10 ** 13)).toBe(true);
    expect(events.every((e, i) => i === 0 || e.id > events[i - 1]!.id)).toBe(true);
    expect(new Set(events.map((e) => e.action))).toEqual(new Set(["create", "update", "destroy", "login", "exported"]));
    expect(events.every((e) => typeof e.action_label === "string" && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/.test(e.created_at))).toBe(true);
    expect(events.some((e) => e.change_description === "")).toBe(true);
    expect(events.some((e) => e.actor_name === undefined)).toBe(true);
  });

  test("newest first by default, oldest first with sort=created_at; another sort is a 400", async () => {
    expect((await send("zendesk", "?page[size]=5")).body.audit_logs).toEqual(events.slice(-5).reverse());
    expect((await send("zendesk", "?page[size]=5&sort=created_at")).body.audit_logs).toEqual(events.slice(0, 5));
    expect((await send("zendesk", "?page[size]=5&sort=id")).status).toBe(400);
  });

  test("links.next is an absolute URL on the request's own origin, keeping filters and sort; the last page has null", async () => {
    const seen: unknown[] = [];
    let reply = await send("zendesk", "?page[size]=20&sort=created_at&filter[action][]=update&filter[action][]=create");
    for (;;) {
      seen.push(...reply.body.audit_logs);
      if (!reply.body.meta.has_more) break;
      const next = new URL(reply.body.links.next as string);
      expect(next.origin).toBe(ORIGIN);
      expect(next.pathname).toBe(PATHS.zendesk);
      expect(next.searchParams.getAll("filter[action][]")).toEqual(["update", "create"]);
      expect(next.searchParams.get("sort")).toBe("created_at");
      reply = await send("zendesk", next.search);
    }
    expect(reply.body.links.next).toBeNull();
    expect(seen).toEqual(events.filter((e) => e.action === "update" || e.action === "create"));
  });

  test("a cursor is bound to its sort; page[before] goes back", async () => {
    const first = await send("zendesk", "?page[size]=10&sort=created_at");
    const second = await send("zendesk", `?page[size]=10&sort=created_at&page[after]=${q(first.body.meta.after_cursor)}`);
    expect(second.body.audit_logs).toEqual(events.slice(10, 20));
    const back = await send("zendesk", `?page[size]=10&sort=created_at&page[before]=${q(second.body.meta.before_cursor)}`);
    expect(back.body.audit_logs).toEqual(events.slice(0, 10));
    expect(back.body.meta.has_more).toBe(false);
    const otherSort = await send("zendesk", `?page[size]=10&page[after]=${q(first.body.meta.after_cursor)}`);
    expect(otherSort).toMatchObject({ status: 400, body: { error: "InvalidPaginationParameter" } });
  });

  test("filter[created_at][] twice is inclusive at both ends", async () => {
    const [from, to] = [at(20), at(60)];
    const reply = await send("zendesk", `?page[size]=100&sort=created_at&filter[created_at][]=${from}&filter[created_at][]=${to}`);
    expect(reply.status).toBe(200);
    expect(reply.body.audit_logs).toEqual(events.filter((e) => e.created_at >= from && e.created_at <= to));
    expect(reply.body.audit_logs[0].created_at).toBe(from);
    expect(reply.body.audit_logs.at(-1).created_at).toBe(to);
  });

  test.each([
    ["without []", `filter[created_at]=${q("2026-01-01T00:00:00Z")}`],
    ["once", "filter[created_at][]=2026-01-01T00:00:00Z"],
    ["three times", "filter[created_at][]=2026-01-01T00:00:00Z&filter[created_at][]=2026-01-02T00:00:00Z&filter[created_at][]=2026-01-03T00:00:00Z"],
    ["not a time", "filter[created_at][]=yesterday&filter[created_at][]=2026-01-02T00:00:00Z"],
  ])("filter[created_at] %s is the vendor's 400 InvalidValue", async (_, query) => {
    const reply = await send("zendesk", `?page[size]=10&${query}`);
    expect(reply).toMatchObject({ status: 400, body: { error: "InvalidValue", description: INVALID } });
    expect(specValidator("zendesk", "ErrorResponse")(reply.body)).toBe("");
  });

  test("a bound 60 s or less in the past is a 400; 61 s is fine", async () => {
    const ago = (s: number) => new Date(Date.now() - s * 1000).toISOString().replace(/\.\d+Z$/, "Z");
    expect((await send("zendesk", `?page[size]=10&filter[created_at][]=${at(0)}&filter[created_at][]=${ago(30)}`)).status).toBe(400);
    expect((await send("zendesk", `?page[size]=10&filter[created_at][]=${ago(50)}&filter[created_at][]=${ago(120)}`)).status).toBe(400);
    expect((await send("zendesk", `?page[size]=10&filter[created_at][]=${at(0)}&filter[created_at][]=${ago(62)}`)).status).toBe(200);
  });

  test("filters by action, actor, source and ip, repeated with [] or single; source_id needs source_type", async () => {
    const e = events[42]!;
    const all = async (query: string) => (await send("zendesk", `?page[size]=100&sort=created_at&${query}`)).body.audit_logs as unknown[];
    expect(await all("filter[action]=login")).toEqual(events.filter((x) => x.action === "login"));
    expect(await all("filter[action][]=login&filter[action][]=exported")).toEqual(events.filter((x) => x.action === "login" || x.action === "exported"));
    expect(await all(`filter[actor_id][]=${e.actor_id}`)).toEqual(events.filter((x) => x.actor_id === e.actor_id));
    expect(await all(`filter[source_type]=${e.source_type}&filter[source_id]=${e.source_id}`)).toContainEqual(e);
    expect(await all(`filter[ip_address]=${e.ip_address}`)).toEqual(events.filter((x) => x.ip_address === e.ip_address));
    expect(await send("zendesk", `?page[size]=10&filter[source_id]=${e.source_id}`)).toMatchObject({ status: 400, body: { error: "InvalidValue" } });
  });

  test("an OAuth Bearer token works too; an account without Enterprise gets the plan-gate 403", async () => {
    expect((await send("zendesk", "?page[size]=1", { headers: { authorization: "Bearer sim_zendesk_oauth_token" } })).status).toBe(200);
    expect((await send("zendesk", "?page[size]=1", { headers: { authorization: "Bearer another" } })).status).toBe(401);
    const gated = createSimulator({ vendors: ["zendesk"], eventsPerVendor: 1, zendeskEnterprise: false });
    const reply = await send("zendesk", "?page[size]=1", { s: gated });
    expect(reply).toMatchObject({ status: 403, body: { error: "Forbidden" } });
    expect(reply.body.description).toContain("You do not have access to this page.");
    expect(specValidator("zendesk", "ErrorResponse")(reply.body)).toBe("");
  });

  test("without page[size], offset pagination: its own envelope, per_page at most 100, 10,000 records deep", async () => {
    const reply = await send("zendesk", "?per_page=50&page=2");
    expect(reply.body).toMatchObject({ count: COUNT, audit_logs: events.slice(-100, -50).reverse() });
    expect(new URL(reply.body.next_page as string).searchParams.get("page")).toBe("3");
    expect(new URL(reply.body.previous_page as string).searchParams.get("page")).toBe("1");
    expect((await send("zendesk", "?per_page=101")).status).toBe(400);
    expect((await send("zendesk", "?per_page=100&page=101")).status).toBe(400);
  });

  test("the .json form of the path is served too", async () => {
    const response = await sim.handle(new Request(`${ORIGIN}${PATHS.zendesk}.json?page[size]=2`, { headers: authHeaders("zendesk", sim.credentials) }));
    expect(response.status).toBe(200);
  });
});

describe("Cortex", () => {
  const events = sim.events.cortex;
  const logs = async (query: string) => (await send("cortex", `?pageSize=1000&${query}`)).body.logs as typeof events;

  test("records: no id, CREATE/UPDATE/DELETE, some without actor, actors as emails or key names, ms timestamps, all distinct", () => {
    expect(events.every((e) => !("id" in e) && ["CREATE", "UPDATE", "DELETE"].includes(e.action))).toBe(true);
    expect(events.some((e) => e.actorIdentifier === undefined)).toBe(true);
    expect(events.some((e) => e.actorIdentifier?.includes("@"))).toBe(true);
    expect(events.some((e) => e.actorIdentifier !== undefined && !e.actorIdentifier.includes("@"))).toBe(true);
    expect(events.every((e) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/.test(e.timestamp))).toBe(true);
    expect(distinct(events)).toBe(COUNT);
  });

  test("records stay distinct as whole objects even when many occur at the same instant", () => {
    const s = createSimulator({ vendors: ["cortex"], eventsPerVendor: 0 });
    const added = [...s.addEvents("cortex", 300, { occurredAt: "2026-05-01T00:00:00.000Z" }), ...s.addEvents("cortex", 300, { occurredAt: "2026-05-01T00:00:00.000Z" })];
    expect(distinct(added)).toBe(600);
  });

  test("startTime and endTime are inclusive; a time without offset is UTC; a bad one is a 400", async () => {
    const [from, to] = [events[30]!.timestamp, events[90]!.timestamp];
    expect(await logs(`startTime=${from}&endTime=${to}`)).toEqual(events.slice(30, 91));
    const noZone = events[30]!.timestamp.replace("Z", "");
    expect(await logs(`startTime=${noZone}`)).toEqual(events.slice(30));
    expect((await send("cortex", "?startTime=last-week")).status).toBe(400);
  });

  test("array filters comma-joined or repeated; unknown enum values are a 400", async () => {
    const wanted = events.filter((e) => e.action === "CREATE" || e.action === "DELETE");
    expect(await logs("actions=CREATE,DELETE")).toEqual(wanted);
    expect(await logs("actions=CREATE&actions=DELETE")).toEqual(wanted);
    expect((await send("cortex", "?actions=CREATE,EXPLODE")).status).toBe(400);
    const e = events.find((x) => x.actorIdentifier?.includes("@"))!;
    expect(await logs(`actorEmails=${q(e.actorIdentifier!)}`)).toEqual(events.filter((x) => x.actorIdentifier === e.actorIdentifier));
    expect(await logs(`objectTypes=TEAM,SCORECARD`)).toEqual(events.filter((x) => x.objectType === "TEAM" || x.objectType === "SCORECARD"));
    expect(await logs(`objectIdentifiers=${q(e.objectIdentifier)}`)).toEqual(events.filter((x) => x.objectIdentifier === e.objectIdentifier));
    expect(await logs("actorTypes=ANONYMOUS")).toEqual(events.filter((x) => x.actorIdentifier === undefined));
    expect(await logs("actorTypes=OAUTH2")).toEqual(events.filter((x) => x.actorIdentifier?.includes("@")));
  });
});

describe("Datafold", () => {
  const events = sim.events.datafold;
  const range = (start: string | null, end: string | null) => JSON.stringify({ start_date: start, end_date: end });

  test("records: Python timestamps, integer ids, nullable fields sometimes null", () => {
    expect(events.every((e) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00$/.test(e.timestamp))).toBe(true);
    expect(events.every((e) => /^[0-9a-f-]{36}$/.test(e.event_uuid) && e.url.startsWith("/"))).toBe(true);
    for (const field of ["action", "user_id", "user_email", "object_id", "payload", "referer", "user_agent", "log_entry", "is_support_user"] as const) {
      expect(events.some((e) => e[field] === null), field).toBe(true);
      expect(events.some((e) => e[field] !== null), field).toBe(true);
    }
    expect(events.every((e) => e.user_id === null || Number.isInteger(e.user_id))).toBe(true);
  });

  test("the GET body selects the range, both ends inclusive; an empty, null or open body gives everything", async () => {
    const [from, to] = [events[10]!.timestamp, events[20]!.timestamp];
    expect((await send("datafold", "", { body: range(from, to) })).body.logs).toEqual(events.slice(10, 21));
    expect((await send("datafold", "", { body: range(from, null) })).body.logs).toEqual(events.slice(10));
    for (const body of [undefined, "", "null", "{}", range(null, null)]) expect((await send("datafold", "", { body })).body.logs).toHaveLength(COUNT);
  });

  test("query parameters are ignored, as FastAPI ignores undeclared ones", async () => {
    expect((await send("datafold", `?start_date=${q(events[100]!.timestamp)}`)).body.logs).toHaveLength(COUNT);
  });

  test.each([
    ["not JSON", "{start_date:", "json_invalid"],
    ["not an object", "[1, 2]", "model_attributes_type"],
    ["not a date", JSON.stringify({ start_date: "last tuesday" }), "datetime_from_date_parsing"],
    ["a number", JSON.stringify({ end_date: 5 }), "datetime_from_date_parsing"],
  ])("a body that is %s is a 422 with FastAPI's detail list", async (_, body, type) => {
    const reply = await send("datafold", "", { body });
    expect(reply.status).toBe(422);
    expect(reply.body.detail[0]).toMatchObject({ loc: expect.arrayContaining(["body"]), msg: expect.any(String), type });
    expect(specValidator("datafold", "HTTPValidationError")(reply.body)).toBe("");
  });

  test("datafoldMaxLogs cuts every answer silently, oldest first", async () => {
    const capped = createSimulator({ vendors: ["datafold"], eventsPerVendor: 50, datafoldMaxLogs: 7 });
    expect((await send("datafold", "", { s: capped })).body.logs).toEqual(capped.events.datafold.slice(0, 7));
  });

  test("Authorization must be Key <apiKey>", async () => {
    expect((await send("datafold", "", { headers: { authorization: `Bearer ${sim.credentials.datafold.apiKey}` } })).status).toBe(401);
    expect((await send("datafold", "", { headers: { authorization: sim.credentials.datafold.apiKey } })).status).toBe(401);
  });
});

describe("JITSudo", () => {
  const events = sim.events.jitsudo;
  const data = async (query: string) => (await send("jitsudo", `?limit=1000&${query}`)).body.data as typeof events;
  const key = sim.credentials.jitsudo.apiKey;

  test("records: uuid ids, actor types api_key/oidc/system, reasoning a string, null or absent", () => {
    expect(events.every((e) => /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(e.id))).toBe(true);
    expect(new Set(events.map((e) => e.actor_type))).toEqual(new Set(["api_key", "oidc", "system"]));
    expect(events.some((e) => e.reasoning === null)).toBe(true);
    expect(events.some((e) => typeof e.reasoning === "string")).toBe(true);
    expect(events.some((e) => !("reasoning" in e))).toBe(true);
  });

  test("a good key with another tenant is 403 tenant_mismatch; a bad key is 401 whatever the tenant; no tenant is 400", async () => {
    const other = "00000000-0000-4000-8000-000000000000";
    const mismatch = await send("jitsudo", "", { headers: { "x-api-key": key, "x-tenant-id": other } });
    expect(mismatch).toMatchObject({ status: 403, body: { code: "tenant_mismatch" } });
    expect(specValidator("jitsudo", "Error")(mismatch.body)).toBe("");
    expect((await send("jitsudo", "", { headers: { "x-api-key": "wrong", "x-tenant-id": other } })).status).toBe(401);
    expect((await send("jitsudo", "", { headers: { "x-api-key": key } })).status).toBe(400);
    expect((await send("jitsudo", "", { headers: { "x-api-key": key, "x-tenant-id": sim.credentials.jitsudo.tenantId.toUpperCase() } })).status).toBe(200);
  });

  test("from and to are inclusive", async () => {
    const [from, to] = [events[5]!.created_at, events[50]!.created_at];
    expect(await data(`from=${from}&to=${to}`)).toEqual(events.filter((e) => e.created_at >= from && e.created_at <= to));
    expect((await send("jitsudo", "?from=soon")).status).toBe(400);
  });

  test("filters actor_id, resource_type, resource_id and action match exactly", async () => {
    const e = events.find((x) => x.resource_type === "aws_account")!;
    expect(await data(`action=${e.action}`)).toEqual(events.filter((x) => x.action === e.action));
    expect(await data(`actor_id=${q(e.actor_id)}`)).toEqual(events.filter((x) => x.actor_id === e.actor_id));
    expect(await data(`resource_type=aws_account&resource_id=${e.resource_id}`)).toEqual(events.filter((x) => x.resource_id === e.resource_id));
  });

  test("the last page has has_more false and no next_cursor", async () => {
    const reply = await send("jitsudo", "?limit=1000");
    expect(reply.body.has_more).toBe(false);
    expect(reply.body).not.toHaveProperty("next_cursor");
  });
});
