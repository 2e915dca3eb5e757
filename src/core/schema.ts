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
