/**
 * `auditlogs/define`: your own vendor on the same engine as the built-ins, with every guarantee
 * they have (time range, dedupe, checkpoints, watermark, retries, rate limit, masking, OCSF,
 * merge). A vendor is one `defineVendor` call:
 *
 *   const okta = defineVendor({ id: "okta", baseUrl: (o) => `https://${o.domain}`, secrets: ["apiToken"],
 *     auth: (o: OktaOptions) => ({ Authorization: `SSWS ${o.apiToken}` }), pagination, normalize });
 *   for await (const event of okta.createClient({ domain, apiToken }).events()) …
 *
 * The builders and helpers below are the ones the five built-in vendors use.
 */
import { ConfigError } from "./core/errors.js";
import { markUserDefined } from "./core/user-defined.js";
import { defineVendor as define } from "./core/vendor.js";
import { isVendorId } from "./vendors/registry.js";

/**
 * Checks a vendor definition and returns the vendor (`vendor.createClient(options)`). A bad
 * definition throws `ConfigError` naming the field: an `id` that is not `[a-z][a-z0-9-]*` or is
 * a built-in vendor's, a missing `auth`, `normalize`, `pagination.request` or `pagination.read`,
 * a hook that is not a function. Type parameters are inferred: the options from `auth`'s
 * parameter, the record from `normalize`'s, the filter from the `filter` schema.
 */
export const defineVendor: typeof define = (definition) => {
  const id = (definition as { id?: unknown } | null)?.id;
  if (isVendorId(id)) throw new ConfigError(`"${id}" is a built-in vendor; give yours another id`, "id");
  const vendor = define(definition);
  markUserDefined(vendor.definition);
  return vendor;
};

export { isVendor, type Vendor, type VendorDefinition, type VendorResponse, type ClientOf, type OptionsOf, type RecordOf } from "./core/vendor.js";
export {
  cursorPagination,
  linkPagination,
  nextLink,
  pageNumberPagination,
  timeWindowPagination,
  type PageContext,
  type PageRequest,
  type PageResponse,
  type PageRead,
  type Pagination,
  type Position,
  type QueryValue,
} from "./core/paginate.js";
export {
  contentHashId,
  RecordFieldError,
  recordTime,
  toOccurredAt as parseTime,
  unmappedFields,
  type NormalizeContext,
  type NormalizedFields,
} from "./core/event.js";
export type { Schema } from "./core/schema.js";
export type { AuditLogClient, EventParams, Page } from "./core/client.js";
export type { CommonOptions } from "./core/options.js";
export type { AuditEvent } from "./vendors/registry.js";
