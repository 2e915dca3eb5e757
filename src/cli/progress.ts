/**
 * A progress line on stderr that rewrites itself in place, only when stderr is a terminal (a
 * scheduled job's log gets no progress noise). Throttled, and cut to the terminal's width.
 */
const INTERVAL_MS = 100;

export class ProgressLine {
  readonly #stream: NodeJS.WriteStream;
  readonly #enabled: boolean;
  #lastDraw = 0;
  #shown = false;
  #pending: string | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: { stream?: NodeJS.WriteStream; quiet?: boolean } = {}) {
    this.#stream = options.stream ?? process.stderr;
    this.#enabled = !options.quiet && this.#stream.isTTY === true;
  }

  /** Shows `text`, at most every 100 ms (a later call within that time replaces it). */
  update(text: string): void {
    if (!this.#enabled) return;
    this.#pending = text;
    const wait = this.#lastDraw + INTERVAL_MS - Date.now();
    if (wait <= 0) this.#draw();
    else this.#timer ??= setTimeout(() => this.#draw(), wait);
  }

  /** Clears the line, so what comes next starts on a clean line. */
  clear(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#pending = undefined;
    if (this.#enabled && this.#shown) this.#stream.write("\r\x1b[2K");
    this.#shown = false;
  }

  #draw(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#pending === undefined) return;
    const width = Math.max(20, (this.#stream.columns || 80) - 1);
    const text = this.#pending.length > width ? `${this.#pending.slice(0, width - 1)}…` : this.#pending;
    this.#stream.write(`\r\x1b[2K${text}`);
    this.#pending = undefined;
    this.#shown = true;
    this.#lastDraw = Date.now();
  }
}

const integer = new Intl.NumberFormat("en-US");

/** 12345 → "12,345". */
export function count(n: number): string {
  return integer.format(n);
}

/** 1 → "1 retry", 2 → "2 retries". */
export function plural(n: number, one: string, many: string): string {
  return `${count(n)} ${n === 1 ? one : many}`;
}

/** Milliseconds as "0.42 s", "12.3 s" or "2 m 05 s". */
export function seconds(ms: number): string {
  if (ms < 10_000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const total = Math.round(ms / 1000);
  return `${Math.floor(total / 60)} m ${String(total % 60).padStart(2, "0")} s`;
}
