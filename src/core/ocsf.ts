/**
 * OCSF 1.x API Activity (class_uid 6003) from a normalized event, for SIEMs that speak OCSF.
 * https://schema.ocsf.io/1.3.0/classes/api_activity
 */
import { ConfigError } from "./errors.js";
import type { AuditEvent, Operation } from "./event.js";

const ACTIVITY: Record<Operation, { id: number; name: string }> = {
  create: { id: 1, name: "Create" },
  read: { id: 2, name: "Read" },
  update: { id: 3, name: "Update" },
  delete: { id: 4, name: "Delete" },
  login: { id: 99, name: "Other" },
  other: { id: 99, name: "Other" },
};

/**
 * Product names by vendor id, filled by `defineVendor` (a definition's `name` and `vendorName`).
 * Kept on `globalThis` under a `Symbol.for` key, so every copy of the package loaded in one
 * process (ESM and CJS side by side) names a vendor the same way.
 */
const PRODUCTS: Map<string, { name: string; vendor_name: string }> = ((globalThis as Record<symbol, unknown>)[Symbol.for("auditlogs.products")] ??= new Map()) as Map<string, { name: string; vendor_name: string }>;

/** Records a vendor's product names for `toOCSF`. */
export function registerProduct(id: string, product: { name: string; vendor_name: string }): void {
  PRODUCTS.set(id, product);
}

const CLASS_UID = 6003;
const CATEGORY_UID = 6;

/**
 * An OCSF 1.3 API Activity event (class 6003), as `toOCSF` builds it. Field names are OCSF's;
 * see https://schema.ocsf.io/1.3.0/classes/api_activity.
 */
export interface OcsfApiActivity {
  /** OCSF class: API Activity. */
  class_uid: 6003;
  /** OCSF class name. */
  class_name: "API Activity";
  /** OCSF category: Application Activity. */
  category_uid: 6;
  /** OCSF category name. */
  category_name: "Application Activity";
  /** From `operation`: create 1, read 2, update 3, delete 4, anything else 99 (Other). */
  activity_id: number;
  /** The activity's OCSF name (`"Create"`, …, `"Other"`). */
  activity_name: string;
  /** `class_uid * 100 + activity_id`, as OCSF defines it. */
  type_uid: number;
  /** `"API Activity: <activity_name>"`. */
  type_name: string;
  /** Always Informational (1): audit logs carry no severity. */
  severity_id: 1;
  /** The severity's name. */
  severity: "Informational";
  /** From `outcome`: success 1, failure 2, unknown 0. */
  status_id: 0 | 1 | 2;
  /** The status's name. */
  status: "Unknown" | "Success" | "Failure";
  /** `occurredAt` as epoch milliseconds. */
  time: number;
  /** The event's `message`, when it has one. */
  message?: string;
  /** OCSF version, event id (`uid`), product, tenant and the original time string. */
  metadata: {
    version: string;
    uid: string;
    product: { name: string; vendor_name: string };
    tenant_uid?: string;
    original_time: string;
    logged_time?: number;
  };
  /** The vendor's action, verbatim. */
  api: { operation: string };
  /** The event's `actor`. */
  actor: { user: { uid?: string; type?: string; name?: string; email_addr?: string } };
  /** The event's `source.ip`. */
  src_endpoint: { ip?: string; svc_name?: string };
  /** The event's `source.userAgent`, when it has one. */
  http_request?: { user_agent: string };
  /** The event's `target`, when it has one; empty otherwise. */
  resources: Array<{ type?: string; uid?: string; name?: string }>;
  /** The event's `unmapped` fields. */
  unmapped: Record<string, unknown>;
  /** The vendor's record, as JSON text. */
  raw_data: string;
}

/**
 * Maps an event to OCSF API Activity. `activity_id`: create 1, read 2, update 3, delete 4, else
 * 99. A value that is not an event (one cut down by a store, say) is a `ConfigError` naming the
 * first field it lacks.
 */
export function toOCSF(event: AuditEvent): OcsfApiActivity {
  checkEvent(event);
  const activity = ACTIVITY[event.operation] ?? ACTIVITY.other;
  const status = event.outcome === "success" ? ({ status_id: 1, status: "Success" } as const) : event.outcome === "failure" ? ({ status_id: 2, status: "Failure" } as const) : ({ status_id: 0, status: "Unknown" } as const);
  const user: OcsfApiActivity["actor"]["user"] = {};
  if (event.actor.id !== undefined) user.uid = event.actor.id;
  if (event.actor.type !== undefined) user.type = event.actor.type;
  if (event.actor.name !== undefined) user.name = event.actor.name;
  if (event.actor.email !== undefined) user.email_addr = event.actor.email;
  const src: OcsfApiActivity["src_endpoint"] = {};
  if (event.source.ip !== undefined) src.ip = event.source.ip;
  const resource: OcsfApiActivity["resources"][number] = {};
  if (event.target?.type !== undefined) resource.type = event.target.type;
  if (event.target?.id !== undefined) resource.uid = event.target.id;
  if (event.target?.name !== undefined) resource.name = event.target.name;
  return {
    class_uid: CLASS_UID,
    class_name: "API Activity",
    category_uid: CATEGORY_UID,
    category_name: "Application Activity",
    activity_id: activity.id,
    activity_name: activity.name,
    type_uid: CLASS_UID * 100 + activity.id,
    type_name: `API Activity: ${activity.name}`,
    severity_id: 1,
    severity: "Informational",
    ...status,
    time: Date.parse(event.occurredAt),
    ...(event.message !== undefined ? { message: event.message } : {}),
    metadata: {
      version: "1.3.0",
      uid: event.id,
      product: { ...(PRODUCTS.get(event.vendor) ?? { name: event.vendor, vendor_name: event.vendor }) },
      ...(event.tenant !== undefined ? { tenant_uid: event.tenant } : {}),
      original_time: event.occurredAt,
    },
    api: { operation: event.action },
    actor: { user },
    src_endpoint: src,
    ...(event.source.userAgent !== undefined ? { http_request: { user_agent: event.source.userAgent } } : {}),
    resources: Object.keys(resource).length > 0 ? [resource] : [],
    unmapped: event.unmapped,
    raw_data: JSON.stringify(event.raw),
  };
}

/** The fields `toOCSF` reads without a default, checked: a `ConfigError` naming the first one wrong, not a TypeError. */
function checkEvent(event: unknown): void {
  if (event === null || typeof event !== "object") throw new ConfigError("toOCSF() takes an AuditEvent, an event from events() (AuditEventSchema checks one)", "event");
  const fields = event as Record<string, unknown>;
  for (const field of ["id", "vendor", "occurredAt", "action"]) {
    if (typeof fields[field] !== "string") throw new ConfigError("must be a string: toOCSF() takes an AuditEvent (AuditEventSchema checks one)", `event.${field}`);
  }
  for (const field of ["actor", "source"]) {
    if (fields[field] === null || typeof fields[field] !== "object") throw new ConfigError("must be an object: toOCSF() takes an AuditEvent (AuditEventSchema checks one)", `event.${field}`);
  }
}
