// `auditlogs collect` and `auditlogs status` (DESIGN §7, §11), run as users run them: the built
// CLI in a child process, against a throwaway PostgreSQL and the simulator on 127.0.0.1.
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createSimulator } from "../src/testing/index.js";
import { usePostgres } from "./postgres.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const CLI = join(ROOT, "dist/cli/main.js");
const database = usePostgres("cli_collect");
const work = mkdtempSync(join(tmpdir(), "auditlogs-cli-collect-"));
const sim = createSimulator({ vendors: ["jitsudo", "cortex"], eventsPerVendor: 80, rateLimit: false, seed: 9 });
let server: Awaited<ReturnType<typeof sim.listen>>;

beforeAll(async () => {
  await new Promise<void>((resolve, reject) => execFile(process.execPath, [join(ROOT, "scripts/ensure-built.mjs")], (e) => (e ? reject(e) : resolve())));
  server = await sim.listen();
}, 180_000);
afterAll(async () => {
  await server?.close();
  rmSync(work, { recursive: true, force: true });
});

function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { cwd: work, env: { PATH: process.env.PATH ?? "", ...env }, timeout: 90_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

function config(name: string, sources: unknown[], extra: Record<string, unknown> = {}): string {
  const file = join(work, name);
  writeFileSync(file, JSON.stringify({ sources, ...extra }));
  return file;
}

const secrets = () => ({ JITSUDO_KEY: server.credentials.jitsudo.apiKey, CORTEX_TOKEN: server.credentials.cortex.apiToken });
const sources = () => [
  { id: "acme-jitsudo", vendor: "jitsudo", every: "1h", params: { pageSize: 20 }, options: { baseUrl: server.url, tenantId: server.credentials.jitsudo.tenantId, apiKey: { env: "JITSUDO_KEY" }, rateLimit: false } },
  { id: "acme-cortex", vendor: "cortex", every: "1h", params: { pageSize: 40 }, options: { baseUrl: server.url, apiToken: { env: "CORTEX_TOKEN" }, rateLimit: false } },
];

describe("auditlogs collect --once, then auditlogs status", () => {
  test("collects every source once, prints a per-source summary, and status shows them", async () => {
    const file = config("sources.json", sources(), { schema: "cli" });
    const run = await cli(["collect", "--config", file, "--database", database.connectionString, "--once"], secrets());
    expect(run.stderr).toContain("Connecting to the database");
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/source\s+vendor\s+status\s+events\s+pages/);
    expect(run.stdout).toMatch(/acme-jitsudo\s+jitsudo\s+succeeded\s+80\s+4/);
    expect(run.stdout).toMatch(/acme-cortex\s+cortex\s+succeeded\s+80\s+2/);
    expect(run.stdout).toContain("160 events from 2 sources");
    for (const secret of Object.values(secrets())) expect(run.stdout + run.stderr).not.toContain(secret);

    const client = new pg.Client({ connectionString: database.connectionString });
    await client.connect();
    const { rows } = await client.query("SELECT source_id, count(*)::int AS n FROM cli.events GROUP BY source_id ORDER BY source_id");
    await client.end();
    expect(rows).toEqual([{ source_id: "acme-cortex", n: 80 }, { source_id: "acme-jitsudo", n: 80 }]);

    // status reads the default schema; this collector used "cli": --json shows what the default holds (nothing)
    const empty = await cli(["status", "--database", database.connectionString, "--json"]);
    expect(empty.code, empty.stderr).toBe(0);
    expect(JSON.parse(empty.stdout)).toEqual([]);

    const again = await cli(["collect", "--config", config("default.json", sources()), "--database", database.connectionString, "--once"], secrets());
    expect(again.code, again.stderr).toBe(0);
    const status = await cli(["status", "--database", database.connectionString]);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/source\s+vendor\s+last run\s+last success\s+lag\s+events\s+last error/);
    expect(status.stdout).toMatch(/acme-jitsudo\s+jitsudo\s+.* ago\s+.* ago\s+[\d.]+ (s|m)\S*.*\s+80/);
    const json = JSON.parse((await cli(["status", "--database", database.connectionString, "--json"])).stdout);
    expect(json.map((s: { sourceId: string; events: number }) => [s.sourceId, s.events])).toEqual([["acme-cortex", 80], ["acme-jitsudo", 80]]);
  }, 180_000);
});

describe("bad configuration exits 2 before touching the database", () => {
  // An unreachable database: a check that got that far would fail with exit 1 instead.
  const nowhere = "postgres://u:pw@127.0.0.1:1/x";
  test("a secret written in the file is refused, and not echoed", async () => {
    const [jitsudo] = sources();
    const file = config("literal.json", [{ ...jitsudo, options: { ...jitsudo!.options, apiKey: "sk-literal-secret" } }]);
    const run = await cli(["collect", "--config", file, "--database", nowhere, "--once"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("sources[0].options.apiKey");
    expect(run.stderr).toContain('{ "env": "VARIABLE" }');
    expect(run.stderr).not.toContain("sk-literal-secret");
  });

  test("an unset variable is named", async () => {
    const run = await cli(["collect", "--config", config("unset.json", sources()), "--database", nowhere, "--once"], { JITSUDO_KEY: "x" });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("sources[1].options.apiToken: environment variable CORTEX_TOKEN is not set");
  });

  test("a misspelt key of the file is asked about, and the database as a key points at --database", async () => {
    const typo = await cli(["collect", "--config", config("typo.json", sources(), { shema: "x" }), "--database", nowhere, "--once"], secrets());
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain('unknown key "shema": did you mean schema? (expected schema, staleAfterMs, sources)');
    const database = await cli(["collect", "--config", config("db-key.json", sources(), { connectionString: nowhere }), "--once"], secrets());
    expect(database.code).toBe(2);
    expect(database.stderr).toContain('unknown key "connectionString": the database is the --database flag (expected schema, staleAfterMs, sources)');
    const source = await cli(["collect", "--config", config("source-typo.json", [{ ...sources()[0], evry: "5m" }]), "--database", nowhere, "--once"], secrets());
    expect(source.code).toBe(2);
    expect(source.stderr).toContain("sources[0].evry: is not a source option: did you mean every?");
  });

  test("a source's client options are checked at the start, under their path, not at each run", async () => {
    const [jitsudo] = sources();
    const typo = await cli(["collect", "--config", config("options-typo.json", [{ ...jitsudo, options: { ...jitsudo!.options, timeoutMS: 5000 } }]), "--database", nowhere, "--once"], secrets());
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain("sources[0].options.timeoutMS: is not an option of jitsudo: did you mean timeoutMs?");
    const badUrl = await cli(["collect", "--config", config("options-url.json", [{ ...jitsudo, options: { ...jitsudo!.options, baseUrl: "http://audit.example.com" } }]), "--database", nowhere, "--once"], secrets());
    expect(badUrl.code).toBe(2);
    expect(badUrl.stderr).toContain("sources[0].options.baseUrl: must use https");
    // The shape first: a misspelt key is named even while a variable is unset.
    const both = await cli(["collect", "--config", config("shape-first.json", [{ ...jitsudo, evry: "5m" }]), "--database", nowhere, "--once"], {});
    expect(both.code).toBe(2);
    expect(both.stderr).toContain("sources[0].evry: is not a source option");
  });

  test("a bad schedule names its path", async () => {
    const [a, b] = sources();
    const run = await cli(["collect", "--config", config("every.json", [a, { ...b, every: "hourly" }]), "--database", nowhere], secrets());
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("sources[1].every");
  });

  test("an unreachable database names host and port, never the password", async () => {
    const run = await cli(["status", "--database", "postgres://collector:pw-do-not-print@127.0.0.1:1/x"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("127.0.0.1:1");
    expect(run.stderr).not.toContain("pw-do-not-print");
  });

  test("status without a database says so", async () => {
    const run = await cli(["status", "--data-dir", join(work, "none")]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("no collector database");
  });
});

describe("examples/fleet.mjs", () => {
  test("runs against PostgreSQL: every source once, a status table, then collects until Ctrl-C", async () => {
    const { spawn } = await import("node:child_process");
    // A database of its own: the tests above already collected sources of the same ids.
    const url = await database.cluster.createDatabase("example");
    const child = spawn(process.execPath, [join(ROOT, "examples/fleet.mjs")], {
      cwd: work,
      env: { PATH: process.env.PATH ?? "", DATABASE_URL: url },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c));
    child.stderr.on("data", (c: Buffer) => (stderr += c));
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    const deadline = Date.now() + 90_000;
    while (!stderr.includes("Collecting on schedule") && child.exitCode === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    child.kill("SIGINT");
    expect(await exited, stderr).toBe(130);
    for (const id of ["acme-zendesk", "acme-cortex", "acme-jitsudo"]) expect(stdout).toMatch(new RegExp(`${id}: succeeded, 500 events`));
    expect(stdout).toContain("lagMs");
  }, 120_000);
});
