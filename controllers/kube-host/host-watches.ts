/**
 * Which events reach the host work queue. Secrets map to the hosts that name
 * them (credentials, user data, meta-data, network data), so a fixed Secret
 * is retried at once rather than after the error backoff. Host events that
 * change only the status (our own writes, which requeue explicitly) are
 * dropped, as controller-runtime's GenerationChanged predicate does; a
 * resync (same object twice) passes so power drift is still re-checked.
 */
import { isDeepStrictEqual } from "node:util";
import type { BareMetalHost } from "../../api/index.js";
import { secretKey, type Secret } from "./secret.js";

export function hostsNamingSecret(hosts: readonly BareMetalHost[], s: Secret): BareMetalHost[] {
  const ns = s.metadata?.namespace ?? "";
  const key = `${ns}/${s.metadata?.name ?? ""}`;
  return hosts.filter((h) => {
    const hns = h.metadata.namespace ?? "";
    const spec = h.spec;
    const refs = [
      secretKey(hns, spec.bmc?.credentialsName),
      secretKey(hns, spec.userData),
      secretKey(hns, spec.metaData),
      secretKey(hns, spec.networkData),
      secretKey(hns, spec.preprovisioningNetworkDataName),
    ];
    return refs.includes(key);
  });
}

export function hostEventFilter(oldObj: BareMetalHost | undefined, newObj: BareMetalHost): boolean {
  if (oldObj === undefined || oldObj === newObj) return true;
  const a = oldObj.metadata;
  const b = newObj.metadata;
  return (
    a.generation !== b.generation ||
    a.deletionTimestamp !== b.deletionTimestamp ||
    !isDeepStrictEqual(a.annotations ?? {}, b.annotations ?? {}) ||
    !isDeepStrictEqual(a.finalizers ?? [], b.finalizers ?? []) ||
    !isDeepStrictEqual(a.labels ?? {}, b.labels ?? {}) ||
    // Someone else rewrote the status (a restore, a human): look again.
    (newObj.status === undefined && oldObj.status !== undefined)
  );
}
