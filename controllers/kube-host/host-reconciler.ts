/**
 * The reconcile of one BareMetalHost: build the scope, ask the pure state
 * machine (controllers/host, `reconcileHost`) what to write, and write it.
 * Writes follow ADR 0005: each carries the resourceVersion it was computed
 * from; a conflict re-reads and replays our change on the fresh object
 * (the status as an RFC 7386 merge patch of what the machine changed), so
 * another writer's fields are never overwritten.
 *
 * Order: finalizer (so nothing is left behind if the host is deleted while
 * we work), annotations, status, HardwareData, events; on deletion the
 * agent-state Secret and HardwareData go before the finalizer.
 */
import { BAREMETALHOST_FINALIZER, type BareMetalHost, type HardwareData } from "../../api/index.js";
import { reconcileHost } from "../host/index.js";
import {
  applyMergePatch,
  ensureFinalizer,
  isNotFound,
  mergePatchOf,
  patchStatus,
  removeFinalizer,
  updateObject,
  type EventRecorder,
  type Logger,
  type ReconcileContext,
  type ReconcileOutcome,
  type Reconciler,
  type ResourceClient,
} from "../runtime/index.js";
import type { AgentStateStore } from "./agent-state-store.js";
import type { BmcConnections } from "./bmc-connections.js";
import type { FreshCache } from "./fresh-cache.js";
import { deleteHardwareData, syncHardwareData } from "./hardware-data.js";
import { buildHostScope, type ScopeDeps } from "./host-scope-builder.js";
import { handleMove } from "./status-annotation.js";

export interface HostReconcilerDeps extends ScopeDeps {
  readonly hostClient: ResourceClient<BareMetalHost>;
  readonly hosts: FreshCache<BareMetalHost>;
  readonly hardwareClient: ResourceClient<HardwareData>;
  readonly hardware: FreshCache<HardwareData>;
  readonly store: AgentStateStore;
  readonly bmcs: BmcConnections;
  readonly recorder: EventRecorder;
  readonly log: Logger;
}

export function hostReconciler(d: HostReconcilerDeps): Reconciler {
  return async (key, signal, ctx) => {
    const host = d.hosts.get(key);
    if (host === undefined) {
      await d.bmcs.forget(key);
      return { kind: "done" };
    }
    try {
      // clusterctl move (ADR 0019): a paused host gets its status saved; one moving away is left alone.
      if (await handleMove(d.hostClient, host, (h) => d.hosts.wrote(h), signal)) return { kind: "done" };
      return await reconcileOne(d, key, host, signal, ctx);
    } catch (err) {
      // Our copy may be what lost the race; read the API server's next time.
      d.hosts.forget(key);
      if (isNotFound(err)) return { kind: "done" };
      throw err;
    }
  };
}

async function reconcileOne(d: HostReconcilerDeps, key: string, host: BareMetalHost, signal: AbortSignal, ctx: ReconcileContext | undefined): Promise<ReconcileOutcome> {
  const scope = await buildHostScope(host, d, signal, ctx);
  const result = await reconcileHost(scope);
  const opts = { signal };
  let obj = host;

  if (result.finalizer === "add") obj = remember(d, await ensureFinalizer(d.hostClient, obj, BAREMETALHOST_FINALIZER, opts));
  if (result.removeAnnotations.length > 0) {
    obj = remember(
      d,
      await updateObject(
        d.hostClient,
        obj,
        (draft) => {
          for (const a of result.removeAnnotations) delete draft.metadata.annotations?.[a];
        },
        opts,
      ),
    );
  }
  if (result.statusPatch !== undefined) {
    const patch = mergePatchOf(host.status ?? {}, result.statusPatch);
    if (patch !== undefined) {
      obj = remember(
        d,
        await patchStatus(
          d.hostClient,
          obj,
          (draft) => {
            draft.status = applyMergePatch(draft.status ?? {}, patch) as BareMetalHost["status"];
          },
          opts,
        ),
      );
    }
    const hw = result.statusPatch.hardware;
    if (hw !== undefined) await syncHardwareData(d.hardwareClient, d.hardware, obj, hw, signal);
  }
  d.log.debug("host reconciled", {
    key,
    state: obj.status?.provisioning.state ?? "",
    progress: obj.status?.conditions?.find((c) => c.type === "Progressing")?.message ?? "",
    statusWritten: result.statusPatch !== undefined,
    requeueAfterMs: result.requeueAfterMs ?? null,
  });
  for (const e of result.events) d.recorder.record(obj, e.type, e.reason, obj.status?.provisioning.state || "Reconcile", e.message);

  if (result.finalizer === "remove") {
    await d.store.delete(obj, signal);
    await deleteHardwareData(d.hardwareClient, d.hardware, obj, signal);
    await d.bmcs.forget(key);
    try {
      await removeFinalizer(d.hostClient, obj, BAREMETALHOST_FINALIZER, opts);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    d.hosts.forget(key);
    return { kind: "done" };
  }
  return result.requeueAfterMs === undefined ? { kind: "done" } : { kind: "requeue", afterMs: result.requeueAfterMs };
}

function remember(d: HostReconcilerDeps, obj: BareMetalHost): BareMetalHost {
  d.hosts.wrote(obj);
  return obj;
}
