/**
 * Reads Metal3's host annotations (api/metal3/v1alpha1/constants.ts,
 * HostAnnotation) into plain values. Malformed values are reported, never
 * guessed at: a reboot annotation that is not JSON is treated as Metal3
 * treats an empty one (soft, then hard).
 */
import { HostAnnotation, INSPECT_DISABLED, type RebootMode } from "../../api/index.js";

export interface RebootRequest {
  readonly key: string;
  readonly mode: RebootMode;
}

function annotationsOf(meta: { annotations?: Record<string, string> }): Record<string, string> {
  return meta.annotations ?? {};
}

/** `reboot.metal3.io` and every `reboot.metal3.io/<key>`; several keys keep the host off until all are gone. */
export function rebootRequests(meta: { annotations?: Record<string, string> }): RebootRequest[] {
  const out: RebootRequest[] = [];
  for (const [key, value] of Object.entries(annotationsOf(meta))) {
    if (key !== HostAnnotation.RebootPrefix && !key.startsWith(`${HostAnnotation.RebootPrefix}/`)) continue;
    out.push({ key, mode: rebootMode(value) });
  }
  return out.sort((a, b) => a.key.localeCompare(b.key));
}

function rebootMode(value: string): RebootMode {
  if (value.trim() === "") return "soft";
  try {
    const parsed = JSON.parse(value) as unknown;
    if (typeof parsed === "object" && parsed !== null && (parsed as { mode?: unknown }).mode === "hard") return "hard";
  } catch {
    return "soft";
  }
  return "soft";
}

export function isPaused(meta: { annotations?: Record<string, string> }): boolean {
  return HostAnnotation.Paused in annotationsOf(meta);
}

export function isDetached(meta: { annotations?: Record<string, string> }): boolean {
  return HostAnnotation.Detached in annotationsOf(meta);
}

export type InspectRequest = "none" | "requested" | "disabled";

export function inspectRequest(meta: { annotations?: Record<string, string> }): InspectRequest {
  const value = annotationsOf(meta)[HostAnnotation.Inspect];
  if (value === undefined) return "none";
  return value === INSPECT_DISABLED ? "disabled" : "requested";
}

export function statusAnnotation(meta: { annotations?: Record<string, string> }): string | undefined {
  return annotationsOf(meta)[HostAnnotation.Status];
}

export function hardwareDetailsAnnotation(meta: { annotations?: Record<string, string> }): string | undefined {
  return annotationsOf(meta)[HostAnnotation.HardwareDetails];
}

/**
 * Metal3's `{"deleteAction":"delay"}` holds a deleted detached host until the
 * annotation is removed; an empty or non-JSON value deletes at once
 * (baremetal-operator host_state_machine.go, DetachedAnnotationArguments).
 */
export function detachedDelaysDeletion(meta: { annotations?: Record<string, string> }): boolean {
  const value = annotationsOf(meta)[HostAnnotation.Detached];
  if (value === undefined) return false;
  try {
    const parsed = JSON.parse(value) as unknown;
    return typeof parsed === "object" && parsed !== null && (parsed as { deleteAction?: unknown }).deleteAction === "delay";
  } catch {
    return false;
  }
}
