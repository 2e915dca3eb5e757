/** The vendor ids, in the order the README lists them. */
export const VENDOR_IDS = ["pylon", "zendesk", "cortex", "datafold", "jitsudo"] as const;

/** The five vendors this library reads. */
export type VendorId = (typeof VENDOR_IDS)[number];

export function isVendorId(value: unknown): value is VendorId {
  return typeof value === "string" && (VENDOR_IDS as readonly string[]).includes(value);
}
