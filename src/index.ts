/**
 * auditlogs: one typed, normalized, resumable stream of audit events from Pylon, Zendesk,
 * Cortex, Datafold and JITSudo.
 */
export { createClient, type ClientOptions, type AnyClient } from "./create-client.js";
export { createPylonClient, type PylonClient, type PylonOptions, type PylonAuditLog, type PylonFilter } from "./vendors/pylon.js";
export { createZendeskClient, type ZendeskClient, type ZendeskOptions, type ZendeskAuditLog, type ZendeskFilter } from "./vendors/zendesk.js";
export { createCortexClient, type CortexClient, type CortexOptions, type CortexAuditLog, type CortexFilter } from "./vendors/cortex.js";
export { createDatafoldClient, type DatafoldClient, type DatafoldOptions, type DatafoldAuditLog, type DatafoldFilter } from "./vendors/datafold.js";
export { createJitsudoClient, type JitsudoClient, type JitsudoOptions, type JitsudoAuditLog, type JitsudoFilter } from "./vendors/jitsudo.js";

export { AuditEventSchema, type Operation } from "./core/event.js";
export { BUILT_IN_VENDORS, VENDOR_IDS, type VendorId, type AuditEvent } from "./vendors/registry.js";
export { EventStream } from "./core/stream.js";
export type { Checkpoint } from "./core/checkpoint.js";
export type { AuditLogClient, EventParams, Page } from "./core/client.js";
export type { Vendor, VendorDefinition, ClientOf } from "./core/vendor.js";
export type { CommonOptions, Logger, LogLevel } from "./core/options.js";
export type { ClientStats, InvalidRecordHandler } from "./core/records.js";
export type { Clock } from "./internal/clock.js";
export { mergeEvents, type MergedCheckpoint } from "./core/merge.js";
export { toOCSF, type OcsfApiActivity } from "./core/ocsf.js";
export { collect, type CollectClient, type CollectEvent, type CollectParams, type CollectOptions, type CollectResult, type CollectSink, type SinkContext } from "./collect/collect.js";
export { createTokenBucket, type TokenBucket, type RateLimiter, type TokenBucketOptions } from "./core/rate-limit.js";
export { fileCheckpointStore, memoryCheckpointStore, type CheckpointStore } from "./collect/checkpoint-store.js";
export {
  AuditLogsError,
  ConfigError,
  ApiError,
  BadRequestError,
  AuthenticationError,
  PermissionDeniedError,
  NotFoundError,
  UnprocessableEntityError,
  RateLimitError,
  InternalServerError,
  ConnectionError,
  TimeoutError,
  UserAbortError,
  ResponseValidationError,
  PaginationLoopError,
} from "./core/errors.js";
export { VERSION } from "./version.js";
