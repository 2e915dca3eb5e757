// DESIGN §14 endless pagination: 10 pages in a row with no record, or whose records all repeat
// ids seen on the run's earlier pages, are a PaginationLoopError, however new the cursors look;
// a record repeated on later pages is yielded once; the memory kept for both is bounded however
// long the chain. Loopback servers that give
// up after 300 pages, so a client without the guard ends (and fails the test) instead of looping.
import { afterAll, describe, expect, test } from "vitest";
import { PaginationLoopError } from "../src/index.js";
import { createHash } from "node:crypto";
import { idWindow, RecentKeys } from "../src/core/id-window.js";
import type { VendorId } from "../src/core/vendor-id.js";
import { clientOf, closeAll, drain, hostile, json, page, record, RUN } from "./hostile-fixtures.js";

afterAll(closeAll);

/** The events' ids, sorted. */
const ids = (items: unknown[]) => items.map((item) => (item as { id: string }).id).sort();

const GIVE_UP = 300;

/** A chain of ever-new cursors (or links) whose page n holds `records(n)`; the last page says no more. */
async function chain(vendor: VendorId, records: (n: number) => unknown[]) {
  const server = await hostile((_req, res, n) => {
    const more = n < GIVE_UP;
    const next = vendor === "zendesk" ? `/api/v2/audit_logs?page%5Bafter%5D=c${n}-${"x".repeat(100)}` : `cursor-${n}-${"y".repeat(4_000)}`;
    json(res, page(vendor, records(n), more ? next : undefined));
  });
  return server;
}

describe.each<VendorId>(["pylon", "zendesk", "jitsudo"])("%s: a chain of ever-new cursors", (vendor) => {
  test("whose pages hold one old record is a PaginationLoopError after 10 pages with nothing new", async () => {
    const server = await chain(vendor, () => [record(vendor, 1)]);
    const { items, error } = await drain(clientOf(vendor, server).events(RUN));
    expect(PaginationLoopError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain("10 pages in a row brought no record not already seen");
    // Yielded once: the run remembers what it yielded, not only the lag zone.
    expect(items).toHaveLength(1);
    // The first page, then 10 with nothing new (and at most the one page fetched ahead).
    expect(server.requests.length).toBeLessThanOrEqual(12);
  });

  test("repeating the same ids in a cycle of pages is a PaginationLoopError", async () => {
    const server = await chain(vendor, (n) => [record(vendor, 2 * (n % 3)), record(vendor, 2 * (n % 3) + 1)]);
    const { items, error } = await drain(clientOf(vendor, server).events(RUN));
    expect(PaginationLoopError.isInstance(error)).toBe(true);
    // The cycle's six records, each once; then 10 pages of nothing new.
    expect(ids(items)).toEqual([0, 2, 4, 1, 3, 5].map((i) => String(record(vendor, i).id)).sort());
    expect(items).toHaveLength(6);
    expect(server.requests.length).toBeLessThanOrEqual(3 + 10 + 1);
  });

  test("empty pages and pages of old records mixed still count as one run", async () => {
    const server = await chain(vendor, (n) => (n === 1 ? [record(vendor, 1)] : n % 2 ? [] : [record(vendor, 1)]));
    const { error } = await drain(clientOf(vendor, server).events(RUN));
    expect(PaginationLoopError.isInstance(error)).toBe(true);
    expect(server.requests.length).toBeLessThanOrEqual(12);
  });

  test("a long chain that keeps bringing new records is read to its end", async () => {
    const server = await chain(vendor, (n) => (n % 5 === 0 ? [record(vendor, n), record(vendor, n - 1)] : [record(vendor, n)]));
    const { items, error } = await drain(clientOf(vendor, server, { prefetch: 0 }).events(RUN));
    expect(error).toBeUndefined();
    // Every 5th page repeats the record before it: yielded once all the same.
    expect(items).toHaveLength(GIVE_UP);
    expect(new Set(ids(items)).size).toBe(GIVE_UP);
    expect(server.requests).toHaveLength(GIVE_UP);
  });

  // A record outside the run's range (a server that ignores the time filter) is never yielded:
  // the guard remembers it itself, where a record the run yields is news by the run's own window.
  test("whose pages repeat a record outside the run's range is a PaginationLoopError", async () => {
    const server = await chain(vendor, () => [record(vendor, -100_000)]);
    const { items, error } = await drain(clientOf(vendor, server).events(RUN));
    expect(PaginationLoopError.isInstance(error)).toBe(true);
    expect(items).toHaveLength(0);
    expect(server.requests.length).toBeLessThan(GIVE_UP);
  });

  test("whose pages repeat one record yielded and one outside the range is a PaginationLoopError, the first yielded once", async () => {
    const server = await chain(vendor, (n) => (n === 0 ? [record(vendor, 1)] : [record(vendor, 1), record(vendor, -100_000)]));
    const { items, error } = await drain(clientOf(vendor, server).events(RUN));
    expect(PaginationLoopError.isInstance(error)).toBe(true);
    expect(ids(items)).toEqual([String(record(vendor, 1).id)]);
    expect(server.requests.length).toBeLessThan(GIVE_UP);
  });

  test("whose pages bring ever-new records outside the range is no loop: read to its end, nothing yielded", async () => {
    const server = await chain(vendor, (n) => [record(vendor, -100_000 - n)]);
    const { items, error } = await drain(clientOf(vendor, server, { prefetch: 0 }).events(RUN));
    expect(error).toBeUndefined();
    expect(items).toHaveLength(0);
    expect(server.requests.length).toBeGreaterThanOrEqual(GIVE_UP);
  });

  test("a chain that repeats one record on every page, and within a page, is no loop but yields it once", async () => {
    const server = await chain(vendor, (n) => [record(vendor, n), record(vendor, 1)]);
    const { items, error } = await drain(clientOf(vendor, server, { prefetch: 0 }).events(RUN));
    expect(error).toBeUndefined();
    expect(items).toHaveLength(GIVE_UP);
    expect(new Set(ids(items)).size).toBe(GIVE_UP);
  });
});

describe("bounded memory", () => {
  test("the loop guard remembers at most its capacity, however many 4 KB keys pass", () => {
    const keys = new RecentKeys(1_000);
    for (let i = 0; i < 5_000; i++) expect(keys.add(`${i}-${"k".repeat(4_096)}`)).toBe(true);
    expect(keys.size).toBe(1_000);
    // The newest are remembered, the oldest forgotten.
    expect(keys.has(`4999-${"k".repeat(4_096)}`)).toBe(true);
    expect(keys.has(`0-${"k".repeat(4_096)}`)).toBe(false);
    expect(keys.add(`4999-${"k".repeat(4_096)}`)).toBe(false);
  });

  test("forgetting the oldest stays exact however many keys pass, and a key like a hash is not one", () => {
    const keys = new RecentKeys(100);
    for (let i = 0; i < 10_000; i++) keys.add(`id-${i}`);
    expect(keys.size).toBe(100);
    for (let i = 0; i < 10_000; i++) expect(keys.has(`id-${i}`)).toBe(i >= 9_900);
    // A forgotten key is new again, and the oldest remembered goes.
    expect(keys.add("id-0")).toBe(true);
    expect(keys.has("id-9900")).toBe(false);
    const long = "x".repeat(100);
    const lookalike = `#${createHash("sha256").update(long).digest("base64")}`;
    const guard = new RecentKeys(10);
    expect(guard.add(long)).toBe(true);
    expect(guard.add(lookalike)).toBe(true);
  });

  test("the run's window of yielded ids holds the last 50,000", () => {
    const window = idWindow();
    for (let i = 0; i < 60_000; i++) window.add(`sha256:${String(i).padStart(64, "0")}`);
    expect(window.size).toBe(50_000);
    expect(window.has(`sha256:${String(10_000).padStart(64, "0")}`)).toBe(true);
    expect(window.has(`sha256:${String(9_999).padStart(64, "0")}`)).toBe(false);
  });
});
