/** Telling a misspelt key from a known one, for errors that ask "did you mean …?". */
import { ConfigError } from "./errors.js";

/**
 * The name in `known` that `key` is likely a typo of (the same but for case, or at most two
 * edits away), for a "did you mean" in an error; undefined when none is that near.
 */
export function nearestName(key: string, known: readonly string[]): string | undefined {
  return known.find((name) => name.toLowerCase() === key.toLowerCase()) ?? known.find((name) => editDistance(name, key) <= 2);
}

/**
 * The first key of `object` that is not one of `known`, with the known key it is near (a typo),
 * or undefined when there is none. A key set to undefined passes (options spread from optional
 * parts). Each caller words its own error (`refuseUnknownKeys` a `ConfigError`).
 */
export function unknownKey(object: object, known: readonly string[]): { key: string; near: string | undefined } | undefined {
  for (const key of Object.keys(object)) {
    if (known.includes(key) || (object as Record<string, unknown>)[key] === undefined) continue;
    return { key, near: nearestName(key, known) };
  }
  return undefined;
}

/**
 * Refuses a key of `object` that is not one of `known` (`unknownKey`): a `ConfigError` naming it
 * (after `path`), asking about the known key it is near. `what` is what it is not, such as "an
 * option of collect()", and `noun` what the known keys are.
 */
export function refuseUnknownKeys(object: object, known: readonly string[], what: string, { noun = "option", path = "" } = {}): void {
  const unknown = unknownKey(object, known);
  if (unknown === undefined) return;
  const list = known.length === 1 ? `its one ${noun} is ${known[0]}` : `its ${noun}s: ${known.join(", ")}`;
  throw new ConfigError(`is not ${what}${unknown.near ? `: did you mean ${unknown.near}?` : ""} (${list})`, `${path}${unknown.key}`);
}

/** Levenshtein distance between two short strings. */
function editDistance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    row = next;
  }
  return row[b.length]!;
}
