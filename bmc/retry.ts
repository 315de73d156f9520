/**
 * Retries of transient BMC failures with capped exponential backoff and jitter.
 * Jitter spreads the retries of many hosts that failed together (a switch
 * flap, a BMC reboot) so they do not hit the BMCs in lockstep.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { BmcError, BmcErrorCode, isBmcError } from "./errors.js";

export interface RetryPolicy {
  /** Total tries, the first included. @default 3 */
  readonly attempts?: number;
  /** Delay before the first retry. @default 200 */
  readonly baseDelayMs?: number;
  /** Upper bound of one delay. @default 5_000 */
  readonly maxDelayMs?: number;
  /** Source of randomness in [0, 1); tests pin it. @default Math.random */
  readonly random?: () => number;
}

/** The delay before retry number `retry` (0-based): base·2^retry capped, scaled into [½, 1] by jitter. */
export function backoffDelay(retry: number, policy: RetryPolicy = {}): number {
  const base = policy.baseDelayMs ?? 200;
  const max = policy.maxDelayMs ?? 5_000;
  const ceiling = Math.min(max, base * 2 ** retry);
  const r = (policy.random ?? Math.random)();
  return Math.round(ceiling * (0.5 + r / 2));
}

/**
 * Runs `op` until it succeeds, throws a non-transient error, runs out of
 * attempts, or `signal` aborts (then the last BMC error, or a Timeout).
 */
export async function withRetries<T>(
  op: (attempt: number) => Promise<T>,
  opts: { policy?: RetryPolicy; signal: AbortSignal; describe: () => string },
): Promise<T> {
  const attempts = Math.max(1, opts.policy?.attempts ?? 3);
  let last: unknown;
  for (let attempt = 0; attempt < attempts; attempt++) {
    if (opts.signal.aborted) break;
    try {
      return await op(attempt);
    } catch (err) {
      last = err;
      if (opts.signal.aborted) break;
      if (!isBmcError(err) || !err.transient || attempt === attempts - 1) throw err;
      try {
        await sleep(backoffDelay(attempt, opts.policy), undefined, { signal: opts.signal });
      } catch {
        break;
      }
    }
  }
  throw timeoutError(opts.describe(), last);
}

function timeoutError(what: string, last: unknown): BmcError {
  const lastWords = isBmcError(last) ? `; last error: ${last.message}` : "";
  return new BmcError(BmcErrorCode.Timeout, `${what} did not finish within its deadline${lastWords}`, {
    cause: isBmcError(last) ? last : undefined,
    transient: true,
    bmcMessage: isBmcError(last) ? last.bmcMessage : undefined,
  });
}
