/**
 * Smoke test for the other runtimes (DESIGN §15: Bun ≥ 1.2, Deno ≥ 2), run by `.ci/run` against
 * the built package (dist/): every vendor read from the simulator (a real server on 127.0.0.1)
 * through `events()`, a resumed run, and the CLI exporting each vendor to a pipe under the same
 * runtime. Plain JavaScript with no test framework, so it runs as the runtime runs it:
 *
 *   bun test/smoke/smoke.mjs            deno run -A test/smoke/smoke.mjs            node test/smoke/smoke.mjs
 *
 * Prints one line per test and, last, `smoke (<runtime>): N passed, M failed`; exits 1 on a failure.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const dist = new URL("../../dist/", import.meta.url);
const { AuditEventSchema, createClient, VENDOR_IDS } = await import(new URL("index.js", dist).href);
const { createSimulator } = await import(new URL("testing.js", dist).href);
const CLI = fileURLToPath(new URL("cli/main.js", dist));

const runtime = typeof globalThis.Deno !== "undefined" ? `deno ${globalThis.Deno.version.deno}` : typeof globalThis.Bun !== "undefined" ? `bun ${globalThis.Bun.version}` : `node ${process.versions.node}`;
/** The command that runs a script under this runtime (Deno needs `run` and its permissions). */
const self = (script, ...args) => (typeof globalThis.Deno !== "undefined" ? [process.execPath, ["run", "-A", script, ...args]] : [process.execPath, [script, ...args]]);

const COUNT = 240;
const SINCE = new Date(Date.now() - 8 * 86_400_000).toISOString();
let passed = 0;
let failed = 0;

async function test(name, fn) {
  try {
    await fn();
    passed += 1;
    console.log(`ok - ${name}`);
  } catch (error) {
    failed += 1;
    console.log(`not ok - ${name}: ${error?.stack ?? error}`);
  }
}

function check(condition, message) {
  if (!condition) throw new Error(message);
}

/** Runs the CLI under this runtime; stdout is a pipe. */
function cli(args, env) {
  const [command, argv] = self(CLI, ...args);
  return new Promise((resolve, reject) => {
    const child = spawn(command, argv, { env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", NO_COLOR: "1", ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk) => (stderr += chunk));
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.once("error", reject);
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** The environment variables that point `export <vendor>` at the simulator. */
function envFor(vendor, c) {
  switch (vendor) {
    case "pylon":
      return { PYLON_BASE_URL: c.pylon.baseUrl, PYLON_API_TOKEN: c.pylon.apiToken };
    case "zendesk":
      return { ZENDESK_BASE_URL: c.zendesk.baseUrl, ZENDESK_SUBDOMAIN: c.zendesk.subdomain, ZENDESK_EMAIL: c.zendesk.auth.email, ZENDESK_API_TOKEN: c.zendesk.auth.apiToken };
    case "cortex":
      return { CORTEX_BASE_URL: c.cortex.baseUrl, CORTEX_API_TOKEN: c.cortex.apiToken };
    case "datafold":
      return { DATAFOLD_BASE_URL: c.datafold.baseUrl, DATAFOLD_API_KEY: c.datafold.apiKey };
    case "jitsudo":
      return { JITSUDO_BASE_URL: c.jitsudo.baseUrl, JITSUDO_API_KEY: c.jitsudo.apiKey, JITSUDO_TENANT_ID: c.jitsudo.tenantId };
  }
}

const sim = createSimulator({ eventsPerVendor: COUNT, seed: 7, rateLimit: false, latencyMs: 0 });
const server = await sim.listen();
try {
  for (const vendor of VENDOR_IDS) {
    await test(`${vendor}: events() reads every simulator event once, each a valid AuditEvent`, async () => {
      const client = createClient({ vendor, ...server.credentials[vendor], rateLimit: false });
      // Small pages, so pagination (and Datafold's windows over node:http GET bodies) is exercised.
      const params = vendor === "datafold" ? { since: SINCE, windowMs: 86_400_000 } : { since: SINCE, pageSize: 50 };
      const events = await client.events(params).toArray({ limit: 10_000 });
      check(events.length === COUNT, `read ${events.length} events, expected ${COUNT}`);
      check(new Set(events.map((e) => e.id)).size === COUNT, "duplicate ids");
      const invalid = events.find((e) => e.vendor !== vendor || !AuditEventSchema.safeParse(e).success);
      check(invalid === undefined, `invalid event ${JSON.stringify(invalid)?.slice(0, 200)}`);
    });
  }

  await test("zendesk: a run resumed from a mid-run checkpoint reads the rest, nothing twice", async () => {
    const client = createClient({ vendor: "zendesk", ...server.credentials.zendesk, rateLimit: false });
    const first = client.events({ since: SINCE, pageSize: 40 });
    const head = [];
    for await (const event of first) {
      head.push(event.id);
      if (head.length === 100) break;
    }
    const rest = await client.events({ resumeFrom: JSON.stringify(first.checkpoint()) }).toArray({ limit: 10_000 });
    const all = new Set([...head, ...rest.map((e) => e.id)]);
    check(head.length + rest.length === COUNT && all.size === COUNT, `head ${head.length} + rest ${rest.length}, ${all.size} distinct, expected ${COUNT}`);
  });

  for (const vendor of VENDOR_IDS) {
    await test(`cli: export ${vendor} writes NDJSON to a pipe`, async () => {
      const r = await cli(["export", vendor, "--since", SINCE, "--quiet"], envFor(vendor, server.credentials));
      check(r.code === 0, `exit ${r.code ?? r.signal}: ${r.stderr.trim().slice(0, 500)}`);
      check(r.stdout.endsWith("\n"), "output does not end with a newline");
      const lines = r.stdout.trimEnd().split("\n").map((line) => JSON.parse(line));
      check(lines.length === COUNT, `${lines.length} lines, expected ${COUNT}`);
      check(lines.every((e) => e.vendor === vendor && typeof e.id === "string"), "a line is not an event of this vendor");
    });
  }
} finally {
  await server.close();
}

console.log(`smoke (${runtime}): ${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
