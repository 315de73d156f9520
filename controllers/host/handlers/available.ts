/**
 * `available`: ready for an image. Leaves for inspecting (inspect
 * annotation), externally provisioned, or provisioning (image set) when the
 * provisioning limiter has a slot; otherwise shows `delayed` and waits.
 */
import { HostAnnotation, OperationalStatus, ProvisioningState } from "../../../api/index.js";
import { complete, cont, update, type ActionResult } from "../action-result.js";
import { inspectRequest } from "../host-annotations.js";
import { statusImage } from "../job-key.js";
import type { Effects, HostScope, StatusDraft } from "../host-scope.js";
import { enforcePower } from "../power-enforcement.js";

export async function handleAvailable(scope: HostScope, draft: StatusDraft, effects: Effects): Promise<ActionResult> {
  const spec = scope.host.spec;
  if (inspectRequest(scope.host.metadata) === "requested") {
    if (!scope.limiter.hasCapacity(scope.hostKey)) return delayed(scope, draft);
    effects.removeAnnotations.add(HostAnnotation.Inspect);
    return complete(ProvisioningState.Inspecting);
  }
  if (spec.externallyProvisioned === true) return complete(ProvisioningState.ExternallyProvisioned);
  if (spec.image?.url !== undefined && spec.image.url !== "") {
    if (!scope.limiter.hasCapacity(scope.hostKey)) return delayed(scope, draft);
    draft.provisioning.image = statusImage(spec.image);
    if (spec.rootDeviceHints !== undefined) draft.provisioning.rootDeviceHints = spec.rootDeviceHints;
    return complete(ProvisioningState.Provisioning);
  }
  const wasDelayed = draft.operationalStatus === OperationalStatus.Delayed;
  if (wasDelayed) draft.operationalStatus = OperationalStatus.OK;
  return (await enforcePower(scope, draft, effects)) ?? (wasDelayed ? update() : cont());
}

/**
 * Metal3 shows hosts waiting for a provisioning slot as operationalStatus `delayed` (docs/configuration.md,
 * PROVISIONING_LIMIT). The limiter's owner wakes the host when a slot frees; `delayedPollMs` is the fallback.
 */
export function delayed(scope: HostScope, draft: StatusDraft): ActionResult {
  if (draft.operationalStatus === OperationalStatus.Delayed) return cont(scope.timing.delayedPollMs);
  draft.operationalStatus = OperationalStatus.Delayed;
  return update(scope.timing.delayedPollMs);
}
