/**
 * `auditlogs/collector`: many vendor accounts on a schedule, across processes and machines, on
 * pg-boss and PostgreSQL (DESIGN §11). Every process pointed at one database is one collector:
 * one run per source at a time, a killed worker's run resumed elsewhere from its last committed
 * page, events written exactly once with their checkpoint, and shared rate limits.
 *
 * pg-boss and pg (or @electric-sql/pglite for the embedded default) are optional peer
 * dependencies, loaded on first use; the root `auditlogs` import never loads them.
 */
export { createCollector, type Collector, type RunSummary, type SourceStatus } from "./collector.js";
export type { CollectorOptions, CollectorSink, CollectorSource, SourceOptions, SourceParams } from "./config.js";
