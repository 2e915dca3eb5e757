/**
 * Seeded, deterministic data for the simulator: a small PRNG, the values audit records are made
 * of (names, emails, IPv4s, user agents, uuids) and the timestamp formats the vendors send.
 */

const BYTE_HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, "0"));

/** A seeded PRNG (mulberry32 over a mixed seed). `next()` is in [0, 1). */
export class Random {
  #state: number;

  constructor(seed: number) {
    // Small seeds (1, 2, 3…) are mixed first: mulberry32 started on them clusters its first draws.
    let h = (seed >>> 0) ^ 0x9e3779b9;
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
    this.#state = (h ^ (h >>> 16)) >>> 0;
  }

  next(): number {
    let t = (this.#state = (this.#state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [min, max], both inclusive. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  /** `length` lowercase hex digits, eight per draw. */
  hex(length: number): string {
    let out = "";
    while (out.length < length) {
      const n = Math.floor(this.next() * 4294967296);
      out += BYTE_HEX[n >>> 24]! + BYTE_HEX[(n >>> 16) & 255]! + BYTE_HEX[(n >>> 8) & 255]! + BYTE_HEX[n & 255]!;
    }
    return out.length === length ? out : out.slice(0, length);
  }

  /** A version 4 uuid, lowercase. */
  uuid(): string {
    const h = this.hex(32);
    const variant = "89ab"[parseInt(h[16]!, 16) & 3];
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
  }
}

const FIRST = ["Ada", "Grace", "Linus", "Margaret", "Ken", "Barbara", "Dennis", "Frances", "Alan", "Radia", "Sameer", "Yuki", "Amara", "Mateo", "Priya", "Zoë"];
const LAST = ["Lovelace", "Hopper", "Torvalds", "Hamilton", "Thompson", "Liskov", "Ritchie", "Allen", "Turing", "Perlman", "Patel", "Tanaka", "Okafor", "García", "Iyer", "Nguyen"];
const USER_AGENTS = [
  "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
  "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
  "python-requests/2.32.3",
  "curl/8.7.1",
  "Terraform/1.9.2",
];

export interface Person {
  name: string;
  email: string;
}

/** A person with a plain-ASCII email at example.com (RFC 2606), so no address is anyone's. */
export function person(rng: Random): Person {
  const first = rng.pick(FIRST);
  const last = rng.pick(LAST);
  const local = `${first}.${last}`.normalize("NFD").replace(/[^A-Za-z.]/g, "").toLowerCase();
  return { name: `${first} ${last}`, email: `${local}@example.com` };
}

/** An address in the documentation ranges (RFC 5737), so no generated address is anyone's. */
export function ipv4(rng: Random): string {
  return `${rng.pick(["192.0.2", "198.51.100", "203.0.113"])}.${rng.int(1, 254)}`;
}

export function userAgent(rng: Random): string {
  return rng.pick(USER_AGENTS);
}

/** A share of the events placed in the most recent part of the span: `{ share: 0.8, last: 0.1 }` = 80 % in the last 10 %. */
export interface Skew {
  /** The fraction of the events (0 to 1) that fall in the dense part. */
  share: number;
  /** The dense part: this fraction (0 to 1) of the span, at its end. */
  last: number;
}

/**
 * `count` instants (epoch ms), oldest first, in `[end - spanMs, end)`, rounded down to
 * `precisionMs`; uniform, or with `skew.share` of them in the last `skew.last` of the span.
 */
export function instants(rng: Random, count: number, end: number, spanMs: number, precisionMs: number, skew?: Skew): number[] {
  const out = new Array<number>(count);
  const recent = skew ? spanMs * skew.last : spanMs;
  for (let i = 0; i < count; i++) {
    const back = !skew ? rng.next() * spanMs : rng.chance(skew.share) ? rng.next() * recent : recent + rng.next() * (spanMs - recent);
    out[i] = roundDown(end - 1 - Math.floor(back), precisionMs);
  }
  return out.sort((a, b) => a - b);
}

export function roundDown(ms: number, precisionMs: number): number {
  return Math.floor(ms / precisionMs) * precisionMs;
}

/** RFC 3339 in whole seconds, UTC (`2026-03-01T12:00:00Z`): Zendesk, Pylon, JITSudo. */
export function isoSeconds(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}Z`;
}

/** RFC 3339 in milliseconds, UTC (`2026-03-01T12:00:00.123Z`): Cortex. */
export function isoMillis(ms: number): string {
  return new Date(ms).toISOString();
}

/** Python's `datetime.isoformat()` of an aware UTC time (`2026-06-01T12:00:05.418000+00:00`): Datafold. */
export function isoPython(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 23)}000+00:00`;
}
