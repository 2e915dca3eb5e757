import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const src = (path: string) => fileURLToPath(new URL(`./src/${path}`, import.meta.url));

export default defineConfig({
  // Examples import the package by name, as a user would; in tests that name is the source
  // (test/package.test.ts checks the built package in a child process).
  resolve: {
    alias: [
      { find: /^auditlogs$/, replacement: src("index.ts") },
      { find: /^auditlogs\/define$/, replacement: src("define.ts") },
      { find: /^auditlogs\/testing$/, replacement: src("testing/index.ts") },
    ],
  },
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/global-setup.ts"],
    // Against hangs, not a speed bound: CI runs three Node versions side by side on two cores,
    // where the heaviest property tests (20 s when the machine is quiet) have taken over 30 s.
    testTimeout: 120_000,
    hookTimeout: 60_000,
    typecheck: { enabled: true, include: ["test/**/*.test-d.ts"] },
  },
});
