/**
 * Command-line parsing on `node:util.parseArgs`, with one-line usage errors that name the flag.
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { nearestName } from "../core/names.js";
import { VENDOR_IDS, type VendorId } from "../index.js";

/** Bad usage or configuration: exit code 2, one line on stderr, nothing written. */
export class UsageError extends Error {
  override name = "UsageError";
}

type OptionsConfig = NonNullable<ParseArgsConfig["options"]>;

/** True when `--help`/`-h` appears before a `--`: help wins over any other flag, good or bad. */
export function wantsHelp(args: readonly string[]): boolean {
  for (const arg of args) {
    if (arg === "--") return false;
    if (arg === "--help" || arg === "-h") return true;
  }
  return false;
}

/**
 * `parseArgs` in strict mode, its errors turned into `UsageError`s that point at `--help`. An
 * unknown option near one of `options` (a typo: `--sinse`) is asked about ("did you mean
 * --since?"); `hints` says what to do instead for flags a user may expect that are not options
 * (`--base-url`, where the command takes an environment variable), by the flag's name.
 */
export function parseCommand<const O extends OptionsConfig>(command: string, args: string[], options: O, hints: Readonly<Record<string, string>> = {}) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(`${describeParseError(error, Object.keys(options), hints)} (see auditlogs ${command} --help)`);
  }
}

function describeParseError(error: unknown, known: readonly string[], hints: Readonly<Record<string, string>>): string {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown }).code;
  // Node quotes the option: '--bogus', '--since <value>', '-q, --quiet'.
  const flag = /'(?:-[^-,' ][^,' ]*, )?(-[^' ]+)/.exec(message)?.[1];
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" && flag) {
    // `--since=x` is reported whole; the name is what is compared.
    const name = flag.replace(/^--?/, "").split("=")[0]!;
    const hint = Object.hasOwn(hints, name) ? hints[name] : undefined;
    if (hint) return `unknown option ${flag}: ${hint}`;
    // A name of one letter (`-x`) is near every short one: no guess.
    const near = flag.startsWith("--") && name.length > 1 ? nearestName(name, known) : undefined;
    return near ? `unknown option ${flag}: did you mean --${near}?` : `unknown option ${flag}`;
  }
  if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE" && flag) {
    // "argument missing" at the end; "ambiguous" when the next word is another flag.
    if (/argument missing|ambiguous/.test(message)) return `${flag} needs a value`;
    if (/does not take an argument/.test(message)) return `${flag} takes no value`;
  }
  // The first sentence of node's message is the useful part.
  return message.split(/\.\s/)[0]!.replace(/\.$/, "");
}

/** A whole number flag within bounds, or undefined when absent. */
export function intFlag(value: string | undefined, flag: string, bounds: { min: number; max?: number }): number | undefined {
  if (value === undefined) return undefined;
  const n = /^\d+$/.test(value.trim()) ? Number(value.trim()) : NaN;
  if (!Number.isSafeInteger(n) || n < bounds.min || (bounds.max !== undefined && n > bounds.max)) {
    const range = bounds.max === undefined ? `>= ${bounds.min}` : `from ${bounds.min} to ${bounds.max}`;
    throw new UsageError(`${flag} must be a whole number ${range} (got ${JSON.stringify(value)})`);
  }
  return n;
}

/** A number flag within bounds (fractions allowed), or undefined when absent. */
export function numberFlag(value: string | undefined, flag: string, bounds: { min: number; max: number }): number | undefined {
  if (value === undefined) return undefined;
  const n = value.trim() === "" ? NaN : Number(value);
  if (!Number.isFinite(n) || n < bounds.min || n > bounds.max) {
    throw new UsageError(`${flag} must be a number from ${bounds.min} to ${bounds.max} (got ${JSON.stringify(value)})`);
  }
  return n;
}

const RELATIVE = /^(\d+)(m|h|d)$/;
const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/i;

/**
 * A time flag as an RFC 3339 UTC string: a date-time with a zone (`2026-01-01T00:00:00Z`), a
 * date (`2026-01-01`, midnight UTC), or a time ago (`90m`, `24h`, `7d`).
 */
export function timeFlag(value: string | undefined, flag: string, now: number): string | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  let ms = NaN;
  const relative = RELATIVE.exec(text);
  if (relative) ms = now - Number(relative[1]) * UNIT_MS[relative[2] as keyof typeof UNIT_MS];
  else if (DATE_ONLY.test(text)) ms = Date.parse(`${text}T00:00:00Z`);
  else if (DATE_TIME.test(text)) ms = Date.parse(text);
  // Date.parse rolls 2026-02-30 over to March: reject dates that do not round-trip.
  if (Number.isFinite(ms) && (DATE_ONLY.test(text) || DATE_TIME.test(text)) && !sameCalendarDay(text, ms)) ms = NaN;
  if (!Number.isFinite(ms)) {
    throw new UsageError(`${flag} must be a date-time such as 2026-01-01T00:00:00Z, a date such as 2026-01-01, or a time ago such as 24h or 7d (got ${JSON.stringify(value)})`);
  }
  return new Date(ms).toISOString();
}

function sameCalendarDay(text: string, ms: number): boolean {
  const [y, m, d] = text.slice(0, 10).split("-").map(Number);
  // Compare in the zone the text was written in: the date part is local to its offset.
  const offset = /([+-])(\d{2}):(\d{2})$/.exec(text);
  const shift = offset ? (offset[1] === "-" ? -1 : 1) * (Number(offset[2]) * 60 + Number(offset[3])) * 60_000 : 0;
  const local = new Date(ms + shift);
  return local.getUTCFullYear() === y && local.getUTCMonth() + 1 === m && local.getUTCDate() === d;
}

export function vendorArg(value: string | undefined, command: string): VendorId {
  if (value === undefined) throw new UsageError(`missing <vendor>: one of ${VENDOR_IDS.join(", ")} (see auditlogs ${command} --help)`);
  const id = value.toLowerCase();
  if (!(VENDOR_IDS as readonly string[]).includes(id)) throw new UsageError(`unknown vendor ${JSON.stringify(value)}: ${useVendor(id, "use one of")}`);
  return id as VendorId;
}

/** "did you mean zendesk?" for a typo of a vendor's id, else the list of them after `lead`. */
function useVendor(id: string, lead: string): string {
  const near = nearestName(id, VENDOR_IDS);
  return near ? `did you mean ${near}? (${lead} ${VENDOR_IDS.join(", ")})` : `${lead} ${VENDOR_IDS.join(", ")}`;
}

/** A comma-separated vendor list; undefined when absent. */
export function vendorsFlag(value: string | undefined, flag: string): VendorId[] | undefined {
  if (value === undefined) return undefined;
  const ids = value.split(",").map((v) => v.trim().toLowerCase()).filter((v) => v !== "");
  if (ids.length === 0) throw new UsageError(`${flag} needs at least one of ${VENDOR_IDS.join(", ")}`);
  for (const id of ids) {
    if (!(VENDOR_IDS as readonly string[]).includes(id)) throw new UsageError(`${flag}: unknown vendor ${JSON.stringify(id)}: ${useVendor(id, "use")}`);
  }
  return [...new Set(ids)] as VendorId[];
}

/** Refuses positionals a command does not take. */
export function noMorePositionals(positionals: readonly string[], from: number, command: string): void {
  const extra = positionals[from];
  if (extra !== undefined) throw new UsageError(`unexpected argument ${JSON.stringify(extra)} (see auditlogs ${command} --help)`);
}
