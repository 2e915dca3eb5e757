// unmappedFieldsOf (src/core/event.ts): the vendors' unmapped fields built by object literals for
// the key orders they usually send, remembered per key order. Whatever the order, the keys and the
// record's oddities, the result must be unmappedFields' own, key order included.
import { expect, test } from "vitest";
import { unmappedFields, unmappedFieldsOf } from "../src/core/event.js";

const MAPPED = new Set(["id", "time", "action"]);
const shapes = [(r: any) => ({ url: r.url, label: r.label }), (r: any) => ({ label: r.label, url: r.url }), (r: any) => ({ meta: r.meta })];

function seeded(seed: number) {
  return () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
}

const same = (actual: Record<string, unknown>, expected: Record<string, unknown>) => {
  expect(Object.keys(actual)).toEqual(Object.keys(expected));
  expect(actual).toStrictEqual(expected);
  expect(Object.getPrototypeOf(actual)).toBe(Object.prototype);
};

test("gives unmappedFields' object for every key order, the remembered ones and those past the 8 it remembers", () => {
  const unmapped = unmappedFieldsOf(MAPPED, shapes);
  const random = seeded(3);
  const keys = ["id", "time", "action", "url", "label", "meta", "extra", "10", "__proto__"];
  for (let n = 0; n < 5_000; n++) {
    // A few usual orders, and many others (more than it remembers).
    const chosen = n % 2 === 0 ? (n % 4 === 0 ? ["id", "url", "time", "label", "action"] : ["meta", "id", "time"]) : keys.filter(() => random() < 0.6).sort(() => random() - 0.5);
    const text = `{${chosen.map((key) => `${JSON.stringify(key)}:${JSON.stringify(random() < 0.2 ? { nested: [n] } : random() < 0.5 ? null : `v${n}`)}`).join(",")}}`;
    const raw = JSON.parse(text) as Record<string, unknown>;
    same(unmapped(raw), unmappedFields(raw, MAPPED));
  }
});

test("a record with an inherited enumerable field, or a field read through a getter, comes out as unmappedFields gives it", () => {
  const unmapped = unmappedFieldsOf(MAPPED, shapes);
  for (let round = 0; round < 3; round++) {
    // Own `url`, inherited `label`: for-in sees both, as unmappedFields does.
    const inherited = Object.assign(Object.create({ label: "from the prototype" }), { id: "1", url: "u" });
    same(unmapped(inherited), unmappedFields(inherited, MAPPED));
    let reads = 0;
    const getter = Object.defineProperty({ id: "1", url: "u" } as Record<string, unknown>, "label", { enumerable: true, get: () => `read ${++reads}` });
    const expected = unmappedFields(getter, MAPPED);
    same(unmapped(getter), { ...expected, label: `read ${reads}` });
  }
});

test("a shape that renames, reorders what it reads, writes a mapped field or __proto__ is refused when the vendor is defined", () => {
  expect(() => unmappedFieldsOf(MAPPED, [(r) => ({ url: r.link })])).toThrow(TypeError);
  expect(() => unmappedFieldsOf(MAPPED, [(r) => ({ id: r.id })])).toThrow(TypeError);
  expect(() => unmappedFieldsOf(MAPPED, [(r) => ({ url: r.url, extra: r.url })])).toThrow(TypeError);
  expect(() => unmappedFieldsOf(MAPPED, [(r) => ({ ["__proto__"]: r.__proto__ })])).toThrow(TypeError);
  expect(() => unmappedFieldsOf(MAPPED, [(r) => ({ 10: r[10] })])).toThrow(TypeError);
  expect(() => unmappedFieldsOf(MAPPED, [(r) => ({ label: r.label, url: (r.url, r.other) })])).toThrow(TypeError);
  expect(() => unmappedFieldsOf(MAPPED, shapes)).not.toThrow();
});
