// DESIGN §14 poison records: a record the SDK cannot use (nested 5,000 deep, a time outside
// years 0000–9999, no usable time, a missing required field) is a ResponseValidationError naming
// vendor, record index, field and request id, never a raw RangeError; `onInvalidRecord` turns
// it into skip-and-report, counted in `client.stats.invalidRecords`. Loopback servers.
import { afterAll, describe, expect, test } from "vitest";
import { ConfigError, createClient, ResponseValidationError, type ClientOptions } from "../src/index.js";
import { canonicalJson, contentHashId } from "../src/core/event.js";
import { normalizeCortex } from "../src/vendors/cortex.js";
import type { VendorId } from "../src/core/vendor-id.js";
import { clientOf, closeAll, deep, DEEP, drain, hostile, json, page, record, RUN } from "./hostile-fixtures.js";
import { OPTIONS, VENDORS } from "./http-fixtures.js";
import { createSimulator } from "../src/testing/index.js";

afterAll(closeAll);

/** The field holding each vendor's time. */
const TIME_FIELD: Record<VendorId, string> = { pylon: "action_happened_at", zendesk: "created_at", cortex: "timestamp", datafold: "timestamp", jitsudo: "created_at" };

/** A page of three records, the middle one replaced by `poison(vendor)`, with request id "req-7". */
async function serverWith(vendor: VendorId, poison: (vendor: VendorId) => unknown) {
  return hostile((_req, res) => json(res, page(vendor, [record(vendor, 1), poison(vendor), record(vendor, 3)]), 200, { "x-request-id": "req-7" }));
}

function withTime(vendor: VendorId, time: unknown): Record<string, unknown> {
  const r = record(vendor, 2);
  r[TIME_FIELD[vendor]] = time;
  if (vendor === "pylon") delete r.created_at;
  return r;
}

describe.each(VENDORS)("%s: a record nested 5,000 levels deep", (vendor) => {
  test("is a ResponseValidationError naming vendor, record index, field and request id", async () => {
    const server = await serverWith(vendor, (v) => ({ ...record(v, 2), extra: DEEP }));
    const { items, error } = await drain(clientOf(vendor, server).events(RUN));
    // A page is normalized whole before its first event is yielded.
    expect(items).toHaveLength(0);
    expect(error).toBeInstanceOf(ResponseValidationError);
    const e = error as ResponseValidationError;
    expect(e.vendor).toBe(vendor);
    expect(e.path).toBe("records[1].extra");
    expect(e.requestId).toBe("req-7");
    expect(e.message).toContain("deeper than 1000 levels");
    expect(e.message).toContain("req-7");
  });

  test("with onInvalidRecord the record is handed over, counted, and the run goes on", async () => {
    const server = await serverWith(vendor, (v) => ({ ...record(v, 2), extra: DEEP }));
    const handed: Array<[unknown, ResponseValidationError]> = [];
    const client = clientOf(vendor, server, { onInvalidRecord: (r: unknown, e: ResponseValidationError) => handed.push([r, e]) });
    const { items, error } = await drain(client.events(RUN));
    expect(error).toBeUndefined();
    expect(items).toHaveLength(2);
    expect(handed).toHaveLength(1);
    expect((handed[0]![0] as { extra: unknown }).extra).toBeDefined();
    expect(handed[0]![1].path).toBe("records[1].extra");
    expect(client.stats.invalidRecords).toBe(1);
  });
});

describe.each(VENDORS)("%s: times outside years 0000–9999 and unusable times", (vendor) => {
  test.each([
    ["year 275760", "+275760-09-13T00:00:00.000Z"],
    ["an offset carrying 9999-12-31 into year 10000", "9999-12-31T23:30:00-01:00"],
    ["an offset carrying 0000-01-01 before year 0", "0000-01-01T00:30:00+01:00"],
    ["not a time", "yesterday"],
    ["a number", 7],
  ])("%s is a ResponseValidationError naming the time field", async (_name, time) => {
    const server = await serverWith(vendor, (v) => withTime(v, time));
    const { items, error } = await drain(clientOf(vendor, server).events(RUN));
    expect(items).toHaveLength(0);
    expect(ResponseValidationError.isInstance(error)).toBe(true);
    const e = error as ResponseValidationError;
    expect(e.path).toBe(`records[1].${TIME_FIELD[vendor]}`);
    expect(e.requestId).toBe("req-7");
  });
});

describe("missing required fields", () => {
  test("a Cortex record without objectType names the field", async () => {
    const server = await serverWith("cortex", (v) => {
      const r = record(v, 2);
      delete r.objectType;
      return r;
    });
    const { error } = await drain(clientOf("cortex", server).events(RUN));
    expect((error as ResponseValidationError).path).toBe("records[1].objectType");
    expect((error as ResponseValidationError).message).toMatch(/^cortex: invalid response at records\[1\]\.objectType: .* \(request id req-7\)$/);
  });

  test("with onInvalidRecord every poison record of a page is reported in order, the good ones yielded", async () => {
    const server = await hostile((_req, res) =>
      json(res, page("datafold", [{ nope: 1 }, record("datafold", 1), withTime("datafold", "+275760-09-13T00:00:00.000Z"), record("datafold", 3)]), 200, { "x-request-id": "df-1" }),
    );
    const paths: string[] = [];
    const client = clientOf("datafold", server, { onInvalidRecord: (_r: unknown, e: ResponseValidationError) => paths.push(e.path) });
    const { items, error } = await drain(client.events(RUN));
    expect(error).toBeUndefined();
    expect((items as Array<{ id: string }>).map((e) => e.id)).toEqual(["df-1", "df-3"]);
    expect(paths).toEqual(["records[0].timestamp", "records[2].timestamp"]);
    expect(client.stats).toEqual({ requests: 1, retries: 0, invalidRecords: 2 });
  });

  test("an error thrown by onInvalidRecord stops the run with that error", async () => {
    const server = await serverWith("pylon", (v) => withTime(v, "never"));
    const mine = new Error("stop here");
    const { error } = await drain(
      clientOf("pylon", server, {
        onInvalidRecord: () => {
          throw mine;
        },
      }).events(RUN),
    );
    expect(error).toBe(mine);
  });

  test("onInvalidRecord must be a function", () => {
    expect(() => createClient({ vendor: "pylon", ...OPTIONS.pylon, onInvalidRecord: "skip" } as unknown as ClientOptions)).toThrow(ConfigError);
    try {
      createClient({ vendor: "pylon", ...OPTIONS.pylon, onInvalidRecord: 1 } as unknown as ClientOptions);
    } catch (error) {
      expect((error as ConfigError).option).toBe("onInvalidRecord");
    }
  });
});

describe("walks safe for 5,000-deep input", () => {
  test("the Cortex content hash and canonical JSON throw a named error, not a RangeError", () => {
    const value = { action: "x", nested: deep(5_000) };
    for (const walk of [() => canonicalJson(value), () => contentHashId(value)]) {
      let thrown: unknown;
      try {
        walk();
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(Error);
      expect(thrown).not.toBeInstanceOf(RangeError);
      expect((thrown as { field: string }).field).toBe("nested");
    }
    expect(() => normalizeCortex({ ...record("cortex", 1), nested: deep(5_000) } as never)).toThrow(/deeper than 1000 levels/);
  });

  test("1,000 levels is still a record", async () => {
    const server = await serverWith("cortex", (v) => ({ ...record(v, 2), extra: deep(998) }));
    const { items, error } = await drain(clientOf("cortex", server).events(RUN));
    expect(error).toBeUndefined();
    expect(items).toHaveLength(3);
  });
});

describe("the simulator serves a record nested 5,000 deep, for a test to plant one", () => {
  test.each(VENDORS)("%s: the page is a 200, the client hands that record to onInvalidRecord and reads the rest", async (vendor) => {
    const sim = createSimulator({ vendors: [vendor], eventsPerVendor: 6, seed: 5, rateLimit: false });
    let nested: Record<string, unknown> = {};
    for (let i = 0; i < 5_000; i++) nested = { next: nested };
    const planted = sim.events[vendor][2] as unknown as Record<string, unknown>;
    planted.planted_extra = nested;
    const server = await sim.listen();
    try {
      const invalid: Array<[unknown, ResponseValidationError]> = [];
      const client = createClient({ vendor, ...sim.credentials[vendor], baseUrl: server.url, rateLimit: false, maxRetries: 0, onInvalidRecord: (r, e) => invalid.push([r, e]) } as ClientOptions);
      const events = await client.events({ since: new Date(Date.now() - 8 * 86_400_000) }).toArray({ limit: 100 });
      expect(events).toHaveLength(5);
      expect(invalid).toHaveLength(1);
      expect(invalid[0]![1].path).toMatch(/^records\[\d+\]\.planted_extra$/);
      // Received whole: all 5,000 levels.
      let depth = 0;
      for (let node = (invalid[0]![0] as Record<string, unknown>).planted_extra as Record<string, unknown> | undefined; node; node = node.next as Record<string, unknown> | undefined) depth += 1;
      expect(depth).toBe(5_001);
    } finally {
      await server.close();
    }
  });
});
