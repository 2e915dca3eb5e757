#!/usr/bin/env node
/**
 * The `auditlogs` command: dispatch, help, version, and the one place errors become exit codes
 * (0 done, 1 API or runtime error, 2 bad usage or configuration, 130 interrupted).
 */
import { AuditLogsError, ConfigError, VERSION } from "../index.js";
import { nearestName } from "../core/names.js";
import { UsageError } from "./args.js";
import { OutputClosedError } from "./output.js";

const HELP = `auditlogs ${VERSION}: audit logs of Pylon, Zendesk, Cortex, Datafold and JITSudo as one normalized stream

Usage: auditlogs <command> [options]

Commands:
  demo                 serve all five vendors from the built-in simulator and export them (start here)
  export <vendor>      export a vendor's audit events as NDJSON or OCSF, resumable with --checkpoint
  simulate             run the simulator as a local server, and print the variables to point export at it
  collect              run a collector: many sources on a schedule, state in PostgreSQL (or embedded)
  status               the collector's sources: last run, lag, events, last error

Options:
  -h, --help           show help (also: auditlogs <command> --help)
  -v, --version        show the version

Exit codes: 0 done, 1 API or runtime error, 2 bad usage or configuration, 130 interrupted.
`;

const COMMANDS: Record<string, () => Promise<(args: string[]) => Promise<number>>> = {
  demo: async () => (await import("./commands/demo.js")).demoCommand,
  export: async () => (await import("./commands/export.js")).exportCommand,
  simulate: async () => (await import("./commands/simulate.js")).simulateCommand,
  collect: async () => (await import("./commands/collect.js")).collectCommand,
  status: async () => (await import("./commands/status.js")).statusCommand,
};

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined) {
    process.stderr.write(HELP);
    return 2;
  }
  if (command === "--help" || command === "-h") {
    process.stdout.write(HELP);
    return 0;
  }
  if (command === "--version" || command === "-v") {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  if (command === "help") {
    const topic = rest[0];
    if (topic === undefined) {
      process.stdout.write(HELP);
      return 0;
    }
    return run(topic, ["--help"]);
  }
  return run(command, rest);
}

async function run(command: string, args: string[]): Promise<number> {
  const load = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
  if (!load) {
    const hint = command.startsWith("-") ? `unknown option ${command}` : `unknown command ${JSON.stringify(command)}`;
    const near = command.startsWith("-") ? undefined : nearestName(command, Object.keys(COMMANDS));
    throw new UsageError(`${hint}: ${near ? `did you mean ${near}? (` : ""}use demo, export, simulate, collect or status${near ? "; " : " ("}see auditlogs --help)`);
  }
  return (await load())(args);
}

/** The exit code for an error that reached the top. */
function exitCodeOf(error: unknown): number {
  if (error instanceof UsageError || ConfigError.isInstance(error)) return 2;
  if (error instanceof OutputClosedError) return 0;
  return 1;
}

/** One line: library errors carry no secrets (DESIGN §5); newlines are folded. */
function describe(error: unknown): string {
  if (error instanceof UsageError) return error.message;
  if (AuditLogsError.isInstance(error)) return `${error.name}: ${error.message}`;
  if (error instanceof Error) return error.message;
  return String(error);
}

/** Exits once stdout and stderr have flushed (a pipe may still hold the last lines). */
function exit(code: number): void {
  process.exitCode = code;
  setTimeout(() => process.exit(code), 2_000).unref();
  let pending = 2;
  const done = () => {
    if (--pending === 0) process.exit(code);
  };
  process.stdout.write("", done);
  process.stderr.write("", done);
}

main(process.argv.slice(2)).then(exit, (error: unknown) => {
  const code = exitCodeOf(error);
  if (code !== 0) process.stderr.write(`auditlogs: ${describe(error).replace(/\s*\n\s*/g, " ")}\n`);
  if (process.env.AUDITLOGS_DEBUG && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
  exit(code);
});
