/**
 * The reconcile work queue. Three promises, the ones controller-runtime's
 * users rely on:
 * - a key is queued at most once however often it is added (dedupe);
 * - a key is never processed by two workers at once; an add during
 *   processing is remembered and runs once after the current one finishes;
 * - a failed key is retried after its own exponential backoff, and a success
 *   resets it.
 */
import { PerKeyBackoff, type BackoffOptions } from "./backoff.js";

export type ReconcileOutcome =
  /** Done; wait for the next watch event. */
  | { readonly kind: "done" }
  /** Done for now; look again after `afterMs` (polling a BMC, waiting for a power change). */
  | { readonly kind: "requeue"; readonly afterMs: number }
  /** Failed; retry after the key's backoff. */
  | { readonly kind: "error"; readonly error: unknown };

export type Reconciler = (key: string, signal: AbortSignal) => Promise<ReconcileOutcome>;

export interface WorkQueueOptions {
  /** Keys processed at the same time (different keys only). @default 4 */
  readonly concurrency?: number;
  readonly backoff?: BackoffOptions;
  /** Called after each reconcile, for metrics and logs. */
  readonly onResult?: (key: string, outcome: ReconcileOutcome, durationMs: number) => void;
}

export class WorkQueue {
  readonly #queue: string[] = [];
  readonly #queued = new Set<string>();
  readonly #processing = new Set<string>();
  readonly #dirty = new Set<string>();
  readonly #timers = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  readonly #backoff: PerKeyBackoff;
  readonly #concurrency: number;
  readonly #onResult: WorkQueueOptions["onResult"];
  #wake: (() => void) | undefined;

  constructor(opts: WorkQueueOptions = {}) {
    this.#concurrency = opts.concurrency ?? 4;
    if (!Number.isInteger(this.#concurrency) || this.#concurrency < 1) {
      throw new RangeError(`Expected concurrency to be an integer from 1 up, got ${String(opts.concurrency)}`);
    }
    this.#backoff = new PerKeyBackoff(opts.backoff);
    this.#onResult = opts.onResult;
  }

  /** Queues `key` now, unless it is already queued. */
  add(key: string): void {
    if (this.#processing.has(key)) {
      this.#dirty.add(key);
      return;
    }
    if (this.#queued.has(key)) return;
    this.#queued.add(key);
    this.#queue.push(key);
    this.#wake?.();
  }

  /** Queues `key` after `ms`; an earlier pending timer for the key wins. */
  addAfter(key: string, ms: number): void {
    if (ms <= 0) return this.add(key);
    const at = Date.now() + ms;
    const pending = this.#timers.get(key);
    if (pending && pending.at <= at) return;
    if (pending) clearTimeout(pending.timer);
    const timer = setTimeout(() => {
      this.#timers.delete(key);
      this.add(key);
    }, ms);
    timer.unref?.();
    this.#timers.set(key, { at, timer });
  }

  get length(): number {
    return this.#queue.length;
  }

  /** Failures recorded for `key` since its last success. */
  failures(key: string): number {
    return this.#backoff.failures(key);
  }

  /** Runs `reconcile` on queued keys with up to `concurrency` workers until `signal` aborts. */
  async run(reconcile: Reconciler, signal: AbortSignal): Promise<void> {
    const workers = Array.from({ length: this.#concurrency }, () => this.#worker(reconcile, signal));
    const onAbort = (): void => this.#wake?.();
    signal.addEventListener("abort", onAbort);
    try {
      await Promise.all(workers);
    } finally {
      signal.removeEventListener("abort", onAbort);
      for (const { timer } of this.#timers.values()) clearTimeout(timer);
      this.#timers.clear();
    }
  }

  async #worker(reconcile: Reconciler, signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      const key = this.#queue.shift();
      if (key === undefined) {
        await new Promise<void>((resolve) => {
          const prev = this.#wake;
          this.#wake = () => {
            this.#wake = undefined;
            prev?.();
            resolve();
          };
        });
        continue;
      }
      this.#queued.delete(key);
      this.#processing.add(key);
      const started = Date.now();
      let outcome: ReconcileOutcome;
      try {
        outcome = await reconcile(key, signal);
      } catch (error) {
        outcome = { kind: "error", error };
      }
      this.#processing.delete(key);
      this.#settle(key, outcome);
      this.#onResult?.(key, outcome, Date.now() - started);
    }
  }

  #settle(key: string, outcome: ReconcileOutcome): void {
    if (outcome.kind === "error") {
      this.addAfter(key, this.#backoff.next(key));
    } else {
      this.#backoff.reset(key);
      if (outcome.kind === "requeue") this.addAfter(key, outcome.afterMs);
    }
    if (this.#dirty.delete(key)) this.add(key);
  }
}
