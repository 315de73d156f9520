/**
 * Boot source override: PATCH ComputerSystem.Boot, then read it back. The
 * Redfish ComputerSystem schema's BootSourceOverrideTarget/Enabled/Mode
 * carry device, frequency and firmware mode; a service lists what it accepts
 * in `...@Redfish.AllowableValues`.
 */
import { BmcError, BmcErrorCode } from "../errors.js";
import type { BootControl, BootDevice, BootMode, BootOverride, BootOverrideState } from "../types.js";
import type { RedfishHttp } from "./http.js";
import type { BootProperties } from "./resources.js";
import type { SystemRef } from "./system.js";
import { awaitTask } from "./task-monitor.js";

const TARGETS: Readonly<Record<BootDevice, string>> = {
  pxe: "Pxe",
  disk: "Hdd",
  cdrom: "Cd",
  bios: "BiosSetup",
  "uefi-http": "UefiHttp",
};

const MODES: Readonly<Record<BootMode, string>> = { UEFI: "UEFI", legacy: "Legacy" };

function deviceOf(target: string | undefined): BootDevice | "none" {
  const found = (Object.keys(TARGETS) as BootDevice[]).find((d) => TARGETS[d] === target);
  return found ?? "none";
}

export function bootStateOf(boot: BootProperties | undefined): BootOverrideState {
  const enabled = boot?.BootSourceOverrideEnabled;
  return {
    device: enabled === "Disabled" ? "none" : deviceOf(boot?.BootSourceOverrideTarget),
    once: enabled === "Once",
    mode: boot?.BootSourceOverrideMode === "UEFI" ? "UEFI" : boot?.BootSourceOverrideMode === "Legacy" ? "legacy" : "unknown",
  };
}

function notOffered(where: string, what: string, value: string, allowed: readonly string[] | undefined): void {
  if (allowed !== undefined && allowed.length > 0 && !allowed.includes(value)) {
    throw new BmcError(BmcErrorCode.NotSupported, `${where}: the System does not offer ${what} ${value} (it offers ${allowed.join(", ")})`);
  }
}

export class RedfishBoot implements BootControl {
  constructor(
    private readonly http: RedfishHttp,
    private readonly system: SystemRef,
    private readonly where: string,
  ) {}

  async getBootOverride(signal?: AbortSignal): Promise<BootOverrideState> {
    return bootStateOf((await this.system.get(signal)).system.Boot);
  }

  async setBootOverride(override: BootOverride, signal?: AbortSignal): Promise<void> {
    const once = override.once ?? true;
    const { path, system, etag } = await this.system.get(signal);
    const boot = system.Boot;
    if (boot === undefined) throw new BmcError(BmcErrorCode.NotSupported, `${this.where}: the System has no Boot properties`);
    const target = TARGETS[override.device];
    const enabled = once ? "Once" : "Continuous";
    notOffered(this.where, "boot target", target, boot["BootSourceOverrideTarget@Redfish.AllowableValues"]);
    notOffered(this.where, "boot frequency", enabled, boot["BootSourceOverrideEnabled@Redfish.AllowableValues"]);
    const patch: Record<string, string> = { BootSourceOverrideTarget: target, BootSourceOverrideEnabled: enabled };
    if (override.mode !== undefined) {
      notOffered(this.where, "boot mode", MODES[override.mode], boot["BootSourceOverrideMode@Redfish.AllowableValues"]);
      patch.BootSourceOverrideMode = MODES[override.mode];
    }
    const res = await this.http.request("PATCH", path, {
      body: { Boot: patch },
      signal,
      ifMatch: etag,
      refreshEtag: async () => (await this.system.get(signal)).etag,
    });
    await awaitTask(this.http, this.where, res, { signal });
    await this.verify(override, once, signal);
  }

  private async verify(override: BootOverride, once: boolean, signal?: AbortSignal): Promise<void> {
    const got = await this.getBootOverride(signal);
    const modeOk = override.mode === undefined || got.mode === override.mode;
    // A service that keeps only Continuous (sushy-tools and libvirt-backed
    // BMCs store every override as Continuous) still boots the device next:
    // accepted, since Anvil sets the next boot explicitly at every step.
    const frequencyOk = got.once === once || (once && !got.once && got.device !== "none");
    if (got.device !== override.device || !modeOk || !frequencyOk) {
      const wanted = `${override.device}/${once ? "once" : "continuous"}${override.mode ? `/${override.mode}` : ""}`;
      const kept = `${got.device}/${got.once ? "once" : "continuous"}/${got.mode}`;
      throw new BmcError(BmcErrorCode.VerifyFailed, `${this.where}: asked for boot ${wanted}, the BMC reports ${kept}`);
    }
  }
}
