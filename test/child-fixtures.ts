/**
 * Child processes for crash tests: the source under test bundled with esbuild into one ES module
 * a plain `node` can import (the tests must not depend on a stale dist/ build).
 */
import { buildSync } from "esbuild";
import { fileURLToPath, pathToFileURL } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** Bundles `entry` (relative to the repository root) into `outfile`; returns its file URL. */
export function bundle(entry: string, outfile: string): string {
  buildSync({
    entryPoints: [`${ROOT}/${entry}`],
    outfile,
    bundle: true,
    format: "esm",
    platform: "node",
    target: "node20",
    // Dependencies bundled too: the bundle lives in a temp directory, out of node_modules' reach.
    logLevel: "error",
  });
  return pathToFileURL(outfile).href;
}
