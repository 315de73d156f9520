/**
 * `registering`: prove the BMC answers with these credentials by reading the
 * power state (what baremetal-operator's Ironic provisioner does), then pick
 * the next state: externally provisioned, inspecting, or preparing when
 * inspection is disabled. Inspection may boot the ramdisk, so entering it
 * takes a provisioning slot like provisioning does.
 */
import { ErrorType, ProvisioningState } from "../../../api/index.js";
import { complete, type ActionResult } from "../action-result.js";
import { validateBmc } from "../credentials-check.js";
import type { HostScope, StatusDraft } from "../host-scope.js";
import { inspectRequest } from "../host-annotations.js";
import { delayed } from "./available.js";

export async function handleRegistering(scope: HostScope, draft: StatusDraft): Promise<ActionResult> {
  const check = await validateBmc(scope, draft, ErrorType.Registration);
  if (check !== undefined) return check;
  if (scope.host.spec.externallyProvisioned === true) return complete(ProvisioningState.ExternallyProvisioned);
  const inspectionOff = scope.host.spec.inspectionMode === "disabled" || inspectRequest(scope.host.metadata) === "disabled";
  if (inspectionOff) return complete(ProvisioningState.Preparing);
  if (!scope.limiter.hasCapacity(scope.hostKey)) return delayed(scope, draft);
  return complete(ProvisioningState.Inspecting);
}
