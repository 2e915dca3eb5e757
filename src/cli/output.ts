/**
 * Where the CLI's data goes: NDJSON to stdout or a file, with backpressure; and the checkpoint
 * file, loaded once and saved atomically (temp file in the same directory, then rename).
 */
import { once } from "node:events";
import { createWriteStream } from "node:fs";
import { readFile, rename, rm, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import type { Writable } from "node:stream";
import { UsageError } from "./args.js";

/** Raised when the reader of stdout went away (`| head`): the CLI stops quietly. */
export class OutputClosedError extends Error {
  override name = "OutputClosedError";
}

/**
 * Writes lines to a file (opened on the first write, so a run that fails before its first page
 * leaves an existing file untouched) or to stdout. `write` resolves once the chunk is handed to
 * the OS, waiting for `drain` when the stream's buffer is full.
 */
export class LineWriter {
  readonly #file: string | undefined;
  readonly #append: boolean;
  #stream: Writable | undefined;
  #failure: Error | undefined;
  #lines = 0;

  constructor(options: { file?: string | undefined; append?: boolean }) {
    this.#file = options.file;
    this.#append = options.append ?? false;
  }

  /** Lines written so far. */
  get lines(): number {
    return this.#lines;
  }

  /** Where the data goes, for messages. */
  get target(): string {
    return this.#file ?? "stdout";
  }

  /** Creates (or truncates) the file now, if it is not open yet. */
  async open(): Promise<void> {
    this.#ensure();
    if (this.#file !== undefined) await this.#settle("");
  }

  /** Writes each string as one line. */
  async writeLines(lines: readonly string[]): Promise<void> {
    if (lines.length === 0) return this.open();
    await this.#settle(lines.join("\n") + "\n");
    this.#lines += lines.length;
  }

  /** Flushes and closes a file; leaves stdout open. */
  async close(): Promise<void> {
    const stream = this.#stream;
    if (!stream || this.#file === undefined) return;
    this.#stream = undefined;
    stream.end();
    if (!stream.writableFinished) await once(stream, "finish").catch(() => undefined);
    if (this.#failure) throw this.#failure;
  }

  #ensure(): Writable {
    if (this.#failure) throw this.#failure;
    if (this.#stream) return this.#stream;
    const stream: Writable = this.#file === undefined ? process.stdout : createWriteStream(this.#file, { flags: this.#append ? "a" : "w" });
    stream.on("error", (error: NodeJS.ErrnoException) => {
      this.#failure ??=
        error.code === "EPIPE" ? new OutputClosedError("output closed by its reader") : new Error(`cannot write ${this.target}: ${error.message}`);
    });
    this.#stream = stream;
    return stream;
  }

  /** Writes `chunk` and resolves when it has left the process (or the write failed). */
  async #settle(chunk: string): Promise<void> {
    const stream = this.#ensure();
    await new Promise<void>((resolve) => {
      const ok = stream.write(chunk, (error) => {
        if (error) this.#failure ??= error.message.includes("EPIPE") ? new OutputClosedError("output closed by its reader") : new Error(`cannot write ${this.target}: ${error.message}`);
        if (ok) resolve();
      });
      if (!ok) {
        const done = () => {
          stream.off("drain", done);
          stream.off("error", done);
          stream.off("close", done);
          resolve();
        };
        stream.on("drain", done);
        stream.once("error", done);
        stream.once("close", done);
      }
    });
    if (this.#failure) throw this.#failure;
  }
}

/** The checkpoint stored in `file`, or undefined when there is none yet. */
export async function loadCheckpoint(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new UsageError(`--checkpoint ${file}: cannot read it: ${(error as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new UsageError(`--checkpoint ${file}: not valid JSON; delete it to start over, or point --checkpoint at another file`);
  }
}

/**
 * Saves checkpoints to one file, one at a time: each is written to a temp file beside it and
 * renamed over it, so a crash leaves the old checkpoint or the new one, never half of one.
 */
export class CheckpointFile {
  readonly path: string;
  readonly #temp: string;
  #queue: Promise<void> = Promise.resolve();
  #saved = 0;

  constructor(path: string) {
    this.path = path;
    this.#temp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  }

  /** How many saves completed. */
  get saves(): number {
    return this.#saved;
  }

  save(checkpoint: unknown): Promise<void> {
    const text = JSON.stringify(checkpoint) + "\n";
    const run = this.#queue.then(async () => {
      try {
        await writeFile(this.#temp, text, { mode: 0o600 });
        await rename(this.#temp, this.path);
        this.#saved += 1;
      } catch (error) {
        await rm(this.#temp, { force: true }).catch(() => undefined);
        throw new Error(`cannot save checkpoint ${this.path}: ${(error as Error).message}`);
      }
    });
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /** Checks up front that the directory is writable, so a bad path fails before any data is written. */
  async probe(): Promise<void> {
    try {
      await writeFile(this.#temp, "", { mode: 0o600 });
      await rm(this.#temp, { force: true });
    } catch (error) {
      throw new UsageError(`--checkpoint ${this.path}: cannot write beside it: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
  }
}
