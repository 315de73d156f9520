/**
 * Claiming a host under optimistic concurrency (API conventions,
 * "Concurrency Control and Consistency"): the claim is a PUT of the host
 * carrying the resourceVersion it was chosen at, so of two machines that
 * chose the same host exactly one write lands; the other gets 409 Conflict,
 * lists again and chooses among what is left. No lock is shared, so this holds
 * across workers, processes and replicas alike (CAPM3 #1004 relied on an
 * in-process mutex).
 */
import { Label, type BareMetalHost } from "../../api/index.js";
import { isConflict, type ResourceClient } from "../runtime/index.js";
import { setOwner } from "./host-owner.js";
import { chooseHost, consumerRefOf, type Claimant } from "./select-host.js";

export interface ClaimOptions {
  readonly hosts: ResourceClient<BareMetalHost>;
  /** A fresh list of the hosts matching the machine's hostSelector (from the API server, not a cache). */
  readonly list: () => Promise<BareMetalHost[]>;
  readonly claimant: Claimant;
  readonly clusterName?: string;
  readonly failureDomain?: string;
  /** Lists-and-claims before giving up for this reconcile. @default 5 */
  readonly maxAttempts?: number;
  readonly random?: () => number;
  /** Called when another writer changed the chosen host first. */
  readonly onConflict?: (host: string) => void;
  readonly signal?: AbortSignal;
}

export type ClaimResult =
  | { readonly kind: "claimed"; readonly host: BareMetalHost; readonly alreadyOwned: boolean; readonly inFailureDomain: boolean }
  /** `contended`: hosts were free but others kept winning them; worth another try soon. */
  | { readonly kind: "none"; readonly message: string; readonly contended?: boolean };

export async function claimHost(o: ClaimOptions): Promise<ClaimResult> {
  const attempts = o.maxAttempts ?? 5;
  for (let i = 0; i < attempts; i++) {
    o.signal?.throwIfAborted();
    const choice = chooseHost(await o.list(), o.claimant, o.failureDomain, o.random);
    if (choice.kind === "none") return choice;
    if (choice.kind === "own") return { kind: "claimed", host: choice.host, alreadyOwned: true, inFailureDomain: false };
    const h = choice.host;
    const next: BareMetalHost = {
      ...h,
      metadata: {
        ...h.metadata,
        labels: { ...h.metadata.labels, ...(o.clusterName ? { [Label.ClusterName]: o.clusterName } : {}) },
      },
      spec: { ...h.spec, consumerRef: consumerRefOf(o.claimant) },
    };
    // The claimed host joins the machine's object graph (clusterctl move, ADR 0019).
    setOwner(next, o.claimant);
    try {
      const stored = await o.hosts.update(next, o.signal);
      return { kind: "claimed", host: stored, alreadyOwned: false, inFailureDomain: choice.inFailureDomain };
    } catch (err) {
      if (!isConflict(err)) throw err;
      o.onConflict?.(h.metadata.name ?? "");
    }
  }
  return { kind: "none", message: `lost the race for a host ${attempts} times in a row; trying again`, contended: true };
}
