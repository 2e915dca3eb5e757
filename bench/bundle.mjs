#!/usr/bin/env node
/**
 * Bundle size (DESIGN §9, `bundle_pylon_kb`): what a program that uses only `auditlogs/pylon`
 * costs once bundled with esbuild, minified, for Node, from the built package (dist/, or
 * `AUDITLOGS_DIST`). The entry imports the subpath's ESM file, as a bundler resolving
 * `auditlogs/pylon` through the package's `exports` does. Prints the size in KB (1 KB = 1000
 * bytes, as npm and esbuild's summary count) and the largest inputs; `--json` prints one JSON object. A figure, not a test.
 */
import { build } from "esbuild";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { distUrl, progress, round } from "./lib.mjs";

/** A typical small exporter: one vendor, events() to stdout, a checkpoint kept. */
const program = (pylon) => `
import { createPylonClient } from ${JSON.stringify(pylon)};
const client = createPylonClient({ apiToken: process.env.PYLON_API_TOKEN });
const stream = client.events({ since: process.argv[2] });
for await (const event of stream) process.stdout.write(JSON.stringify(event) + "\\n");
process.stderr.write(JSON.stringify(stream.checkpoint()) + "\\n");
`;

/** `{ bytes, kb, inputs }`: inputs are the largest contributors, grouped by package or dist file. */
export async function benchBundle() {
  const dir = mkdtempSync(join(tmpdir(), "auditlogs-bundle-"));
  try {
    const entry = join(dir, "main.mjs");
    writeFileSync(entry, program(fileURLToPath(distUrl("pylon.js"))));
    const result = await build({
      entryPoints: [entry],
      bundle: true,
      minify: true,
      format: "esm",
      platform: "node",
      target: "node20",
      write: false,
      metafile: true,
      logLevel: "silent",
    });
    const bytes = result.outputFiles.reduce((sum, file) => sum + file.contents.byteLength, 0);
    const groups = new Map();
    for (const output of Object.values(result.metafile.outputs)) {
      for (const [path, { bytesInOutput }] of Object.entries(output.inputs)) {
        const key = groupOf(path);
        groups.set(key, (groups.get(key) ?? 0) + bytesInOutput);
      }
    }
    const inputs = [...groups].sort((a, b) => b[1] - a[1]).map(([name, size]) => ({ name, kb: round(size / 1000, 1) }));
    return { bytes, kb: round(bytes / 1000, 1), inputs };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `node_modules/zod/v4/core/schemas.js` → `zod`; a dist chunk stays itself. */
function groupOf(path) {
  const at = path.lastIndexOf("node_modules/");
  if (at < 0) return path.replace(/^.*\/dist\//, "dist/");
  const rest = path.slice(at + "node_modules/".length).split("/");
  return rest[0].startsWith("@") ? `${rest[0]}/${rest[1]}` : rest[0];
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const json = process.argv.includes("--json");
  const { kb, bytes, inputs } = await benchBundle();
  if (json) {
    process.stdout.write(`${JSON.stringify({ bundle_pylon_kb: kb, bundle_pylon_bytes: bytes })}\n`);
  } else {
    progress(`bundle of a program using only auditlogs/pylon (esbuild, minified): ${kb} KB (target ≤ 150)`);
    for (const input of inputs.slice(0, 12)) progress(`  ${input.kb.toFixed(1).padStart(7)} KB  ${input.name}`);
  }
}
