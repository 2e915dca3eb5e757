/**
 * A vendor is a definition: its facts (host, limit, secrets, auth, pages, record schema,
 * `normalize`) as data and small functions. `defineVendor` checks the definition at once and
 * returns the vendor, whose `createClient` builds a client on the one engine every vendor
 * shares. The five built-ins are defined this way too.
 */
import type { Client, ClientOptions as FetchClientOptions } from "openapi-fetch";
import { createVendorClient, type AuditLogClient } from "./client.js";
import { ConfigError } from "./errors.js";
import { refuseUnknownKeys } from "./names.js";
import { Normalizer, type AuditEvent, type NormalizeContext, type NormalizedFields } from "./event.js";
import { registerProduct } from "./ocsf.js";
import { parseOrigin, type CommonOptions } from "./options.js";
import type { Pagination } from "./paginate.js";
import { isSchema, type Schema, type SchemaInput, type SchemaOutput } from "./schema.js";

/** What a vendor's hooks see of an HTTP answer. */
export interface VendorResponse {
  /** The HTTP status. */
  status: number;
  /** The response headers. */
  headers: Headers;
  /** The parsed JSON body, or the text when it is not JSON. */
  body: unknown;
}

/** Everything a vendor tells the core. Only `id`, `auth`, `pagination` and `normalize` are required. */
export interface VendorDefinition<Id extends string = string, Options extends object = any, Raw = any, FilterSchema = undefined, S = any, Body = any, Paths extends {} = {}, MaxPageSize extends number = number> {
  /** `[a-z][a-z0-9-]*`; names the vendor in events, errors and checkpoints. Not a built-in id. */
  id: Id;
  /** The product's name, for docs and OCSF `metadata.product.name` ("Zendesk Support"). Default the id. */
  name?: string;
  /** The company's name, OCSF `metadata.product.vendor_name` ("Zendesk"). Default `name`. */
  vendorName?: string;
  /** The default origin, or a function of the options; omitted: the `baseUrl` option is required (self-hosted). */
  baseUrl?: string | ((options: Options) => string | undefined);
  /** The documented limit, used by the client-side rate limiter unless `rateLimit` overrides it; omitted: none. */
  requestsPerMinute?: number;
  /**
   * Options that are credentials (dotted paths, such as `"apiToken"` or `"auth.email"`): required
   * strings, checked before anything else and never printed. A trailing `?` makes one optional
   * (checked when present), for credentials that come in alternatives.
   */
  secrets?: readonly string[];
  /**
   * The vendor's own options besides its secrets' and the common ones (`CommonOptions`), such as
   * `["domain"]`. Given, a client's options may hold nothing else: any other key (a typo of
   * `timeoutMs`, an option of another vendor) is a `ConfigError` naming it. Omitted, other keys
   * pass unread.
   */
  options?: readonly string[];
  /** The auth headers for the options (their secrets already checked). May throw `ConfigError` naming an option. */
  auth(options: Options): Record<string, string>;
  /** The account the options read (a subdomain, a tenant id): set as `event.tenant`, and part of a checkpoint's scope. */
  tenant?(options: Options): string | undefined;
  /** Page-size bounds; omitted for an API without pages (then `pageSize` is refused). */
  pageSize?: { max: MaxPageSize };
  /** Validates each record leniently (unknown fields pass); a failure is a `ResponseValidationError` naming the field. */
  record?: Schema;
  /** Validates `params.filter` (unknown keys are refused); its output is `ctx.filter` in `pagination`. Omitted: no filters. */
  filter?: FilterSchema;
  /** How the list is paged: `cursorPagination`, `linkPagination`, … or `{ request, read }` by hand. */
  pagination: Pagination<S, Body, FilterOutput<FilterSchema>>;
  /** The mapped fields of one record; the core completes the event (see `NormalizedFields`). */
  normalize(record: Raw, ctx: NormalizeContext): NormalizedFields;
  /**
   * Response headers that tell the account's real rate limit (DESIGN §13), lower-case names
   * tried in order: `limit` in requests per minute (sets the client's rate: lower always, higher
   * only over the documented default, never over a `rateLimit` the caller set), `remaining` in
   * the vendor's window (caps the requests the client may send before it refills).
   */
  rateLimitHeaders?: { limit?: readonly string[]; remaining?: readonly string[] };
  /** The vendor's own rate-limit signal, in ms (the standard `Retry-After` is always honoured). */
  retryAfter?(response: VendorResponse): number | undefined;
  /** A plainer message for a vendor error, or undefined. */
  explainError?(status: number, body: unknown): string | undefined;
  /** The latest `until` the vendor accepts, given now (epoch ms). */
  maxUntil?(now: number): number;
  /** The `since` to use when none is given, given `until` (epoch ms). */
  defaultSince?(until: number): number;
  /** Builds `client.raw` (typically `(init) => createFetchClient<paths>(init)` from openapi-fetch). */
  raw?(init: FetchClientOptions): Client<Paths>;
}

type FilterOutput<F> = F extends Schema ? SchemaOutput<F> : undefined;
type FilterInput<F> = F extends Schema ? SchemaInput<F> : Record<string, never>;

const VENDOR = Symbol.for("auditlogs.vendor");
const NO_TENANT: NormalizeContext = Object.freeze({ tenant: undefined });

/** A vendor made by `defineVendor`: its client factory and the event its client makes of a record. */
export interface Vendor<Id extends string = string, Options extends object = any, Raw = any, Filter = any, Paths extends {} = any, MaxPageSize extends number = number> {
  /** The vendor's id. */
  readonly id: Id;
  /** A client with the same shape as a built-in vendor's: `events()`, `pages()`, `raw`, `stats`. */
  createClient(options: Options & CommonOptions): AuditLogClient<Id, Raw, Filter, Paths, MaxPageSize>;
  /** The event a client of this vendor makes of `record` (without validating it): for tests and benchmarks. */
  normalize(record: Raw, context?: Partial<NormalizeContext>): AuditEvent<Raw, Id>;
  /** The definition, as given (frozen). */
  readonly definition: Readonly<VendorDefinition<Id, Options, Raw, any, any, any, Paths, MaxPageSize>>;
}

/** The client type of a vendor: `ClientOf<typeof okta>`. */
export type ClientOf<V> = V extends Vendor<any, any, any, any, any> ? ReturnType<V["createClient"]> : never;
/** The options type of a vendor: its own and the common ones. */
export type OptionsOf<V> = V extends Vendor<any, infer O, any, any, any> ? O & CommonOptions : never;
/** The raw record type of a vendor. */
export type RecordOf<V> = V extends Vendor<any, any, infer R, any, any> ? R : never;

/** True for a vendor made by `defineVendor`, from any copy of the package. */
export function isVendor(value: unknown): value is Vendor {
  return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[VENDOR] === true;
}

const ID = /^[a-z][a-z0-9-]*$/;

/**
 * Checks a definition (a bad one throws `ConfigError` naming the field, as does a field it does
 * not have: `secret` for `secrets`) and returns the vendor.
 * Type parameters are inferred from the definition: options from `auth`'s parameter, the raw
 * record from `normalize`'s, the filter from the `filter` schema.
 */
export function defineVendor<
  const Id extends string,
  Options extends object,
  Raw,
  FilterSchema extends Schema | undefined = undefined,
  S = any,
  Body = any,
  Paths extends {} = {},
  // The literal of `pageSize.max`; without `pageSize`, `never`: the vendor has no pages.
  const MaxPageSize extends number = never,
>(
  definition: VendorDefinition<Id, Options, Raw, FilterSchema, S, Body, Paths, MaxPageSize>,
): Vendor<Id, Options, Raw, FilterInput<FilterSchema>, Paths, MaxPageSize> {
  checkDefinition(definition);
  const def = Object.freeze({ ...definition, pagination: Object.freeze({ ...definition.pagination }) });
  const normalizer = new Normalizer(def.id, def.normalize);
  registerProduct(def.id, { name: def.name ?? def.id, vendor_name: def.vendorName ?? def.name ?? def.id });
  const vendor: Vendor<Id, Options, Raw, FilterInput<FilterSchema>, Paths, MaxPageSize> = {
    id: def.id,
    definition: def,
    createClient: (options) => createVendorClient(def, options),
    // One context object when none is given: this runs per record in benchmarks.
    normalize: (record, context) => normalizer.event(record, contextFor(context?.tenant)),
  };
  Object.defineProperty(vendor, VENDOR, { value: true });
  return Object.freeze(vendor);
}

let lastContext: NormalizeContext = NO_TENANT;

/** The context for `tenant`, the last one again when the tenant is the same (no object per record). */
function contextFor(tenant: string | undefined): NormalizeContext {
  if (tenant === undefined) return NO_TENANT;
  if (lastContext.tenant !== tenant) lastContext = Object.freeze({ tenant });
  return lastContext;
}

const DEFINITION_KEYS = [
  "id", "name", "vendorName", "baseUrl", "requestsPerMinute", "secrets", "options", "auth", "tenant", "pageSize", "record", "filter",
  "pagination", "normalize", "rateLimitHeaders", "retryAfter", "explainError", "maxUntil", "defaultSince", "raw",
] as const;
// Every key of VendorDefinition is in DEFINITION_KEYS (a key added to one and not the other fails to compile).
const _everyDefinitionKey: Record<Exclude<keyof VendorDefinition, (typeof DEFINITION_KEYS)[number]>, never> = {};
void _everyDefinitionKey;

function checkDefinition(def: VendorDefinition<string, any, unknown, unknown, unknown, unknown, {}>): void {
  if (def === null || typeof def !== "object") throw new ConfigError("a vendor definition must be an object");
  // A misspelt field is refused, not ignored: with `secret: ["apiToken"]` a missing token would
  // be sent as whatever `auth` makes of undefined, and a key sent other than in a header (a
  // query, a body) would go unmasked in errors and logs (measured: a 400 echoing the URL showed
  // it); with `requestsPerMinut` the vendor has no rate limit.
  refuseUnknownKeys(def, DEFINITION_KEYS, "a field of a vendor definition", { noun: "field" });
  if (typeof def.id !== "string" || !ID.test(def.id)) throw new ConfigError(`must match [a-z][a-z0-9-]* (got ${JSON.stringify(def.id)})`, "id");
  for (const field of ["name", "vendorName"] as const) {
    if (def[field] !== undefined && (typeof def[field] !== "string" || def[field] === "")) throw new ConfigError("must be a non-empty string", field);
  }
  if (typeof def.baseUrl === "string") parseOrigin(def.baseUrl, "baseUrl");
  else if (def.baseUrl !== undefined && typeof def.baseUrl !== "function") throw new ConfigError("must be an origin string or a function of the options", "baseUrl");
  if (def.requestsPerMinute !== undefined && !(typeof def.requestsPerMinute === "number" && def.requestsPerMinute > 0 && Number.isFinite(def.requestsPerMinute))) {
    throw new ConfigError(`must be a number > 0, got ${JSON.stringify(def.requestsPerMinute)}`, "requestsPerMinute");
  }
  if (def.secrets !== undefined) {
    if (!Array.isArray(def.secrets)) throw new ConfigError("must be an array of option names", "secrets");
    def.secrets.forEach((name, i) => {
      if (typeof name !== "string" || !/^[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)*\??$/.test(name)) throw new ConfigError(`must be an option name such as "apiToken" (got ${JSON.stringify(name)})`, `secrets[${i}]`);
    });
  }
  if (def.options !== undefined) {
    if (!Array.isArray(def.options)) throw new ConfigError("must be an array of option names", "options");
    def.options.forEach((name, i) => {
      if (typeof name !== "string" || !/^[A-Za-z_$][\w$]*$/.test(name)) throw new ConfigError(`must be an option name such as "domain" (got ${JSON.stringify(name)})`, `options[${i}]`);
    });
  }
  requireFunction(def.auth, "auth", "a function from the options to the auth headers");
  requireFunction(def.normalize, "normalize", "a function from a record to its mapped fields");
  if (def.pageSize !== undefined) {
    const max = (def.pageSize as { max?: unknown } | null)?.max;
    if (typeof max !== "number" || !Number.isInteger(max) || max < 1) throw new ConfigError(`must be a whole number >= 1, got ${JSON.stringify(max)}`, "pageSize.max");
  }
  if (def.record !== undefined && !isSchema(def.record)) throw new ConfigError("must be a schema (zod, zod/mini, valibot: any Standard Schema)", "record");
  if (def.filter !== undefined && !isSchema(def.filter)) throw new ConfigError("must be a schema (zod, zod/mini, valibot: any Standard Schema)", "filter");
  const pagination = def.pagination as Partial<Pagination> | undefined;
  if (pagination === null || typeof pagination !== "object") throw new ConfigError("is required: { request, read } at least", "pagination");
  requireFunction(pagination.request, "pagination.request", "a function from a state to the page request");
  requireFunction(pagination.read, "pagination.read", "a function from a page to its records and next states");
  for (const hook of ["start", "resume"] as const) optionalFunction(pagination[hook], `pagination.${hook}`);
  const headers = def.rateLimitHeaders as Record<string, unknown> | undefined;
  if (headers !== undefined) {
    if (headers === null || typeof headers !== "object") throw new ConfigError("must be { limit?, remaining? }", "rateLimitHeaders");
    for (const key of ["limit", "remaining"]) {
      const names = headers[key];
      if (names !== undefined && !(Array.isArray(names) && names.every((n) => typeof n === "string" && n === n.toLowerCase() && n !== ""))) {
        throw new ConfigError("must be an array of lower-case header names", `rateLimitHeaders.${key}`);
      }
    }
  }
  optionalFunction(pagination.time, "pagination.time");
  for (const flag of ["parallel", "timeSlices", "incremental"] as const) {
    if (pagination[flag] !== undefined && typeof pagination[flag] !== "boolean") throw new ConfigError("must be true or false", `pagination.${flag}`);
  }
  if (pagination.envelope !== undefined && !isSchema(pagination.envelope)) throw new ConfigError("must be a schema (zod, zod/mini, valibot: any Standard Schema)", "pagination.envelope");
  for (const hook of ["tenant", "retryAfter", "explainError", "maxUntil", "defaultSince", "raw"] as const) optionalFunction(def[hook], hook);
}

function requireFunction(value: unknown, field: string, what: string): void {
  if (typeof value !== "function") throw new ConfigError(`is required: ${what}`, field);
}

function optionalFunction(value: unknown, field: string): void {
  if (value !== undefined && typeof value !== "function") throw new ConfigError("must be a function", field);
}
