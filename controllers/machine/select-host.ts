/**
 * Which BareMetalHost an AnvilMachine may claim, as pure functions. The rules
 * are CAPM3's (baremetal/metal3machine_manager.go chooseHost), kept so that
 * inventory behaves the same: a host this machine already consumes wins;
 * otherwise only `available` hosts with no consumer, no error, no paused or
 * detached annotation and no deletion qualify; hosts labelled with the
 * machine's failure domain are preferred, with fallback to any; the pick
 * among equals is random so that machines racing for a pool rarely collide.
 */
import {
  HostAnnotation,
  INFRASTRUCTURE_API_VERSION,
  INFRASTRUCTURE_GROUP,
  Label,
  OperationalStatus,
  ProvisioningState,
  type BareMetalHost,
} from "../../api/index.js";
import { isOwnedBy, setOwner } from "./host-owner.js";

/** The AnvilMachine asking for a host. */
export interface Claimant {
  readonly namespace: string;
  readonly name: string;
  readonly uid?: string;
}

export const CONSUMER_KIND = "AnvilMachine";

/** The host's consumerRef for `c`. */
export function consumerRefOf(c: Claimant): { apiVersion: string; kind: string; name: string; namespace: string; uid?: string } {
  return { apiVersion: INFRASTRUCTURE_API_VERSION, kind: CONSUMER_KIND, name: c.name, namespace: c.namespace, ...(c.uid ? { uid: c.uid } : {}) };
}

/**
 * Whether the host's consumerRef names this AnvilMachine. A uid on both sides
 * must agree, so a machine re-created under the same name never inherits the
 * claim of its deleted predecessor; unless the host is owned by this very
 * machine's UID: `clusterctl move` rewrote the ownerReference to the moved
 * machine's new UID, while the consumerRef still names the old one (ADR 0019).
 */
export function isConsumedBy(h: BareMetalHost, c: Claimant): boolean {
  const ref = h.spec.consumerRef;
  if (!ref || ref.kind !== CONSUMER_KIND || ref.name !== c.name) return false;
  if ((ref.apiVersion ?? "").split("/")[0] !== INFRASTRUCTURE_GROUP) return false;
  if ((ref.namespace || h.metadata.namespace) !== c.namespace) return false;
  return !(ref.uid && c.uid && ref.uid !== c.uid) || isOwnedBy(h, c);
}

/** The claim is this machine's but not yet written in its own terms (consumerRef UID, ownerReference). */
export function needsRebind(h: BareMetalHost, c: Claimant): boolean {
  return isConsumedBy(h, c) && c.uid !== undefined && (h.spec.consumerRef?.uid !== c.uid || !isOwnedBy(h, c));
}

/** Writes the claim in this machine's terms: its UID in the consumerRef, it as the host's owner. */
export function rebind(h: BareMetalHost, c: Claimant): void {
  if (!isConsumedBy(h, c)) return;
  h.spec.consumerRef = consumerRefOf(c);
  setOwner(h, c);
}

export type Rejection = "claimed" | "deleting" | "paused" | "detached" | "error" | "image set" | `state ${string}`;

/** Why a host cannot be claimed, or undefined when it can. */
export function rejectionOf(h: BareMetalHost): Rejection | undefined {
  if (h.spec.consumerRef) return "claimed";
  if (h.metadata.deletionTimestamp !== undefined) return "deleting";
  const ann = h.metadata.annotations ?? {};
  if (HostAnnotation.Paused in ann) return "paused";
  if (HostAnnotation.Detached in ann || h.status?.operationalStatus === OperationalStatus.Detached) return "detached";
  if (h.status?.operationalStatus === OperationalStatus.Error || (h.status?.errorMessage ?? "") !== "") return "error";
  const state = h.status?.provisioning.state ?? "";
  // `ready` is the deprecated name of `available` that old operators wrote.
  if (state !== ProvisioningState.Available && state !== ProvisioningState.Ready) return `state ${state === "" ? "(none)" : state}`;
  // An image on an unclaimed host means someone provisions it by hand.
  if (h.spec.image?.url) return "image set";
  return undefined;
}

export type Selection =
  /** The machine already consumes this host (a claim whose status write was lost). */
  | { readonly kind: "own"; readonly host: BareMetalHost }
  | { readonly kind: "pick"; readonly host: BareMetalHost; readonly inFailureDomain: boolean }
  | { readonly kind: "none"; readonly message: string };

/** Chooses among hosts already filtered by the machine's hostSelector (on the API server). */
export function chooseHost(
  hosts: readonly BareMetalHost[],
  c: Claimant,
  failureDomain: string | undefined,
  random: () => number = Math.random,
): Selection {
  const own = hosts.find((h) => isConsumedBy(h, c));
  if (own) return { kind: "own", host: own };
  const free: BareMetalHost[] = [];
  const why = new Map<string, number>();
  for (const h of hosts) {
    const r = rejectionOf(h);
    if (r === undefined) free.push(h);
    else why.set(r, (why.get(r) ?? 0) + 1);
  }
  if (free.length === 0) return { kind: "none", message: noHostMessage(hosts.length, why) };
  const inFd = failureDomain ? free.filter((h) => h.metadata.labels?.[Label.FailureDomain] === failureDomain) : [];
  const pool = inFd.length > 0 ? inFd : free;
  const host = pool[Math.min(pool.length - 1, Math.floor(random() * pool.length))];
  if (!host) return { kind: "none", message: noHostMessage(hosts.length, why) };
  return { kind: "pick", host, inFailureDomain: inFd.length > 0 };
}

/** "no available host among 3 matching hostSelector: 2 claimed, 1 state inspecting" */
export function noHostMessage(matched: number, why: ReadonlyMap<string, number>): string {
  if (matched === 0) return "no BareMetalHost in the namespace matches hostSelector";
  const detail = [...why.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([r, n]) => `${n} ${r}`)
    .join(", ");
  return `no available host among ${matched} matching hostSelector: ${detail}`;
}
