/**
 * The ids a run has yielded at or after its watermark (the lag zone), so a re-read of that zone
 * (the next run, a late event's page) yields none of them twice. Kept as id → occurredAt: a
 * finished run's checkpoint keeps only those not older than its watermark.
 */
export class SeenIds {
  readonly #seen: Map<string, string>;

  constructor(initial: Record<string, string>) {
    this.#seen = new Map(Object.entries(initial));
  }

  has(id: string): boolean {
    return this.#seen.has(id);
  }

  /** Notes a yielded event; only those at or after the watermark are kept. */
  note(id: string, occurredAt: string, time: number, watermark: number): void {
    if (time >= watermark) this.#seen.set(id, occurredAt);
  }

  /** The ids at or after `floor`, for a checkpoint. */
  toJSON(floor: number): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [id, at] of this.#seen) if (Date.parse(at) >= floor) out[id] = at;
    return out;
  }
}
