/**
 * What can go wrong on the way, on purpose: injected faults (drawn per request from a seeded
 * PRNG), the vendors' own rate limits (a token bucket each), and the two faults a Response
 * cannot express by itself (a dropped connection, a body cut short), which the transports
 * (server.ts, msw.ts) carry out.
 */
import type { VendorId } from "../core/vendor-id.js";
import type { Clock } from "../internal/clock.js";
import { Random } from "./data.js";

/** A fault the simulator can inject: an HTTP status, a dropped connection, a body cut short, or a slow answer. */
export type FaultKind = "429" | "500" | "502" | "503" | "reset" | "truncate" | "slow";

const FAULT_KINDS: readonly FaultKind[] = ["429", "500", "502", "503", "reset", "truncate", "slow"];

/** Which faults the simulator injects, and how often. */
export interface FaultOptions {
  /** Probability (0 to 1) that a request gets a fault, drawn from the seeded PRNG. */
  rate: number;
  /** Which faults to draw from. Default all. */
  kinds?: FaultKind[];
  /** Delay of a "slow" fault, ms. Default 2000. */
  slowMs?: number;
  /** A 429 fault repeats for this many consecutive requests to its vendor. Default 1. */
  burst?: number;
}

/**
 * Draws the fault of each request. One seeded PRNG for all vendors, so a run that sends the same
 * requests in the same order meets the same faults.
 */
export class FaultInjector {
  readonly slowMs: number;
  readonly #rate: number;
  readonly #kinds: readonly FaultKind[];
  readonly #burst: number;
  readonly #rng: Random;
  readonly #burstLeft = new Map<VendorId, number>();

  constructor(options: FaultOptions | undefined, seed: number) {
    if (options !== undefined) validateFaults(options);
    this.#rate = options?.rate ?? 0;
    this.#kinds = options?.kinds?.length ? options.kinds : FAULT_KINDS;
    this.#burst = options?.burst ?? 1;
    this.slowMs = options?.slowMs ?? 2_000;
    this.#rng = new Random(seed ^ 0x5eed);
  }

  /** The fault for the next request to `vendor`, or undefined for none. */
  draw(vendor: VendorId): FaultKind | undefined {
    const left = this.#burstLeft.get(vendor) ?? 0;
    if (left > 0) {
      this.#burstLeft.set(vendor, left - 1);
      return "429";
    }
    if (this.#rate <= 0 || this.#rng.next() >= this.#rate) return undefined;
    const kind = this.#rng.pick(this.#kinds);
    if (kind === "429" && this.#burst > 1) this.#burstLeft.set(vendor, this.#burst - 1);
    return kind;
  }
}

function validateFaults(options: FaultOptions): void {
  if (typeof options.rate !== "number" || !(options.rate >= 0 && options.rate <= 1)) throw new RangeError("createSimulator: faults.rate must be a number from 0 to 1");
  for (const kind of options.kinds ?? []) {
    if (!FAULT_KINDS.includes(kind)) throw new RangeError(`createSimulator: faults.kinds: unknown kind ${JSON.stringify(kind)} (one of ${FAULT_KINDS.join(", ")})`);
  }
  if (options.slowMs !== undefined && !(options.slowMs >= 0)) throw new RangeError("createSimulator: faults.slowMs must be 0 or more");
  if (options.burst !== undefined && !(Number.isInteger(options.burst) && options.burst >= 1)) throw new RangeError("createSimulator: faults.burst must be an integer of 1 or more");
}

/** A vendor's rate limit: `perMinute` tokens, refilled continuously on the simulator's clock, starting full. */
export class TokenBucket {
  #tokens: number;
  #at: number;

  constructor(
    readonly perMinute: number,
    private readonly clock: Clock,
  ) {
    this.#tokens = perMinute;
    this.#at = clock.now();
  }

  /** Takes a token; false when there is none (the request is rate limited). */
  take(): boolean {
    const now = this.clock.now();
    this.#tokens = Math.min(this.perMinute, this.#tokens + ((now - this.#at) * this.perMinute) / 60_000);
    this.#at = now;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }

  /** Whole requests left now: what a vendor puts in its remaining-requests header. */
  remaining(): number {
    const now = this.clock.now();
    return Math.floor(Math.min(this.perMinute, this.#tokens + ((now - this.#at) * this.perMinute) / 60_000));
  }

  /** Whole seconds until the next token, at least 1: what a vendor puts in Retry-After. */
  retryAfterSeconds(): number {
    return Math.max(1, Math.ceil(((1 - this.#tokens) * 60) / this.perMinute));
  }
}

/** A dropped connection: the server destroys the socket, msw makes fetch reject. */
export function connectionReset(): Response {
  return Response.error();
}

export function isConnectionReset(response: Response): boolean {
  return response.type === "error";
}

/** Full body lengths of truncated responses, for the server to announce before it cuts. */
const truncatedFrom = new WeakMap<Response, number>();

/** The same response with the first half of its body only. */
export async function truncate(response: Response): Promise<Response> {
  const body = Buffer.from(await response.arrayBuffer());
  const cut = new Response(body.subarray(0, Math.floor(body.length / 2)), { status: response.status, headers: response.headers });
  truncatedFrom.set(cut, body.length);
  return cut;
}

/** The length the body should have had, when `response` was cut by `truncate()`. */
export function truncatedLength(response: Response): number | undefined {
  return truncatedFrom.get(response);
}
