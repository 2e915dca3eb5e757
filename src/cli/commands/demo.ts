/**
 * `auditlogs demo`: the simulator serves all five vendors on loopback (with a few injected
 * faults), and the library exports every event through its public API, exactly as a user's code
 * would: one client per vendor, `pages()`, retries and rate limits included.
 */
import { createClient, VENDOR_IDS, VERSION, type AuditEvent, type EventParams, type Page, type VendorId } from "../../index.js";
import { createSimulator, type Simulator, type SimulatorServer } from "../../testing/index.js";
import { intFlag, noMorePositionals, numberFlag, parseCommand, UsageError, wantsHelp } from "../args.js";
import { checkWritableFile, FileLines } from "../output.js";
import { count, plural, ProgressLine, seconds } from "../progress.js";
import { MAX_PAGE_SIZE } from "../page-size.js";
import { onInterrupt } from "../signals.js";

const DEFAULT_OUT = "auditlogs-demo.ndjson";
const DEFAULT_EVENTS = 1000;
const DEFAULT_FAULT_RATE = 0.1;
const SPAN_DAYS = 30;
const DAY_MS = 86_400_000;

export const DEMO_HELP = `Usage: auditlogs demo [options]

Starts the built-in simulator of all five vendors (${VENDOR_IDS.join(", ")}) on 127.0.0.1, with
a few injected faults (429s, 5xx, dropped connections), exports every event through the library,
prints a summary per vendor and writes the events as NDJSON. Nothing leaves your machine.

Options:
  --out FILE            where to write the events (default ${DEFAULT_OUT}; overwritten)
  --events N            events per vendor (default ${count(DEFAULT_EVENTS)}, at most 20,000)
  --seed N              simulator seed: the same seed serves the same data (default 1)
  --fault-rate R        share of requests that fail, from 0 to 0.5 (default ${DEFAULT_FAULT_RATE})
  -q, --quiet           no progress and no summary; errors only
  -h, --help            show this help
`;

// Pages of 100 for the default 1,000 events: enough requests for the injected faults to show.
// Larger runs get larger pages (up to each vendor's maximum), about ten pages per vendor.
// Pylon allows 60 requests a minute, and the client and the simulator both hold to it. A demo
// that would need more than this many Pylon pages raises both limits rather than wait.
const PYLON_PAGES_WITHIN_LIMIT = 50;

function pageSizeFor(vendor: VendorId, eventsPerVendor: number): number | undefined {
  const max = MAX_PAGE_SIZE[vendor];
  return max === undefined ? undefined : Math.min(max, Math.max(100, Math.ceil(eventsPerVendor / 10)));
}

interface VendorRun {
  vendor: VendorId;
  served: number;
  events: number;
  pages: number;
  /** Faults the simulator injected into this vendor's responses. */
  faults: number;
  retries: number;
  elapsedMs: number;
  done: boolean;
  ids: Set<string>;
}

/** What the demo needs of a client, whatever its vendor. */
interface DemoClient {
  readonly stats: { readonly retries: number };
  pages(params: EventParams<never>): AsyncIterable<Page<unknown>>;
}

/** The flags, checked. */
interface DemoPlan {
  out: string;
  eventsPerVendor: number;
  seed: number;
  faultRate: number;
  quiet: boolean;
}

/** The simulator serving the demo, and what the clients need to read all of it. */
interface DemoSource {
  sim: Simulator;
  server: SimulatorServer;
  since: string;
  /** Pylon's raised limit, when the demo needs more pages than 60 a minute allows. */
  pylonLimit: number | undefined;
}

export async function demoCommand(args: string[]): Promise<number> {
  if (wantsHelp(args)) {
    process.stdout.write(DEMO_HELP);
    return 0;
  }
  const plan = parseDemoArgs(args);
  // Before the simulator starts: a bad --out is one line and exit 1, never a demo with nowhere to write.
  await checkWritableFile(plan.out, "--out");
  const source = await startSimulator(plan);

  const controller = new AbortController();
  let interrupted = false;
  const disposeSignals = onInterrupt(() => {
    interrupted = true;
    controller.abort();
  });
  const progress = new ProgressLine({ quiet: plan.quiet });
  const writer = new FileLines(plan.out);
  const started = Date.now();
  const runs: VendorRun[] = VENDOR_IDS.map((vendor) => ({ vendor, served: source.sim.events[vendor].length, events: 0, pages: 0, faults: 0, retries: 0, elapsedMs: 0, done: false, ids: new Set<string>() }));
  const showProgress = () => progress.update(progressText(runs, Date.now() - started));

  let failure: unknown;
  try {
    await writer.open();
    const results = await Promise.allSettled(
      runs.map((run) =>
        exportVendor(run, { source, plan, writer, signal: controller.signal, showProgress }).catch((error: unknown) => {
          // One vendor failing ends the demo: stop the others rather than wait for them.
          controller.abort();
          throw error;
        }),
      ),
    );
    const rejected = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (rejected && !interrupted) failure = rejected.reason;
  } catch (error) {
    failure = error;
  } finally {
    disposeSignals();
    progress.clear();
    await writer.close().catch((error: unknown) => {
      failure ??= error;
    });
    await source.server.close();
  }
  if (interrupted) {
    process.stderr.write(`auditlogs: demo interrupted; ${count(writer.lines)} events written to ${plan.out}\n`);
    return 130;
  }
  if (failure !== undefined) throw failure;
  if (!plan.quiet) process.stdout.write(summaryTable(runs, Date.now() - started, plan.out) + "\n");
  checkExactlyOnce(runs);
  return 0;
}

function parseDemoArgs(args: string[]): DemoPlan {
  const { values, positionals } = parseCommand("demo", args, {
    out: { type: "string", short: "o" },
    events: { type: "string" },
    seed: { type: "string" },
    "fault-rate": { type: "string" },
    quiet: { type: "boolean", short: "q" },
    help: { type: "boolean", short: "h" },
  });
  noMorePositionals(positionals, 0, "demo");
  const out = values.out ?? DEFAULT_OUT;
  if (out.trim() === "") throw new UsageError("--out needs a file name");
  return {
    out,
    // The simulator builds its data up front; beyond 20,000 events per vendor that takes a while.
    eventsPerVendor: intFlag(values.events, "--events", { min: 1, max: 20_000 }) ?? DEFAULT_EVENTS,
    seed: intFlag(values.seed, "--seed", { min: 0 }) ?? 1,
    faultRate: numberFlag(values["fault-rate"], "--fault-rate", { min: 0, max: 0.5 }) ?? DEFAULT_FAULT_RATE,
    quiet: values.quiet ?? false,
  };
}

/** The simulator of all five vendors on loopback, with the demo's faults. */
async function startSimulator(plan: DemoPlan): Promise<DemoSource> {
  // Events end a few minutes ago: Zendesk refuses a time bound 60 s or less in the past.
  const endAt = new Date(Math.floor(Date.now() / 60_000) * 60_000 - 5 * 60_000);
  const since = new Date(endAt.getTime() - (SPAN_DAYS + 1) * DAY_MS).toISOString();
  const pylonPages = Math.ceil(plan.eventsPerVendor / pageSizeFor("pylon", plan.eventsPerVendor)!);
  const pylonLimit = pylonPages > PYLON_PAGES_WITHIN_LIMIT ? pylonPages * 2 : undefined;
  const sim = createSimulator({
    eventsPerVendor: plan.eventsPerVendor,
    seed: plan.seed,
    endAt,
    spanDays: SPAN_DAYS,
    faults: { rate: plan.faultRate, slowMs: 1_000 },
    ...(pylonLimit ? { rateLimit: { pylon: pylonLimit } } : {}),
  });
  return { sim, server: await sim.listen({ port: 0 }), since, pylonLimit };
}

/** One vendor's export through the public API, exactly as a user's code would read it. */
async function exportVendor(
  run: VendorRun,
  demo: { source: DemoSource; plan: DemoPlan; writer: FileLines; signal: AbortSignal; showProgress: () => void },
): Promise<void> {
  const { source, plan, writer } = demo;
  const client = createClient({
    vendor: run.vendor,
    ...source.server.credentials[run.vendor],
    userAgent: `auditlogs-demo/${VERSION}`,
    // Faults are injected on purpose: allow a few more retries than the default 3, and a short
    // timeout so an injected slow response costs seconds, not a minute.
    maxRetries: 6,
    timeoutMs: 5_000,
    ...(run.vendor === "pylon" && source.pylonLimit ? { rateLimit: { requestsPerMinute: source.pylonLimit } } : {}),
  } as Parameters<typeof createClient>[0]) as unknown as DemoClient;
  const params: EventParams<never> = { since: source.since, signal: demo.signal };
  const pageSize = pageSizeFor(run.vendor, plan.eventsPerVendor);
  if (pageSize !== undefined) params.pageSize = pageSize;
  // Datafold reads one time window per request: three days per window, about ten for the month
  // (a window with too many events for one answer is split by the client).
  if (run.vendor === "datafold") params.windowMs = 3 * DAY_MS;
  const vendorStarted = Date.now();
  try {
    for await (const page of client.pages(params)) {
      run.pages += 1;
      await writer.writeLines(page.events.map((event: AuditEvent) => JSON.stringify(event)));
      for (const event of page.events) run.ids.add(event.id);
      run.events += page.events.length;
      run.retries = client.stats.retries;
      demo.showProgress();
    }
  } finally {
    run.retries = client.stats.retries;
    run.faults = source.sim.stats.faults[run.vendor];
    run.elapsedMs = Date.now() - vendorStarted;
  }
  run.done = true;
  demo.showProgress();
}

function progressText(runs: VendorRun[], elapsedMs: number): string {
  const done = runs.reduce((n, r) => n + r.events, 0);
  const served = runs.reduce((n, r) => n + r.served, 0);
  const parts = runs.map((r) => `${r.vendor} ${r.done ? "✓" : `${Math.floor((100 * r.events) / Math.max(1, r.served))}%`}`);
  return `${count(done)}/${count(served)}  ${parts.join("  ")}  ${seconds(elapsedMs)}`;
}

/** The demo checks itself: every served event exported exactly once. */
function checkExactlyOnce(runs: VendorRun[]): void {
  const wrong = runs.filter((r) => r.events !== r.served || r.ids.size !== r.events);
  if (wrong.length > 0) {
    throw new Error(`demo check failed: ${wrong.map((r) => `${r.vendor} exported ${r.events} events (${r.ids.size} distinct) of ${r.served} served`).join("; ")}`);
  }
}

function summaryTable(runs: VendorRun[], elapsedMs: number, out: string): string {
  const rows = [
    ["vendor", "events", "pages", "faults", "retries", "elapsed"],
    ...runs.map((r) => [r.vendor, count(r.events), count(r.pages), count(r.faults), count(r.retries), seconds(r.elapsedMs)]),
    [
      "total",
      count(runs.reduce((n, r) => n + r.events, 0)),
      count(runs.reduce((n, r) => n + r.pages, 0)),
      count(runs.reduce((n, r) => n + r.faults, 0)),
      count(runs.reduce((n, r) => n + r.retries, 0)),
      seconds(elapsedMs),
    ],
  ];
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  const line = (row: string[]) => row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join("  ");
  const rule = widths.map((w) => "─".repeat(w)).join("  ");
  const total = runs.reduce((n, r) => n + r.events, 0);
  const retries = runs.reduce((n, r) => n + r.retries, 0);
  const faults = runs.reduce((n, r) => n + r.faults, 0);
  return [
    line(rows[0]!),
    rule,
    ...rows.slice(1, -1).map(line),
    rule,
    line(rows[rows.length - 1]!),
    "",
    `${count(total)} events written to ${out}, one normalized AuditEvent per line (the vendor's record in "raw").`,
    runs.every((r) => r.events === r.served && r.ids.size === r.events)
      ? `Every event the simulator served was exported exactly once${faults > 0 ? `, through ${plural(faults, "injected fault", "injected faults")} and ${plural(retries, "retry", "retries")}` : ""}.`
      : "Some events are missing or repeated: see the error below.",
    `Next: auditlogs simulate, then auditlogs export <vendor> against it (see auditlogs export --help).`,
  ].join("\n");
}
