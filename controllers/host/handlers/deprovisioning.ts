/**
 * `deprovisioning`: wipe disk metadata with the agent (unless
 * `automatedCleaningMode: disabled`), power off, forget the image. Ends in
 * `available`, or in `powering off before delete` when the host is being
 * deleted.
 */
import { ErrorType, ProvisioningState } from "../../../api/index.js";
import { complete, failed, type ActionResult } from "../action-result.js";
import { attempt, describeBmcFailure } from "../bmc-failure.js";
import type { Effects, HostScope, StatusDraft } from "../host-scope.js";
import { runRamdiskJob } from "../ramdisk-step.js";

/** baremetal-operator gives up cleaning a host being deleted after 3 failures; so does Anvil. */
export const MAX_CLEAN_ERRORS_ON_DELETE = 3;

export async function handleDeprovisioning(scope: HostScope, draft: StatusDraft, effects: Effects): Promise<ActionResult> {
  const deleting = scope.host.metadata.deletionTimestamp !== undefined;
  if (scope.host.spec.automatedCleaningMode !== "disabled") {
    const started = draft.operationHistory?.deprovision?.start ?? "";
    const step = await runRamdiskJob(scope, draft, { purpose: "wipe", key: `wipe-${started}-${draft.errorCount}` }, ErrorType.Provisioning);
    if (!step.done) {
      if (step.result.kind === "failed" && deleting && draft.errorCount + 1 >= MAX_CLEAN_ERRORS_ON_DELETE) {
        effects.events.push({ type: "Warning", reason: "CleaningSkipped", message: `${step.result.message}; giving up cleaning to delete the host` });
      } else {
        return step.result;
      }
    }
  }
  const bmc = scope.bmc;
  if (bmc !== undefined) {
    const off = await attempt(() => bmc.power.setPower("force-off"));
    if (!off.ok) return failed(ErrorType.Provisioning, describeBmcFailure("powering off after cleaning", off.error));
    draft.poweredOn = false;
  }
  await scope.provisioner.releaseRamdisk();
  delete draft.provisioning.image;
  return complete(deleting ? ProvisioningState.PoweringOffBeforeDelete : ProvisioningState.Available);
}
