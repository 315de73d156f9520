/**
 * The one entry the Kubernetes controller calls for a BareMetalHost. It
 * reads the object and returns what to write (status, finalizer, annotations
 * to drop, events, when to look again); it writes nothing itself, so the
 * runtime's optimistic-concurrency patch stays the only writer.
 *
 * Errors are not states (Metal3): a failed handler leaves the host in its
 * state with operationalStatus `error`, and the next successful run clears
 * the error, which is how a fixed Secret or a BMC back online recovers.
 */
import {
  BAREMETALHOST_FINALIZER,
  ErrorType,
  HostAnnotation,
  HostCondition,
  OperationalStatus,
  ProvisioningState,
  type BareMetalHostStatus,
} from "../../api/index.js";
import { getCondition } from "../runtime/conditions.js";
import { sameJson } from "../runtime/same-json.js";
import { complete, failed, type ActionResult } from "./action-result.js";
import { credentialsChanged, validateBmc } from "./credentials-check.js";
import { errorBackoffMs } from "./error-backoff.js";
import { detachedDelaysDeletion, isDetached, isPaused, statusAnnotation } from "./host-annotations.js";
import type { Effects, HostEvent, HostScope, StatusDraft } from "./host-scope.js";
import { stampTransition } from "./operation-history.js";
import { handlerFor } from "./state-table.js";
import { ProgressReason, setCond, setProgress, SPEC_SUPPORTED } from "./status-conditions.js";
import { unsupportedFields } from "./unsupported-spec.js";

export interface HostReconcileResult {
  /** The whole new status, or undefined when nothing changed. */
  readonly statusPatch: BareMetalHostStatus | undefined;
  readonly requeueAfterMs: number | undefined;
  readonly events: readonly HostEvent[];
  readonly finalizer: "add" | "remove" | "keep";
  readonly removeAnnotations: readonly string[];
}

/** Stable hosts are looked at this often so power drift is corrected without a watch event. */
export const STABLE_RECHECK_MS = 60_000;

const STABLE: ReadonlySet<string> = new Set([
  ProvisioningState.Available,
  ProvisioningState.Provisioned,
  ProvisioningState.ExternallyProvisioned,
]);
/** States after registration, where a missing or changed Secret is checked before anything else. */
const REGISTERED: ReadonlySet<string> = new Set([
  ProvisioningState.Inspecting,
  ProvisioningState.Preparing,
  ProvisioningState.Available,
  ProvisioningState.Provisioning,
  ProvisioningState.Provisioned,
  ProvisioningState.ExternallyProvisioned,
  ProvisioningState.Deprovisioning,
]);
/** Metal3 honours the detached annotation only in these states (host_state_machine.go, checkDetachedHost). */
const DETACHABLE: ReadonlySet<string> = new Set([...STABLE, ProvisioningState.Ready]);
const PROVISIONED: ReadonlySet<string> = new Set([ProvisioningState.Provisioned, ProvisioningState.ExternallyProvisioned]);

export function initialStatus(): BareMetalHostStatus {
  return { operationalStatus: OperationalStatus.None, errorMessage: "", errorCount: 0, poweredOn: false, provisioning: { state: ProvisioningState.None, ID: "" } };
}

export async function reconcileHost(scope: HostScope): Promise<HostReconcileResult> {
  const host = scope.host;
  const now = scope.clock.now();
  const deleting = host.metadata.deletionTimestamp !== undefined;
  const hasFinalizer = (host.metadata.finalizers ?? []).includes(BAREMETALHOST_FINALIZER);
  const effects: Effects = { removeAnnotations: new Set(), events: [] };
  const finalizerFor = (done: boolean): HostReconcileResult["finalizer"] =>
    done ? (hasFinalizer ? "remove" : "keep") : !deleting && !hasFinalizer ? "add" : "keep";

  if (isPaused(host.metadata)) {
    return { statusPatch: undefined, requeueAfterMs: undefined, events: [], finalizer: "keep", removeAnnotations: [] };
  }

  const saved = statusAnnotation(host.metadata);
  if (saved !== undefined) return restoreStatus(scope, saved, finalizerFor(false));

  const original = host.status ?? initialStatus();
  const draft: StatusDraft = structuredClone(original);
  if (draft.provisioning.ID === "" && host.metadata.uid !== undefined) draft.provisioning.ID = host.metadata.uid;

  if (isDetached(host.metadata) && DETACHABLE.has(draft.provisioning.state)) {
    if (deleting && !detachedDelaysDeletion(host.metadata)) return finish(scope, original, draft, { kind: "delete-complete" }, effects, "remove");
    draft.operationalStatus = OperationalStatus.Detached;
    return finish(scope, original, draft, undefined, effects, finalizerFor(false));
  }
  if (draft.operationalStatus === OperationalStatus.Detached) draft.operationalStatus = OperationalStatus.OK;

  const state = draft.provisioning.state;
  const redirect = deleting ? deletionRedirect(state) : undefined;
  if (redirect !== undefined) return finish(scope, original, draft, complete(redirect), effects, "keep");

  const waitMs = backoffRemaining(scope, draft, now);
  if (waitMs > 0) {
    return { statusPatch: undefined, requeueAfterMs: waitMs, events: [], finalizer: finalizerFor(false), removeAnnotations: [] };
  }

  reportUnsupported(scope, draft, effects, now);

  const result = (await recheckCredentials(scope, draft, state)) ?? (await runHandler(scope, draft, effects, state));
  return finish(scope, original, draft, result, effects, finalizerFor(result.kind === "delete-complete"));
}

async function runHandler(scope: HostScope, draft: StatusDraft, effects: Effects, state: string): Promise<ActionResult> {
  const handler = handlerFor(state);
  if (handler === undefined) return failed(ErrorType.Registration, `unknown provisioning state "${state}"`);
  return handler(scope, draft, effects);
}

/** Metal3: a deleted host that holds an image is deprovisioned first, then powered off, then released. */
function deletionRedirect(state: string): ProvisioningState | undefined {
  switch (state) {
    case ProvisioningState.Provisioning:
    case ProvisioningState.Provisioned:
      return ProvisioningState.Deprovisioning;
    case ProvisioningState.Deprovisioning:
    case ProvisioningState.PoweringOffBeforeDelete:
    case ProvisioningState.Deleting:
      return undefined;
    case ProvisioningState.None:
    case ProvisioningState.Unmanaged:
      return ProvisioningState.Deleting;
    default:
      return ProvisioningState.PoweringOffBeforeDelete;
  }
}

/**
 * A host in error waits out its backoff, unless what it failed on changed:
 * the credentials Secret (a new resourceVersion, or it appeared) or the spec
 * (a new generation). Status writes alone do not shorten the wait, so the
 * controller's own patches cannot make it hammer a broken BMC.
 */
function backoffRemaining(scope: HostScope, draft: StatusDraft, now: Date): number {
  if (draft.operationalStatus !== OperationalStatus.Error || draft.errorCount <= 0) return 0;
  const creds = scope.credentials;
  const credsVersion = creds.kind === "present" ? creds.version : undefined;
  if (credsVersion !== draft.triedCredentials?.credentialsVersion) return 0;
  const healthy = getCondition(draft.conditions, HostCondition.Healthy);
  if (scope.host.metadata.generation !== undefined && healthy?.observedGeneration !== scope.host.metadata.generation) return 0;
  const since = draft.lastUpdated === undefined ? 0 : Date.parse(draft.lastUpdated);
  return Math.max(0, since + errorBackoffMs(draft.errorCount) - now.getTime());
}

async function recheckCredentials(scope: HostScope, draft: StatusDraft, state: string): Promise<ActionResult | undefined> {
  if (!REGISTERED.has(state)) return undefined;
  const errorType = PROVISIONED.has(state) ? ErrorType.ProvisionedRegistration : ErrorType.Registration;
  if (scope.credentials.kind !== "present" || credentialsChanged(scope, draft)) return validateBmc(scope, draft, errorType);
  return undefined;
}

function reportUnsupported(scope: HostScope, draft: StatusDraft, effects: Effects, now: Date): void {
  const fields = unsupportedFields(scope.host.spec);
  const before = getCondition(draft.conditions, SPEC_SUPPORTED);
  if (fields.length === 0) {
    if (before !== undefined) setCond(draft, SPEC_SUPPORTED, "True", "AllFieldsSupported", "", now);
    return;
  }
  const message = `Anvil does not implement: ${fields.join(", ")}; these fields are not applied`;
  if (before?.message !== message) effects.events.push({ type: "Warning", reason: "UnsupportedSpec", message });
  setCond(draft, SPEC_SUPPORTED, "False", "UnsupportedFields", message, now);
}

function restoreStatus(scope: HostScope, saved: string, finalizer: HostReconcileResult["finalizer"]): HostReconcileResult {
  const removeAnnotations = [HostAnnotation.Status];
  const current = scope.host.status;
  if (current !== undefined && current.provisioning.state !== ProvisioningState.None) {
    return { statusPatch: undefined, requeueAfterMs: 0, events: [], finalizer, removeAnnotations };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(saved);
  } catch {
    parsed = undefined;
  }
  if (typeof parsed !== "object" || parsed === null || typeof (parsed as { provisioning?: unknown }).provisioning !== "object") {
    const events: HostEvent[] = [{ type: "Warning", reason: "StatusAnnotationInvalid", message: `the ${HostAnnotation.Status} annotation is not a saved status; ignored` }];
    return { statusPatch: undefined, requeueAfterMs: 0, events, finalizer, removeAnnotations };
  }
  const restored = { ...initialStatus(), ...(parsed as Partial<BareMetalHostStatus>) } as BareMetalHostStatus;
  const events: HostEvent[] = [{ type: "Normal", reason: "StatusRestored", message: `status restored from the ${HostAnnotation.Status} annotation` }];
  return { statusPatch: restored, requeueAfterMs: 0, events, finalizer, removeAnnotations };
}

function finish(
  scope: HostScope,
  original: BareMetalHostStatus,
  draft: StatusDraft,
  result: ActionResult | undefined,
  effects: Effects,
  finalizer: HostReconcileResult["finalizer"],
): HostReconcileResult {
  const now = scope.clock.now();
  const generation = scope.host.metadata.generation;
  let requeueAfterMs: number | undefined;
  switch (result?.kind) {
    case "failed":
      draft.operationalStatus = OperationalStatus.Error;
      draft.errorType = result.errorType;
      draft.errorMessage = result.message;
      draft.errorCount = draft.errorCount + 1;
      setCond(draft, HostCondition.Healthy, "False", "Error", result.message, now, generation);
      effects.events.push({ type: "Warning", reason: "Error", message: `${result.errorType}: ${result.message}` });
      requeueAfterMs = errorBackoffMs(draft.errorCount);
      break;
    case "complete": {
      const from = draft.provisioning.state;
      stampTransition(draft, from, result.next, now);
      // A finished ramdisk step must not leave the next state looking busy ("inspect: agent running" on an available host).
      const p = getCondition(draft.conditions, HostCondition.Progressing);
      if (p?.status === "True" && (p.reason === ProgressReason.AgentRunning || p.reason === ProgressReason.RamdiskBooting || p.reason === ProgressReason.InputsMissing)) {
        setProgress(draft, ProgressReason.Idle, "", now);
      }
      draft.provisioning.state = result.next;
      draft.errorCount = 0;
      clearError(draft, now, generation);
      if (draft.operationalStatus !== OperationalStatus.Detached) {
        draft.operationalStatus = result.next === ProvisioningState.Unmanaged ? OperationalStatus.Discovered : OperationalStatus.OK;
      }
      effects.events.push({ type: "Normal", reason: "StateChanged", message: `${from === "" ? "new" : from} -> ${result.next}` });
      requeueAfterMs = 0;
      break;
    }
    case "update":
    case "continue":
      clearError(draft, now, generation);
      requeueAfterMs = result.afterMs ?? (STABLE.has(draft.provisioning.state) ? STABLE_RECHECK_MS : undefined);
      break;
    case "delete-complete":
    case undefined:
      break;
  }
  // Key order aside: the original comes back from the API server with sorted keys (sameJson).
  const changed = !sameJson(draft, original);
  if (changed) draft.lastUpdated = now.toISOString().replace(/\.\d{3}Z$/, "Z");
  return {
    statusPatch: changed ? draft : undefined,
    requeueAfterMs,
    events: effects.events,
    finalizer,
    removeAnnotations: [...effects.removeAnnotations].sort(),
  };
}

function clearError(draft: StatusDraft, now: Date, generation: number | undefined): void {
  if (draft.operationalStatus === OperationalStatus.Error) draft.operationalStatus = OperationalStatus.OK;
  if (draft.operationalStatus === OperationalStatus.None) draft.operationalStatus = OperationalStatus.OK;
  delete draft.errorType;
  draft.errorMessage = "";
  setCond(draft, HostCondition.Healthy, "True", "OK", "", now, generation);
}
