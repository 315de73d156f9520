/** `unmanaged`: no BMC to talk to; registration starts once an address appears. */
import { ProvisioningState } from "../../../api/index.js";
import { complete, cont, type ActionResult } from "../action-result.js";
import type { HostScope } from "../host-scope.js";

export function handleUnmanaged(scope: HostScope): Promise<ActionResult> {
  const address = scope.host.spec.bmc?.address ?? "";
  return Promise.resolve(address === "" ? cont() : complete(ProvisioningState.Registering));
}
