/**
 * The contract every vendor client passes (STYLE §8), run for the built-ins through the suite
 * `auditlogs/testing` exports (`vendorContract`), against the simulator's fake of each vendor.
 * Vendor facts live in the fixtures (test/contract.test.ts), nowhere else.
 */
import { describe, expect, test } from "vitest";
import { createSimulator } from "../src/testing/index.js";
import { vendorContract, type RecordedRequest } from "../src/testing/contract.js";
import { BUILT_IN_VENDORS, type VendorId } from "../src/vendors/registry.js";

export type Recorded = RecordedRequest;

export interface VendorFixture {
  vendor: VendorId;
  /** The API path the client must call. */
  path: string;
  /** Exact auth headers for the simulator's credentials. */
  authHeaders(credentials: Record<string, unknown>): Record<string, string>;
  /** Client options from the simulator's credentials, with the given overrides. */
  options(credentials: Record<string, unknown>): Record<string, unknown>;
  /** Params that make a full read take several requests. */
  params: Record<string, unknown>;
  /** Asserts that the second request asks for the page after the first. */
  secondRequest(first: Recorded, second: Recorded): void;
  /** Credentials the vendor rejects with 401. */
  badCredentials(credentials: Record<string, unknown>): Record<string, unknown>;
}

const COUNT = 42;

export function contract(fixture: VendorFixture): void {
  const sim = createSimulator({ vendors: [fixture.vendor], eventsPerVendor: COUNT, seed: 5, rateLimit: false });
  const credentials = sim.credentials[fixture.vendor] as Record<string, unknown>;
  vendorContract(
    {
      vendor: BUILT_IN_VENDORS[fixture.vendor],
      fake: (request, body) => sim.handle(request, body),
      options: fixture.options(credentials),
      badOptions: fixture.options(fixture.badCredentials(credentials)),
      params: fixture.params,
      count: COUNT,
      authHeaders: fixture.authHeaders(credentials),
      secondRequest: (first, second) => {
        expect(first.url.pathname).toBe(fixture.path);
        fixture.secondRequest(first, second);
      },
    },
    { describe, test, expect },
  );
}
