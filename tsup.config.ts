import { resolve } from "node:path";
import { defineConfig, type Options } from "tsup";

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
  define: "src/define.ts",
  collector: "src/collector/index.ts",
};

const common = {
  splitting: true,
  // Maps let stack traces (node --enable-source-maps) name src/ files and lines; the sources
  // themselves are not embedded, which was most of the tarball.
  sourcemap: true,
  esbuildOptions(options) {
    options.sourcesContent = false;
  },
  target: "node20",
  platform: "node",
  // Optional peers, loaded on first use by auditlogs/testing (msw) and auditlogs/collector.
  external: ["msw", "pg", "pg-boss", "@electric-sql/pglite"],
} satisfies Options;

// The CLI reaches the library through its public entries only (src/index.ts, src/testing/index.ts,
// src/collector/index.ts);
// it imports their built ESM files instead of bundling a second copy of the library.
const CLI_SHARED: Record<string, string> = {
  [resolve("src/index.ts")]: "../index.js",
  [resolve("src/testing/index.ts")]: "../testing.js",
  [resolve("src/collector/index.ts")]: "../collector.js",
};

export default defineConfig([
  {
    ...common,
    entry: library,
    format: ["esm", "cjs"],
    dts: { entry: library },
    // import.meta.url in the CJS build (the simulator loads msw lazily with createRequire).
    shims: true,
    // dist/cli is the CLI build's, which runs at the same time.
    clean: ["!cli/**"],
  },
  {
    ...common,
    // A program, not an API: ESM only (package.json "bin"), no declarations.
    entry: { main: "src/cli/main.ts" },
    outDir: "dist/cli",
    format: ["esm"],
    clean: true,
    esbuildPlugins: [
      {
        name: "cli-uses-the-library-build",
        setup(build) {
          build.onResolve({ filter: /^\.\.?\// }, (args) => {
            const target = CLI_SHARED[resolve(args.resolveDir, args.path).replace(/\.js$/, ".ts")];
            return target ? { path: target, external: true } : undefined;
          });
        },
      },
    ],
  },
]);
