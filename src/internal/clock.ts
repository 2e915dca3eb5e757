import { AuditLogsError, UserAbortError } from "../core/errors.js";

/** Time source and timer. Injectable (option `clock`) so tests control retries and rate limits. */
export interface Clock {
  /** Milliseconds since the epoch, as `Date.now()`. */
  now(): number;
  /** Resolves after `ms`; rejects when `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** setTimeout fires at once (after 1 ms) for a delay above 2^31 − 1 ms; longer sleeps are chained. */
const MAX_TIMER_MS = 2_147_483_647;

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(abortReason(signal));
      if (!(ms > 0)) return resolve();
      let left = ms;
      let timer: ReturnType<typeof setTimeout>;
      const onAbort = () => {
        clearTimeout(timer);
        reject(abortReason(signal!));
      };
      const wait = () => {
        const step = Math.min(left, MAX_TIMER_MS);
        left -= step;
        timer = setTimeout(() => {
          if (left > 0) return wait();
          signal?.removeEventListener("abort", onAbort);
          resolve();
        }, step);
      };
      wait();
      signal?.addEventListener("abort", onAbort, { once: true });
    }),
};

/**
 * The error to throw for an aborted signal: a `UserAbortError` whose `cause` is the signal's
 * reason (whatever the caller aborted with), or the reason itself when it is already one of ours.
 */
export function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  if (AuditLogsError.isInstance(reason)) return reason;
  const detail = reason instanceof Error && reason.name !== "AbortError" && reason.message ? `: ${reason.message}` : "";
  return new UserAbortError(`Request was aborted${detail}.`, { cause: reason });
}

/** `clock.sleep`; an abort during it is a UserAbortError whatever a custom clock rejects with. */
export async function sleepOrAbort(clock: Clock, ms: number, signal: AbortSignal | undefined): Promise<void> {
  try {
    await clock.sleep(ms, signal);
  } catch (error) {
    if (signal?.aborted) throw abortReason(signal);
    throw error;
  }
}
