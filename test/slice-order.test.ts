// The time slices engine decides from each page whether a chain reads oldest first, which lets
// it split the chain's slice and end the chain at the slice's end (DESIGN §13). A wrong "yes"
// would end a chain before records of its range it has not read yet. `ascendingTimes` reads
// every record's time, comparing times of one UTC layout as text (`sameUtcShape`): these cases
// pin that the comparison as text agrees with the times in ms wherever the two could differ.
import { describe, expect, test } from "vitest";
import { sameUtcShape, timeOfField } from "../src/core/event.js";
import { ascendingTimes, type TimeOf } from "../src/core/slices.js";

const byField = timeOfField("created_at");
const page = (...times: unknown[]) => times.map((created_at, i) => ({ id: String(i), created_at }));
const ms = (text: string) => Date.parse(text);
/** The same reads without a field to compare as text: every time read into ms, as a defined vendor's `time`. */
const msOnly: TimeOf = (record) => byField(record);

describe.each<[string, TimeOf]>([
  ["compared as text where the layout allows", byField],
  ["every time read into ms", msOnly],
])("ascendingTimes, %s", (_name, timeOf) => {
  test("times in order (ties allowed): the first and the last read", () => {
    const records = page("2026-03-01T00:00:00Z", "2026-03-01T00:00:01Z", "2026-03-01T00:00:01Z", "2026-03-01T00:00:09Z");
    expect(ascendingTimes(records, timeOf, -1)).toEqual({ ascending: true, first: ms("2026-03-01T00:00:00Z"), reached: ms("2026-03-01T00:00:09Z") });
  });

  test.each([
    ["one record in the middle earlier than the one before it", ["2026-03-01T00:00:00Z", "2026-03-01T00:00:05Z", "2026-03-01T00:00:04Z", "2026-03-01T00:00:09Z"]],
    ["the last earlier than the one before it", ["2026-03-01T00:00:00Z", "2026-03-01T00:00:05Z", "2026-03-01T00:00:04Z"]],
    ["an earlier day, same layout", ["2026-03-01T00:00:00.000Z", "2026-03-02T00:00:00.000Z", "2026-02-28T23:59:59.999Z", "2026-03-03T00:00:00.000Z"]],
    // Same length as the one before, another layout: the text sorts after, the time is earlier.
    ["an offset of the same length, earlier in UTC", ["2026-03-01T00:30:00.0000Z", "2026-03-01T01:00:00+01:00", "2026-03-01T00:40:00.0000Z"]],
    ["an offset with a point and the length of the Z times around it, earlier in UTC", ["2026-03-01T00:30:00.0000000Z", "2026-03-01T01:00:00.00+01:00", "2026-03-01T01:30:00.0000000Z"]],
    ["a layout of a time that is no date, after times compared as text", ["2026-03-01T00:00:00Z", "2026-03-01T00:00:01Z", "2026-02-30T00:00:01.5Z", "2026-03-01T00:00:02Z"]],
    ["a fraction dropped: shorter text, earlier time", ["2026-03-01T00:00:01.000Z", "2026-03-01T00:00:01.500Z", "2026-03-01T00:00:01Z", "2026-03-01T00:00:02.000Z"]],
    ["a time with no usable value", ["2026-03-01T00:00:00Z", 17, "2026-03-01T00:00:02Z"]],
  ])("out of order: %s", (_case, times) => {
    expect(ascendingTimes(page(...times), timeOf, -1).ascending).toBe(false);
  });

  test("the first record is compared with where the page before ended", () => {
    const records = page("2026-03-01T00:00:03Z", "2026-03-01T00:00:04Z");
    expect(ascendingTimes(records, timeOf, ms("2026-03-01T00:00:05Z")).ascending).toBe(false);
    expect(ascendingTimes(records, timeOf, ms("2026-03-01T00:00:03Z"))).toMatchObject({ ascending: true, reached: ms("2026-03-01T00:00:04Z") });
  });

  test("times in order to the millisecond, out of order below it, are in order (the engine's times are ms)", () => {
    const records = page("2026-03-01T00:00:00.123456Z", "2026-03-01T00:00:00.123455Z", "2026-03-01T00:00:00.124000Z");
    expect(ascendingTimes(records, timeOf, -1)).toEqual({ ascending: true, first: ms("2026-03-01T00:00:00.123Z"), reached: ms("2026-03-01T00:00:00.124Z") });
  });

  test("mixed layouts in order are in order", () => {
    const records = page("2026-03-01T00:00:00Z", "2026-03-01T00:00:00.250Z", "2026-03-01T00:00:00.250000Z", "2026-03-01T01:00:00.500+01:00", "2026-03-01T00:00:01Z", "2026-03-01T00:00:01.5Z");
    expect(ascendingTimes(records, timeOf, -1)).toEqual({ ascending: true, first: ms("2026-03-01T00:00:00Z"), reached: ms("2026-03-01T00:00:01.500Z") });
  });

  test("an empty page changes nothing", () => {
    expect(ascendingTimes([], timeOf, 42)).toEqual({ ascending: true, first: undefined, reached: 42 });
  });
});

test("sameUtcShape: one length, Z, the date and time separators, a fraction after a point", () => {
  expect(sameUtcShape("2026-03-01T00:00:01Z", "2026-12-31T23:59:59Z")).toBe(true);
  expect(sameUtcShape("2026-03-01T00:00:01.123Z", "2026-12-31T23:59:59.999Z")).toBe(true);
  expect(sameUtcShape("2026-03-01T00:00:01.12Z", "2026-12-31T23:59:59.999Z")).toBe(false);
  expect(sameUtcShape("2026-03-01 00:00:01Z", "2026-12-31T23:59:59Z")).toBe(false);
  expect(sameUtcShape("2026-03-01T00:00:01z", "2026-12-31T23:59:59Z")).toBe(false);
  expect(sameUtcShape("2026-03-01T00:00:01+0000", "2026-12-31T23:59:59.999Z")).toBe(false);
  expect(sameUtcShape("2026-03-01T00:00:01,123Z", "2026-12-31T23:59:59.999Z")).toBe(false);
});
