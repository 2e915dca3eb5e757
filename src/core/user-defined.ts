/**
 * The definitions made by the public `defineVendor` (`auditlogs/define`), as against the
 * built-ins' (defined with the core's `defineVendor` directly). A run holds a defined vendor's
 * ids to more than the built-ins' (client.ts: two records sharing an id), since a definition's
 * `normalize` may pick a field that is not unique, where a built-in's ids are the vendor's own.
 */
const defined = new WeakSet<object>();

/** Marks `definition` as made by the public `defineVendor`. */
export function markUserDefined(definition: object): void {
  defined.add(definition);
}

/** Whether `definition` was made by the public `defineVendor`. */
export function isUserDefined(definition: object): boolean {
  return defined.has(definition);
}
