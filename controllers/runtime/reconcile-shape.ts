/**
 * The one shape of every reconcile, from cluster-api's controllers: fetch;
 * return on not found; honour pause; on deletion run the delete path and
 * drop the finalizer when it is done; otherwise add the finalizer, snapshot
 * the status, run the normal path, and patch the status in a `finally` — only
 * when it changed, and even when the normal path failed, so the error it
 * recorded (errorMessage, a condition) reaches the object.
 */
import { applyMergePatch, ensureFinalizer, hasFinalizer, mergePatchOf, patchStatus, removeFinalizer } from "./concurrent-write.js";
import { isNotFound } from "./errors.js";
import type { Informer } from "./informer.js";
import { splitKey, type KubeObject } from "./object.js";
import type { ResourceClient } from "./resource-client.js";
import type { ReconcileOutcome, Reconciler } from "./work-queue.js";

/** What a phase function works on: the live object, whose `status` it may change. */
export interface Scope<T extends KubeObject> {
  readonly key: string;
  /** A private copy: mutate `object.status` freely; it is written when the phase returns. */
  readonly object: T;
  readonly signal: AbortSignal;
}

export interface ObjectReconcilerOptions<T extends KubeObject> {
  readonly client: ResourceClient<T>;
  /** Read the object from this cache first (fast, maybe stale: writes still use resourceVersion). @default read from the API server */
  readonly cache?: Informer<T>;
  /** Finalizer to hold while the object needs cleanup; none means no delete path. */
  readonly finalizer?: string;
  /** True when reconciling must stop (an annotation, a paused Cluster); `onPaused` may still record that. */
  readonly isPaused?: (obj: T) => boolean;
  /** Runs instead of the phases while paused, e.g. to set a `Paused` condition. Its status changes are patched. */
  readonly onPaused?: (scope: Scope<T>) => void | Promise<void>;
  readonly reconcileNormal: (scope: Scope<T>) => Promise<ReconcileOutcome>;
  /** Cleanup before the finalizer is removed; return `done` when nothing is left. */
  readonly reconcileDelete?: (scope: Scope<T>) => Promise<ReconcileOutcome>;
}

export function objectReconciler<T extends KubeObject>(o: ObjectReconcilerOptions<T>): Reconciler {
  return async (key, signal) => {
    const { namespace, name } = splitKey(key);
    let obj: T;
    try {
      obj = o.cache?.get(key) ?? (await o.client.get(namespace, name, signal));
    } catch (err) {
      if (isNotFound(err)) return { kind: "done" };
      throw err;
    }
    const deleting = obj.metadata?.deletionTimestamp !== undefined;
    if (deleting && o.finalizer && !hasFinalizer(obj, o.finalizer)) return { kind: "done" };
    if (!deleting && o.finalizer && !hasFinalizer(obj, o.finalizer)) {
      obj = await ensureFinalizer(o.client, obj, o.finalizer, { signal });
    }

    const before = structuredClone(obj);
    const scope: Scope<T> = { key, object: structuredClone(obj), signal };
    let outcome: ReconcileOutcome = { kind: "done" };
    try {
      if (o.isPaused?.(obj)) {
        await o.onPaused?.(scope);
      } else if (deleting) {
        outcome = o.reconcileDelete ? await o.reconcileDelete(scope) : { kind: "done" };
      } else {
        outcome = await o.reconcileNormal(scope);
      }
    } finally {
      obj = await writeStatusChanges(o.client, before, scope.object, signal);
    }
    if (deleting && outcome.kind === "done" && o.finalizer && !o.isPaused?.(obj)) {
      try {
        await removeFinalizer(o.client, obj, o.finalizer, { signal });
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
    return outcome;
  };
}

/**
 * Writes what the phase changed in `status`. On a conflict the same changes
 * (as a merge patch over the snapshot) are replayed onto the fresh status, so
 * fields someone else wrote meanwhile are kept.
 */
async function writeStatusChanges<T extends KubeObject>(client: ResourceClient<T>, before: T, after: T, signal: AbortSignal): Promise<T> {
  const statusOf = (x: T): unknown => (x as { status?: unknown }).status;
  const patch = mergePatchOf(statusOf(before) ?? {}, statusOf(after) ?? {});
  if (patch === undefined) return before;
  try {
    return await patchStatus(
      client,
      before,
      (d) => {
        (d as { status?: unknown }).status = applyMergePatch(statusOf(d) ?? {}, patch);
      },
      { signal },
    );
  } catch (err) {
    // Deleted while we worked (no finalizer held it): nothing left to describe.
    if (isNotFound(err)) return before;
    throw err;
  }
}
