/**
 * The conditions the state machine writes. `Progressing` doubles as the
 * durable record of an in-flight step (ramdisk boot, soft power-off): its
 * reason says which step and its lastTransitionTime when it began, so a
 * restarted manager knows how long the step has been running.
 */
import { HostCondition } from "../../api/index.js";
import { getCondition, setCondition } from "../runtime/conditions.js";
import type { StatusDraft } from "./host-scope.js";

export const ProgressReason = {
  RamdiskBooting: "RamdiskBooting",
  AgentRunning: "AgentRunning",
  SoftPowerOff: "SoftPowerOff",
  /** A deploy waits for a Secret it names (user data, meta-data, network data). */
  InputsMissing: "InputsMissing",
  Idle: "Idle",
} as const;
export type ProgressReason = (typeof ProgressReason)[keyof typeof ProgressReason];

export const SPEC_SUPPORTED = "SpecSupported";

export function setProgress(draft: StatusDraft, reason: ProgressReason, message: string, now: Date): void {
  const status = reason === ProgressReason.Idle ? "False" : "True";
  draft.conditions = setCondition(
    draft.conditions,
    { type: HostCondition.Progressing, status, reason, message },
    now,
  );
}

/** When the current `reason` step began, or undefined if another step (or none) is recorded. */
export function progressSince(draft: StatusDraft, reason: ProgressReason): Date | undefined {
  const c = getCondition(draft.conditions, HostCondition.Progressing);
  if (c === undefined || c.reason !== reason || c.status !== "True") return undefined;
  return new Date(c.lastTransitionTime);
}

export function setCond(draft: StatusDraft, type: string, status: "True" | "False", reason: string, message: string, now: Date, observedGeneration?: number): void {
  draft.conditions = setCondition(
    draft.conditions,
    observedGeneration === undefined ? { type, status, reason, message } : { type, status, reason, message, observedGeneration },
    now,
  );
}
