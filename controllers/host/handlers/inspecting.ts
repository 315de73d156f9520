/**
 * `inspecting`: hardware details from, in order of preference, the
 * `inspect.metal3.io/hardwaredetails` annotation, the BMC's out-of-band
 * inventory (Redfish) unless `inspectionMode: agent`, or the ramdisk agent.
 */
import { ErrorType, ProvisioningState, type HardwareDetails } from "../../../api/index.js";
import { complete, failed, type ActionResult } from "../action-result.js";
import { attempt, describeBmcFailure } from "../bmc-failure.js";
import { toHardwareDetails } from "../hardware-details.js";
import { hardwareDetailsAnnotation } from "../host-annotations.js";
import type { HostScope, StatusDraft } from "../host-scope.js";
import { runRamdiskJob } from "../ramdisk-step.js";

export async function handleInspecting(scope: HostScope, draft: StatusDraft): Promise<ActionResult> {
  const supplied = hardwareDetailsAnnotation(scope.host.metadata);
  if (supplied !== undefined) {
    const parsed = parseHardware(supplied);
    if (parsed === undefined) return failed(ErrorType.Inspection, "the inspect.metal3.io/hardwaredetails annotation is not a JSON object");
    draft.hardware = parsed;
    return complete(ProvisioningState.Preparing);
  }
  const reader = scope.bmc?.inventory;
  if (reader !== undefined && scope.host.spec.inspectionMode !== "agent") {
    const inv = await attempt(() => reader.getInventory());
    if (!inv.ok) return failed(ErrorType.Inspection, describeBmcFailure("reading the BMC inventory", inv.error));
    draft.hardware = toHardwareDetails(inv.value);
    return complete(ProvisioningState.Preparing);
  }
  const started = draft.operationHistory?.inspect?.start ?? "";
  const step = await runRamdiskJob(scope, draft, { purpose: "inspect", key: `inspect-${started}-${draft.errorCount}` }, ErrorType.Inspection);
  if (!step.done) return step.result;
  if (step.hardware !== undefined) draft.hardware = step.hardware;
  else if (step.inventory !== undefined) draft.hardware = toHardwareDetails(step.inventory);
  else return failed(ErrorType.Inspection, "the agent finished inspection without an inventory");
  const power = await attempt(() => scope.bmc?.power.setPower("off") ?? Promise.resolve());
  if (!power.ok) return failed(ErrorType.Inspection, describeBmcFailure("powering off after inspection", power.error));
  draft.poweredOn = false;
  await scope.provisioner.releaseRamdisk();
  return complete(ProvisioningState.Preparing);
}

function parseHardware(text: string): HardwareDetails | undefined {
  try {
    const value = JSON.parse(text) as unknown;
    return typeof value === "object" && value !== null && !Array.isArray(value) ? (value) : undefined;
  } catch {
    return undefined;
  }
}
