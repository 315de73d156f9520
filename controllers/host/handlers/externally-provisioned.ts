/**
 * `externally provisioned`: something else installed the host; Anvil manages
 * its power only. When the flag is cleared the host rejoins the pool through
 * inspection (if its hardware is unknown) or preparing, as in Metal3
 * (host_state_machine.go, handleExternallyProvisioned).
 */
import { ProvisioningState } from "../../../api/index.js";
import { complete, cont, type ActionResult } from "../action-result.js";
import { inspectRequest } from "../host-annotations.js";
import type { Effects, HostScope, StatusDraft } from "../host-scope.js";
import { enforcePower } from "../power-enforcement.js";

export async function handleExternallyProvisioned(scope: HostScope, draft: StatusDraft, effects: Effects): Promise<ActionResult> {
  const spec = scope.host.spec;
  if (spec.externallyProvisioned !== true) {
    const inspectionOff = spec.inspectionMode === "disabled" || inspectRequest(scope.host.metadata) === "disabled";
    return complete(draft.hardware === undefined && !inspectionOff ? ProvisioningState.Inspecting : ProvisioningState.Preparing);
  }
  return (await enforcePower(scope, draft, effects)) ?? cont();
}
