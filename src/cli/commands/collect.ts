/**
 * `auditlogs collect --config FILE [--database URL] [--once]`: the collector (DESIGN §11) from a
 * JSON file of sources. The file names environment variables for secrets (`{ "env": "NAME" }`),
 * never the secrets; they are read at every run, so a restarted secret store or a re-exported
 * variable needs no edit of the file.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { BUILT_IN_VENDORS, ConfigError, type Logger, type VendorId } from "../../index.js";
import { underPath } from "../../collector/config.js";
import { createCollector, type CollectorSource, type RunSummary } from "../../collector/index.js";
import { unknownKey } from "../../core/names.js";
import { intFlag, noMorePositionals, parseCommand, UsageError, wantsHelp } from "../args.js";
import { count, ProgressLine, seconds } from "../progress.js";
import { onInterrupt } from "../signals.js";
import { statusTable } from "./status.js";

export const COLLECT_HELP = `Usage: auditlogs collect --config FILE [options]

Runs a collector: every source in FILE on its schedule, events into the database's
<schema>.events table exactly once, state that survives a crash. Start it on several machines
against one --database and they share the work (one run per source at a time).

Options:
  --config FILE         the sources (JSON, see below)
  --database URL        PostgreSQL (postgres://…); default an embedded database in --data-dir,
                        for one process (its first open takes 10-30 s)
  --data-dir DIR        the embedded database's directory (default .auditlogs)
  --once                run every source once, print the summary and exit
  --workers N           runs at a time in this process (default 2)
  -q, --quiet           no progress lines; the summary and errors only
  -h, --help            show this help

FILE:
  { "schema": "auditlogs", "staleAfterMs": 60000,
    "sources": [
      { "id": "acme-zendesk", "vendor": "zendesk", "every": "5m",
        "options": { "subdomain": "acme",
                     "auth": { "email": "secops@acme.example", "apiToken": { "env": "ACME_ZENDESK_TOKEN" } } },
        "params": { "lagMs": 300000 }, "rateLimitKey": "zendesk:acme" } ] }

  Secrets are written { "env": "VARIABLE" } and read from the environment at every run; a
  secret written out in the file is refused. "every" is "30s", "5m", "1h" or a cron expression.

Exit codes: 0 done, 1 a source failed (--once) or a runtime error, 2 bad usage or configuration,
130 interrupted (runs in flight resume from their last committed page next time).
`;

const SECRET_KEY = /token|key|secret|password|credential/i;

interface FileConfig {
  schema?: string;
  staleAfterMs?: number;
  sources: (Omit<CollectorSource, "options" | "vendor"> & { vendor: string; options: unknown })[];
}

export async function collectCommand(args: string[]): Promise<number> {
  if (wantsHelp(args)) {
    process.stdout.write(COLLECT_HELP);
    return 0;
  }
  const { values, positionals } = parseCommand("collect", args, {
    config: { type: "string", short: "c" },
    database: { type: "string" },
    "data-dir": { type: "string" },
    once: { type: "boolean" },
    workers: { type: "string" },
    quiet: { type: "boolean", short: "q" },
    help: { type: "boolean", short: "h" },
  });
  noMorePositionals(positionals, 0, "collect");
  if (values.config === undefined) throw new UsageError("--config FILE is required (see auditlogs collect --help)");
  const workers = intFlag(values.workers, "--workers", { min: 1, max: 64 }) ?? 2;
  const quiet = values.quiet === true;
  const config = readConfig(values.config);
  const fromFile = config.sources.map((source, index) => ({ source, options: fromEnvironment(source.options, `sources[${index}].options`) }));
  const sources = fromFile.map(({ source, options }) => ({ ...source, options: options.read }) as unknown as CollectorSource);
  const progress = new ProgressLine({ quiet });
  const say = (line: string) => {
    if (quiet) return;
    progress.clear();
    process.stderr.write(`${line}\n`);
  };
  const logger: Logger = {
    info: (line) => say(line.replace(/^auditlogs collector: /, "")),
    warn: (line) => say(line.replace(/^auditlogs collector: /, "")),
    error: (line) => process.stderr.write(`${line}\n`),
  };
  const dataDir = values["data-dir"] ?? ".auditlogs";
  const collector = createCollector({
    connectionString: values.database,
    dataDir,
    ...(config.schema !== undefined ? { schema: config.schema } : {}),
    ...(config.staleAfterMs !== undefined ? { staleAfterMs: config.staleAfterMs } : {}),
    sources,
    logger,
  });
  // The sources' shape is checked (above); now each one's variables, and its options as the
  // vendor reads them: a misspelt `timeoutMs` or a bad `baseUrl` exits 2 here, not at each run.
  for (const { source, options } of fromFile) options.check(source.vendor);

  let stopping = false;
  let stopped: () => void = () => undefined;
  const interrupted = new Promise<void>((resolve) => (stopped = resolve));
  const offInterrupt = onInterrupt(() => {
    stopping = true;
    stopped();
  });
  const started = Date.now();
  try {
    // PGlite's first open compiles and initializes a whole PostgreSQL: say so, and count the seconds.
    const opening = values.database === undefined ? `Opening the embedded database in ${resolve(dataDir)} (PGlite; the first open takes 10-30 s)` : "Connecting to the database";
    say(`${opening}…`);
    const ticker = setInterval(() => progress.update(`${opening}… ${seconds(Date.now() - started)}`), 250);
    try {
      await Promise.race([collector.start({ workers }), interrupted]);
    } finally {
      clearInterval(ticker);
      progress.clear();
    }
    if (stopping) return 130;
    say(`Collector started (${sources.length} sources, ${workers} workers) in ${seconds(Date.now() - started)}.`);

    if (values.once) {
      let done = 0;
      let events = 0;
      const show = () => progress.update(`${done}/${sources.length} sources done, ${count(events)} events`);
      show();
      const summaries = await Promise.race([
        Promise.all(
          sources.map((s) =>
            collector.run(s.id).then((summary) => {
              done += 1;
              events += summary.events;
              show();
              return summary;
            }),
          ),
        ),
        interrupted.then(() => undefined),
      ]);
      progress.clear();
      if (summaries === undefined) return 130;
      process.stdout.write(`${runTable(summaries, sources, Date.now() - started)}\n`);
      return summaries.every((s) => s.status === "succeeded") ? 0 : 1;
    }

    await interrupted;
    say("Stopping: runs in flight get a few seconds, then resume from their last committed page next time.");
    if (!quiet) process.stdout.write(`${statusTable(await collector.status())}\n`);
    return 130;
  } finally {
    offInterrupt();
    await collector.stop();
  }
}

function runTable(summaries: RunSummary[], sources: CollectorSource[], elapsedMs: number): string {
  const vendorOf = new Map(sources.map((s) => [s.id, typeof s.vendor === "string" ? s.vendor : s.vendor.id]));
  const rows = [
    ["source", "vendor", "status", "events", "pages"],
    ...summaries.map((s) => [s.sourceId, vendorOf.get(s.sourceId) ?? "", s.status, count(s.events), count(s.pages)]),
  ];
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  const line = (row: string[]) => row.map((cell, column) => (column >= 3 ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!))).join("  ").trimEnd();
  const failed = summaries.filter((s) => s.status === "failed");
  return [
    line(rows[0]!),
    widths.map((w) => "─".repeat(w)).join("  "),
    ...rows.slice(1).map(line),
    "",
    `${count(summaries.reduce((n, s) => n + s.events, 0))} events from ${summaries.length} sources in ${seconds(elapsedMs)}.`,
    ...failed.map((s) => `${s.sourceId} failed: ${s.error ?? "unknown error"}`),
  ].join("\n");
}

/** Reads and checks the config file's shape; the collector checks each source itself. */
function readConfig(file: string): FileConfig {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new UsageError(`--config ${file}: cannot read it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  let config: unknown;
  try {
    config = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`--config ${file}: not valid JSON (${(error as Error).message})`);
  }
  if (config === null || typeof config !== "object" || !Array.isArray((config as FileConfig).sources)) {
    throw new UsageError(`--config ${file}: expected an object with a "sources" array (see auditlogs collect --help)`);
  }
  // JSON: no key is undefined, so every key not among these is refused.
  const unknown = unknownKey(config, ["schema", "staleAfterMs", "sources"]);
  if (unknown) {
    // The database is a flag here, not a key of the file.
    const hint = unknown.near ? `: did you mean ${unknown.near}?` : /^(connection|database)/i.test(unknown.key) ? ": the database is the --database flag" : "";
    throw new UsageError(`--config ${file}: unknown key ${JSON.stringify(unknown.key)}${hint} (expected schema, staleAfterMs, sources)`);
  }
  return config as FileConfig;
}

/**
 * The options with every `{ "env": "NAME" }` read from the environment: `read`, called at every
 * run, and `check(vendor)`, called once at the start: a secret-named option written out as a
 * string is refused, every variable must be set now (each run reads it again), and the options
 * must be the vendor's (its factory checks them; a `ConfigError` there is named under `path`).
 */
function fromEnvironment(options: unknown, path: string): { read: () => Record<string, unknown>; check: (vendor: unknown) => void } {
  if (options === null || typeof options !== "object" || Array.isArray(options)) throw new ConfigError("must be an object (the vendor's client options)", path);
  const checkValue = (value: unknown, at: string, key: string): void => {
    if (isEnvRef(value)) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(value.env)) throw new ConfigError(`names an invalid environment variable ${JSON.stringify(value.env)}`, at);
      if (!process.env[value.env]) throw new ConfigError(`environment variable ${value.env} is not set`, at);
      return;
    }
    if (typeof value === "string" && SECRET_KEY.test(key)) {
      throw new ConfigError(`write { "env": "VARIABLE" } and set the secret in that variable; a secret in the config file is refused`, at);
    }
    if (value !== null && typeof value === "object") for (const [k, v] of Object.entries(value)) checkValue(v, `${at}.${k}`, k);
  };
  const substitute = (value: unknown, at: string): unknown => {
    if (isEnvRef(value)) {
      const found = process.env[value.env];
      if (!found) throw new ConfigError(`environment variable ${value.env} is not set`, at);
      return found;
    }
    if (value !== null && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v, `${at}.${k}`)]));
    return value;
  };
  const read = () => substitute(options, path) as Record<string, unknown>;
  const check = (vendor: unknown): void => {
    checkValue(options, path, "");
    try {
      // As the collector makes it at each run: the vendor's own factory (checked a built-in id by now).
      BUILT_IN_VENDORS[vendor as VendorId].createClient(read() as never);
    } catch (error) {
      throw underPath(error, path);
    }
  };
  return { read, check };
}

function isEnvRef(value: unknown): value is { env: string } {
  return value !== null && typeof value === "object" && Object.keys(value).length === 1 && typeof (value as { env?: unknown }).env === "string";
}
