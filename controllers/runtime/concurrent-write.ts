/**
 * Writes under optimistic concurrency (API conventions, "Concurrency Control
 * and Consistency"): every write carries the resourceVersion it was computed
 * from; a 409 Conflict means someone else wrote first, so the object is read
 * again and `mutate` re-applied to what they wrote — their change survives,
 * ours is recomputed on top. Retries are bounded; a key that keeps losing
 * goes back to the work queue with its backoff.
 */
import { isDeepStrictEqual } from "node:util";
import { ApiError, ApiErrorCode, isConflict } from "./errors.js";
import type { KubeObject } from "./object.js";
import type { ResourceClient } from "./resource-client.js";

export interface ConcurrentWriteOptions {
  /** Attempts after the first conflict. @default 5 */
  readonly retries?: number;
  readonly signal?: AbortSignal;
  /** Called on each conflict before the re-read (metrics, tests). */
  readonly onConflict?: () => void;
}

type Mutate<T> = (draft: T) => void;

async function writeWithRetry<T extends KubeObject>(
  client: ResourceClient<T>,
  obj: T,
  mutate: Mutate<T>,
  write: (next: T) => Promise<T>,
  unchanged: (before: T, after: T) => boolean,
  opts: ConcurrentWriteOptions,
): Promise<T> {
  const retries = opts.retries ?? 5;
  let current = obj;
  for (let attempt = 0; ; attempt++) {
    const next = structuredClone(current);
    mutate(next);
    if (unchanged(current, next)) return current;
    try {
      return await write(next);
    } catch (err) {
      if (!isConflict(err) || attempt >= retries) {
        if (isConflict(err)) {
          throw new ApiError(ApiErrorCode.Conflict, `${(err as Error).message} (still conflicting after ${retries} re-reads)`, { httpStatus: 409 });
        }
        throw err;
      }
      opts.onConflict?.();
      opts.signal?.throwIfAborted();
      current = await client.get(obj.metadata?.namespace, obj.metadata?.name ?? "", opts.signal);
    }
  }
}

const statusOf = (o: KubeObject): unknown => (o as { status?: unknown }).status;

/**
 * Applies `mutate` to the object's status and writes it through the status
 * subresource with the object's resourceVersion. Skips the write when
 * `mutate` changed nothing. Returns the stored object.
 */
export function patchStatus<T extends KubeObject>(client: ResourceClient<T>, obj: T, mutate: Mutate<T>, opts: ConcurrentWriteOptions = {}): Promise<T> {
  return writeWithRetry(
    client,
    obj,
    mutate,
    (next) => client.updateStatus(next, opts.signal),
    (a, b) => isDeepStrictEqual(statusOf(a), statusOf(b)),
    opts,
  );
}

/** Applies `mutate` to metadata/spec and writes the object with its resourceVersion. */
export function updateObject<T extends KubeObject>(client: ResourceClient<T>, obj: T, mutate: Mutate<T>, opts: ConcurrentWriteOptions = {}): Promise<T> {
  return writeWithRetry(
    client,
    obj,
    mutate,
    (next) => client.update(next, opts.signal),
    (a, b) => isDeepStrictEqual({ ...a, status: undefined }, { ...b, status: undefined }),
    opts,
  );
}

export const hasFinalizer = (obj: KubeObject, finalizer: string): boolean => obj.metadata?.finalizers?.includes(finalizer) ?? false;

/** Adds `finalizer` unless present. */
export function ensureFinalizer<T extends KubeObject>(client: ResourceClient<T>, obj: T, finalizer: string, opts: ConcurrentWriteOptions = {}): Promise<T> {
  return updateObject(
    client,
    obj,
    (d) => {
      d.metadata ??= {};
      const list = d.metadata.finalizers ?? [];
      if (!list.includes(finalizer)) d.metadata.finalizers = [...list, finalizer];
    },
    opts,
  );
}

/** Removes `finalizer` if present; others' finalizers stay. */
export function removeFinalizer<T extends KubeObject>(client: ResourceClient<T>, obj: T, finalizer: string, opts: ConcurrentWriteOptions = {}): Promise<T> {
  return updateObject(
    client,
    obj,
    (d) => {
      if (d.metadata?.finalizers?.includes(finalizer)) d.metadata.finalizers = d.metadata.finalizers.filter((f) => f !== finalizer);
    },
    opts,
  );
}

/**
 * The RFC 7386 merge patch that turns `before` into `after`, used to replay a
 * reconcile's status changes onto a fresher object after a conflict.
 */
export function mergePatchOf(before: unknown, after: unknown): unknown {
  if (!isPlainObject(before) || !isPlainObject(after)) return isDeepStrictEqual(before, after) ? undefined : (after ?? null);
  const patch: Record<string, unknown> = {};
  for (const k of new Set([...Object.keys(before), ...Object.keys(after)])) {
    if (!(k in after) || after[k] === undefined) {
      if (k in before && before[k] !== undefined) patch[k] = null;
      continue;
    }
    const sub = mergePatchOf(before[k], after[k]);
    if (sub !== undefined) patch[k] = sub;
  }
  return Object.keys(patch).length ? patch : undefined;
}

/** RFC 7386 §2 MergePatch(target, patch): null deletes, objects merge, anything else replaces. */
export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) return patch;
  const out: Record<string, unknown> = isPlainObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = applyMergePatch(out[k], v);
  }
  return out;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
