/**
 * Windows of recent keys kept off the JS heap (DESIGN §9 memory, §14 loops and repeats).
 *
 * A run remembers the last 50,000 record ids it yielded, and its loop guard the last 50,000 it
 * read; the engine the last 10,000 pagination states. Kept as JS strings, every one of those
 * keys lives long enough to be promoted to V8's old space, and the old space then grows about
 * four times past what is live (measured: a 300k-event Pylon stream peaked at +81.5 MB of RSS
 * with windows of strings, +51.7 MB with windows of 2,000). Here a key is a 96-bit hash and its
 * length in a fixed ring of typed arrays, found through an open-addressing index: no JS object
 * is kept per key, the footprint is bounded by the capacity (`bytes`; it grows by doubling up to
 * it) and the garbage collector has nothing to trace.
 *
 * False "already seen". Two different keys are taken for one only when their lengths and all
 * 96 bits of hash agree. Treating the hash as random on ids a server assigns, a new key matches
 * one of a window's at most 50,000 keys with probability at most 50,000 / 2^96 ≈ 6.3e-25; over a
 * trillion (1e12) keys looked up, at most 1e12 × 6.3e-25 ≈ 6.3e-13 < 1e-12 of dropping one
 * event for a repeat it is not. Every key is hashed the same way whatever its length (a 10 KB id
 * costs its length in hashing, once, and 16 bytes in the window, as a 10-character one).
 *
 * The hash is MurmurHash3 x86_128 over the key's UTF-16 code units (two to a 32-bit word: any
 * string, lone surrogates included, is exactly its code units), with a seed drawn once per
 * process, so a server cannot aim ids at one chain of the index without knowing it. Of its four
 * words, three are kept. It costs two `Math.imul` per two characters.
 */

const C1 = 0x239b961b;
const C2 = 0xab0e9789;
const C3 = 0x38b34ae5;
const C4 = 0xa1e38b93;

const SEED = (Math.random() * 0x1_0000_0000) >>> 0;

// The hash of the last key, as `hash` leaves it: a run notes each id in two windows in a row,
// so the second finds it here instead of hashing it again.
let lastKey: string | undefined;
let hashA = 0;
let hashB = 0;
let hashC = 0;

const rotl = (x: number, r: number): number => (x << r) | (x >>> (32 - r));

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/** Sets `hashA`, `hashB`, `hashC` to three words of `key`'s MurmurHash3 x86_128 (UTF-16LE bytes). */
function hash(key: string): void {
  if (key === lastKey) return;
  const n = key.length;
  let h1 = SEED;
  let h2 = SEED;
  let h3 = SEED;
  let h4 = SEED;
  let i = 0;
  // Blocks of 16 bytes: eight code units.
  for (const end = n - (n & 7); i < end; i += 8) {
    let k1 = key.charCodeAt(i) | (key.charCodeAt(i + 1) << 16);
    let k2 = key.charCodeAt(i + 2) | (key.charCodeAt(i + 3) << 16);
    let k3 = key.charCodeAt(i + 4) | (key.charCodeAt(i + 5) << 16);
    let k4 = key.charCodeAt(i + 6) | (key.charCodeAt(i + 7) << 16);
    k1 = Math.imul(rotl(Math.imul(k1, C1), 15), C2);
    h1 ^= k1;
    h1 = (Math.imul(rotl(h1, 19) + h2, 5) + 0x561ccd1b) | 0;
    k2 = Math.imul(rotl(Math.imul(k2, C2), 16), C3);
    h2 ^= k2;
    h2 = (Math.imul(rotl(h2, 17) + h3, 5) + 0x0bcaa747) | 0;
    k3 = Math.imul(rotl(Math.imul(k3, C3), 17), C4);
    h3 ^= k3;
    h3 = (Math.imul(rotl(h3, 15) + h4, 5) + 0x96cd1c35) | 0;
    k4 = Math.imul(rotl(Math.imul(k4, C4), 18), C1);
    h4 ^= k4;
    h4 = (Math.imul(rotl(h4, 13) + h1, 5) + 0x32ac3b17) | 0;
  }
  // The tail: up to seven code units, in up to four words (a unit past the end reads as 0:
  // `charCodeAt` gives NaN there, which a bitwise operator takes as 0).
  const rest = n - i;
  if (rest > 0) {
    if (rest > 6) h4 ^= Math.imul(rotl(Math.imul(key.charCodeAt(i + 6) | 0, C4), 18), C1);
    if (rest > 4) h3 ^= Math.imul(rotl(Math.imul(key.charCodeAt(i + 4) | (key.charCodeAt(i + 5) << 16), C3), 17), C4);
    if (rest > 2) h2 ^= Math.imul(rotl(Math.imul(key.charCodeAt(i + 2) | (key.charCodeAt(i + 3) << 16), C2), 16), C3);
    h1 ^= Math.imul(rotl(Math.imul(key.charCodeAt(i) | (key.charCodeAt(i + 1) << 16), C1), 15), C2);
  }
  const bytes = n * 2;
  h1 ^= bytes;
  h2 ^= bytes;
  h3 ^= bytes;
  h4 ^= bytes;
  h1 = (h1 + h2 + h3 + h4) | 0;
  h2 = (h2 + h1) | 0;
  h3 = (h3 + h1) | 0;
  h4 = (h4 + h1) | 0;
  h1 = fmix(h1);
  h2 = fmix(h2);
  h3 = fmix(h3);
  h4 = fmix(h4);
  h1 = (h1 + h2 + h3 + h4) | 0;
  hashA = h1;
  hashB = (h2 + h1) | 0;
  hashC = (h3 + h1) | 0;
  lastKey = key;
}

/** Words per key in the ring: three of hash, then the key's length. */
const WORDS = 4;

/** Keys a window has room for before it first grows. */
const INITIAL_ROOM = 256;

/**
 * A set of the last `capacity` keys added, oldest forgotten first, held as hashes in typed
 * arrays (see the file's comment): a key already there is not added again and does not move.
 * Its memory grows by doubling with the keys it holds, up to `capacity` (a run of 300 events
 * costs a few KB, not the 1.2 MB of a full window of 50,000, and a client makes several per
 * run); from there on it is fixed, however many keys pass and however long they are.
 */
export class RecentKeys {
  readonly #capacity: number;
  /** Per key, in the order added: its three hash words and its length. Room for `#ring.length / WORDS` keys. */
  #ring: Int32Array;
  /** Open addressing, linear probing: a ring index + 1 per used slot, 0 for a free one. At most half full. */
  #index: Uint16Array | Uint32Array;
  #mask: number;
  #size = 0;
  /** The ring index of the oldest key once the ring is full. */
  #oldest = 0;
  /** With `{ times: true }`: per ring entry, the number given with its key (`add(key, time)`). */
  #times: Float64Array | undefined;
  /** After an `add` that found its key there already: the number its key was added with (NaN without times). */
  lastTime = NaN;

  constructor(capacity: number, options: { times?: boolean } = {}) {
    if (!Number.isSafeInteger(capacity) || capacity < 1 || capacity > 0x4000_0000) throw new RangeError(`RecentKeys capacity ${capacity}`);
    this.#capacity = capacity;
    const room = Math.min(capacity, INITIAL_ROOM);
    this.#ring = new Int32Array(room * WORDS);
    this.#index = RecentKeys.#indexFor(room);
    this.#mask = this.#index.length - 1;
    if (options.times) this.#times = new Float64Array(room);
  }

  /** An empty index for `room` keys: a power of two at least twice as many slots. */
  static #indexFor(room: number): Uint16Array | Uint32Array {
    let slots = 2;
    while (slots < room * 2) slots *= 2;
    return room < 0xffff ? new Uint16Array(slots) : new Uint32Array(slots);
  }

  /**
   * Adds `key`; true when it was not there yet. With `{ times: true }`, `time` is kept with a
   * new key, and a key found there already leaves the time it was added with in `lastTime`.
   */
  add(key: string, time?: number): boolean {
    const slot = this.#find(key);
    if (slot >= 0) {
      if (this.#times) this.lastTime = this.#times[this.#index[slot]! - 1]!;
      return false;
    }
    let at: number;
    if (this.#size < this.#capacity) {
      if (this.#size * WORDS === this.#ring.length) this.#grow();
      at = this.#size++;
    } else {
      at = this.#oldest;
      this.#unlink(at);
      this.#oldest = at + 1 === this.#capacity ? 0 : at + 1;
    }
    const ring = this.#ring;
    const w = at * WORDS;
    ring[w] = hashA;
    ring[w + 1] = hashB;
    ring[w + 2] = hashC;
    ring[w + 3] = key.length;
    if (this.#times) this.#times[at] = time ?? NaN;
    this.#link(at);
    return true;
  }

  has(key: string): boolean {
    return this.#find(key) >= 0;
  }

  /** Keys held: at most the capacity. */
  get size(): number {
    return this.#size;
  }

  /** Bytes the window holds (its typed arrays): all of its memory, whatever the keys; at most that of `capacity` keys. */
  get bytes(): number {
    return this.#ring.byteLength + this.#index.byteLength + (this.#times?.byteLength ?? 0);
  }

  /**
   * Twice the room (at most the capacity), every key kept: only before the window is first full,
   * so the ring holds its keys in order from 0 and none has been forgotten.
   */
  #grow(): void {
    const room = Math.min(this.#capacity, (this.#ring.length / WORDS) * 2);
    const ring = new Int32Array(room * WORDS);
    ring.set(this.#ring);
    this.#ring = ring;
    if (this.#times) {
      const times = new Float64Array(room);
      times.set(this.#times);
      this.#times = times;
    }
    this.#index = RecentKeys.#indexFor(room);
    this.#mask = this.#index.length - 1;
    for (let at = 0; at < this.#size; at++) this.#link(at);
  }

  /** Puts ring entry `at` (its words written) into the index. */
  #link(at: number): void {
    const index = this.#index;
    const mask = this.#mask;
    let slot = this.#ring[at * WORDS]! & mask;
    while (index[slot] !== 0) slot = (slot + 1) & mask;
    index[slot] = at + 1;
  }

  /** The index slot holding `key` (hashed into `hashA`..`hashC`), or -1. */
  #find(key: string): number {
    hash(key);
    const a = hashA;
    const b = hashB;
    const c = hashC;
    const length = key.length;
    const ring = this.#ring;
    const index = this.#index;
    const mask = this.#mask;
    for (let slot = a & mask; ; slot = (slot + 1) & mask) {
      const entry = index[slot]!;
      if (entry === 0) return -1;
      const w = (entry - 1) * WORDS;
      if (ring[w] === a && ring[w + 1] === b && ring[w + 2] === c && ring[w + 3] === length) return slot;
    }
  }

  /** Removes ring entry `at` from the index, moving back the entries after it that probed past it. */
  #unlink(at: number): void {
    const ring = this.#ring;
    const index = this.#index;
    const mask = this.#mask;
    let hole = ring[at * WORDS]! & mask;
    while (index[hole] !== at + 1) hole = (hole + 1) & mask;
    for (let slot = (hole + 1) & mask; index[slot] !== 0; slot = (slot + 1) & mask) {
      const home = ring[(index[slot]! - 1) * WORDS]! & mask;
      // The entry may fill the hole unless its home lies after the hole, up to itself.
      if (((slot - home) & mask) >= ((slot - hole) & mask)) {
        index[hole] = index[slot]!;
        hole = slot;
      }
    }
    index[hole] = 0;
  }
}

/** Record ids remembered by `LoopGuard`, and by a run for the events it yielded (`idWindow`). */
export const MAX_REMEMBERED_IDS = 50_000;

/**
 * The last MAX_REMEMBERED_IDS record ids, oldest forgotten first: at most 1.2 MB of typed
 * arrays however long a run, whatever ids a server sends (a few KB for a short one); 1.6 MB
 * with `{ times: true }` (a time kept with each id).
 */
export function idWindow(options: { times?: boolean } = {}): RecentKeys {
  return new RecentKeys(MAX_REMEMBERED_IDS, options);
}
