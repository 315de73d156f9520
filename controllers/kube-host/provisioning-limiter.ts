/**
 * Metal3's PROVISIONING_LIMIT on the watch cache: hosts busy in the ramdisk
 * (inspecting, provisioning, deprovisioning) are counted at each question,
 * so a restart loses no slot. A `yes` is also remembered for a short while
 * (`grantTtlMs`), until the cache shows that host busy: reconciles running
 * side by side each asked before any of them had written its new state, and
 * without the memory each saw the same last free slot (a fleet of 100 went
 * several hosts over the limit). A grant whose host never turned busy (its
 * write failed) frees its slot when it expires.
 */
import { ProvisioningState, type BareMetalHost } from "../../api/index.js";
import type { ProvisioningLimiter } from "../host/index.js";
import { keyOf } from "../runtime/index.js";

export const BUSY_STATES: ReadonlySet<string> = new Set([ProvisioningState.Inspecting, ProvisioningState.Provisioning, ProvisioningState.Deprovisioning]);

export interface CacheLimiterOptions {
  /** How long a granted slot counts before the cache shows its host busy. @default 30_000 */
  readonly grantTtlMs?: number;
  readonly now?: () => number;
}

export function cacheLimiter(list: () => readonly BareMetalHost[], limit: number, o: CacheLimiterOptions = {}): ProvisioningLimiter {
  const ttl = o.grantTtlMs ?? 30_000;
  const now = o.now ?? Date.now;
  /** Host key → when its grant lapses. */
  const granted = new Map<string, number>();
  return {
    hasCapacity(hostKey: string): boolean {
      const busy = new Set(list().filter((h) => BUSY_STATES.has(h.status?.provisioning.state ?? "")).map(keyOf));
      const t = now();
      for (const [k, until] of granted) if (busy.has(k) || until <= t) granted.delete(k);
      if (busy.has(hostKey) || granted.has(hostKey)) return true;
      if (busy.size + granted.size >= limit) return false;
      granted.set(hostKey, t + ttl);
      return true;
    },
  };
}
