/** `deleting`: nothing is left to undo; release the ramdisk and let the finalizer go. */
import type { ActionResult } from "../action-result.js";
import type { HostScope } from "../host-scope.js";

export async function handleDeleting(scope: HostScope): Promise<ActionResult> {
  await scope.provisioner.releaseRamdisk();
  return { kind: "delete-complete" };
}
