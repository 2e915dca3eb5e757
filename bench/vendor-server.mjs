/**
 * A bench-only loopback server for all five vendors' audit-log endpoints, run in its own process
 * (as a vendor's server is; see `startVendorServer`). Its records are functions of their index
 * (`total` of them, oldest first, between `start` and `end`, uniform or skewed: `skew.share` of
 * them in the last `skew.last` of the range), so a million of them cost no memory, and every
 * vendor's time filter, cursor and page number maps to an index range by binary search.
 *
 * - `latencyMs`: every answer leaves that long after its request arrived, the time to build it
 *   included (a vendor's round trip).
 * - `replay: true` keeps each answer's bytes by request (URL and body) and serves them again
 *   from memory: after a warm-up read, the server does no work but write bytes, so the reader,
 *   not the server, is the bottleneck (`cpu_ratio`).
 * - `datafoldCap` cuts every Datafold answer to that many logs, as a server limit would.
 *
 * Auth is not checked; requests are counted, with the most in flight at once. `GET
 * /__latency?ms=N` sets `latencyMs` from then on (one server, its records built once, for several
 * round trips).
 *
 * Run as a script: argv[2] is the options as JSON; it prints `{ url }` on stdout once it
 * listens, serves until stdin closes, and answers `GET /__stats` with its counters.
 */
import { createServer } from "node:http";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const ACTIONS = ["create", "update", "destroy", "login", "exported"];
const PYLON_ACTIONS = ["UserCreated", "UserRoleChanged", "IssueUpdated", "IssueDeleted", "LoginSucceeded", "LoginFailed", "ApiTokenRevoked", "ExportDownloaded"];
const OBJECT_TYPES = ["user", "issue", "account", "api_token"];
const hex = (n, width) => (n >>> 0).toString(16).padStart(width, "0").slice(-width);
const uuid = (i, salt) => `${hex(i, 8)}-${hex(salt, 4)}-4${hex(i * 7, 3)}-8${hex(i * 13, 3)}-${hex(i * 7919, 6)}${hex(salt * 31 + i, 6)}`;
const RECORD_TEXT = "\u0000records\u0000";
const isoSeconds = (ms) => `${new Date(ms).toISOString().slice(0, 19)}Z`;

/** Time of record `i`: monotonic, uniform or piecewise linear (skewed). */
export function timeline({ total, start, end, skew }) {
  const span = end - start;
  if (!skew) return (i) => start + Math.floor((i * span) / total);
  const early = Math.round(total * (1 - skew.share)); // spread over the first (1 - last) of the span
  const split = start + span * (1 - skew.last);
  return (i) => (i < early ? start + Math.floor(((i / early) * (split - start))) : Math.floor(split + ((i - early) / (total - early)) * (end - split)));
}

const RECORDS = {
  pylon: (i, at) => ({
    id: uuid(i, 1),
    action: PYLON_ACTIONS[i % PYLON_ACTIONS.length],
    action_happened_at: isoSeconds(at),
    created_at: isoSeconds(at),
    actor_user_id: `user-${i % 97}`,
    object_type: OBJECT_TYPES[i % OBJECT_TYPES.length],
    object_id: `obj-${i % 1009}`,
    source: "web",
    attributes: { previous_role: "Member", new_role: "Admin" },
  }),
  zendesk: (i, at) => ({
    url: `https://acme.zendesk.com/api/v2/audit_logs/${54210000000000 + i}`,
    id: 54210000000000 + i,
    action_label: "Updated",
    actor_id: 380012000000 + (i % 997),
    actor_name: "Ada Lovelace",
    source_id: 380012000000 + (i % 10007),
    source_type: "user",
    source_label: "Grace Hopper",
    action: ACTIONS[i % ACTIONS.length],
    change_description: "Role changed from End User to Administrator",
    ip_address: `203.0.113.${i % 254}`,
    created_at: isoSeconds(at),
  }),
  cortex: (i, at) => ({
    action: ["CREATE", "UPDATE", "DELETE"][i % 3],
    actorIdentifier: `user${i % 211}@example.com`,
    ipAddress: `198.51.100.${i % 254}`,
    objectIdentifier: `service-${i}`,
    objectType: "CATALOG",
    timestamp: new Date(at).toISOString(),
  }),
  datafold: (i, at) => ({
    timestamp: `${new Date(at).toISOString().slice(0, 23)}000+00:00`,
    event_uuid: uuid(i, 4),
    client_ip: `192.0.2.${i % 254}`,
    url: `/api/v1/monitors/${i % 5000}`,
    action: "update",
    is_support_user: false,
    log_entry: `update monitor ${i % 5000}`,
    object_id: i % 5000,
    object_type: "monitor",
    payload: null,
    referer: null,
    request_type: "PATCH",
    source: "api",
    status: "200",
    user_agent: "python-requests/2.32.3",
    user_email: `user${i % 89}@example.com`,
    user_id: 100 + (i % 89),
  }),
  jitsudo: (i, at) => ({
    id: uuid(i, 5),
    actor_id: `user${i % 53}@example.com`,
    actor_type: "oidc",
    action: "request.approved",
    resource_type: "aws_account",
    resource_id: String(100000000000 + (i % 977)),
    metadata: { permission_set: "ReadOnlyAccess", duration_seconds: 3600 },
    reasoning: "Permitted by policy auto-approve-dev (priority 10)",
    created_at: isoSeconds(at),
  }),
};

/** Precision of each vendor's timestamps: whole seconds or milliseconds. */
const PRECISION = { pylon: 1000, zendesk: 1000, cortex: 1, datafold: 1, jitsudo: 1000 };

export function createVendorHandler(options) {
  const total = options.total;
  const time = timeline(options);
  const fresh = () => ({ requests: 0, inFlight: 0, maxInFlight: 0, byVendor: {}, busyMs: 0, firstMs: undefined, lastMs: undefined, ...(options.timeline ? { timeline: [] } : {}) });
  let stats = fresh();
  const t0 = performance.now();
  const cache = options.replay ? new Map() : undefined;
  let latencyMs = options.latencyMs;
  /** Served time of record i, at the vendor's precision. */
  const at = (vendor, i) => Math.floor(time(i) / PRECISION[vendor]) * PRECISION[vendor];
  /** First index whose (vendor-precision) time is >= t. */
  const firstAtOrAfter = (vendor, t) => {
    let lo = 0;
    let hi = total;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (at(vendor, mid) < t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  /** [from, to) index range of times in [since, until] (both inclusive, as the vendors read them). */
  const range = (vendor, since, until) => [since === undefined ? 0 : firstAtOrAfter(vendor, since), until === undefined ? total : firstAtOrAfter(vendor, until + 1)];
  // `prebuild: vendor`: that vendor's records as JSON text, built once before the server
  // listens, so an answer costs a join, not a build (the generator is not the vendor's time).
  const prebuilt = options.prebuild ? Array.from({ length: total }, (_, i) => JSON.stringify(RECORDS[options.prebuild](i, at(options.prebuild, i)))) : undefined;
  let pending;
  const records = (vendor, from, to) => {
    if (prebuilt && vendor === options.prebuild) {
      // A placeholder, replaced by the records' text when the answer is written.
      pending = [from, to];
      return RECORD_TEXT;
    }
    const out = [];
    for (let i = from; i < to; i++) out.push(RECORDS[vendor](i, at(vendor, i)));
    return out;
  };
  const serialize = (body) => {
    const text = JSON.stringify(body);
    if (!pending) return Buffer.from(text);
    const [head, tail] = text.split(JSON.stringify(RECORD_TEXT));
    return Buffer.from(`${head}[${prebuilt.slice(pending[0], pending[1]).join(",")}]${tail}`);
  };
  const parse = (value) => (value === null || value === undefined || value === "" ? undefined : Date.parse(value));

  const answer = (url, body) => {
    const q = url.searchParams;
    switch (url.pathname) {
      case "/audit-logs": {
        const limit = Number(q.get("limit") ?? 100);
        const from = Number(q.get("cursor") || 0);
        const to = Math.min(total, from + limit);
        return { vendor: "pylon", body: { data: records("pylon", from, to), pagination: { cursor: String(to), has_next_page: to < total }, request_id: `req-${stats.requests}` } };
      }
      case "/api/v2/audit_logs": {
        const size = Number(q.get("page[size]") ?? 100);
        const [since, until] = q.getAll("filter[created_at][]").map(parse);
        const [lo, hi] = range("zendesk", since, until);
        const from = Math.max(lo, Number(q.get("page[after]") || 0));
        const to = Math.min(hi, from + size);
        const next = new URL(url);
        next.searchParams.set("page[after]", String(to));
        return { vendor: "zendesk", body: { audit_logs: records("zendesk", from, to), meta: { has_more: to < hi, after_cursor: String(to), before_cursor: String(from) }, links: { next: to < hi ? next.href : null, prev: null } } };
      }
      case "/api/v1/audit-logs": {
        const page = Number(q.get("page") ?? 0);
        const pageSize = Number(q.get("pageSize") ?? 250);
        const [lo, hi] = range("cortex", parse(q.get("startTime")), parse(q.get("endTime")));
        const from = Math.min(hi, lo + page * pageSize);
        const to = Math.min(hi, from + pageSize);
        return { vendor: "cortex", body: { logs: records("cortex", from, to), page, total: hi - lo, totalPages: Math.ceil((hi - lo) / pageSize) } };
      }
      case "/api/v1/audit_logs": {
        const window = body ? JSON.parse(body) : {};
        const [lo, hi] = range("datafold", parse(window.start_date), parse(window.end_date));
        const to = options.datafoldCap ? Math.min(hi, lo + options.datafoldCap) : hi;
        return { vendor: "datafold", body: { logs: records("datafold", lo, to) } };
      }
      case "/v1/audit-log": {
        const limit = Number(q.get("limit") ?? 50);
        const [lo, hi] = range("jitsudo", parse(q.get("from")), parse(q.get("to")));
        const from = Math.max(lo, Number(q.get("cursor") || 0));
        const to = Math.min(hi, from + limit);
        return { vendor: "jitsudo", body: { data: records("jitsudo", from, to), ...(to < hi ? { next_cursor: String(to) } : {}), has_more: to < hi } };
      }
      default:
        return undefined;
    }
  };

  async function handle(req, res) {
    const url = new URL(req.url, `http://${req.headers.host}`);
    if (url.pathname === "/__stats") {
      // meanInFlight: requests in flight on average between the first arrival and the last answer.
      const span = stats.lastMs - stats.firstMs;
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ ...stats, meanInFlight: span > 0 ? stats.busyMs / span : 0 }));
      return;
    }
    if (url.pathname === "/__latency") {
      latencyMs = Number(url.searchParams.get("ms"));
      res.writeHead(204).end();
      return;
    }
    if (url.pathname === "/__reset") {
      // Requests a warm-up abandoned are answered first (at most a round trip), so they count in neither run.
      for (let i = 0; i < 100 && stats.inFlight > 0; i++) await new Promise((resolve) => setTimeout(resolve, 20));
      const inFlight = stats.inFlight;
      stats = { ...fresh(), inFlight };
      res.writeHead(204).end();
      return;
    }
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    const body = chunks.length ? Buffer.concat(chunks).toString("utf8") : undefined;
    stats.requests += 1;
    stats.inFlight += 1;
    const arrived = performance.now() - t0;
    const counted = stats;
    counted.firstMs ??= arrived;
    stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight);
    try {
      const key = cache ? `${url.pathname}${url.search}\n${body ?? ""}` : undefined;
      let bytes = key && cache.get(key);
      if (!bytes) {
        pending = undefined;
        const answered = answer(url, body);
        if (!answered) {
          res.writeHead(404).end();
          return;
        }
        stats.byVendor[answered.vendor] = (stats.byVendor[answered.vendor] ?? 0) + 1;
        bytes = serialize(answered.body);
        if (key) cache.set(key, bytes);
      }
      // The answer leaves `latencyMs` after the request arrived, its building included: the
      // round trip the ceiling counts, whatever this generator costs (10,000 Datafold logs take
      // tens of ms to build on a loaded machine; a vendor's own time is part of its round trip).
      const wait = latencyMs ? latencyMs - (performance.now() - t0 - arrived) : 0;
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      res.writeHead(200, { "content-type": "application/json", "content-length": bytes.length, "x-arrived": String(performance.timeOrigin + t0 + arrived) });
      res.end(bytes);
      const done = performance.now() - t0;
      counted.busyMs += done - arrived;
      counted.lastMs = done;
      counted.timeline?.push([Math.round(arrived), Math.round(done), url.search.slice(0, 120) + (body ? ` ${body}` : "")]);
    } finally {
      stats.inFlight -= 1;
    }
  }
  return { handle, stats };
}

/** Starts the server in this process: `{ url, stats, close() }`. */
export async function listenVendorServer(options) {
  const { handle, stats } = createVendorHandler(options);
  const server = createServer((req, res) => {
    handle(req, res).catch((error) => {
      if (!res.headersSent) res.writeHead(500);
      res.end(String(error));
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    stats,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The server in a child process: `{ url, stats(), close() }`. */
export async function startVendorServer(options) {
  const proc = spawn(process.execPath, [fileURLToPath(import.meta.url), JSON.stringify(options)], { stdio: ["pipe", "pipe", "inherit"] });
  const exited = new Promise((resolve) => proc.once("exit", resolve));
  const url = await new Promise((resolve, reject) => {
    let out = "";
    proc.stdout.setEncoding("utf8").on("data", (chunk) => {
      out += chunk;
      if (out.includes("\n")) resolve(JSON.parse(out.slice(0, out.indexOf("\n"))).url);
    });
    proc.once("error", reject);
    proc.once("exit", (code) => reject(new Error(`vendor server exited with code ${code} before listening`)));
  });
  return {
    url,
    stats: async () => (await fetch(`${url}/__stats`)).json(),
    resetStats: async () => void (await fetch(`${url}/__reset`)).arrayBuffer(),
    setLatency: async (ms) => void (await fetch(`${url}/__latency?ms=${ms}`)).arrayBuffer(),
    close: async () => {
      proc.stdin.end();
      await exited;
    },
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const server = await listenVendorServer(JSON.parse(process.argv[2] ?? "{}"));
  process.stdout.write(`${JSON.stringify({ url: server.url })}\n`);
  process.stdin.resume();
  process.stdin.on("end", () => void server.close().then(() => process.exit(0)));
}
