/**
 * `powering off before delete`. A BMC that keeps refusing must not hold the
 * object forever (baremetal-operator #1163): after MAX_POWER_OFF_ERRORS the
 * host moves on to deleting with a warning event.
 */
import { ErrorType, ProvisioningState } from "../../../api/index.js";
import { complete, failed, type ActionResult } from "../action-result.js";
import { attempt, describeBmcFailure } from "../bmc-failure.js";
import type { Effects, HostScope, StatusDraft } from "../host-scope.js";

export const MAX_POWER_OFF_ERRORS = 3;

export async function handlePoweringOffBeforeDelete(scope: HostScope, draft: StatusDraft, effects: Effects): Promise<ActionResult> {
  const bmc = scope.bmc;
  if (bmc === undefined || scope.credentials.kind !== "present") {
    effects.events.push({ type: "Warning", reason: "PowerOffSkipped", message: "no usable BMC credentials: deleting without powering off" });
    return complete(ProvisioningState.Deleting);
  }
  const off = await attempt(() => bmc.power.setPower("force-off"));
  if (off.ok) {
    draft.poweredOn = false;
    return complete(ProvisioningState.Deleting);
  }
  if (draft.errorCount + 1 >= MAX_POWER_OFF_ERRORS) {
    effects.events.push({ type: "Warning", reason: "PowerOffFailed", message: `${describeBmcFailure("powering off", off.error)}; deleting anyway` });
    return complete(ProvisioningState.Deleting);
  }
  return failed(ErrorType.PowerManagement, describeBmcFailure("powering off before delete", off.error));
}
