// The core knows no vendor: the built-in ids live in the registry. This module stays so code
// that imported them from here keeps working.
/** The built-in vendors' ids, in the order the README lists them; `isVendorId` tells one. */
export { VENDOR_IDS, isVendorId, type VendorId } from "../vendors/registry.js";
