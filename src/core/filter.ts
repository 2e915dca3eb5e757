import * as z from "zod/mini";

/** One value or several: `"login"` or `["login", "update"]`. */
export const oneOrMany = <T extends z.ZodMiniType>(item: T) => z.union([item, z.array(item).check(z.minLength(1))]);

/** A filter value as the list of strings a query repeats. */
export function asList(value: string | number | ReadonlyArray<string | number> | undefined): string[] {
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).map(String);
}
