/**
 * zod/mini's messages. The library uses `zod/mini`, whose functions a bundler keeps only as
 * used (classic zod weighs ~440 KB in any bundle, whatever is used of it: DESIGN §9). Each file
 * imports it as `import * as z from "zod/mini"`: a namespace reached only by property access
 * tree-shakes, one re-exported from here would keep all of zod.
 *
 * zod/mini loads no locale, so every issue would read "Invalid input"; the library's errors
 * quote zod's messages (`filter.actorId: Invalid input: expected string, received number`).
 */
import { config } from "zod/mini";
import { en } from "zod/locales";

/**
 * Sets English messages unless the application configured a locale already: what importing
 * classic zod does, minus overriding the application's choice. Called at the top of each file
 * that defines schemas (a call, not a side-effect import, which `sideEffects: false` would let a
 * bundler drop).
 */
export function englishMessages(): void {
  if (!config().localeError) config(en());
}
