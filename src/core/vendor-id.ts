// The core knows no vendor: the built-in ids live in the registry. This module stays so code
// that imported them from here keeps working.
export { VENDOR_IDS, isVendorId, type VendorId } from "../vendors/registry.js";
