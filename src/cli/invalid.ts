/**
 * `export --invalid FILE`: records the SDK cannot use (DESIGN §14), kept as NDJSON instead of
 * stopping the run. Each line says why, and holds the record as received.
 */
import { stringifyDeep } from "../internal/json.js";

/** What the client hands to `onInvalidRecord`, as far as a line needs it. */
interface InvalidRecordError {
  readonly name: string;
  readonly path: string;
  readonly requestId: string | undefined;
  readonly detail: string;
}

/**
 * One line of the `--invalid` file: `{"vendor","error":{"name","path","message","requestId"},"record"}`.
 * A record nested too deep for `JSON.stringify` (one reason it is invalid) is written all the same.
 */
export function invalidRecordLine(vendor: string, record: unknown, error: InvalidRecordError): string {
  const head = JSON.stringify({ vendor, error: { name: error.name, path: error.path, message: error.detail, requestId: error.requestId ?? null } });
  return `${head.slice(0, -1)},"record":${stringifyDeep(record)}}`;
}

/** A line for `--invalid` and the index of its record in the page it came in. */
export interface PoisonLine {
  readonly index: number;
  readonly line: string;
}

/** The record's index in its page, as the error's path names it (`records[3].created_at` → 3). */
export function recordIndex(error: { readonly path: string }): number {
  const match = /^records\[(\d+)\]/.exec(error.path);
  // Every poison record's path names its record; -1 (before any cut) would keep it rather than lose it.
  return match ? Number(match[1]) : -1;
}

/**
 * The poison lines a checkpoint covers when it resumes at record `skip` of their page: the rest
 * come again on the rerun, so writing them now would write them twice.
 */
export function coveredLines(poison: readonly PoisonLine[], skip: number): string[] {
  return poison.filter((p) => p.index < skip).map((p) => p.line);
}
