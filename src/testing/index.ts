/**
 * `auditlogs/testing`: a faithful fake of the five vendors' audit-log APIs, with faults on
 * request. The project's tests, the demo and the benchmarks run on it; use it to test your own
 * pipeline without credentials or network.
 *
 *   const sim = createSimulator({ eventsPerVendor: 500, faults: { rate: 0.1 } });
 *   const server = await sim.listen();               // http://127.0.0.1:<port>
 *   const client = createPylonClient(server.credentials.pylon);
 *
 * or with msw: `setupServer(...sim.handlers)` and `createPylonClient(sim.credentials.pylon)`.
 */
import { randomUUID } from "node:crypto";
import type { RequestHandler } from "msw";
import { VENDOR_IDS, type VendorId } from "../core/vendor-id.js";
import { Random } from "./data.js";
import { cortexFake } from "./cortex.js";
import { datafoldFake } from "./datafold.js";
import { jitsudoFake } from "./jitsudo.js";
import { mswHandlers } from "./msw.js";
import { pylonFake } from "./pylon.js";
import { listen, type SimulatorServer } from "./server.js";
import { json, type FakeRequest, type VendorFake } from "./vendor.js";
import { zendeskFake } from "./zendesk.js";
import type { components as Pylon } from "../../generated/pylon.js";
import type { components as Zendesk } from "../../generated/zendesk.js";
import type { components as Cortex } from "../../generated/cortex.js";
import type { components as Datafold } from "../../generated/datafold.js";
import type { components as Jitsudo } from "../../generated/jitsudo.js";

export type { SimulatorServer } from "./server.js";
export type { VendorId };

export type FaultKind = "429" | "500" | "502" | "503" | "reset" | "truncate" | "slow";

export interface FaultOptions {
  /** Probability (0–1) that a request gets a fault, drawn from the seeded PRNG. */
  rate: number;
  /** Which faults to draw from. Default all. */
  kinds?: FaultKind[];
  /** Delay of a "slow" fault, ms. Default 2000. */
  slowMs?: number;
  /** A 429 fault repeats for this many consecutive requests. Default 1. */
  burst?: number;
}

export interface SimulatorOptions {
  vendors?: VendorId[];
  eventsPerVendor?: number | Partial<Record<VendorId, number>>;
  seed?: number;
  /** Events occur in the `spanDays` before this. Default: now − 5 minutes. */
  endAt?: Date | string;
  spanDays?: number;
  faults?: FaultOptions;
  /** Added before every response, ms. */
  latencyMs?: number | Partial<Record<VendorId, number>>;
  /** Requests per minute per vendor (token bucket); default each vendor's documented limit. */
  rateLimit?: false | Partial<Record<VendorId, number | false>>;
  /** false: Zendesk answers 403 as for an account without Enterprise. Default true. */
  zendeskEnterprise?: boolean;
  /** Cuts every Datafold answer to this many logs, silently (tests window splitting). */
  datafoldMaxLogs?: number;
}

export interface SimulatorRecords {
  pylon: Pylon["schemas"]["AuditLog"][];
  zendesk: Zendesk["schemas"]["AuditLog"][];
  cortex: Cortex["schemas"]["AuditLogResponse"][];
  datafold: Datafold["schemas"]["AuditLogs"][];
  jitsudo: Jitsudo["schemas"]["AuditLogEntry"][];
}

export interface SimulatorCredentials {
  pylon: { apiToken: string };
  zendesk: { subdomain: string; auth: { email: string; apiToken: string } };
  cortex: { apiToken: string };
  datafold: { apiKey: string };
  jitsudo: { baseUrl: string; apiKey: string; tenantId: string };
}

export interface SimulatorStats {
  requests: Record<VendorId, number>;
  faults: Record<VendorId, number>;
  rateLimited: Record<VendorId, number>;
}

export interface Simulator {
  /** msw request handlers for the vendors' real hosts (msw is an optional peer dependency). */
  readonly handlers: RequestHandler[];
  /** A real HTTP server on 127.0.0.1 serving every vendor on one origin. */
  listen(options?: { port?: number }): Promise<SimulatorServer>;
  /** Options that authenticate, for the msw path (the vendors' default hosts). */
  readonly credentials: SimulatorCredentials;
  /** The records served, oldest first; live (mutations and added events show up). */
  readonly events: SimulatorRecords;
  /** Routes one request to its vendor. `body` carries a GET body (Datafold), which a Request cannot hold. */
  handle(request: Request, body?: string): Promise<Response>;
  /** Adds events: at `occurredAt` (late arrivals, inserted in the past) or now. Returns them. */
  addEvents<V extends VendorId>(vendor: V, count: number, options?: { occurredAt?: Date | string }): SimulatorRecords[V];
  readonly stats: SimulatorStats;
  resetStats(): void;
}

/** Documented limits (requests/min): Pylon 60, Zendesk Enterprise 700, Cortex 1,000; others none. */
const DEFAULT_RATE_LIMITS: Record<VendorId, number | false> = { pylon: 60, zendesk: 700, cortex: 1000, datafold: false, jitsudo: false };

/** The default credentials: fixed, so a user can paste them; fake, so they open nothing. */
export const SIMULATOR_CREDENTIALS: SimulatorCredentials & { zendeskOauthToken: string } = {
  pylon: { apiToken: "sim_pylon_token" },
  zendesk: { subdomain: "acme", auth: { email: "admin@acme.example.com", apiToken: "sim_zendesk_token" } },
  cortex: { apiToken: "sim_cortex_token" },
  datafold: { apiKey: "sim_datafold_key" },
  jitsudo: { baseUrl: "https://jitsudo.example.com", apiKey: "sim_jitsudo_key", tenantId: "2489e9ad-2ee2-4e00-8ec9-32d5f69181c0" },
  zendeskOauthToken: "sim_zendesk_oauth",
};

/** Marks a response the transport must turn into a connection reset. */
export const RESET = Symbol.for("auditlogs.simulator.reset");
/** Marks a response whose body the transport must cut short. */
export const TRUNCATE = Symbol.for("auditlogs.simulator.truncate");

export function createSimulator(options: SimulatorOptions = {}): Simulator {
  const vendors = options.vendors ?? [...VENDOR_IDS];
  for (const v of vendors) if (!VENDOR_IDS.includes(v)) throw new TypeError(`createSimulator: unknown vendor ${JSON.stringify(v)}`);
  const seed = options.seed ?? 1;
  const endAt = options.endAt === undefined ? Date.now() - 5 * 60_000 : new Date(options.endAt).getTime();
  if (!Number.isFinite(endAt)) throw new TypeError("createSimulator: endAt is not a valid date");
  const spanMs = (options.spanDays ?? 7) * 24 * 60 * 60_000;
  const c = SIMULATOR_CREDENTIALS;

  const fakes: Partial<Record<VendorId, VendorFake>> = {};
  const all: Record<VendorId, () => VendorFake<any>> = {
    pylon: () => pylonFake(c.pylon),
    zendesk: () => zendeskFake({ subdomain: c.zendesk.subdomain, ...c.zendesk.auth, oauthToken: c.zendeskOauthToken, enterprise: options.zendeskEnterprise ?? true }),
    cortex: () => cortexFake(c.cortex),
    datafold: () => datafoldFake({ apiKey: c.datafold.apiKey, maxLogs: options.datafoldMaxLogs }),
    jitsudo: () => jitsudoFake(c.jitsudo),
  };
  const rngs = {} as Record<VendorId, Random>;
  VENDOR_IDS.forEach((vendor, i) => {
    rngs[vendor] = new Random(seed * 7919 + i * 104_729);
    if (!vendors.includes(vendor)) return;
    const fake = all[vendor]();
    fakes[vendor] = fake;
    const count = typeof options.eventsPerVendor === "number" ? options.eventsPerVendor : (options.eventsPerVendor?.[vendor] ?? 250);
    const rng = rngs[vendor];
    const items = [];
    for (let n = 0; n < count; n++) {
      const at = roundDown(endAt - 1 - Math.floor(rng.next() * spanMs), fake.precisionMs);
      items.push({ at, record: fake.make(rng, at) });
    }
    fake.log.addAll(items);
  });

  const faultRng = new Random(seed ^ 0x5eed);
  const buckets = new Map<VendorId, Bucket>();
  for (const vendor of vendors) {
    const limit = options.rateLimit === false ? false : (options.rateLimit?.[vendor] ?? DEFAULT_RATE_LIMITS[vendor]);
    if (limit) buckets.set(vendor, new Bucket(limit));
  }
  const zero = () => Object.fromEntries(VENDOR_IDS.map((v) => [v, 0])) as Record<VendorId, number>;
  const stats: SimulatorStats = { requests: zero(), faults: zero(), rateLimited: zero() };
  const burstLeft = new Map<VendorId, number>();
  const kinds = options.faults?.kinds ?? ["429", "500", "502", "503", "reset", "truncate", "slow"];

  async function handle(request: Request, body?: string): Promise<Response> {
    const url = new URL(request.url);
    const fake = Object.values(fakes).find((f) => f.path === url.pathname);
    if (!fake || request.method !== "GET") return json({ error: "NotFound", description: `${request.method} ${url.pathname} is not served here` }, 404);
    const vendor = fake.vendor;
    stats.requests[vendor] += 1;
    const req: FakeRequest = { request, url, body, requestId: `req_${randomUUID().replaceAll("-", "").slice(0, 16)}`, now: Date.now() };
    const latency = typeof options.latencyMs === "number" ? options.latencyMs : (options.latencyMs?.[vendor] ?? 0);
    if (latency > 0) await delay(latency);

    // Faults change nothing: a faulted request serves nothing, so a retry gets every event once.
    const fault = drawFault(vendor);
    if (fault) {
      stats.faults[vendor] += 1;
      if (fault === "429") return withRequestId(fake.rateLimited(req, 0), req);
      if (fault === "reset") return mark(new Response(null, { status: 599 }), RESET);
      if (fault === "500" || fault === "502" || fault === "503") return withRequestId(fake.serverError(req, Number(fault)), req);
      if (fault === "slow") await delay(options.faults?.slowMs ?? 2_000);
    }

    const denied = fake.authenticate(req);
    if (denied) return withRequestId(denied, req);
    const bucket = buckets.get(vendor);
    if (bucket && !bucket.take()) {
      stats.rateLimited[vendor] += 1;
      return withRequestId(fake.rateLimited(req, Math.max(1, Math.ceil(bucket.secondsUntilNext()))), req);
    }
    const response = withRequestId(fake.list(req), req);
    return fault === "truncate" ? mark(response, TRUNCATE) : response;
  }

  function drawFault(vendor: VendorId): FaultKind | undefined {
    const left = burstLeft.get(vendor) ?? 0;
    if (left > 0) {
      burstLeft.set(vendor, left - 1);
      return "429";
    }
    const faults = options.faults;
    if (!faults || faults.rate <= 0 || faultRng.next() >= faults.rate) return undefined;
    const kind = faultRng.pick(kinds);
    if (kind === "429" && (faults.burst ?? 1) > 1) burstLeft.set(vendor, (faults.burst ?? 1) - 1);
    return kind;
  }

  const events = {} as SimulatorRecords;
  for (const vendor of VENDOR_IDS) (events as unknown as Record<VendorId, unknown[]>)[vendor] = fakes[vendor]?.log.records ?? [];

  let handlers: RequestHandler[] | undefined;
  const simulator: Simulator = {
    get handlers() {
      handlers ??= mswHandlers(handle, vendors, c);
      return handlers;
    },
    listen: (listenOptions) => listen(handle, c, listenOptions),
    credentials: { pylon: c.pylon, zendesk: c.zendesk, cortex: c.cortex, datafold: c.datafold, jitsudo: c.jitsudo },
    events,
    handle,
    addEvents(vendor, count, addOptions = {}) {
      const fake = fakes[vendor];
      if (!fake) throw new TypeError(`addEvents: ${vendor} is not simulated here`);
      const at = addOptions.occurredAt === undefined ? Date.now() : new Date(addOptions.occurredAt).getTime();
      if (!Number.isFinite(at)) throw new TypeError("addEvents: occurredAt is not a valid date");
      const added = [];
      for (let n = 0; n < count; n++) {
        const time = roundDown(at + n * fake.precisionMs, fake.precisionMs);
        const record = fake.make(rngs[vendor], time);
        fake.log.add(time, record);
        added.push(record);
      }
      return added as SimulatorRecords[typeof vendor];
    },
    stats,
    resetStats() {
      for (const counter of [stats.requests, stats.faults, stats.rateLimited]) for (const v of VENDOR_IDS) counter[v] = 0;
    },
  };
  return simulator;
}

/** The server-side token bucket: the vendor's per-minute allowance, starting full. */
class Bucket {
  #tokens: number;
  #at = Date.now();
  constructor(readonly perMinute: number) {
    this.#tokens = perMinute;
  }
  take(): boolean {
    const now = Date.now();
    this.#tokens = Math.min(this.perMinute, this.#tokens + ((now - this.#at) * this.perMinute) / 60_000);
    this.#at = now;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
  secondsUntilNext(): number {
    return ((1 - this.#tokens) * 60) / this.perMinute;
  }
}

function withRequestId(response: Response, req: FakeRequest): Response {
  if (!response.headers.has("x-request-id")) response.headers.set("X-Request-Id", req.requestId);
  return response;
}

function mark(response: Response, symbol: symbol): Response {
  Object.defineProperty(response, symbol, { value: true });
  return response;
}

function roundDown(ms: number, precision: number): number {
  return Math.floor(ms / precision) * precision;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
