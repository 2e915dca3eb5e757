/**
 * `auditlogs export <vendor>`: one vendor's events to stdout or a file, as NDJSON or OCSF, with
 * an optional checkpoint file that makes a scheduled run add only new events.
 */
import {
  createClient,
  toOCSF,
  UserAbortError,
  VENDOR_IDS,
  VERSION,
  type AnyClient,
  type AuditEvent,
  type Checkpoint,
  type EventParams,
  type Page,
  type VendorId,
} from "../../index.js";
import { intFlag, noMorePositionals, parseCommand, timeFlag, UsageError, vendorArg, wantsHelp } from "../args.js";
import { clientOptionsFromEnv, configErrorParts, envConfigError } from "../env.js";
import { CheckpointFile, LineWriter, loadCheckpoint } from "../output.js";
import { count, plural, ProgressLine, seconds } from "../progress.js";
import { MAX_PAGE_SIZE, pageSizeList, wrapHelp } from "../page-size.js";
import { onInterrupt } from "../signals.js";

export const EXPORT_HELP = `Usage: auditlogs export <vendor> [options]

Exports one vendor's audit events, oldest first where the vendor allows, one JSON object per
line. <vendor> is one of: ${VENDOR_IDS.join(", ")}.

Options:
  --since TIME          start, inclusive: 2026-01-01T00:00:00Z, 2026-01-01 (UTC) or 7d / 24h / 90m ago
                        (default: the start of the vendor's retention; Datafold: 365 days ago)
  --until TIME          end, exclusive (default: now; Zendesk: now minus 61 s)
  --out FILE            write to FILE instead of stdout. Overwrites FILE, except with --checkpoint,
                        where it appends
  --format FORMAT       ndjson (default): normalized AuditEvent objects, the vendor's record in "raw"
                        ocsf: OCSF 1.3 API Activity objects (class_uid 6003)
  --checkpoint FILE     resume from FILE if it exists; save it after every page and on Ctrl-C.
                        Rerun the same command to pick up where the last run ended: only new
                        events are written. --since is ignored once FILE exists
  --page-size N         records per request (default: the vendor's maximum: ${wrapHelp(`${pageSizeList()}; Datafold has no pages)`, 24, 24)}
  --max-events N        stop after N events (with --checkpoint, the next run continues after them)
  -q, --quiet           no progress and no summary on stderr; errors only
  -h, --help            show this help

Credentials (environment variables; <VENDOR>_BASE_URL overrides any vendor's host):
  pylon      PYLON_API_TOKEN
  zendesk    ZENDESK_SUBDOMAIN, and ZENDESK_EMAIL + ZENDESK_API_TOKEN or ZENDESK_OAUTH_TOKEN
  cortex     CORTEX_API_TOKEN
  datafold   DATAFOLD_API_KEY (DATAFOLD_BASE_URL for eu.datafold.com or a dedicated host)
  jitsudo    JITSUDO_BASE_URL, JITSUDO_API_KEY, JITSUDO_TENANT_ID

Data goes to stdout or --out only; progress (on a terminal) and errors go to stderr.
Exit codes: 0 done, 1 API or runtime error, 2 bad usage or configuration, 130 interrupted.

Examples:
  PYLON_API_TOKEN=... auditlogs export pylon --since 7d --out pylon.ndjson
  auditlogs export zendesk --checkpoint zendesk.checkpoint.json --out zendesk.ndjson   # hourly cron
  auditlogs export cortex --format ocsf | your-siem-forwarder
`;


const FORMATS = ["ndjson", "ocsf"] as const;
type Format = (typeof FORMATS)[number];

/** A vendor-agnostic view of a client: what the export loop uses. */
interface ExportClient {
  readonly vendor: VendorId;
  readonly stats: { readonly requests: number; readonly retries: number };
  events(params: EventParams<never>): AsyncIterable<AuditEvent> & { checkpoint(): Checkpoint; toArray(options: { limit: number }): Promise<AuditEvent[]> };
  pages(params: EventParams<never>): AsyncIterable<Page<unknown>> & { checkpoint(): Checkpoint };
}

export async function exportCommand(args: string[]): Promise<number> {
  if (wantsHelp(args)) {
    process.stdout.write(EXPORT_HELP);
    return 0;
  }
  const { values, positionals } = parseCommand("export", args, {
    since: { type: "string" },
    until: { type: "string" },
    out: { type: "string", short: "o" },
    format: { type: "string" },
    checkpoint: { type: "string" },
    "page-size": { type: "string" },
    "max-events": { type: "string" },
    quiet: { type: "boolean", short: "q" },
    help: { type: "boolean", short: "h" },
  });

  // Everything is checked before anything is written.
  const vendor = vendorArg(positionals[0], "export");
  noMorePositionals(positionals, 1, "export");
  const format = (values.format ?? "ndjson").toLowerCase();
  if (!(FORMATS as readonly string[]).includes(format)) {
    throw new UsageError(`--format must be ${FORMATS.join(" or ")} (got ${JSON.stringify(values.format)})`);
  }
  const now = Date.now();
  const since = timeFlag(values.since, "--since", now);
  const until = timeFlag(values.until, "--until", now);
  if (since !== undefined && until !== undefined && Date.parse(since) >= Date.parse(until)) {
    throw new UsageError(`--since (${since}) must be earlier than --until (${until})`);
  }
  if (since !== undefined && until === undefined && Date.parse(since) >= now) {
    throw new UsageError(`--since (${since}) must be in the past`);
  }
  const maxPageSize = MAX_PAGE_SIZE[vendor];
  if (values["page-size"] !== undefined && maxPageSize === undefined) {
    throw new UsageError(`--page-size: ${vendor} has no pages (it answers one time window per request)`);
  }
  const pageSize = intFlag(values["page-size"], "--page-size", { min: 1, max: maxPageSize ?? 1 }) ?? maxPageSize;
  const maxEvents = intFlag(values["max-events"], "--max-events", { min: 1 });
  const out = nonEmpty(values.out, "--out");
  const checkpointPath = nonEmpty(values.checkpoint, "--checkpoint");
  if (out !== undefined && checkpointPath !== undefined && out === checkpointPath) {
    throw new UsageError("--out and --checkpoint must be different files");
  }

  let client: ExportClient;
  try {
    const anyClient: AnyClient = createClient({ ...clientOptionsFromEnv(vendor, process.env), userAgent: `auditlogs-cli/${VERSION}` });
    client = anyClient as unknown as ExportClient;
  } catch (error) {
    throw envConfigError(vendor, error);
  }

  const checkpointFile = checkpointPath === undefined ? undefined : new CheckpointFile(checkpointPath);
  const resumeFrom = checkpointFile ? await loadCheckpoint(checkpointFile.path) : undefined;
  await checkpointFile?.probe();

  const controller = new AbortController();
  const params: EventParams<never> = { signal: controller.signal };
  if (since !== undefined) params.since = since;
  if (until !== undefined) params.until = until;
  if (pageSize !== undefined) params.pageSize = pageSize;
  if (resumeFrom !== undefined) params.resumeFrom = resumeFrom;
  let pages: ReturnType<ExportClient["pages"]>;
  try {
    pages = client.pages(params);
  } catch (error) {
    throw paramsConfigError(error, checkpointPath);
  }

  const serialize = (format as Format) === "ocsf" ? (e: AuditEvent) => JSON.stringify(toOCSF(e)) : (e: AuditEvent) => JSON.stringify(e);
  const writer = new LineWriter({ file: out, append: checkpointFile !== undefined });
  const progress = new ProgressLine({ quiet: values.quiet ?? false });
  const started = Date.now();
  let written = 0;
  let pageCount = 0;
  // The checkpoint that matches what has been written: it moves only after a page's lines are out.
  let committed = pages.checkpoint();
  let interrupted = false;
  let failure: unknown;
  const disposeSignals = onInterrupt(() => {
    interrupted = true;
    controller.abort();
  });

  try {
    for await (const page of pages) {
      pageCount += 1;
      let events = page.events;
      let checkpoint = page.checkpoint;
      const room = maxEvents === undefined ? Infinity : maxEvents - written;
      if (events.length > room) {
        if (checkpointFile) {
          // The page's checkpoint covers all of it: read the first `room` events again from the
          // checkpoint before it, so the saved checkpoint ends exactly after the last one written.
          const again = client.events({ ...params, resumeFrom: committed });
          events = await again.toArray({ limit: room });
          checkpoint = again.checkpoint();
        } else {
          events = events.slice(0, room);
        }
      }
      await writer.writeLines(events.map(serialize));
      written += events.length;
      committed = checkpoint;
      await checkpointFile?.save(committed);
      progress.update(`${vendor}: ${count(written)} events · ${plural(pageCount, "page", "pages")} · ${plural(client.stats.retries, "retry", "retries")} · ${seconds(Date.now() - started)}`);
      if (written >= (maxEvents ?? Infinity) || interrupted) break;
    }
    if (!interrupted && written < (maxEvents ?? Infinity)) {
      // The stream ended: its checkpoint is now the watermark the next run starts from.
      committed = pages.checkpoint();
      await checkpointFile?.save(committed);
    }
    await writer.open();
  } catch (error) {
    if (!interrupted || !(UserAbortError.isInstance(error) || controller.signal.aborted)) failure = error;
  } finally {
    disposeSignals();
    progress.clear();
  }
  await writer.close().catch((error: unknown) => {
    failure ??= error;
  });

  const summary = `${vendor}: ${plural(written, "event", "events")} (${plural(pageCount, "page", "pages")}, ${plural(client.stats.retries, "retry", "retries")}) in ${seconds(Date.now() - started)}${out ? ` → ${out}` : ""}`;
  if (failure !== undefined) {
    if (checkpointFile && checkpointFile.saves > 0) {
      await checkpointFile.save(committed).catch(() => undefined);
      process.stderr.write(`auditlogs: ${summary} before the error; checkpoint saved in ${checkpointFile.path}: rerun to continue\n`);
    }
    throw failure;
  }
  if (interrupted) {
    if (checkpointFile) await checkpointFile.save(committed);
    process.stderr.write(
      `auditlogs: interrupted; ${summary}${checkpointFile ? `; checkpoint saved in ${checkpointFile.path}: rerun the same command to continue` : ""}\n`,
    );
    return 130;
  }
  if (!values.quiet) process.stderr.write(`${summary}${checkpointFile ? `; checkpoint saved in ${checkpointFile.path}` : ""}\n`);
  return 0;
}

function nonEmpty(value: string | undefined, flag: string): string | undefined {
  if (value !== undefined && value.trim() === "") throw new UsageError(`${flag} needs a file name`);
  return value;
}

const PARAM_FLAGS: Record<string, string> = { since: "--since", until: "--until", pageSize: "--page-size" };

/** A library `ConfigError` about `events()` params, restated with the flag it came from. */
function paramsConfigError(error: unknown, checkpointPath: string | undefined): unknown {
  const config = configErrorParts(error);
  if (!config) return error;
  if (config.option === "resumeFrom" && checkpointPath !== undefined) return new UsageError(`--checkpoint ${checkpointPath}: ${config.detail}`);
  const flag = PARAM_FLAGS[config.option];
  return flag ? new UsageError(`${flag} ${config.detail}`) : error;
}
