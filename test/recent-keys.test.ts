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

test("with times, a key found again tells the time it was added with, across growth and wraps", () => {
  // Capacity 1,000 grows from 256 twice, then wraps: each key's time moves with it.
  const keys = new RecentKeys(1_000, { times: true });
  for (let i = 0; i < 2_500; i++) {
    expect(keys.add(`k${i}`, i * 10 + 1)).toBe(true);
    // Keys added before each growth (at 256 and 512 keys), found after it.
    if (i === 700) {
      for (const back of [1, 100, 255, 256, 300, 511, 512, 699]) {
        expect(keys.add(`k${back}`, -1)).toBe(false);
        expect(keys.lastTime, `k${back}`).toBe(back * 10 + 1);
      }
    }
  }
  // After wraps: the last 1,000 keys, each with its own time.
  for (const i of [1_500, 2_000, 2_499]) {
    expect(keys.add(`k${i}`, -1)).toBe(false);
    expect(keys.lastTime).toBe(i * 10 + 1);
  }
  // Forgotten, then added again with a new time.
  expect(keys.add("k0", 7)).toBe(true);
  expect(keys.add("k0")).toBe(false);
  expect(keys.lastTime).toBe(7);
  // The times are 8 bytes a key more than a window without them, at full size.
  const plain = new RecentKeys(1_000);
  for (let i = 0; i < 2_500; i++) plain.add(`k${i}`);
  expect(keys.bytes - plain.bytes).toBe(1_000 * 8);
});

test("without times, lastTime says nothing", () => {
  const keys = new RecentKeys(10);
  keys.add("a", 5);
  expect(keys.add("a")).toBe(false);
  expect(keys.lastTime).toBeNaN();
});
