/**
 * The credentials of a source's resolved options, so nothing the collector stores or prints holds
 * one: an error message (the SDK's are redacted already; a user's `options()` function may throw
 * anything), a log line, or an event a hostile server echoed a token into.
 */
import { echoForms, redactText } from "../core/http.js";

const SECRET_KEY = /token|key|secret|password|credential/i;
const REDACTED = "[redacted]";

/** The secret strings in `options`, in every form a server could echo them (`echoForms`), JSON-escaped too. */
export function secretsOf(options: unknown): string[] {
  const found = new Set<string>();
  const walk = (value: unknown, depth: number): void => {
    if (depth > 4 || value === null || typeof value !== "object") return;
    for (const [key, inner] of Object.entries(value as Record<string, unknown>)) {
      if (typeof inner === "string" && inner.length >= 4 && SECRET_KEY.test(key)) found.add(inner);
      else walk(inner, depth + 1);
    }
  };
  walk(options, 0);
  const auth = (options as { auth?: { email?: unknown; apiToken?: unknown } } | null)?.auth;
  // Zendesk's Basic credential is base64 of "email/token:apiToken", not of the token alone.
  if (typeof auth?.email === "string" && typeof auth.apiToken === "string") found.add(`${auth.email}/token:${auth.apiToken}`);
  // Inside a JSON string (the events are stored as JSON text) quotes and backslashes are escaped.
  for (const secret of [...found]) found.add(JSON.stringify(secret).slice(1, -1));
  return echoForms(found, 4);
}

/** `text` with every secret replaced by `[redacted]`. */
export function redact(text: string, secrets: readonly string[]): string {
  return redactText(text, secrets, REDACTED);
}
