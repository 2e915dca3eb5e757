// scripts/check-docs.mjs, the CI check that every public export has a doc comment and that the
// public d.ts shows no internals, run on small fixture packages: what it must catch, and what
// it must let through.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { afterAll, expect, test } from "vitest";
// @ts-expect-error a plain .mjs script, without declarations
import { checkDocs } from "../scripts/check-docs.mjs";

const ROOT = resolve(import.meta.dirname, "..");
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A package whose exports map has a root and a `./sub` subpath, with the given d.ts files. */
function fixture(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), "auditlogs-docs-"));
  dirs.push(root);
  const exports = {
    ".": { import: { types: "./dist/index.d.ts", default: "./dist/index.js" }, require: { types: "./dist/index.d.cts", default: "./dist/index.cjs" } },
    "./sub": { import: { types: "./dist/sub.d.ts", default: "./dist/sub.js" } },
    "./package.json": "./package.json",
  };
  const all = { "package.json": JSON.stringify({ name: "pkg", exports }), "dist/sub.d.ts": "/** Sub. */\nexport declare const sub: number;\n", ...files };
  for (const [path, text] of Object.entries(all)) {
    if (text === undefined) continue;
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

const check = (files: Record<string, string>): string[] => checkDocs(fixture(files));

test("a fully documented package passes, members, statics, chunks and generated spec types included", () => {
  const chunk = `
/** The paths of the spec. */
interface paths { "/x": { get: { responses: { 200: { content: { "application/json": { id: string } } } } } } }
/** Options. */
interface Options {
  /** The token. */
  token: string;
}
export { type Options as O, type paths as p };
`;
  const index = `
import { O as Options, p as paths } from "./chunk-ABC.js";
/** A client. */
export declare class Client {
  #private;
  /** Its vendor. */
  readonly vendor: string;
  /** Reads. */
  events(): AsyncIterable<unknown>;
  private secret;
  /** Made by the factory. */
  constructor(options: Options);
  /** Brand. */
  static readonly brand: symbol;
}
/** A factory. */
export declare function create(options: Options): Client;
/** Params. */
export type Params = {
  /** How many. */
  pageSize?: number;
};
export type { Options, paths };
`;
  expect(check({ "dist/chunk-ABC.d.ts": chunk, "dist/index.d.ts": index, "dist/index.d.cts": index.replace("chunk-ABC.js", "chunk-ABC.cjs"), "dist/chunk-ABC.d.cts": chunk })).toEqual([]);
});

test("an undocumented export, on any subpath, is reported with its subpath and place", () => {
  const problems = check({
    "dist/index.d.ts": "/** Documented. */\nexport declare function a(): void;\nexport declare function b(): void;\n",
    "dist/sub.d.ts": "export declare const sub: number;\n",
  });
  expect(problems).toEqual(["pkg: b has no doc comment (dist/index.d.ts:3)", "pkg/sub: sub has no doc comment (dist/sub.d.ts:1)"]);
});

test("undocumented members: of a class (statics too), an interface, an object type alias, and one inherited from an unexported base", () => {
  const problems = check({
    "dist/index.d.ts": `
/** Base, not exported. */
declare class Base {
  readonly inherited: string;
}
/** C. */
declare class C extends Base {
  method(): void;
  static make(): C;
}
/** I. */
interface I {
  field: number;
}
/** T. */
type T = { key: string };
export { C, type I, type T };
`,
  });
  expect(problems).toEqual([
    "pkg: C.method has no doc comment (dist/index.d.ts:8)",
    "pkg: Base.inherited has no doc comment (dist/index.d.ts:4)",
    "pkg: C.make has no doc comment (dist/index.d.ts:9)",
    "pkg: I.field has no doc comment (dist/index.d.ts:13)",
    "pkg: T.key has no doc comment (dist/index.d.ts:16)",
  ]);
});

test("a member shared by many exports is one problem, not one per export", () => {
  const problems = check({
    "dist/index.d.ts": `
/** Base. */
export declare class E extends Error { readonly status: number; }
/** A. */
export declare class A extends E {}
/** B. */
export declare class B extends E {}
`,
  });
  expect(problems).toEqual(["pkg: E.status has no doc comment (dist/index.d.ts:3)"]);
});

test("mixin helper types and @internal anywhere in dist's declarations are rejected", () => {
  const problems = check({
    "dist/index.d.ts": `
declare const ConfigError_base: abstract new (...args: any[]) => Error;
/** A bad option. */
declare class ConfigError extends ConfigError_base {}
/** A stream. */
declare class Stream {
  /** @internal made by the library */
  constructor(source: unknown);
}
export { ConfigError, Stream };
`,
  });
  expect(problems).toEqual([
    "dist/index.d.ts:2: mixin helper type ConfigError_base in the public declarations",
    "dist/index.d.ts:4: mixin helper type ConfigError_base in the public declarations",
    "dist/index.d.ts:7: @internal in the public declarations: /** @internal made by the library */",
  ]);
});

test("a subpath whose declarations were not built is a problem, not a silent pass", () => {
  const problems = check({ "dist/index.d.ts": "/** A. */\nexport declare const a: 1;\n", "dist/sub.d.ts": undefined as unknown as string });
  expect(problems).toEqual(["./sub: ./dist/sub.d.ts does not exist (run npm run build)"]);
});

test("the built package: every export of every subpath documented, no mixin or @internal types", () => {
  execFileSync(process.execPath, ["scripts/ensure-built.mjs"], { cwd: ROOT, timeout: 300_000 });
  expect(checkDocs(ROOT)).toEqual([]);
}, 360_000);
