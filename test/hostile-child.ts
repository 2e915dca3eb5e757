/**
 * Child process of test/hostile-bomb.test.ts (bundled by esbuild there): reads one run of
 * `vendor` from the hostile server at `origin` with the default options, and prints one JSON
 * line: how the run ended and the process's peak RSS. An attack that could take a process
 * down takes down this one, never the test runner.
 */
import { createClient, type ClientOptions } from "../src/index.js";

const [origin, vendor] = process.argv.slice(2);
const credentials: Record<string, Record<string, unknown>> = {
  pylon: { apiToken: "child-token" },
  datafold: { apiKey: "child-key" },
};
const client = createClient({ vendor, ...credentials[vendor!], baseUrl: origin, rateLimit: false, maxRetries: 0 } as unknown as ClientOptions);
let events = 0;
let error: { name: string; message: string } | undefined;
try {
  for await (const _event of client.events({ since: "2026-01-01T00:00:00Z", until: "2026-01-02T00:00:00Z" })) events += 1;
} catch (e) {
  error = { name: (e as Error).name, message: (e as Error).message };
}
process.stdout.write(`${JSON.stringify({ events, error, maxRssMiB: Math.round(process.resourceUsage().maxRSS / 1024) })}\n`);
