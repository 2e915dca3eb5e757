/**
 * Where a run stands: the page state being read and how many of its records are consumed.
 * Kept as two fields, not a `Position` object per event; none before the first page.
 */
import type { Position } from "./paginate.js";

export class RunPosition {
  #has = false;
  #state: unknown = null;
  #skip = 0;

  constructor(start?: Position) {
    if (start) this.set(start.state, start.skip);
  }

  set(state: unknown, skip: number): void {
    this.#has = true;
    this.#state = state;
    this.#skip = skip;
  }

  /** Whether a page was read (else the position is none yet). */
  get has(): boolean {
    return this.#has;
  }

  /** The page state, by reference: never changed once read; copy it for a checkpoint. */
  get state(): unknown {
    return this.#state;
  }

  get skip(): number {
    return this.#skip;
  }

  /** A copy for a checkpoint (the caller may change what it is given), or null before the first page. */
  toJSON(): Position | null {
    return this.#has ? { state: structuredClone(this.#state), skip: this.#skip } : null;
  }
}
