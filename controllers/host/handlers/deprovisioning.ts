/**
 * `deprovisioning`: wipe disk metadata with the agent (unless
 * `automatedCleaningMode: disabled`), power off, forget the image. Ends in
 * `available`, or in `powering off before delete` when the host is being
 * deleted.
 */
import { ErrorType, ProvisioningState } from "../../../api/index.js";
import { complete, failed, type ActionResult } from "../action-result.js";
import { attempt, describeBmcFailure } from "../bmc-failure.js";
import type { HostScope, StatusDraft } from "../host-scope.js";
import { runRamdiskJob } from "../ramdisk-step.js";

export async function handleDeprovisioning(scope: HostScope, draft: StatusDraft): Promise<ActionResult> {
  if (scope.host.spec.automatedCleaningMode !== "disabled") {
    const started = draft.operationHistory?.deprovision?.start ?? "";
    const step = await runRamdiskJob(scope, draft, { purpose: "wipe", key: `wipe-${started}-${draft.errorCount}` }, ErrorType.Provisioning);
    if (!step.done) return step.result;
  }
  const bmc = scope.bmc;
  if (bmc !== undefined) {
    const off = await attempt(() => bmc.power.setPower("force-off"));
    if (!off.ok) return failed(ErrorType.Provisioning, describeBmcFailure("powering off after cleaning", off.error));
    draft.poweredOn = false;
  }
  await scope.provisioner.releaseRamdisk();
  delete draft.provisioning.image;
  const deleting = scope.host.metadata.deletionTimestamp !== undefined;
  return complete(deleting ? ProvisioningState.PoweringOffBeforeDelete : ProvisioningState.Available);
}
