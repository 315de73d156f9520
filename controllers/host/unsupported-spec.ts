/**
 * Spec fields Anvil accepts (Metal3's schema) but does not act on. They are
 * named in the `SpecSupported` condition and an event, so a user who sets
 * RAID or firmware settings learns they were not applied.
 */
import type { BareMetalHostSpec } from "../../api/index.js";

const DEFAULT_PROFILES = new Set(["", "default", "unknown", "empty"]);

export function unsupportedFields(spec: BareMetalHostSpec): string[] {
  const out: string[] = [];
  if (spec.raid !== undefined && Object.keys(spec.raid).length > 0) out.push("raid");
  if (spec.firmware !== undefined && Object.keys(spec.firmware).length > 0) out.push("firmware");
  if (spec.customDeploy !== undefined) out.push("customDeploy");
  if (spec.hardwareProfile !== undefined && !DEFAULT_PROFILES.has(spec.hardwareProfile)) out.push(`hardwareProfile=${spec.hardwareProfile}`);
  if (spec.disablePowerOff === true) out.push("disablePowerOff");
  if (spec.image?.format === "live-iso") out.push("image.format=live-iso");
  if (spec.bootMode === "UEFISecureBoot") out.push("bootMode=UEFISecureBoot");
  if ((spec.taints ?? []).length > 0) out.push("taints");
  return out;
}
