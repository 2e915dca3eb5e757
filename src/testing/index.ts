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
import { unknownKey } from "../core/names.js";
import { isVendor, type Vendor } from "../core/vendor.js";
import { BUILT_IN_VENDORS, VENDOR_IDS, type VendorId } from "../vendors/registry.js";
import { firstPath } from "./contract.js";
import { systemClock, type Clock } from "../internal/clock.js";
import { cortex, type CortexRecord } from "./cortex.js";
import { instants, Random, roundDown, type Skew } from "./data.js";
import { datafold, type DatafoldRecord } from "./datafold.js";
import { AuditLog, json, type FakeConfig, type FakeContext, type VendorFake } from "./fake.js";
import { connectionReset, FaultInjector, TokenBucket, truncate, type FaultKind, type FaultOptions } from "./faults.js";
import { jitsudo, type JitsudoRecord } from "./jitsudo.js";
import { mswHandlers } from "./msw.js";
import { pylon, type PylonRecord } from "./pylon.js";
import { listen, type SimulatorServer } from "./server.js";
import { zendesk, ZENDESK_SUBDOMAIN, type ZendeskRecord } from "./zendesk.js";

export { vendorContract, type ContractMatchers, type ContractRunner, type RecordedRequest, type VendorContractSubject } from "./contract.js";
import type { Fake } from "./server.js";
export type { Fake };
export type { CortexRecord, DatafoldRecord, FaultKind, FaultOptions, JitsudoRecord, PylonRecord, SimulatorServer, Skew, VendorId, ZendeskRecord };

/** Options of `createSimulator`; every one has a default. */
export interface SimulatorOptions {
  /** The vendors served. Default all five. */
  vendors?: VendorId[];
  /** Events generated per vendor, or per vendor by name. Default 250. */
  eventsPerVendor?: number | Partial<Record<VendorId, number>>;
  /** Same seed and same `endAt`: identical data. Default 1. */
  seed?: number;
  /** Events occur in the `spanDays` before this. Default: creation time minus 5 minutes (Zendesk cannot read the last 60 s). */
  endAt?: Date | string;
  /** How many days before `endAt` the events spread over. Default 7. */
  spanDays?: number;
  /**
   * Skewed data: `share` of the events in the last `last` of the span (`{ share: 0.8, last: 0.1 }`:
   * 80 % of them in the last 10 %, the rest spread over the other 90 %). Default uniform.
   */
  skew?: Skew;
  /** Faults injected per request. Default none. */
  faults?: FaultOptions;
  /** Added before every response, ms. */
  latencyMs?: number | Partial<Record<VendorId, number>>;
  /** Requests per minute per vendor (token bucket, capacity one minute's worth). Default each vendor's documented limit; false: none. */
  rateLimit?: false | Partial<Record<VendorId, number | false>>;
  /** false: Zendesk answers 403 "You do not have access to this page." as for an account without Enterprise. Default true. */
  zendeskEnterprise?: boolean;
  /** Cuts every Datafold answer to this many logs, silently (for testing window splitting). */
  datafoldMaxLogs?: number;
  /**
   * The order Pylon serves its audit log in, which its API does not document: `"ingestion"`
   * (oldest first, the default) or `"newest-first"`.
   */
  pylonOrder?: "ingestion" | "newest-first";
  /**
   * The simulator's time: `now()` for its rate limits, time filters, the default `endAt` and
   * `addEvents`; `sleep(ms)` for `latencyMs` and slow faults. The client's `clock` option has the
   * same shape, so a test can drive both from one fake clock instead of waiting. Default: the
   * system clock.
   */
  clock?: Clock;
  /**
   * More vendors to serve beside the built-ins, each a `defineVendor` vendor with a fake of its
   * API: on `listen()`'s origin by path, and with msw on the vendor's own host. Faults, latency
   * and the vendor's `requestsPerMinute` apply to them as to the built-ins.
   */
  fakes?: SimulatorFake[];
}

/** A vendor the simulator serves besides the built-ins (`createSimulator({ fakes })`). */
export interface SimulatorFake {
  /** The vendor, from `defineVendor`. */
  vendor: Vendor;
  /** Its API: a Request (and the body a GET cannot carry) to the Response it would send. */
  fake: Fake;
  /** Client options that authenticate against `fake`: `sim.credentials[vendor.id]`. */
  credentials: Record<string, unknown>;
  /** The paths it answers on `listen()`'s origin. Default: the path of the definition's first page. */
  paths?: string[];
}

/** The records each vendor serves, typed from the vendors' OpenAPI specs (generated/<vendor>.ts). */
export interface SimulatorRecords {
  /** Pylon's audit logs, as `GET /audit-logs` serves them. */
  pylon: PylonRecord[];
  /** Zendesk's audit logs, as `GET /api/v2/audit_logs` serves them. */
  zendesk: ZendeskRecord[];
  /** Cortex's audit logs, as `GET /api/v1/audit-logs` serves them. */
  cortex: CortexRecord[];
  /** Datafold's audit logs, as `GET /api/v1/audit_logs` serves them. */
  datafold: DatafoldRecord[];
  /** JITSudo's audit log, as `GET /v1/audit-log` serves it. */
  jitsudo: JitsudoRecord[];
}

/** Client options that authenticate against the simulator. */
export interface SimulatorCredentials {
  /** For `createPylonClient`. */
  pylon: { apiToken: string };
  /** For `createZendeskClient` (subdomain `acme`). */
  zendesk: { subdomain: string; auth: { email: string; apiToken: string } };
  /** For `createCortexClient`. */
  cortex: { apiToken: string };
  /** For `createDatafoldClient`. */
  datafold: { apiKey: string };
  /** For `createJitsudoClient` (self-hosted, so `baseUrl` is always set). */
  jitsudo: { baseUrl: string; apiKey: string; tenantId: string };
}

/** What the simulator has served, per vendor (`sim.stats`). */
export interface SimulatorStats {
  /** Every request routed to the vendor, faulted or not. */
  requests: Record<VendorId, number> & Record<string, number>;
  /** Injected faults (including slow responses). */
  faults: Record<VendorId, number> & Record<string, number>;
  /** 429s from the vendor's rate limit (not injected ones). */
  rateLimited: Record<VendorId, number> & Record<string, number>;
}

/** A simulator of the five vendors, from `createSimulator()`. Serve it with `listen()` or msw's `setupServer(...sim.handlers)`. */
export interface Simulator {
  /** msw request handlers for the vendors' real hosts (msw is an optional peer dependency, loaded on first read). */
  readonly handlers: RequestHandler[];
  /** A real HTTP server on 127.0.0.1 serving every vendor on one origin (random port by default). */
  listen(options?: { port?: number }): Promise<SimulatorServer>;
  /** Options that authenticate, for the msw path (the vendors' default hosts); a vendor of `fakes` by its id. */
  readonly credentials: SimulatorCredentials & Record<string, Record<string, unknown>>;
  /** The records served, oldest first; live (added events show up). */
  readonly events: SimulatorRecords;
  /** Routes one request to its vendor by path. `body` carries a GET body (Datafold), which a Request cannot hold. */
  handle(request: Request, body?: string): Promise<Response>;
  /** Adds `count` events at `occurredAt` (late arrivals, inserted in the past) or now (appended). Returns them. */
  addEvents<V extends VendorId>(vendor: V, count: number, options?: { occurredAt?: Date | string }): SimulatorRecords[V];
  /** Live counters. */
  readonly stats: SimulatorStats;
  /** Sets every counter in `stats` back to 0. */
  resetStats(): void;
}

/** The default credentials: fixed, so a user can paste them; fake, so they open nothing. */
export const SIMULATOR_CREDENTIALS: Readonly<SimulatorCredentials & { zendeskOauthToken: string }> = deepFreeze({
  pylon: { apiToken: "sim_pylon_token" },
  zendesk: { subdomain: ZENDESK_SUBDOMAIN, auth: { email: "admin@acme.example.com", apiToken: "sim_zendesk_token" } },
  cortex: { apiToken: "sim_cortex_token" },
  datafold: { apiKey: "sim_datafold_key" },
  jitsudo: { baseUrl: "https://jitsudo.example.com", apiKey: "sim_jitsudo_key", tenantId: "2489e9ad-2ee2-4e00-8ec9-32d5f69181c0" },
  zendeskOauthToken: "sim_zendesk_oauth_token",
});

/** A vendor's documented limit (its definition's `requestsPerMinute`), requests/min; false where it documents none. */
const documentedLimit = (vendor: Vendor): number | false => vendor.definition.requestsPerMinute ?? false;

const FAKES: { [V in VendorId]: VendorFake<SimulatorRecords[V][number]> } = { pylon, zendesk, cortex, datafold, jitsudo };

const SIMULATOR_KEYS = ["vendors", "eventsPerVendor", "seed", "endAt", "spanDays", "skew", "faults", "latencyMs", "rateLimit", "zendeskEnterprise", "datafoldMaxLogs", "pylonOrder", "clock", "fakes"] as const;
// Every key of SimulatorOptions is in SIMULATOR_KEYS (a key added to one and not the other fails to compile).
const _everySimulatorKey: Record<Exclude<keyof SimulatorOptions, (typeof SIMULATOR_KEYS)[number]>, never> = {};
void _everySimulatorKey;

/**
 * A deterministic fake of the five vendors' audit-log APIs: their auth, pagination, filters,
 * page-size limits, rate limits and error bodies, with faults on request. Nothing is served until
 * `listen()` or msw's `setupServer(...sim.handlers)`. A bad option throws a `TypeError` or
 * `RangeError` naming it, and so does an option it does not have.
 */
export function createSimulator(options: SimulatorOptions = {}): Simulator {
  if (options === null || typeof options !== "object") throw new TypeError("createSimulator: options must be an object");
  // A misspelt option is refused, not ignored (a test would run on the defaults without a word).
  const unknown = unknownKey(options, SIMULATOR_KEYS);
  if (unknown) throw new TypeError(`createSimulator: ${unknown.key} is not an option${unknown.near ? `: did you mean ${unknown.near}?` : ""} (its options: ${SIMULATOR_KEYS.join(", ")})`);
  const vendors = checkVendors(options.vendors);
  const seed = options.seed ?? 1;
  if (!Number.isFinite(seed)) throw new TypeError("createSimulator: seed must be a number");
  const clock = checkClock(options.clock);
  const endAt = options.endAt === undefined ? clock.now() - 5 * 60_000 : checkDate(options.endAt, "createSimulator: endAt");
  const spanDays = options.spanDays ?? 7;
  if (!(spanDays > 0)) throw new RangeError("createSimulator: spanDays must be more than 0");
  if (options.datafoldMaxLogs !== undefined) checkCount(options.datafoldMaxLogs, "createSimulator: datafoldMaxLogs");
  const skew = options.skew;
  if (skew !== undefined && !(skew && skew.share >= 0 && skew.share <= 1 && skew.last > 0 && skew.last <= 1)) {
    throw new RangeError("createSimulator: skew must be { share, last } with share in [0, 1] and last in (0, 1]");
  }
  // A copy per simulator: a test that edits sim.credentials changes nobody else's.
  const { zendeskOauthToken, ...credentials } = structuredClone(SIMULATOR_CREDENTIALS);
  const pylonOrder = options.pylonOrder ?? "ingestion";
  if (pylonOrder !== "ingestion" && pylonOrder !== "newest-first") throw new TypeError('createSimulator: pylonOrder must be "ingestion" or "newest-first"');
  const config: FakeConfig = { credentials, zendeskOauthToken, zendeskEnterprise: options.zendeskEnterprise ?? true, datafoldMaxLogs: options.datafoldMaxLogs, pylonOrder };

  const faults = new FaultInjector(options.faults, seed);
  const buckets = new Map<VendorId, TokenBucket>();
  const latency = new Map<VendorId, number>();
  const counts = new Map<VendorId, number>();
  for (const vendor of vendors) {
    const limit = options.rateLimit === false ? false : (options.rateLimit?.[vendor] ?? documentedLimit(BUILT_IN_VENDORS[vendor]));
    if (limit !== false) {
      if (!(limit > 0)) throw new RangeError(`createSimulator: rateLimit.${vendor} must be more than 0, or false`);
      buckets.set(vendor, new TokenBucket(limit, clock));
    }
    const ms = perVendor(options.latencyMs, vendor, 0, "latencyMs");
    if (!(ms >= 0)) throw new RangeError("createSimulator: latencyMs must be 0 or more");
    latency.set(vendor, ms);
    const count = perVendor(options.eventsPerVendor, vendor, 250, "eventsPerVendor");
    checkCount(count, "createSimulator: eventsPerVendor");
    counts.set(vendor, count);
  }

  // Each vendor has its own PRNG, seeded by its place in VENDOR_IDS: its data does not depend on
  // which other vendors are simulated.
  const simulated = new Map<VendorId, SimulatedVendor<unknown>>();
  VENDOR_IDS.forEach((vendor, index) => {
    const count = counts.get(vendor);
    if (count === undefined) return;
    simulated.set(vendor, simulateVendor(vendor, new Random(seed * 7919 + index * 104_729), config, { count, endAt, spanMs: spanDays * 86_400_000, skew, clock }));
  });
  const extras = checkFakes(options.fakes);
  for (const extra of extras) {
    const id = extra.vendor.id;
    (credentials as Record<string, Record<string, unknown>>)[id] = structuredClone(extra.credentials);
    const limit = options.rateLimit === false ? false : documentedLimit(extra.vendor);
    if (limit !== false) buckets.set(id as VendorId, new TokenBucket(limit, clock));
    latency.set(id as VendorId, perVendor(options.latencyMs as Record<string, number> | number | undefined, id as VendorId, 0, "latencyMs"));
    simulated.set(id as VendorId, extraVendor(extra));
  }
  const ids = [...VENDOR_IDS, ...extras.map((e) => e.vendor.id)] as VendorId[];
  const routes = new Map<string, SimulatedVendor<unknown>>();
  for (const vendor of simulated.values()) for (const path of vendor.paths) routes.set(path, vendor);

  const zero = () => Object.fromEntries(ids.map((v) => [v, 0])) as Record<VendorId, number>;
  const stats: SimulatorStats = { requests: zero(), faults: zero(), rateLimited: zero() };

  /** The dispatcher. `only`: the vendor whose host the request went to (msw), so another vendor's path there is a 404. */
  async function dispatch(request: Request, body: string | undefined, only?: string): Promise<Response> {
    const url = new URL(request.url);
    const target = routes.get(url.pathname);
    if (!target || (only !== undefined && target.vendor !== only)) return json({ error: "NotFound", message: `No route for ${request.method} ${url.pathname}` }, 404);
    if (request.method !== "GET") return json({ error: "MethodNotAllowed", message: `${url.pathname} answers GET only` }, 405, { Allow: "GET" });
    const vendor = target.vendor;
    stats.requests[vendor] += 1;
    const ms = latency.get(vendor) ?? 0;
    if (ms > 0) await clock.sleep(ms);
    // A faulted request serves nothing and changes nothing, so a client that retries gets every event once.
    const fault = faults.draw(vendor);
    if (fault) stats.faults[vendor] += 1;
    if (fault === "slow") await clock.sleep(faults.slowMs);
    const bucket = buckets.get(vendor);
    const admit = () => {
      if (!bucket || bucket.take()) return undefined;
      stats.rateLimited[vendor] += 1;
      return bucket.retryAfterSeconds();
    };
    const response = await target.answer(request, body, fault, admit);
    // The vendor's rate-limit headers, on every answer a limited vendor gives.
    if (bucket && response.type !== "error") for (const [name, value] of Object.entries(target.rateLimitHeaders(bucket.perMinute, bucket.remaining()))) response.headers.set(name, value);
    return fault === "truncate" ? truncate(response) : response;
  }

  const events = Object.fromEntries(VENDOR_IDS.map((vendor) => [vendor, simulated.get(vendor)?.records ?? []])) as unknown as SimulatorRecords;
  let handlers: RequestHandler[] | undefined;
  return {
    get handlers() {
      handlers ??= mswHandlers(dispatch, [...vendors.map((v) => BUILT_IN_VENDORS[v] as Vendor), ...extras.map((e) => e.vendor)], credentials);
      return handlers;
    },
    listen: (listenOptions) => listen((request, body) => dispatch(request, body), credentials, listenOptions),
    credentials,
    events,
    handle: (request, body) => dispatch(request, body),
    addEvents<V extends VendorId>(vendor: V, count: number, addOptions: { occurredAt?: Date | string } = {}): SimulatorRecords[V] {
      const target = simulated.get(vendor);
      if (!target) throw new TypeError(`addEvents: ${JSON.stringify(vendor)} is not simulated here (vendors: ${vendors.join(", ")})`);
      checkCount(count, "addEvents: count");
      // Appended events come last even when endAt is in the future.
      const at = addOptions.occurredAt === undefined ? Math.max(clock.now(), target.newestAt() ?? 0) : checkDate(addOptions.occurredAt, "addEvents: occurredAt");
      return Array.from({ length: count }, () => target.add(at)) as SimulatorRecords[V];
    },
    stats,
    resetStats() {
      for (const counter of [stats.requests, stats.faults, stats.rateLimited]) for (const v of ids) counter[v] = 0;
    },
  };
}

/** One simulated vendor: its fake, log and PRNG typed together, behind an interface that does not need the record type. */
interface SimulatedVendor<R> {
  readonly vendor: VendorId;
  readonly paths: readonly string[];
  readonly records: R[];
  newestAt(): number | undefined;
  /** Generates and stores one record at `at` (rounded to the vendor's precision). */
  add(at: number): R;
  /** The vendor's rate-limit headers for a limit and what is left of it (none for most vendors). */
  rateLimitHeaders(perMinute: number, remaining: number): Record<string, string>;
  /** Fault, auth, rate limit (`admit` gives the seconds to wait when none is left), list; every answer with `X-Request-Id`. */
  answer(request: Request, body: string | undefined, fault: FaultKind | undefined, admit: () => number | undefined): Response | Promise<Response>;
}

/** A vendor of `fakes` as a SimulatedVendor: injected faults and its rate limit answered generically, the rest by its fake. */
function extraVendor(extra: SimulatorFake): SimulatedVendor<unknown> {
  const problem = (status: number, title: string, headers: Record<string, string> = {}) => json({ status, title }, status, headers);
  return {
    vendor: extra.vendor.id as VendorId,
    paths: extra.paths ?? [firstPath(extra.vendor)],
    records: [],
    newestAt: () => undefined,
    // Its fake sends its own headers; the simulator adds none.
    rateLimitHeaders: () => ({}),
    add: () => {
      throw new TypeError(`addEvents: ${extra.vendor.id} is served by its own fake; add records to it there`);
    },
    async answer(request, body, fault, admit) {
      if (fault === "reset") return connectionReset();
      if (fault === "429") return problem(429, "Too Many Requests", { "Retry-After": "0" });
      if (fault === "500" || fault === "502" || fault === "503") return problem(Number(fault), "Server Error");
      const wait = admit();
      if (wait !== undefined) return problem(429, "Too Many Requests", { "Retry-After": String(wait) });
      return extra.fake(request, body);
    },
  };
}

function checkFakes(fakes: SimulatorFake[] | undefined): SimulatorFake[] {
  if (fakes === undefined) return [];
  if (!Array.isArray(fakes)) throw new TypeError("createSimulator: fakes must be an array of { vendor, fake, credentials }");
  const seen = new Set<string>(VENDOR_IDS);
  for (const extra of fakes) {
    if (!isVendor(extra?.vendor)) throw new TypeError("createSimulator: fakes[].vendor must be a vendor from defineVendor");
    if (seen.has(extra.vendor.id)) throw new TypeError(`createSimulator: fakes: ${JSON.stringify(extra.vendor.id)} is served twice`);
    seen.add(extra.vendor.id);
    if (typeof extra.fake !== "function") throw new TypeError(`createSimulator: fakes[${extra.vendor.id}].fake must be a function from Request to Response`);
    if (extra.credentials === null || typeof extra.credentials !== "object") throw new TypeError(`createSimulator: fakes[${extra.vendor.id}].credentials must be the client options`);
  }
  return fakes;
}

type InitialData = { count: number; endAt: number; spanMs: number; skew: Skew | undefined; clock: Clock };

/** The vendor's fake with its record type, as one SimulatedVendor. */
function simulateVendor<V extends VendorId>(vendor: V, rng: Random, config: FakeConfig, initial: InitialData): SimulatedVendor<SimulatorRecords[V][number]> {
  return simulate(FAKES[vendor], rng, config, initial);
}

function simulate<R>(fake: VendorFake<R>, rng: Random, config: FakeConfig, initial: InitialData): SimulatedVendor<R> {
  const log = new AuditLog<R>();
  const add = (at: number) => {
    const record = fake.record(rng, at, log);
    log.add(at, record);
    return record;
  };
  for (const at of instants(rng, initial.count, initial.endAt, initial.spanMs, fake.precisionMs, initial.skew)) add(at);

  return {
    vendor: fake.vendor,
    paths: fake.paths,
    records: log.records,
    newestAt: () => log.newestAt,
    add: (at) => add(roundDown(at, fake.precisionMs)),
    rateLimitHeaders: (perMinute, remaining) => fake.rateLimitHeaders?.(perMinute, remaining) ?? {},
    answer(request, body, fault, admit) {
      if (fault === "reset") return connectionReset();
      const context: FakeContext<R> = { log, config, url: new URL(request.url), requestId: randomUUID(), now: initial.clock.now() };
      const respond = (): Response => {
        // Injected 429s say Retry-After 0, so clients' retries stay fast.
        if (fault === "429") return fake.rateLimited(context, 0);
        if (fault === "500" || fault === "502" || fault === "503") return fake.serverError(context, Number(fault));
        const denied = fake.authenticate(request, context);
        if (denied) return denied;
        const wait = admit();
        return wait === undefined ? fake.list(request, body, context) : fake.rateLimited(context, wait);
      };
      const response = respond();
      response.headers.set("X-Request-Id", context.requestId);
      return response;
    },
  };
}

// Option checks ---------------------------------------------------------------------------------

function checkVendors(vendors: VendorId[] | undefined): VendorId[] {
  if (vendors === undefined) return [...VENDOR_IDS];
  if (!Array.isArray(vendors)) throw new TypeError("createSimulator: vendors must be an array of vendor ids");
  for (const v of vendors) if (!VENDOR_IDS.includes(v)) throw new TypeError(`createSimulator: unknown vendor ${JSON.stringify(v)} (one of ${VENDOR_IDS.join(", ")})`);
  return [...new Set(vendors)];
}

function perVendor(value: number | Partial<Record<VendorId, number>> | undefined, vendor: VendorId, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (typeof value === "number") return value;
  if (typeof value !== "object" || value === null) throw new TypeError(`createSimulator: ${name} must be a number or an object of numbers by vendor`);
  return value[vendor] ?? fallback;
}

function checkClock(clock: Clock | undefined): Clock {
  if (clock === undefined) return systemClock;
  if (typeof clock !== "object" || clock === null || typeof clock.now !== "function" || typeof clock.sleep !== "function") {
    throw new TypeError("createSimulator: clock must be an object with now() and sleep(ms) methods");
  }
  return clock;
}

/** `what`: the option, as the error message names it. */
function checkCount(value: number, what: string): void {
  if (!Number.isInteger(value) || value < 0) throw new RangeError(`${what} must be an integer of 0 or more`);
}

function checkDate(value: Date | string, what: string): number {
  const ms = new Date(value).getTime();
  if (!Number.isFinite(ms)) throw new TypeError(`${what} is not a valid date`);
  return ms;
}

function deepFreeze<T extends object>(value: T): T {
  for (const child of Object.values(value)) if (child !== null && typeof child === "object") deepFreeze(child as object);
  return Object.freeze(value);
}
