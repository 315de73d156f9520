/** `""`: a host just created. Metal3 leaves a host without BMC details unmanaged (BaremetalHost_ProvisioningState.dot). */
import { ProvisioningState } from "../../../api/index.js";
import { complete, type ActionResult } from "../action-result.js";
import type { HostScope } from "../host-scope.js";

export function handleNewHost(scope: HostScope): Promise<ActionResult> {
  const address = scope.host.spec.bmc?.address ?? "";
  return Promise.resolve(complete(address === "" ? ProvisioningState.Unmanaged : ProvisioningState.Registering));
}
