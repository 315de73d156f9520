/**
 * Metal3's PROVISIONING_LIMIT on the watch cache: hosts busy in the ramdisk
 * (inspecting, provisioning, deprovisioning) are counted at each question,
 * so a restart loses no slot. A `yes` is also remembered for a short while
 * (`grantTtlMs`), until the cache shows that host busy: reconciles running
 * side by side each asked before any of them had written its new state, and
 * without the memory each saw the same last free slot (a fleet of 100 went
 * several hosts over the limit). A grant whose host never turned busy (its
 * write failed) frees its slot when it expires.
 *
 * A `no` puts the host on a waiting list, oldest first, so whoever sees a
 * slot free (the controller, on a host leaving a busy state) can wake the
 * hosts that have waited longest instead of leaving them to their next poll.
 * A host stays listed until it is granted a slot or stops asking for
 * `waitTtlMs` (its image was removed, it was deleted).
 */
import { ProvisioningState, type BareMetalHost } from "../../api/index.js";
import type { ProvisioningLimiter } from "../host/index.js";
import { keyOf } from "../runtime/index.js";

export const BUSY_STATES: ReadonlySet<string> = new Set([ProvisioningState.Inspecting, ProvisioningState.Provisioning, ProvisioningState.Deprovisioning]);

export const isBusy = (h: BareMetalHost | undefined): boolean => BUSY_STATES.has(h?.status?.provisioning.state ?? "");

export interface CacheLimiterOptions {
  /** How long a granted slot counts before the cache shows its host busy. @default 30_000 */
  readonly grantTtlMs?: number;
  /** How long a refused host stays on the waiting list without asking again. @default 120_000 */
  readonly waitTtlMs?: number;
  readonly now?: () => number;
}

export interface CacheLimiter extends ProvisioningLimiter {
  /** Up to `max` hosts refused a slot, longest waiting first (they stay listed until granted). */
  waiting(max: number): string[];
}

export function cacheLimiter(list: () => readonly BareMetalHost[], limit: number, o: CacheLimiterOptions = {}): CacheLimiter {
  const ttl = o.grantTtlMs ?? 30_000;
  const waitTtl = o.waitTtlMs ?? 120_000;
  const now = o.now ?? Date.now;
  /** Host key → when its grant lapses. */
  const granted = new Map<string, number>();
  /** Host key → when it last asked in vain; insertion order is the order they started waiting. */
  const waiters = new Map<string, number>();
  return {
    hasCapacity(hostKey: string): boolean {
      const busy = new Set(list().filter(isBusy).map(keyOf));
      const t = now();
      for (const [k, until] of granted) if (busy.has(k) || until <= t) granted.delete(k);
      if (busy.has(hostKey) || granted.has(hostKey)) {
        waiters.delete(hostKey);
        return true;
      }
      if (busy.size + granted.size >= limit) {
        // Map.set on a listed key keeps its place in line.
        waiters.set(hostKey, t);
        return false;
      }
      waiters.delete(hostKey);
      granted.set(hostKey, t + ttl);
      return true;
    },
    waiting(max: number): string[] {
      const t = now();
      const out: string[] = [];
      for (const [k, asked] of waiters) {
        if (asked + waitTtl <= t) waiters.delete(k);
        else if (out.length < max) out.push(k);
        else break;
      }
      return out;
    },
  };
}
