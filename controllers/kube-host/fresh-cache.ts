/**
 * An informer cache that also knows what this process just wrote. A watch
 * event for our own write arrives some milliseconds after the write
 * returns; a reconcile requeued at once (a state change asks for that) or an
 * agent asking again right after its result was stored would otherwise read
 * the older object and act twice (power-cycle the host again, deploy the
 * image again). The written object is used until the cache shows the same
 * resourceVersion (watch events arrive in order, so it will), the object is
 * deleted, or `maxAgeMs` passes (a relist may skip our exact version). The
 * event can also arrive before the write's own response: a version the
 * watch already delivered is never kept, or it would mask every later
 * change (a spec edit) for `maxAgeMs`.
 */
import type { Informer, KubeObject } from "../runtime/index.js";
import { keyOf } from "../runtime/index.js";

/** Versions remembered per key; more than the events that can arrive between a write and its response. */
const RECENT = 8;

export class FreshCache<T extends KubeObject> {
  readonly #written = new Map<string, { obj: T; at: number }>();
  /** The last resourceVersions the watch delivered per key: our write's event can beat the write's own response. */
  readonly #recent = new Map<string, string[]>();

  constructor(
    readonly cache: Informer<T>,
    readonly maxAgeMs = 30_000,
    readonly now: () => number = Date.now,
  ) {
    cache.addHandler({
      add: (o) => this.#seen(o),
      update: (_a, b) => this.#seen(b),
      delete: (o) => {
        this.#written.delete(keyOf(o));
        this.#recent.delete(keyOf(o));
      },
    });
  }

  #seen(o: T): void {
    const key = keyOf(o);
    const rv = o.metadata?.resourceVersion ?? "";
    const recent = this.#recent.get(key) ?? [];
    this.#recent.set(key, [...recent.slice(-(RECENT - 1)), rv]);
    const w = this.#written.get(key);
    if (w !== undefined && w.obj.metadata?.resourceVersion === rv) this.#written.delete(key);
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
    const key = keyOf(obj);
    // Already delivered (or an unchanged object handed back by a no-op write): the cache is at least as fresh.
    if (this.#recent.get(key)?.includes(obj.metadata?.resourceVersion ?? "")) {
      this.#written.delete(key);
      return;
    }
    this.#written.set(key, { obj, at: this.now() });
  }

  /** Forgets our copy (the object was deleted, or a write of ours failed). */
  forget(key: string): void {
    this.#written.delete(key);
  }
}
