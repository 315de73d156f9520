/**
 * The shape every Kubernetes object shares, and the names that locate one
 * kind on the API server. Work-queue keys are `namespace/name` (or `name`
 * for cluster-scoped kinds), as client-go's MetaNamespaceKeyFunc makes them.
 */
import type { ObjectMeta } from "../../api/common/meta.js";

export type { ObjectMeta };

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
}

export interface KindRef {
  /** "" for the core group. */
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  readonly plural: string;
  readonly namespaced: boolean;
}

export const apiVersionOf = (k: KindRef): string => (k.group ? `${k.group}/${k.version}` : k.version);

export function collectionPath(k: KindRef, namespace?: string): string {
  const base = k.group ? `/apis/${k.group}/${k.version}` : `/api/${k.version}`;
  return k.namespaced && namespace ? `${base}/namespaces/${encodeURIComponent(namespace)}/${k.plural}` : `${base}/${k.plural}`;
}

export function objectPath(k: KindRef, namespace: string | undefined, name: string): string {
  return `${collectionPath(k, namespace)}/${encodeURIComponent(name)}`;
}

export function keyOf(obj: KubeObject): string {
  const ns = obj.metadata?.namespace;
  const name = obj.metadata?.name ?? "";
  return ns ? `${ns}/${name}` : name;
}

export function splitKey(key: string): { namespace: string | undefined; name: string } {
  const i = key.indexOf("/");
  return i < 0 ? { namespace: undefined, name: key } : { namespace: key.slice(0, i), name: key.slice(i + 1) };
}

/** Core kinds the runtime itself uses. */
export const SecretKind: KindRef = { group: "", version: "v1", kind: "Secret", plural: "secrets", namespaced: true };
export const ConfigMapKind: KindRef = { group: "", version: "v1", kind: "ConfigMap", plural: "configmaps", namespaced: true };
export const LeaseKind: KindRef = { group: "coordination.k8s.io", version: "v1", kind: "Lease", plural: "leases", namespaced: true };
export const EventKind: KindRef = { group: "events.k8s.io", version: "v1", kind: "Event", plural: "events", namespaced: true };
