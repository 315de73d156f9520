/**
 * Client-side rate limit on API calls, a token bucket as client-go's
 * flowcontrol.NewTokenBucketRateLimiter: `qps` tokens a second refill up to
 * `burst`, and each request takes one. Requests wait in FIFO order, so one
 * busy controller cannot starve another of the same client forever.
 */
export interface TokenBucketOptions {
  /** Sustained requests per second. @default 50 */
  readonly qps?: number;
  /** Requests allowed at once after an idle period. @default 100 */
  readonly burst?: number;
  /** Milliseconds clock, for tests. @default performance.now */
  readonly now?: () => number;
}

export class TokenBucket {
  readonly qps: number;
  readonly burst: number;
  readonly #now: () => number;
  #tokens: number;
  #last: number;
  #tail: Promise<void> = Promise.resolve();

  constructor(opts: TokenBucketOptions = {}) {
    this.qps = opts.qps ?? 50;
    this.burst = opts.burst ?? 100;
    if (!(this.qps > 0) || !Number.isInteger(this.burst) || this.burst < 1) {
      throw new RangeError(`Expected qps > 0 and an integer burst >= 1, got qps=${this.qps} burst=${this.burst}`);
    }
    this.#now = opts.now ?? (() => performance.now());
    this.#tokens = this.burst;
    this.#last = this.#now();
  }

  #refill(): void {
    const now = this.#now();
    this.#tokens = Math.min(this.burst, this.#tokens + ((now - this.#last) / 1000) * this.qps);
    this.#last = now;
  }

  /** Takes a token if one is there now; returns how many ms to wait otherwise (0 = taken). */
  tryTake(): number {
    this.#refill();
    if (this.#tokens >= 1) {
      this.#tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - this.#tokens) / this.qps) * 1000);
  }

  /** Resolves when a token is taken; rejects if `signal` aborts first. */
  take(signal?: AbortSignal): Promise<void> {
    const turn = this.#tail.then(() => this.#wait(signal));
    this.#tail = turn.catch(() => undefined);
    return turn;
  }

  async #wait(signal?: AbortSignal): Promise<void> {
    for (;;) {
      signal?.throwIfAborted();
      const ms = this.tryTake();
      if (ms === 0) return;
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(done, ms);
        function done(): void {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        }
        function onAbort(): void {
          clearTimeout(t);
          reject(signal?.reason instanceof Error ? signal.reason : new Error("aborted"));
        }
        signal?.addEventListener("abort", onAbort, { once: true });
      });
    }
  }
}
