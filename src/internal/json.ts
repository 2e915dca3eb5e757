/**
 * `JSON.stringify` at any depth. V8's recursion overflows the stack at a few thousand levels,
 * which a hostile server can send (DESIGN §14) and which the simulator must be able to serve.
 */

/** A piece of JSON text already written, told apart from the data by its class. */
class Text {
  constructor(readonly text: string) {}
}

/**
 * The same text as `JSON.stringify(value)` (no replacer, no indent), for a value of any depth.
 * The common case is `JSON.stringify` itself: the explicit stack runs only after it overflowed,
 * so a shallow value costs nothing extra. Like `JSON.stringify`, `toJSON` is honoured, and
 * `undefined`, functions and symbols are left out of objects and written `null` in arrays.
 * Returns `"null"` where `JSON.stringify` returns undefined (a bare `undefined`).
 */
export function stringifyDeep(value: unknown): string {
  try {
    return JSON.stringify(value) ?? "null";
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
  }
  const out: string[] = [];
  const work: unknown[] = [value];
  while (work.length > 0) {
    let item = work.pop();
    if (item instanceof Text) {
      out.push(item.text);
      continue;
    }
    if (item !== null && typeof item === "object" && typeof (item as { toJSON?: unknown }).toJSON === "function") {
      item = (item as { toJSON(): unknown }).toJSON();
    }
    if (item === null || typeof item !== "object") {
      out.push(JSON.stringify(item) ?? "null");
    } else if (Array.isArray(item)) {
      // Pushed in reverse: the stack pops them in order.
      work.push(new Text("]"));
      for (let i = item.length - 1; i >= 0; i--) {
        work.push(item[i]);
        if (i > 0) work.push(new Text(","));
      }
      work.push(new Text("["));
    } else {
      const entries = Object.keys(item).flatMap((key): Array<[string, unknown]> => {
        const v = (item as Record<string, unknown>)[key];
        return v === undefined || typeof v === "function" || typeof v === "symbol" ? [] : [[key, v]];
      });
      work.push(new Text("}"));
      for (let i = entries.length - 1; i >= 0; i--) {
        const [key, v] = entries[i]!;
        work.push(v);
        work.push(new Text(`${i > 0 ? "," : ""}${JSON.stringify(key)}:`));
      }
      work.push(new Text("{"));
    }
  }
  return out.join("");
}
