// The built-in vendors' record schemas decide the common case with a hand-written test and leave
// the rest to their zod schema (src/core/schema.ts, withFastPath). The hand-written test must
// approve only what zod approves: this checks both give the same verdict, and the same issues, on
// every simulator record and on each field of each record replaced by values of every JSON kind.
import { describe, expect, test } from "vitest";
import * as z from "zod/mini";
import { check, verdictOf, withFastPath, type FastPathSchema } from "../src/core/schema.js";
import { createSimulator } from "../src/testing/index.js";
import { cortex } from "../src/vendors/cortex.js";
import { datafold } from "../src/vendors/datafold.js";
import { jitsudo } from "../src/vendors/jitsudo.js";
import { pylon } from "../src/vendors/pylon.js";
import { zendesk } from "../src/vendors/zendesk.js";

const VENDORS = { pylon, zendesk, cortex, datafold, jitsudo } as const;
const sim = createSimulator({ eventsPerVendor: 200, seed: 3 });

// Every JSON kind, and the edges a test of the kind could get wrong.
const VALUES: unknown[] = [null, "", "x", "2026-03-02T14:05:11Z", 0, 1, -1, 1.5, 2 ** 53, 1e308, true, false, {}, { a: 1 }, [], ["x"], [{}]];
const MISSING = Symbol("missing");

function variants(good: Record<string, unknown>, keys: string[]): unknown[] {
  const out: unknown[] = [good, { ...good, extra: { nested: [1, 2] } }];
  for (const key of keys) {
    for (const value of [MISSING, ...VALUES]) {
      const copy: Record<string, unknown> = { ...good };
      if (value === MISSING) delete copy[key];
      else copy[key] = value;
      out.push(copy);
    }
  }
  // Not a plain JSON object: the hand-written test leaves these to zod.
  out.push(null, undefined, 0, "record", true, [], [good], Object.assign(Object.create(null), good), Object.assign(new (class Record {})(), good));
  // A `__proto__` key as JSON.parse makes it: an own property, not the prototype.
  out.push(JSON.parse(JSON.stringify(good).replace(/^\{/, '{"__proto__":{"polluted":true},')));
  return out;
}

function verdict(schema: FastPathSchema | { "~standard": FastPathSchema["~standard"] }, value: unknown) {
  const result = schema["~standard"].validate(value);
  if (result instanceof Promise) throw new Error("async");
  return result.issues ? { ok: false, issues: result.issues.map((i) => ({ message: i.message, path: i.path })) } : { ok: true };
}

describe.each(Object.entries(VENDORS))("%s record schema", (name, vendor) => {
  const schema = vendor.definition.record as FastPathSchema;
  const records = sim.events[name as keyof typeof VENDORS] as Record<string, unknown>[];
  const shapeKeys = Object.keys((schema.fallback as unknown as { _zod: { def: { shape: object } } })._zod.def.shape);

  test("has a hand-written fast path that approves every simulator record", () => {
    expect(typeof schema.accepts).toBe("function");
    const copies = JSON.parse(JSON.stringify(records)) as unknown[];
    expect(copies.filter((r) => !schema.accepts(r))).toEqual([]);
  });

  test("gives zod's verdict and issues on every field replaced by every kind of value", () => {
    let approvedFast = 0;
    let rejected = 0;
    for (const good of JSON.parse(JSON.stringify(records.slice(0, 20))) as Record<string, unknown>[]) {
      for (const value of variants(good, [...new Set([...shapeKeys, ...Object.keys(good)])])) {
        const fast = verdict(schema, value);
        expect(fast, JSON.stringify(value)).toEqual(verdict(schema.fallback, value));
        // What the hand-written test approves, zod approves (the fast path never widens it).
        if (schema.accepts(value)) {
          approvedFast += 1;
          expect(verdict(schema.fallback, value).ok, JSON.stringify(value)).toBe(true);
        }
        if (!fast.ok) rejected += 1;
      }
    }
    expect(approvedFast).toBeGreaterThan(20);
    expect(rejected).toBeGreaterThan(20);
  });

  test("the verdict the client runs per record (verdictOf) is check's: none for a valid record, else its path and issue", () => {
    const verdictFor = verdictOf(schema);
    let failures = 0;
    for (const good of JSON.parse(JSON.stringify(records.slice(0, 10))) as Record<string, unknown>[]) {
      for (const value of variants(good, [...new Set([...shapeKeys, ...Object.keys(good)])])) {
        const parsed = check(schema.fallback, value);
        const failure = verdictFor(value);
        if (parsed.ok) expect(failure, JSON.stringify(value)).toBeUndefined();
        else {
          failures += 1;
          expect(failure, JSON.stringify(value)).toEqual({ path: parsed.path, issue: parsed.issue });
        }
      }
    }
    expect(failures).toBeGreaterThan(20);
  });
});

test("verdictOf takes a shortcut only for withFastPath's schemas: any other schema's own verdict decides", () => {
  const strict = z.object({ n: z.number() });
  // A schema of someone else's with an `accepts` member that approves everything: not a fast path.
  const lookalike = { ...strict, "~standard": strict["~standard"], accepts: () => true, fallback: strict };
  expect(verdictOf(lookalike)({ n: "x" })?.path).toBe("n");
  expect(verdictOf(lookalike)({ n: 1 })).toBeUndefined();
  // A fast path that rejects leaves the verdict to its schema; one that approves decides alone.
  const fast = withFastPath(strict, (v) => typeof (v as { n?: unknown })?.n === "number");
  expect(verdictOf(fast)({ n: "x" })).toEqual({ path: "n", issue: expect.objectContaining({ message: expect.any(String) }) });
  expect(verdictOf(fast)({ n: 2 })).toBeUndefined();
  // An async schema is refused as check refuses it.
  const asyncSchema = { "~standard": { version: 1 as const, vendor: "x", validate: async () => ({ value: 1 }) } };
  expect(() => verdictOf(asyncSchema)(1)).toThrow(/synchronously/);
});
