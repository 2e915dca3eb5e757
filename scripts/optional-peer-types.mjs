#!/usr/bin/env node
// Runs after tsup (`npm run build`). msw is an optional peer dependency of `auditlogs/testing`,
// but `sim.handlers` is typed with msw's RequestHandler, so the built d.ts imports "msw". Without
// msw installed that import fails a user's typecheck (TS2307, with skipLibCheck: false). A
// `@ts-ignore` on the import makes the type `any` when msw is absent and msw's own when it is
// present. tsup drops comments on imports, so it is added here.
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const OPTIONAL_PEERS = ["msw"];
const dist = new URL("../dist/", import.meta.url).pathname;
const note = "// @ts-ignore optional peer dependency: its types are any when it is not installed";
let patched = 0;
for (const name of readdirSync(dist)) {
  if (!/\.d\.c?ts$/.test(name)) continue;
  const file = join(dist, name);
  const lines = readFileSync(file, "utf8").split("\n");
  let changed = false;
  for (let i = 0; i < lines.length; i++) {
    const from = /^import\b.*\bfrom ['"]([^'"]+)['"];?$/.exec(lines[i])?.[1];
    if (!from || !OPTIONAL_PEERS.some((peer) => from === peer || from.startsWith(`${peer}/`))) continue;
    if (lines[i - 1] === note) continue;
    lines.splice(i, 0, note);
    i += 1;
    changed = true;
  }
  if (changed) {
    writeFileSync(file, lines.join("\n"));
    patched += 1;
  }
}
// testing.d.ts and testing.d.cts import msw; if neither does, the build changed shape: say so.
if (patched === 0 && !readFileSync(join(dist, "testing.d.ts"), "utf8").includes(note)) {
  console.error("optional-peer-types: no import of msw found in dist/*.d.ts; check how sim.handlers is typed");
  process.exit(1);
}
