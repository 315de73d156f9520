/**
 * A unit-test twin of one kind on the API server: a `ResourceClient` (get,
 * create, update with resourceVersion conflicts, delete) and an `Informer`
 * (get, list, handlers) over one in-memory map. Watch events are queued and
 * delivered by `deliver()`, so a test can hold the cache behind the writes
 * the way a real watch lags. Real API server behaviour is covered by
 * host-controller.peer.test.ts; this twin never stands in for it there.
 */
import { ApiError, ApiErrorCode, keyOf, type Informer, type InformerHandlers, type KubeObject, type ResourceClient } from "../runtime/index.js";

export class MemoryKind<T extends KubeObject> {
  readonly stored = new Map<string, T>();
  readonly #cache = new Map<string, T>();
  readonly #handlers: InformerHandlers<T>[] = [];
  readonly #queue: (() => void)[] = [];
  #rv = 1;
  writes = 0;
  /** When false (the default) events are delivered at once. */
  lagging = false;

  #emit(fn: () => void): void {
    if (this.lagging) this.#queue.push(fn);
    else fn();
  }

  /** Delivers every queued watch event, in order. */
  deliver(): void {
    for (const fn of this.#queue.splice(0)) fn();
  }

  #put(obj: T, created: boolean): T {
    const key = keyOf(obj);
    const stamped = structuredClone({ ...obj, metadata: { ...obj.metadata, resourceVersion: String(++this.#rv), uid: obj.metadata?.uid ?? `uid-${this.#rv}` } }) as T;
    this.stored.set(key, stamped);
    this.writes++;
    this.#emit(() => {
      const old = this.#cache.get(key);
      this.#cache.set(key, stamped);
      for (const h of this.#handlers) {
        if (created || old === undefined) h.add?.(stamped);
        else h.update?.(old, stamped);
      }
    });
    return structuredClone(stamped);
  }

  readonly client = {
    get: (ns: string | undefined, name: string): Promise<T> => {
      const o = this.stored.get(ns ? `${ns}/${name}` : name);
      return o ? Promise.resolve(structuredClone(o)) : Promise.reject(new ApiError(ApiErrorCode.NotFound, `${name} not found`, { httpStatus: 404 }));
    },
    create: (obj: T): Promise<T> => {
      if (this.stored.has(keyOf(obj))) return Promise.reject(new ApiError(ApiErrorCode.AlreadyExists, "exists", { httpStatus: 409 }));
      return Promise.resolve(this.#put(obj, true));
    },
    update: (obj: T): Promise<T> => {
      const cur = this.stored.get(keyOf(obj));
      if (!cur) return Promise.reject(new ApiError(ApiErrorCode.NotFound, "not found", { httpStatus: 404 }));
      if (cur.metadata?.resourceVersion !== obj.metadata?.resourceVersion) return Promise.reject(new ApiError(ApiErrorCode.Conflict, "conflict", { httpStatus: 409 }));
      return Promise.resolve(this.#put(obj, false));
    },
    delete: (ns: string | undefined, name: string): Promise<void> => {
      const key = ns ? `${ns}/${name}` : name;
      const cur = this.stored.get(key);
      if (!cur) return Promise.reject(new ApiError(ApiErrorCode.NotFound, "not found", { httpStatus: 404 }));
      this.stored.delete(key);
      this.#emit(() => {
        this.#cache.delete(key);
        for (const h of this.#handlers) h.delete?.(cur);
      });
      return Promise.resolve();
    },
  } as unknown as ResourceClient<T>;

  readonly informer = {
    addHandler: (h: InformerHandlers<T>) => void this.#handlers.push(h),
    get: (key: string) => this.#cache.get(key),
    list: (filter?: (o: T) => boolean) => [...this.#cache.values()].filter((o) => filter?.(o) ?? true),
  } as unknown as Informer<T>;
}
