import * as z from "zod/mini";
import { englishMessages } from "./zod.js";
import { ConfigError } from "./errors.js";
import type { VendorId } from "./vendor-id.js";

englishMessages();

/**
 * A validator for a vendor's typed `filter`: unknown keys and wrong types are a ConfigError
 * naming `filter.<key>`, before any request.
 */
export function filterParser<Shape extends z.core.$ZodLooseShape>(vendor: VendorId, shape: Shape): (value: unknown) => z.infer<z.ZodMiniObject<Shape>> | undefined {
  const schema = z.strictObject(shape);
  return (value) => {
    if (value === undefined) return undefined;
    if (value === null || typeof value !== "object" || Array.isArray(value)) throw new ConfigError("must be an object", "filter");
    const parsed = schema.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const key = issue.code === "unrecognized_keys" ? issue.keys[0] : issue.path.map(String).join(".");
      const known = Object.keys(shape);
      const message =
        issue.code === "unrecognized_keys"
          ? `is not a ${vendor} filter${known.length ? ` (known: ${known.join(", ")})` : " (this vendor has no filters)"}`
          : issue.message;
      throw new ConfigError(message, `filter${key ? `.${key}` : ""}`);
    }
    return parsed.data;
  };
}

/** One value or several: `"login"` or `["login", "update"]`. */
export const oneOrMany = <T extends z.core.$ZodType>(item: T) => z.union([item, z.array(item).check(z.minLength(1))]);

/** A filter value as the list of strings a query repeats. */
export function asList(value: string | number | Array<string | number> | undefined): string[] {
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).map(String);
}
