/**
 * The reconcile work queue. Three promises, the ones controller-runtime's
 * users rely on:
 * - a key is queued at most once however often it is added (dedupe);
 * - a key is never processed by two workers at once; an add during
 *   processing is remembered and runs once after the current one finishes;
 * - a failed key is retried after its own exponential backoff, and a success
 *   resets it.
 *
 * Workers are slots, not loops: a reconcile holds one while it computes and
 * talks to the API server, and hands it back for a wait on something outside
 * this process (`ctx.released`, e.g. a BMC settling a power change for
 * 1–11 s). The key stays locked meanwhile, so the one-worker-per-key promise
 * holds; on its way back the reconcile takes the next free slot ahead of
 * queued keys, so at most `concurrency` reconciles compute at once and work
 * already begun finishes first (docs/adr/0021-released-worker-slots.md).
 */
import { PerKeyBackoff, type BackoffOptions } from "./backoff.js";

export type ReconcileOutcome =
  /** Done; wait for the next watch event. */
  | { readonly kind: "done" }
  /** Done for now; look again after `afterMs` (polling a BMC, waiting for a power change). */
  | { readonly kind: "requeue"; readonly afterMs: number }
  /** Failed; retry after the key's backoff. */
  | { readonly kind: "error"; readonly error: unknown };

/** What the queue offers a running reconcile. */
export interface ReconcileContext {
  /**
   * Runs `wait` without holding a worker slot; the key stays locked. Takes a
   * slot again (ahead of queued keys) before it resolves or rejects. Nested
   * or parallel calls in one reconcile release the slot once.
   */
  released<T>(wait: () => Promise<T>): Promise<T>;
}

export type Reconciler = (key: string, signal: AbortSignal, ctx?: ReconcileContext) => Promise<ReconcileOutcome>;

export interface WorkQueueOptions {
  /** Reconciles computing at the same time (different keys only; `ctx.released` waits not counted). @default 4 */
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
  /** Slots held by reconciles now. */
  #busy = 0;
  /** Reconciles back from a released wait, each waiting for a slot. */
  readonly #slotWaiters: (() => void)[] = [];
  /** Keys being reconciled whose slot is released. */
  #parked = 0;
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

  /** Reconciles holding a slot now, and those waiting without one (`ctx.released`). */
  get inFlight(): { readonly busy: number; readonly parked: number } {
    return { busy: this.#busy, parked: this.#parked };
  }

  /** Runs `reconcile` on queued keys, up to `concurrency` holding a slot at once, until `signal` aborts; then waits for those begun. */
  async run(reconcile: Reconciler, signal: AbortSignal): Promise<void> {
    const begun = new Set<Promise<void>>();
    const onAbort = (): void => this.#wake?.();
    signal.addEventListener("abort", onAbort);
    try {
      while (!signal.aborted) {
        const key = this.#busy < this.#concurrency ? this.#queue.shift() : undefined;
        if (key === undefined) {
          await this.#sleep();
          continue;
        }
        this.#queued.delete(key);
        this.#busy++;
        const p = this.#process(key, reconcile, signal).finally(() => begun.delete(p));
        begun.add(p);
      }
      await Promise.all(begun);
    } finally {
      signal.removeEventListener("abort", onAbort);
      for (const { timer } of this.#timers.values()) clearTimeout(timer);
      this.#timers.clear();
    }
  }

  #sleep(): Promise<void> {
    return new Promise<void>((resolve) => {
      const prev = this.#wake;
      this.#wake = () => {
        this.#wake = undefined;
        prev?.();
        resolve();
      };
    });
  }

  /** Hands a freed slot to a reconcile coming back from a released wait, else to the next queued key. */
  #releaseSlot(): void {
    const next = this.#slotWaiters.shift();
    if (next !== undefined) return next();
    this.#busy--;
    this.#wake?.();
  }

  #takeSlot(): Promise<void> {
    if (this.#busy < this.#concurrency) {
      this.#busy++;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => this.#slotWaiters.push(resolve));
  }

  async #process(key: string, reconcile: Reconciler, signal: AbortSignal): Promise<void> {
    this.#processing.add(key);
    const started = Date.now();
    let depth = 0;
    let backInSlot: (() => void) | undefined;
    const ctx: ReconcileContext = {
      released: async (wait) => {
        if (depth++ === 0) {
          this.#parked++;
          this.#releaseSlot();
        }
        try {
          return await wait();
        } finally {
          if (--depth === 0) {
            await this.#takeSlot();
            this.#parked--;
            backInSlot?.();
          }
        }
      },
    };
    let outcome: ReconcileOutcome;
    try {
      outcome = await reconcile(key, signal, ctx);
    } catch (error) {
      outcome = { kind: "error", error };
    }
    // A reconcile that returned without awaiting its released wait: the key stays locked until the wait is back in a slot.
    if (depth > 0) await new Promise<void>((resolve) => (backInSlot = resolve));
    this.#processing.delete(key);
    this.#settle(key, outcome);
    this.#onResult?.(key, outcome, Date.now() - started);
    this.#releaseSlot();
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
