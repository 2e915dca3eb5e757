// DESIGN §2 and §10: every bad option or argument is a ConfigError naming it, thrown before any
// request (by the factory for options, by events()/pages() for params; toArray rejects). Each
// case is a line of real code, run here as written; the rows marked `doc` are the README's
// "Bad input" table in README.md, which this suite checks against what the library says.
// Regenerate it after a deliberate change: UPDATE_BAD_INPUT=1 npx vitest run test/resilience-config
import { readFileSync, writeFileSync } from "node:fs";
import { http, HttpResponse } from "msw";
import { setupServer } from "msw/node";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import * as api from "../src/index.js";
import { ORIGIN } from "./http-fixtures.js";

const requests: string[] = [];
const server = setupServer(
  http.all("*", ({ request }) => {
    requests.push(request.url);
    return HttpResponse.json({}, { status: 500 });
  }),
);
beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
afterAll(() => server.close());

interface Case {
  /** What is wrong, in the README's words. Rows with `doc` go into the README's table. */
  input: string;
  /** One expression, run with the package's exports and `checkpoints` in scope. */
  code: string;
  error?: string;
  option: string | undefined;
  message: string;
  doc?: boolean;
}

const T = '"t0k3n-abc"';
const UUID = '"2489e9ad-2ee2-8e00-8ec9-32d5f69181c0"';
const pylon = `createPylonClient({ apiToken: ${T} })`;
const zendesk = `createZendeskClient({ subdomain: "acme", auth: { oauthToken: ${T} } })`;
const cortex = `createCortexClient({ apiToken: ${T} })`;
const datafold = `createDatafoldClient({ apiKey: ${T} })`;
const jitsudo = `createJitsudoClient({ baseUrl: "https://jitsudo.example.com", apiKey: ${T}, tenantId: ${UUID} })`;

const CASES: Case[] = [
  // --- credentials and vendor options ---
  { input: "missing credential", code: "createPylonClient({})", option: "apiToken", message: "apiToken: is required", doc: true },
  { input: "missing credential", code: "createCortexClient({ apiToken: '' })", option: "apiToken", message: "apiToken: is required" },
  { input: "missing credential", code: "createDatafoldClient({})", option: "apiKey", message: "apiKey: is required" },
  { input: "missing credential", code: `createJitsudoClient({ baseUrl: "https://jitsudo.example.com", tenantId: ${UUID} })`, option: "apiKey", message: "apiKey: is required" },
  { input: "credential not a string", code: "createCortexClient({ apiToken: 12345 })", option: "apiToken", message: "apiToken: must be a string, got number", doc: true },
  { input: "credential with whitespace", code: 'createPylonClient({ apiToken: "t0k3n-abc\\n" })', option: "apiToken", message: "apiToken: must not contain whitespace or line breaks", doc: true },
  { input: "Zendesk auth missing", code: 'createZendeskClient({ subdomain: "acme" })', option: "auth", message: "auth: is required: { email, apiToken } or { oauthToken }", doc: true },
  {
    input: "Zendesk auth of both kinds",
    code: `createZendeskClient({ subdomain: "acme", auth: { email: "a@b.co", apiToken: ${T}, oauthToken: ${T} } })`,
    option: "auth",
    message: "auth: give either { email, apiToken } or { oauthToken }, not both",
    doc: true,
  },
  { input: "Zendesk auth of neither kind", code: `createZendeskClient({ subdomain: "acme", auth: { token: ${T} } })`, option: "auth", message: "auth: must be { email, apiToken } or { oauthToken }", doc: true },
  { input: "Zendesk API token without email", code: `createZendeskClient({ subdomain: "acme", auth: { apiToken: ${T} } })`, option: "auth.email", message: "auth.email: is required", doc: true },
  { input: "Zendesk email not an email", code: `createZendeskClient({ subdomain: "acme", auth: { email: "admin", apiToken: ${T} } })`, option: "auth.email", message: "auth.email: must be an email address", doc: true },
  { input: "Zendesk email without API token", code: 'createZendeskClient({ subdomain: "acme", auth: { email: "a@b.co" } })', option: "auth.apiToken", message: "auth.apiToken: is required" },
  { input: "Zendesk empty OAuth token", code: 'createZendeskClient({ subdomain: "acme", auth: { oauthToken: "" } })', option: "auth.oauthToken", message: "auth.oauthToken: is required" },
  { input: "Zendesk subdomain missing", code: `createZendeskClient({ auth: { oauthToken: ${T} } })`, option: "subdomain", message: "subdomain: is required (acme for acme.zendesk.com)", doc: true },
  {
    input: "Zendesk subdomain as a URL",
    code: `createZendeskClient({ subdomain: "https://acme.zendesk.com", auth: { oauthToken: ${T} } })`,
    option: "subdomain",
    message: 'subdomain: must be the subdomain only, such as "acme" (got "https://acme.zendesk.com")',
    doc: true,
  },
  {
    input: "JITSudo tenant id not a uuid",
    code: `createJitsudoClient({ baseUrl: "https://jitsudo.example.com", apiKey: ${T}, tenantId: "acme" })`,
    option: "tenantId",
    message: "tenantId: must be a uuid such as 2489e9ad-2ee2-8e00-8ec9-32d5f69181c0",
    doc: true,
  },
  { input: "JITSudo tenant id missing", code: `createJitsudoClient({ baseUrl: "https://jitsudo.example.com", apiKey: ${T} })`, option: "tenantId", message: "tenantId: is required" },
  { input: "JITSudo without baseUrl", code: `createJitsudoClient({ apiKey: ${T}, tenantId: ${UUID} })`, option: "baseUrl", message: "baseUrl: is required for this vendor (it is self-hosted)", doc: true },
  { input: "unknown vendor", code: `createClient({ vendor: "okta", apiToken: ${T} })`, option: "vendor", message: 'vendor: must be one of pylon, zendesk, cortex, datafold, jitsudo (got "okta")', doc: true },
  { input: "options not an object", code: "createPylonClient(null)", option: undefined, message: "options must be an object", doc: true },

  // --- common options ---
  {
    input: "baseUrl over http",
    code: `createPylonClient({ apiToken: ${T}, baseUrl: "http://pylon.internal" })`,
    option: "baseUrl",
    message: "baseUrl: must use https (http is allowed only for localhost/127.0.0.1/[::1]), got http://pylon.internal",
    doc: true,
  },
  {
    input: "baseUrl with the API path",
    code: `createZendeskClient({ subdomain: "acme", auth: { oauthToken: ${T} }, baseUrl: "https://acme.zendesk.com/api/v2/audit_logs" })`,
    option: "baseUrl",
    message: "baseUrl: must be an origin only (scheme, host, port); the client adds the API path itself. Got path /api/v2/audit_logs",
    doc: true,
  },
  { input: "baseUrl not a URL", code: `createDatafoldClient({ apiKey: ${T}, baseUrl: "eu.datafold.com" })`, option: "baseUrl", message: 'baseUrl: is not a valid URL: "eu.datafold.com"', doc: true },
  { input: "bad rateLimit", code: `createPylonClient({ apiToken: ${T}, rateLimit: { requestsPerMinute: 0 } })`, option: "rateLimit.requestsPerMinute", message: "rateLimit.requestsPerMinute: must be a number > 0, got 0", doc: true },
  {
    input: "bad rateLimit",
    code: `createPylonClient({ apiToken: ${T}, rateLimit: true })`,
    option: "rateLimit",
    message: "rateLimit: must be false, { requestsPerMinute } or a RateLimiter (an object with acquire(signal), such as createTokenBucket())",
    doc: true,
  },
  { input: "rateLimit limiter without acquire()", code: `createPylonClient({ apiToken: ${T}, rateLimit: { acquire: 60 } })`, option: "rateLimit.acquire", message: "rateLimit.acquire: must be a function (signal?) => Promise<void>", doc: true },
  { input: "rateLimit limiter without acquire()", code: `createPylonClient({ apiToken: ${T}, rateLimit: { acquire: async () => {}, penalize: true } })`, option: "rateLimit.penalize", message: "rateLimit.penalize: must be a function (retryAfterMs) => void" },
  { input: "bad createTokenBucket", code: "createTokenBucket({ requestsPerMinute: 0 })", option: "requestsPerMinute", message: "requestsPerMinute: must be a number > 0, got 0", doc: true },
  {
    input: "createTokenBucket option misspelt",
    code: "createTokenBucket({ requestsPerMinute: 60, burst: 10 })",
    option: "burst",
    message: "burst: is not an option of createTokenBucket() (its options: requestsPerMinute, clock)",
    doc: true,
  },
  { input: "bad rateLimit", code: `createCortexClient({ apiToken: ${T}, rateLimit: {} })`, option: "rateLimit.requestsPerMinute", message: "rateLimit.requestsPerMinute: must be a number > 0, got undefined" },
  { input: "bad rateLimit", code: `createCortexClient({ apiToken: ${T}, rateLimit: { requestsPerMinute: -5 } })`, option: "rateLimit.requestsPerMinute", message: "rateLimit.requestsPerMinute: must be a number > 0, got -5" },
  {
    input: "an option misspelt",
    code: `createPylonClient({ apiToken: ${T}, timeoutMS: 5000 })`,
    option: "timeoutMS",
    message:
      "timeoutMS: is not an option of pylon: did you mean timeoutMs? (its options: apiToken, baseUrl, fetch, maxRetries, maxRetryDelayMs, timeoutMs, maxResponseBytes, rateLimit, prefetch, concurrency, logger, logLevel, userAgent, clock, onInvalidRecord, windowMs)",
    doc: true,
  },
  {
    input: "Zendesk's email and apiToken outside auth",
    code: `createZendeskClient({ subdomain: "acme", email: "a@acme.com", apiToken: ${T} })`,
    option: "email",
    message:
      "email: is not an option of zendesk: did you mean auth.email? (its options: auth, subdomain, baseUrl, fetch, maxRetries, maxRetryDelayMs, timeoutMs, maxResponseBytes, rateLimit, prefetch, concurrency, logger, logLevel, userAgent, clock, onInvalidRecord, windowMs)",
    doc: true,
  },
  {
    input: "another vendor's option",
    code: `createDatafoldClient({ apiKey: ${T}, tenantId: "2489e9ad-2ee2-4e00-8ec9-32d5f69181c0" })`,
    option: "tenantId",
    message:
      "tenantId: is not an option of datafold (its options: apiKey, baseUrl, fetch, maxRetries, maxRetryDelayMs, timeoutMs, maxResponseBytes, rateLimit, prefetch, concurrency, logger, logLevel, userAgent, clock, onInvalidRecord, windowMs)",
  },
  { input: "vendor naming another vendor", code: `createPylonClient({ vendor: "zendesk", apiToken: ${T} })`, option: "vendor", message: `vendor: names another vendor ("zendesk"): these are pylon's options` },
  { input: "negative maxRetries", code: `createPylonClient({ apiToken: ${T}, maxRetries: -1 })`, option: "maxRetries", message: "maxRetries: must be a whole number >= 0, got -1", doc: true },
  { input: "fractional maxRetries", code: `createPylonClient({ apiToken: ${T}, maxRetries: 1.5 })`, option: "maxRetries", message: "maxRetries: must be a whole number >= 0, got 1.5" },
  { input: "negative maxRetryDelayMs", code: `createPylonClient({ apiToken: ${T}, maxRetryDelayMs: -1 })`, option: "maxRetryDelayMs", message: "maxRetryDelayMs: must be a whole number >= 0, got -1", doc: true },
  { input: "timeoutMs zero", code: `createPylonClient({ apiToken: ${T}, timeoutMs: 0 })`, option: "timeoutMs", message: "timeoutMs: must be a number > 0, got 0", doc: true },
  { input: "timeoutMs beyond Node's timers", code: `createPylonClient({ apiToken: ${T}, timeoutMs: 3e9 })`, option: "timeoutMs", message: "timeoutMs: must be at most 2147483647 (about 24.8 days), got 3000000000", doc: true },
  { input: "negative prefetch", code: `createPylonClient({ apiToken: ${T}, prefetch: -1 })`, option: "prefetch", message: "prefetch: must be a whole number >= 0, got -1", doc: true },
  { input: "concurrency zero", code: `createCortexClient({ apiToken: ${T}, concurrency: 0 })`, option: "concurrency", message: "concurrency: must be a whole number >= 1, got 0", doc: true },
  { input: "unknown logLevel", code: `createPylonClient({ apiToken: ${T}, logLevel: "verbose" })`, option: "logLevel", message: 'logLevel: must be one of debug, info, warn, error, off (got "verbose")', doc: true },
  { input: "logger not an object", code: `createPylonClient({ apiToken: ${T}, logger: "console" })`, option: "logger", message: "logger: must be an object with debug/info/warn/error methods", doc: true },
  { input: "userAgent with a line break", code: `createPylonClient({ apiToken: ${T}, userAgent: "app/1\\r\\nX-Evil: 1" })`, option: "userAgent", message: "userAgent: must be a single-line string", doc: true },
  { input: "fetch not a function", code: `createPylonClient({ apiToken: ${T}, fetch: "node-fetch" })`, option: "fetch", message: "fetch: must be a function", doc: true },
  { input: "clock without now/sleep", code: `createPylonClient({ apiToken: ${T}, clock: { now: Date.now } })`, option: "clock", message: "clock: must be an object with now() and sleep(ms, signal) methods", doc: true },
  { input: "Datafold windowMs not whole", code: `createDatafoldClient({ apiKey: ${T}, windowMs: -5 })`, option: "windowMs", message: "windowMs: must be a whole number >= 0, got -5" },

  // --- events() / pages() params ---
  { input: "params not an object", code: `${pylon}.events(null)`, option: undefined, message: "params must be an object" },
  { input: "pageSize over the vendor's max", code: `${pylon}.events({ pageSize: 1000 })`, option: "pageSize", message: "pageSize: must be between 1 and 999 for pylon, got 1000", doc: true },
  { input: "pageSize over the vendor's max", code: `${zendesk}.events({ pageSize: 101 })`, option: "pageSize", message: "pageSize: must be between 1 and 100 for zendesk, got 101", doc: true },
  { input: "pageSize over the vendor's max", code: `${cortex}.events({ pageSize: 1001 })`, option: "pageSize", message: "pageSize: must be between 1 and 1000 for cortex, got 1001", doc: true },
  { input: "pageSize over the vendor's max", code: `${jitsudo}.pages({ pageSize: 1001 })`, option: "pageSize", message: "pageSize: must be between 1 and 1000 for jitsudo, got 1001" },
  { input: "pageSize zero", code: `${cortex}.events({ pageSize: 0 })`, option: "pageSize", message: "pageSize: must be between 1 and 1000 for cortex, got 0", doc: true },
  { input: "pageSize not whole", code: `${zendesk}.events({ pageSize: 2.5 })`, option: "pageSize", message: "pageSize: must be a whole number >= 0, got 2.5" },
  {
    input: "pageSize on Datafold",
    code: `${datafold}.events({ pageSize: 100 })`,
    option: "pageSize",
    message: "pageSize: datafold has no pages (it answers one time range at a time); use windowMs to size the requests",
    doc: true,
  },
  {
    input: "since not a date",
    code: `${pylon}.events({ since: "yesterday" })`,
    option: "since",
    message: 'since: must be a Date or an RFC 3339 date-time with a zone, such as "2026-01-01T00:00:00Z" (got "yesterday")',
    doc: true,
  },
  {
    input: "since without a zone",
    code: `${cortex}.events({ since: "2026-01-01T00:00:00" })`,
    option: "since",
    message: 'since: must be a Date or an RFC 3339 date-time with a zone, such as "2026-01-01T00:00:00Z" (got "2026-01-01T00:00:00")',
    doc: true,
  },
  {
    input: "since as epoch milliseconds",
    code: `${datafold}.events({ since: 1767225600000 })`,
    option: "since",
    message: 'since: must be a Date or an RFC 3339 date-time with a zone, such as "2026-01-01T00:00:00Z" (got 1767225600000)',
    doc: true,
  },
  { input: "since an invalid Date", code: `${jitsudo}.events({ since: new Date("nope") })`, option: "since", message: "since: is an invalid Date", doc: true },
  {
    input: "until not a date",
    code: `${zendesk}.events({ until: "2026-02-30" })`,
    option: "until",
    message: 'until: must be a Date or an RFC 3339 date-time with a zone, such as "2026-01-01T00:00:00Z" (got "2026-02-30")',
    doc: true,
  },
  {
    input: "since after until",
    code: `${pylon}.events({ since: "2026-02-01T00:00:00Z", until: "2026-01-01T00:00:00Z" })`,
    option: "since",
    message: "since: must be earlier than until (2026-01-01T00:00:00.000Z)",
    doc: true,
  },
  {
    input: "since equal to until (the range is half-open)",
    code: `${jitsudo}.events({ since: "2026-01-01T00:00:00Z", until: "2026-01-01T00:00:00Z" })`,
    option: "since",
    message: "since: must be earlier than until (2026-01-01T00:00:00.000Z)",
    doc: true,
  },
  {
    input: "a parameter misspelt",
    code: `${pylon}.events({ sinse: "2026-01-01T00:00:00Z" })`,
    option: "sinse",
    message: "sinse: is not a parameter of events() or pages(): did you mean since? (they are since, until, pageSize, filter, resumeFrom, signal, lagMs, windowMs)",
    doc: true,
  },
  {
    input: "a parameter events() does not have",
    code: `${cortex}.pages({ limit: 10 })`,
    option: "limit",
    message: "limit: is not a parameter of events() or pages() (they are since, until, pageSize, filter, resumeFrom, signal, lagMs, windowMs)",
  },
  { input: "a parameter in another case", code: `${zendesk}.events({ PageSize: 10 })`, option: "PageSize", message: "PageSize: is not a parameter of events() or pages(): did you mean pageSize? (they are since, until, pageSize, filter, resumeFrom, signal, lagMs, windowMs)" },
  {
    input: "unknown filter key",
    code: `${zendesk}.events({ filter: { actor: "42" } })`,
    option: "filter.actor",
    message: "filter.actor: is not a zendesk filter (known: action, actorId, sourceType, sourceId, ipAddress)",
    doc: true,
  },
  {
    input: "unknown filter key",
    code: `${cortex}.events({ filter: { action: "UPDATE" } })`,
    option: "filter.action",
    message: "filter.action: is not a cortex filter (known: actions, objectTypes, objectIdentifiers, actorTypes, actorEmails, actorApiKeyIdentifiers, actorIpAddresses, actorRequestTypes)",
  },
  { input: "unknown filter key", code: `${jitsudo}.events({ filter: { actor: "u1" } })`, option: "filter.actor", message: "filter.actor: is not a jitsudo filter (known: actorId, resourceType, resourceId, action)" },
  { input: "a filter where the vendor has none", code: `${pylon}.events({ filter: { action: "x" } })`, option: "filter.action", message: "filter.action: is not a pylon filter (this vendor has no filters)", doc: true },
  { input: "a filter where the vendor has none", code: `${datafold}.events({ filter: { action: "x" } })`, option: "filter.action", message: "filter.action: is not a datafold filter (this vendor has no filters)" },
  { input: "filter not an object", code: `${zendesk}.events({ filter: "action=login" })`, option: "filter", message: "filter: must be an object", doc: true },
  { input: "Zendesk sourceId without sourceType", code: `${zendesk}.events({ filter: { sourceId: 42 } })`, option: "filter.sourceId", message: "filter.sourceId: needs filter.sourceType too (Zendesk requires it)", doc: true },
  { input: "negative lagMs", code: `${pylon}.events({ lagMs: -1 })`, option: "lagMs", message: "lagMs: must be a whole number >= 0, got -1", doc: true },
  { input: "windowMs under a second", code: `${datafold}.events({ windowMs: 10 })`, option: "windowMs", message: "windowMs: must be at least 1000 (one second)", doc: true },
  { input: "signal not an AbortSignal", code: `${pylon}.events({ signal: new AbortController() })`, option: "signal", message: "signal: must be an AbortSignal", doc: true },
  { input: "toArray without a limit", code: `${pylon}.events().toArray()`, option: "limit", message: "limit: must be a whole number >= 1, got undefined", doc: true },
  { input: "toArray without a limit", code: `${datafold}.events().toArray({ limit: 0 })`, option: "limit", message: "limit: must be a whole number >= 1, got 0" },
  { input: "resumeFrom of another vendor", code: `${pylon}.events({ resumeFrom: checkpoints.cortex })`, option: "resumeFrom", message: 'resumeFrom: belongs to vendor "cortex", not "pylon"', doc: true },
  {
    input: "resumeFrom with another filter",
    code: `${zendesk}.events({ filter: { action: "login" }, resumeFrom: checkpoints.zendesk })`,
    option: "resumeFrom",
    message: "resumeFrom: was made with another filter (or another tenant/subdomain); start a new run without resumeFrom, or pass the same filter",
    doc: true,
  },
  {
    input: "resumeFrom of another tenant",
    code: `createJitsudoClient({ baseUrl: "https://jitsudo.example.com", apiKey: ${T}, tenantId: "00000000-0000-4000-8000-000000000000" }).events({ resumeFrom: checkpoints.jitsudo })`,
    option: "resumeFrom",
    message: "resumeFrom: was made with another filter (or another tenant/subdomain); start a new run without resumeFrom, or pass the same filter",
  },
  { input: "resumeFrom not JSON", code: `${pylon}.events({ resumeFrom: "{not json" })`, option: "resumeFrom", message: "resumeFrom: is not valid JSON", doc: true },
  { input: "resumeFrom not a checkpoint", code: `${pylon}.events({ resumeFrom: { cursor: "abc" } })`, option: "resumeFrom", message: "resumeFrom: is not an auditlogs checkpoint at version: Invalid input: expected 1", doc: true },
  { input: "collect() without a key", code: `collect({ client: ${pylon}, store: memoryCheckpointStore(), sink: { write: async () => {} } })`, option: "key", message: "key: must be a non-empty string", doc: true },
  {
    input: "collect() with a sink that cannot write",
    code: `collect({ client: ${pylon}, key: "acme", store: memoryCheckpointStore(), sink: {} })`,
    option: "sink.write",
    message: "sink.write: needs write(events, context) or writeWithCheckpoint(events, key, checkpoint)",
    doc: true,
  },
  {
    input: "collect() with resumeFrom",
    code: `collect({ client: ${pylon}, key: "acme", store: memoryCheckpointStore(), sink: { write: async () => {} }, params: { resumeFrom: checkpoints.cortex } })`,
    option: "params.resumeFrom",
    message: "params.resumeFrom: is collect()'s to set, from store.load(key); to start over, use a new key or a store without one",
    doc: true,
  },
  {
    input: "collect() option misspelt",
    code: `collect({ client: ${pylon}, key: "acme", store: memoryCheckpointStore(), sink: { write: async () => {} }, parms: { since: "2026-01-01T00:00:00Z" } })`,
    option: "parms",
    message: "parms: is not an option of collect(): did you mean params? (its options: client, key, store, sink, params, signal)",
    doc: true,
  },
  {
    input: "collect() given the client first",
    code: `collect(${pylon}, { key: "acme" })`,
    option: undefined,
    message: "collect() takes one options object { client, key, store, sink, params?, signal? }: pass the client as its client, not as the first argument",
    doc: true,
  },
  { input: "fileCheckpointStore without a directory", code: 'fileCheckpointStore("")', option: "dir", message: "dir: must be a directory path", doc: true },
  { input: "mergeEvents of something else", code: "mergeEvents([[]])", option: "streams", message: "streams: must be an array of streams from client.events()", doc: true },
  { input: "mergeEvents option misspelt", code: "mergeEvents([], { concurency: 2 })", option: "concurency", message: "concurency: is not an option of mergeEvents(): did you mean concurrency? (its one option is concurrency)", doc: true },
  {
    input: "a stream iterated twice",
    code: `(async () => { const s = ${pylon}.events({ signal: AbortSignal.abort() }); await s.toArray({ limit: 1 }).catch(() => {}); return s.toArray({ limit: 1 }); })()`,
    error: "AuditLogsError",
    option: undefined,
    message: "This stream was already iterated; call events() again (with resumeFrom to continue).",
    doc: true,
  },
];

/** Checkpoints to resume from, made by clients of each vendor without a request. */
function checkpoints(): Record<string, unknown> {
  const run = (code: string) => (new Function("api", `const { ${Object.keys(api).join(", ")} } = api; return ${code}.events().checkpoint();`) as (a: typeof api) => unknown)(api);
  return { cortex: run(cortex), zendesk: run(zendesk), jitsudo: run(jitsudo) };
}

/** Runs a case's code; returns what it threw or rejected with. */
async function outcome(code: string): Promise<unknown> {
  const fn = new Function("api", "checkpoints", `const { ${Object.keys(api).join(", ")} } = api; return ${code};`) as (a: typeof api, c: unknown) => unknown;
  try {
    await fn(api, checkpoints());
  } catch (error) {
    return error;
  }
  return undefined;
}

describe("every bad option or argument: ConfigError naming it, before any request", () => {
  test.each(CASES.map((c) => [c.input, c] as const))("%s", async (_input, c) => {
    requests.length = 0;
    const error = (await outcome(c.code)) as api.AuditLogsError & { option?: string };
    expect(error, c.code).toBeInstanceOf(Error);
    expect(error.name).toBe(c.error ?? "ConfigError");
    if (!c.error) expect(api.ConfigError.isInstance(error)).toBe(true);
    expect(error.option).toBe(c.option);
    expect(error.message).toBe(c.message);
    expect(requests).toEqual([]);
  });

  test("a ConfigError is thrown synchronously by the factory and by events(), not on first use", () => {
    expect(() => api.createPylonClient({} as never)).toThrow(api.ConfigError);
    const c = api.createPylonClient({ apiToken: "t0k3n-abc" });
    // @ts-expect-error over Pylon's 999: a compile error too
    expect(() => c.events({ pageSize: 5_000 })).toThrow(api.ConfigError);
    // @ts-expect-error over Pylon's 999: a compile error too
    expect(() => c.pages({ pageSize: 5_000 })).toThrow(api.ConfigError);
  });

  test("every vendor's host is known to this suite (a request anywhere would have been recorded)", () => {
    expect(Object.keys(ORIGIN)).toEqual([...api.VENDOR_IDS]);
  });
});

// --- the README table --------------------------------------------------------------------------

const cell = (text: string) => text.replace(/\|/g, "\\|");

function render(): string {
  const rows = CASES.filter((c) => c.doc).map((c) => `| ${cell(c.input)} | \`${cell(c.code)}\` | \`${c.error ?? "ConfigError"}\` | ${cell(c.message)} |`);
  return [
    "## Bad input",
    "",
    "Every bad option or argument is a `ConfigError`, thrown at once and before any request: by the",
    "factory for options, by `events()` and `pages()` for their params (`toArray` rejects instead of",
    "throwing). `error.option` names what is wrong (`auth.email`, `filter.actor`, …); the message",
    "never repeats a credential. Each row is run as written by `test/resilience-config.test.ts`,",
    "which checks this table against what the library says.",
    "",
    "| input | example | error | message |",
    "|---|---|---|---|",
    ...rows,
    "",
  ].join("\n");
}

test("README's Bad input section is the table of what the library says", () => {
  const path = new URL("../README.md", import.meta.url);
  const readme = readFileSync(path, "utf8");
  // The section runs from its heading to the next one.
  const section = /## Bad input\n[\s\S]*?\n(?=## )/;
  if (process.env.UPDATE_BAD_INPUT) writeFileSync(path, readme.replace(section, `${render()}\n`));
  expect(readFileSync(path, "utf8").match(section)?.[0]).toBe(`${render()}\n`);
});
