// The windows of recent ids (id-window.ts): exact within the window, forgetting beyond it, any
// string a server sends (prototype names, lone surrogates, 10 KB ids, ids one character or one
// trailing NUL apart), and a fixed footprint in typed arrays however many and however long the
// keys. A run over such ids still yields each once, checkpoint and resume included.
import { afterAll, describe, expect, test } from "vitest";
import { idWindow, MAX_REMEMBERED_IDS, RecentKeys } from "../src/core/id-window.js";
import { clientOf, closeAll, hostile, json, page, RUN } from "./hostile-fixtures.js";

afterAll(closeAll);

/** Strings a server may send as ids, every one distinct from every other. */
function oddIds(): string[] {
  const big = "x".repeat(10_240);
  return [
    "",
    "\u0000",
    "a",
    "a\u0000",
    "a\u0000\u0000",
    "__proto__",
    "constructor",
    "prototype",
    "hasOwnProperty",
    "#",
    "\uD800",
    "\uDC00",
    "\uD800\uDC00",
    "\uDC00\uD800",
    "\uD800a",
    "\uFFFF",
    "😀",
    // Lengths around every block and tail boundary of the hash (8 code units a block).
    ...Array.from({ length: 40 }, (_, n) => "k".repeat(n + 1)),
    ...Array.from({ length: 40 }, (_, n) => `${"k".repeat(n + 1)}\u0000`),
    big,
    `${big}y`,
    `y${big.slice(1)}`,
    `${big.slice(1)}y`,
    big.slice(0, 5_000) + "z" + big.slice(5_001),
    "\uD800".repeat(5_000),
    "\uDC00".repeat(5_000),
  ];
}

describe("RecentKeys", () => {
  test("holds every key of any length and content, each once, and none it was not given", () => {
    const ids = oddIds();
    expect(new Set(ids).size).toBe(ids.length);
    const keys = new RecentKeys(ids.length);
    for (const id of ids) expect(keys.has(id), JSON.stringify(id.slice(0, 20))).toBe(false);
    // Ids a UTF-8 encoding would make one (each lone surrogate becomes U+FFFD) are two.
    const pair = new RecentKeys(2);
    expect(pair.add("\uD800".repeat(5_000))).toBe(true);
    expect(pair.has("\uDC00".repeat(5_000))).toBe(false);
    expect(pair.add("\uDC00".repeat(5_000))).toBe(true);
    expect(pair.size).toBe(2);
    for (const id of ids) expect(keys.add(id), JSON.stringify(id.slice(0, 20))).toBe(true);
    for (const id of ids) expect(keys.add(id), JSON.stringify(id.slice(0, 20))).toBe(false);
    expect(keys.size).toBe(ids.length);
    // Near misses of what is held are not held.
    for (const miss of ["b", "a\u0000\u0000\u0000", "__proto_", "\uD801", "\uDBFF\uDC00", "k".repeat(41), `${"x".repeat(10_240)}z`]) expect(keys.has(miss)).toBe(false);
    // Nothing of a prototype leaks in or out.
    expect(Object.getPrototypeOf(keys)).toBe(RecentKeys.prototype);
  });

  test("the window of 50,000 is exact: every id within it, none beyond it, after many wraps", () => {
    const window = idWindow();
    const id = (i: number) => (i % 3 === 0 ? `__proto__${i}` : i % 3 === 1 ? `\uD800${i}\uDC00\uDC00` : `${i}-${"z".repeat(i % 150)}`);
    const total = MAX_REMEMBERED_IDS * 3 + 123;
    for (let i = 0; i < total; i++) {
      expect(window.add(id(i))).toBe(true);
      // A repeat of a recent id changes nothing (and does not move it).
      if (i % 1_000 === 0) expect(window.add(id(i >= 17 ? i - 17 : i))).toBe(false);
    }
    expect(window.size).toBe(MAX_REMEMBERED_IDS);
    let held = 0;
    for (let i = 0; i < total; i++) {
      const inside = i >= total - MAX_REMEMBERED_IDS;
      if (window.has(id(i)) !== inside) expect(window.has(id(i)), `${i}`).toBe(inside);
      if (inside) held += 1;
    }
    expect(held).toBe(MAX_REMEMBERED_IDS);
    // The oldest held goes when a forgotten id comes back.
    expect(window.add(id(0))).toBe(true);
    expect(window.has(id(total - MAX_REMEMBERED_IDS))).toBe(false);
    expect(window.has(id(total - MAX_REMEMBERED_IDS + 1))).toBe(true);
  });

  test("forgets exactly in the order added, whatever the keys' lengths", () => {
    const keys = new RecentKeys(5);
    const long = (c: string) => c.repeat(10_240);
    for (const k of ["a", long("b"), "c", long("d"), "e", "f"]) keys.add(k);
    expect(["a", long("b"), "c", long("d"), "e", "f"].map((k) => keys.has(k))).toEqual([false, true, true, true, true, true]);
    expect(keys.add(long("b"))).toBe(false);
    expect(keys.add("g")).toBe(true);
    expect([long("b"), "c", "g"].map((k) => keys.has(k))).toEqual([false, true, true]);
  });

  test("its memory is typed arrays bounded by its capacity: the same bytes full of short ids or of 10 KB ids", () => {
    const window = idWindow();
    // 16 bytes of ring per id and an index at most half full: about 1.2 MB for 50,000 ids,
    // where 50,000 ids of 10 KB as strings are 1 GB. Empty, a few KB.
    const bound = MAX_REMEMBERED_IDS * 16 + 4 * MAX_REMEMBERED_IDS * 2;
    expect(window.bytes).toBeLessThanOrEqual(16 * 1024);
    for (let i = 0; i < MAX_REMEMBERED_IDS; i++) window.add(`evt_${i}`);
    const full = window.bytes;
    expect(full).toBeLessThanOrEqual(bound);
    const big = "q".repeat(10_240);
    for (let i = 0; i < MAX_REMEMBERED_IDS + 10; i++) window.add(i % 50 === 0 ? `${i}${big}` : `${i}-${"q".repeat(i % 200)}`);
    expect(window.size).toBe(MAX_REMEMBERED_IDS);
    expect(window.bytes).toBe(full);
  });

  test("grows by doubling up to its capacity and keeps every key it grew past, then forgets the oldest", () => {
    for (const capacity of [1, 2, 255, 256, 257, 1_000, 70_000]) {
      const keys = new RecentKeys(capacity);
      const sizes = new Set<number>([keys.bytes]);
      const key = (i: number) => (i % 2 ? `k${i}` : `${"\uD800".repeat(i % 7)}${i}`);
      for (let i = 0; i < capacity; i++) {
        expect(keys.add(key(i))).toBe(true);
        sizes.add(keys.bytes);
        // Every key added so far is held, across each growth.
        if (i % 997 === 0 || i === capacity - 1) for (let j = 0; j <= i; j += Math.max(1, Math.floor(i / 300))) expect(keys.has(key(j)), `${capacity}: ${j} after ${i}`).toBe(true);
      }
      for (let i = 0; i < capacity; i++) if (!keys.has(key(i))) expect(keys.has(key(i)), `${capacity}: ${i}`).toBe(true);
      expect(keys.size).toBe(capacity);
      // Doubling: a handful of sizes, never past what a window built at its capacity would hold.
      expect(sizes.size).toBeLessThanOrEqual(Math.ceil(Math.log2(Math.max(2, capacity / 256))) + 2);
      const full = keys.bytes;
      // Full: the oldest goes first, and the memory stays as it is.
      expect(keys.add(`new-${capacity}`)).toBe(true);
      expect(keys.has(key(0))).toBe(false);
      if (capacity > 1) expect(keys.has(key(1))).toBe(true);
      for (let i = 0; i < 3 * capacity; i++) keys.add(`more-${i}`);
      expect(keys.bytes).toBe(full);
      expect(keys.size).toBe(capacity);
    }
  });

  test("a capacity that is not a positive whole number is refused", () => {
    for (const capacity of [0, -1, 1.5, Number.NaN, Infinity]) expect(() => new RecentKeys(capacity)).toThrow(RangeError);
  });
});

describe("a run over odd ids", () => {
  /** Page n of a Pylon chain: the nth odd id, and the one before it repeated. */
  async function server(ids: string[]) {
    const at = (i: number) => new Date(Date.parse("2026-01-01T12:00:00Z") + i * 1000).toISOString();
    const rec = (i: number) => ({ id: ids[i], action: "UserCreated", action_happened_at: at(i) });
    return hostile((req, res) => {
      const cursor = new URL(req.url ?? "/", "http://x").searchParams.get("cursor");
      const n = cursor ? Number(cursor.slice(1)) : 0;
      const records = n === 0 ? [rec(0)] : [rec(n - 1), rec(n)];
      json(res, page("pylon", records, n + 1 < ids.length ? `c${n + 1}` : undefined));
    });
  }

  test("yields each once although every page repeats the one before", async () => {
    const all = oddIds().filter((id) => id.length > 0);
    const s = await server(all);
    const got = await clientOf("pylon", s, { prefetch: 0 }).events(RUN).toArray({ limit: 10_000 });
    expect(got.map((e) => e.id)).toEqual(all);
  });

  // Resumed, the lag zone is the checkpoint's `seen`, which holds ids a checkpoint can store
  // (1 to 1,000 characters, no control character); the window covers the rest of the run.
  const ids = oddIds().filter((id) => id.length > 0 && id.length <= 1_000 && !/[\u0000-\u001f]/.test(id));

  test("a checkpoint taken mid-run resumes where it stopped, and the resumed run yields each id once", async () => {
    const s = await server(ids);
    const client = clientOf("pylon", s, { prefetch: 0 });
    for (const stop of [1, 7, 30, ids.length - 1]) {
      const first = client.events(RUN);
      const before: string[] = [];
      for await (const event of first) {
        before.push(event.id);
        if (before.length === stop) break;
      }
      expect(before).toEqual(ids.slice(0, stop));
      const rest = (await client.events({ ...RUN, resumeFrom: JSON.parse(JSON.stringify(first.checkpoint())) }).toArray({ limit: 10_000 })).map((e) => e.id);
      // A new run: the record the next page repeats from before the checkpoint may come again
      // (outside the lag zone, `seen` does not hold it), once; nothing after it is lost or twice.
      expect(new Set(rest).size, `stop ${stop}`).toBe(rest.length);
      expect(rest.filter((id) => !before.includes(id)), `stop ${stop}`).toEqual(ids.slice(stop));
      expect(rest.filter((id) => before.includes(id)).length, `stop ${stop}`).toBeLessThanOrEqual(1);
    }
  });
});
