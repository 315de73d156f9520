/**
 * What a state handler may see and touch. The scope is built fresh for every
 * reconcile from the host object and its Secret, so nothing a handler needs
 * survives in memory between reconciles: a manager killed at any point
 * resumes from the object alone.
 */
import type { BareMetalHost, BareMetalHostStatus, HardwareDetails, Image } from "../../api/index.js";
import type { BmcClient, Inventory } from "../../bmc/types.js";
import type { ActionResult } from "./action-result.js";

export interface Clock {
  now(): Date;
}

/** The BMC credentials Secret as the caller found it; the password never enters the scope. */
export type CredentialsLookup =
  | { readonly kind: "missing"; readonly secretName: string }
  | { readonly kind: "incomplete"; readonly secretName: string; readonly missingKeys: readonly string[] }
  | { readonly kind: "present"; readonly secretName: string; readonly version: string };

/**
 * Counts hosts busy in the ramdisk (inspecting, provisioning, deprovisioning)
 * from the watch cache; stateless, so a restart loses no slot.
 */
export interface ProvisioningLimiter {
  /** Whether `hostKey` may start a new busy operation now. */
  hasCapacity(hostKey: string): boolean;
}

export type RamdiskPurpose = "inspect" | "deploy" | "wipe";

export interface RamdiskJob {
  readonly purpose: RamdiskPurpose;
  /**
   * Names one attempt (image, checksum, attempt number). The port keeps the
   * outcome of the last job per host so a handler re-run after a crash finds
   * the work already done instead of starting it again.
   */
  readonly key: string;
  readonly image?: Image;
}

export type AgentStatus =
  | { readonly phase: "not-started" }
  | {
      readonly phase: "running";
      readonly bytesWritten?: number;
      readonly total?: number;
      /** When the agent last showed life for this job (fetched it, or reported progress). */
      readonly lastReportAt?: Date;
    }
  /**
   * `hardware` is what the ramdisk agent posts (already Metal3's shape);
   * `inventory` is the BMC-shaped twin. When both are given `hardware` wins.
   */
  | { readonly phase: "succeeded"; readonly inventory?: Inventory; readonly hardware?: HardwareDetails }
  | { readonly phase: "failed"; readonly code: string; readonly message: string };

/** The in-band half of provisioning: the deploy ramdisk and its agent. */
export interface Provisioner {
  /** Idempotent: asking again for the job the port already holds changes nothing. */
  requestRamdiskBoot(job: RamdiskJob): Promise<void>;
  /** The outcome of `job`; `not-started` when the port holds another job or none. */
  agentStatus(job: RamdiskJob): Promise<AgentStatus>;
  /** Stop network-booting the host into the ramdisk. Idempotent. */
  releaseRamdisk(): Promise<void>;
}

export interface HostScope {
  readonly host: BareMetalHost;
  /** `undefined` when no credentials could be found, or the host is detached. */
  readonly bmc: BmcClient | undefined;
  readonly credentials: CredentialsLookup;
  readonly clock: Clock;
  readonly limiter: ProvisioningLimiter;
  readonly provisioner: Provisioner;
  /** `namespace/name`, the key the limiter and logs use. */
  readonly hostKey: string;
  readonly timing: HostTiming;
  /**
   * When this manager process began reconciling hosts. A ramdisk boot recorded
   * before it was started by an earlier process (SIGKILLed, rescheduled), and
   * the host may have asked for its iPXE script or agent job while no boot
   * service answered: its firmware gave up, and waiting out
   * `ramdiskBootTimeoutMs` for an agent that will never call would stall the
   * host for minutes. Such a boot is started again, once.
   */
  readonly processStartedAt?: Date;
  /**
   * Why a deploy's config drive cannot be built now (a user-data, meta-data or
   * network-data Secret the host names is missing or unreadable), or undefined
   * when it can. Names the Secret, never a value from it.
   */
  readonly deployInputsProblem?: string;
}

export interface HostTiming {
  /** How long a soft power-off may take before a reboot annotation forces it. */
  readonly softPowerOffTimeoutMs: number;
  /** How long the ramdisk may take to report after the host was booted into it. */
  readonly ramdiskBootTimeoutMs: number;
  /** How often to look at a host waiting for the agent or for power. */
  readonly pollMs: number;
  /**
   * How often a host held back by the provisioning limit (`delayed`) asks
   * again. The Kubernetes controller also wakes waiting hosts as soon as a
   * slot frees, so this is the fallback, not the pace: polling every few
   * seconds put 800 waiting hosts of a 1000-host fleet ahead of the ones
   * holding slots in the work queue.
   */
  readonly delayedPollMs: number;
  /**
   * How long an agent that took a job may stay silent (no progress) before the
   * job counts as failed and a new attempt boots the ramdisk again: an agent
   * that died mid-deploy must not leave the host in `provisioning` for ever.
   * The agent reports at least every 2 s while writing (docs/agent-protocol.md).
   */
  readonly agentSilenceTimeoutMs: number;
}

export const DEFAULT_TIMING: HostTiming = {
  softPowerOffTimeoutMs: 180_000,
  ramdiskBootTimeoutMs: 600_000,
  pollMs: 5_000,
  delayedPollMs: 30_000,
  agentSilenceTimeoutMs: 900_000,
};

/** A handler edits this copy of the status; reconcileHost diffs it against the original. */
export type StatusDraft = BareMetalHostStatus;

export interface HostEvent {
  readonly type: "Normal" | "Warning";
  readonly reason: string;
  readonly message: string;
}

/** Side effects on the object other than status, collected during one reconcile. */
export interface Effects {
  readonly removeAnnotations: Set<string>;
  readonly events: HostEvent[];
}

export type StateHandler = (scope: HostScope, draft: StatusDraft, effects: Effects) => Promise<ActionResult>;
