// Every vendor passes the same contract; the fixtures below hold only vendor facts.
import { expect } from "vitest";
import { contract, type Recorded } from "./contract.js";

const query = (r: Recorded, key: string) => r.url.searchParams.get(key);

contract({
  vendor: "pylon",
  path: "/audit-logs",
  authHeaders: (c) => ({ authorization: `Bearer ${c.apiToken}` }),
  options: (c) => ({ ...c }),
  params: { pageSize: 10 },
  secondRequest: (first, second) => {
    expect(query(first, "cursor")).toBeNull();
    expect(query(second, "cursor")).toBeTruthy();
    expect(query(second, "limit")).toBe("10");
  },
  badCredentials: (c) => ({ ...c, apiToken: "wrong-token" }),
});

contract({
  vendor: "zendesk",
  path: "/api/v2/audit_logs",
  authHeaders: (c) => {
    const auth = c.auth as { email: string; apiToken: string };
    return { authorization: `Basic ${Buffer.from(`${auth.email}/token:${auth.apiToken}`).toString("base64")}` };
  },
  options: (c) => ({ ...c }),
  params: { pageSize: 10 },
  secondRequest: (first, second) => {
    expect(query(first, "sort")).toBe("created_at");
    expect(first.url.searchParams.getAll("filter[created_at][]")).toHaveLength(2);
    expect(query(first, "page[after]")).toBeNull();
    expect(query(second, "page[after]")).toBeTruthy();
    expect(query(second, "page[size]")).toBe("10");
  },
  badCredentials: (c) => ({ ...c, auth: { ...(c.auth as object), apiToken: "wrong-token" } }),
});

contract({
  vendor: "cortex",
  path: "/api/v1/audit-logs",
  authHeaders: (c) => ({ authorization: `Bearer ${c.apiToken}` }),
  options: (c) => ({ ...c }),
  params: { pageSize: 10 },
  secondRequest: (first, second) => {
    expect(query(first, "page")).toBe("0");
    expect(query(second, "page")).toBe("1");
    expect(query(second, "pageSize")).toBe("10");
    // The window is closed when the run starts, so pages do not drift.
    expect(query(second, "endTime")).toBe(query(first, "endTime"));
  },
  badCredentials: (c) => ({ ...c, apiToken: "wrong-token" }),
});

contract({
  vendor: "datafold",
  path: "/api/v1/audit_logs",
  authHeaders: (c) => ({ authorization: `Key ${c.apiKey}` }),
  // One window at a time: the windows adapt to the data (empty ones make the next four times
  // larger), so read in parallel, the sparse start of this range is all planned and in flight by
  // the time the first event comes, and "break stops fetching" could not tell a break from the end.
  options: (c) => ({ ...c, concurrency: 1, prefetch: 0 }),
  // Windows of 12 hours over the simulator's week; the window bounds travel in the GET body.
  params: { windowMs: 12 * 3600_000, since: new Date(Date.now() - 9 * 86_400_000).toISOString() },
  secondRequest: (first, second) => {
    expect(second.url.pathname).toBe(first.url.pathname);
    expect(second.headers.get("content-type")).toBe("application/json");
  },
  badCredentials: (c) => ({ ...c, apiKey: "wrong-key" }),
});

contract({
  vendor: "jitsudo",
  path: "/v1/audit-log",
  authHeaders: (c) => ({ "x-api-key": String(c.apiKey), "x-tenant-id": String(c.tenantId) }),
  options: (c) => ({ ...c }),
  params: { pageSize: 10 },
  secondRequest: (first, second) => {
    expect(query(first, "cursor")).toBeNull();
    expect(query(second, "cursor")).toBeTruthy();
    expect(query(second, "to")).toBe(query(first, "to"));
  },
  badCredentials: (c) => ({ ...c, apiKey: "wrong-key" }),
});
