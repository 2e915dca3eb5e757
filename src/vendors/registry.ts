/**
 * The built-in vendors, in one place: `createClient`, the CLI (env variables, page sizes, help),
 * the simulator and the README's tables read them from here, so no vendor fact is written twice.
 */
import type { AuditEvent as Event } from "../core/event.js";
import { cortex, type CortexAuditLog } from "./cortex.js";
import { datafold, type DatafoldAuditLog } from "./datafold.js";
import { jitsudo, type JitsudoAuditLog } from "./jitsudo.js";
import { pylon, type PylonAuditLog } from "./pylon.js";
import { zendesk, type ZendeskAuditLog } from "./zendesk.js";

/** The built-in vendors' definitions, by id, in the order the docs list them. */
export const BUILT_IN_VENDORS = { pylon, zendesk, cortex, datafold, jitsudo } as const;

/** The built-in vendors' ids. */
export const VENDOR_IDS = [pylon.id, zendesk.id, cortex.id, datafold.id, jitsudo.id] as const;

/** The built-in vendors' ids. A `defineVendor` vendor has its own (`AuditEvent["vendor"]` is any id). */
export type VendorId = (typeof VENDOR_IDS)[number];

/** True for a built-in vendor's id. */
export function isVendorId(value: unknown): value is VendorId {
  return typeof value === "string" && Object.hasOwn(BUILT_IN_VENDORS, value);
}

interface BuiltInRecords {
  pylon: PylonAuditLog;
  zendesk: ZendeskAuditLog;
  cortex: CortexAuditLog;
  datafold: DatafoldAuditLog;
  jitsudo: JitsudoAuditLog;
}

type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
/** The built-in vendor whose record type `Raw` is, else any id. */
type VendorOfRecord<Raw> = { [K in keyof BuiltInRecords]: Same<BuiltInRecords[K], Raw> extends true ? K : never }[keyof BuiltInRecords] extends infer K
  ? [K] extends [never]
    ? string
    : K & string
  : never;

/**
 * One audit-log record, the same shape for every vendor, with the vendor's record in `raw`.
 * `V` is the vendor's literal id (for a built-in record type, its vendor by default), so in a
 * stream of several vendors `event.vendor === "zendesk"` narrows `event.raw`.
 */
export type AuditEvent<Raw = unknown, V extends string = VendorOfRecord<Raw>> = Event<Raw, V>;
