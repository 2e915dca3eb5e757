// Builds dist/ once, before any test file runs, when it is missing or stale. Several test files
// run the built package (the CLI, the packed tarball, other runtimes) and call ensure-built
// themselves; left to them, parallel files would start tsup builds at once and overwrite each
// other's output.
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

export default function setup(): void {
  execFileSync(process.execPath, [fileURLToPath(new URL("../scripts/ensure-built.mjs", import.meta.url))], { stdio: "inherit" });
}
