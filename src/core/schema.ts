/**
 * Validation through Standard Schema (https://standardschema.dev), so a vendor definition may
 * use zod, zod/mini, valibot or arktype alike. The core runs schemas synchronously: a schema
 * that answers with a Promise is a bug in the definition, reported as such.
 */

/** The part of Standard Schema v1 the core uses. zod, zod/mini, valibot and arktype schemas have it. */
export interface Schema<Input = unknown, Output = Input> {
  /** The Standard Schema interface: `validate`, and the types for inference. */
  readonly "~standard": {
    readonly version: 1;
    readonly vendor: string;
    readonly validate: (value: unknown) => SchemaResult<Output> | Promise<SchemaResult<Output>>;
    readonly types?: { readonly input: Input; readonly output: Output } | undefined;
  };
}

/** What a schema's `validate` answers. */
export type SchemaResult<Output> = { readonly value: Output; readonly issues?: undefined } | { readonly issues: ReadonlyArray<SchemaIssue> };

/** One problem a schema found. zod adds `code` and, for unknown keys, `keys`. */
export interface SchemaIssue {
  readonly message: string;
  readonly path?: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }> | undefined;
  readonly code?: string;
  readonly keys?: readonly string[];
}

/** The type a schema validates to. */
export type SchemaOutput<S> = S extends Schema<any, infer O> ? O : never;
/** The type a schema accepts. */
export type SchemaInput<S> = S extends Schema<infer I, any> ? I : never;

/** Runs `schema` on `value`: the first issue, with its path as `a.b.0`, or the value. */
export function check<T>(schema: Schema<unknown, T>, value: unknown): { ok: true; value: T } | { ok: false; path: string; issue: SchemaIssue } {
  const result = schema["~standard"].validate(value);
  if (result instanceof Promise) throw new TypeError("auditlogs runs schemas synchronously; this schema answered with a Promise (an async refinement?)");
  if (!result.issues) return { ok: true, value: result.value };
  const issue = result.issues[0] ?? { message: "invalid" };
  return { ok: false, path: pathOf(issue), issue };
}

function pathOf(issue: SchemaIssue): string {
  return (issue.path ?? []).map((part) => String(typeof part === "object" ? part.key : part)).join(".");
}

/** True for anything with a Standard Schema `validate`. */
export function isSchema(value: unknown): value is Schema {
  const standard = (value as { "~standard"?: { validate?: unknown } } | null)?.["~standard"];
  return typeof standard?.validate === "function";
}

/** A schema whose common case is decided by a hand-written test (see `withFastPath`). */
export interface FastPathSchema<Input = unknown, Output = Input> extends Schema<Input, Output> {
  /** The schema that decides whatever `accepts` does not approve. */
  readonly fallback: Schema<Input, Output>;
  /** The hand-written test: true only for values `fallback` accepts. */
  readonly accepts: (value: unknown) => boolean;
}

/**
 * `schema` with a fast path: a value `accepts` approves is valid as it is, without running
 * `schema` (zod's object check builds a copy of every record, ~1 µs each); anything else gets
 * `schema`'s own verdict and issues, so an invalid record's error names the same field with the
 * same message. `accepts` must approve only values `schema` accepts (stricter only costs time).
 * The value of an approved record is the record itself: the core uses a record schema's verdict,
 * never its output (`raw` is the record as received).
 */
export function withFastPath<Input, Output>(schema: Schema<Input, Output>, accepts: (value: unknown) => boolean): FastPathSchema<Input, Output> {
  const standard = schema["~standard"];
  const fast: FastPathSchema<Input, Output> = {
    fallback: schema,
    accepts,
    "~standard": {
      version: 1,
      vendor: standard.vendor,
      validate: (value) => (accepts(value) ? { value: value as Output } : standard.validate(value)),
      ...(standard.types ? { types: standard.types } : {}),
    },
  };
  FAST_PATHS.add(fast);
  return fast;
}

/** The schemas `withFastPath` made (a brand: any object may have an `accepts` member). */
const FAST_PATHS = new WeakSet<object>();

/** Where and why a value failed a schema (`check`'s failure). */
export interface SchemaFailure {
  path: string;
  issue: SchemaIssue;
}

/**
 * `check` for its verdict alone, as a function to call once per record: undefined for a valid
 * value, else the first issue and its path. A fast path's approval costs no result object.
 */
export function verdictOf(schema: Schema): (value: unknown) => SchemaFailure | undefined {
  const full = (value: unknown): SchemaFailure | undefined => {
    const parsed = check(schema, value);
    return parsed.ok ? undefined : { path: parsed.path, issue: parsed.issue };
  };
  if (!FAST_PATHS.has(schema)) return full;
  const { accepts, fallback } = schema as FastPathSchema;
  const slow = verdictOf(fallback);
  return (value) => (accepts(value) ? undefined : slow(value));
}

/** A plain object as `JSON.parse` makes it: the only records a fast path approves. */
export const isJsonObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && Object.getPrototypeOf(value) === Object.prototype;
/** `z.string()`. */
export const isString = (value: unknown): value is string => typeof value === "string";
/** `z.optional(z.string())`. */
export const isOptionalString = (value: unknown): boolean => value === undefined || typeof value === "string";
/** `z.nullish(z.string())`. */
export const isNullishString = (value: unknown): boolean => value === undefined || value === null || typeof value === "string";
/** `z.string().check(z.minLength(1))`. */
export const isNonEmptyString = (value: unknown): boolean => typeof value === "string" && value.length > 0;
/** `z.number()` (finite). */
export const isNumber = (value: unknown): boolean => typeof value === "number" && Number.isFinite(value);
/** `z.nullish(z.number())`. */
export const isNullishNumber = (value: unknown): boolean => value === undefined || value === null || isNumber(value);
