/**
 * Poison records (DESIGN §14): a record the SDK cannot use (no usable time, a missing required
 * field, nesting deeper than `MAX_RECORD_DEPTH`) is a `ResponseValidationError` naming vendor,
 * record index, field and request id. By default it stops the run; with `onInvalidRecord` the
 * record is handed to the caller, counted, and the run goes on.
 */
import { ResponseValidationError } from "./errors.js";
import { MAX_RECORD_DEPTH, NestingTooDeepError, tooDeepField } from "./event.js";
import type { HttpStats } from "./http.js";

/** `client.stats`: requests, retries, and records skipped through `onInvalidRecord`. */
export interface ClientStats extends HttpStats {
  /** Records handed to `onInvalidRecord` instead of stopping the run. */
  invalidRecords: number;
}

/** Receives a record the SDK could not use, with the error that says why; the run goes on. */
export type InvalidRecordHandler = (record: unknown, error: ResponseValidationError) => void;

/** The error for record `index` of a page: `records[3].timestamp`. */
export function invalidRecord(vendor: string, index: number, field: string, requestId: string | undefined, message: string): ResponseValidationError {
  return new ResponseValidationError({ vendor, path: field ? `records[${index}].${field}` : `records[${index}]`, requestId, message });
}

/**
 * Throws the `ResponseValidationError` for a record nested too deep to walk safely (a hash, a
 * redaction, `JSON.stringify` of the event would overflow the stack). Checked before anything
 * else looks at the record.
 */
export function checkRecordDepth(vendor: string, record: unknown, index: number, requestId: string | undefined): void {
  const field = tooDeepField(record);
  if (field !== undefined) throw invalidRecord(vendor, index, field, requestId, `nests deeper than ${MAX_RECORD_DEPTH} levels`);
}

/** A `NestingTooDeepError` from a walk (the content hash) as the record's validation error. */
export function asInvalidRecord(error: unknown, vendor: string, index: number, requestId: string | undefined): unknown {
  if (error instanceof NestingTooDeepError) return invalidRecord(vendor, index, error.field, requestId, error.message);
  return error;
}

/**
 * The error for record `index` when making its event threw an error that is not the library's
 * (a `normalize` reading a field the record lacks: `TypeError: Cannot read properties of
 * undefined`). A poison record like any other: named by vendor, index and request id, skipped
 * with `onInvalidRecord`, and the original kept as `cause`. `redact` masks the client's secrets:
 * in the message, and in a `cause` whose message or stack holds one (replaced by a copy then, so
 * the caller's own error object is left as it was).
 */
export function normalizeThrew(vendor: string, index: number, requestId: string | undefined, error: unknown, redact: (text: string) => string): ResponseValidationError {
  const isError = error instanceof Error;
  const what = isError ? `${error.name}: ${error.message}` : String(error);
  const shown = redact(what.length > 200 ? `${what.slice(0, 200)}…` : what);
  let cause = error;
  if (isError && (redact(error.message) !== error.message || redact(error.stack ?? "") !== (error.stack ?? ""))) {
    cause = Object.assign(new Error(redact(error.message)), { name: error.name, stack: redact(error.stack ?? "") });
  } else if (!isError && redact(String(error)) !== String(error)) {
    cause = redact(String(error));
  }
  return new ResponseValidationError({ vendor, path: `records[${index}]`, requestId, message: `normalize threw ${shown}`, cause });
}

/** What a client does with poison records, and how many it skipped. */
export class InvalidRecords {
  count = 0;
  readonly #handler: InvalidRecordHandler | undefined;

  constructor(handler: InvalidRecordHandler | undefined) {
    this.#handler = handler;
  }

  /**
   * Hands `record` and its error to `onInvalidRecord` and counts it, so the caller can skip it;
   * without a handler (the default) the error is thrown: nothing is dropped unless the caller
   * says where it goes. Any other error is rethrown as is.
   */
  skip(record: unknown, error: unknown): void {
    if (!this.#handler || !ResponseValidationError.isInstance(error)) throw error;
    this.count += 1;
    this.#handler(record, error);
  }
}
