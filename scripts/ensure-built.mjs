#!/usr/bin/env node
// Builds dist/ with `npm run build` (tsup) when it is missing or older than any file in src/,
// generated/ or the build config; otherwise does nothing. Used by `npm run demo` and `npm run bench`.
// Quiet: one line while building; the build's own output only if it fails.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
// Outputs that every entry point needs; the oldest of them dates the build.
const outputs = ["dist/index.js", "dist/index.cjs", "dist/testing.js", "dist/cli/main.js"].map((p) => join(root, p));
const inputs = ["src", "generated", "tsup.config.ts", "package.json", "tsconfig.json"].map((p) => join(root, p));

function newestMtime(path) {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs; // a deleted file changes its directory's mtime
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

function reasonToBuild() {
  const missing = outputs.find((p) => !existsSync(p));
  if (missing) return "dist/ is missing";
  const built = Math.min(...outputs.map((p) => statSync(p).mtimeMs));
  return inputs.some((p) => newestMtime(p) > built) ? "dist/ is older than the sources" : undefined;
}

// Test files that need dist/ call this in parallel: one builds (tsup empties dist/ first), the
// others wait for it, then find dist/ fresh. The lock is a directory (mkdir is atomic).
const lock = join(root, "node_modules", ".cache", "auditlogs-build.lock");
const STALE_MS = 300_000;
function acquire() {
  mkdirSync(dirname(lock), { recursive: true });
  for (;;) {
    try {
      mkdirSync(lock);
      return;
    } catch (error) {
      if (error.code !== "EEXIST") throw error;
      // A build that died keeps its lock; a lock older than any build is taken over.
      try {
        if (Date.now() - statSync(lock).mtimeMs > STALE_MS) rmSync(lock, { recursive: true, force: true });
      } catch {}
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
    }
  }
}

// Checked under the lock too: mid-build, dist/ can look complete before every file is written.
acquire();
try {
  build();
} finally {
  rmSync(lock, { recursive: true, force: true });
}

function build() {
  const reason = reasonToBuild();
  if (!reason) return;
  process.stderr.write(`auditlogs: building (${reason})…\n`);
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  const result = spawnSync(npm, ["run", "build", "--silent"], { cwd: root, encoding: "utf8", shell: process.platform === "win32" });
  if (result.status !== 0) {
    const output = `${result.stdout ?? ""}${result.stderr ?? ""}`.trim().split("\n").slice(-40).join("\n");
    if (output) process.stderr.write(`${output}\n`);
    const why = result.error ? `: ${result.error.message}` : result.signal ? ` (killed by ${result.signal})` : ` (exit code ${result.status})`;
    process.stderr.write(`auditlogs: the build failed${why}. Run \`npm run build\` to see the whole output; is \`npm install\` done?\n`);
    rmSync(lock, { recursive: true, force: true });
    process.exit(1);
  }
}
