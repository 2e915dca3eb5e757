/**
 * Where the CLI's data goes: lines to stdout (with backpressure) or to a file (through a file
 * handle, so every write's outcome is known and the file's committed length can be kept), and the
 * checks that make a bad path fail before any request is sent.
 */
import { createHash } from "node:crypto";
import { constants, type BigIntStats } from "node:fs";
import { access, open, stat, type FileHandle } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import type { Writable } from "node:stream";

/** Raised when the reader of stdout went away (`| head`): the CLI stops quietly. */
export class OutputClosedError extends Error {
  override name = "OutputClosedError";
}

/** A path the CLI cannot write (missing directory, a directory, no permission, disk full): exit code 1. */
export class CannotWriteError extends Error {
  override name = "CannotWriteError";
}

/** Lines out, one `write` at a time; what the export and demo loops write to. */
export interface LineOutput {
  /** Where the data goes, for messages: the file name or "stdout". */
  readonly target: string;
  /** Lines written so far. */
  readonly lines: number;
  /** Writes each string as one line; resolves once they have left the process. */
  writeLines(lines: readonly string[]): Promise<void>;
  /** Flushes and releases the output (stdout stays open). */
  close(): Promise<void>;
}

/**
 * Lines to a stream (stdout by default). `writeLines` resolves when the stream has taken the chunk
 * (its write callback) or can take no more (error, close): it never waits on an event that will
 * not come. The write callback may run synchronously (Bun calls it before `write` returns).
 */
export class StreamLines implements LineOutput {
  readonly target: string;
  readonly #stream: Writable;
  #failure: Error | undefined;
  #lines = 0;

  constructor(stream: Writable = process.stdout, target = "stdout") {
    this.#stream = stream;
    this.target = target;
    stream.on("error", (error: NodeJS.ErrnoException) => this.#fail(error));
  }

  get lines(): number {
    return this.#lines;
  }

  async writeLines(lines: readonly string[]): Promise<void> {
    if (lines.length === 0) return;
    await this.#write(lines.join("\n") + "\n");
    this.#lines += lines.length;
  }

  /** stdout is not ours to close; a failure seen meanwhile is still reported. */
  async close(): Promise<void> {
    if (this.#failure) throw this.#failure;
  }

  async #write(chunk: string): Promise<void> {
    if (this.#failure) throw this.#failure;
    const stream = this.#stream;
    if (stream.destroyed || stream.writableEnded) throw new OutputClosedError(`${this.target} is closed`);
    await new Promise<void>((resolve) => {
      const done = () => {
        stream.off("error", done);
        stream.off("close", done);
        resolve();
      };
      stream.once("error", done);
      stream.once("close", done);
      // The callback runs once the chunk is handed to the OS (or failed), which also means the
      // buffer is below its limit again: no separate wait for "drain".
      stream.write(chunk, (error) => {
        if (error) this.#fail(error);
        done();
      });
    });
    if (this.#failure) throw this.#failure;
  }

  #fail(error: NodeJS.ErrnoException): void {
    this.#failure ??=
      error.code === "EPIPE" || error.message.includes("EPIPE")
        ? new OutputClosedError("output closed by its reader")
        : new CannotWriteError(`cannot write ${this.target}: ${error.message}`);
  }
}

/** What a checkpoint remembers of its output file: which file, and how much of it is committed. */
export interface OutputRecord {
  /** The file's identity (`<dev>:<inode>`), so a replaced or rotated file is not cut. */
  file: string;
  /** Bytes of the file that the checkpoint covers. */
  bytes: number;
  /**
   * SHA-256 of the last (up to) 1 KiB before `bytes`: the file is only cut when it still holds
   * exactly that there (an inode number is reused as soon as a file is deleted).
   */
  tail: string;
}

const TAIL_BYTES = 1024;

/**
 * Lines to a file, written through one file handle in order. The file is opened on the first
 * write (or `open()`), so a run that fails before its first page leaves an existing file as it
 * was. In append mode, `open(resume)` first cuts what a killed run wrote after its last commit.
 */
export class FileLines implements LineOutput {
  readonly path: string;
  readonly #append: boolean;
  #opening: Promise<FileHandle> | undefined;
  #handle: FileHandle | undefined;
  #queue: Promise<void> = Promise.resolve();
  #record: OutputRecord | undefined;
  /** The last bytes written, up to TAIL_BYTES, for the record's `tail`. */
  #tail: Buffer = Buffer.alloc(0);
  #cut = 0;
  #lines = 0;

  constructor(path: string, options: { append?: boolean } = {}) {
    this.path = path;
    this.#append = options.append ?? false;
  }

  get target(): string {
    return this.path;
  }

  get lines(): number {
    return this.#lines;
  }

  /** Bytes a reopened file had beyond the committed length, cut by `open()` (a killed run's torn tail). */
  get cutBytes(): number {
    return this.#cut;
  }

  /** The file and its length now: what to store beside a checkpoint once a page is written and synced. */
  get record(): OutputRecord | undefined {
    return this.#record && { ...this.#record };
  }

  /**
   * Opens (creates; in overwrite mode truncates) the file if it is not open yet. `resume`, the
   * record stored with the checkpoint, is the committed length of the same file: a longer file
   * that still ends its committed part as recorded is cut back to it. A different file (rotated,
   * replaced) or a shorter one is appended to as it is.
   */
  async open(resume?: OutputRecord): Promise<OutputRecord> {
    this.#opening ??= this.#open(resume);
    await this.#opening;
    return this.record!;
  }

  async writeLines(lines: readonly string[]): Promise<void> {
    if (lines.length === 0) {
      await this.open();
      return;
    }
    const data = Buffer.from(lines.join("\n") + "\n", "utf8");
    await this.#serial(async () => {
      const handle = await this.open().then(() => this.#handle!);
      // A write may take less than the whole buffer; the rest follows at once.
      for (let offset = 0; offset < data.length; ) {
        const { bytesWritten } = await handle.write(data, offset, data.length - offset).catch((error: unknown) => {
          throw this.#error(error);
        });
        offset += bytesWritten;
        this.#record!.bytes += bytesWritten;
      }
      this.#tail = lastBytes(Buffer.concat([this.#tail, data.subarray(-TAIL_BYTES)]));
      this.#record!.tail = sha256(this.#tail);
      this.#lines += lines.length;
    });
  }

  /** Makes what was written durable (a checkpoint saved after it must not outlive the data it counts). */
  async sync(): Promise<void> {
    await this.#serial(async () => {
      await this.#handle?.datasync().catch((error: unknown) => {
        throw this.#error(error);
      });
    });
  }

  async close(): Promise<void> {
    await this.#queue;
    const handle = this.#handle;
    this.#handle = undefined;
    await handle?.close().catch((error: unknown) => {
      throw this.#error(error);
    });
  }

  async #open(resume: OutputRecord | undefined): Promise<FileHandle> {
    let handle: FileHandle;
    try {
      // Read too: the committed tail is compared before the file is cut.
      handle = await open(this.path, this.#append ? "a+" : "w+", 0o644);
    } catch (error) {
      throw this.#error(error);
    }
    try {
      const info = await handle.stat({ bigint: true });
      const file = identity(info);
      let bytes = Number(info.size);
      if (resume !== undefined && resume.file === file && bytes > resume.bytes && sha256(await readTail(handle, resume.bytes)) === resume.tail) {
        await handle.truncate(resume.bytes);
        this.#cut = bytes - resume.bytes;
        bytes = resume.bytes;
      }
      this.#tail = await readTail(handle, bytes);
      this.#record = { file, bytes, tail: sha256(this.#tail) };
      this.#handle = handle;
      return handle;
    } catch (error) {
      await handle.close().catch(() => undefined);
      throw this.#error(error);
    }
  }

  #serial(task: () => Promise<void>): Promise<void> {
    const run = this.#queue.then(task);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  #error(error: unknown): CannotWriteError {
    if (error instanceof CannotWriteError) return error;
    return new CannotWriteError(`cannot write ${this.path}: ${describeFsError(error)}`);
  }
}

function identity(info: BigIntStats): string {
  return `${info.dev}:${info.ino}`;
}

/** The up to TAIL_BYTES bytes of the file before offset `end`. */
async function readTail(handle: FileHandle, end: number): Promise<Buffer> {
  const start = Math.max(0, end - TAIL_BYTES);
  const buffer = Buffer.alloc(end - start);
  let read = 0;
  while (read < buffer.length) {
    const { bytesRead } = await handle.read(buffer, read, buffer.length - read, start + read);
    if (bytesRead === 0) break;
    read += bytesRead;
  }
  return buffer.subarray(0, read);
}

function lastBytes(buffer: Buffer): Buffer {
  return buffer.length > TAIL_BYTES ? Buffer.from(buffer.subarray(buffer.length - TAIL_BYTES)) : buffer;
}

function sha256(data: Buffer): string {
  return createHash("sha256").update(data).digest("hex");
}

/**
 * Checks, without creating anything, that `path` can be written as a file: it is not a
 * directory, its directory exists, and both allow writing. `replaced`: the file is written by
 * renaming a temp file over it (a checkpoint), so its directory must be writable even when the
 * file exists. Throws `CannotWriteError` naming the flag and the path.
 */
export async function checkWritableFile(path: string, flag: string, options: { replaced?: boolean } = {}): Promise<void> {
  const fail = (why: string) => new CannotWriteError(`${flag} ${path}: cannot write it: ${why}`);
  const full = resolve(path);
  const info = await stat(full).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return undefined;
    throw fail(error.code === "ENOTDIR" ? "a part of its path is a file, not a directory" : describeFsError(error));
  });
  if (info?.isDirectory()) throw fail("it is a directory; give a file name");
  if (info !== undefined) {
    await access(full, constants.W_OK).catch((error: unknown) => {
      throw fail(describeFsError(error));
    });
    if (!options.replaced) return;
  }
  const dir = dirname(full);
  const parent = await stat(dir).catch((error: NodeJS.ErrnoException) => {
    throw fail(error.code === "ENOENT" ? `directory ${dir} does not exist` : error.code === "ENOTDIR" ? "a part of its path is a file, not a directory" : describeFsError(error));
  });
  if (!parent.isDirectory()) throw fail(`${dir} is not a directory`);
  await access(dir, constants.W_OK | constants.X_OK).catch((error: unknown) => {
    throw fail(`cannot create files in ${dir}: ${describeFsError(error)}`);
  });
}

/** "permission denied (EACCES)" rather than node's "EACCES: permission denied, open '/x'" with the path twice. */
export function describeFsError(error: unknown): string {
  const { code, message } = error as NodeJS.ErrnoException;
  const words: Record<string, string> = {
    EACCES: "permission denied",
    EPERM: "operation not permitted",
    EROFS: "read-only file system",
    ENOSPC: "no space left on the device",
    EDQUOT: "disk quota exceeded",
    EISDIR: "it is a directory",
    ENOENT: "no such file or directory",
    ENOTDIR: "a part of its path is a file, not a directory",
  };
  if (typeof code === "string" && words[code]) return `${words[code]} (${code})`;
  return message ?? String(error);
}
