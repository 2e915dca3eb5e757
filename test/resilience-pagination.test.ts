// DESIGN §3 and §4 against a hostile or broken server: pagination that would loop forever ends in
// PaginationLoopError, a page of the wrong shape or a record without a usable time ends in
// ResponseValidationError naming vendor, field path and request id. Never a hang, never a crash.
import { HttpResponse } from "msw";
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { PaginationLoopError, ResponseValidationError } from "../src/index.js";
import type { VendorId } from "../src/core/vendor-id.js";
import { client, okPage, ORIGIN, page, PATH, RANGE, readAll, record, rejectionOf, serve, VENDORS } from "./http-fixtures.js";

const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

/** Reads with the events yielded before an error kept, so a test can check for duplicates. */
async function readUntilError(vendor: VendorId, params: Record<string, unknown> = {}, options: Record<string, unknown> = {}) {
  const events: string[] = [];
  let error: Error | undefined;
  try {
    const stream = (client(vendor, { rateLimit: false, maxRetries: 0, ...options }).events as (p: object) => AsyncIterable<{ id: string }>)({ ...RANGE, ...params });
    for await (const event of stream) events.push(event.id);
  } catch (e) {
    error = e as Error;
  }
  return { events, error };
}

const zendeskLink = (after: string) => `${ORIGIN.zendesk}${PATH.zendesk}?page[size]=100&sort=created_at&page[after]=${after}`;

describe("a repeated position is a PaginationLoopError, and nothing is yielded twice", () => {
  test.each(["pylon", "jitsudo"] as const)("%s: the same cursor twice", async (vendor) => {
    // Page 1 → cursor A; page A → cursor A again.
    const seen = serve(server, vendor, (_req, n) => HttpResponse.json(page(vendor, [record(vendor, n)], "A")));
    const { events, error } = await readUntilError(vendor);
    expect(PaginationLoopError.isInstance(error)).toBe(true);
    expect(error!.name).toBe("PaginationLoopError");
    expect(error!.message).toMatch(new RegExp(`^${vendor}: the server sent the same pagination position twice`));
    expect((error as PaginationLoopError).vendor).toBe(vendor);
    expect(seen).toHaveLength(2);
    expect(new Set(events).size).toBe(events.length);
  });

  test.each(["pylon", "jitsudo"] as const)("%s: a cursor cycle A → B → A", async (vendor) => {
    const next: Record<string, string> = { "": "A", A: "B", B: "A" };
    const seen = serve(server, vendor, (req, n) => HttpResponse.json(page(vendor, [record(vendor, n)], next[new URL(req.url).searchParams.get("cursor") ?? ""])));
    const { events, error } = await readUntilError(vendor);
    expect(PaginationLoopError.isInstance(error)).toBe(true);
    expect(seen).toHaveLength(3);
    expect(new Set(events).size).toBe(events.length);
  });

  test("zendesk: links.next repeated (B → B)", async () => {
    const seen = serve(server, "zendesk", (req, n) => HttpResponse.json(page("zendesk", [record("zendesk", n)], zendeskLink("B"))));
    const { events, error } = await readUntilError("zendesk");
    expect(PaginationLoopError.isInstance(error)).toBe(true);
    expect(error!.message).toMatch(/same pagination position twice \(link\)/);
    expect(seen).toHaveLength(2);
    expect(new Set(events).size).toBe(events.length);
  });

  test("zendesk: has_more with the same after_cursor (no links) twice", async () => {
    const seen = serve(server, "zendesk", (_req, n) =>
      HttpResponse.json({ audit_logs: [record("zendesk", n)], meta: { has_more: true, after_cursor: "same", before_cursor: null } }),
    );
    const { error } = await readUntilError("zendesk");
    expect(PaginationLoopError.isInstance(error)).toBe(true);
    expect(seen).toHaveLength(2);
  });

  test("zendesk: links.next pointing back at the page just read is caught before it is requested again", async () => {
    // The first page's next link is its own URL: requesting it again can only loop.
    const seen = serve(server, "zendesk", (req, n) => HttpResponse.json(page("zendesk", [record("zendesk", n)], req.url)));
    const { events, error } = await readUntilError("zendesk");
    expect(PaginationLoopError.isInstance(error)).toBe(true);
    expect(events).toHaveLength(1);
    expect(seen).toHaveLength(1);
  });
});

describe("empty pages that claim more", () => {
  const claimMore = (vendor: VendorId, n: number, records: unknown[] = []) =>
    HttpResponse.json(page(vendor, records, vendor === "zendesk" ? zendeskLink(`c${n}`) : `c${n}`));

  test.each(["pylon", "zendesk", "jitsudo"] as const)("%s: 10 in a row → PaginationLoopError after exactly 10 requests", async (vendor) => {
    const seen = serve(server, vendor, (_req, n) => claimMore(vendor, n));
    const { error } = await readUntilError(vendor);
    expect(PaginationLoopError.isInstance(error)).toBe(true);
    expect(error!.message).toBe(`${vendor}: 10 empty pages in a row claimed more results; stopping instead of looping`);
    expect(seen).toHaveLength(10);
  });

  test.each(["pylon", "zendesk", "jitsudo"] as const)("%s: 9 empty pages, then records, then the end: read normally", async (vendor) => {
    const seen = serve(server, vendor, (_req, n) => (n <= 9 ? claimMore(vendor, n) : HttpResponse.json(page(vendor, [record(vendor, n)]))));
    const { events, error } = await readUntilError(vendor);
    expect(error).toBeUndefined();
    expect(events).toHaveLength(1);
    expect(seen).toHaveLength(10);
  });
});

describe("Cortex page counts that lie", () => {
  const cortexPage = (records: unknown[], p: number, total: number, totalPages: number) => HttpResponse.json(page("cortex", records, { page: p, total, totalPages }));
  const pageOf = (req: Request) => Number(new URL(req.url).searchParams.get("page"));

  test("totalPages far beyond what total can fill → PaginationLoopError after page 0", async () => {
    const seen = serve(server, "cortex", (req) => cortexPage(pageOf(req) === 0 ? [record("cortex", 1)] : [], pageOf(req), 5, 50));
    const { error } = await readUntilError("cortex", { pageSize: 10 });
    expect(PaginationLoopError.isInstance(error)).toBe(true);
    expect(error!.message).toBe("cortex: totalPages 50 cannot hold 5 records at 10 per page");
    expect(seen).toHaveLength(1);
  });

  test("an empty page before the last → PaginationLoopError", async () => {
    const seen = serve(server, "cortex", (req) => {
      const p = pageOf(req);
      return cortexPage(p === 1 ? [] : [record("cortex", 2 * p), record("cortex", 2 * p + 1)], p, 6, 3);
    });
    const { events, error } = await readUntilError("cortex", { pageSize: 2 });
    expect(PaginationLoopError.isInstance(error)).toBe(true);
    expect(error!.message).toBe("cortex: page 1 is empty but totalPages says 3");
    expect(events).toHaveLength(2);
    expect(seen.length).toBeLessThanOrEqual(3);
  });

  test("the server answers another page than asked → PaginationLoopError", async () => {
    serve(server, "cortex", (req) => cortexPage([record("cortex", pageOf(req)), record("cortex", 10 + pageOf(req))], 0, 4, 2));
    const { error } = await readUntilError("cortex", { pageSize: 2 });
    expect(PaginationLoopError.isInstance(error)).toBe(true);
    expect(error!.message).toBe("cortex: asked for page 1, the server answered page 0");
  });

  // DESIGN §14: refused like an oversized body, as ResponseValidationError.
  test("a page with more records than the page size → ResponseValidationError", async () => {
    serve(server, "cortex", () => cortexPage([1, 2, 3].map((i) => record("cortex", i)), 0, 3, 1));
    const { error } = await readUntilError("cortex", { pageSize: 2 });
    expect(ResponseValidationError.isInstance(error)).toBe(true);
    expect(error!.message).toBe("cortex: invalid response at (root): the page holds 3 records, more records than the page size asked (2)");
  });

  // A large account (300,000 events at pageSize 1, or 75 M at 250) is not a lie, and the first
  // events must come without the engine building every page's state up front.
  test("a very large page count: the first events come, with a handful of requests", async () => {
    const total = 300_000;
    const seen = serve(server, "cortex", (req) => cortexPage([record("cortex", pageOf(req))], pageOf(req), total, total));
    const events = await client("cortex", { rateLimit: false }).events({ ...RANGE, pageSize: 1 as number }).toArray({ limit: 3 });
    expect(events).toHaveLength(3);
    expect(seen.length).toBeLessThanOrEqual(10);
  });

  test("a very large, consistent but false page count (pages after 0 empty) → PaginationLoopError, not a crash", async () => {
    const total = 300_000;
    const seen = serve(server, "cortex", (req) => cortexPage(pageOf(req) === 0 ? [record("cortex", 0)] : [], pageOf(req), total, total));
    const { error } = await readUntilError("cortex", { pageSize: 1 });
    expect(error?.name).toBe("PaginationLoopError");
    expect(seen.length).toBeLessThanOrEqual(10);
  });
});

describe.each(VENDORS)("%s: responses of the wrong shape", (vendor) => {
  const wrong: Record<VendorId, [Record<string, unknown>, string]> = {
    pylon: [{ data: { not: "a list" }, pagination: { cursor: "", has_next_page: false }, request_id: "req_body_123" }, "data"],
    zendesk: [{ audit_logs: [], meta: { has_more: "yes" } }, "meta.has_more"],
    cortex: [{ logs: [], page: "0", total: 0, totalPages: 0 }, "page"],
    datafold: [{ logs: null }, "logs"],
    jitsudo: [{ data: [], has_more: "no" }, "has_more"],
  };

  test("a page envelope of the wrong shape → ResponseValidationError naming vendor, field path and request id", async () => {
    const [body, path] = wrong[vendor];
    const seen = serve(server, vendor, () => HttpResponse.json(body, { headers: vendor === "pylon" ? {} : { "X-Request-Id": "req_hdr_456" } }));
    const { error } = await readUntilError(vendor);
    const requestId = vendor === "pylon" ? "req_body_123" : "req_hdr_456";
    expect(ResponseValidationError.isInstance(error)).toBe(true);
    expect(error!.name).toBe("ResponseValidationError");
    expect(error).toMatchObject({ vendor, path, requestId });
    expect(error!.message).toMatch(new RegExp(`^${vendor}: invalid response at ${path.replace(".", "\\.")}: .+ \\(request id ${requestId}\\)$`));
    // Not retried: the answer will not change.
    expect(seen).toHaveLength(1);
  });

  test("an HTML page with status 200 → ResponseValidationError at the root, not a crash", async () => {
    serve(server, vendor, () => new HttpResponse("<html><body>Maintenance</body></html>", { headers: { "content-type": "text/html", "X-Request-Id": "req_html" } }));
    const { error } = await readUntilError(vendor);
    expect(ResponseValidationError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ vendor, path: "", requestId: "req_html" });
    expect(error!.message).toContain("invalid response at (root)");
  });

  const timeField: Record<VendorId, string> = {
    pylon: "action_happened_at",
    zendesk: "created_at",
    cortex: "timestamp",
    datafold: "timestamp",
    jitsudo: "created_at",
  };

  test.each(["yesterday", "2026-13-45T99:00:00Z", null])("a record whose time is %j → ResponseValidationError at records[1].<time field>", async (value) => {
    const bad = { ...record(vendor, 2) };
    if (vendor === "pylon") delete bad.created_at;
    bad[timeField[vendor]] = value;
    serve(server, vendor, () => HttpResponse.json(page(vendor, [record(vendor, 1), bad]), { headers: { "X-Request-Id": "req_rec_789" } }));
    const { events, error } = await readUntilError(vendor);
    expect(ResponseValidationError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ vendor, requestId: "req_rec_789" });
    expect((error as ResponseValidationError).path).toBe(`records[1].${timeField[vendor]}`);
    // Nothing at or after the bad record was yielded.
    expect(events.length).toBeLessThanOrEqual(1);
  });
});

describe("a page that says there is more but not where → ResponseValidationError with the request id", () => {
  test("jitsudo: has_more without next_cursor", async () => {
    serve(server, "jitsudo", () => HttpResponse.json({ data: [record("jitsudo", 1)], has_more: true, next_cursor: null }, { headers: { "X-Request-Id": "req_j_1" } }));
    const { error } = await readUntilError("jitsudo");
    expect(ResponseValidationError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ vendor: "jitsudo", path: "next_cursor", requestId: "req_j_1" });
  });

  test("zendesk: has_more with neither links.next nor after_cursor", async () => {
    serve(server, "zendesk", () =>
      HttpResponse.json({ audit_logs: [], meta: { has_more: true, after_cursor: null, before_cursor: null }, links: { next: null, prev: null } }, { headers: { "X-Request-Id": "req_z_1" } }),
    );
    const { error } = await readUntilError("zendesk");
    expect(ResponseValidationError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ vendor: "zendesk", path: "meta.after_cursor", requestId: "req_z_1" });
  });

  test("the happy path still ends: one page with has_more false", async () => {
    for (const vendor of VENDORS) {
      server.resetHandlers();
      const seen = serve(server, vendor, () => HttpResponse.json(okPage(vendor)));
      expect(await readAll(client(vendor, { rateLimit: false }))).toHaveLength(1);
      expect(seen).toHaveLength(1);
    }
  });
});
