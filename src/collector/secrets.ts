/**
 * The credentials of a source's resolved options, so nothing the collector stores or prints holds
 * one: an error message (the SDK's are redacted already; a user's `options()` function may throw
 * anything), a log line, or an event a hostile server echoed a token into.
 */
const SECRET_KEY = /token|key|secret|password|credential/i;
const REDACTED = "[redacted]";

/** The secret strings in `options`, with the encodings a server could echo them in. */
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
  const all = new Set<string>();
  for (const secret of found) {
    all.add(secret);
    all.add(encodeURIComponent(secret));
    all.add(Buffer.from(secret).toString("base64"));
    // Inside a JSON string a secret's quotes and backslashes are escaped.
    all.add(JSON.stringify(secret).slice(1, -1));
  }
  // Longest first, so a secret containing another is replaced whole.
  return [...all].filter((s) => s.length >= 4).sort((a, b) => b.length - a.length);
}

/** `text` with every secret replaced. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (out.includes(secret)) out = out.split(secret).join(REDACTED);
  return out;
}
