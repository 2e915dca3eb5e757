import type { AuditLogClient } from "./core/client.js";
import { ConfigError } from "./core/errors.js";
import type { CommonOptions } from "./core/options.js";
import { isVendor, type ClientOf, type OptionsOf, type Vendor } from "./core/vendor.js";
import { BUILT_IN_VENDORS, VENDOR_IDS, isVendorId } from "./vendors/registry.js";

type BuiltIns = typeof BUILT_IN_VENDORS;

/** `createClient`'s options: `vendor` picks the vendor (a built-in id), the rest are that vendor's options. */
export type ClientOptions = { [V in keyof BuiltIns]: { vendor: V } & OptionsOf<BuiltIns[V]> }[keyof BuiltIns];

type ClientFor<O> = O extends { vendor: infer V } ? (V extends keyof BuiltIns ? ClientOf<BuiltIns[V]> : V extends Vendor ? ClientOf<V> : never) : never;

/** A client of any built-in vendor. */
export type AnyClient = { [V in keyof BuiltIns]: ClientOf<BuiltIns[V]> }[keyof BuiltIns];

/**
 * A client for any vendor, chosen by `vendor` (useful when the vendor comes from configuration):
 * a built-in id, or a vendor from `defineVendor` (`createClient({ vendor: okta, ...options })`).
 */
export function createClient<Id extends string, Options extends object, Raw, Filter, Paths extends {}, MaxPageSize extends number>(
  options: { vendor: Vendor<Id, Options, Raw, Filter, Paths, MaxPageSize> } & Options & CommonOptions,
): AuditLogClient<Id, Raw, Filter, Paths, MaxPageSize>;
export function createClient<O extends ClientOptions>(options: O): ClientFor<O>;
export function createClient(options: { vendor: unknown }): unknown {
  if (options === null || typeof options !== "object") throw new ConfigError("options must be an object");
  const { vendor, ...rest } = options;
  if (isVendor(vendor)) return vendor.createClient(rest);
  if (isVendorId(vendor)) return (BUILT_IN_VENDORS[vendor] as Vendor).createClient(rest);
  throw new ConfigError(`must be one of ${VENDOR_IDS.join(", ")} (got ${JSON.stringify(vendor)})`, "vendor");
}
