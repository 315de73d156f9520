/**
 * A watch-backed cache of one kind (client-go's reflector + store): list,
 * then watch from the list's resourceVersion with bookmarks; a closed watch
 * resumes from the last resourceVersion seen; 410 Gone (the version was
 * compacted away, API concepts "Efficient detection of changes") relists at
 * once; other failures relist after a backoff. A relist reports the
 * differences against the cache as add/update/delete, so no deletion is lost
 * while the watch was down. Every `resyncMs` each cached object is reported
 * again as an update, which is how a reconciler that missed nothing still
 * re-checks the world (BMC power drifts without any Kubernetes event).
 */
import { setTimeout as sleep } from "node:timers/promises";
import { PerKeyBackoff, type BackoffOptions } from "./backoff.js";
import { ApiError, ApiErrorCode, isApiError } from "./errors.js";
import { silentLogger, type Logger } from "./logger.js";
import { keyOf, type KubeObject } from "./object.js";
import type { ResourceClient } from "./resource-client.js";
import type { WatchEvent } from "./transport.js";

export interface InformerHandlers<T> {
  add?(obj: T): void;
  update?(oldObj: T, newObj: T): void;
  delete?(obj: T): void;
}

export interface InformerOptions {
  /** Watch one namespace only. @default all namespaces */
  readonly namespace?: string;
  readonly labelSelector?: string;
  /** Re-report every cached object this often; 0 turns it off. @default 600_000 */
  readonly resyncMs?: number;
  /** Delay between failed list/watch attempts. @default { baseMs: 500, maxMs: 30_000 } */
  readonly backoff?: BackoffOptions;
  readonly logger?: Logger;
}

export class Informer<T extends KubeObject> {
  readonly #store = new Map<string, T>();
  readonly #handlers: InformerHandlers<T>[] = [];
  readonly #backoff: PerKeyBackoff;
  readonly #log: Logger;
  #synced = false;
  #resourceVersion = "";
  #lists = 0;
  readonly #syncWaiters: (() => void)[] = [];

  constructor(
    readonly client: ResourceClient<T>,
    readonly opts: InformerOptions = {},
  ) {
    this.#backoff = new PerKeyBackoff(opts.backoff ?? { baseMs: 500, maxMs: 30_000 });
    this.#log = (opts.logger ?? silentLogger).with({ informer: client.kind.plural });
  }

  /** Handlers registered after the first sync are told about every cached object as an add. */
  addHandler(h: InformerHandlers<T>): void {
    this.#handlers.push(h);
    if (this.#synced) for (const obj of this.#store.values()) h.add?.(obj);
  }

  hasSynced(): boolean {
    return this.#synced;
  }

  /** How many full lists ran (the first one plus every relist). */
  get listCount(): number {
    return this.#lists;
  }

  /** Resolves once the first list is in the cache; rejects if `signal` aborts first. */
  waitForSync(signal?: AbortSignal): Promise<void> {
    if (this.#synced) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onAbort = (): void => reject(new Error(`${this.client.kind.plural} cache never synced`));
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#syncWaiters.push(() => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      });
    });
  }

  /** The cached object, a shared reference: copy before changing it. */
  get(key: string): T | undefined {
    return this.#store.get(key);
  }

  list(filter?: (obj: T) => boolean): T[] {
    const all = [...this.#store.values()];
    return filter ? all.filter(filter) : all;
  }

  /** Lists and watches until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    const resync = this.opts.resyncMs ?? 600_000;
    const timer = resync > 0 ? setInterval(() => this.#resync(), resync) : undefined;
    timer?.unref();
    try {
      while (!signal.aborted) {
        try {
          await this.#listAndReplace(signal);
          this.#backoff.reset("list");
          await this.#watchUntilGone(signal);
        } catch (err) {
          if (signal.aborted) break;
          if (isApiError(err, ApiErrorCode.Gone)) {
            this.#log.info("resourceVersion expired; relisting");
            continue;
          }
          const wait = this.#backoff.next("list");
          this.#log.warn("list/watch failed; relisting after backoff", { error: err, waitMs: wait });
          await sleep(wait, undefined, { signal }).catch(() => undefined);
        }
      }
    } finally {
      if (timer) clearInterval(timer);
    }
  }

  async #listAndReplace(signal: AbortSignal): Promise<void> {
    const { items, resourceVersion } = await this.client.list({
      ...(this.opts.namespace ? { namespace: this.opts.namespace } : {}),
      ...(this.opts.labelSelector ? { labelSelector: this.opts.labelSelector } : {}),
      signal,
    });
    this.#lists++;
    const seen = new Set<string>();
    for (const obj of items) {
      const key = keyOf(obj);
      seen.add(key);
      this.#upsert(key, obj);
    }
    for (const [key, old] of [...this.#store]) {
      if (!seen.has(key)) {
        this.#store.delete(key);
        this.#emit((h) => h.delete?.(old));
      }
    }
    this.#resourceVersion = resourceVersion;
    if (!this.#synced) {
      this.#synced = true;
      for (const w of this.#syncWaiters.splice(0)) w();
    }
  }

  /** Watches, resuming after normal closes, until an error (thrown) or abort. */
  async #watchUntilGone(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      // A server-side timeout between 5 and 10 minutes spreads the rewatches
      // of many informers, as client-go's reflector does.
      const timeoutSeconds = 300 + Math.floor(Math.random() * 300);
      const started = Date.now();
      await this.client.transport.watch<T | { code?: number; reason?: string; message?: string }>(
        this.#collection(),
        {
          resourceVersion: this.#resourceVersion,
          allowWatchBookmarks: true,
          timeoutSeconds,
          labelSelector: this.opts.labelSelector,
        },
        (ev) => this.#onEvent(ev),
        signal,
        (timeoutSeconds + 60) * 1000,
      );
      // A watch the server (or a proxy) closes at once must not become a hot loop.
      if (Date.now() - started < 1_000) await sleep(1_000, undefined, { signal }).catch(() => undefined);
    }
  }

  #collection(): string {
    const k = this.client.kind;
    const base = k.group ? `/apis/${k.group}/${k.version}` : `/api/${k.version}`;
    return k.namespaced && this.opts.namespace ? `${base}/namespaces/${encodeURIComponent(this.opts.namespace)}/${k.plural}` : `${base}/${k.plural}`;
  }

  #onEvent(ev: WatchEvent<unknown>): void {
    if (ev.type === "ERROR") {
      const status = ev.object as { code?: number; reason?: string; message?: string };
      // An ERROR event carries a meta/v1 Status; 410 means our version is gone.
      throw new ApiError(status.code === 410 ? ApiErrorCode.Gone : ApiErrorCode.Unknown, `watch error ${status.code ?? ""} ${status.reason ?? ""}`);
    }
    const obj = ev.object as T;
    const rv = obj.metadata?.resourceVersion;
    if (rv) this.#resourceVersion = rv;
    if (ev.type === "BOOKMARK") return;
    const typed = { ...obj, apiVersion: obj.apiVersion ?? this.#apiVersion(), kind: obj.kind ?? this.client.kind.kind };
    const key = keyOf(typed);
    if (ev.type === "DELETED") {
      const old = this.#store.get(key) ?? typed;
      this.#store.delete(key);
      this.#emit((h) => h.delete?.(old));
    } else {
      this.#upsert(key, typed);
    }
  }

  #apiVersion(): string {
    const k = this.client.kind;
    return k.group ? `${k.group}/${k.version}` : k.version;
  }

  #upsert(key: string, obj: T): void {
    const old = this.#store.get(key);
    if (old?.metadata?.resourceVersion === obj.metadata?.resourceVersion && old) return;
    // No controller here reads managedFields, and they can be a large part of an object (a
    // FieldsV1 tree of every field each manager wrote, status included). controller-runtime's cache
    // offers the same (TransformStripManagedFields). An update sent without them leaves the
    // server's unchanged (Server-Side Apply docs, "Clearing managedFields").
    if (obj.metadata !== undefined) delete (obj.metadata as { managedFields?: unknown }).managedFields;
    this.#store.set(key, obj);
    if (old) this.#emit((h) => h.update?.(old, obj));
    else this.#emit((h) => h.add?.(obj));
  }

  #resync(): void {
    if (!this.#synced) return;
    for (const obj of this.#store.values()) this.#emit((h) => h.update?.(obj, obj));
  }

  #emit(fn: (h: InformerHandlers<T>) => void): void {
    for (const h of this.#handlers) {
      try {
        fn(h);
      } catch (err) {
        this.#log.error("event handler threw", { error: err });
      }
    }
  }
}
