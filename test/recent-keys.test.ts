// The loop guard's memory (RecentKeys) forgets exactly its oldest key, however many times its
// ring of keys wraps around; a key already there is not added again and does not move.
import { expect, test } from "vitest";
import { RecentKeys } from "../src/core/id-window.js";

test("after many wraps it holds exactly the last `capacity` keys added", () => {
  const keys = new RecentKeys(100);
  for (let i = 0; i < 1_050; i++) {
    expect(keys.add(`k${i}`)).toBe(true);
    // A repeat of a key still held changes nothing.
    if (i % 7 === 0) expect(keys.add(`k${i}`)).toBe(false);
  }
  expect(keys.size).toBe(100);
  for (let i = 0; i < 1_050; i++) expect(keys.has(`k${i}`), `k${i}`).toBe(i >= 950);
});

test("a key forgotten can be added again, and then the next oldest goes", () => {
  const keys = new RecentKeys(3);
  for (const k of ["a", "b", "c", "d"]) keys.add(k);
  expect(["a", "b", "c", "d"].map((k) => keys.has(k))).toEqual([false, true, true, true]);
  expect(keys.add("a")).toBe(true);
  expect(["a", "b", "c", "d"].map((k) => keys.has(k))).toEqual([true, false, true, true]);
  expect(keys.add("c")).toBe(false);
  expect(keys.add("e")).toBe(true);
  expect(["a", "b", "c", "d", "e"].map((k) => keys.has(k))).toEqual([true, false, false, true, true]);
});
