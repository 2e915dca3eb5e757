import { defineConfig } from "tsup";

// One entry per public subpath. `splitting: true` keeps shared core code (error classes above
// all) in one chunk for both ESM and CJS, so `instanceof` works across subpaths.
const library = {
  index: "src/index.ts",
  pylon: "src/vendors/pylon.ts",
  zendesk: "src/vendors/zendesk.ts",
  cortex: "src/vendors/cortex.ts",
  datafold: "src/vendors/datafold.ts",
  jitsudo: "src/vendors/jitsudo.ts",
  testing: "src/testing/index.ts",
  collector: "src/collector/index.ts",
};

export default defineConfig({
  entry: { ...library, "cli/main": "src/cli/main.ts" },
  format: ["esm", "cjs"],
  // Declarations for the importable entries; the CLI is a program, not an API.
  dts: { entry: library },
  splitting: true,
  // import.meta.url in the CJS build (the simulator loads msw lazily with createRequire).
  shims: true,
  sourcemap: true,
  clean: true,
  target: "node20",
  platform: "node",
  // Optional peers, loaded on first use by auditlogs/testing (msw) and auditlogs/collector.
  external: ["msw", "pg", "pg-boss", "@electric-sql/pglite"],
});
