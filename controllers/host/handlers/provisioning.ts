/**
 * `provisioning`: the agent writes `status.provisioning.image` (copied from
 * spec on entry) to disk. The job key holds provisioningFailCount, so a
 * re-run after a crash finds the same job (never deploys twice) while a
 * retry after a failure is a new attempt. Clearing or changing the image
 * sends the host to deprovisioning, as in Metal3.
 */
import { ErrorType, ProvisioningState, type Image } from "../../../api/index.js";
import { complete, failed, type ActionResult } from "../action-result.js";
import { attempt, describeBmcFailure } from "../bmc-failure.js";
import type { HostScope, RamdiskJob, StatusDraft } from "../host-scope.js";
import { imageDigest, sameImage } from "../job-key.js";
import { runRamdiskJob } from "../ramdisk-step.js";

/** The job carries the spec's image (the agent needs any URL credentials); its key only a digest. */
export function deployJob(draft: StatusDraft, image: Image | undefined): RamdiskJob {
  return {
    purpose: "deploy",
    key: `deploy-${imageDigest(image)}-${draft.provisioningFailCount ?? 0}`,
    ...(image !== undefined ? { image } : {}),
  };
}

export async function handleProvisioning(scope: HostScope, draft: StatusDraft): Promise<ActionResult> {
  if (!sameImage(scope.host.spec.image, draft.provisioning.image)) return complete(ProvisioningState.Deprovisioning);
  const step = await runRamdiskJob(scope, draft, deployJob(draft, scope.host.spec.image), ErrorType.Provisioning, scope.deployInputsProblem);
  if (!step.done) {
    if (step.result.kind === "failed") draft.provisioningFailCount = (draft.provisioningFailCount ?? 0) + 1;
    return step.result;
  }
  const bmc = scope.bmc;
  if (bmc === undefined) return failed(ErrorType.Provisioning, "no BMC client to boot the deployed host");
  // Off, then the disk, then on: Ironic's order (deploy steps tear_down_agent, then boot_instance).
  // A BMC may keep a boot device change for the next power-on and read back the running boot
  // until then (virtualbmc redefines the libvirt domain; seen in e2e/host-vm.test.ts).
  const off = await attempt(() => bmc.power.setPower("force-off"));
  if (!off.ok) return failed(ErrorType.Provisioning, describeBmcFailure("powering off the ramdisk", off.error));
  const boot = await attempt(() => bmc.boot.setBootOverride({ device: "disk", once: false }));
  if (!boot.ok) return failed(ErrorType.Provisioning, describeBmcFailure("setting the disk as boot device", boot.error));
  const online = scope.host.spec.online;
  if (online) {
    const power = await attempt(() => bmc.power.setPower("on"));
    if (!power.ok) return failed(ErrorType.Provisioning, describeBmcFailure("booting the deployed host", power.error));
  }
  draft.poweredOn = online;
  draft.provisioningFailCount = 0;
  return complete(ProvisioningState.Provisioned);
}
