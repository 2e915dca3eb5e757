/**
 * Client options from environment variables (DESIGN §7). The only place that reads credentials
 * from the environment. Messages name the variable, never its value.
 *
 * A vendor option's variable is `<VENDOR>_<OPTION>` in snake case, of the option's last segment
 * (`apiToken` → `PYLON_API_TOKEN`, `auth.email` → `ZENDESK_EMAIL`). Which options come from the
 * environment is the registry's: each definition's `secrets`, `baseUrl` (required where the
 * definition has no host), and the non-secret options below.
 */
import { BUILT_IN_VENDORS, ConfigError, type ClientOptions, type VendorId } from "../index.js";
import { UsageError } from "./args.js";

type Env = Readonly<Record<string, string | undefined>>;

/** Options besides credentials and `baseUrl` that a vendor needs from the environment. */
const PLAIN_OPTIONS: Partial<Record<VendorId, readonly string[]>> = { zendesk: ["subdomain"] };

/** The environment variable behind a vendor option. */
export function envVariable(vendor: string, option: string): string {
  const name = option.split(".").pop()!;
  return `${vendor}_${name.replace(/([a-z0-9])([A-Z])/g, "$1_$2")}`.toUpperCase();
}

/** Each vendor's options read from the environment, with their variables, derived from the registry. */
export const ENV_VARS: Record<VendorId, { options: Record<string, string> }> = Object.fromEntries(
  Object.entries(BUILT_IN_VENDORS).map(([vendor, { definition }]) => {
    const options = [...(PLAIN_OPTIONS[vendor as VendorId] ?? []), ...(definition.secrets ?? []).map((s) => s.replace(/\?$/, "")), "baseUrl"];
    return [vendor, { options: Object.fromEntries(options.map((option) => [option, envVariable(vendor, option)])) }];
  }),
) as Record<VendorId, { options: Record<string, string> }>;

/** A set, non-empty variable, or undefined. */
function read(env: Env, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value === "" ? undefined : value;
}

/**
 * The options `createClient` gets for `vendor`: each of the vendor's variables (`ENV_VARS`) that
 * is set, at its option's path (`ZENDESK_EMAIL` → `auth.email`). What is missing or wrong is
 * `createClient`'s to say, as for any caller; `envConfigError` restates it with the variables.
 */
export function clientOptionsFromEnv(vendor: VendorId, env: Env): ClientOptions {
  const options: Record<string, unknown> = { vendor };
  for (const [option, variable] of Object.entries(ENV_VARS[vendor].options)) {
    const value = read(env, variable);
    if (value === undefined) continue;
    const path = option.split(".");
    let at = options;
    for (const key of path.slice(0, -1)) at = (at[key] ??= {}) as Record<string, unknown>;
    at[path[path.length - 1]!] = value;
  }
  return options as unknown as ClientOptions;
}

/**
 * A library `ConfigError` about a client option, restated with the environment variables it came
 * from: `apiToken: is required` → `missing environment variable PYLON_API_TOKEN`; Zendesk's
 * `auth: is required: { email, apiToken } or { oauthToken }` → `missing environment variables
 * { ZENDESK_EMAIL, ZENDESK_API_TOKEN } or { ZENDESK_OAUTH_TOKEN }`. Other errors pass through.
 * With `env`, a missing variable's message also names the set variables of the vendor's prefix
 * that nothing reads (`PYLON_TOKEN`), by name only.
 */
export function envConfigError(vendor: VendorId, error: unknown, env: Env = {}): unknown {
  const config = configErrorParts(error);
  if (config === undefined) return error;
  const restated = restate(vendor, config, error);
  // A missing variable beside a set one of the vendor's prefix that nothing reads (PYLON_TOKEN
  // for PYLON_API_TOKEN): most likely the one meant. Names only, never a value.
  if (restated instanceof UsageError && restated.message.startsWith("missing environment variable")) {
    const read = new Set(Object.values(ENV_VARS[vendor].options));
    const unread = Object.keys(env).filter((name) => name.startsWith(`${vendor.toUpperCase()}_`) && !read.has(name) && env[name] !== undefined && env[name] !== "").sort();
    if (unread.length > 0) {
      const list = unread.slice(0, 3).join(", ") + (unread.length > 3 ? ", …" : "");
      return new UsageError(`${restated.message} (set but not read: ${list}; the variables are ${[...read].join(", ")})`);
    }
  }
  return restated;
}

/** `envConfigError`'s restatement of a ConfigError's option as its variables (see there). */
function restate(vendor: VendorId, config: { option: string; detail: string }, error: unknown): unknown {
  const variables = ENV_VARS[vendor].options;
  const own = variables[config.option];
  // An option read from several variables (an object such as `auth`): its fields named in the
  // message become their variables.
  const fields = Object.entries(variables).filter(([option]) => option.startsWith(`${config.option}.`));
  if (own === undefined && fields.length === 0) return error;
  let detail = config.detail;
  for (const [option, variable] of fields) detail = detail.replace(new RegExp(`\\b${option.slice(config.option.length + 1)}\\b`, "g"), variable);
  const required = /^is required\b:?\s*/.exec(detail);
  if (own !== undefined) {
    return new UsageError(required ? `missing environment variable ${own}${detail.slice("is required".length)}` : `environment variable ${own}: ${detail}`);
  }
  return new UsageError(required ? `missing environment variables ${detail.slice(required[0].length)}` : `environment variables ${fields.map(([, v]) => v).join(", ")}: ${detail}`);
}

/**
 * A library `ConfigError`'s option and message without the `option: ` prefix, or undefined for
 * any other error (or a ConfigError that names no option).
 */
export function configErrorParts(error: unknown): { option: string; detail: string } | undefined {
  if (!ConfigError.isInstance(error)) return undefined;
  // isInstance narrows to AuditLogsError in the library's typings; the brand says ConfigError.
  const { option, message } = error as ConfigError;
  if (option === undefined) return undefined;
  return { option, detail: message.startsWith(`${option}: `) ? message.slice(option.length + 2) : message };
}
