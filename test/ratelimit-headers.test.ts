// DESIGN §13: the vendors' own rate-limit headers (Zendesk X-Rate-Limit / X-Rate-Limit-Remaining
// and ratelimit-*, Pylon X-Rate-Limit-Remaining) tighten or widen the client's bucket to the
// account's real plan. Time is an injected clock: waits are recorded, never slept.
import { describe, expect, test } from "vitest";
import { createPylonClient, createZendeskClient } from "../src/index.js";
import { TokenBucket } from "../src/core/rate-limit.js";
import { fakeClock, okPage, OPTIONS, PATH } from "./http-fixtures.js";

/** A `fetch` answering every request with one empty page and the given headers. */
function answering(vendor: "zendesk" | "pylon", headers: () => Record<string, string>) {
  const f = (async () => Response.json(okPage(vendor), { headers: headers() })) as unknown as typeof fetch;
  return f;
}

async function requests(client: { raw: unknown }, vendor: "zendesk" | "pylon", n: number) {
  for (let i = 0; i < n; i++) await (client.raw as any).GET(PATH[vendor], {});
}

describe("Zendesk", () => {
  test("X-Rate-Limit below the documented 700/min tightens the bucket to the account's plan", async () => {
    const clock = fakeClock();
    const client = createZendeskClient({ ...(OPTIONS.zendesk as any), clock, fetch: answering("zendesk", () => ({ "X-Rate-Limit": "200", "X-Rate-Limit-Remaining": "0" })) });
    // The first answer says 200/min and none left: the next request waits one 200/min interval (300 ms).
    await requests(client, "zendesk", 3);
    expect(clock.sleeps).toEqual([300, 300]);
  });

  test("X-Rate-Limit above the documented default widens it (High Volume: 2,500/min)", async () => {
    const clock = fakeClock();
    let remaining = 2_500;
    const client = createZendeskClient({ ...(OPTIONS.zendesk as any), clock, fetch: answering("zendesk", () => ({ "X-Rate-Limit": "2500", "X-Rate-Limit-Remaining": String(--remaining) })) });
    await requests(client, "zendesk", 751);
    // 751 requests on a 699-token bucket: the last 52 wait a 2,500/min interval (24 ms), not 700/min's (86 ms).
    expect(clock.sleeps.length).toBeGreaterThan(0);
    expect(Math.max(...clock.sleeps)).toBe(24);
  });

  test("a limit the caller set is never widened by headers, only tightened", async () => {
    const clock = fakeClock();
    const client = createZendeskClient({ ...(OPTIONS.zendesk as any), clock, rateLimit: { requestsPerMinute: 120 }, fetch: answering("zendesk", () => ({ "X-Rate-Limit": "2500" })) });
    await requests(client, "zendesk", 125);
    expect(Math.max(...clock.sleeps)).toBe(500);
  });

  test("ratelimit-remaining (the IETF names) caps the tokens held", async () => {
    const clock = fakeClock();
    const client = createZendeskClient({ ...(OPTIONS.zendesk as any), clock, fetch: answering("zendesk", () => ({ "ratelimit-limit": "700", "ratelimit-remaining": "0" })) });
    await requests(client, "zendesk", 2);
    // 700/min: one token every 86 ms (rounded up).
    expect(clock.sleeps).toEqual([86]);
  });
});

describe("Pylon", () => {
  test("X-Rate-Limit-Remaining: another client spent the account's minute, so this one waits", async () => {
    const clock = fakeClock();
    let left = 3;
    const client = createPylonClient({ ...(OPTIONS.pylon as any), clock, fetch: answering("pylon", () => ({ "X-Rate-Limit-Remaining": String(Math.max(0, --left)) })) });
    await requests(client, "pylon", 5);
    // Remaining 2, 1, 0: after the third answer the bucket is empty; 60/min = a token a second.
    expect(clock.sleeps).toEqual([1000, 1000]);
  });

  test("headers that are not whole numbers change nothing", async () => {
    const clock = fakeClock();
    const client = createPylonClient({ ...(OPTIONS.pylon as any), clock, fetch: answering("pylon", () => ({ "X-Rate-Limit-Remaining": "-1", "X-Rate-Limit": "lots" })) });
    await requests(client, "pylon", 20);
    expect(clock.sleeps).toEqual([]);
  });
});

test("TokenBucket.observe: limit and remaining, with an injected clock", async () => {
  const clock = fakeClock();
  const bucket = new TokenBucket(600, clock, { widens: false });
  bucket.observe({ limit: 1200 });
  expect(bucket.requestsPerMinute).toBe(600);
  bucket.observe({ limit: 60, remaining: 1 });
  expect(bucket.requestsPerMinute).toBe(60);
  expect(bucket.capacity).toBe(59);
  await bucket.acquire();
  await bucket.acquire();
  expect(clock.sleeps).toEqual([1000]);
});
