import type { VendorId } from "../index.js";

/**
 * The largest page each vendor accepts (the vendor files' `pageSize.max`, which the library does
 * not export; test/cli-units.test.ts checks the two agree). The CLI reads in the largest pages
 * by default: fewer requests under rate limits.
 * Datafold has no pages.
 */
export const MAX_PAGE_SIZE: Partial<Record<VendorId, number>> = { pylon: 999, zendesk: 100, cortex: 1000, jitsudo: 1000 };
