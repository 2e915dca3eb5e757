// One fleet process for the collector's multi-process tests (bundled by test/collector-fixtures.ts):
// a collector from the JSON in $COLLECTOR_CONFIG, started with its workers, printing its run lines,
// stopped gracefully on SIGTERM. Each run's options carry a User-Agent naming the source and the
// run, so a proxy can tell runs apart.
import { randomUUID } from "node:crypto";
import { createCollector, type CollectorSource } from "../src/collector/index.js";
import type { WorkerConfig } from "./collector-fixtures.js";

const config = JSON.parse(process.env.COLLECTOR_CONFIG ?? "{}") as WorkerConfig;
const collector = createCollector({
  connectionString: config.connectionString,
  schema: config.schema,
  staleAfterMs: config.staleAfterMs,
  sources: config.sources.map(
    (source) => ({ ...source, options: () => ({ ...source.options, userAgent: `collector-test ${source.id} ${randomUUID()}` }) }) as CollectorSource,
  ),
  logger: { info: (line) => console.log(line), warn: (line) => console.log(line), error: (line) => console.log(line) },
});
process.on("SIGTERM", () => {
  void collector.stop().then(() => process.exit(0));
});
await collector.start({ workers: config.workers });
console.log(`READY ${process.pid}`);
