/**
 * Drives one ramdisk job (inspect, deploy, wipe) from the status alone:
 * ask the port for the job, network-boot the host once, then poll the
 * agent. The boot is recorded in the Progressing condition so a re-run
 * within `ramdiskBootTimeoutMs` waits instead of power-cycling the host
 * again; the job's outcome lives in the port, so a re-run after the agent
 * finished takes the result instead of starting over.
 */
import type { ErrorType, HardwareDetails } from "../../api/index.js";
import type { Inventory } from "../../bmc/types.js";
import { cont, failed, update, type ActionResult } from "./action-result.js";
import { sameJson } from "../runtime/same-json.js";
import { attempt, describeBmcFailure } from "./bmc-failure.js";
import type { HostScope, RamdiskJob, StatusDraft } from "./host-scope.js";
import { progressSince, ProgressReason, setProgress } from "./status-conditions.js";

export type RamdiskStep =
  | { readonly done: true; readonly inventory: Inventory | undefined; readonly hardware: HardwareDetails | undefined }
  | { readonly done: false; readonly result: ActionResult };

/** Agent messages come from the ramdisk; keep them to one short line. */
const MAX_AGENT_MESSAGE = 300;

/**
 * `blocker`: why the ramdisk must not be booted for this job yet (a deploy whose
 * user-data Secret is missing). It fails the step only before the boot: an agent
 * already at work, or a job already done, is left to finish.
 */
export async function runRamdiskJob(scope: HostScope, draft: StatusDraft, job: RamdiskJob, errorType: ErrorType, blocker?: string): Promise<RamdiskStep> {
  const now = scope.clock.now();
  const status = await attempt(() => scope.provisioner.agentStatus(job));
  if (!status.ok) return { done: false, result: failed(errorType, `${job.purpose}: the agent's status could not be read`) };
  const s = status.value;
  switch (s.phase) {
    case "succeeded":
      return { done: true, inventory: s.inventory, hardware: s.hardware };
    case "failed":
      return { done: false, result: failed(errorType, `${job.purpose} failed: ${s.code}: ${oneLine(s.message)}`) };
    case "running": {
      const silentMs = s.lastReportAt === undefined ? 0 : now.getTime() - s.lastReportAt.getTime();
      if (silentMs > scope.timing.agentSilenceTimeoutMs) {
        setProgress(draft, ProgressReason.Idle, "", now);
        return { done: false, result: failed(errorType, `${job.purpose}: the agent took the job but has not reported for ${Math.round(silentMs / 1000)} s`) };
      }
      const progress =
        s.total !== undefined && s.bytesWritten !== undefined
          ? `${job.purpose}: ${s.bytesWritten} of ${s.total} bytes written`
          : `${job.purpose}: agent running`;
      const before = draft.conditions ?? [];
      setProgress(draft, ProgressReason.AgentRunning, progress, now);
      return { done: false, result: sameJson(draft.conditions, before) ? cont(scope.timing.pollMs) : update(scope.timing.pollMs) };
    }
    case "not-started":
      // Booting now would leave the agent waiting for its inputs until the boot timeout, with no word in the status.
      if (blocker !== undefined) return { done: false, result: blocked(scope, draft, job, errorType, blocker, now) };
      return { done: false, result: await bootRamdisk(scope, draft, job, errorType, now) };
  }
}

/**
 * How long a missing input may be one the caches have not seen yet before it
 * is an error: a Secret written just before the host that names it (the
 * AnvilMachine controller's order) can reach the manager's watch a little later.
 */
export const INPUTS_GRACE_MS = 15_000;

/** Says at once what the job waits for (Progressing); an error only once it stays missing past the grace. */
function blocked(scope: HostScope, draft: StatusDraft, job: RamdiskJob, errorType: ErrorType, blocker: string, now: Date): ActionResult {
  const message = `${job.purpose}: ${blocker}; the ramdisk is booted once it is there`;
  const since = progressSince(draft, ProgressReason.InputsMissing);
  if (since === undefined || draftProgressMessage(draft) !== message) {
    setProgress(draft, ProgressReason.InputsMissing, message, now);
    return update(scope.timing.pollMs);
  }
  if (now.getTime() - since.getTime() < INPUTS_GRACE_MS) return cont(scope.timing.pollMs);
  return failed(errorType, message);
}

async function bootRamdisk(scope: HostScope, draft: StatusDraft, job: RamdiskJob, errorType: ErrorType, now: Date): Promise<ActionResult> {
  const since = progressSince(draft, ProgressReason.RamdiskBooting);
  const sameJob = since !== undefined && draftProgressMessage(draft) === bootMessage(job);
  // A boot an earlier manager process started may have found no boot service (HostScope.processStartedAt): boot again, once.
  const bootedByEarlierProcess = sameJob && scope.processStartedAt !== undefined && since.getTime() < scope.processStartedAt.getTime();
  if (sameJob && !bootedByEarlierProcess && now.getTime() - since.getTime() < scope.timing.ramdiskBootTimeoutMs) return cont(scope.timing.pollMs);
  if (sameJob && !bootedByEarlierProcess) {
    setProgress(draft, ProgressReason.Idle, "", now);
    return failed(errorType, `${job.purpose}: the ramdisk did not report within ${Math.round(scope.timing.ramdiskBootTimeoutMs / 1000)} s of booting`);
  }
  // Idle first, so the new boot below records a fresh transition time (an unchanged condition keeps its old one).
  if (bootedByEarlierProcess) setProgress(draft, ProgressReason.Idle, "", now);
  const bmc = scope.bmc;
  if (bmc === undefined) return cont(scope.timing.pollMs);
  const requested = await attempt(() => scope.provisioner.requestRamdiskBoot(job));
  if (!requested.ok) return failed(errorType, `${job.purpose}: the ramdisk boot could not be prepared`);
  // Off before the override, then on (not a reboot): a BMC may apply a boot device change only
  // at the next power-on and read back the running boot until then (virtualbmc; e2e/host-vm.test.ts).
  const power = await attempt(() => bmc.power.getPower());
  if (!power.ok) return failed(errorType, describeBmcFailure("reading power state", power.error));
  if (power.value !== "off") {
    const off = await attempt(() => bmc.power.setPower("force-off"));
    if (!off.ok) return failed(errorType, describeBmcFailure("powering off before the ramdisk boot", off.error));
  }
  const boot = await attempt(() => bmc.boot.setBootOverride({ device: "pxe", once: true }));
  if (!boot.ok) return failed(errorType, describeBmcFailure("setting a one-time network boot", boot.error));
  const cycle = await attempt(() => bmc.power.setPower("on"));
  if (!cycle.ok) return failed(errorType, describeBmcFailure("booting the ramdisk", cycle.error));
  draft.poweredOn = true;
  setProgress(draft, ProgressReason.RamdiskBooting, bootMessage(job), now);
  return update(scope.timing.pollMs);
}

function bootMessage(job: RamdiskJob): string {
  return `booting the ramdisk to ${job.purpose} (${job.key})`;
}

function draftProgressMessage(draft: StatusDraft): string | undefined {
  return draft.conditions?.find((c) => c.type === "Progressing")?.message;
}

function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > MAX_AGENT_MESSAGE ? `${flat.slice(0, MAX_AGENT_MESSAGE)}…` : flat;
}
