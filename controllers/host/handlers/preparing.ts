/**
 * `preparing`: Metal3 applies RAID and firmware settings here. Anvil applies
 * neither (both are reported by unsupported-spec.ts), so the step records
 * what later provisioning will use and moves on.
 */
import { DEFAULT_BOOT_MODE, ProvisioningState } from "../../../api/index.js";
import { complete, type ActionResult } from "../action-result.js";
import type { HostScope, StatusDraft } from "../host-scope.js";

export function handlePreparing(scope: HostScope, draft: StatusDraft): Promise<ActionResult> {
  draft.provisioning.bootMode = scope.host.spec.bootMode ?? DEFAULT_BOOT_MODE;
  const hints = scope.host.spec.rootDeviceHints;
  if (hints !== undefined) draft.provisioning.rootDeviceHints = hints;
  return Promise.resolve(complete(ProvisioningState.Available));
}
