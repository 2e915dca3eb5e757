/**
 * The export's output files and its checkpoint, committed together page by page in the order
 * that survives a crash at any point: the page's lines are written (and, to a file, synced)
 * first, then the checkpoint that covers them is saved with each file's new length. A rerun after
 * `kill -9` cuts whatever a file holds beyond that length and reads the page again, so with
 * `--checkpoint` every event is in `--out` (and every poison record in `--invalid`) exactly once,
 * and no line is partial.
 */
import type { CheckpointFile, FileName, SavedState } from "./checkpoint-file.js";
import { FileLines, type LineOutput, type OutputRecord } from "./output.js";
import { count, plural } from "./progress.js";

export class Commits {
  readonly output: LineOutput;
  readonly invalid: FileLines | undefined;
  readonly checkpoints: CheckpointFile | undefined;
  readonly #saved: SavedState | undefined;
  readonly #notify: (message: string) => void;
  #committed: unknown;
  #started: Promise<void> | undefined;

  /**
   * `saved`: what the checkpoint file held at the start (undefined: nothing yet). `initial`: the
   * stream's checkpoint before its first page, the one to save until a page is committed.
   * `invalid`: where poison records go (`--invalid`). `notify`: a line for the user (a cut tail).
   */
  constructor(options: {
    output: LineOutput;
    invalid?: FileLines | undefined;
    checkpoints?: CheckpointFile | undefined;
    saved?: SavedState | undefined;
    initial: unknown;
    notify?: (message: string) => void;
  }) {
    this.output = options.output;
    this.invalid = options.invalid;
    this.checkpoints = options.checkpoints;
    this.#saved = options.saved;
    this.#committed = options.initial;
    this.#notify = options.notify ?? (() => undefined);
  }

  /** The checkpoint that matches what has been written. */
  get committed(): unknown {
    return this.#committed;
  }

  /** Writes `lines` (and the page's poison records to `--invalid`), then saves `checkpoint` as covering them. */
  async commit(lines: readonly string[], checkpoint: unknown, invalidLines: readonly string[] = []): Promise<void> {
    await this.start();
    await Promise.all([this.output.writeLines(lines), invalidLines.length > 0 ? this.invalid?.writeLines(invalidLines) : undefined]);
    if (this.checkpoints) await Promise.all(this.#files().map(([, file]) => file.sync()));
    this.#committed = checkpoint;
    await this.#save();
  }

  /**
   * Moves the checkpoint without writing (the stream's end: its watermark), or saves the
   * committed one again (on Ctrl-C, when no page has been saved yet).
   */
  async save(checkpoint: unknown = this.#committed): Promise<void> {
    await this.start();
    this.#committed = checkpoint;
    await this.#save();
  }

  /**
   * Opens the files before the first commit: each is created, or in append mode cut back to the
   * length the checkpoint recorded; the checkpoint is then saved with the files' records before
   * any line is written, so even a run killed during its first page leaves a tail the rerun cuts.
   */
  start(): Promise<void> {
    this.#started ??= (async () => {
      for (const [name, file] of this.#files()) {
        const resume = this.#saved?.[name];
        const record = await file.open(resume);
        this.#report(file, resume, record);
      }
      if (this.#files().length > 0) await this.#save();
    })();
    return this.#started;
  }

  #files(): Array<[FileName, FileLines]> {
    const files: Array<[FileName, FileLines]> = [];
    if (this.output instanceof FileLines) files.push(["out", this.output]);
    if (this.invalid) files.push(["invalid", this.invalid]);
    return files;
  }

  #report(file: FileLines, resume: OutputRecord | undefined, record: OutputRecord): void {
    if (file.cutBytes > 0) {
      this.#notify(`removed the last ${plural(file.cutBytes, "byte", "bytes")} of ${file.path}: a run that was killed wrote them after its last checkpoint, and they are read again`);
    } else if (resume !== undefined && resume.file === record.file && record.bytes < resume.bytes) {
      this.#notify(`warning: ${file.path} has ${plural(record.bytes, "byte", "bytes")} where the checkpoint recorded ${count(resume.bytes)}: it was truncated since the last run; new lines are appended after its end`);
    }
  }

  #save(): Promise<void> {
    if (!this.checkpoints) return Promise.resolve();
    const state: SavedState = { checkpoint: this.#committed };
    for (const [name, file] of this.#files()) state[name] = file.record;
    return this.checkpoints.save(state);
  }
}
