/**
 * Keeps the `HardwareData` object (same name and namespace as its host,
 * owned by it) equal to the host's `status.hardware`, as baremetal-operator
 * does after inspection, so tools that read HardwareData (CAPM3's host
 * selection, `kubectl get hardwaredata`) see what Anvil found.
 */
import { isDeepStrictEqual } from "node:util";
import type { BareMetalHost, HardwareData, HardwareDetails } from "../../api/index.js";
import { ApiErrorCode, BareMetalHostRef, isApiError, isNotFound, keyOf, updateObject, type ResourceClient } from "../runtime/index.js";
import type { FreshCache } from "./fresh-cache.js";

export async function syncHardwareData(
  client: ResourceClient<HardwareData>,
  cache: FreshCache<HardwareData>,
  host: BareMetalHost,
  hardware: HardwareDetails,
  signal?: AbortSignal,
): Promise<void> {
  const existing = cache.get(keyOf(host));
  if (existing !== undefined && isDeepStrictEqual(existing.spec.hardware, hardware)) return;
  const opts = signal ? { signal } : {};
  if (existing !== undefined) {
    cache.wrote(await updateObject(client, existing, (d) => void (d.spec = { hardware }), opts));
    return;
  }
  const fresh: HardwareData = {
    apiVersion: "metal3.io/v1alpha1",
    kind: "HardwareData",
    metadata: {
      name: host.metadata.name ?? "",
      namespace: host.metadata.namespace ?? "",
      ownerReferences: [
        { apiVersion: `${BareMetalHostRef.group}/${BareMetalHostRef.version}`, kind: BareMetalHostRef.kind, name: host.metadata.name ?? "", uid: host.metadata.uid ?? "", controller: true },
      ],
    },
    spec: { hardware },
  };
  try {
    cache.wrote(await client.create(fresh, signal));
  } catch (err) {
    if (!isApiError(err, ApiErrorCode.AlreadyExists)) throw err;
    const current = await client.get(host.metadata.namespace, host.metadata.name ?? "", signal);
    cache.wrote(await updateObject(client, current, (d) => void (d.spec = { hardware }), opts));
  }
}

/** Deletes the host's HardwareData (without a garbage collector the owner reference alone would not). */
export async function deleteHardwareData(client: ResourceClient<HardwareData>, cache: FreshCache<HardwareData>, host: BareMetalHost, signal?: AbortSignal): Promise<void> {
  try {
    await client.delete(host.metadata.namespace, host.metadata.name ?? "", signal ? { signal } : {});
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  cache.forget(keyOf(host));
}
