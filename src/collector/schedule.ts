/**
 * A source's `every`: an interval ("30s", "5m", "1h") or a cron expression (5 fields, or 6 with
 * seconds first). Checked synchronously, before the collector touches the database; the next
 * occurrence of a cron expression is computed by pg-boss (`previewSchedule`), the engine that
 * runs the fleet, so cron semantics are pg-boss's own.
 */
export type Every = { kind: "interval"; ms: number; text: string } | { kind: "cron"; expression: string };

const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000 } as const;
const MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
const DAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

interface Field {
  name: string;
  min: number;
  max: number;
  names?: string[];
  /** `?` allowed (day of month, day of week). */
  any?: boolean;
}

const SECOND: Field = { name: "second", min: 0, max: 59 };
const FIELDS: Field[] = [
  { name: "minute", min: 0, max: 59 },
  { name: "hour", min: 0, max: 23 },
  { name: "day of month", min: 1, max: 31, any: true },
  { name: "month", min: 1, max: 12, names: MONTHS },
  { name: "day of week", min: 0, max: 7, names: DAYS, any: true },
];

/** Parses `every`; returns a message saying what is wrong, or the schedule. */
export function parseEvery(value: unknown): Every | string {
  if (typeof value !== "string" || value.trim() === "") return `must be an interval such as "30s", "5m" or "1h", or a cron expression (got ${describe(value)})`;
  const text = value.trim();
  const interval = /^(\d+)\s*(s|m|h)$/.exec(text);
  if (interval) {
    const ms = Number(interval[1]) * UNIT_MS[interval[2] as keyof typeof UNIT_MS];
    if (!(ms >= 1_000)) return `must be at least 1s (got ${JSON.stringify(value)})`;
    // Beyond this a timer fires at once; nobody polls an audit log less than monthly.
    if (ms > 2_147_483_647) return `must be at most 596h (got ${JSON.stringify(value)})`;
    return { kind: "interval", ms, text };
  }
  const parts = text.split(/\s+/);
  if (parts.length !== 5 && parts.length !== 6) {
    return `must be an interval such as "30s", "5m" or "1h", or a cron expression of 5 or 6 fields (got ${JSON.stringify(value)})`;
  }
  const fields = parts.length === 6 ? [SECOND, ...FIELDS] : FIELDS;
  for (let i = 0; i < parts.length; i++) {
    const problem = checkField(parts[i]!, fields[i]!);
    if (problem) return `is not a valid cron expression: ${fields[i]!.name} ${problem} (got ${JSON.stringify(value)})`;
  }
  return { kind: "cron", expression: text };
}

function checkField(part: string, field: Field): string | undefined {
  if (part === "?" && field.any) return undefined;
  for (const item of part.split(",")) {
    const [range, step, extra] = item.split("/");
    if (extra !== undefined || range === undefined || range === "") return `has a bad item "${item}"`;
    if (step !== undefined && !/^\d+$/.test(step)) return `has a bad step "${item}"`;
    if (step !== undefined && Number(step) === 0) return `has a step of 0 in "${item}"`;
    if (range === "*") continue;
    const bounds = range.split("-");
    if (bounds.length > 2) return `has a bad range "${item}"`;
    const numbers = bounds.map((bound) => valueOf(bound, field));
    if (numbers.some((n) => n === undefined)) return `must be ${field.min}-${field.max}${field.names ? ` or a name (${field.names[0]}…)` : ""}, got "${item}"`;
    if (numbers.length === 2 && numbers[0]! > numbers[1]!) return `has a backwards range "${item}"`;
  }
  return undefined;
}

function valueOf(text: string, field: Field): number | undefined {
  if (/^\d+$/.test(text)) {
    const n = Number(text);
    return n >= field.min && n <= field.max ? n : undefined;
  }
  const index = field.names?.indexOf(text.toUpperCase()) ?? -1;
  if (index < 0) return undefined;
  return field.names === MONTHS ? index + 1 : index;
}

function describe(value: unknown): string {
  return typeof value === "string" ? JSON.stringify(value) : typeof value;
}
