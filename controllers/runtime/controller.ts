/**
 * A controller: cache events → work-queue keys → a reconcile function.
 * Three ways an event becomes a key, as controller-runtime's builder offers:
 * `For` (the object's own key), `Owns` (the key of its controller owner),
 * and `Watches` with a map function (a Secret change enqueues the hosts that
 * name it, so fixing credentials triggers recovery at once).
 */
import { silentLogger, type Logger } from "./logger.js";
import { keyOf, type KubeObject } from "./object.js";
import type { Informer } from "./informer.js";
import type { RuntimeMetrics } from "./runtime-metrics.js";
import { WorkQueue, type ReconcileOutcome, type Reconciler } from "./work-queue.js";
import type { BackoffOptions } from "./backoff.js";

export interface ControllerOptions<T extends KubeObject> {
  /** Label value in metrics and the `controller` field of logs. */
  readonly name: string;
  /** The primary kind: its events enqueue its own key. */
  readonly for: Informer<T>;
  readonly reconcile: Reconciler;
  /** Keys reconciled at once (never two workers on one key). @default 4 */
  readonly concurrency?: number;
  /** Per-key failure backoff. @default { baseMs: 1_000, maxMs: 300_000 } */
  readonly backoff?: BackoffOptions;
  /** Skips events of the primary kind for which this returns false (e.g. status-only changes). */
  readonly filter?: (oldObj: T | undefined, newObj: T) => boolean;
  readonly logger?: Logger;
  readonly metrics?: RuntimeMetrics;
}

export class Controller<T extends KubeObject> {
  readonly name: string;
  readonly queue: WorkQueue;
  readonly #opts: ControllerOptions<T>;
  readonly #log: Logger;
  readonly #informers: Informer<KubeObject>[] = [];

  constructor(opts: ControllerOptions<T>) {
    this.name = opts.name;
    this.#opts = opts;
    this.#log = (opts.logger ?? silentLogger).with({ controller: opts.name });
    this.queue = new WorkQueue({
      concurrency: opts.concurrency ?? 4,
      ...(opts.backoff ? { backoff: opts.backoff } : {}),
      onResult: (key, outcome, ms) => this.#observe(key, outcome, ms),
    });
    const filter = opts.filter ?? (() => true);
    this.#watch(opts.for, (o) => [keyOf(o)], filter);
  }

  /** Enqueues the controller owner of objects of another kind whose owner is of `ownerKind`. */
  owns<O extends KubeObject>(informer: Informer<O>, ownerKind: string): this {
    this.#watch(informer, (o) => {
      const ref = o.metadata?.ownerReferences?.find((r) => r.controller && r.kind === ownerKind);
      if (!ref) return [];
      const ns = o.metadata?.namespace;
      return [ns ? `${ns}/${ref.name}` : ref.name];
    });
    return this;
  }

  /** Enqueues the keys `map` returns for each event of another kind. */
  watches<O extends KubeObject>(informer: Informer<O>, map: (obj: O) => readonly string[]): this {
    this.#watch(informer, map);
    return this;
  }

  #watch<O extends KubeObject>(
    informer: Informer<O>,
    map: (obj: O) => readonly string[],
    filter: (oldObj: O | undefined, newObj: O) => boolean = () => true,
  ): void {
    this.#informers.push(informer);
    const enqueue = (o: O): void => {
      for (const k of map(o)) this.queue.add(k);
    };
    informer.addHandler({
      add: (o) => filter(undefined, o) && enqueue(o),
      update: (a, b) => {
        if (!filter(a, b)) return;
        enqueue(b);
        // A changed reference (a host pointing at another Secret) must reach both sides.
        if (a !== b) for (const k of map(a)) this.queue.add(k);
      },
      delete: (o) => enqueue(o),
    });
  }

  /** Whether every informer this controller listens to has synced. */
  hasSynced(): boolean {
    return this.#informers.every((i) => i.hasSynced());
  }

  /** Runs workers until `signal` aborts; starts only after the caches synced. */
  async run(signal: AbortSignal): Promise<void> {
    await Promise.all(this.#informers.map((i) => i.waitForSync(signal)));
    this.#log.info("starting workers", { concurrency: this.#opts.concurrency ?? 4 });
    await this.queue.run(this.#opts.reconcile, signal);
    this.#log.info("workers stopped");
  }

  #observe(key: string, outcome: ReconcileOutcome, ms: number): void {
    const m = this.#opts.metrics;
    const result = outcome.kind === "done" ? "success" : outcome.kind;
    m?.reconcileTotal.inc({ controller: this.name, result });
    m?.reconcileDuration.observe({ controller: this.name }, ms / 1000);
    if (outcome.kind === "error") {
      m?.reconcileErrors.inc({ controller: this.name });
      m?.queueRetries.inc({ name: this.name });
      this.#log.warn("reconcile failed", { key, error: outcome.error, failures: this.queue.failures(key), durationMs: ms });
    } else {
      this.#log.debug("reconciled", { key, result, durationMs: ms });
    }
  }
}
