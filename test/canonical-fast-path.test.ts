// Flat records (Cortex's) are written by canonicalJson's fast path, with the key order's sort
// cached; the id they hash to must be the same text as the general walk writes. The general walk
// writes a nested object, so `{"r":` + canonicalJson(flat) + `}` must equal canonicalJson({ r: flat }).
import { createHash } from "node:crypto";
import { expect, test } from "vitest";
import { canonicalJson, contentHashId, numberString, str } from "../src/core/event.js";

const STRINGS = ["", "a", "UPDATE", 'quote " and \\ backslash', "line\nbreak\ttab\u0000nul\u001f", "é ü 日本 🎉", "\ud800 lone high", "lone low \udc00", "</script>", "\u2028\u2029"];
const NUMBERS = [0, -0, 1, -1, 1.5, 0.1, 1e21, 1e-7, 5e-324, 2 ** 53, 54210000000058, Number.MAX_VALUE];
const VALUES: unknown[] = [...STRINGS, ...NUMBERS, true, false, null, undefined];
const KEYS = ["action", "actorIdentifier", "ipAddress", "objectIdentifier", "objectType", "timestamp", "b", "a", "10", "9", "0", "__proto__", "é", "A", "Z", "_"];

function seeded(seed: number) {
  return () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
}

test("flat records of every key order and value kind hash as the general walk writes them", () => {
  const random = seeded(7);
  for (let n = 0; n < 3_000; n++) {
    // A few recurring key orders (the cached case) and many one-off ones.
    const keys = n % 3 === 0 ? KEYS.slice(0, 6) : n % 3 === 1 ? [...KEYS.slice(0, 4)].reverse() : KEYS.filter(() => random() < 0.5).sort(() => random() - 0.5);
    const record: Record<string, unknown> = {};
    for (const key of keys) {
      const value = VALUES[Math.floor(random() * VALUES.length)];
      if (key === "__proto__") Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
      else record[key] = value;
    }
    const text = canonicalJson(record);
    expect(`{"r":${text}}`).toBe(canonicalJson({ r: record }));
    expect(contentHashId(record)).toBe(`sha256:${createHash("sha256").update(text).digest("hex")}`);
  }
});

test("a record parsed from JSON with its keys out of order: sorted keys, no whitespace", () => {
  const record = JSON.parse('{"timestamp":"2026-03-01T12:00:00Z","action":"UPDATE","objectType":"SERVICE","ipAddress":null,"n":-0}');
  expect(canonicalJson(record)).toBe('{"action":"UPDATE","ipAddress":null,"n":0,"objectType":"SERVICE","timestamp":"2026-03-01T12:00:00Z"}');
  // The same keys in another order give the same text.
  expect(canonicalJson({ n: 0, ipAddress: null, objectType: "SERVICE", action: "UPDATE", timestamp: "2026-03-01T12:00:00Z" })).toBe(canonicalJson(record));
});

test("numberString writes every number as String does", () => {
  const random = seeded(11);
  const cases = [0, -0, 1, -1, 2 ** 31 - 1, 2 ** 31, 2 ** 32, 1e9, 1e9 + 1, 1e18, 54210000000058, 380012780431, 2 ** 53 - 1, 2 ** 53, 2 ** 53 + 2, -54210000000058, 1.5, 1e21, NaN, Infinity];
  for (let i = 0; i < 50_000; i++) cases.push(Math.floor(random() * 2 ** 53), 2 ** 31 + Math.floor(random() * 1e12), Math.floor(random() * 1e7) * 1e9);
  // Each group of three digits at its edges (0, 999), and billions just under and over a power of ten.
  for (let i = 0; i < 20_000; i++) {
    const billions = Math.floor(random() * 9_007_199);
    for (const low of [0, 999, 999_999, 999_999_999, 1_000, 1_000_000, Math.floor(random() * 1e9)]) if (billions * 1e9 + low > 2 ** 31) cases.push(billions * 1e9 + low);
  }
  cases.push(9_007_199_254_740_991, 9_007_199_000_000_000, 2_147_483_648, 2_999_999_999, 999_999_999_999);
  // One assertion over the cases that differ (an expect() per case was most of the test's time).
  expect(cases.filter((n) => numberString(n) !== String(n)).map((n) => [String(n), numberString(n)])).toEqual([]);
  expect(str(54210000000058)).toBe("54210000000058");
});

/** The walk tooDeepField does for nested records, for comparison. */
function walk(value: unknown, limit: number): string | undefined {
  if (value === null || typeof value !== "object") return undefined;
  const stack: Array<{ value: object; depth: number; field: string }> = [{ value, depth: 1, field: "" }];
  while (stack.length > 0) {
    const { value: node, depth, field } = stack.pop()!;
    if (depth > limit) return field;
    for (const key in node) {
      const item = (node as Record<string, unknown>)[key];
      if (item !== null && typeof item === "object") stack.push({ value: item, depth: depth + 1, field: depth === 1 ? key : field });
    }
  }
  return undefined;
}

test("tooDeepField decides shallow records without its stack walk, and as the walk does", async () => {
  const { tooDeepField } = await import("../src/core/event.js");
  const nest = (depth: number): unknown => (depth <= 0 ? 1 : { x: nest(depth - 1) });
  const shapes: unknown[] = [1, "x", null, [], {}, { a: 1 }, { a: {} }, { a: [] }, { a: { b: 1 } }, { a: { b: {} } }, { a: [[]] }, { a: 1, b: { c: [1, 2] }, d: "x" }];
  for (let depth = 0; depth <= 6; depth++) shapes.push({ flat: "x", list: [1, 2], deep: nest(depth) }, { deep: nest(depth), meta: {} }, [nest(depth)]);
  for (let limit = 1; limit <= 6; limit++) for (const shape of shapes) expect(tooDeepField(shape, limit), `${limit} ${JSON.stringify(shape)}`).toBe(walk(shape, limit));
  expect(tooDeepField({ a: { y: [] } }, 2)).toBe("a");
  expect(tooDeepField({ a: { y: 1 }, b: {} }, 1000)).toBeUndefined();
});
