#!/usr/bin/env node
/**
 * OpenTelemetry overhead (DESIGN §9, `otel_overhead_ratio`): `events()` over the same 100k
 * Pylon events from a simulator in its own process, with an OpenTelemetry SDK registered (a
 * tracer provider exporting every span, a meter provider with a reader) and without (the API
 * installed, no provider: what a user without OpenTelemetry has, less the package itself).
 * Runs alternate (A B B A …) so drift hits both; the ratio is the medians' events/s, with over
 * without (≥ 0.95 is the target). Also per CPU second of this process (the reader's; the
 * server is another process), `otel_overhead_ratio_cpu`: steadier than wall time on a machine
 * busy with other work. `--json` prints one JSON object; `--quick` reads 20k events, 3 rounds. A
 * figure, not a test.
 */
import { fileURLToPath } from "node:url";
import { metrics, trace } from "@opentelemetry/api";
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader } from "@opentelemetry/sdk-metrics";
import { BasicTracerProvider, BatchSpanProcessor, InMemorySpanExporter } from "@opentelemetry/sdk-trace-base";
import { loadLibrary, median, progress, round, simulatorProcess } from "./lib.mjs";

const PAGE = 999;

/** Registers an SDK; returns a function that reports what it saw and unregisters it. */
function registerSdk() {
  const spans = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(spans)] });
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 1_000 });
  const meterProvider = new MeterProvider({ readers: [reader] });
  trace.setGlobalTracerProvider(tracerProvider);
  metrics.setGlobalMeterProvider(meterProvider);
  return async () => {
    await tracerProvider.forceFlush();
    await reader.forceFlush();
    const pageSpans = spans.getFinishedSpans().filter((span) => span.name === "auditlogs.page").length;
    await tracerProvider.shutdown();
    await meterProvider.shutdown();
    trace.disable();
    metrics.disable();
    return pageSpans;
  };
}

export async function benchOtel({ createPylonClient, events: EVENTS = 100_000, rounds = 7 }) {
  const server = await simulatorProcess({ vendors: ["pylon"], eventsPerVendor: EVENTS, seed: 1, rateLimit: false, latencyMs: 0 });
  try {
    const run = async (withSdk) => {
      const unregister = withSdk ? registerSdk() : undefined;
      const client = createPylonClient({ ...server.credentials.pylon, rateLimit: false });
      const started = performance.now();
      const cpuFrom = process.cpuUsage();
      let count = 0;
      for await (const event of client.events({ pageSize: PAGE })) if (event) count += 1;
      const ms = performance.now() - started;
      const cpu = process.cpuUsage(cpuFrom);
      const cpuMs = (cpu.user + cpu.system) / 1000;
      const spans = unregister ? await unregister() : 0;
      if (count !== EVENTS) throw new Error(`otel: read ${count} events, expected ${EVENTS}`);
      if (withSdk && spans !== Math.ceil(EVENTS / PAGE)) throw new Error(`otel: ${spans} page spans, expected ${Math.ceil(EVENTS / PAGE)}`);
      return { wall: (count / ms) * 1000, cpu: (count / cpuMs) * 1000 };
    };
    // One warm-up of each (JIT, connection pool), not counted.
    await run(false);
    await run(true);
    const rates = { without: [], with: [] };
    for (let i = 0; i < rounds; i++) {
      for (const withSdk of i % 2 === 0 ? [false, true] : [true, false]) rates[withSdk ? "with" : "without"].push(await run(withSdk));
    }
    const withoutRate = median(rates.without.map((r) => r.wall));
    const withRate = median(rates.with.map((r) => r.wall));
    const cpuRatio = median(rates.with.map((r) => r.cpu)) / median(rates.without.map((r) => r.cpu));
    progress(`  events() without an SDK: ${Math.round(withoutRate).toLocaleString("en")} events/s; with one registered: ${Math.round(withRate).toLocaleString("en")} events/s; per CPU second ${cpuRatio.toFixed(3)}×`);
    return { ratio: withRate / withoutRate, cpuRatio, withEventsPerSec: withRate, withoutEventsPerSec: withoutRate, rounds, rates };
  } finally {
    await server.close();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const json = process.argv.includes("--json");
  const quick = process.argv.includes("--quick");
  const { createPylonClient } = await loadLibrary();
  progress(`OpenTelemetry: events() over ${quick ? "20k" : "100k"} Pylon events with and without an SDK registered, simulator in its own process`);
  const result = await benchOtel({ createPylonClient, ...(quick ? { events: 20_000, rounds: 3 } : {}) });
  if (json) process.stdout.write(`${JSON.stringify({ otel_overhead_ratio: round(result.ratio), otel_overhead_ratio_cpu: round(result.cpuRatio) })}\n`);
  else progress(`otel_overhead_ratio ${round(result.ratio)} (target ≥ 0.95), per CPU second ${round(result.cpuRatio)}`);
}
