/**
 * `auditlogs status [--database URL]`: every source the collector's database knows, with its
 * last run, last success, lag behind now and event count; the table `collect` prints too.
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { createCollector, type SourceStatus } from "../../collector/index.js";
import { noMorePositionals, parseCommand, wantsHelp } from "../args.js";
import { count, seconds } from "../progress.js";

export const STATUS_HELP = `Usage: auditlogs status [options]

Prints every source of a collector's database: its last run, last success, how far behind now
its watermark is (lag: the number to alert on), events collected and last error.

Options:
  --database URL        the collector's PostgreSQL (postgres://…); default the embedded
                        database in --data-dir
  --data-dir DIR        the embedded database's directory (default .auditlogs); while
                        "auditlogs collect" runs on it, use that process's output instead
                        (an embedded database serves one process)
  --json                one JSON array instead of the table
  -h, --help            show this help
`;

export async function statusCommand(args: string[]): Promise<number> {
  if (wantsHelp(args)) {
    process.stdout.write(STATUS_HELP);
    return 0;
  }
  const { values, positionals } = parseCommand("status", args, {
    database: { type: "string" },
    "data-dir": { type: "string" },
    json: { type: "boolean" },
    help: { type: "boolean", short: "h" },
  });
  noMorePositionals(positionals, 0, "status");
  const dataDir = values["data-dir"] ?? ".auditlogs";
  if (values.database === undefined && !existsSync(resolve(dataDir))) {
    process.stderr.write(`auditlogs: no collector database in ${resolve(dataDir)} (run auditlogs collect first, or pass --database)\n`);
    return 1;
  }
  const collector = createCollector({ connectionString: values.database, dataDir, sources: [] });
  try {
    const status = await collector.status();
    process.stdout.write(values.json ? `${JSON.stringify(status, null, 2)}\n` : `${statusTable(status)}\n`);
  } finally {
    await collector.stop();
  }
  return 0;
}

/** The per-source table: one row per source, times as ages ("12.3 s ago"). */
export function statusTable(status: SourceStatus[], now = Date.now()): string {
  if (status.length === 0) return "No sources yet.";
  const ago = (iso: string | null) => (iso === null ? "never" : `${seconds(Math.max(0, now - Date.parse(iso)))} ago`);
  const rows = [
    ["source", "vendor", "last run", "last success", "lag", "events", "last error"],
    ...status.map((s) => [s.sourceId, s.vendor, ago(s.lastRunAt), ago(s.lastSuccessAt), s.lagMs === null ? "-" : seconds(s.lagMs), count(s.events), oneLine(s.lastError ?? "")]),
  ];
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  const right = new Set([2, 3, 4, 5]);
  const line = (row: string[]) =>
    row
      .map((cell, column) => (column === row.length - 1 ? cell : right.has(column) ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!)))
      .join("  ")
      .trimEnd();
  return [line(rows[0]!), widths.map((w) => "─".repeat(w)).join("  ").trimEnd(), ...rows.slice(1).map(line)].join("\n");
}

function oneLine(text: string): string {
  const flat = text.replace(/\s*\n\s*/g, " ");
  return flat.length > 120 ? `${flat.slice(0, 119)}…` : flat;
}
