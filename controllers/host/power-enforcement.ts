/**
 * Power in the stable states (available, provisioned, externally
 * provisioned): reboot annotations first, then `spec.online`.
 *
 * Metal3 semantics (baremetal-operator docs/api.md, "reboot.metal3.io"): a
 * reboot annotation powers the host off, softly unless its value says
 * `{"mode":"hard"}`, escalating to a hard off after a timeout; the bare
 * `reboot.metal3.io` is removed once the host is off, so `online` powers it
 * back on; keyed annotations keep it off until every one is removed (phased
 * reboots, e.g. CAPM3 remediation).
 */
import { ErrorType } from "../../api/index.js";
import type { PowerState } from "../../bmc/types.js";
import { cont, failed, update, type ActionResult } from "./action-result.js";
import { attempt, describeBmcFailure } from "./bmc-failure.js";
import { rebootRequests } from "./host-annotations.js";
import type { Effects, HostScope, StatusDraft } from "./host-scope.js";
import { progressSince, ProgressReason, setProgress } from "./status-conditions.js";

/** `undefined` when power is already as wanted and nothing changed. */
export async function enforcePower(scope: HostScope, draft: StatusDraft, effects: Effects): Promise<ActionResult | undefined> {
  const bmc = scope.bmc;
  if (bmc === undefined) return undefined;
  const read = await attempt(() => bmc.power.getPower());
  if (!read.ok) return failed(ErrorType.PowerManagement, describeBmcFailure("reading power state", read.error));
  const power: PowerState = read.value;
  const changed = draft.poweredOn !== (power === "on");
  draft.poweredOn = power === "on";

  const reboots = rebootRequests(scope.host.metadata);
  if (reboots.length > 0) {
    if (power === "off") {
      setProgress(draft, ProgressReason.Idle, "", scope.clock.now());
      const bare = reboots.filter((r) => !r.key.includes("/")).map((r) => r.key);
      for (const key of bare) effects.removeAnnotations.add(key);
      return changed || bare.length > 0 ? update() : cont(scope.timing.pollMs);
    }
    const hard = reboots.some((r) => r.mode === "hard");
    return powerOff(scope, draft, hard);
  }

  const online = scope.host.spec.online;
  if (online && power !== "on") {
    const on = await attempt(() => bmc.power.setPower("on"));
    if (!on.ok) return failed(ErrorType.PowerManagement, describeBmcFailure("powering on", on.error));
    draft.poweredOn = true;
    return update();
  }
  if (!online && power === "on") return powerOff(scope, draft, false);
  if (progressSince(draft, ProgressReason.SoftPowerOff) !== undefined) {
    setProgress(draft, ProgressReason.Idle, "", scope.clock.now());
    return update();
  }
  // Power is as wanted and the BMC answered: Metal3's manageHostPower zeroes errorCount here, so a host whose
  // BMC failed for a while (power management error) counts its errors from 0 again once it is steady.
  draft.errorCount = 0;
  return changed ? update() : undefined;
}

/** Soft off first; a hard off once the soft one has had `softPowerOffTimeoutMs` (recorded in Progressing). */
async function powerOff(scope: HostScope, draft: StatusDraft, hard: boolean): Promise<ActionResult> {
  const bmc = scope.bmc;
  if (bmc === undefined) return cont();
  const now = scope.clock.now();
  const since = progressSince(draft, ProgressReason.SoftPowerOff);
  const escalate = hard || (since !== undefined && now.getTime() - since.getTime() >= scope.timing.softPowerOffTimeoutMs);
  if (since !== undefined && !escalate) return cont(scope.timing.pollMs);
  const action = escalate ? "force-off" : "off";
  const off = await attempt(() => bmc.power.setPower(action));
  if (!off.ok) return failed(ErrorType.PowerManagement, describeBmcFailure(`powering off (${action})`, off.error));
  if (!escalate) setProgress(draft, ProgressReason.SoftPowerOff, "waiting for the OS to power off", now);
  return update(scope.timing.pollMs);
}
