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

function need(env: Env, name: string, what: string): string {
  const value = read(env, name);
  if (value === undefined) throw new UsageError(`missing environment variable ${name} (${what})`);
  return value;
}

/** The options `createClient` needs for `vendor`, from `env`. `UsageError` naming the variable when one is missing. */
export function clientOptionsFromEnv(vendor: VendorId, env: Env): ClientOptions {
  const baseUrl = read(env, `${vendor.toUpperCase()}_BASE_URL`);
  const host = baseUrl === undefined ? {} : { baseUrl };
  switch (vendor) {
    case "pylon":
      return { vendor, apiToken: need(env, "PYLON_API_TOKEN", "a Pylon API token"), ...host };
    case "zendesk": {
      const subdomain = need(env, "ZENDESK_SUBDOMAIN", "acme for acme.zendesk.com");
      const email = read(env, "ZENDESK_EMAIL");
      const apiToken = read(env, "ZENDESK_API_TOKEN");
      const oauthToken = read(env, "ZENDESK_OAUTH_TOKEN");
      if (oauthToken !== undefined && (email !== undefined || apiToken !== undefined)) {
        throw new UsageError("set either ZENDESK_EMAIL + ZENDESK_API_TOKEN or ZENDESK_OAUTH_TOKEN, not both");
      }
      if (oauthToken !== undefined) return { vendor, subdomain, auth: { oauthToken }, ...host };
      if (email === undefined && apiToken === undefined) {
        throw new UsageError("missing environment variables ZENDESK_EMAIL + ZENDESK_API_TOKEN (or ZENDESK_OAUTH_TOKEN)");
      }
      if (email === undefined) throw new UsageError("missing environment variable ZENDESK_EMAIL (the email of the user ZENDESK_API_TOKEN belongs to)");
      if (apiToken === undefined) throw new UsageError("missing environment variable ZENDESK_API_TOKEN (a Zendesk API token for ZENDESK_EMAIL)");
      return { vendor, subdomain, auth: { email, apiToken }, ...host };
    }
    case "cortex":
      return { vendor, apiToken: need(env, "CORTEX_API_TOKEN", "a Cortex API token"), ...host };
    case "datafold":
      return { vendor, apiKey: need(env, "DATAFOLD_API_KEY", "a Datafold API key"), ...host };
    case "jitsudo":
      return {
        vendor,
        baseUrl: need(env, "JITSUDO_BASE_URL", "the origin of your JITSudo server, such as https://jitsudo.example.com"),
        apiKey: need(env, "JITSUDO_API_KEY", "a JITSudo API key"),
        tenantId: need(env, "JITSUDO_TENANT_ID", "your JITSudo tenant uuid"),
      };
  }
}

/**
 * A library `ConfigError` about a client option, restated with the environment variable it came
 * from (`apiToken: is required` → `PYLON_API_TOKEN: is required`). Other errors pass through.
 */
export function envConfigError(vendor: VendorId, error: unknown): unknown {
  const config = configErrorParts(error);
  const variable = config && ENV_VARS[vendor].options[config.option];
  return variable ? new UsageError(`environment variable ${variable}: ${config.detail}`) : error;
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
