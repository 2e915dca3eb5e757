// DESIGN §12: mergeEvents takes streams from another copy of the package (ESM and CJS loaded
// side by side, two versions in one tree): it checks a Symbol.for brand, not instanceof.
import { execFileSync } from "node:child_process";
import { beforeAll, expect, test } from "vitest";

const run = (args: string[]) => execFileSync(process.execPath, args, { encoding: "utf8", timeout: 120_000 });

beforeAll(() => {
  run(["scripts/ensure-built.mjs"]);
}, 300_000);

test("an ESM mergeEvents merges a stream from the CommonJS copy, and stops it on break", () => {
  const script = `
    import { createRequire } from "node:module";
    import { mergeEvents, createPylonClient, EventStream } from "auditlogs";
    import { createSimulator } from "auditlogs/testing";
    const cjs = createRequire(import.meta.url)("auditlogs");
    if (cjs.EventStream === EventStream) throw new Error("expected two copies");
    const sim = createSimulator({ vendors: ["pylon", "cortex"], eventsPerVendor: 20, rateLimit: false });
    const server = await sim.listen();
    const foreign = cjs.createCortexClient({ ...server.credentials.cortex, rateLimit: false }).events({ pageSize: 5 });
    const own = createPylonClient({ ...server.credentials.pylon, rateLimit: false }).events({ pageSize: 5 });
    const merged = mergeEvents([own, foreign]);
    const events = await merged.toArray({ limit: 1000 });
    const byVendor = {};
    for (const e of events) byVendor[e.vendor] = (byVendor[e.vendor] ?? 0) + 1;
    const stopped = mergeEvents([cjs.createCortexClient({ ...server.credentials.cortex, rateLimit: false }).events({ pageSize: 5 })]);
    for await (const _ of stopped) break;
    await server.close();
    console.log(JSON.stringify({ byVendor, parts: merged.checkpoint().parts.map((p) => p.vendor) }));
  `;
  expect(JSON.parse(run(["--input-type=module", "-e", script]))).toEqual({ byVendor: { pylon: 20, cortex: 20 }, parts: ["pylon", "cortex"] });
});
