// The `auditlogs` command line (DESIGN §7), run as users run it: the built dist/cli/main.js in a
// child process, against the simulator listening on 127.0.0.1 in this process. No network.
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createSimulator } from "../src/testing/index.js";
import { Random } from "../src/testing/data.js";
import { VENDOR_IDS, type VendorId } from "../src/core/vendor-id.js";
import { stringifyDeep } from "../src/internal/json.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const CLI = join(ROOT, "dist/cli/main.js");
const MINUTE = 60_000;

type Server = Awaited<ReturnType<ReturnType<typeof createSimulator>["listen"]>>;

interface Result {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** A clean environment: nothing from the developer's shell (no real credentials) leaks in. */
function baseEnv(extra: Record<string, string> = {}): Record<string, string> {
  return { PATH: process.env.PATH ?? "", ...extra };
}

function start(args: string[], env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, [CLI, ...args], { env, cwd: work, stdio: ["ignore", "pipe", "pipe"] });
}

/** Runs the CLI to its end (killed after `timeoutMs`). */
function finish(child: ChildProcess, timeoutMs = 20_000): Promise<Result> {
  let stdout = "";
  let stderr = "";
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`CLI did not finish in ${timeoutMs} ms; stderr: ${stderr}`));
    }, timeoutMs);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

function cli(args: string[], env: Record<string, string> = baseEnv(), timeoutMs?: number): Promise<Result> {
  return finish(start(args, env), timeoutMs);
}

/** The environment variables that point `export <vendor>` at the simulator. */
function simEnv(server: Server, vendor: VendorId): Record<string, string> {
  const c = server.credentials;
  switch (vendor) {
    case "pylon":
      return baseEnv({ PYLON_BASE_URL: c.pylon.baseUrl, PYLON_API_TOKEN: c.pylon.apiToken });
    case "zendesk":
      return baseEnv({ ZENDESK_BASE_URL: c.zendesk.baseUrl, ZENDESK_SUBDOMAIN: c.zendesk.subdomain, ZENDESK_EMAIL: c.zendesk.auth.email, ZENDESK_API_TOKEN: c.zendesk.auth.apiToken });
    case "cortex":
      return baseEnv({ CORTEX_BASE_URL: c.cortex.baseUrl, CORTEX_API_TOKEN: c.cortex.apiToken });
    case "datafold":
      return baseEnv({ DATAFOLD_BASE_URL: c.datafold.baseUrl, DATAFOLD_API_KEY: c.datafold.apiKey });
    case "jitsudo":
      return baseEnv({ JITSUDO_BASE_URL: c.jitsudo.baseUrl, JITSUDO_API_KEY: c.jitsudo.apiKey, JITSUDO_TENANT_ID: c.jitsudo.tenantId });
  }
}

function lines(file: string): Array<Record<string, any>> {
  const text = readFileSync(file, "utf8");
  expect(text === "" || text.endsWith("\n")).toBe(true);
  return text.split("\n").filter((line) => line !== "").map((line) => JSON.parse(line));
}

async function waitFor(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

let work: string;
let n = 0;
const file = (name: string) => join(work, `${++n}-${name}`);

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "auditlogs-cli-"));
  // Builds dist/ only if it is missing or stale.
  await new Promise<void>((resolve, reject) =>
    execFile(process.execPath, [join(ROOT, "scripts/ensure-built.mjs")], { cwd: ROOT, timeout: 170_000 }, (error, _out, stderr) =>
      error ? reject(new Error(`build failed: ${stderr}`)) : resolve(),
    ),
  );
}, 180_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("help and version", () => {
  test("--version prints package.json's version", async () => {
    const { version } = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
    const r = await cli(["--version"]);
    expect(r).toMatchObject({ code: 0, stdout: `${version}\n`, stderr: "" });
  });

  test.each([[["--help"]], [["demo", "--help"]], [["export", "--help"]], [["simulate", "--help"]], [["help", "export"]], [["export", "--bogus", "-h"]]])(
    "%j prints usage and exits 0",
    async (args) => {
      const r = await cli(args);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^(Usage|auditlogs)/);
      expect(r.stderr).toBe("");
    },
  );
});

describe("export", () => {
  const now = Date.now();
  const COUNT = 230;
  // Events end 2 minutes ago (Zendesk cannot read the last 60 s), over 3 days.
  const sim = createSimulator({ eventsPerVendor: COUNT, seed: 7, endAt: new Date(now - 2 * MINUTE), spanDays: 3, rateLimit: false });
  let server: Server;
  const since = new Date(now - 4 * 24 * 60 * MINUTE).toISOString();
  // Small pages, so a run has several: Datafold reads 12-hour windows instead.
  const paging = (vendor: VendorId) => (vendor === "datafold" ? [] : ["--page-size", "50"]);

  beforeAll(async () => {
    server = await sim.listen();
  });
  afterAll(() => server?.close());

  test.each(VENDOR_IDS)("%s: every event to --out, once, as NDJSON AuditEvents", async (vendor) => {
    const out = file(`${vendor}.ndjson`);
    const r = await cli(["export", vendor, "--since", since, "--out", out, ...paging(vendor)], simEnv(server, vendor));
    expect(r.stderr).not.toMatch(/error/i);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("");
    const events = lines(out);
    expect(events).toHaveLength(sim.events[vendor].length);
    expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
    expect(events.every((e) => e.vendor === vendor && typeof e.occurredAt === "string" && e.raw)).toBe(true);
  });

  test("without --out the data goes to stdout and nothing else does", async () => {
    const r = await cli(["export", "jitsudo", "--since", since, "--quiet"], simEnv(server, "jitsudo"));
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    const events = r.stdout.trimEnd().split("\n").map((l) => JSON.parse(l));
    expect(events).toHaveLength(COUNT);
  });

  test("--format ocsf writes OCSF API Activity (class_uid 6003)", async () => {
    const out = file("ocsf.ndjson");
    const r = await cli(["export", "cortex", "--since", since, "--format", "ocsf", "--out", out], simEnv(server, "cortex"));
    expect(r.code).toBe(0);
    const records = lines(out);
    expect(records).toHaveLength(COUNT);
    expect(records.every((x) => x.class_uid === 6003 && x.category_uid === 6 && typeof x.time === "number" && typeof x.metadata?.uid === "string")).toBe(true);
  });

  test("--max-events stops after exactly N, and with --checkpoint the next run continues after them", async () => {
    const out = file("max.ndjson");
    const checkpoint = file("max.checkpoint.json");
    const args = ["export", "zendesk", "--since", since, "--out", out, "--checkpoint", checkpoint, "--page-size", "40"];
    const first = await cli([...args, "--max-events", "55"], simEnv(server, "zendesk"));
    expect(first.code).toBe(0);
    expect(lines(out)).toHaveLength(55);
    const second = await cli(args, simEnv(server, "zendesk"));
    expect(second.code).toBe(0);
    const events = lines(out);
    expect(events).toHaveLength(COUNT);
    expect(new Set(events.map((e) => e.id)).size).toBe(COUNT);
  });

  test("a source's 401 exits 1 with one line that does not show the token", async () => {
    const out = file("401.ndjson");
    const env = { ...simEnv(server, "pylon"), PYLON_API_TOKEN: "wrong-token-s3cr3t" };
    const r = await cli(["export", "pylon", "--out", out], env);
    expect(r.code).toBe(1);
    expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/AuthenticationError|401/);
    expect(r.stderr + r.stdout).not.toContain("s3cr3t");
    expect(existsSync(out)).toBe(false);
  });
});

describe("export --checkpoint", () => {
  const now = Date.now();
  const sim = createSimulator({ vendors: ["pylon", "cortex"], eventsPerVendor: 120, seed: 3, endAt: new Date(now - 10 * MINUTE), spanDays: 2, rateLimit: false });
  let server: Server;
  beforeAll(async () => {
    server = await sim.listen();
  });
  afterAll(() => server?.close());

  test.each(["pylon", "cortex"] as const)("%s: a second run appends only the events added since the first", async (vendor) => {
    const out = file(`${vendor}-resume.ndjson`);
    const checkpoint = file(`${vendor}-resume.checkpoint.json`);
    const args = ["export", vendor, "--out", out, "--checkpoint", checkpoint, "--page-size", "25"];
    const first = await cli(args, simEnv(server, vendor));
    expect(first.code).toBe(0);
    expect(lines(out)).toHaveLength(120);
    expect(JSON.parse(readFileSync(checkpoint, "utf8"))).toMatchObject({ version: 1, vendor, complete: true });

    // Unchanged source: nothing new.
    const again = await cli(args, simEnv(server, vendor));
    expect(again.code).toBe(0);
    expect(lines(out)).toHaveLength(120);

    sim.addEvents(vendor, 17, { occurredAt: new Date(Date.now() - MINUTE) });
    const third = await cli(args, simEnv(server, vendor));
    expect(third.code).toBe(0);
    const events = lines(out);
    expect(events).toHaveLength(137);
    expect(new Set(events.map((e) => e.id)).size).toBe(137);
    expect(events.slice(120).map((e) => e.id).sort()).toEqual(
      events.filter((e) => Date.parse(e.occurredAt) >= Date.now() - 2 * MINUTE).map((e) => e.id).sort(),
    );
  });
});

describe("export --checkpoint --out after a crash", () => {
  const COUNT = 130;
  const sim = createSimulator({ vendors: ["pylon"], eventsPerVendor: COUNT, seed: 8, endAt: new Date(Date.now() - 10 * MINUTE), spanDays: 2, rateLimit: false });
  let server: Server;
  beforeAll(async () => {
    server = await sim.listen();
  });
  afterAll(() => server?.close());

  test("lines written after the last checkpoint (whole ones and a torn one) are cut before the rerun appends: each event once", async () => {
    const out = file("crashed.ndjson");
    const checkpoint = file("crashed.checkpoint.json");
    const args = ["export", "pylon", "--out", out, "--checkpoint", checkpoint, "--page-size", "20"];
    const first = await cli([...args, "--max-events", "45"], simEnv(server, "pylon"));
    expect(first.code).toBe(0);
    const committed = readFileSync(out, "utf8");
    // What a run killed between writing a page and saving its checkpoint leaves: the page's lines, the last one half written.
    const page = committed.split("\n").slice(0, 20).join("\n");
    writeFileSync(out, committed + page.slice(0, -40));
    const rerun = await cli(args, simEnv(server, "pylon"));
    expect(rerun.code).toBe(0);
    expect(rerun.stderr).toMatch(new RegExp(`removed the last ${(page.length - 40).toLocaleString("en-US")} bytes of `));
    const events = lines(out);
    expect(events.map((e) => e.id)).toEqual([...new Set(events.map((e) => e.id))]);
    expect(events).toHaveLength(COUNT);
    expect(readFileSync(out, "utf8").startsWith(committed)).toBe(true);
  });

  test("a file that is not the one the checkpoint recorded is never cut: the run appends after its end", async () => {
    const out = file("replaced.ndjson");
    const checkpoint = file("replaced.checkpoint.json");
    const args = ["export", "pylon", "--out", out, "--checkpoint", checkpoint, "--page-size", "20", "--max-events", "30"];
    expect((await cli(args, simEnv(server, "pylon"))).code).toBe(0);
    const mine = "x".repeat(readFileSync(out).length + 500) + "\n";
    rmSync(out);
    writeFileSync(out, mine);
    expect((await cli(args, simEnv(server, "pylon"))).code).toBe(0);
    const text = readFileSync(out, "utf8");
    expect(text.startsWith(mine)).toBe(true);
    expect(text.slice(mine.length).trimEnd().split("\n")).toHaveLength(30);
  });
});

describe("export --invalid", () => {
  const COUNT = 60;
  const sim = createSimulator({ vendors: ["jitsudo"], eventsPerVendor: COUNT, seed: 13, endAt: new Date(Date.now() - 10 * MINUTE), spanDays: 2, rateLimit: false });
  let server: Server;
  let deep: Record<string, unknown> = {};
  beforeAll(async () => {
    // Two poison records among the served ones: a time that is not one, and nesting 5,000 deep.
    for (let i = 0; i < 5_000; i++) deep = { next: deep };
    (sim.events.jitsudo[10] as { created_at: string }).created_at = "not a time";
    (sim.events.jitsudo[40] as unknown as Record<string, unknown>).details = deep;
    server = await sim.listen();
  });
  afterAll(() => server?.close());
  const args = (...more: string[]) => ["export", "jitsudo", "--page-size", "25", ...more];

  test("without it, a poison record stops the export: exit 1, one line naming the record and field", async () => {
    const out = file("poisoned.ndjson");
    const r = await cli(args("--out", out), simEnv(server, "jitsudo"));
    expect(r.code).toBe(1);
    expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/^auditlogs: ResponseValidationError: jitsudo: invalid response at records\[10\]\.created_at/);
  });

  test("with it, the poison records go to FILE as NDJSON with their reason, the rest to --out; a rerun with --checkpoint repeats neither", async () => {
    const out = file("clean.ndjson");
    const invalid = file("invalid.ndjson");
    const checkpoint = file("invalid.checkpoint.json");
    const run = args("--out", out, "--invalid", invalid, "--checkpoint", checkpoint);
    const r = await cli(run, simEnv(server, "jitsudo"));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/58 events .*; 2 invalid records → /);
    expect(lines(out)).toHaveLength(COUNT - 2);
    const kept = lines(invalid);
    expect(kept.map((line) => [line.vendor, line.error.name, line.error.path])).toEqual([
      ["jitsudo", "ResponseValidationError", "records[10].created_at"],
      ["jitsudo", "ResponseValidationError", "records[15].details"],
    ]);
    expect(kept[0]!.record).toEqual(sim.events.jitsudo[10]);
    // Kept whole, all 5,000 levels, as the server sent it.
    expect(stringifyDeep(kept[1]!.record)).toBe(stringifyDeep(sim.events.jitsudo[40]));
    expect(kept.every((line) => typeof line.error.requestId === "string")).toBe(true);
    const again = await cli(run, simEnv(server, "jitsudo"));
    expect(again.code).toBe(0);
    expect(lines(out)).toHaveLength(COUNT - 2);
    expect(lines(invalid)).toHaveLength(2);
  });

  test("--max-events keeps no poison record past the cut: in steps of 5, 10, 24 and the rest, each is kept once", async () => {
    // Pages of 25: the poison records are record 10 of page 1 and record 15 of page 2.
    const out = file("steps.ndjson");
    const invalid = file("steps.invalid.ndjson");
    const checkpoint = file("steps.checkpoint.json");
    const step = async (...more: string[]) => {
      const r = await cli(args("--out", out, "--invalid", invalid, "--checkpoint", checkpoint, ...more), simEnv(server, "jitsudo"));
      expect(r.code, r.stderr).toBe(0);
      return [lines(out).length, lines(invalid).map((line) => line.record.id)];
    };
    const ids = [String(sim.events.jitsudo[10]!.id), String(sim.events.jitsudo[40]!.id)];
    // Records 0–4: record 10 is past the cut, and comes again on the next run.
    expect(await step("--max-events", "5")).toEqual([5, []]);
    // Records 5–15: record 10 is before the cut now.
    expect(await step("--max-events", "10")).toEqual([15, [ids[0]]]);
    // Records 16–39, the cut one record before page 2's poison record.
    expect(await step("--max-events", "24")).toEqual([39, [ids[0]]]);
    expect(await step()).toEqual([COUNT - 2, ids]);
    expect(new Set(lines(out).map((event) => event.id)).size).toBe(COUNT - 2);
  });

  test("poison lines written after the last checkpoint (a killed run's, the last one torn) are cut before the rerun appends: each once", async () => {
    const out = file("crashed-clean.ndjson");
    const invalid = file("crashed-invalid.ndjson");
    const checkpoint = file("crashed-invalid.checkpoint.json");
    const run = args("--out", out, "--invalid", invalid, "--checkpoint", checkpoint);
    expect((await cli([...run, "--max-events", "15"], simEnv(server, "jitsudo"))).code).toBe(0);
    const committed = readFileSync(invalid, "utf8");
    expect(committed.trimEnd().split("\n")).toHaveLength(1);
    // What a run killed between writing a page and saving its checkpoint leaves: its poison line again, torn.
    writeFileSync(invalid, committed + committed.slice(0, -25));
    const rerun = await cli(run, simEnv(server, "jitsudo"));
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(rerun.stderr).toMatch(new RegExp(`removed the last ${(committed.length - 25).toLocaleString("en-US")} bytes of \\S*crashed-invalid\\.ndjson`));
    expect(readFileSync(invalid, "utf8").startsWith(committed)).toBe(true);
    expect(lines(invalid).map((line) => line.error.path)).toEqual(["records[10].created_at", "records[15].details"]);
    expect(lines(out)).toHaveLength(COUNT - 2);
  });

  test("--max-events without --checkpoint writes no poison record past the cut", async () => {
    const run = async (max: string) => {
      const invalid = file(`max-${max}.invalid.ndjson`);
      const r = await cli(args("--out", file(`max-${max}.ndjson`), "--invalid", invalid, "--max-events", max), simEnv(server, "jitsudo"));
      expect(r.code, r.stderr).toBe(0);
      return lines(invalid).map((line) => line.error.path);
    };
    expect(await run("10")).toEqual([]);
    expect(await run("11")).toEqual(["records[10].created_at"]);
  });

  test("--invalid must be its own file", async () => {
    const same = file("same.ndjson");
    const u = await cli(args("--out", same, "--invalid", same), simEnv(server, "jitsudo"));
    expect(u.code).toBe(2);
    expect(u.stderr).toMatch(/--out and --invalid must be different files/);
    const c = await cli(args("--checkpoint", same, "--invalid", same), simEnv(server, "jitsudo"));
    expect(c.code).toBe(2);
    expect(c.stderr).toMatch(/--checkpoint and --invalid must be different files/);
    expect(existsSync(same)).toBe(false);
  });
});

describe("Ctrl-C", () => {
  const now = Date.now();
  const COUNT = 400;
  // Slow pages, so the export is still running when it is interrupted.
  const sim = createSimulator({ vendors: ["jitsudo"], eventsPerVendor: COUNT, seed: 5, endAt: new Date(now - 10 * MINUTE), spanDays: 2, latencyMs: 60, rateLimit: false });
  let server: Server;
  beforeAll(async () => {
    server = await sim.listen();
  });
  afterAll(() => server?.close());

  test("SIGINT saves the checkpoint and exits 130; the rerun completes with nothing repeated or missing", async () => {
    const out = file("interrupted.ndjson");
    const checkpoint = file("interrupted.checkpoint.json");
    const args = ["export", "jitsudo", "--out", out, "--checkpoint", checkpoint, "--page-size", "10"];
    const child = start(args, simEnv(server, "jitsudo"));
    const done = finish(child, 30_000);
    await waitFor(() => existsSync(out) && readFileSync(out, "utf8").split("\n").length > 50, 15_000, "some events");
    child.kill("SIGINT");
    const r = await done;
    expect(r.code).toBe(130);
    expect(r.stderr).toMatch(/interrupted.*checkpoint saved/);
    const partial = lines(out);
    expect(partial.length).toBeGreaterThan(40);
    expect(partial.length).toBeLessThan(COUNT);
    const saved = JSON.parse(readFileSync(checkpoint, "utf8"));
    expect(saved).toMatchObject({ vendor: "jitsudo", complete: false });

    const rerun = await cli(args, simEnv(server, "jitsudo"), 30_000);
    expect(rerun.code).toBe(0);
    const events = lines(out);
    expect(events).toHaveLength(COUNT);
    expect(new Set(events.map((e) => e.id))).toEqual(new Set(sim.events.jitsudo.map((record) => String(record.id))));
  }, 60_000);
});

describe("paths are checked before any request: exit 1, one line naming the path, nothing written", () => {
  const sim = createSimulator({ vendors: ["jitsudo"], eventsPerVendor: 20, seed: 2, rateLimit: false });
  let server: Server;
  beforeAll(async () => {
    server = await sim.listen();
  });
  afterAll(() => server?.close());

  const cases: Array<[string, () => string[], RegExp]> = [
    ["--out in a directory that does not exist", () => ["--out", join(work, "missing", "x.ndjson")], /--out \S*missing.x\.ndjson: cannot write it: directory \S*missing does not exist/],
    ["--out a directory", () => ["--out", work], /--out \S+: cannot write it: it is a directory/],
    ["--out below a file", () => ["--out", join(file("plain.txt"), "x.ndjson")], /--out \S*plain\.txt.x\.ndjson: cannot write it: a part of its path is a file/],
    ["--checkpoint in a directory that does not exist", () => ["--out", file("never.ndjson"), "--checkpoint", join(work, "missing", "cp.json")], /--checkpoint \S*missing.cp\.json: cannot write it: directory/],
    ["--checkpoint a directory", () => ["--checkpoint", work], /--checkpoint \S+: cannot write it: it is a directory/],
    ["--invalid in a directory that does not exist", () => ["--out", file("never.ndjson"), "--invalid", join(work, "missing", "bad.ndjson")], /--invalid \S*missing.bad\.ndjson: cannot write it: directory \S*missing does not exist/],
    ["--invalid a directory", () => ["--out", file("never.ndjson"), "--invalid", work], /--invalid \S+: cannot write it: it is a directory/],
  ];

  test.each(cases)("%s", async (_name, flags, message) => {
    writeFileSync(join(work, `${n + 1}-plain.txt`), "a file\n");
    const args = ["export", "jitsudo", ...flags()];
    const before = sim.stats.requests.jitsudo;
    const r = await cli(args, simEnv(server, "jitsudo"));
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    const errorLines = r.stderr.trimEnd().split("\n");
    expect(errorLines).toHaveLength(1);
    expect(errorLines[0]).toMatch(/^auditlogs: /);
    expect(errorLines[0]).toMatch(message);
    expect(sim.stats.requests.jitsudo).toBe(before);
    for (const [i, arg] of args.entries()) if (arg === "--out" && args[i + 1]!.endsWith("never.ndjson")) expect(existsSync(args[i + 1]!)).toBe(false);
  });

  test("demo --out in a directory that does not exist exits 1 at once instead of hanging", async () => {
    const r = await cli(["demo", "--events", "10", "--out", join(work, "missing", "demo.ndjson")], baseEnv(), 20_000);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/^auditlogs: --out \S*missing.demo\.ndjson: cannot write it: directory \S*missing does not exist\n$/);
  });
});

describe("export --checkpoint --out under kill -9", () => {
  // Thousands of events over many short runs, each killed with SIGKILL at a seeded moment: when a
  // request arrives, or up to 30 ms after a page was answered (while the CLI writes it and
  // saves its checkpoint). Whatever the moment, the final file must hold every event exactly once,
  // every line whole, and no temp file may be left beside the checkpoint.
  const COUNT = 3_000;
  const PAGE = 100;
  const KILLS = 25;
  const sim = createSimulator({ vendors: ["jitsudo"], eventsPerVendor: COUNT, seed: 11, endAt: new Date(Date.now() - 10 * MINUTE), spanDays: 2, rateLimit: false });
  let origin: string;
  let onRequest: (() => void) | undefined;
  let onAnswered: (() => void) | undefined;
  // The simulator behind a plain node:http server, so the test knows when each request arrives
  // and when its answer has been sent.
  const http = createServer((req, res) => {
    onRequest?.();
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers)) if (typeof value === "string") headers.set(name, value);
    void sim.handle(new Request(`${origin}${req.url ?? "/"}`, { headers })).then(async (response) => {
      const body = Buffer.from(await response.arrayBuffer());
      res.writeHead(response.status, Object.fromEntries(response.headers));
      res.end(body, () => onAnswered?.());
    });
  });
  beforeAll(async () => {
    await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
    origin = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    http.closeAllConnections();
    await new Promise<void>((resolve) => http.close(() => resolve()));
  });

  test("every event is in the file exactly once, no line is partial, no temp file is left", async () => {
    const dir = mkdtempSync(join(work, "kill-"));
    const out = join(dir, "jitsudo.ndjson");
    const checkpoint = join(dir, "jitsudo.checkpoint.json");
    const args = ["export", "jitsudo", "--out", out, "--checkpoint", checkpoint, "--page-size", String(PAGE)];
    const { credentials } = sim;
    const env = baseEnv({ JITSUDO_BASE_URL: origin, JITSUDO_API_KEY: credentials.jitsudo.apiKey, JITSUDO_TENANT_ID: credentials.jitsudo.tenantId });
    const rng = new Random(20261201);
    const figures = { kills: 0, killedOnArrival: 0, killedAfterAnswer: 0, tailsCut: 0, runs: 0 };

    for (let run = 0; run < KILLS; run++) {
      // The kill comes with request number `at` of this run (1 to 4), on its arrival or 0-30 ms after its answer.
      const at = rng.int(1, 4);
      const afterAnswerMs = rng.chance(0.2) ? undefined : rng.int(0, 30);
      const child = start(args, env);
      const done = finish(child, 30_000);
      let seen = 0;
      const kill = () => child.kill("SIGKILL");
      onRequest = () => {
        seen += 1;
        if (seen === at && afterAnswerMs === undefined) kill();
      };
      onAnswered = () => {
        if (seen === at && afterAnswerMs !== undefined) setTimeout(kill, afterAnswerMs);
      };
      const r = await done;
      figures.runs += 1;
      if (r.signal === "SIGKILL") {
        figures.kills += 1;
        if (afterAnswerMs === undefined) figures.killedOnArrival += 1;
        else figures.killedAfterAnswer += 1;
      } else {
        // A run that finished before its kill moment came (the last pages): it must have succeeded.
        expect(r.code).toBe(0);
      }
      if (/removed the last .* of /.test(r.stderr)) figures.tailsCut += 1;
      expect(r.stderr).not.toMatch(/error/i);
    }
    onRequest = onAnswered = undefined;
    const last = await cli(args, env, 60_000);
    figures.runs += 1;
    if (/removed the last .* of /.test(last.stderr)) figures.tailsCut += 1;
    expect(last.code).toBe(0);

    const text = readFileSync(out, "utf8");
    expect(text.endsWith("\n")).toBe(true);
    const written = text.split("\n").slice(0, -1).map((line) => JSON.parse(line) as { id: string });
    const ids = written.map((e) => e.id);
    const expected = new Set(sim.events.jitsudo.map((record) => String(record.id)));
    const distinctIds = new Set(ids);
    const duplicates = ids.length - distinctIds.size;
    const lost = [...expected].filter((id) => !distinctIds.has(id)).length;
    console.log(`kill -9 loop: ${COUNT} events, ${figures.runs} runs, ${figures.kills} kills (${figures.killedOnArrival} on a request's arrival, ${figures.killedAfterAnswer} after an answer), ${figures.tailsCut} torn tails cut, ${duplicates} duplicates, ${lost} lost`);
    expect(figures.kills).toBeGreaterThanOrEqual(KILLS / 2);
    expect(duplicates).toBe(0);
    expect(lost).toBe(0);
    expect(distinctIds).toEqual(expected);
    expect(readdirSync(dir).sort()).toEqual(["jitsudo.checkpoint.json", "jitsudo.ndjson"]);
    expect(JSON.parse(readFileSync(checkpoint, "utf8"))).toMatchObject({ vendor: "jitsudo", complete: true, out: { bytes: Buffer.byteLength(text) } });
  }, 150_000);
});

describe("bad usage exits 2 with one line and writes nothing", () => {
  const env = baseEnv({ PYLON_API_TOKEN: "tok-s3cr3t", JITSUDO_BASE_URL: "http://127.0.0.1:9", JITSUDO_API_KEY: "key-s3cr3t", JITSUDO_TENANT_ID: "not-a-uuid" });
  const cases: Array<[string, string[], Record<string, string>, RegExp]> = [
    ["an unknown command", ["exprot"], env, /unknown command "exprot": did you mean export\? \(use demo, export, simulate, collect or status; see auditlogs --help\)/],
    ["a command near none", ["okta"], env, /unknown command "okta": use demo, export, simulate, collect or status \(see auditlogs --help\)/],
    ["a misspelt flag", ["export", "pylon", "--sinse", "7d"], env, /unknown option --sinse: did you mean --since\? \(see auditlogs export --help\)/],
    ["a misspelt vendor", ["export", "zendsk"], env, /unknown vendor "zendsk": did you mean zendesk\?/],
    ["a host as a flag", ["export", "pylon", "--base-url", "http://127.0.0.1:9"], env, /unknown option --base-url: a vendor's host is the environment variable <VENDOR>_BASE_URL, such as PYLON_BASE_URL, not a flag/],
    ["a credential as a flag", ["export", "pylon", "--api-token", "tok"], env, /unknown option --api-token: credentials are environment variables, not flags, such as PYLON_API_TOKEN/],
    ["a missing vendor", ["export"], env, /missing <vendor>/],
    ["an unknown vendor", ["export", "okta"], env, /unknown vendor "okta"/],
    ["an unknown flag", ["export", "pylon", "--bogus"], env, /unknown option --bogus/],
    ["a flag without its value", ["export", "pylon", "--since"], env, /--since needs a value/],
    ["a flag followed by another flag", ["export", "pylon", "--since", "--quiet"], env, /--since needs a value/],
    ["a bad date", ["export", "pylon", "--since", "yesterday"], env, /--since must be a date-time/],
    ["an impossible date", ["export", "pylon", "--until", "2026-02-30"], env, /--until must be a date-time/],
    ["since after until", ["export", "pylon", "--since", "2026-02-01", "--until", "2026-01-01"], env, /--since .* must be earlier than --until/],
    ["a bad format", ["export", "pylon", "--format", "csv"], env, /--format must be ndjson or ocsf/],
    ["a page size over the vendor's maximum", ["export", "pylon", "--page-size", "5000"], env, /--page-size must be a whole number from 1 to 999/],
    ["a page size for Datafold", ["export", "datafold", "--page-size", "10"], baseEnv({ DATAFOLD_API_KEY: "k" }), /--page-size: datafold has no pages/],
    ["a bad --max-events", ["export", "pylon", "--max-events", "-3"], env, /--max-events/],
    ["a missing credential", ["export", "cortex"], env, /missing environment variable CORTEX_API_TOKEN/],
    ["a credential under another name", ["export", "cortex"], { ...env, CORTEX_TOKEN: "tok-s3cr3t" }, /missing environment variable CORTEX_API_TOKEN \(set but not read: CORTEX_TOKEN; the variables are CORTEX_API_TOKEN, CORTEX_BASE_URL\)/],
    ["half of Zendesk's credentials", ["export", "zendesk"], baseEnv({ ZENDESK_SUBDOMAIN: "acme", ZENDESK_EMAIL: "a@b.co" }), /missing environment variable ZENDESK_API_TOKEN/],
    ["a bad credential", ["export", "jitsudo"], env, /JITSUDO_TENANT_ID: must be a uuid/],
    ["a plain-http base URL off loopback", ["export", "pylon"], { ...env, PYLON_BASE_URL: "http://audit.example.com" }, /PYLON_BASE_URL: must use https/],
    ["a base URL with a path", ["export", "pylon"], { ...env, PYLON_BASE_URL: "https://api.usepylon.com/audit-logs" }, /PYLON_BASE_URL: must be an origin only/],
    ["an extra argument", ["export", "pylon", "extra"], env, /unexpected argument "extra"/],
    ["a bad demo flag", ["demo", "--events", "many"], env, /--events must be a whole number/],
    ["a bad simulate vendor list", ["simulate", "--vendors", "pylon,okta"], env, /--vendors: unknown vendor "okta"/],
  ];

  test.each(cases)("%s", async (_name, args, caseEnv, message) => {
    const out = file("usage.ndjson");
    const withOut = args[0] === "export" || args[0] === "demo" ? [args[0], "--out", out, ...args.slice(1)] : args;
    const r = await cli(withOut, caseEnv);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    const errorLines = r.stderr.trimEnd().split("\n");
    expect(errorLines).toHaveLength(1);
    expect(errorLines[0]).toMatch(/^auditlogs: /);
    expect(errorLines[0]).toMatch(message);
    expect(r.stderr).not.toContain("s3cr3t");
    expect(existsSync(out)).toBe(false);
  });

  test("a checkpoint of another vendor is refused, and the files are left as they were", async () => {
    const checkpoint = file("other-vendor.checkpoint.json");
    const out = file("kept.ndjson");
    const stored = JSON.stringify({ version: 1, vendor: "cortex", scope: "x", since: null, until: "2026-01-01T00:00:00.000Z", watermark: "2026-01-01T00:00:00.000Z", position: null, complete: true, seen: {} });
    writeFileSync(checkpoint, stored);
    writeFileSync(out, "kept\n");
    const r = await cli(["export", "pylon", "--checkpoint", checkpoint, "--out", out], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^auditlogs: --checkpoint .*belongs to vendor "cortex"/);
    expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(readFileSync(checkpoint, "utf8")).toBe(stored);
    expect(readFileSync(out, "utf8")).toBe("kept\n");
  });

  test("a checkpoint file that is not JSON is refused", async () => {
    const checkpoint = file("garbage.checkpoint.json");
    writeFileSync(checkpoint, "{not json");
    const r = await cli(["export", "pylon", "--checkpoint", checkpoint], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--checkpoint .*not valid JSON/);
  });
});

describe("demo", () => {
  test("exports all five vendors from the simulator, prints the summary and writes the NDJSON", async () => {
    const out = file("demo.ndjson");
    const r = await cli(["demo", "--events", "150", "--out", out], baseEnv(), 60_000);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    for (const vendor of VENDOR_IDS) expect(r.stdout).toMatch(new RegExp(`^${vendor}\\s+150\\s+\\d+\\s+\\d+\\s+\\d+\\s+[\\d.]+ s$`, "m"));
    expect(r.stdout).toMatch(/^total\s+750\s/m);
    const events = lines(out);
    expect(events).toHaveLength(750);
    for (const vendor of VENDOR_IDS) expect(events.filter((e) => e.vendor === vendor)).toHaveLength(150);
  }, 70_000);
});

describe("simulate", () => {
  test("serves the vendors it was asked for and prints the variables that export needs", async () => {
    const child = start(["simulate", "--port", "0", "--vendors", "pylon,datafold", "--events", "40"], baseEnv());
    const done = finish(child, 30_000);
    let stdout = "";
    child.stdout!.on("data", (chunk: string) => (stdout += chunk));
    await waitFor(() => /DATAFOLD_API_KEY=/.test(stdout), 10_000, "the simulator's variables");
    expect(stdout).not.toMatch(/ZENDESK|CORTEX|JITSUDO/);
    const env: Record<string, string> = baseEnv();
    for (const [, name, value] of stdout.matchAll(/(\w+)=('[^']*'|\S+)/g)) env[name!] = value!.replace(/^'|'$/g, "");
    const out = file("simulated.ndjson");
    const r = await cli(["export", "pylon", "--out", out], env);
    expect(r.code).toBe(0);
    expect(lines(out)).toHaveLength(40);
    child.kill("SIGINT");
    expect((await done).code).toBe(0);
  }, 40_000);
});
