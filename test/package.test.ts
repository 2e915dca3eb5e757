// The built package, loaded the way users load it: `import` and `require` of the root and the
// subpaths (self-referenced by name, through package.json "exports"), reading every vendor.
import { execFileSync } from "node:child_process";
import { beforeAll, expect, test } from "vitest";

const run = (args: string[]) => execFileSync(process.execPath, args, { encoding: "utf8", timeout: 60_000 });

beforeAll(() => {
  run(["scripts/ensure-built.mjs"]);
}, 120_000);

test("ESM: import() of every subpath, and a full read of each vendor from the simulator's msw handlers", () => {
  const script = `
    import { createClient, VENDOR_IDS } from "auditlogs";
    import { createSimulator } from "auditlogs/testing";
    import { setupServer } from "msw/node";
    for (const sub of ["pylon", "zendesk", "cortex", "datafold", "jitsudo"]) {
      const mod = await import("auditlogs/" + sub);
      if (typeof mod["create" + sub[0].toUpperCase() + sub.slice(1) + "Client"] !== "function") throw new Error(sub);
    }
    const sim = createSimulator({ eventsPerVendor: 77, rateLimit: false });
    const server = setupServer(...sim.handlers);
    server.listen({ onUnhandledRequest: "error" });
    const counts = {};
    for (const vendor of VENDOR_IDS) {
      const client = createClient({ vendor, ...sim.credentials[vendor], rateLimit: false });
      const events = await client.events({ since: new Date(Date.now() - 8 * 86400000) }).toArray({ limit: 1000 });
      counts[vendor] = new Set(events.map((e) => e.id)).size;
    }
    server.close();
    console.log(JSON.stringify(counts));
  `;
  expect(JSON.parse(run(["--input-type=module", "-e", script]))).toEqual({ pylon: 77, zendesk: 77, cortex: 77, datafold: 77, jitsudo: 77 });
});

test("CJS: require() of the root and subpaths; error classes are shared across entries", () => {
  const script = `
    const { createZendeskClient } = require("auditlogs/zendesk");
    const { ConfigError } = require("auditlogs");
    require("auditlogs/testing");
    try { createZendeskClient({ subdomain: "acme" }); } catch (e) { console.log(JSON.stringify([e instanceof ConfigError, ConfigError.isInstance(e), e.option])); }
  `;
  expect(JSON.parse(run(["-e", script]))).toEqual([true, true, "auth"]);
});
