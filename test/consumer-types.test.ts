// The packed tarball, type-checked the way users' projects check it: installed into a fresh
// consumer outside this repository, `skipLibCheck: false`, strict, under node16 (ESM and CJS)
// and bundler resolution. Without msw, `auditlogs/testing` must still check (msw is an optional
// peer); with msw, `sim.handlers` must be msw's own type, so `setupServer(...sim.handlers)` is
// checked rather than `any`.
import { execFile, execFileSync } from "node:child_process";
import { promisify } from "node:util";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";

const ROOT = resolve(import.meta.dirname, "..");
const TSC = join(ROOT, "node_modules/typescript/bin/tsc");
let work: string;

beforeAll(() => {
  execFileSync(process.execPath, ["scripts/ensure-built.mjs"], { cwd: ROOT, timeout: 120_000 });
  work = mkdtempSync(join(tmpdir(), "auditlogs-consumer-"));
  execFileSync("npm", ["pack", "--silent", "--pack-destination", work], { cwd: ROOT, timeout: 60_000, stdio: "ignore" });
}, 180_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

/**
 * A consumer project: the tarball unpacked as node_modules/auditlogs (a copy, outside this repo,
 * so nothing resolves from the repo's node_modules by accident) and the given dependencies
 * linked from the repo's node_modules, as npm would install them.
 */
function consumer(name: string, dependencies: string[], files: Record<string, string>): string {
  const dir = join(work, name);
  const pkg = join(dir, "node_modules/auditlogs");
  mkdirSync(pkg, { recursive: true });
  const tarball = readdirSync(work).find((f) => f.endsWith(".tgz"))!;
  execFileSync("tar", ["-xzf", join(work, tarball), "-C", pkg, "--strip-components=1"]);
  for (const dep of ["openapi-fetch", "zod", "@types/node", ...dependencies]) {
    const target = join(dir, "node_modules", dep);
    mkdirSync(join(target, ".."), { recursive: true });
    symlinkSync(join(ROOT, "node_modules", dep), target, "dir");
  }
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name, private: true, type: "module" }));
  for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
  return dir;
}

const strict = { strict: true, skipLibCheck: false, noEmit: true, types: ["node"], lib: ["ES2023", "DOM"], target: "ES2022" };
const tsconfigs = {
  "tsconfig.node16.json": { compilerOptions: { ...strict, module: "node16", moduleResolution: "node16" }, files: ["esm.ts", "cjs.cts"] },
  "tsconfig.bundler.json": { compilerOptions: { ...strict, module: "esnext", moduleResolution: "bundler" }, files: ["esm.ts"] },
};

/** Runs tsc on the project; resolves to its output (empty when it passes). */
async function typecheck(dir: string, project: string): Promise<string> {
  try {
    await promisify(execFile)(process.execPath, [TSC, "-p", project], { cwd: dir, encoding: "utf8", timeout: 400_000 });
    return "";
  } catch (error) {
    return String((error as { stdout?: string }).stdout || error);
  }
}

// The same source as an ES module (esm.ts) and as CommonJS (cjs.cts: node16 resolves the
// package's "require" condition, the .d.cts files, for it).
const uses = `
import { createClient, createPylonClient, ConfigError, type AuditEvent } from "auditlogs";
import { createSimulator, type Simulator } from "auditlogs/testing";
import { createZendeskClient, type paths } from "auditlogs/zendesk";
const sim: Simulator = createSimulator({ eventsPerVendor: 5 });
const pylon = createPylonClient(sim.credentials.pylon);
const zendesk = createZendeskClient(sim.credentials.zendesk);
export const handlers = sim.handlers;
export async function read(): Promise<AuditEvent[]> {
  const events = await pylon.events({ since: new Date(0) }).toArray({ limit: 10 });
  // the openapi-fetch idiom narrows: data is defined after it
  const { data, error } = await zendesk.raw.GET("/api/v2/audit_logs", { params: { query: { "page[size]": 10 } } });
  if (error) throw error;
  void data.audit_logs.length;
  return [...events, ...(await createClient({ vendor: "cortex", ...sim.credentials.cortex }).events().toArray({ limit: 1 }))];
}
export const isConfig = (e: unknown) => ConfigError.isInstance(e) && e.option;
export type ZendeskPaths = keyof paths;
`;

// Concurrent: each tsc run is mostly waiting on one core. The timeouts are generous because a
// loaded machine (the whole suite at once) makes each run several times slower; no result depends
// on time.
test.concurrent("without msw: the root, a vendor subpath and auditlogs/testing type-check (node16 ESM and CJS, bundler)", async () => {
  const dir = consumer("no-msw", [], {
    ...Object.fromEntries(Object.entries(tsconfigs).map(([f, c]) => [f, JSON.stringify(c)])),
    "esm.ts": uses,
    "cjs.cts": uses,
  });
  const [node16, bundler] = await Promise.all([typecheck(dir, "tsconfig.node16.json"), typecheck(dir, "tsconfig.bundler.json")]);
  expect(node16).toBe("");
  expect(bundler).toBe("");
}, 420_000);

test.concurrent("with msw: sim.handlers is msw's RequestHandler[], so setupServer(...sim.handlers) is checked", async () => {
  const withMsw = `
import { setupServer } from "msw/node";
import type { RequestHandler } from "msw";
import { createSimulator } from "auditlogs/testing";
const sim = createSimulator();
export const server = setupServer(...sim.handlers);
export const first: RequestHandler | undefined = sim.handlers[0];
// @ts-expect-error a handler is not a number: fails if handlers were typed any
export const wrong: number = sim.handlers[0];
`;
  const dir = consumer("msw", ["msw"], {
    "tsconfig.node16.json": JSON.stringify({ compilerOptions: { ...strict, module: "node16", moduleResolution: "node16" }, files: ["esm.ts"] }),
    "esm.ts": withMsw,
  });
  expect(await typecheck(dir, "tsconfig.node16.json")).toBe("");
}, 420_000);
