/**
 * KindRefs of Anvil's own kinds, derived from their definitions in api/ so a
 * group or plural is never spelled twice.
 */
import { AnvilClusterKind, AnvilMachineKind, BareMetalHostKind, HardwareDataKind, type DefinedKind } from "../../api/index.js";
import type { KindRef } from "./object.js";

export function kindRefOf<S, St>(k: DefinedKind<S, St>): KindRef {
  const d = k.crd.spec;
  const version = d.versions.find((v) => v.storage)?.name ?? d.versions[0]?.name ?? "";
  return { group: d.group, version, kind: d.names.kind, plural: d.names.plural, namespaced: d.scope === "Namespaced" };
}

export const BareMetalHostRef = kindRefOf(BareMetalHostKind);
export const HardwareDataRef = kindRefOf(HardwareDataKind);
export const AnvilClusterRef = kindRefOf(AnvilClusterKind);
export const AnvilMachineRef = kindRefOf(AnvilMachineKind);

/**
 * Cluster API core kinds at the v1beta2 contract (CAPI v1.14 serves and
 * stores v1beta2). Anvil reads them; only CAPI writes them.
 */
export const CapiClusterRef: KindRef = { group: "cluster.x-k8s.io", version: "v1beta2", kind: "Cluster", plural: "clusters", namespaced: true };
export const CapiMachineRef: KindRef = { group: "cluster.x-k8s.io", version: "v1beta2", kind: "Machine", plural: "machines", namespaced: true };
