/**
 * CPU per event (`cpu_ratio_<vendor>`): `events()` against the obvious alternative, a
 * hand-written loop of `fetch` + `JSON.parse` that follows the vendor's pagination and touches
 * every record, over the same events from the bench vendor server in its own process replaying
 * prebuilt response bytes (`replay: true`: a warm-up read of each fills its cache), with no
 * latency and no rate limit. The server only writes bytes, so the reader is the bottleneck.
 * Runs alternate (A B, B A, …); medians compared. Default client options otherwise (Zendesk and
 * JITSudo read time slices, Cortex pages and Datafold windows 4 at a time).
 */
import nodeHttp from "node:http";
import { benchClientOptions, median, progress } from "./lib.mjs";
import { startVendorServer } from "./vendor-server.mjs";

const DAY_MS = 86_400_000;
const PAGE = { pylon: 999, zendesk: 100, cortex: 1000, jitsudo: 1000 };


const getJson = async (url, headers = {}) => {
  const response = await fetch(url, { headers: { accept: "application/json", ...headers } });
  if (!response.ok) throw new Error(`hand-written loop: HTTP ${response.status}`);
  return JSON.parse(await response.text());
};

/** GET with a JSON body (Datafold), which fetch refuses: node:http, as a user would write it. */
function getWithBody(url, body) {
  return new Promise((resolve, reject) => {
    const payload = Buffer.from(JSON.stringify(body));
    const req = nodeHttp.request(url, { method: "GET", headers: { "content-type": "application/json", "content-length": payload.length } }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve(JSON.parse(Buffer.concat(chunks).toString("utf8"))));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(payload);
  });
}

/** What a user would write by hand, per vendor: sequential requests, every record touched. */
const HAND_WRITTEN = {
  async pylon(base) {
    let count = 0;
    let cursor;
    for (;;) {
      const url = new URL("/audit-logs", base);
      url.searchParams.set("limit", String(PAGE.pylon));
      if (cursor) url.searchParams.set("cursor", cursor);
      const page = await getJson(url);
      for (const record of page.data) if (record) count += 1;
      if (!page.pagination.has_next_page) return count;
      cursor = page.pagination.cursor;
    }
  },
  async zendesk(base, { since, until }) {
    let count = 0;
    const first = new URL("/api/v2/audit_logs", base);
    first.searchParams.set("page[size]", String(PAGE.zendesk));
    first.searchParams.set("sort", "created_at");
    first.searchParams.append("filter[created_at][]", `${since.toISOString().slice(0, 19)}Z`);
    first.searchParams.append("filter[created_at][]", `${until.toISOString().slice(0, 19)}Z`);
    let url = first.href;
    for (;;) {
      const page = await getJson(url);
      for (const record of page.audit_logs) if (record) count += 1;
      if (!page.meta.has_more) return count;
      url = page.links.next;
    }
  },
  async cortex(base, { since, until }) {
    let count = 0;
    for (let page = 0; ; page++) {
      const url = new URL("/api/v1/audit-logs", base);
      url.searchParams.set("page", String(page));
      url.searchParams.set("pageSize", String(PAGE.cortex));
      url.searchParams.set("startTime", since.toISOString());
      url.searchParams.set("endTime", until.toISOString());
      const body = await getJson(url);
      for (const record of body.logs) if (record) count += 1;
      if (page >= body.totalPages - 1) return count;
    }
  },
  async datafold(base, { since, until }) {
    let count = 0;
    for (let start = since.getTime(); start < until.getTime(); start += DAY_MS) {
      const end = Math.min(start + DAY_MS, until.getTime());
      const body = await getWithBody(new URL("/api/v1/audit_logs", base), { start_date: new Date(start).toISOString(), end_date: new Date(end).toISOString() });
      // Both bounds are inclusive: keep [start, end) so a boundary record counts once.
      for (const record of body.logs) {
        const at = Date.parse(record.timestamp);
        if (at >= start && at < end) count += 1;
      }
    }
    return count;
  },
  async jitsudo(base, { since, until }) {
    let count = 0;
    let cursor;
    for (;;) {
      const url = new URL("/v1/audit-log", base);
      url.searchParams.set("limit", String(PAGE.jitsudo));
      url.searchParams.set("from", since.toISOString());
      url.searchParams.set("to", until.toISOString());
      if (cursor) url.searchParams.set("cursor", cursor);
      const page = await getJson(url);
      for (const record of page.data) if (record) count += 1;
      if (!page.has_more) return count;
      cursor = page.next_cursor;
    }
  },
};

export async function benchCpu({ createClient, events = 100_000, rounds = 5, vendors = ["pylon", "zendesk", "cortex", "datafold", "jitsudo"] }) {
  const out = {};
  const end = Math.floor((Date.now() - 3_600_000) / 1000) * 1000;
  // 20 days: Datafold reads 20 one-day windows of 5,000 logs.
  const start = end - 20 * DAY_MS;
  const range = { since: new Date(start), until: new Date(end) };
  // One server for every vendor (it serves all five; each vendor's answers are its own cache entries).
  const server = await startVendorServer({ total: events, start, end: end - 1000, replay: true });
  try {
    for (const vendor of vendors) {
      const sdk = async () => {
        const client = createClient(benchClientOptions(vendor, server.url));
        let count = 0;
        for await (const event of client.events({ ...range, ...(PAGE[vendor] ? { pageSize: PAGE[vendor] } : {}) })) if (event) count += 1;
        return count;
      };
      const hand = () => HAND_WRITTEN[vendor](server.url, range);
      // Each run's CPU time too (this process only: the server's is its own): on a loaded machine
      // wall time measures the other work as much as this code, CPU time much less so.
      const cpuRates = { fetch: [], sdk: [] };
      const run = async (name) => {
        const started = performance.now();
        const cpu = process.cpuUsage();
        const count = await (name === "sdk" ? sdk() : hand());
        const ms = performance.now() - started;
        const used = process.cpuUsage(cpu);
        if (count !== events) throw new Error(`cpu ${vendor}: ${name} read ${count} events, expected ${events}`);
        cpuRates[name].push((count / (used.user + used.system)) * 1e6);
        return (count / ms) * 1000;
      };
      // Warm-up of each: fills the server's replay cache, the JIT and the connection pool.
      await run("fetch");
      await run("sdk");
      cpuRates.fetch.length = cpuRates.sdk.length = 0;
      const before = await server.stats();
      const rates = { fetch: [], sdk: [] };
      for (let i = 0; i < rounds; i++) for (const name of i % 2 === 0 ? ["fetch", "sdk"] : ["sdk", "fetch"]) rates[name].push(await run(name));
      const after = await server.stats();
      const fetchRate = median(rates.fetch);
      const sdkRate = median(rates.sdk);
      // Answers not in the replay cache (a time slice split at another point than in the warm-up).
      const built = Object.values(after.byVendor).reduce((a, b) => a + b, 0) - Object.values(before.byVendor).reduce((a, b) => a + b, 0);
      const perCpuSecond = { sdk: median(cpuRates.sdk), fetch: median(cpuRates.fetch) };
      perCpuSecond.ratio = perCpuSecond.sdk / perCpuSecond.fetch;
      out[vendor] = { ratio: sdkRate / fetchRate, sdkEventsPerSec: sdkRate, fetchEventsPerSec: fetchRate, rounds, rates, perCpuSecond, answersBuiltAfterWarmUp: built };
      progress(
        `  ${vendor}: events() ${Math.round(sdkRate).toLocaleString("en")}/s, fetch + JSON.parse ${Math.round(fetchRate).toLocaleString("en")}/s (${(sdkRate / fetchRate).toFixed(2)}); ` +
          `per CPU second ${Math.round(perCpuSecond.sdk).toLocaleString("en")} vs ${Math.round(perCpuSecond.fetch).toLocaleString("en")} (${perCpuSecond.ratio.toFixed(2)}); ${built} answers built after the warm-up`,
      );
    }
  } finally {
    await server.close();
  }
  return out;
}
