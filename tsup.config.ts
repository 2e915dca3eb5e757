import { defineConfig } from "tsup";

// One entry per public subpath. `splitting: true` keeps shared core code (error classes above
// all) in one chunk for both ESM and CJS, so `instanceof` works across subpaths.
export default defineConfig({
  entry: {
    index: "src/index.ts",
    pylon: "src/vendors/pylon.ts",
    zendesk: "src/vendors/zendesk.ts",
    cortex: "src/vendors/cortex.ts",
    datafold: "src/vendors/datafold.ts",
    jitsudo: "src/vendors/jitsudo.ts",
    testing: "src/testing/index.ts",
    "cli/main": "src/cli/main.ts",
  },
  format: ["esm", "cjs"],
  dts: true,
  splitting: true,
  sourcemap: true,
  clean: true,
  target: "node20",
  platform: "node",
  external: ["msw"],
});
