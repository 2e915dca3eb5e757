// DESIGN §12: defineVendor checks a definition at once, and a defined vendor's client gets the
// built-ins' guarantees: options checked (ConfigError naming the field), secrets masked.
import { inspect } from "node:util";
import { http, HttpResponse } from "msw";
import { setupServer } from "msw/node";
import * as z from "zod/mini";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { AuditEventSchema, ConfigError, createClient, mergeEvents, ResponseValidationError, toOCSF, type CommonOptions } from "../src/index.js";
import { cursorPagination, defineVendor, isVendor, RecordFieldError, linkPagination, nextLink, pageNumberPagination, timeWindowPagination, type VendorDefinition } from "../src/define.js";
import { createPylonClient } from "../src/vendors/pylon.js";

const SECRET = "sk_live_SECRET_9a8b7c";

interface TinyOptions extends CommonOptions {
  apiKey: string;
}
interface TinyRecord {
  uuid: string;
  at: string;
  kind?: string;
  who?: string;
  [key: string]: unknown;
}

const envelope = z.object({ items: z.array(z.unknown()), next: z.nullable(z.string()) });

function definition(): VendorDefinition<"tiny", TinyOptions, TinyRecord, undefined, string | null, z.output<typeof envelope>> {
  return {
    id: "tiny",
    baseUrl: "https://api.tiny.example",
    secrets: ["apiKey"],
    auth: (options: TinyOptions) => ({ "X-Tiny-Key": options.apiKey }),
    pageSize: { max: 50 },
    pagination: cursorPagination({
      envelope,
      path: "/logs",
      query: (ctx, cursor) => ({ limit: ctx.pageSize ?? 2, after: cursor }),
      records: (body) => body.items,
      next: (body) => body.next ?? undefined,
    }),
    normalize: (record: TinyRecord) => ({ id: record.uuid, occurredAt: record.at, action: record.kind, actor: { id: record.who } }),
  };
}

const tiny = defineVendor(definition());

const RECORDS: TinyRecord[] = [
  { uuid: "a", at: "2026-01-01T00:00:01Z", kind: "user.create", who: "u1", extra: 1 },
  { uuid: "b", at: "2026-01-01T00:00:02+01:00", kind: "user.delete", who: "u2" },
  { uuid: "c", at: "2026-01-01T00:00:03.5Z" },
];

const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

function serveTiny(): Request[] {
  const seen: Request[] = [];
  server.use(
    http.get("https://api.tiny.example/logs", ({ request }) => {
      seen.push(request);
      if (request.headers.get("x-tiny-key") !== SECRET) return HttpResponse.json({ error: `bad key ${request.headers.get("x-tiny-key")}` }, { status: 401 });
      const after = new URL(request.url).searchParams.get("after");
      const start = after ? Number(after) : 0;
      const items = RECORDS.slice(start, start + 2);
      return HttpResponse.json({ items, next: start + 2 < RECORDS.length ? String(start + 2) : null });
    }),
  );
  return seen;
}

describe("defineVendor checks the definition at once", () => {
  const cases: Array<[string, (d: Record<string, any>) => void, string]> = [
    ["an id that is not [a-z][a-z0-9-]*", (d) => (d.id = "Tiny Vendor"), "id"],
    ["a built-in id", (d) => (d.id = "zendesk"), "id"],
    ["no auth", (d) => delete d.auth, "auth"],
    ["no normalize", (d) => delete d.normalize, "normalize"],
    ["no pagination", (d) => delete d.pagination, "pagination"],
    ["no pagination.request", (d) => (d.pagination = { ...d.pagination, request: undefined }), "pagination.request"],
    ["no pagination.read", (d) => (d.pagination = { ...d.pagination, read: undefined }), "pagination.read"],
    ["a baseUrl with a path", (d) => (d.baseUrl = "https://api.tiny.example/v1"), "baseUrl"],
    ["a bad requestsPerMinute", (d) => (d.requestsPerMinute = 0), "requestsPerMinute"],
    ["a secret that is not an option name", (d) => (d.secrets = ["api key"]), "secrets[0]"],
    ["options that are not an array", (d) => (d.options = "domain"), "options"],
    ["an option that is not a name", (d) => (d.options = ["domain", "auth.email"]), "options[1]"],
    ["a bad page size", (d) => (d.pageSize = { max: 0 }), "pageSize.max"],
    ["a record schema that is not a schema", (d) => (d.record = { parse() {} }), "record"],
    ["a hook that is not a function", (d) => (d.maxUntil = 5), "maxUntil"],
    // A misspelt field is refused: ignored, `secret` would have left the token unchecked.
    ["a misspelt field (secret for secrets)", (d) => (d.secret = ["apiToken"]), "secret"],
    ["a misspelt field (requestsPerMinut)", (d) => (d.requestsPerMinut = 60), "requestsPerMinut"],
  ];
  test.each(cases)("%s: ConfigError naming the field", (_label, change, option) => {
    const def: Record<string, any> = definition();
    change(def);
    let error: unknown;
    try {
      defineVendor(def as never);
    } catch (e) {
      error = e;
    }
    expect(ConfigError.isInstance(error)).toBe(true);
    expect((error as ConfigError).option).toBe(option);
  });

  test("a misspelt field is asked about; one set to undefined is no field", () => {
    expect(() => defineVendor({ ...definition(), secret: ["apiToken"] } as never)).toThrow(/^secret: is not a field of a vendor definition: did you mean secrets\? \(its fields: id, name, /);
    expect(() => defineVendor({ ...definition(), bogus: 1 } as never)).toThrow(/^bogus: is not a field of a vendor definition \(its fields: /);
    expect(isVendor(defineVendor({ ...definition(), name: undefined }))).toBe(true);
  });

  test("a good definition gives a vendor", () => {
    expect(isVendor(tiny)).toBe(true);
    expect(tiny.id).toBe("tiny");
    expect(isVendor({ id: "tiny" })).toBe(false);
  });
});

describe("the pagination builders check their spec at the call", () => {
  const records = (body: { items: unknown[] }) => body.items;
  const specs = {
    cursorPagination: () => ({ path: "/logs", query: () => ({}), records, next: () => undefined }),
    linkPagination: () => ({ first: () => ({ path: "/logs" }), records, next: () => undefined }),
    pageNumberPagination: () => ({ path: "/logs", query: () => ({}), defaultPageSize: 100, records, page: () => 0, totalPages: () => 1, total: () => 0 }),
    timeWindowPagination: () => ({ path: "/logs", request: () => ({}), records, time: () => 0, splitAt: 1000 }),
  };
  const builders: Record<keyof typeof specs, (spec: never) => unknown> = { cursorPagination, linkPagination, pageNumberPagination, timeWindowPagination };
  const cases: Array<[keyof typeof specs, string, unknown, RegExp]> = [
    ["cursorPagination", "query", undefined, /is required: a function: \(ctx, cursor\)/],
    ["cursorPagination", "next", "cursor", /must be a function: .*\(got "cursor"\)/],
    ["cursorPagination", "path", undefined, /is required: a path/],
    ["cursorPagination", "defaultPageSize", "100", /must be a whole number >= 1 \(got "100"\)/],
    ["cursorPagination", "timeSlices", "yes", /must be true or false/],
    ["cursorPagination", "envelope", { parse() {} }, /must be a schema/],
    ["linkPagination", "first", undefined, /is required: a function/],
    ["linkPagination", "linkField", "", /must be a non-empty string/],
    ["linkPagination", "records", [], /must be a function: .*\(got an array\)/],
    ["pageNumberPagination", "totalPages", undefined, /is required: a function/],
    ["pageNumberPagination", "defaultPageSize", 0, /must be a whole number >= 1 \(got 0\)/],
    ["pageNumberPagination", "firstPage", 0.5, /must be a whole number \(got 0.5\)/],
    ["timeWindowPagination", "splitAt", undefined, /is required: a whole number >= 1/],
    ["timeWindowPagination", "precisionMs", -1, /must be a number > 0 \(got -1\)/],
    ["timeWindowPagination", "time", null, /must be a function: .*\(got null\)/],
    // A field the builder does not have: refused, and a misspelt one asked about.
    ["cursorPagination", "timeSlice", true, /^cursorPagination\.timeSlice: is not a field of cursorPagination's spec: did you mean timeSlices\? \(its fields: path, query, records, next, envelope, /],
    ["linkPagination", "linkfield", "links.next", /did you mean linkField\?/],
    ["pageNumberPagination", "firstpage", 1, /did you mean firstPage\?/],
    ["timeWindowPagination", "precision", 1, /^timeWindowPagination\.precision: is not a field of timeWindowPagination's spec: did you mean precisionMs\? /],
    ["timeWindowPagination", "timeSlices", true, /^timeWindowPagination\.timeSlices: is not a field of timeWindowPagination's spec \(its fields: /],
  ];
  test.each(cases)("%s with %s = %j: a ConfigError naming it", (builder, field, value, message) => {
    const spec: Record<string, unknown> = specs[builder]();
    if (value === undefined) delete spec[field];
    else spec[field] = value;
    let error: unknown;
    try {
      builders[builder](spec as never);
    } catch (e) {
      error = e;
    }
    expect(ConfigError.isInstance(error)).toBe(true);
    expect((error as ConfigError).option).toBe(`${builder}.${field}`);
    expect((error as ConfigError).message).toMatch(message);
    expect((error as ConfigError).message.startsWith(`${builder}.${field}: `)).toBe(true);
  });

  test("a time-window vendor with no defaultSince, read with no since: a ConfigError naming since, before any request", async () => {
    const windows = defineVendor({
      id: "windows",
      baseUrl: "https://windows.example",
      auth: () => ({}),
      pagination: timeWindowPagination({ path: "/logs", request: () => ({}), records: (body: { items: unknown[] }) => body.items, time: () => 0, splitAt: 1000 }),
      normalize: (r: { id: string; at: string }) => ({ id: r.id, occurredAt: r.at }),
    });
    const client = createClient({ vendor: windows });
    for (const read of [() => client.events(), () => client.pages()]) {
      let error: unknown;
      try {
        for await (const _ of read()) break;
      } catch (e) {
        error = e;
      }
      expect(ConfigError.isInstance(error)).toBe(true);
      expect((error as ConfigError).option).toBe("since");
      expect((error as ConfigError).message).toBe("since: is required: windows reads time windows, which need a start, and its definition gives no defaultSince");
    }
  });

  test.each(Object.keys(specs) as Array<keyof typeof specs>)("%s with no spec, or a complete one", (builder) => {
    expect(() => builders[builder](undefined as never)).toThrow(/must be called with its spec/);
    expect(builders[builder](specs[builder]() as never)).toMatchObject({ request: expect.any(Function), read: expect.any(Function) });
  });
});

describe("what a definition's pagination gives is checked where it is read", () => {
  /** Two pages: the first with `next: "p2"`, the second with `next` as `last` (a JSON value). */
  function serveTwoPages(last: unknown): void {
    server.use(
      http.get("https://api.pages.example/logs", ({ request }) => {
        const second = new URL(request.url).searchParams.get("cursor") === "p2";
        const items = second ? [{ id: "b", at: "2026-01-01T00:00:02Z" }] : [{ id: "a", at: "2026-01-01T00:00:01Z" }];
        return HttpResponse.json({ items, next: second ? last : "p2", links: { next: second ? last : "https://api.pages.example/logs?cursor=p2" } }, { headers: { "x-request-id": second ? "req-2" : "req-1" } });
      }),
    );
  }
  type Body = { items?: unknown; next?: unknown; links: { next?: unknown } };
  const normalize = (r: { id: string; at: string }) => ({ id: r.id, occurredAt: r.at });
  const vendorWith = (pagination: VendorDefinition["pagination"]) => defineVendor({ id: "pages", baseUrl: "https://api.pages.example", auth: () => ({}), pagination, normalize });
  const cursorVendor = (records: (body: Body) => unknown) =>
    vendorWith(cursorPagination({ path: "/logs", query: (_ctx, cursor) => ({ cursor: cursor ?? undefined }), records: records as never, next: (body: Body) => body.next as string | undefined }));

  async function read(vendor: ReturnType<typeof vendorWith>): Promise<{ ids: string[]; error: unknown }> {
    const ids: string[] = [];
    try {
      for await (const event of createClient({ vendor }).events({ since: "2025-12-01T00:00:00Z" })) ids.push(event.id);
    } catch (error) {
      return { ids, error };
    }
    return { ids, error: undefined };
  }

  test("records(body) that gives no array: a ResponseValidationError saying so, with the request id", async () => {
    serveTwoPages(null);
    const { ids, error } = await read(cursorVendor((body) => (body as Record<string, unknown>).itemz));
    expect(ids).toEqual([]);
    expect(ResponseValidationError.isInstance(error)).toBe(true);
    expect((error as ResponseValidationError).message).toContain("cursorPagination: records(body) gave undefined, not an array of records");
    expect((error as ResponseValidationError).requestId).toBe("req-1");
  });

  test.each<[string, unknown, string]>([
    ["null", null, "gave null"],
    ["an empty string", "", 'gave ""'],
    ["a number", 2, "gave 2"],
  ])("a cursor that is %s: refused, not sent back (nor taken for the end)", async (_label, last, said) => {
    serveTwoPages(last);
    const { ids, error } = await read(cursorVendor((body) => body.items));
    expect(ids).toEqual(["a"]);
    expect(ResponseValidationError.isInstance(error)).toBe(true);
    expect((error as ResponseValidationError).message).toContain(`cursorPagination: next(body) ${said}, not a cursor (a non-empty string), nor undefined, which ends the list`);
    expect((error as ResponseValidationError).requestId).toBe("req-2");
  });

  test("a next link that is null: refused, naming the link's field", async () => {
    serveTwoPages(null);
    const vendor = vendorWith(linkPagination({ first: () => ({ path: "/logs" }), records: (body: Body) => body.items as unknown[], next: (body: Body) => body.links.next as string | undefined, linkField: "links.next" }));
    const { ids, error } = await read(vendor);
    expect(ids).toEqual(["a"]);
    expect((error as ResponseValidationError).path).toBe("links.next");
    expect((error as ResponseValidationError).message).toContain("linkPagination: next(body) gave null, not a link");
  });

  test.each<[string, (body: Body) => unknown, string]>([
    ["no records", () => ({ next: [] }), "pagination.read gave records that are not an array"],
    ["no next", (body) => ({ records: body.items }), "pagination.read gave next (or append) states that are not an array"],
    ["nothing", () => undefined, "pagination.read gave undefined"],
  ])("a hand-written read that gives %s: a ResponseValidationError saying what it must return", async (_label, readPage, said) => {
    serveTwoPages(undefined);
    const vendor = vendorWith({ request: () => ({ path: "/logs" }), read: readPage as never });
    const { error } = await read(vendor);
    expect(ResponseValidationError.isInstance(error)).toBe(true);
    expect((error as ResponseValidationError).message).toContain(`${said}: it must return { records: [...], next: [...] }`);
  });

  test.each<[string, Record<string, (body: { pages: number; count: number }) => unknown>, string]>([
    ["totalPages that reads no field", { totalPages: () => undefined }, "totalPages(body) gave undefined"],
    ["a total that is text", { total: (body) => String(body.count) }, 'total(body) gave "2"'],
    ["a negative total", { total: () => -1 }, "total(body) gave -1"],
  ])("page numbers with %s: a ResponseValidationError, not a list that ends after its first page", async (_label, change, said) => {
    server.use(
      http.get("https://api.pages.example/numbered", ({ request }) => {
        const at = Number(new URL(request.url).searchParams.get("page"));
        return HttpResponse.json({ items: [{ id: `n${at}`, at: "2026-01-01T00:00:01Z" }], page: at, pages: 2, count: 2 });
      }),
    );
    const spec = { path: "/numbered", query: (_ctx: unknown, page: number, size: number) => ({ page, size }), defaultPageSize: 1, records: (body: Body) => body.items as unknown[], page: (body: { page: number }) => body.page, totalPages: (body: { pages: number }) => body.pages, total: (body: { count: number }) => body.count };
    expect((await read(vendorWith(pageNumberPagination(spec as never)))).ids).toEqual(["n0", "n1"]);
    const { ids, error } = await read(vendorWith(pageNumberPagination({ ...spec, ...change } as never)));
    expect(ids).toEqual([]);
    expect(ResponseValidationError.isInstance(error)).toBe(true);
    expect((error as ResponseValidationError).message).toContain(`pageNumberPagination: ${said}, not a whole number >= 0`);
  });

  test("the same definitions read to the end when they give what they must", async () => {
    serveTwoPages(undefined);
    expect((await read(cursorVendor((body) => body.items))).ids).toEqual(["a", "b"]);
  });
});

describe("a time-window answer holding records far outside its window is refused, not trimmed away", () => {
  const DAY = 86_400_000;
  const since = Date.parse("2026-01-01T00:00:00Z");
  const until = since + 3 * DAY;
  /** Logs every 6 hours over the run; `answer(window)` picks what the server sends for a window. */
  const logs = Array.from({ length: 12 }, (_, i) => ({ id: `w${i}`, at: new Date(since + i * 6 * 3_600_000 + 60_000).toISOString() }));
  function serveWindows(answer: (from: number, to: number) => typeof logs): void {
    server.use(
      http.get("https://api.windows.example/logs", ({ request }) => {
        const q = new URL(request.url).searchParams;
        return HttpResponse.json({ items: answer(Number(q.get("from")), Number(q.get("to"))) }, { headers: { "x-request-id": `win-${q.get("from")}` } });
      }),
    );
  }
  const inside = (from: number, to: number) => logs.filter((l) => Date.parse(l.at) >= from && Date.parse(l.at) <= to);
  function windowsVendor(time: (record: { at: string }) => number, splitAt = 1000) {
    return defineVendor({
      id: "windows",
      baseUrl: "https://api.windows.example",
      auth: () => ({}),
      pagination: timeWindowPagination({ path: "/logs", request: (w) => ({ query: { from: w.start, to: w.end } }), records: (body: { items: unknown[] }) => body.items, time: time as (r: unknown) => number, splitAt }),
      normalize: (r: { id: string; at: string }) => ({ id: r.id, occurredAt: r.at }),
      defaultSince: (to) => to - 3 * DAY,
    });
  }
  async function read(vendor: ReturnType<typeof windowsVendor>) {
    const ids: string[] = [];
    try {
      for await (const event of createClient({ vendor }).events({ since: new Date(since), until: new Date(until), windowMs: DAY })) ids.push(event.id);
    } catch (error) {
      return { ids, error: error as ResponseValidationError };
    }
    return { ids, error: undefined };
  }

  test("time(record) in seconds, not ms: refused at the first answer, naming the window, the record and its time", async () => {
    serveWindows(inside);
    const { ids, error } = await read(windowsVendor((r) => Date.parse(r.at) / 1000));
    expect(ids).toEqual([]);
    expect(ResponseValidationError.isInstance(error)).toBe(true);
    expect(error!.message).toContain("the window [2026-01-01T00:00:00.000Z, 2026-01-02T00:00:00.000Z) answered records[0] timed 1970-01-21T");
    expect(error!.message).toContain("far outside it: time(record) must give, in epoch ms, the time the server filters windows by");
    expect(error!.requestId).toBe(`win-${since}`);
  });

  test("a server that ignores the window (every log, whatever is asked): refused, where trimming would have lost what it never sends a window", async () => {
    serveWindows(() => logs.slice(0, 6));
    const { error } = await read(windowsVendor((r) => Date.parse(r.at)));
    expect(error!.message).toMatch(/answered records\[\d\] timed 2026-01-0[12]T\S+ by the definition's time\(record\), far outside it/);
  });

  test("a window's answer at its split point is checked too", async () => {
    serveWindows((from, to) => (to - from >= DAY ? logs.map((l, i) => (i === 0 ? { ...l, at: "2025-06-01T00:00:00.000Z" } : l)).slice(0, 4) : inside(from, to)));
    const { error } = await read(windowsVendor((r) => Date.parse(r.at), 4));
    expect(error!.message).toContain("answered records[0] timed 2025-06-01T00:00:00.000Z");
  });

  test("records at the window's inclusive end, or a second past it (bounds rounded by the server), are boundary records: each yielded once", async () => {
    serveWindows((from, to) => logs.filter((l) => Date.parse(l.at) >= from && Date.parse(l.at) <= to + 1000));
    const onEdges = [...logs, { id: "edge", at: new Date(since + DAY).toISOString() }, { id: "past", at: new Date(since + DAY + 900).toISOString() }];
    logs.push(onEdges[12]!, onEdges[13]!);
    try {
      const { ids, error } = await read(windowsVendor((r) => Date.parse(r.at)));
      expect(error).toBeUndefined();
      expect(ids.sort()).toEqual(onEdges.map((l) => l.id).sort());
    } finally {
      logs.splice(12);
    }
  });
});

describe("two records sharing an id in a defined vendor's run: refused, not dropped as a repeat", () => {
  /** Pages of `pages`, one per cursor; each log `{ id, at, kind }`. */
  function servePages(pages: Array<Array<{ id: string; at: string; kind: string }>>): void {
    server.use(
      http.get("https://api.ids.example/logs", ({ request }) => {
        const at = Number(new URL(request.url).searchParams.get("cursor") ?? 0);
        return HttpResponse.json({ items: pages[at], next: at + 1 < pages.length ? String(at + 1) : undefined }, { headers: { "x-request-id": `ids-${at}` } });
      }),
    );
  }
  const idsVendor = (id: (r: { id: string; kind: string }) => string) =>
    defineVendor({
      id: "ids",
      baseUrl: "https://api.ids.example",
      auth: () => ({}),
      pagination: cursorPagination({ path: "/logs", query: (_ctx, cursor) => ({ cursor: cursor ?? undefined }), records: (body: { items: unknown[]; next?: string }) => body.items, next: (body: { items: unknown[]; next?: string }) => body.next }),
      normalize: (r: { id: string; at: string; kind: string }) => ({ id: id(r), occurredAt: r.at, action: r.kind }),
    });
  const PAGES = [
    [
      { id: "a", at: "2026-01-01T00:00:01Z", kind: "user.login" },
      { id: "b", at: "2026-01-01T00:00:02Z", kind: "user.logout" },
    ],
    [
      { id: "c", at: "2026-01-01T00:00:03Z", kind: "user.login" },
      { id: "b", at: "2026-01-01T00:00:02Z", kind: "user.logout" },
    ],
  ];
  async function read(vendor: ReturnType<typeof idsVendor> | "pylon") {
    const ids: string[] = [];
    const client = vendor === "pylon" ? createClient({ vendor: "pylon", apiToken: SECRET }) : createClient({ vendor });
    try {
      for await (const event of client.events({ since: "2025-12-01T00:00:00Z" })) ids.push(`${event.id}@${event.occurredAt.slice(17, 19)}`);
    } catch (error) {
      return { ids, error: error as ResponseValidationError };
    }
    return { ids, error: undefined };
  }

  test("normalize giving a field several records share (the action) as the id: a ResponseValidationError naming the record and both times", async () => {
    servePages(PAGES);
    const { ids, error } = await read(idsVendor((r) => r.kind));
    expect(ids).toEqual(["user.login@01", "user.logout@02"]);
    expect(ResponseValidationError.isInstance(error)).toBe(true);
    expect(error!.path).toBe("records[0]");
    expect(error!.requestId).toBe("ids-1");
    expect(error!.message).toContain('its id "user.login" is the id of a record this run yielded before, timed 2026-01-01T00:00:01.000Z, while this one is timed 2026-01-01T00:00:03.000Z: two records share an id');
  });

  test("the same record sent again (same id, same time) is yielded once, as before", async () => {
    servePages(PAGES);
    const { ids, error } = await read(idsVendor((r) => r.id));
    expect(error).toBeUndefined();
    expect(ids).toEqual(["a@01", "b@02", "c@03"]);
  });

  test("a built-in vendor's repeated id with another time is dropped as a repeat, as before (its ids are the vendor's own)", async () => {
    server.use(
      http.get("https://api.usepylon.com/audit-logs", ({ request }) => {
        const second = new URL(request.url).searchParams.get("cursor") === "2";
        const data = second ? [{ id: "p1", action: "UserCreated", action_happened_at: "2026-01-01T00:00:05Z" }] : [{ id: "p1", action: "UserCreated", action_happened_at: "2026-01-01T00:00:01Z" }];
        return HttpResponse.json({ data, pagination: { cursor: second ? "" : "2", has_next_page: !second }, request_id: "r" });
      }),
    );
    const { ids, error } = await read("pylon");
    expect(error).toBeUndefined();
    expect(ids).toEqual(["p1@01"]);
  });
});

describe("a normalize that throws (DESIGN §14, poison records): a ResponseValidationError naming the record, not a bare error", () => {
  interface Nested {
    uuid: string;
    at: string;
    actor?: { id: string };
    note?: string;
  }
  // Reads `record.actor.id` as a user would, trusting every record to have an actor.
  const nested = (message?: (r: Nested) => string) =>
    defineVendor({
      id: "nested",
      baseUrl: "https://api.nested.example",
      secrets: ["apiKey"],
      auth: (options: { apiKey: string }) => ({ "X-Key": options.apiKey }),
      pagination: cursorPagination({ path: "/logs", query: () => ({}), records: (body: { items: unknown[] }) => body.items, next: () => undefined }),
      normalize: (r: Nested) => {
        if (message && r.note) throw new Error(message(r));
        return { id: r.uuid, occurredAt: r.at, actor: { id: r.actor!.id } };
      },
    });
  const serve = (items: Nested[]) =>
    server.use(http.get("https://api.nested.example/logs", () => HttpResponse.json({ items }, { headers: { "x-request-id": "req-7" } })));
  const ITEMS: Nested[] = [
    { uuid: "1", at: "2026-01-01T00:00:01Z", actor: { id: "u1" } },
    { uuid: "2", at: "2026-01-01T00:00:02Z" },
    { uuid: "3", at: "2026-01-01T00:00:03Z", actor: { id: "u3" } },
  ];

  test("stops the run with the vendor, the record's index, the request id, what was thrown, and the original as cause", async () => {
    serve(ITEMS);
    const client = nested().createClient({ apiKey: SECRET, rateLimit: false });
    const ids: string[] = [];
    const error = await (async () => {
      for await (const event of client.events({ since: "2025-12-01T00:00:00Z" })) ids.push(event.id);
    })().catch((e: unknown) => e as ResponseValidationError);
    expect(ResponseValidationError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ vendor: "nested", path: "records[1]", requestId: "req-7" });
    expect(error!.message).toMatch(/^nested: invalid response at records\[1\]: normalize threw TypeError: Cannot read properties of undefined \(reading 'id'\) \(request id req-7\)$/);
    expect((error as Error).cause).toBeInstanceOf(TypeError);
    // The checkpoint stays before the page: nothing of it was yielded, nothing is lost.
    expect(ids).toEqual([]);
  });

  test("with onInvalidRecord the record is handed over and counted, and the others are yielded", async () => {
    serve(ITEMS);
    const handed: Array<[unknown, ResponseValidationError]> = [];
    const client = nested().createClient({ apiKey: SECRET, rateLimit: false, onInvalidRecord: (record, error) => handed.push([record, error]) });
    const events = await client.events({ since: "2025-12-01T00:00:00Z" }).toArray({ limit: 10 });
    expect(events.map((e) => e.id)).toEqual(["1", "3"]);
    expect(handed.map(([record, error]) => [(record as Nested).uuid, error.path])).toEqual([["2", "records[1]"]]);
    expect(client.stats.invalidRecords).toBe(1);
  });

  test("a secret in what normalize threw is masked in the message, in util.inspect, and in the cause, and the caller's error is left as it was", async () => {
    serve([{ uuid: "1", at: "2026-01-01T00:00:01Z", note: "x" }]);
    const thrown: Error[] = [];
    const vendor = nested((r) => `bad note ${r.note} for key ${SECRET}`);
    const client = vendor.createClient({ apiKey: SECRET, rateLimit: false });
    const error = (await client
      .events({ since: "2025-12-01T00:00:00Z" })
      .toArray({ limit: 10 })
      .then(
        () => undefined,
        (e: unknown) => e,
      )) as ResponseValidationError & { cause: Error };
    expect(error.message).toContain("normalize threw Error: bad note x for key ***");
    expect(inspect(error, { depth: 5 })).not.toContain(SECRET);
    expect(error.cause.message).toBe("bad note x for key ***");
    expect(error.cause.stack).not.toContain(SECRET);
    // Outside a run, the definition's normalize throws the caller's own error, unwrapped.
    try {
      vendor.normalize({ uuid: "1", at: "2026-01-01T00:00:01Z", note: "x" });
    } catch (e) {
      thrown.push(e as Error);
    }
    expect(thrown[0]!.message).toBe(`bad note x for key ${SECRET}`);
  });

  test("the library's own errors from normalize are not wrapped: a RecordFieldError still names its field", async () => {
    serve([{ uuid: "1", at: "2026-01-01T00:00:01Z" }]);
    const vendor = defineVendor({
      id: "fielded",
      baseUrl: "https://api.nested.example",
      auth: () => ({}),
      pagination: cursorPagination({ path: "/logs", query: () => ({}), records: (body: { items: unknown[] }) => body.items, next: () => undefined }),
      normalize: (r: Nested) => {
        throw new RecordFieldError("actor.id", `no actor on ${r.uuid}`);
      },
    });
    const error = await vendor
      .createClient({})
      .events({ since: "2025-12-01T00:00:00Z" })
      .toArray({ limit: 10 })
      .then(
        () => undefined,
        (e: unknown) => e as ResponseValidationError,
      );
    expect(error).toMatchObject({ path: "records[0].actor.id", detail: "no actor on 1" });
    expect((error as Error).cause).toBeUndefined();
  });
});

describe("a defined vendor's client", () => {
  test("with options listed, any other option is a ConfigError naming it (and the one it is likely a typo of); without, other keys pass", () => {
    const listed = defineVendor({ ...definition(), id: "listed", options: ["region"] });
    expect(() => listed.createClient({ apiKey: SECRET, region: "eu", timeoutMs: 5 } as TinyOptions)).not.toThrow();
    expect(() => listed.createClient({ apiKey: SECRET, regoin: "eu" } as TinyOptions)).toThrow(
      expect.objectContaining({ name: "ConfigError", option: "regoin", message: expect.stringMatching(/^regoin: is not an option of listed: did you mean region\? \(its options: apiKey, region, baseUrl, /) }),
    );
    expect(() => listed.createClient({ apiKey: SECRET, retries: 2 } as TinyOptions)).toThrow(expect.objectContaining({ option: "retries", message: expect.stringMatching(/^retries: is not an option of listed \(its options: /) }));
    // A key set to undefined (spread from a config that leaves it unset) passes; a value never appears.
    expect(() => listed.createClient({ apiKey: SECRET, region: undefined, extra: undefined } as TinyOptions)).not.toThrow();
    expect(() => listed.createClient({ apiKey: SECRET, apiKye: SECRET } as TinyOptions)).toThrow(expect.objectContaining({ option: "apiKye", message: expect.not.stringContaining(SECRET) }));
    expect(() => tiny.createClient({ apiKey: SECRET, anything: 1 } as TinyOptions)).not.toThrow();
  });

  test("a missing secret is a ConfigError naming it, before any request", () => {
    const seen = serveTiny();
    expect(() => tiny.createClient({} as TinyOptions)).toThrow(expect.objectContaining({ name: "ConfigError", option: "apiKey", message: "apiKey: is required" }));
    expect(() => tiny.createClient({ apiKey: 42 } as never)).toThrow("apiKey: must be a string, got number");
    expect(seen).toEqual([]);
  });

  test("reads every page, completes each event, and keeps unread fields in unmapped", async () => {
    const seen = serveTiny();
    const events = await tiny.createClient({ apiKey: SECRET, rateLimit: false }).events().toArray({ limit: 10 });
    expect(events.map((e) => e.id)).toEqual(["a", "b", "c"]);
    expect(seen).toHaveLength(2);
    expect(new URL(seen[1]!.url).searchParams.get("after")).toBe("2");
    expect(events[0]).toEqual({
      vendor: "tiny",
      id: "a",
      occurredAt: "2026-01-01T00:00:01.000Z",
      action: "user.create",
      operation: "create",
      actor: { id: "u1" },
      source: {},
      unmapped: { extra: 1 },
      raw: RECORDS[0],
    });
    // Any RFC 3339 form becomes UTC milliseconds; no action is "unknown", operation other.
    expect(events[1]!.occurredAt).toBe("2025-12-31T23:00:02.000Z");
    expect(events[2]).toMatchObject({ occurredAt: "2026-01-01T00:00:03.500Z", action: "unknown", operation: "other", actor: {} });
    for (const event of events) expect(AuditEventSchema.parse(event)).toBeTruthy();
  });

  test("createClient({ vendor }) accepts a defined vendor", async () => {
    serveTiny();
    const client = createClient({ vendor: tiny, apiKey: SECRET, rateLimit: false });
    expect(client.vendor).toBe("tiny");
    expect(await client.events().toArray({ limit: 10 })).toHaveLength(3);
  });

  test("its secret never shows: inspect, String, JSON, errors, log lines", async () => {
    server.use(http.get("https://api.tiny.example/logs", () => HttpResponse.json({ error: `key ${SECRET} is not valid` }, { status: 401, headers: { "X-Request-Id": "r1" } })));
    const lines: string[] = [];
    const logger = { debug: (m: string, d?: unknown) => lines.push(m + JSON.stringify(d ?? {})), info: (m: string) => lines.push(m), warn: (m: string) => lines.push(m), error: (m: string) => lines.push(m) };
    const client = tiny.createClient({ apiKey: SECRET, logger, logLevel: "debug", maxRetries: 0 });
    const error = await client.events().toArray({ limit: 1 }).catch((e: unknown) => e);
    expect((error as Error).name).toBe("AuthenticationError");
    const shown = [inspect(client), String(client), JSON.stringify(client), String(error), JSON.stringify((error as { body?: unknown }).body), inspect(error), ...lines].join("\n");
    expect(lines.length).toBeGreaterThan(0);
    expect(shown).not.toContain(SECRET);
  });

  test("merges with a built-in and maps to OCSF", async () => {
    serveTiny();
    server.use(http.get("https://api.usepylon.com/audit-logs", () => HttpResponse.json({ data: [{ id: "p1", action: "UserCreated", created_at: "2026-01-01T00:00:00Z" }], pagination: { cursor: "", has_next_page: false } })));
    const merged = mergeEvents([tiny.createClient({ apiKey: SECRET, rateLimit: false }).events(), createPylonClient({ apiToken: "t0k3n-abc", rateLimit: false }).events()]);
    const events = await merged.toArray({ limit: 10 });
    expect(events.map((e) => `${e.vendor}:${e.id}`).sort()).toEqual(["pylon:p1", "tiny:a", "tiny:b", "tiny:c"]);
    expect(merged.checkpoint().parts.map((p) => p.vendor)).toEqual(["tiny", "pylon"]);
    const ocsf = toOCSF(events.find((e) => e.vendor === "tiny")!);
    expect(ocsf.metadata.product).toEqual({ name: "tiny", vendor_name: "tiny" });
    expect(ocsf.class_uid).toBe(6003);
  });

  test("a checkpoint of a defined vendor is refused by another vendor, and the other way round", async () => {
    serveTiny();
    const stream = tiny.createClient({ apiKey: SECRET, rateLimit: false }).events();
    await stream.toArray({ limit: 10 });
    expect(() => createPylonClient({ apiToken: "t0k3n-abc" }).events({ resumeFrom: stream.checkpoint() })).toThrow('resumeFrom: belongs to vendor "tiny", not "pylon"');
    const pylon = createPylonClient({ apiToken: "t0k3n-abc" }).events().checkpoint();
    expect(() => tiny.createClient({ apiKey: SECRET }).events({ resumeFrom: pylon })).toThrow('resumeFrom: belongs to vendor "pylon", not "tiny"');
  });
});

describe("nextLink", () => {
  test("finds rel=next among several links, quoted or not", () => {
    const headers = new Headers({ link: '<https://a.example/x?page=1>; rel="prev", <https://a.example/x?after=abc&limit=2>; rel="next"' });
    expect(nextLink(headers)).toBe("https://a.example/x?after=abc&limit=2");
    expect(nextLink(new Headers({ link: "<https://a.example/y>; rel=next" }))).toBe("https://a.example/y");
    expect(nextLink(new Headers({ link: '<https://a.example/y>; rel="self"' }))).toBeUndefined();
    expect(nextLink(new Headers())).toBeUndefined();
  });
});
