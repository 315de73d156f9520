/** `provisioned`: stop network-booting the host, enforce power; clearing the image (or deletion) deprovisions. */
import { ProvisioningState } from "../../../api/index.js";
import { complete, cont, type ActionResult } from "../action-result.js";
import type { Effects, HostScope, StatusDraft } from "../host-scope.js";
import { enforcePower } from "../power-enforcement.js";
import { delayed } from "./available.js";

export async function handleProvisioned(scope: HostScope, draft: StatusDraft, effects: Effects): Promise<ActionResult> {
  await scope.provisioner.releaseRamdisk();
  const url = scope.host.spec.image?.url ?? "";
  if (url === "") {
    if (!scope.limiter.hasCapacity(scope.hostKey)) return delayed(scope, draft);
    return complete(ProvisioningState.Deprovisioning);
  }
  return (await enforcePower(scope, draft, effects)) ?? cont();
}
