// auditlogs/collector's optional peers (pg, pg-boss, @electric-sql/pglite): the root import never
// loads them, the collector loads them only when it first needs them, and a missing one is an
// error that says what to install.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildSync, type Metafile } from "esbuild";
import { afterAll, expect, test } from "vitest";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const PEERS = ["pg", "pg-boss", "@electric-sql/pglite"];
const outside = mkdtempSync(join(tmpdir(), "auditlogs-peers-"));
afterAll(() => rmSync(outside, { recursive: true, force: true }));

/** Every package `entry` can import, statically or with import(), and how. */
function importsOf(entry: string): Map<string, Set<string>> {
  const result = buildSync({
    entryPoints: [join(ROOT, entry)],
    bundle: true,
    write: false,
    outdir: outside,
    format: "esm",
    platform: "node",
    packages: "external",
    metafile: true,
    logLevel: "error",
  });
  const found = new Map<string, Set<string>>();
  for (const input of Object.values((result.metafile as Metafile).inputs)) {
    for (const imported of input.imports) {
      if (!imported.external) continue;
      const name = imported.path.startsWith("@") ? imported.path.split("/").slice(0, 2).join("/") : imported.path.split("/")[0]!;
      found.set(name, (found.get(name) ?? new Set()).add(imported.kind));
    }
  }
  return found;
}

test('import "auditlogs" can load none of the collector\'s peers', () => {
  const imports = importsOf("src/index.ts");
  expect(imports.has("openapi-fetch")).toBe(true); // the analysis sees real dependencies
  for (const peer of PEERS) expect(imports.has(peer), peer).toBe(false);
});

test("auditlogs/collector imports its peers only lazily (import() on first use)", () => {
  const imports = importsOf("src/collector/index.ts");
  for (const peer of PEERS) expect([...(imports.get(peer) ?? [])], peer).toEqual(["dynamic-import"]);
});

test("a missing peer is an error naming the package to install", () => {
  // The collector bundled into a directory with no node_modules: none of its peers resolve.
  const bundle = join(outside, "collector.mjs");
  buildSync({ entryPoints: [join(ROOT, "src/collector/index.ts")], bundle: true, outfile: bundle, format: "esm", platform: "node", packages: "external", logLevel: "error" });
  // The collector's own dependencies (zod, openapi-fetch) would not resolve either: give it those.
  const script = join(outside, "probe.mjs");
  writeFileSync(
    script,
    `import { createCollector } from "./collector.mjs";
     const out = {};
     for (const [name, options] of [["postgres", { connectionString: "postgres://u:p@127.0.0.1:1/db" }], ["embedded", { dataDir: ${JSON.stringify(join(outside, "data"))} }]]) {
       try { await createCollector({ ...options, sources: [] }).status(); out[name] = "no error"; } catch (e) { out[name] = e.message; }
     }
     console.log(JSON.stringify(out));`,
  );
  const env = { PATH: process.env.PATH ?? "", NODE_PATH: "" };
  // A resolve hook finds the core's own dependencies in the repository, and nothing else.
  const output = execFileSync(process.execPath, ["--import", `data:text/javascript,${encodeURIComponent(resolverHook())}`, script], { env, encoding: "utf8" });
  const result = JSON.parse(output.trim().split("\n").pop()!) as Record<string, string>;
  expect(result.postgres).toMatch(/needs the package "pg".*npm install pg/);
  expect(result.embedded).toMatch(/needs the package "@electric-sql\/pglite".*npm install @electric-sql\/pglite/);
  expect(result.postgres).not.toContain("u:p@");
});

/** Resolves the library's own dependencies from the repository, and nothing else. */
function resolverHook(): string {
  const hooks = `
    const root = ${JSON.stringify(ROOT)};
    const own = ["zod", "openapi-fetch"];
    export async function resolve(specifier, context, next) {
      const name = specifier.startsWith("@") ? specifier.split("/").slice(0, 2).join("/") : specifier.split("/")[0];
      if (own.includes(name)) return next(specifier, { ...context, parentURL: "file://" + root + "/package.json" });
      return next(specifier, context);
    }`;
  return `import { register } from "node:module"; register("data:text/javascript," + encodeURIComponent(${JSON.stringify(hooks)}));`;
}

test("the built subpath loads with import and require, and its errors are the root's classes", () => {
  execFileSync(process.execPath, ["scripts/ensure-built.mjs"], { cwd: ROOT, encoding: "utf8", timeout: 120_000 });
  const probe = (loader: string) => `
    ${loader}
    try { createCollector({ sources: [{ id: "a", vendor: "pylon", options: {}, every: "soon" }] }); }
    catch (e) { console.log(JSON.stringify([ConfigError.isInstance(e), e instanceof ConfigError, e.option])); }`;
  const esm = execFileSync(process.execPath, ["--input-type=module", "-e", probe('import { createCollector } from "auditlogs/collector"; import { ConfigError } from "auditlogs";')], { cwd: ROOT, encoding: "utf8" });
  const cjs = execFileSync(process.execPath, ["-e", probe('const { createCollector } = require("auditlogs/collector"); const { ConfigError } = require("auditlogs");')], { cwd: ROOT, encoding: "utf8" });
  expect(JSON.parse(esm)).toEqual([true, true, "sources[0].every"]);
  expect(JSON.parse(cjs)).toEqual([true, true, "sources[0].every"]);
}, 180_000);
