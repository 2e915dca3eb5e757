/**
 * `export --invalid FILE`: records the SDK cannot use (DESIGN §14), kept as NDJSON instead of
 * stopping the run. Each line says why, and holds the record as received.
 */

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

/** A piece of JSON text already written, told apart from the data by its class. */
class Text {
  constructor(readonly text: string) {}
}

/**
 * `JSON.stringify` for parsed JSON of any depth: V8's recursion overflows the stack at a few
 * thousand levels, which a hostile server can send. Falls back to an explicit stack only then.
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
    const item = work.pop();
    if (item instanceof Text) {
      out.push(item.text);
    } else if (item === null || typeof item !== "object") {
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
      const keys = Object.keys(item);
      work.push(new Text("}"));
      for (let i = keys.length - 1; i >= 0; i--) {
        const key = keys[i]!;
        work.push((item as Record<string, unknown>)[key]);
        work.push(new Text(`${i > 0 ? "," : ""}${JSON.stringify(key)}:`));
      }
      work.push(new Text("{"));
    }
  }
  return out.join("");
}
