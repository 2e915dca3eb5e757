// DESIGN §12: the example sixth vendor (examples/custom-vendor: Link-header pages and a time
// filter) passes the same contract as the built-ins, merges with one, maps to OCSF, and is
// served by the simulator through listen() and msw alike.
import { setupServer } from "msw/node";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createClient, createPylonClient, mergeEvents, toOCSF } from "../src/index.js";
import { createSimulator, vendorContract } from "../src/testing/index.js";
import { acme } from "../examples/custom-vendor/acme.js";
import { createAcmeFake } from "../examples/custom-vendor/acme-fake.js";
import { main } from "../examples/custom-vendor/main.js";

const COUNT = 30;
const options = { domain: "acme.example.com", apiToken: "sim_acme_token" };

vendorContract(
  {
    vendor: acme,
    fake: createAcmeFake({ count: COUNT }).fake,
    options,
    params: { pageSize: 4 },
    count: COUNT,
    authHeaders: { authorization: "SSWS sim_acme_token" },
    secondRequest: (first, second) => {
      expect(first.url.pathname).toBe("/api/v1/logs");
      expect(first.url.searchParams.get("after")).toBeNull();
      // Page 2 is the Link header's rel="next": the cursor, and the same range and limit.
      expect(second.url.searchParams.get("after")).toBeTruthy();
      expect(second.url.searchParams.get("limit")).toBe("4");
      expect(second.url.searchParams.get("until")).toBe(first.url.searchParams.get("until"));
    },
  },
  { describe, test, expect },
);

describe("acme: the time filter and what the core completes", () => {
  const acmeFake = createAcmeFake({ count: COUNT });
  const sim = createSimulator({ vendors: ["pylon"], eventsPerVendor: 6, rateLimit: false, fakes: [{ vendor: acme, fake: acmeFake.fake, credentials: options }] });
  let server: Awaited<ReturnType<typeof sim.listen>>;
  beforeAll(async () => {
    server = await sim.listen();
  });
  afterAll(() => server.close());

  test("since/until go to the API, and the range is [since, until)", async () => {
    const since = acmeFake.records[5]!.published;
    const until = acmeFake.records[15]!.published;
    const events = await acme.createClient({ ...server.credentials.acme, ...options, rateLimit: false }).events({ since, until, pageSize: 3 }).toArray({ limit: 100 });
    expect(events.map((e) => e.id)).toEqual(acmeFake.records.slice(5, 15).map((r) => r.uuid));
    expect(sim.stats.requests.acme).toBe(4);
  });

  test("the core completes the event; fields normalize did not read land in unmapped", async () => {
    const [event] = await acme.createClient({ ...server.credentials.acme, ...options, rateLimit: false }).events().toArray({ limit: 1 });
    const raw = acmeFake.records[0]!;
    expect(event).toEqual({
      vendor: "acme",
      id: raw.uuid,
      occurredAt: raw.published,
      action: "user.session.start",
      operation: "other",
      outcome: "failure",
      actor: { id: "u0", type: "User", name: "User 0", email: "user0@acme.example.com" },
      source: { ip: "198.51.100.0", userAgent: "Mozilla/5.0" },
      target: { type: "UserGroup", id: "g0", name: "Group 0" },
      message: "event 0",
      unmapped: { debugContext: { requestUri: "/login" } },
      raw,
    });
  });

  test("merges with a built-in; checkpoints and OCSF name each vendor", async () => {
    const merged = mergeEvents([
      createClient({ vendor: acme, ...server.credentials.acme, ...options, rateLimit: false }).events({ pageSize: 7 }),
      createPylonClient({ ...server.credentials.pylon, rateLimit: false }).events(),
    ]);
    const events = await merged.toArray({ limit: 1000 });
    expect(events.filter((e) => e.vendor === "acme")).toHaveLength(COUNT);
    expect(events.filter((e) => e.vendor === "pylon")).toHaveLength(6);
    expect(merged.checkpoint().parts.map((p) => [p.vendor, p.complete])).toEqual([["acme", true], ["pylon", true]]);
    const ocsf = toOCSF(events.find((e) => e.vendor === "acme")!);
    expect(ocsf.metadata.product).toEqual({ name: "Acme Audit", vendor_name: "Acme" });
    expect(ocsf.resources).toEqual([{ type: "UserGroup", uid: "g0", name: "Group 0" }]);
  });

  test("the simulator applies its rate limit and faults to an extra vendor too", async () => {
    const limited = createSimulator({ vendors: [], rateLimit: false, faults: { rate: 1, kinds: ["503"] }, fakes: [{ vendor: acme, fake: acmeFake.fake, credentials: options }] });
    const response = await limited.handle(new Request("https://acme.example.com/api/v1/logs", { headers: { authorization: "SSWS sim_acme_token" } }));
    expect(response.status).toBe(503);
    expect(limited.stats.faults.acme).toBe(1);
  });
});

describe("acme over msw, on its own host", () => {
  const acmeFake = createAcmeFake({ count: 9 });
  const sim = createSimulator({ vendors: ["zendesk"], eventsPerVendor: 4, rateLimit: false, fakes: [{ vendor: acme, fake: acmeFake.fake, credentials: options }] });
  const server = setupServer(...sim.handlers);
  beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
  afterAll(() => server.close());

  test("sim.credentials.acme reads every event from https://acme.example.com", async () => {
    const events = await acme.createClient({ ...(sim.credentials.acme as typeof options), rateLimit: false }).events({ pageSize: 2 }).toArray({ limit: 100 });
    expect(events.map((e) => e.id)).toEqual(acmeFake.records.map((r) => r.uuid));
    expect(sim.stats.requests.acme).toBe(5);
  });
});

test("examples/custom-vendor/main.ts: definition to for await, merged with Pylon, as OCSF", async () => {
  const printed: string[] = [];
  const lines = await main((line) => printed.push(line));
  const products = lines.map((line) => (JSON.parse(line) as { metadata: { product: { name: string } } }).metadata.product.name);
  expect(products.filter((p) => p === "Acme Audit")).toHaveLength(12);
  expect(products.filter((p) => p === "Pylon")).toHaveLength(5);
  expect(printed.some((line) => line.startsWith("failed: user.session.start by user0@acme.example.com"))).toBe(true);
});
