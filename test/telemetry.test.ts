// DESIGN §15 OpenTelemetry: with @opentelemetry/api present and providers registered, a span
// per page request (`auditlogs.page`) and the metrics auditlogs.events / requests / retries /
// throttled / ratelimit.wait_ms, read here with the SDK's in-memory exporters. No credential,
// tenant id or subdomain in any attribute. Without the package (a child process that cannot
// resolve it) reading works and nothing is loaded; with it, nothing is loaded at import.
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { context, metrics, trace, SpanKind, SpanStatusCode } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader, type DataPoint, type Histogram } from "@opentelemetry/sdk-metrics";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { HttpResponse } from "msw";
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { AuthenticationError, createClient, VENDOR_IDS, type ClientOptions } from "../src/index.js";
import { recordSourceLag } from "../src/core/telemetry.js";
import { createSimulator } from "../src/testing/index.js";
import { client, fakeClock, page, readAll, record, rejectionOf, serve, NEEDLES, VENDORS } from "./http-fixtures.js";

const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

let spans: InMemorySpanExporter;
let tracerProvider: BasicTracerProvider;
let metricExporter: InMemoryMetricExporter;
let reader: PeriodicExportingMetricReader;
let meterProvider: MeterProvider;

beforeEach(() => {
  spans = new InMemorySpanExporter();
  tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] });
  trace.setGlobalTracerProvider(tracerProvider);
  metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  // Exported on forceFlush() only: the interval is longer than any test.
  reader = new PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: 3_600_000 });
  meterProvider = new MeterProvider({ readers: [reader] });
  metrics.setGlobalMeterProvider(meterProvider);
});

afterEach(async () => {
  await tracerProvider.shutdown();
  await meterProvider.shutdown();
  trace.disable();
  metrics.disable();
  context.disable();
});

const pageSpans = (): ReadableSpan[] => spans.getFinishedSpans().filter((span) => span.name === "auditlogs.page");

/** Every data point of the metric `name` (all scopes), after a flush. */
async function points(name: string): Promise<Array<DataPoint<number | Histogram>>> {
  await reader.forceFlush();
  const out: Array<DataPoint<number | Histogram>> = [];
  for (const resourceMetrics of metricExporter.getMetrics()) {
    for (const scope of resourceMetrics.scopeMetrics) {
      for (const metric of scope.metrics) if (metric.descriptor.name === name) out.push(...(metric.dataPoints as Array<DataPoint<number | Histogram>>));
    }
  }
  return out;
}

/** The last export's total of a counter, per attribute set (as JSON). */
async function counter(name: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  const all = await points(name);
  // Cumulative: the last export holds the totals; earlier exports repeat smaller ones.
  for (const point of all) out[JSON.stringify(point.attributes)] = point.value as number;
  return out;
}

/** Pylon pages of `perPage` records each, `pages` of them, cursors c1, c2, … */
function pylonPages(pages: number, perPage: number, reply?: (n: number) => Response | undefined) {
  return serve(server, "pylon", (req, n) => {
    const early = reply?.(n);
    if (early) return early;
    const at = Number(new URL(req.url).searchParams.get("cursor")?.slice(1) ?? 0);
    const records = Array.from({ length: perPage }, (_, i) => record("pylon", at * perPage + i));
    return HttpResponse.json({ ...page("pylon", records, at < pages - 1 ? `c${at + 1}` : undefined), request_id: `req-${at}` });
  });
}

describe("spans", () => {
  test("one auditlogs.page span per page request: vendor, status, retries, request id, events", async () => {
    pylonPages(3, 4);
    const events = await readAll(client("pylon", { rateLimit: false }));
    expect(events).toHaveLength(12);
    const finished = pageSpans();
    expect(finished).toHaveLength(3);
    for (const [i, span] of finished.entries()) {
      expect(span.kind).toBe(SpanKind.CLIENT);
      expect(span.status.code).not.toBe(SpanStatusCode.ERROR);
      expect(span.attributes).toEqual({
        "auditlogs.vendor": "pylon",
        "http.response.status_code": 200,
        "auditlogs.retries": 0,
        "auditlogs.request_id": `req-${i}`,
        "auditlogs.events": 4,
      });
    }
  });

  test("a page that took retries says how many; the span covers them all", async () => {
    pylonPages(1, 2, (n) => (n <= 2 ? HttpResponse.json({}, { status: 503 }) : undefined));
    await readAll(client("pylon", { rateLimit: false }));
    const [span] = pageSpans();
    expect(pageSpans()).toHaveLength(1);
    expect(span!.attributes["auditlogs.retries"]).toBe(2);
    expect(span!.attributes["http.response.status_code"]).toBe(200);
  });

  test("a failed page: status ERROR, the HTTP status and the error's class, not its message", async () => {
    serve(server, "pylon", () => HttpResponse.json({ error: "bad token" }, { status: 401, headers: { "x-request-id": "req-401" } }));
    const error = await rejectionOf(readAll(client("pylon", { rateLimit: false })));
    expect(error).toBeInstanceOf(AuthenticationError);
    const [span] = pageSpans();
    expect(span!.status).toEqual({ code: SpanStatusCode.ERROR });
    expect(span!.attributes).toMatchObject({ "auditlogs.vendor": "pylon", "http.response.status_code": 401, "auditlogs.request_id": "req-401", "error.type": "AuthenticationError" });
    expect(span!.events).toEqual([]);
  });

  test("page spans are children of the caller's active span", async () => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    pylonPages(2, 1);
    const tracer = trace.getTracer("app");
    await tracer.startActiveSpan("export", async (parent) => {
      await readAll(client("pylon", { rateLimit: false }));
      parent.end();
    });
    const exportSpan = spans.getFinishedSpans().find((span) => span.name === "export")!;
    expect(pageSpans()).toHaveLength(2);
    for (const span of pageSpans()) {
      expect(span.spanContext().traceId).toBe(exportSpan.spanContext().traceId);
      expect(span.parentSpanContext?.spanId).toBe(exportSpan.spanContext().spanId);
    }
  });

  test("every vendor gets its page spans", async () => {
    for (const vendor of VENDORS) {
      serve(server, vendor, () => HttpResponse.json(page(vendor, [record(vendor, 1), record(vendor, 2)])));
      await readAll(client(vendor, { rateLimit: false }));
    }
    expect(pageSpans().map((span) => [span.attributes["auditlogs.vendor"], span.attributes["auditlogs.events"]])).toEqual(VENDORS.map((vendor) => [vendor, 2]));
  });
});

describe("metrics", () => {
  test("auditlogs.events and auditlogs.requests count records and attempts, per vendor", async () => {
    pylonPages(3, 5);
    await readAll(client("pylon", { rateLimit: false }));
    expect(await counter("auditlogs.events")).toEqual({ [JSON.stringify({ "auditlogs.vendor": "pylon" })]: 15 });
    expect(await counter("auditlogs.requests")).toEqual({ [JSON.stringify({ "auditlogs.vendor": "pylon", "http.response.status_code": 200 })]: 3 });
    expect(await counter("auditlogs.retries")).toEqual({});
    expect(await counter("auditlogs.throttled")).toEqual({});
  });

  test("a 429 then a 500 then success: two retries, one throttled, three requests by status", async () => {
    pylonPages(1, 1, (n) => (n === 1 ? new HttpResponse("slow down", { status: 429, headers: { "retry-after": "1" } }) : n === 2 ? HttpResponse.json({}, { status: 500 }) : undefined));
    await readAll(client("pylon", { rateLimit: false }));
    const vendor = JSON.stringify({ "auditlogs.vendor": "pylon" });
    expect(await counter("auditlogs.retries")).toEqual({ [vendor]: 2 });
    expect(await counter("auditlogs.throttled")).toEqual({ [vendor]: 1 });
    const byStatus = (status: number) => JSON.stringify({ "auditlogs.vendor": "pylon", "http.response.status_code": status });
    expect(await counter("auditlogs.requests")).toEqual({ [byStatus(429)]: 1, [byStatus(500)]: 1, [byStatus(200)]: 1 });
  });

  test("a network failure is a request without a status", async () => {
    let calls = 0;
    const flaky = (async () => {
      calls += 1;
      if (calls === 1) throw new TypeError("fetch failed");
      return Response.json(page("pylon", [record("pylon", 1)]));
    }) as unknown as typeof fetch;
    await readAll(client("pylon", { rateLimit: false, fetch: flaky }));
    expect(await counter("auditlogs.requests")).toEqual({
      [JSON.stringify({ "auditlogs.vendor": "pylon" })]: 1,
      [JSON.stringify({ "auditlogs.vendor": "pylon", "http.response.status_code": 200 })]: 1,
    });
  });

  test("auditlogs.ratelimit.wait_ms: the time each request waited for the client-side limiter", async () => {
    // 1 request a minute: the first goes at once, the second waits 60 s on the (fake) clock.
    pylonPages(2, 1);
    const clock = fakeClock();
    await readAll(client("pylon", { clock, rateLimit: { requestsPerMinute: 1 } }));
    expect(clock.sleeps).toEqual([60_000]);
    const [point] = await points("auditlogs.ratelimit.wait_ms");
    expect(point!.attributes).toEqual({ "auditlogs.vendor": "pylon" });
    expect((point!.value as Histogram).count).toBe(2);
    expect((point!.value as Histogram).sum).toBe(60_000);
  });

  test("without a limiter (rateLimit: false) nothing is recorded as a wait", async () => {
    pylonPages(2, 1);
    await readAll(client("pylon", { rateLimit: false }));
    expect(await points("auditlogs.ratelimit.wait_ms")).toEqual([]);
  });

  test("raw calls count as requests too (the same transport)", async () => {
    serve(server, "pylon", () => HttpResponse.json(page("pylon", [])));
    await (client("pylon", { rateLimit: false }).raw as any).GET("/audit-logs", {});
    expect(await counter("auditlogs.requests")).toEqual({ [JSON.stringify({ "auditlogs.vendor": "pylon", "http.response.status_code": 200 })]: 1 });
    expect(pageSpans()).toEqual([]);
  });

  test("recordSourceLag (for the collector): a gauge per source", async () => {
    recordSourceLag("zendesk", "support-eu", 1_500);
    recordSourceLag("zendesk", "support-eu", 900);
    const all = await points("auditlogs.source.lag_ms");
    expect(all.map((p) => [p.attributes, p.value])).toEqual([[{ "auditlogs.vendor": "zendesk", "auditlogs.source": "support-eu" }, 900]]);
  });

  test("providers registered after a client was built are the ones reported to", async () => {
    pylonPages(1, 3);
    const c = client("pylon", { rateLimit: false });
    await meterProvider.shutdown();
    metrics.disable();
    const lateExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    const lateReader = new PeriodicExportingMetricReader({ exporter: lateExporter, exportIntervalMillis: 3_600_000 });
    const late = new MeterProvider({ readers: [lateReader] });
    metrics.setGlobalMeterProvider(late);
    await readAll(c);
    await lateReader.forceFlush();
    const names = lateExporter.getMetrics().flatMap((r) => r.scopeMetrics.flatMap((s) => s.metrics.map((m) => m.descriptor.name)));
    expect(names).toContain("auditlogs.events");
    await late.shutdown();
  });
});

test("no credential, tenant id, subdomain or URL in any span or metric attribute (all five vendors, simulator)", async () => {
  const sim = createSimulator({ eventsPerVendor: 30, seed: 5, rateLimit: false });
  server.use(...sim.handlers);
  {
    for (const vendor of VENDOR_IDS) {
      const c = createClient({ vendor, ...sim.credentials[vendor], rateLimit: false } as ClientOptions);
      const events = await c.events({ since: new Date(Date.now() - 8 * 86_400_000) }).toArray({ limit: 1000 });
      expect(events.length).toBe(30);
    }
    await reader.forceFlush();
    const attributes = [
      ...spans.getFinishedSpans().map((span) => span.attributes),
      ...metricExporter.getMetrics().flatMap((r) => r.scopeMetrics.flatMap((s) => s.metrics.flatMap((m) => m.dataPoints.map((p) => p.attributes)))),
    ];
    expect(pageSpans().length).toBeGreaterThanOrEqual(5);
    const text = JSON.stringify(attributes);
    const credentials = Object.values(sim.credentials).flatMap((options) => Object.values(flatten(options)));
    const secrets = credentials.filter((value) => typeof value === "string" && !/^https?:/.test(value) && !VENDOR_IDS.includes(value as never));
    expect(secrets.length).toBeGreaterThanOrEqual(5);
    for (const secret of [...secrets, ...NEEDLES]) expect(text).not.toContain(secret);
    expect(text).not.toMatch(/https?:|zendesk\.com|usepylon/);
    expect(Object.keys(Object.assign({}, ...attributes)).sort()).toEqual(["auditlogs.events", "auditlogs.request_id", "auditlogs.retries", "auditlogs.vendor", "http.response.status_code"]);
  }
});

function flatten(value: unknown, out: Record<string, unknown> = {}, prefix = ""): Record<string, unknown> {
  if (value && typeof value === "object") for (const [k, v] of Object.entries(value)) flatten(v, out, `${prefix}${k}.`);
  else out[prefix] = value;
  return out;
}

// --- loading -----------------------------------------------------------------------------------

const ROOT = join(import.meta.dirname, "..");

describe("loading (the built package, in child processes)", () => {
  beforeAll(() => {
    execFileSync(process.execPath, [join(ROOT, "scripts/ensure-built.mjs")], { cwd: ROOT, timeout: 170_000 });
  }, 180_000);

  /** Reads Pylon from the simulator; prints whether @opentelemetry/api was loaded before and after. */
  const script = (pkg: string) => `
    import { createRequire } from "node:module";
    const loaded = () => Object.keys(createRequire(import.meta.url).cache).some((file) => file.includes("@opentelemetry"));
    const { createPylonClient } = await import(${JSON.stringify(`${pkg}/pylon`)});
    const { createSimulator } = await import(${JSON.stringify(`${pkg}/testing`)});
    const atImport = loaded();
    const server = await createSimulator({ vendors: ["pylon"], eventsPerVendor: 50, rateLimit: false }).listen();
    const events = await createPylonClient({ ...server.credentials.pylon, rateLimit: false }).events().toArray({ limit: 1000 });
    await server.close();
    console.log(JSON.stringify({ atImport, afterRead: loaded(), events: events.length }));
  `;

  test("installed: not loaded at import, loaded by the first request", () => {
    const out = execFileSync(process.execPath, ["--input-type=module", "-e", script("auditlogs")], { cwd: ROOT, encoding: "utf8", timeout: 60_000 });
    expect(JSON.parse(out)).toEqual({ atImport: false, afterRead: true, events: 50 });
  });

  test("absent (a project without @opentelemetry/api): reading works and nothing is loaded", () => {
    const dir = mkdtempSync(join(tmpdir(), "auditlogs-no-otel-"));
    try {
      const modules = join(dir, "node_modules");
      mkdirSync(join(modules, "auditlogs"), { recursive: true });
      cpSync(join(ROOT, "dist"), join(modules, "auditlogs", "dist"), { recursive: true });
      cpSync(join(ROOT, "package.json"), join(modules, "auditlogs", "package.json"));
      // Only the runtime dependencies, not the repo's node_modules (which has the API).
      for (const dep of ["zod", "openapi-fetch"]) symlinkSync(join(ROOT, "node_modules", dep), join(modules, dep), "dir");
      writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }));
      const out = execFileSync(process.execPath, ["--input-type=module", "-e", script("auditlogs")], { cwd: dir, encoding: "utf8", timeout: 60_000 });
      expect(JSON.parse(out)).toEqual({ atImport: false, afterRead: false, events: 50 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
