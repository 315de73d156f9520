/**
 * The AnvilMachine reconciler (CAPI v1beta2 InfraMachine contract, book:
 * developer/providers/contracts/infra-machine). In order, each step's wait
 * is reported in the Ready condition's reason:
 * owner Machine (WaitingForOwner) → Cluster infrastructure provisioned
 * (WaitingForClusterInfrastructure) → bootstrap data (WaitingForBootstrapData)
 * → a host claimed (NoAvailableHost) → providerID, config-drive Secrets and
 * the host's spec written → the host provisioned (Provisioning, HostError,
 * Provisioned). Deletion takes the image away, waits for the host to
 * deprovision, then drops the claim; only then does the finalizer go.
 */
import {
  CapiAnnotation,
  ConditionReason,
  ConditionType,
  Finalizer,
  Label,
  providerID,
  type AnvilMachine,
  type BareMetalHost,
} from "../../api/index.js";
import {
  ApiErrorCode,
  isApiError,
  isNotFound,
  objectReconciler,
  updateObject,
  type EventRecorder,
  type Informer,
  type ReconcileOutcome,
  type Reconciler,
  type ResourceClient,
  type Scope,
} from "../runtime/index.js";
import { capiOwnerName, isPaused, type CapiCluster, type CapiMachine } from "../cluster/capi-objects.js";
import { setObjectCondition } from "../cluster/object-condition.js";
import { claimHost } from "./claim.js";
import { deleteSecret, ensureSecret, metaDataSecret, metaDataSecretName, userDataSecret, userDataSecretName, type Secret } from "./data-secrets.js";
import { addressesOf, holdsImage, hostProgress } from "./host-progress.js";
import { applyPayload, clearPayload, dropClaim, HostLostError, isPausedByUs, pause, unpause } from "./host-spec.js";
import { selectorQuery } from "./label-selector.js";
import { BootstrapSecretMissing, hostOfProviderID, preferredDomain, resolveUserData } from "./machine-inputs.js";
import { moveReadiness } from "./move-readiness.js";
import { isConsumedBy, needsRebind, rebind, type Claimant } from "./select-host.js";

export interface MachineReconcilerDeps {
  readonly client: ResourceClient<AnvilMachine>;
  readonly cache: Informer<AnvilMachine>;
  readonly hostClient: ResourceClient<BareMetalHost>;
  readonly hosts: Informer<BareMetalHost>;
  readonly machines: Informer<CapiMachine>;
  readonly clusters: Informer<CapiCluster>;
  readonly secrets: ResourceClient<Secret>;
  readonly events?: EventRecorder;
  /** Called when a claim lost a race (tests, metrics). */
  readonly onClaimConflict?: (host: string) => void;
  readonly random?: () => number;
  readonly now?: () => Date;
}

/** How often a machine with no host looks again (a freed host also wakes it at once). */
export const NO_HOST_RECHECK_MS = 30_000;
/** How often a machine whose bootstrap Secret is missing looks again (Secrets are not watched). */
export const BOOTSTRAP_RECHECK_MS = 10_000;
/** How often deletion looks at a deprovisioning host (its status changes also wake it). */
export const RELEASE_RECHECK_MS = 10_000;
/** How often a paused machine looks at a host it waits on for the move (the host's changes also wake it). */
export const MOVE_RECHECK_MS = 5_000;
/** The block-move value: who blocks, for the person reading it. */
export const BLOCK_MOVE_VALUE = "anvil: the host is not paused with its status saved yet";

const movingAway = (am: AnvilMachine): boolean => CapiAnnotation.DeleteForMove in (am.metadata.annotations ?? {});

const claimantOf = (am: AnvilMachine): Claimant => ({
  namespace: am.metadata.namespace ?? "",
  name: am.metadata.name ?? "",
  ...(am.metadata.uid ? { uid: am.metadata.uid } : {}),
});

export function machineReconciler(d: MachineReconcilerDeps): Reconciler {
  const ns = (am: AnvilMachine): string => am.metadata.namespace ?? "";
  const ownerMachine = (am: AnvilMachine): CapiMachine | undefined => {
    const name = capiOwnerName(am, "Machine");
    return name ? d.machines.get(`${ns(am)}/${name}`) : undefined;
  };
  const clusterOf = (am: AnvilMachine): CapiCluster | undefined => {
    const name = ownerMachine(am)?.spec?.clusterName;
    return name ? d.clusters.get(`${ns(am)}/${name}`) : undefined;
  };
  const cond = (am: AnvilMachine, type: string, ok: boolean, reason: string, message: string): void =>
    setObjectCondition(am, type, ok, reason, message, d.now?.());
  const wait = (am: AnvilMachine, reason: string, message: string): void => cond(am, ConditionType.Ready, false, reason, message);

  /**
   * The host this machine holds: the one its providerID (or hostRef) names,
   * else any host whose consumerRef points here (a claim whose providerID
   * write was lost). `lost` when a named host is gone or taken.
   */
  async function findHost(am: AnvilMachine, signal: AbortSignal): Promise<{ host?: BareMetalHost; lost?: string }> {
    const c = claimantOf(am);
    const named = hostOfProviderID(am.spec.providerID) ?? am.status?.hostRef?.name;
    if (named) {
      let h = d.hosts.get(`${c.namespace}/${named}`);
      // The cache may lag our own claim; the API server does not.
      if (!h || !isConsumedBy(h, c)) {
        try {
          h = await d.hostClient.get(c.namespace, named, signal);
        } catch (err) {
          if (!isNotFound(err)) throw err;
          return { lost: `host ${c.namespace}/${named} no longer exists` };
        }
      }
      return isConsumedBy(h, c) ? { host: h } : { lost: `host ${c.namespace}/${named} is no longer claimed by this machine` };
    }
    const h = d.hosts.list((x) => x.metadata.namespace === c.namespace && isConsumedBy(x, c))[0];
    return h ? { host: h } : {};
  }

  /**
   * Claims of this machine on other hosts than its own. Only two managers
   * acting at once (no leader election) can leave one: both claim a host for
   * the same machine, one providerID write wins. The loser never got a
   * payload, so dropping its claim is all there is to undo.
   */
  async function releaseStrayClaims(c: Claimant, keep: string, signal: AbortSignal): Promise<void> {
    const strays = d.hosts.list((x) => x.metadata.namespace === c.namespace && x.metadata.name !== keep && isConsumedBy(x, c) && !x.spec.image);
    for (const stray of strays) {
      await writeHost(stray, (x) => {
        if (!x.spec.image) dropClaim(x, c);
      }, signal).catch((err: unknown) => {
        if (!isNotFound(err)) throw err;
      });
    }
  }

  async function bootstrapMissing(namespace: string, name: string, signal: AbortSignal): Promise<string | undefined> {
    try {
      await d.secrets.get(namespace, name, signal);
      return undefined;
    } catch (err) {
      if (!isNotFound(err)) throw err;
      return new BootstrapSecretMissing(namespace, name).message;
    }
  }

  async function writeHost(h: BareMetalHost, mutate: (d: BareMetalHost) => void, signal: AbortSignal): Promise<BareMetalHost> {
    return updateObject(d.hostClient, h, mutate, { signal });
  }

  /** Sets or lifts the machine's block-move annotation (ADR 0019); `am` follows the stored object. */
  async function setBlockMove(am: AnvilMachine, block: boolean, signal: AbortSignal): Promise<void> {
    if (block === CapiAnnotation.BlockMove in (am.metadata.annotations ?? {})) return;
    const stored = await updateObject(d.client, am, (x) => {
      const { [CapiAnnotation.BlockMove]: _gone, ...rest } = x.metadata.annotations ?? {};
      x.metadata.annotations = block ? { ...rest, [CapiAnnotation.BlockMove]: BLOCK_MOVE_VALUE } : rest;
    }, { signal });
    am.metadata = { ...am.metadata, annotations: stored.metadata.annotations ?? {}, ...(stored.metadata.resourceVersion ? { resourceVersion: stored.metadata.resourceVersion } : {}) };
  }

  async function reconcileNormal({ object: am, signal }: Scope<AnvilMachine>): Promise<ReconcileOutcome> {
    cond(am, ConditionType.Paused, false, ConditionReason.NotPaused, "");
    // Present before clusterctl pauses the Cluster, so a move waits for the host to freeze.
    await setBlockMove(am, true, signal);
    const machine = ownerMachine(am);
    if (!machine) {
      wait(am, ConditionReason.WaitingForOwner, "waiting for the Machine controller to set the owner reference");
      return { kind: "done" };
    }
    const clusterName = machine.spec?.clusterName ?? "";
    const cluster = clusterOf(am);
    if (!cluster?.status?.initialization?.infrastructureProvisioned) {
      wait(am, ConditionReason.WaitingForClusterInfrastructure, `waiting for Cluster ${clusterName} to report its infrastructure provisioned`);
      return { kind: "done" };
    }
    const c = claimantOf(am);
    const found = await findHost(am, signal);
    let host = found.host;
    if (found.lost !== undefined) {
      // providerID is fixed once set: the Machine is bound to that host and a
      // MachineHealthCheck replaces it; picking another would lie about it.
      cond(am, ConditionType.HostAssociated, false, ConditionReason.HostLost, found.lost);
      wait(am, ConditionReason.HostLost, found.lost);
      return { kind: "done" };
    }

    const userData = resolveUserData(am, machine);
    if (!host && !userData.ok) {
      cond(am, ConditionType.HostAssociated, false, ConditionReason.WaitingForBootstrapData, userData.message);
      wait(am, ConditionReason.WaitingForBootstrapData, userData.message);
      return { kind: "done" };
    }
    if (!host) {
      // Holding a host while the bootstrap Secret is missing would starve other machines.
      const missing = userData.ok && userData.bootstrapSecret ? await bootstrapMissing(c.namespace, userData.bootstrapSecret, signal) : undefined;
      if (missing) {
        cond(am, ConditionType.HostAssociated, false, ConditionReason.WaitingForBootstrapData, missing);
        wait(am, ConditionReason.WaitingForBootstrapData, missing);
        return { kind: "requeue", afterMs: BOOTSTRAP_RECHECK_MS };
      }
      const selector = selectorQuery(am.spec.hostSelector);
      let claim;
      try {
        claim = await claimHost({
          hosts: d.hostClient,
          list: async () => (await d.hostClient.list({ namespace: c.namespace, ...(selector ? { labelSelector: selector } : {}), signal })).items,
          claimant: c,
          clusterName,
          ...(preferredDomain(am, machine) ? { failureDomain: preferredDomain(am, machine) } : {}),
          ...(d.random ? { random: d.random } : {}),
          ...(d.onClaimConflict ? { onConflict: d.onClaimConflict } : {}),
          signal,
        });
      } catch (err) {
        if (!isApiError(err, ApiErrorCode.BadRequest)) throw err;
        claim = { kind: "none" as const, message: `hostSelector is not a valid label selector: ${err.message}` };
      }
      if (claim.kind === "none") {
        cond(am, ConditionType.HostAssociated, false, ConditionReason.NoAvailableHost, claim.message);
        wait(am, ConditionReason.NoAvailableHost, claim.message);
        // A machine that only lost races tries again within a second or two
        // (jittered, so the losers do not collide again); none free: 30 s.
        const random = d.random ?? Math.random;
        return { kind: "requeue", afterMs: claim.contended ? 500 + Math.floor(random() * 1500) : NO_HOST_RECHECK_MS };
      }
      host = claim.host;
      if (!claim.alreadyOwned) d.events?.normal(am, "HostAssociated", "Associate", `claimed host ${host.metadata.name ?? ""}${claim.inFailureDomain ? " in the requested failure domain" : ""}`);
    }
    const hostName = host.metadata.name ?? "";
    const id = providerID(c.namespace, hostName, c.name);
    if (am.spec.providerID !== id) {
      // A spec write; the status patch that follows replays onto it on conflict.
      const stored = await updateObject(d.client, am, (x) => {
        x.spec.providerID ??= id;
      }, { signal });
      // Another writer bound the machine to another host first: follow that
      // binding on the next pass (which releases this claim as a stray).
      if (stored.spec.providerID !== id) return { kind: "requeue", afterMs: 0 };
      am.spec.providerID = id;
    }
    cond(am, ConditionType.HostAssociated, true, ConditionReason.HostAssociated, `host ${c.namespace}/${hostName}`);
    await releaseStrayClaims(c, hostName, signal);
    // A moved host still names the source machine's UID, or a claim predates the ownerReference.
    if (needsRebind(host, c)) host = await writeHost(host, (h) => rebind(h, c), signal);

    // The payload is written once: a later change of the AnvilMachine's
    // image must not re-image a running node (CAPI replaces machines instead).
    if (!host.spec.image || !host.spec.userData || !host.spec.metaData || isPausedByUs(host)) {
      try {
        host = await provide(am, machine, host, id, clusterName, signal);
      } catch (err) {
        if (!(err instanceof BootstrapSecretMissing)) throw err;
        wait(am, ConditionReason.WaitingForBootstrapData, err.message);
        return { kind: "requeue", afterMs: BOOTSTRAP_RECHECK_MS };
      }
    }
    report(am, host);
    return { kind: "done" };
  }

  /** Writes the config-drive Secrets, then the host's spec (the Secrets first: the host may start at once). */
  async function provide(am: AnvilMachine, machine: CapiMachine, host: BareMetalHost, id: string, clusterName: string, signal: AbortSignal): Promise<BareMetalHost> {
    const c = claimantOf(am);
    const userData = resolveUserData(am, machine);
    let userDataRef = { name: userDataSecretName(c.name), namespace: c.namespace };
    if (userData.ok && userData.secretRef) userDataRef = userData.secretRef;
    else if (userData.ok && userData.bootstrapSecret) {
      const name = userData.bootstrapSecret;
      const bootstrap = await d.secrets.get(c.namespace, name, signal).catch((err: unknown) => {
        throw isNotFound(err) ? new BootstrapSecretMissing(c.namespace, name) : err;
      });
      await ensureSecret(d.secrets, userDataSecret(am, bootstrap, clusterName), signal);
    }
    const metaRef = am.spec.metaData?.name
      ? { name: am.spec.metaData.name, namespace: c.namespace }
      : (await ensureSecret(d.secrets, metaDataSecret(am, host, id, clusterName), signal), { name: metaDataSecretName(c.name), namespace: c.namespace });
    return writeHost(host, (h) => {
      unpause(h);
      applyPayload(h, c, {
        image: am.spec.image,
        userData: userDataRef,
        metaData: metaRef,
        ...(am.spec.networkData?.name ? { networkData: { name: am.spec.networkData.name, namespace: c.namespace } } : {}),
        ...(am.spec.automatedCleaningMode ? { automatedCleaningMode: am.spec.automatedCleaningMode } : {}),
        clusterName,
      });
    }, signal);
  }

  function report(am: AnvilMachine, host: BareMetalHost): void {
    const status = (am.status ??= {});
    status.hostRef = { name: host.metadata.name ?? "", namespace: ns(am) };
    const fd = host.metadata.labels?.[Label.FailureDomain];
    if (fd) status.failureDomain = fd;
    const addresses = addressesOf(host);
    if (addresses.length > 0) status.addresses = addresses;
    const p = hostProgress(host);
    cond(am, ConditionType.HostProvisioned, p.provisioned, p.reason, p.message);
    // Never reset once true (contract); a later host error shows in Ready.
    if (p.provisioned) status.initialization = { ...status.initialization, provisioned: true };
    cond(am, ConditionType.Ready, p.provisioned && p.reason === ConditionReason.Provisioned, p.reason, p.message);
  }

  async function reconcileDelete({ object: am, signal }: Scope<AnvilMachine>): Promise<ReconcileOutcome> {
    // Deleted from this management cluster by clusterctl move: the machine and its host live on in the target.
    if (movingAway(am)) return { kind: "done" };
    const c = claimantOf(am);
    const found = await findHost(am, signal);
    // Release decides on the host's state: read it from the API server, a
    // lagging cache must not hand a still-deprovisioning host on.
    const host = found.host ? await d.hostClient.get(c.namespace, found.host.metadata.name ?? "", signal).catch((err: unknown) => {
      if (isNotFound(err)) return undefined;
      throw err;
    }) : undefined;
    if (host) {
      const h = await writeHost(host, (x) => clearPayload(x, c), signal).catch((err: unknown) => {
        if (err instanceof HostLostError || isNotFound(err)) return undefined;
        throw err;
      });
      if (h && holdsImage(h) && h.metadata.deletionTimestamp === undefined) {
        const msg = `waiting for host ${c.namespace}/${h.metadata.name ?? ""} to deprovision (state ${h.status?.provisioning.state ?? ""})`;
        cond(am, ConditionType.HostProvisioned, false, ConditionReason.Deprovisioning, msg);
        wait(am, ConditionReason.Deprovisioning, msg);
        return { kind: "requeue", afterMs: RELEASE_RECHECK_MS };
      }
      if (h) {
        // Re-checked inside the write: a conflict re-reads the host, whose state may have moved.
        const released = await writeHost(h, (x) => {
          if (!holdsImage(x) || x.metadata.deletionTimestamp !== undefined) dropClaim(x, c);
        }, signal).catch((err: unknown) => {
          if (!isNotFound(err)) throw err;
        });
        if (released && isConsumedBy(released, c)) return { kind: "requeue", afterMs: RELEASE_RECHECK_MS };
        d.events?.normal(am, "HostReleased", "Release", `released host ${host.metadata.name ?? ""}`);
      }
    }
    await deleteSecret(d.secrets, c.namespace, userDataSecretName(c.name), signal);
    await deleteSecret(d.secrets, c.namespace, metaDataSecretName(c.name), signal);
    return { kind: "done" };
  }

  /** Paused machines that still block a move, by key. */
  const pausedRecheck = new Set<string>();

  /**
   * A paused Cluster pauses the claimed host once it is settled; the
   * machine's block-move goes when the host is paused with its status saved
   * (ADR 0019). Until then the host's changes (and a recheck) wake it again.
   */
  async function onPaused({ object: am, signal }: Scope<AnvilMachine>): Promise<void> {
    if (movingAway(am)) return;
    const { host: found } = await findHost(am, signal);
    let host = found;
    let step = moveReadiness(host);
    if (step.kind === "pause-host" && host) {
      host = await writeHost(host, pause, signal);
      step = moveReadiness(host);
    }
    const why = step.kind === "wait" ? `; move blocked: ${step.message}` : host ? "; the claimed host is paused too" : "";
    cond(am, ConditionType.Paused, true, ConditionReason.Paused, `reconciliation is paused by the Cluster's spec.paused or the cluster.x-k8s.io/paused annotation${why}`);
    await setBlockMove(am, step.kind !== "ready", signal);
    if (step.kind !== "ready") pausedRecheck.add(`${ns(am)}/${am.metadata.name ?? ""}`);
  }

  const inner = objectReconciler<AnvilMachine>({
    client: d.client,
    cache: d.cache,
    finalizer: Finalizer.AnvilMachine,
    isPaused: (am) => isPaused(clusterOf(am), am),
    onPaused,
    reconcileNormal,
    reconcileDelete,
  });
  return async (key, signal) => {
    pausedRecheck.delete(key);
    const outcome = await inner(key, signal);
    // onPaused cannot requeue by itself: a machine still blocking a move looks again.
    return pausedRecheck.delete(key) && outcome.kind === "done" ? { kind: "requeue", afterMs: MOVE_RECHECK_MS } : outcome;
  };
}
