/**
 * The few fields of Cluster API's v1beta2 Cluster and Machine that Anvil
 * reads (sigs.k8s.io/cluster-api/api/core/v1beta2 cluster_types.go,
 * machine_types.go). CAPI owns these objects: Anvil never writes them.
 */
import { CapiAnnotation, type APIEndpoint } from "../../api/index.js";
import type { KubeObject, ObjectMeta } from "../runtime/index.js";

/** v1beta2 contract references name a group, not an apiVersion. */
export interface ContractVersionedObjectReference {
  readonly apiGroup?: string;
  readonly kind?: string;
  readonly name?: string;
}

export interface CapiCluster extends KubeObject {
  metadata: ObjectMeta;
  spec?: {
    paused?: boolean;
    controlPlaneEndpoint?: Partial<APIEndpoint>;
    infrastructureRef?: ContractVersionedObjectReference;
  };
  status?: {
    initialization?: { infrastructureProvisioned?: boolean; controlPlaneInitialized?: boolean };
  };
}

export interface CapiMachine extends KubeObject {
  metadata: ObjectMeta;
  spec?: {
    clusterName?: string;
    failureDomain?: string;
    bootstrap?: { configRef?: ContractVersionedObjectReference; dataSecretName?: string };
    infrastructureRef?: ContractVersionedObjectReference;
  };
}

export const CAPI_GROUP = "cluster.x-k8s.io";

/** The object's owner of `kind` in CAPI's group, as the Cluster and Machine controllers set it. */
export function capiOwnerName(obj: KubeObject, kind: "Cluster" | "Machine"): string | undefined {
  const ref = obj.metadata?.ownerReferences?.find((r) => r.kind === kind && r.apiVersion.split("/")[0] === CAPI_GROUP);
  return ref?.name;
}

/**
 * CAPI's `annotations.IsPaused(cluster, obj)`: the Cluster's spec.paused or
 * the object's own `cluster.x-k8s.io/paused` annotation (any value).
 */
export function isPaused(cluster: CapiCluster | undefined, obj: KubeObject): boolean {
  return cluster?.spec?.paused === true || CapiAnnotation.Paused in (obj.metadata?.annotations ?? {});
}

/** Whether `ref` points at an object of our group and `kind` called `name`. */
export function refersTo(ref: ContractVersionedObjectReference | undefined, apiGroup: string, kind: string, name: string): boolean {
  return ref?.apiGroup === apiGroup && ref.kind === kind && ref.name === name;
}
