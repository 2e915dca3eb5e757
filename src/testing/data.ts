/**
 * Seeded, deterministic data for the simulator: a small PRNG and generators for the values
 * audit records are made of (names, emails, IPs, user agents, uuids).
 */

/** mulberry32: a tiny, fast, seeded PRNG. `next()` is in [0, 1). */
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

  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  hex(length: number): string {
    let out = "";
    for (let i = 0; i < length; i++) out += "0123456789abcdef"[Math.floor(this.next() * 16)];
    return out;
  }

  uuid(): string {
    const variant = "89ab"[Math.floor(this.next() * 4)];
    return `${this.hex(8)}-${this.hex(4)}-4${this.hex(3)}-${variant}${this.hex(3)}-${this.hex(12)}`;
  }
}

const FIRST = ["Ada", "Grace", "Linus", "Margaret", "Ken", "Barbara", "Dennis", "Frances", "Alan", "Radia", "Sameer", "Yuki", "Amara", "Mateo", "Priya"];
const LAST = ["Lovelace", "Hopper", "Torvalds", "Hamilton", "Thompson", "Liskov", "Ritchie", "Allen", "Turing", "Perlman", "Patel", "Tanaka", "Okafor", "García", "Iyer"];
const USER_AGENTS = [
  "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36",
  "python-requests/2.32.3",
  "curl/8.7.1",
  "Terraform/1.9.2",
];

export interface Person {
  name: string;
  email: string;
}

export function person(rng: Random): Person {
  const first = rng.pick(FIRST);
  const last = rng.pick(LAST);
  const ascii = `${first}.${last}`.normalize("NFD").replace(/[^A-Za-z.]/g, "").toLowerCase();
  return { name: `${first} ${last}`, email: `${ascii}@example.com` };
}

/** Documentation ranges (RFC 5737), so no generated address is anyone's. */
export function ipv4(rng: Random): string {
  const prefix = rng.pick(["192.0.2", "198.51.100", "203.0.113"]);
  return `${prefix}.${rng.int(1, 254)}`;
}

export function userAgent(rng: Random): string {
  return rng.pick(USER_AGENTS);
}

/** `count` timestamps (epoch ms), sorted, spread over `[end - spanMs, end)`. */
export function timestamps(rng: Random, count: number, end: number, spanMs: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < count; i++) out.push(end - 1 - Math.floor(rng.next() * spanMs));
  return out.sort((a, b) => a - b);
}

/** Second-precision RFC 3339 (`2026-03-01T12:00:00Z`), as Zendesk and Pylon send them. */
export function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}
