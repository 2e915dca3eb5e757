/**
 * `--checkpoint FILE`: the library's checkpoint, plus (with `--out`) how much of the output file
 * it covers, saved after every page with the package's one atomic writer (the one under
 * `fileCheckpointStore`: temp file, fsync, rename, directory fsync). The output record is what
 * makes a rerun after `kill -9` exactly once: whatever the file holds beyond it was written after
 * the last commit, and is cut before the page is read again.
 */
import { readdir, readFile, rm } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { removeStaleTemps, writeFileAtomic } from "../internal/atomic-file.js";
import { UsageError } from "./args.js";
import { CannotWriteError, describeFsError, type OutputRecord } from "./output.js";

/** The files a checkpoint can record, by the flag that names them. */
export type FileName = "out" | "invalid";

const FILE_NAMES: readonly FileName[] = ["out", "invalid"];

/** What the CLI keeps in its checkpoint file. */
export interface SavedState {
  /** The library's checkpoint (`stream.checkpoint()`), handed back as `resumeFrom`. */
  checkpoint: unknown;
  /** The `--out` file and its committed length, when the output is a file. */
  out?: OutputRecord | undefined;
  /** The `--invalid` file and its committed length. */
  invalid?: OutputRecord | undefined;
}

/**
 * One checkpoint file, saved one state at a time and atomically, so a crash leaves the old state
 * or the new one, never half of one. (`fileCheckpointStore` names its files after keys, as
 * `<dir>/<key>.json`; `--checkpoint` takes any file name, so the CLI uses the writer beneath it.)
 */
export class CheckpointFile {
  readonly path: string;
  #queue: Promise<void> = Promise.resolve();
  #saved = 0;

  constructor(path: string) {
    this.path = path;
  }

  /** How many saves completed. */
  get saves(): number {
    return this.#saved;
  }

  /**
   * The state stored in the file, or undefined when there is none yet. Removes the temp files a
   * killed run left beside it. A file that is not a checkpoint of this CLI is a `UsageError`.
   */
  async load(): Promise<SavedState | undefined> {
    await this.#removeLeftovers();
    let text: string;
    try {
      text = await readFile(this.path, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw new UsageError(`--checkpoint ${this.path}: cannot read it: ${describeFsError(error)}`);
    }
    let stored: unknown;
    try {
      stored = JSON.parse(text);
    } catch {
      throw new UsageError(`--checkpoint ${this.path}: not valid JSON; delete it to start over, or point --checkpoint at another file`);
    }
    if (typeof stored !== "object" || stored === null || Array.isArray(stored)) return { checkpoint: stored };
    // The file records sit beside the checkpoint's own fields, so the file stays a checkpoint.
    const { out, invalid, ...checkpoint } = stored as Record<string, unknown>;
    const state: SavedState = { checkpoint };
    if (out !== undefined) state.out = this.#outputRecord(out, "out");
    if (invalid !== undefined) state.invalid = this.#outputRecord(invalid, "invalid");
    return state;
  }

  /** Saves `state`; saves run one after another in the order they were asked for. */
  save(state: SavedState): Promise<void> {
    const records = Object.fromEntries(FILE_NAMES.flatMap((name) => (state[name] === undefined ? [] : [[name, state[name]]])));
    const text = JSON.stringify(Object.keys(records).length === 0 ? state.checkpoint : { ...(state.checkpoint as object), ...records }) + "\n";
    const run = this.#queue.then(async () => {
      try {
        await writeFileAtomic(this.path, text);
        this.#saved += 1;
      } catch (error) {
        throw new CannotWriteError(`cannot save checkpoint ${this.path}: ${describeFsError(error)}`);
      }
    });
    this.#queue = run.catch(() => undefined);
    return run;
  }

  #outputRecord(value: unknown, name: FileName): OutputRecord {
    const record = value as Partial<OutputRecord> | null;
    const bytes = record?.bytes;
    if (typeof record !== "object" || record === null || typeof record.file !== "string" || typeof record.tail !== "string" || typeof bytes !== "number" || !Number.isSafeInteger(bytes) || bytes < 0) {
      throw new UsageError(`--checkpoint ${this.path}: "${name}" must be { file, bytes, tail } as this command saves it; delete the file to start over`);
    }
    return { file: record.file, bytes, tail: record.tail };
  }

  /**
   * The temp files of killed runs beside the file: the atomic writer's (of any process no longer
   * running), and the `.<name>.<pid>.tmp` ones of CLI versions before it.
   */
  async #removeLeftovers(): Promise<void> {
    const dir = dirname(resolve(this.path));
    await removeStaleTemps(dir);
    const legacy = new RegExp(`^\\.${escapeRegExp(basename(this.path))}\\.\\d+\\.tmp$`);
    for (const entry of await readdir(dir).catch(() => [] as string[])) {
      if (legacy.test(entry)) await rm(join(dir, entry), { force: true }).catch(() => undefined);
    }
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
