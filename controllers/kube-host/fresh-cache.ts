/**
 * An informer cache that also knows what this process just wrote. A watch
 * event for our own write arrives some milliseconds after the write
 * returns; a reconcile requeued at once (a state change asks for that) or an
 * agent asking again right after its result was stored would otherwise read
 * the older object and act twice (power-cycle the host again, deploy the
 * image again). The written object is used until the cache shows the same
 * resourceVersion (watch events arrive in order, so it will), the object is
 * deleted, or `maxAgeMs` passes (a relist may skip our exact version).
 */
import type { Informer, KubeObject } from "../runtime/index.js";
import { keyOf } from "../runtime/index.js";

export class FreshCache<T extends KubeObject> {
  readonly #written = new Map<string, { obj: T; at: number }>();

  constructor(
    readonly cache: Informer<T>,
    readonly maxAgeMs = 30_000,
    readonly now: () => number = Date.now,
  ) {
    cache.addHandler({
      add: (o) => this.#seen(o),
      update: (_a, b) => this.#seen(b),
      delete: (o) => this.#written.delete(keyOf(o)),
    });
  }

  #seen(o: T): void {
    const key = keyOf(o);
    const w = this.#written.get(key);
    if (w !== undefined && w.obj.metadata?.resourceVersion === o.metadata?.resourceVersion) this.#written.delete(key);
  }

  /** The freshest copy known: our own write when the cache has not caught up with it. Shared: copy before changing. */
  get(key: string): T | undefined {
    const w = this.#written.get(key);
    if (w !== undefined) {
      if (this.now() - w.at <= this.maxAgeMs) return w.obj;
      this.#written.delete(key);
    }
    return this.cache.get(key);
  }

  list(filter?: (obj: T) => boolean): T[] {
    const keys = new Set([...this.cache.list().map(keyOf), ...this.#written.keys()]);
    const out: T[] = [];
    for (const k of keys) {
      const o = this.get(k);
      if (o !== undefined && (filter === undefined || filter(o))) out.push(o);
    }
    return out;
  }

  /** Records an object the API server just returned from our write. */
  wrote(obj: T): void {
    this.#written.set(keyOf(obj), { obj, at: this.now() });
  }

  /** Forgets our copy (the object was deleted, or a write of ours failed). */
  forget(key: string): void {
    this.#written.delete(key);
  }
}
