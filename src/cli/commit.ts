/**
 * The export's output and its checkpoint, committed together page by page in the order that
 * survives a crash at any point: the page's lines are written (and, to a file, synced) first,
 * then the checkpoint that covers them is saved with the file's new length. A rerun after
 * `kill -9` cuts whatever the file holds beyond that length and reads the page again, so with
 * `--checkpoint` and `--out` every event is in the file exactly once and no line is partial.
 */
import type { CheckpointFile, SavedState } from "./checkpoint-file.js";
import { FileLines, type LineOutput, type OutputRecord } from "./output.js";
import { count, plural } from "./progress.js";

export class Commits {
  readonly output: LineOutput;
  readonly checkpoints: CheckpointFile | undefined;
  readonly #resume: OutputRecord | undefined;
  #committed: unknown;
  readonly #notify: (message: string) => void;
  #started: Promise<void> | undefined;

  /**
   * `saved`: what the checkpoint file held at the start (undefined: nothing yet). `initial`: the
   * stream's checkpoint before its first page, the one to save until a page is committed.
   */
  constructor(options: { output: LineOutput; checkpoints?: CheckpointFile | undefined; saved?: SavedState | undefined; initial: unknown; notify?: (message: string) => void }) {
    this.#notify = options.notify ?? (() => undefined);
    this.output = options.output;
    this.checkpoints = options.checkpoints;
    this.#resume = options.saved?.out;
    this.#committed = options.initial;
  }

  /** The checkpoint that matches what has been written. */
  get committed(): unknown {
    return this.#committed;
  }

  /** Writes `lines`, then saves `checkpoint` as covering them. */
  async commit(lines: readonly string[], checkpoint: unknown): Promise<void> {
    await this.start();
    await this.output.writeLines(lines);
    if (this.output instanceof FileLines && this.checkpoints) await this.output.sync();
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
   * Opens the output before the first commit: a file is created, or in append mode cut back to
   * the length the checkpoint recorded; the checkpoint is saved with the file's record before any
   * line is written, so even a run killed during its first page leaves a tail the rerun can cut.
   */
  start(): Promise<void> {
    this.#started ??= (async () => {
      if (!(this.output instanceof FileLines)) return;
      const output = this.output;
      const record = await output.open(this.#resume);
      const resume = this.#resume;
      if (output.cutBytes > 0) {
        this.#notify(`removed the last ${plural(output.cutBytes, "byte", "bytes")} of ${output.path}: a run that was killed wrote them after its last checkpoint, and they are read again`);
      } else if (resume !== undefined && resume.file === record.file && record.bytes < resume.bytes) {
        this.#notify(`warning: ${output.path} has ${plural(record.bytes, "byte", "bytes")} where the checkpoint recorded ${count(resume.bytes)}: it was truncated since the last run; new events are appended after its end`);
      }
      await this.#save();
    })();
    return this.#started;
  }

  #save(): Promise<void> {
    if (!this.checkpoints) return Promise.resolve();
    const out = this.output instanceof FileLines ? this.output.record : undefined;
    return this.checkpoints.save({ checkpoint: this.#committed, out });
  }
}
