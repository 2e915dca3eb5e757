/**
 * `auditlogs simulate`: the simulator as a standalone server on 127.0.0.1, for trying `export`
 * (or your own code) without real credentials. Prints the variables to use; runs until Ctrl-C.
 */
import { envVariable } from "../env.js";
import { VENDOR_IDS, type VendorId } from "../../index.js";
import { createSimulator } from "../../testing/index.js";
import { intFlag, noMorePositionals, numberFlag, parseCommand, UsageError, vendorsFlag, wantsHelp } from "../args.js";
import { count, plural } from "../progress.js";

const DEFAULT_PORT = 4010;
const DEFAULT_EVENTS = 1000;

export const SIMULATE_HELP = `Usage: auditlogs simulate [options]

Serves fake audit logs of ${VENDOR_IDS.join(", ")} on 127.0.0.1, each vendor with its own
paths, auth, pagination, time filters and rate-limit signals, and prints the environment
variables that point \`auditlogs export\` at it. Runs until Ctrl-C.

Options:
  --port N              port to listen on (default ${DEFAULT_PORT}; 0 picks a free one)
  --vendors LIST        comma-separated vendors to serve (default all)
  --events N            events per vendor (default ${count(DEFAULT_EVENTS)})
  --seed N              the same seed serves the same data (default 1)
  --fault-rate R        share of requests that fail (429, 5xx, dropped connection), 0 to 1 (default 0)
  --latency MS          delay before each response, in milliseconds (default 0)
  -h, --help            show this help

Example:
  auditlogs simulate --port 4010 &
  export PYLON_BASE_URL=http://127.0.0.1:4010 PYLON_API_TOKEN=...   # as printed
  auditlogs export pylon --out pylon.ndjson
`;

export async function simulateCommand(args: string[]): Promise<number> {
  if (wantsHelp(args)) {
    process.stdout.write(SIMULATE_HELP);
    return 0;
  }
  const { values, positionals } = parseCommand("simulate", args, {
    port: { type: "string", short: "p" },
    vendors: { type: "string" },
    events: { type: "string" },
    seed: { type: "string" },
    "fault-rate": { type: "string" },
    latency: { type: "string" },
    help: { type: "boolean", short: "h" },
  });
  noMorePositionals(positionals, 0, "simulate");
  const port = intFlag(values.port, "--port", { min: 0, max: 65_535 }) ?? DEFAULT_PORT;
  const vendors = vendorsFlag(values.vendors, "--vendors") ?? [...VENDOR_IDS];
  const eventsPerVendor = intFlag(values.events, "--events", { min: 0, max: 10_000_000 }) ?? DEFAULT_EVENTS;
  const seed = intFlag(values.seed, "--seed", { min: 0 }) ?? 1;
  const faultRate = numberFlag(values["fault-rate"], "--fault-rate", { min: 0, max: 1 }) ?? 0;
  const latencyMs = intFlag(values.latency, "--latency", { min: 0, max: 600_000 }) ?? 0;

  const sim = createSimulator({ vendors, eventsPerVendor, seed, latencyMs, ...(faultRate > 0 ? { faults: { rate: faultRate } } : {}) });
  let server: Awaited<ReturnType<typeof sim.listen>>;
  try {
    server = await sim.listen({ port });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EADDRINUSE") throw new UsageError(`--port ${port} is in use: pick another, or --port 0 for any free port`);
    if (code === "EACCES") throw new UsageError(`--port ${port} needs privileges: use a port above 1023`);
    throw error;
  }

  const lines = [
    `# auditlogs simulator on ${server.url}: ${vendors.join(", ")}, ${count(eventsPerVendor)} events each (seed ${seed}). Ctrl-C stops it.`,
    "# Paste the lines of the vendors you want into a shell, then run: auditlogs export <vendor>",
    ...vendors.map((vendor) => `export ${envAssignments(vendor, server.credentials).join(" ")}`),
    "",
  ];
  process.stdout.write(lines.join("\n"));

  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      resolve();
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
  await server.close();
  const total = (counts: Record<VendorId, number>) => vendors.reduce((n, v) => n + counts[v], 0);
  const { requests, faults, rateLimited } = sim.stats;
  process.stderr.write(
    `auditlogs: simulator stopped after ${plural(total(requests), "request", "requests")} (${plural(total(faults), "injected fault", "injected faults")}, ${count(total(rateLimited))} rate-limited)\n`,
  );
  return 0;
}

type Credentials = Awaited<ReturnType<ReturnType<typeof createSimulator>["listen"]>>["credentials"];

/** `NAME=value` pairs, shell-quoted, that make `auditlogs export <vendor>` use the simulator. */
export function envAssignments(vendor: VendorId, credentials: Credentials): string[] {
  // baseUrl first, then the vendor's options in the order the simulator gives them, flattened.
  const { baseUrl, ...rest } = credentials[vendor] as Record<string, unknown>;
  const pairs: Array<[string, string]> = [[envVariable(vendor, "baseUrl"), String(baseUrl)]];
  const add = (options: Record<string, unknown>) => {
    for (const [option, value] of Object.entries(options)) {
      if (value !== null && typeof value === "object") add(value as Record<string, unknown>);
      else pairs.push([envVariable(vendor, option), String(value)]);
    }
  };
  add(rest);
  return pairs.map(([name, value]) => `${name}=${shellQuote(value)}`);
}

function shellQuote(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}
