/**
 * Power through ComputerSystem.Reset with the ResetTypes the System
 * advertises (`ResetType@Redfish.AllowableValues`, Redfish ComputerSystem
 * schema). Every action waits until PowerState shows the result: BMCs apply
 * resets asynchronously (sushy-tools' fake driver after 1–11 s).
 */
import { setTimeout as sleep } from "node:timers/promises";
import { BmcError, BmcErrorCode } from "../errors.js";
import type { PowerAction, PowerControl, PowerState } from "../types.js";
import type { RedfishHttp } from "./http.js";
import type { ComputerSystem } from "./resources.js";
import type { SystemRef } from "./system.js";
import { awaitTask } from "./task-monitor.js";

export interface RedfishPowerOptions {
  /** How long a graceful shutdown may take before ForceOff. @default 60_000 */
  readonly gracefulShutdownMs?: number;
  /** Delay between PowerState polls. @default 500 */
  readonly pollIntervalMs?: number;
}

/** ComputerSystem.PowerState; the transitional states count as where they are coming from. */
export function powerStateOf(system: ComputerSystem): PowerState {
  switch (system.PowerState) {
    case "On":
    case "PoweringOff":
    case "Paused":
      return "on";
    case "Off":
    case "PoweringOn":
      return "off";
    case undefined:
    default:
      return "unknown";
  }
}

/** The first of `preferred` the System advertises; with no list advertised, the first. */
export function pickResetType(system: ComputerSystem, preferred: readonly string[]): string | undefined {
  const allowed = system.Actions?.["#ComputerSystem.Reset"]?.["ResetType@Redfish.AllowableValues"];
  if (allowed === undefined || allowed.length === 0) return preferred[0];
  return preferred.find((p) => allowed.includes(p));
}

export class RedfishPower implements PowerControl {
  constructor(
    private readonly http: RedfishHttp,
    private readonly system: SystemRef,
    private readonly where: string,
    private readonly opts: RedfishPowerOptions = {},
  ) {}

  async getPower(signal?: AbortSignal): Promise<PowerState> {
    return powerStateOf((await this.system.get(signal)).system);
  }

  async setPower(action: PowerAction, signal?: AbortSignal): Promise<void> {
    const { path, system } = await this.system.get(signal);
    const state = powerStateOf(system);
    switch (action) {
      case "on":
        if (state === "on") return;
        await this.reset(path, system, ["On", "ForceOn"], signal);
        return this.waitFor("on", signal);
      case "force-off":
        if (state === "off") return;
        await this.reset(path, system, ["ForceOff"], signal);
        return this.waitFor("off", signal);
      case "off":
        return this.gracefulOff(path, system, state, signal);
      case "reboot":
        return this.reboot(path, system, state, ["GracefulRestart", "ForceRestart", "PowerCycle"], signal);
      case "force-reboot":
        return this.reboot(path, system, state, ["ForceRestart", "PowerCycle"], signal);
    }
  }

  private async gracefulOff(path: string, system: ComputerSystem, state: PowerState, signal?: AbortSignal): Promise<void> {
    if (state === "off") return;
    const graceful = pickResetType(system, ["GracefulShutdown"]);
    if (graceful !== undefined) {
      await this.post(path, system, graceful, signal);
      const graceDeadline = AbortSignal.timeout(this.opts.gracefulShutdownMs ?? 60_000);
      const both = signal !== undefined ? AbortSignal.any([signal, graceDeadline]) : graceDeadline;
      try {
        return await this.waitFor("off", both);
      } catch (err) {
        if (signal?.aborted === true || !graceDeadline.aborted) throw err;
      }
    }
    // The OS ignored or lacks ACPI shutdown: Metal3/Ironic's soft-then-hard rule.
    const fresh = (await this.system.get(signal)).system;
    if (powerStateOf(fresh) === "off") return;
    await this.reset(path, fresh, ["ForceOff"], signal);
    return this.waitFor("off", signal);
  }

  private async reboot(path: string, system: ComputerSystem, state: PowerState, preferred: readonly string[], signal?: AbortSignal): Promise<void> {
    if (state === "off") {
      await this.reset(path, system, ["On", "ForceOn"], signal);
      return this.waitFor("on", signal);
    }
    const type = pickResetType(system, preferred);
    if (type !== undefined) {
      await this.post(path, system, type, signal);
      return this.waitFor("on", signal);
    }
    await this.reset(path, system, ["ForceOff"], signal);
    await this.waitFor("off", signal);
    await this.reset(path, system, ["On", "ForceOn"], signal);
    return this.waitFor("on", signal);
  }

  private async reset(path: string, system: ComputerSystem, preferred: readonly string[], signal?: AbortSignal): Promise<void> {
    const type = pickResetType(system, preferred);
    if (type === undefined) {
      const allowed = system.Actions?.["#ComputerSystem.Reset"]?.["ResetType@Redfish.AllowableValues"] ?? [];
      throw new BmcError(BmcErrorCode.NotSupported, `${this.where}: the System offers none of ResetType ${preferred.join("/")} (it offers ${allowed.join(", ")})`);
    }
    await this.post(path, system, type, signal);
  }

  private async post(path: string, system: ComputerSystem, resetType: string, signal?: AbortSignal): Promise<void> {
    const target = system.Actions?.["#ComputerSystem.Reset"]?.target ?? `${path}/Actions/ComputerSystem.Reset`;
    const res = await this.http.request("POST", target, { body: { ResetType: resetType }, signal });
    await awaitTask(this.http, this.where, res, { signal });
  }

  private async waitFor(want: PowerState, signal?: AbortSignal): Promise<void> {
    const interval = this.opts.pollIntervalMs ?? 500;
    for (;;) {
      if ((await this.getPower(signal)) === want) return;
      try {
        await sleep(interval, undefined, { signal });
      } catch {
        throw new BmcError(BmcErrorCode.Timeout, `${this.where}: the System did not report power ${want} before the deadline`, { transient: true });
      }
    }
  }
}
