/**
 * Per-key exponential backoff for requeues after failures, as client-go's
 * ItemExponentialFailureRateLimiter does: delay = base * 2^failures, capped.
 * Jitter spreads a fleet that failed together (a BMC switch rebooting) so the
 * retries do not arrive as one burst.
 */
export interface BackoffOptions {
  /** Delay after the first failure. @default 1_000 */
  readonly baseMs?: number;
  /** Upper bound of any delay. @default 300_000 */
  readonly maxMs?: number;
  /** Fraction of the delay added at random, 0..1. @default 0.1 */
  readonly jitter?: number;
  /** Source of randomness in [0, 1). @default Math.random */
  readonly random?: () => number;
}

export class PerKeyBackoff {
  readonly #failures = new Map<string, number>();
  readonly #base: number;
  readonly #max: number;
  readonly #jitter: number;
  readonly #random: () => number;

  constructor(opts: BackoffOptions = {}) {
    this.#base = opts.baseMs ?? 1_000;
    this.#max = opts.maxMs ?? 300_000;
    this.#jitter = opts.jitter ?? 0.1;
    this.#random = opts.random ?? Math.random;
    if (!(this.#base > 0) || !(this.#max >= this.#base)) {
      throw new RangeError(`Expected 0 < baseMs <= maxMs, got baseMs=${this.#base} maxMs=${this.#max}`);
    }
  }

  /** Records one more failure of `key` and returns how long to wait before retrying it. */
  next(key: string): number {
    const n = this.#failures.get(key) ?? 0;
    this.#failures.set(key, n + 1);
    // 2^n overflows to Infinity past n≈1023; Math.min keeps the cap exact.
    const raw = Math.min(this.#max, this.#base * 2 ** n);
    return Math.min(this.#max, Math.round(raw * (1 + this.#jitter * this.#random())));
  }

  failures(key: string): number {
    return this.#failures.get(key) ?? 0;
  }

  /** Forgets `key`'s failures after a success. */
  reset(key: string): void {
    this.#failures.delete(key);
  }
}
