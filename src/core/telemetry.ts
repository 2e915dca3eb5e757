/**
 * OpenTelemetry (DESIGN §15), when the application has it. `@opentelemetry/api` is an optional
 * peer dependency: it is looked up on first use (the first request), never at import, through
 * `createRequire` rather than `import()`, so a bundler neither fails on it when it is absent
 * nor pulls it in. Without it every hook below is a check of one variable. With it, the
 * library reports to whatever providers the application registered (none: the API's no-ops):
 *
 * - a span per page request, `auditlogs.page` (client kind), with `auditlogs.vendor`,
 *   `http.response.status_code`, `auditlogs.retries`, `auditlogs.request_id` and
 *   `auditlogs.events` (the records the page carried); a failed page has status ERROR and
 *   `error.type` (the error's class name, never its message);
 * - counters `auditlogs.events`, `auditlogs.requests` (per attempt, with the status),
 *   `auditlogs.retries`, `auditlogs.throttled` (429 answers), the histogram
 *   `auditlogs.ratelimit.wait_ms` (time a request waited for the client-side limiter) and, for
 *   the collector, the gauge `auditlogs.source.lag_ms`.
 *
 * Attributes name the vendor, never a credential, a tenant id, a subdomain or a URL.
 */
import { createRequire } from "node:module";
import type * as OtelApi from "@opentelemetry/api";
import { VERSION } from "../version.js";

type Api = typeof OtelApi;

const SCOPE = "auditlogs";

/** The API module; null once looked up and absent; undefined before the first use. */
let api: Api | null | undefined;

function loadApi(): Api | null {
  if (api === undefined) {
    try {
      api = createRequire(import.meta.url)("@opentelemetry/api") as Api;
    } catch {
      api = null;
    }
  }
  return api;
}

/** The hooks the transport and the pagination engine call; one per pair of registered providers. */
export class Telemetry {
  readonly #api: Api;
  readonly #tracer: OtelApi.Tracer;
  readonly #events: OtelApi.Counter;
  readonly #requests: OtelApi.Counter;
  readonly #retries: OtelApi.Counter;
  readonly #throttled: OtelApi.Counter;
  readonly #rateLimitWait: OtelApi.Histogram;
  readonly #sourceLag: OtelApi.Gauge;
  /** `{ "auditlogs.vendor": vendor }`, one object per vendor rather than one per call. */
  readonly #vendorAttributes = new Map<string, OtelApi.Attributes>();

  constructor(otel: Api, tracerProvider: OtelApi.TracerProvider, meterProvider: OtelApi.MeterProvider) {
    this.#api = otel;
    this.#tracer = tracerProvider.getTracer(SCOPE, VERSION);
    const meter = meterProvider.getMeter(SCOPE, VERSION);
    this.#events = meter.createCounter("auditlogs.events", { description: "Records received in pages", unit: "{event}" });
    this.#requests = meter.createCounter("auditlogs.requests", { description: "HTTP requests sent, retries included", unit: "{request}" });
    this.#retries = meter.createCounter("auditlogs.retries", { description: "Requests sent again after a retryable failure", unit: "{request}" });
    this.#throttled = meter.createCounter("auditlogs.throttled", { description: "Answers of HTTP 429 (the vendor's rate limit)", unit: "{request}" });
    this.#rateLimitWait = meter.createHistogram("auditlogs.ratelimit.wait_ms", { description: "Time a request waited for the client-side rate limiter", unit: "ms" });
    this.#sourceLag = meter.createGauge("auditlogs.source.lag_ms", { description: "How far a collected source is behind now", unit: "ms" });
  }

  #vendor(vendor: string): OtelApi.Attributes {
    let attributes = this.#vendorAttributes.get(vendor);
    if (!attributes) {
      attributes = { "auditlogs.vendor": vendor };
      this.#vendorAttributes.set(vendor, attributes);
    }
    return attributes;
  }

  /** One HTTP attempt answered with `status` (undefined: no answer, a network failure or timeout). */
  request(vendor: string, status: number | undefined): void {
    this.#requests.add(1, status === undefined ? this.#vendor(vendor) : { "auditlogs.vendor": vendor, "http.response.status_code": status });
    if (status === 429) this.#throttled.add(1, this.#vendor(vendor));
  }

  retry(vendor: string): void {
    this.#retries.add(1, this.#vendor(vendor));
  }

  rateLimitWait(vendor: string, ms: number): void {
    this.#rateLimitWait.record(ms, this.#vendor(vendor));
  }

  /** `auditlogs.source.lag_ms` for one collected source (the collector's, per source). */
  sourceLag(vendor: string, source: string, ms: number): void {
    this.#sourceLag.record(ms, { "auditlogs.vendor": vendor, "auditlogs.source": source });
  }

  /** Runs one page request inside an `auditlogs.page` span and counts its records. */
  async page<T extends PageOutcome>(vendor: string, read: () => Promise<T>): Promise<T> {
    const otel = this.#api;
    const span = this.#tracer.startSpan("auditlogs.page", { kind: otel.SpanKind.CLIENT, attributes: this.#vendor(vendor) });
    try {
      const outcome = await read();
      const events = outcome.page.records.length;
      span.setAttribute("http.response.status_code", outcome.status);
      span.setAttribute("auditlogs.retries", outcome.retries);
      if (outcome.page.requestId !== undefined) span.setAttribute("auditlogs.request_id", outcome.page.requestId);
      span.setAttribute("auditlogs.events", events);
      this.#events.add(events, this.#vendor(vendor));
      return outcome;
    } catch (error) {
      const failure = error as { name?: unknown; status?: unknown; requestId?: unknown };
      if (typeof failure?.status === "number") span.setAttribute("http.response.status_code", failure.status);
      if (typeof failure?.requestId === "string") span.setAttribute("auditlogs.request_id", failure.requestId);
      span.setAttribute("error.type", typeof failure?.name === "string" ? failure.name : "Error");
      span.setStatus({ code: otel.SpanStatusCode.ERROR });
      throw error;
    } finally {
      span.end();
    }
  }
}

/** What a page request tells its span: the page, the final HTTP status and the retries it took. */
export interface PageOutcome {
  page: { records: readonly unknown[]; requestId: string | undefined };
  status: number;
  retries: number;
}

let current: { tracerProvider: OtelApi.TracerProvider; meterProvider: OtelApi.MeterProvider; telemetry: Telemetry } | undefined;

/**
 * The hooks for the providers registered now, or undefined without `@opentelemetry/api`.
 * Looked up per call, not kept by a client: an application may register its providers after
 * building clients, and tests register a fresh pair each time.
 */
export function telemetry(): Telemetry | undefined {
  const otel = api === undefined ? loadApi() : api;
  if (otel === null) return undefined;
  const tracerProvider = otel.trace.getTracerProvider();
  const meterProvider = otel.metrics.getMeterProvider();
  if (current?.tracerProvider !== tracerProvider || current.meterProvider !== meterProvider) {
    current = { tracerProvider, meterProvider, telemetry: new Telemetry(otel, tracerProvider, meterProvider) };
  }
  return current.telemetry;
}

/** `read()` in an `auditlogs.page` span when OpenTelemetry is there; just `read()` otherwise. */
export function tracePage<T extends PageOutcome>(vendor: string, read: () => Promise<T>): Promise<T> {
  const otel = telemetry();
  return otel ? otel.page(vendor, read) : read();
}

/**
 * Records `auditlogs.source.lag_ms` (how far `source` is behind now) when OpenTelemetry is
 * there; nothing otherwise. For the collector, which names its sources.
 */
export function recordSourceLag(vendor: string, source: string, lagMs: number): void {
  telemetry()?.sourceLag(vendor, source, lagMs);
}
