/**
 * From definition to `for await`: the Acme vendor served by the simulator (with its fake as an
 * extra vendor) next to a built-in, read as one merged stream, printed as OCSF.
 * `main()` is what test/example-vendor.test.ts runs.
 */
import { createPylonClient, mergeEvents, toOCSF } from "auditlogs";
import { createSimulator } from "auditlogs/testing";
import { acme } from "./acme.js";
import { createAcmeFake } from "./acme-fake.js";

/** Reads Acme and Pylon from a local simulator; returns the OCSF lines it printed. */
export async function main(print: (line: string) => void = console.log): Promise<string[]> {
  const fakeAcme = createAcmeFake({ count: 12 });
  const sim = createSimulator({
    vendors: ["pylon"],
    eventsPerVendor: 5,
    fakes: [{ vendor: acme, fake: fakeAcme.fake, credentials: { domain: "acme.example.com", apiToken: fakeAcme.apiToken } }],
  });
  const server = await sim.listen();
  const lines: string[] = [];
  try {
    const acmeClient = acme.createClient({ ...server.credentials.acme, domain: "acme.example.com", apiToken: fakeAcme.apiToken, rateLimit: false });
    const pylonClient = createPylonClient({ ...server.credentials.pylon, rateLimit: false });
    const since = new Date(Date.now() - 8 * 86_400_000);
    for await (const event of mergeEvents([acmeClient.events({ since, pageSize: 5 }), pylonClient.events({ since })])) {
      // `event.vendor` narrows `event.raw`: here it is an AcmeLog.
      if (event.vendor === "acme" && event.raw.outcome?.result === "FAILURE") print(`failed: ${event.action} by ${event.actor.email}`);
      const line = JSON.stringify(toOCSF(event));
      lines.push(line);
      print(line);
    }
  } finally {
    await server.close();
  }
  return lines;
}
