/**
 * What the host controller does for `clusterctl move` (ADR 0019), before the
 * state machine is asked anything:
 *
 * - A host carrying clusterctl's `delete-for-move` annotation is being deleted
 *   from this management cluster only: it lives on in the target. clusterctl
 *   replaces every annotation with that one (so our pause is gone) and then
 *   deletes the object; deprovisioning, powering off or deleting its
 *   agent-state Secret now would break the moved host. It is left alone.
 * - A paused host keeps its status copied into Metal3's
 *   `baremetalhost.metal3.io/status` annotation. clusterctl creates objects
 *   on the target without their status subresource; the annotation travels
 *   with the object, and the state machine restores status from it when the
 *   host arrives with an empty status (controllers/host reconcile-host.ts),
 *   so a provisioned host stays provisioned instead of registering,
 *   inspecting and deploying again. CAPM3 writes the same annotation when it
 *   pauses a host (baremetal/metal3machine_manager.go SetPauseAnnotation);
 *   here the host controller writes it, so every paused host carries it,
 *   whoever paused it.
 */
import { CapiAnnotation, HostAnnotation, ProvisioningState, type BareMetalHost } from "../../api/index.js";
import { updateObject, type ResourceClient } from "../runtime/index.js";

/**
 * Kubernetes caps all annotations of an object at 256 KiB together
 * (apimachinery ValidateAnnotations, TotalAnnotationSizeLimitB). Past this
 * size the saved status leaves out `hardware`, as CAPM3's always does: the
 * HardwareData object, a child of the host, moves with it.
 */
export const SAVED_STATUS_MAX_BYTES = 128 * 1024;

export type MoveHook = "moving-away" | "paused" | "none";

/** Whether this process must keep its hands off the host for a move, and why. */
export function moveHookOf(h: BareMetalHost): MoveHook {
  const ann = h.metadata.annotations ?? {};
  if (CapiAnnotation.DeleteForMove in ann) return "moving-away";
  if (HostAnnotation.Paused in ann) return "paused";
  return "none";
}

/**
 * The annotation value to save for a paused host, or undefined when there is
 * nothing to save (no status yet: a host that arrived by a move with its
 * annotation must not have it overwritten by its own empty status) or it is
 * already saved.
 */
export function statusToSave(h: BareMetalHost): string | undefined {
  const status = h.status;
  if (status === undefined || status.provisioning.state === ProvisioningState.None) return undefined;
  let saved = JSON.stringify(status);
  if (saved.length > SAVED_STATUS_MAX_BYTES) {
    const { hardware: _left, ...rest } = status;
    saved = JSON.stringify(rest);
  }
  return h.metadata.annotations?.[HostAnnotation.Status] === saved ? undefined : saved;
}

/**
 * The host controller's hook: true when the host is moving away or paused
 * (the state machine is not run; a paused host's status is saved first).
 * `wrote` receives the stored host after a write.
 */
export async function handleMove(client: ResourceClient<BareMetalHost>, h: BareMetalHost, wrote: (h: BareMetalHost) => void, signal: AbortSignal): Promise<boolean> {
  const hook = moveHookOf(h);
  if (hook === "none") return false;
  if (hook === "paused" && statusToSave(h) !== undefined) {
    wrote(
      await updateObject(
        client,
        h,
        (draft) => {
          // Replayed on a conflict: re-checked against the fresh object.
          if (moveHookOf(draft) !== "paused") return;
          const value = statusToSave(draft);
          if (value !== undefined) draft.metadata.annotations = { ...draft.metadata.annotations, [HostAnnotation.Status]: value };
        },
        { signal },
      ),
    );
  }
  return true;
}
