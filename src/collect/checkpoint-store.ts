/**
 * Where `collect()` keeps each source's checkpoint between runs (DESIGN §11): an interface with
 * two methods, so a database, a KV store or a secrets-free S3 bucket can stand in, and the two
 * stores that need no infrastructure: one JSON file per key, and memory.
 */
import { mkdir, readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import type { Checkpoint } from "../core/checkpoint.js";
import { AuditLogsError, ConfigError } from "../core/errors.js";
import { removeStaleTemps, writeFileAtomic } from "../internal/atomic-file.js";

/**
 * Durable state for incremental runs: the last checkpoint saved under each key (a source, an
 * account). `save` must be durable when it resolves, since `collect()` moves on to the next page
 * then; `load` returns what the last completed `save` stored, or undefined before the first.
 */
export interface CheckpointStore<C = Checkpoint> {
  /** The checkpoint last saved under `key`, or undefined if there is none. */
  load(key: string): Promise<C | undefined>;
  /** Replaces the checkpoint under `key`; durable once it resolves. */
  save(key: string, checkpoint: C): Promise<void>;
}

/**
 * A store that keeps each key's checkpoint in `<dir>/<key>.json`, replaced atomically (a temp
 * file in `dir`, fsync, rename), so a crash leaves the previous checkpoint or the new one. The
 * directory is created on first use, and temp files left by a crashed process are removed then.
 *
 * A key becomes a file name as it is when made of letters, digits, `_`, `-` and `.` (so
 * `"acme-zendesk"` is `acme-zendesk.json`); any other byte is written `%XX`, as is a leading
 * dot and the first letter of a Windows device name (`CON`, `NUL`, …). No key can name a file
 * outside `dir` (`"../x"` is `%2E.%2Fx.json`), and two keys never share a file, except on a
 * case-insensitive file system, where keys differing only in case do.
 */
export function fileCheckpointStore<C = Checkpoint>(dir: string): CheckpointStore<C> {
  if (typeof dir !== "string" || dir.trim() === "") throw new ConfigError("must be a directory path", "dir");
  if (dir.includes("\0")) throw new ConfigError("must not contain a NUL byte", "dir");
  const root = resolve(dir);
  let opened: Promise<void> | undefined;
  // Created and cleaned once, on first use (the factory is synchronous); a failure is retried next time.
  const open = (): Promise<void> => {
    opened ??= (async () => {
      await mkdir(root, { recursive: true });
      await removeStaleTemps(root);
    })().catch((error: unknown) => {
      opened = undefined;
      throw new AuditLogsError(`checkpoint store ${root}: cannot use the directory: ${(error as Error).message}`, { cause: error });
    });
    return opened;
  };
  // One save at a time per key, in call order, so the last call is the one that stays.
  const queues = new Map<string, Promise<void>>();

  return {
    async load(key) {
      const path = join(root, fileNameOf(key));
      await open();
      let text: string;
      try {
        text = await readFile(path, "utf8");
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
        throw new AuditLogsError(`checkpoint store: cannot read ${path}: ${(error as Error).message}`, { cause: error });
      }
      try {
        return JSON.parse(text) as C;
      } catch (error) {
        throw new AuditLogsError(`checkpoint store: ${path} is not valid JSON; delete it to start key ${JSON.stringify(key)} over`, { cause: error });
      }
    },
    async save(key, checkpoint) {
      const path = join(root, fileNameOf(key));
      const text = `${serialize(checkpoint)}\n`;
      const previous = queues.get(key) ?? Promise.resolve();
      const run = previous.then(async () => {
        await open();
        try {
          await writeFileAtomic(path, text);
        } catch (error) {
          throw new AuditLogsError(`checkpoint store: cannot save ${path}: ${(error as Error).message}`, { cause: error });
        }
      });
      const settled = run.catch(() => undefined);
      queues.set(key, settled);
      // Forget a key once its last save is done: the map does not grow with every key ever saved.
      void settled.then(() => {
        if (queues.get(key) === settled) queues.delete(key);
      });
      return run;
    },
  };
}

/**
 * A store in this process's memory: for tests, and for runs that only need to resume within one
 * process. It keeps a copy of each checkpoint and hands out copies, so a caller that changes a
 * checkpoint it was given changes nothing stored.
 */
export function memoryCheckpointStore<C = Checkpoint>(): CheckpointStore<C> {
  const entries = new Map<string, string>();
  return {
    async load(key) {
      checkKey(key);
      const text = entries.get(key);
      return text === undefined ? undefined : (JSON.parse(text) as C);
    },
    async save(key, checkpoint) {
      checkKey(key);
      // JSON, as a file or database store would keep it: a value that would not survive one fails here too.
      entries.set(key, serialize(checkpoint));
    },
  };
}

/** The checkpoint as JSON; one that cannot be (a cycle, a BigInt) is a ConfigError naming it. */
function serialize(checkpoint: unknown): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(checkpoint);
  } catch (error) {
    throw new ConfigError(`cannot be stored as JSON: ${(error as Error).message}`, "checkpoint");
  }
  if (text === undefined || checkpoint === null || typeof checkpoint !== "object") {
    throw new ConfigError("must be an object (a checkpoint from stream.checkpoint() or page.checkpoint)", "checkpoint");
  }
  return text;
}

function checkKey(key: unknown): asserts key is string {
  if (typeof key !== "string" || key === "") throw new ConfigError("must be a non-empty string", "key");
}

/** Longest file name we make; most file systems allow 255 bytes. */
const MAX_NAME = 240;
const WINDOWS_DEVICE = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\.|$)/i;

/** `key` as a file name in the store's directory: safe, and distinct for distinct keys (see `fileCheckpointStore`). */
export function fileNameOf(key: unknown): string {
  checkKey(key);
  let name = "";
  for (const byte of Buffer.from(key, "utf8")) {
    const char = String.fromCharCode(byte);
    name += /[A-Za-z0-9_.-]/.test(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  // A leading dot would hide the file (and "." or ".." name a directory); a device name opens the device on Windows.
  if (name.startsWith(".") || WINDOWS_DEVICE.test(name)) name = `%${name.charCodeAt(0).toString(16).toUpperCase()}${name.slice(1)}`;
  name += ".json";
  if (name.length > MAX_NAME) throw new ConfigError(`is too long for a file name (${name.length} bytes encoded, at most ${MAX_NAME})`, "key");
  return name;
}
