/**
 * The AnvilMachine as an owner of the host it claimed (ADR 0019). The
 * ownerReference is what carries a claimed host, and with it the host's own
 * children (agent-state Secret, HardwareData), into the Cluster's object
 * graph that `clusterctl move` copies; clusterctl rewrites it to the target
 * AnvilMachine's UID, which is how that machine recognises the host as its
 * own although the host's consumerRef still names the source machine's UID.
 *
 * Not a controller reference (the host controller owns the host) and no
 * blockOwnerDeletion: the AnvilMachine's finalizer already waits for the
 * release, which drops the reference before the machine goes.
 */
import { INFRASTRUCTURE_API_VERSION, INFRASTRUCTURE_GROUP, type BareMetalHost } from "../../api/index.js";

/** The parts of an AnvilMachine its host's ownerReference names. */
export interface HostOwner {
  readonly name: string;
  readonly uid?: string;
}

const OWNER_KIND = "AnvilMachine";

const isMachineRef = (r: { apiVersion: string; kind: string }): boolean => r.kind === OWNER_KIND && r.apiVersion.split("/")[0] === INFRASTRUCTURE_GROUP;

/** Whether the host carries an ownerReference to this very AnvilMachine (same UID). */
export function isOwnedBy(h: BareMetalHost, o: HostOwner): boolean {
  if (!o.uid) return false;
  return (h.metadata.ownerReferences ?? []).some((r) => isMachineRef(r) && r.name === o.name && r.uid === o.uid);
}

/** Makes `o` the host's one AnvilMachine owner (a stale one of an earlier claim is replaced). */
export function setOwner(h: BareMetalHost, o: HostOwner): void {
  if (!o.uid || isOwnedBy(h, o)) return;
  const others = (h.metadata.ownerReferences ?? []).filter((r) => !isMachineRef(r));
  h.metadata.ownerReferences = [...others, { apiVersion: INFRASTRUCTURE_API_VERSION, kind: OWNER_KIND, name: o.name, uid: o.uid }];
}

/** Drops this machine's ownerReference (any UID: the claim is what goes). */
export function dropOwner(h: BareMetalHost, o: HostOwner): void {
  const refs = h.metadata.ownerReferences;
  if (!refs?.some((r) => isMachineRef(r) && r.name === o.name)) return;
  const rest = refs.filter((r) => !(isMachineRef(r) && r.name === o.name));
  if (rest.length > 0) h.metadata.ownerReferences = rest;
  else delete h.metadata.ownerReferences;
}
