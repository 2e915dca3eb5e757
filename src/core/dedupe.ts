import { MAX_SEEN, setKey, storableId, type LoadedSeen } from "./checkpoint.js";

/**
 * The ids a run has yielded at or after its watermark (the lag zone), so a re-read of that zone
 * (the next run, a late event's page) yields none of them twice. Kept as id → occurredAt: a
 * finished run's checkpoint keeps only those not older than its watermark.
 */
export class SeenIds {
  /** Every id: the checkpoint's and those noted since (one lookup per event). */
  readonly #ids: Set<string>;
  /** The checkpoint's ids and times as read, side by side: no Map of 100,000 built at load. */
  readonly #loaded: LoadedSeen;
  /** Ids this run noted → occurredAt; none of them is a loaded one (a loaded id is never yielded). */
  readonly #noted = new Map<string, string>();

  /** `loaded`: the checkpoint's ids, checked (`readCheckpoint`); kept, not copied. */
  constructor(loaded: LoadedSeen) {
    this.#loaded = loaded;
    this.#ids = new Set(loaded.ids);
  }

  has(id: string): boolean {
    // Empty through a backfill's history (ids are noted only at or after the watermark): no
    // lookup, which would hash every id's characters for the Set (2 % of Cortex's CPU an event).
    return this.#ids.size > 0 && this.#ids.has(id);
  }

  /**
   * Notes a yielded event; only those at or after the watermark are kept, and only ids a
   * checkpoint can hold (`storableId`): a hostile server's 10 KB or control-character id is not
   * saved into a checkpoint the next run would refuse (such an event may come again next run).
   */
  note(id: string, occurredAt: string, time: number, watermark: number): void {
    if (time >= watermark && storableId(id)) {
      this.#ids.add(id);
      this.#noted.set(id, occurredAt);
    }
  }

  /** How many ids this run has noted (a `toJSON` limit that stands for this moment). */
  get noted(): number {
    return this.#noted.size;
  }

  /**
   * The ids at or after `floor`, for a checkpoint: at most MAX_SEEN, the newest kept (the
   * oldest are the least likely to be read again). An id `__proto__` stays an id. `noted`: only
   * the first that many ids this run noted (a checkpoint of an earlier moment; ids are noted
   * once each, in order).
   */
  toJSON(floor: number, noted = Infinity): Record<string, string> {
    let kept: Array<[string, string]> = [];
    // Every time here is `toISOString()` text (a run's own, or checked and rewritten on load),
    // which sorts as time does: compared as text, not parsed 100,000 times per checkpoint.
    const floorText = floor === -Infinity ? "" : new Date(floor).toISOString();
    const { ids, times } = this.#loaded;
    for (let i = 0; i < ids.length; i++) if (times[i]! >= floorText) kept.push([ids[i]!, times[i]!]);
    let count = 0;
    for (const entry of this.#noted) {
      if (count++ >= noted) break;
      if (entry[1] >= floorText) kept.push(entry);
    }
    if (kept.length > MAX_SEEN) kept = kept.sort((a, b) => (a[1] < b[1] ? 1 : a[1] > b[1] ? -1 : 0)).slice(0, MAX_SEEN);
    const out: Record<string, string> = {};
    for (const [id, at] of kept) setKey(out, id, at);
    return out;
  }
}
