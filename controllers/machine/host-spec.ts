/**
 * The host fields an AnvilMachine writes, as mutations for updateObject: the
 * claim's payload (image, power, config-drive Secrets — what CAPM3 writes on
 * associate) and the release (what CAPM3 clears on delete). Only spec,
 * labels and the pause annotation are touched; the host controller owns the
 * rest.
 */
import { HostAnnotation, Label, type BareMetalHost, type Image, type SecretReference } from "../../api/index.js";
import { dropOwner } from "./host-owner.js";
import { isConsumedBy, rebind, type Claimant } from "./select-host.js";

/** Our value in the host's paused annotation, so a person's own pause is never lifted by us. */
export const PAUSED_BY_ANVIL = "infrastructure.cluster.x-k8s.io/anvil";

export interface HostPayload {
  readonly image: Image;
  readonly userData: SecretReference;
  readonly metaData: SecretReference;
  readonly networkData?: SecretReference;
  readonly automatedCleaningMode?: "metadata" | "disabled";
  readonly clusterName?: string;
}

export class HostLostError extends Error {
  override readonly name = "HostLostError";
  readonly code = "MACHINE_HOST_LOST";
}

function assertOurs(h: BareMetalHost, c: Claimant): void {
  if (!isConsumedBy(h, c)) throw new HostLostError(`host ${h.metadata.namespace ?? ""}/${h.metadata.name ?? ""} is no longer claimed by AnvilMachine ${c.name}`);
}

/** Gives the claimed host what it needs to provision; throws HostLostError if the claim is gone. */
export function applyPayload(h: BareMetalHost, c: Claimant, p: HostPayload): void {
  assertOurs(h, c);
  rebind(h, c);
  h.spec.image = { ...p.image };
  h.spec.online = true;
  h.spec.userData = { ...p.userData };
  h.spec.metaData = { ...p.metaData };
  if (p.networkData) h.spec.networkData = { ...p.networkData };
  else delete h.spec.networkData;
  if (p.automatedCleaningMode) h.spec.automatedCleaningMode = p.automatedCleaningMode;
  if (p.clusterName) h.metadata.labels = { ...h.metadata.labels, [Label.ClusterName]: p.clusterName };
}

/** Step 1 of release: take the image and data away (the host deprovisions) and power it off, as CAPM3 does. */
export function clearPayload(h: BareMetalHost, c: Claimant): void {
  assertOurs(h, c);
  delete h.spec.image;
  delete h.spec.customDeploy;
  delete h.spec.userData;
  delete h.spec.metaData;
  delete h.spec.networkData;
  h.spec.online = false;
  // A host we paused would never deprovision.
  unpause(h);
}

/** Step 2 of release, once the host has deprovisioned: it is free for the next machine. */
export function dropClaim(h: BareMetalHost, c: Claimant): void {
  if (!isConsumedBy(h, c)) return;
  delete h.spec.consumerRef;
  dropOwner(h, c);
  if (h.metadata.labels) {
    const { [Label.ClusterName]: _gone, ...rest } = h.metadata.labels;
    h.metadata.labels = rest;
  }
  unpause(h);
}

/** Pauses the host for a paused Cluster unless someone already paused it. */
export function pause(h: BareMetalHost): void {
  const ann = h.metadata.annotations ?? {};
  if (!(HostAnnotation.Paused in ann)) h.metadata.annotations = { ...ann, [HostAnnotation.Paused]: PAUSED_BY_ANVIL };
}

/** Lifts only our own pause. */
export function unpause(h: BareMetalHost): void {
  const ann = h.metadata.annotations;
  if (ann?.[HostAnnotation.Paused] !== PAUSED_BY_ANVIL) return;
  const { [HostAnnotation.Paused]: _gone, ...rest } = ann;
  h.metadata.annotations = rest;
}

export const isPausedByUs = (h: BareMetalHost): boolean => h.metadata.annotations?.[HostAnnotation.Paused] === PAUSED_BY_ANVIL;
