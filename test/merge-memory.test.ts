// mergeEvents holds nothing per event for a part slow to answer: waiting on the parts costs the
// same however many events the others yield meanwhile (a Datafold window in flight while four
// other vendors stream). Measured as live heap after a full collection, not time.
import v8 from "node:v8";
import vm from "node:vm";
import { expect, test } from "vitest";
import { mergeEvents } from "../src/core/merge.js";
import { eventStream } from "../src/core/stream.js";
import type { AuditEvent } from "../src/core/event.js";

v8.setFlagsFromString("--expose-gc");
const gc = vm.runInNewContext("gc") as () => void;

const MB = 1024 * 1024;

test("a part that does not answer while another yields 300,000 events costs no memory per event", async () => {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const event = (id: string) => ({ id }) as unknown as AuditEvent;
  const fast = eventStream(async function* () {
    for (let i = 0; i < 300_000; i++) yield event(`f${i}`);
  }, () => ({}) as never);
  const slow = eventStream(async function* () {
    await released;
    yield event("s");
  }, () => ({}) as never);
  let count = 0;
  let early = 0;
  let late = 0;
  for await (const e of mergeEvents([fast, slow])) {
    count += 1;
    if (count === 20_000) {
      gc();
      early = process.memoryUsage().heapUsed;
    }
    if (count === 300_000) {
      gc();
      late = process.memoryUsage().heapUsed;
      release();
    }
    if (e.id === "s") expect(count).toBe(300_001);
  }
  expect(count).toBe(300_001);
  // 280,000 events later: a reaction, a promise and its resolvers per event would be ~50 MB.
  expect((late - early) / MB).toBeLessThan(10);
});
