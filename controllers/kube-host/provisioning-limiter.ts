/**
 * Metal3's PROVISIONING_LIMIT on the watch cache: hosts busy in the ramdisk
 * (inspecting, provisioning, deprovisioning) are counted at each question,
 * so no slot is held in memory and a restart loses none. Hosts reconciled
 * at the same instant may each see the last free slot (up to `concurrency`
 * − 1 over the limit, briefly); our own writes are seen at once (FreshCache).
 */
import { ProvisioningState, type BareMetalHost } from "../../api/index.js";
import type { ProvisioningLimiter } from "../host/index.js";
import { keyOf } from "../runtime/index.js";

export const BUSY_STATES: ReadonlySet<string> = new Set([ProvisioningState.Inspecting, ProvisioningState.Provisioning, ProvisioningState.Deprovisioning]);

export function cacheLimiter(list: () => readonly BareMetalHost[], limit: number): ProvisioningLimiter {
  return {
    hasCapacity(hostKey: string): boolean {
      const busy = list().filter((h) => BUSY_STATES.has(h.status?.provisioning.state ?? ""));
      if (busy.some((h) => keyOf(h) === hostKey)) return true;
      return busy.length < limit;
    },
  };
}
