/**
 * `auditlogs export <vendor>`: one vendor's events to stdout or a file, as NDJSON or OCSF, with
 * an optional checkpoint file that makes a scheduled run add only new events.
 */
import { resolve } from "node:path";
import { isDeepStrictEqual } from "node:util";
import {
  createClient,
  toOCSF,
  UserAbortError,
  VENDOR_IDS,
  VERSION,
  type AnyClient,
  type AuditEvent,
  type Checkpoint,
  type ClientOptions,
  type InvalidRecordHandler,
  type EventParams,
  type Page,
  type VendorId,
} from "../../index.js";
import { intFlag, noMorePositionals, parseCommand, timeFlag, UsageError, vendorArg, wantsHelp } from "../args.js";
import { clientOptionsFromEnv, configErrorParts, envConfigError } from "../env.js";
import { CheckpointFile, type SavedState } from "../checkpoint-file.js";
import { Commits } from "../commit.js";
import { coveredLines, invalidRecordLine, recordIndex, type PoisonLine } from "../invalid.js";
import { checkWritableFile, FileLines, OutputClosedError, StreamLines } from "../output.js";
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
                        events are written, each exactly once in --out (and each poison record
                        once in --invalid) even after a kill -9.
                        --since is ignored once FILE exists
  --page-size N         records per request (default: the vendor's maximum: ${wrapHelp(`${pageSizeList()}; Datafold has no pages)`, 24, 24)}
  --max-events N        stop after N events (with --checkpoint, the next run continues after them)
  --invalid FILE        keep records the SDK cannot use (no usable time, nested too deep, a required
                        field missing) in FILE and go on; without it such a record stops the export
                        (exit 1). One NDJSON line per record: {"vendor", "error": {"name", "path",
                        "message", "requestId"}, "record": the record as received}. Overwritten, or
                        appended to with --checkpoint, like --out
  -q, --quiet           no progress and no summary on stderr; errors only
  -h, --help            show this help

Credentials (environment variables; <VENDOR>_BASE_URL overrides any vendor's host):
  pylon      PYLON_API_TOKEN
  zendesk    ZENDESK_SUBDOMAIN, and ZENDESK_EMAIL + ZENDESK_API_TOKEN or ZENDESK_OAUTH_TOKEN
  cortex     CORTEX_API_TOKEN
  datafold   DATAFOLD_API_KEY (DATAFOLD_BASE_URL for eu.datafold.com or a dedicated host)
  jitsudo    JITSUDO_BASE_URL, JITSUDO_API_KEY, JITSUDO_TENANT_ID

Data goes to stdout or --out only; progress (on a terminal) and errors go to stderr.
--out, --checkpoint and --invalid are checked before any request is sent.
Exit codes: 0 done, 1 API or runtime error (or a file that cannot be written), 2 bad usage or
configuration, 130 interrupted (the checkpoint saved).

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
  events(params: EventParams<never>): AsyncIterable<AuditEvent> & { checkpoint(): Checkpoint };
  pages(params: EventParams<never>): AsyncIterable<Page<unknown>> & { checkpoint(): Checkpoint };
}

/** What the command line asks for, checked: every usage error is found before anything else happens. */
interface ExportPlan {
  vendor: VendorId;
  format: Format;
  since: string | undefined;
  until: string | undefined;
  pageSize: number | undefined;
  maxEvents: number | undefined;
  out: string | undefined;
  checkpoint: string | undefined;
  invalid: string | undefined;
  quiet: boolean;
}

/** How a run ended. */
interface ExportOutcome {
  written: number;
  /** Poison records written to `--invalid`. */
  invalid: number;
  pages: number;
  interrupted: boolean;
  failure: unknown;
}

export async function exportCommand(args: string[]): Promise<number> {
  if (wantsHelp(args)) {
    process.stdout.write(EXPORT_HELP);
    return 0;
  }
  const plan = parseExportArgs(args);
  // Poison records the client hands over while it reads a page, written with that page's commit.
  const poison: PoisonLine[] = [];
  const client = exportClient(
    plan.vendor,
    plan.invalid === undefined ? undefined : (record, error) => poison.push({ index: recordIndex(error), line: invalidRecordLine(plan.vendor, record, error) }),
  );
  await checkPaths(plan);
  const checkpoints = plan.checkpoint === undefined ? undefined : new CheckpointFile(plan.checkpoint);
  const saved = await checkpoints?.load();

  const controller = new AbortController();
  const params = eventParams(plan, saved, controller.signal);
  const pages = openPages(client, params, plan);
  const commits = new Commits({
    output: plan.out === undefined ? new StreamLines() : new FileLines(plan.out, { append: checkpoints !== undefined }),
    invalid: plan.invalid === undefined ? undefined : new FileLines(plan.invalid, { append: checkpoints !== undefined }),
    checkpoints,
    saved,
    initial: pages.checkpoint(),
    notify: (message) => {
      if (!plan.quiet) process.stderr.write(`auditlogs: ${message}\n`);
    },
  });

  const started = Date.now();
  const progress = new ProgressLine({ quiet: plan.quiet });
  let interrupted = false;
  const disposeSignals = onInterrupt(() => {
    interrupted = true;
    controller.abort();
  });
  let outcome: ExportOutcome;
  try {
    outcome = await readPages({
      client,
      pages,
      params,
      commits,
      poison,
      maxEvents: plan.maxEvents,
      serialize: serializer(plan.format),
      interrupted: () => interrupted,
      progress: (written, pageCount) =>
        progress.update(`${plan.vendor}: ${count(written)} events · ${plural(pageCount, "page", "pages")} · ${plural(client.stats.retries, "retry", "retries")} · ${seconds(Date.now() - started)}`),
    });
  } finally {
    disposeSignals();
    progress.clear();
  }
  for (const output of [commits.output, commits.invalid]) {
    await output?.close().catch((error: unknown) => {
      outcome.failure ??= error;
    });
  }
  const summary = `${plan.vendor}: ${plural(outcome.written, "event", "events")} (${plural(outcome.pages, "page", "pages")}, ${plural(client.stats.retries, "retry", "retries")}) in ${seconds(Date.now() - started)}${plan.out ? ` → ${plan.out}` : ""}${plan.invalid ? `; ${plural(outcome.invalid, "invalid record", "invalid records")} → ${plan.invalid}` : ""}`;
  return finishExport(plan, commits, outcome, summary);
}

const CREDENTIALS_HINT = "credentials are environment variables, not flags, such as PYLON_API_TOKEN or ZENDESK_SUBDOMAIN";
const BASE_URL_HINT = "a vendor's host is the environment variable <VENDOR>_BASE_URL, such as PYLON_BASE_URL, not a flag";
/** Flags a user may try that are environment variables here (the client options' names, kebab-cased), and what to set instead. */
const NOT_FLAGS: Readonly<Record<string, string>> = {
  "base-url": BASE_URL_HINT,
  "api-token": CREDENTIALS_HINT,
  "api-key": CREDENTIALS_HINT,
  "oauth-token": CREDENTIALS_HINT,
  token: CREDENTIALS_HINT,
  subdomain: CREDENTIALS_HINT,
  email: CREDENTIALS_HINT,
  "tenant-id": CREDENTIALS_HINT,
};

/** Parses and checks the flags. `UsageError` (exit 2) for anything wrong. */
function parseExportArgs(args: string[]): ExportPlan {
  const { values, positionals } = parseCommand("export", args, {
    since: { type: "string" },
    until: { type: "string" },
    out: { type: "string", short: "o" },
    format: { type: "string" },
    checkpoint: { type: "string" },
    "page-size": { type: "string" },
    "max-events": { type: "string" },
    invalid: { type: "string" },
    quiet: { type: "boolean", short: "q" },
    help: { type: "boolean", short: "h" },
  }, NOT_FLAGS);
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
  const out = nonEmpty(values.out, "--out");
  const checkpoint = nonEmpty(values.checkpoint, "--checkpoint");
  const invalid = nonEmpty(values.invalid, "--invalid");
  const files = [["--out", out], ["--checkpoint", checkpoint], ["--invalid", invalid]].filter((f): f is [string, string] => f[1] !== undefined);
  for (const [i, [flag, path]] of files.entries()) {
    const same = files.slice(i + 1).find(([, other]) => resolve(other) === resolve(path));
    if (same) throw new UsageError(`${flag} and ${same[0]} must be different files`);
  }
  return {
    vendor,
    format: format as Format,
    since,
    until,
    pageSize: intFlag(values["page-size"], "--page-size", { min: 1, max: maxPageSize ?? 1 }) ?? maxPageSize,
    maxEvents: intFlag(values["max-events"], "--max-events", { min: 1 }),
    out,
    checkpoint,
    invalid,
    quiet: values.quiet ?? false,
  };
}

/**
 * The vendor's client, its options from the environment (a bad or missing variable: `UsageError`
 * naming it). `onInvalidRecord`: where poison records go instead of stopping the run (`--invalid`).
 */
function exportClient(vendor: VendorId, onInvalidRecord: InvalidRecordHandler | undefined): ExportClient {
  try {
    const options: ClientOptions = { ...clientOptionsFromEnv(vendor, process.env), userAgent: `auditlogs-cli/${VERSION}` };
    if (onInvalidRecord) options.onInvalidRecord = onInvalidRecord;
    const client: AnyClient = createClient(options);
    return client as unknown as ExportClient;
  } catch (error) {
    throw envConfigError(vendor, error, process.env);
  }
}

/** Every file the run will write, checked before any request: a bad path is exit 1 naming it, not a silent run. */
async function checkPaths(plan: ExportPlan): Promise<void> {
  if (plan.out !== undefined) await checkWritableFile(plan.out, "--out");
  if (plan.checkpoint !== undefined) await checkWritableFile(plan.checkpoint, "--checkpoint", { replaced: true });
  if (plan.invalid !== undefined) await checkWritableFile(plan.invalid, "--invalid");
}

function eventParams(plan: ExportPlan, saved: SavedState | undefined, signal: AbortSignal): EventParams<never> {
  const params: EventParams<never> = { signal };
  if (plan.since !== undefined) params.since = plan.since;
  if (plan.until !== undefined) params.until = plan.until;
  if (plan.pageSize !== undefined) params.pageSize = plan.pageSize;
  if (saved !== undefined) params.resumeFrom = saved.checkpoint;
  return params;
}

/** `client.pages(params)`, a `ConfigError` about a param restated with the flag it came from. */
function openPages(client: ExportClient, params: EventParams<never>, plan: ExportPlan): ReturnType<ExportClient["pages"]> {
  try {
    return client.pages(params);
  } catch (error) {
    throw paramsConfigError(error, plan.checkpoint);
  }
}

function serializer(format: Format): (event: AuditEvent) => string {
  return format === "ocsf" ? (event) => JSON.stringify(toOCSF(event)) : (event) => JSON.stringify(event);
}

/**
 * The export loop: each page's events written and committed with the page's checkpoint, until
 * the stream ends, `--max-events` is reached, Ctrl-C, or an error (returned, not thrown, so the
 * caller can still report what was committed).
 */
async function readPages(run: {
  client: ExportClient;
  pages: AsyncIterable<Page<unknown>> & { checkpoint(): Checkpoint };
  params: EventParams<never>;
  commits: Commits;
  /** Lines for `--invalid` the client produced since the last commit (filled by `onInvalidRecord`). */
  poison: PoisonLine[];
  maxEvents: number | undefined;
  serialize: (event: AuditEvent) => string;
  interrupted: () => boolean;
  progress: (written: number, pages: number) => void;
}): Promise<ExportOutcome> {
  const { commits, poison, maxEvents = Infinity } = run;
  const outcome: ExportOutcome = { written: 0, invalid: 0, pages: 0, interrupted: false, failure: undefined };
  try {
    for await (const page of run.pages) {
      outcome.pages += 1;
      const room = maxEvents - outcome.written;
      const { events, checkpoint, invalid } = page.events.length <= room ? whole(page, poison) : await cut(run, page, room);
      await commits.commit(events.map(run.serialize), checkpoint, invalid);
      outcome.written += events.length;
      outcome.invalid += invalid.length;
      run.progress(outcome.written, outcome.pages);
      if (outcome.written >= maxEvents || run.interrupted()) break;
    }
    // The stream ended: its checkpoint is now the watermark the next run starts from.
    if (!run.interrupted() && outcome.written < maxEvents) await commits.save(run.pages.checkpoint());
    await commits.start();
  } catch (error) {
    const aborted = run.interrupted() && (UserAbortError.isInstance(error) || run.params.signal?.aborted);
    if (!aborted) outcome.failure = error;
  }
  outcome.interrupted = run.interrupted();
  return outcome;
}

/** What one page commits: its events, the checkpoint after them, and the poison records that checkpoint covers. */
interface PageCommit {
  events: AuditEvent[];
  checkpoint: unknown;
  invalid: string[];
}

/** A whole page: its checkpoint covers every record of it, so every poison record it held. */
function whole(page: Page<unknown>, poison: PoisonLine[]): PageCommit {
  return { events: page.events, checkpoint: page.checkpoint, invalid: poison.splice(0).map((p) => p.line) };
}

/**
 * The page's first `room` events (`--max-events`), and only the poison records before the last
 * of them: a record past the cut is read again by the next run (with `--checkpoint`) or was never
 * asked for (without), so writing it now would keep it twice, or beyond the cut.
 */
async function cut(run: { client: ExportClient; params: EventParams<never>; commits: Commits; poison: PoisonLine[] }, page: Page<unknown>, room: number): Promise<PageCommit> {
  const { commits, poison } = run;
  if (!commits.checkpoints) {
    const events = page.events.slice(0, room);
    // The record after the last event kept: an event's `raw` is its record as received.
    const skip = room === 0 ? 0 : page.records.indexOf(events[room - 1]!.raw) + 1;
    return { events, checkpoint: page.checkpoint, invalid: coveredLines(poison.splice(0), skip) };
  }
  // The re-read hands the page's poison records over again: only that copy is kept.
  poison.length = 0;
  const { events, checkpoint } = await firstEvents(run.client, run.params, commits.committed, room);
  const reread = poison.splice(0);
  const position = checkpoint.position;
  // Read again from where this page started, the cut lies in this same page (its state): the
  // checkpoint covers its records before `skip`. Had the server changed the data so that the
  // re-read went on into another page, every poison record it handed over is kept (maybe a
  // record twice on the rerun, never one lost).
  const samePage = position !== null && page.checkpoint.position !== null && isDeepStrictEqual(position.state, page.checkpoint.position.state);
  return { events, checkpoint, invalid: samePage ? coveredLines(reread, position.skip) : reread.map((p) => p.line) };
}

/**
 * The first `n` events after checkpoint `from`, and the checkpoint right after the last of them:
 * when a page holds more events than `--max-events` leaves room for, its own checkpoint covers too
 * many, so they are read again through `events()`, whose checkpoint is exact after any event.
 */
async function firstEvents(client: ExportClient, params: EventParams<never>, from: unknown, n: number): Promise<{ events: AuditEvent[]; checkpoint: Checkpoint }> {
  const stream = client.events({ ...params, resumeFrom: from });
  const events: AuditEvent[] = [];
  if (n > 0) {
    for await (const event of stream) {
      events.push(event);
      if (events.length >= n) break;
    }
  }
  return { events, checkpoint: stream.checkpoint() };
}

/** The summary on stderr and the exit code (DESIGN §7); an error is thrown on, after saying what was committed. */
async function finishExport(plan: ExportPlan, commits: Commits, outcome: ExportOutcome, summary: string): Promise<number> {
  const checkpoints = commits.checkpoints;
  if (outcome.failure !== undefined) {
    if (checkpoints && checkpoints.saves > 0) {
      // `| head` closing the pipe is a quiet stop (exit 0), not an error.
      const why = outcome.failure instanceof OutputClosedError ? "stopped when the reader closed the output" : "before the error";
      if (!(plan.quiet && outcome.failure instanceof OutputClosedError)) {
        process.stderr.write(`auditlogs: ${summary} ${why}; checkpoint saved in ${checkpoints.path}: rerun to continue\n`);
      }
    }
    throw outcome.failure;
  }
  if (outcome.interrupted) {
    if (checkpoints) await commits.save();
    process.stderr.write(`auditlogs: interrupted; ${summary}${checkpoints ? `; checkpoint saved in ${checkpoints.path}: rerun the same command to continue` : ""}\n`);
    return 130;
  }
  if (!plan.quiet) process.stderr.write(`${summary}${checkpoints ? `; checkpoint saved in ${checkpoints.path}` : ""}\n`);
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
