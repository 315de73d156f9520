/**
 * The state machine's `Provisioner` port for one host, on its agent-state
 * Secret. It follows the port's contract (controllers/host/host-scope.ts,
 * ADR 0007): asking again for the held job changes nothing; the outcome of
 * the held job is reported even after the ramdisk was released; releasing
 * only stops offering the ramdisk, it forgets nothing.
 */
import type { BareMetalHost } from "../../api/index.js";
import type { AgentStatus, Provisioner, RamdiskJob } from "../host/index.js";
import type { AgentState } from "./agent-state.js";
import type { AgentStateStore } from "./agent-state-store.js";

export function kubeProvisioner(store: AgentStateStore, host: BareMetalHost, signal?: AbortSignal): Provisioner {
  return {
    async requestRamdiskBoot(job: RamdiskJob): Promise<void> {
      await store.update(
        host,
        (s) => {
          if (s.job?.key === job.key) return s.released === true ? { ...s, released: false } : undefined;
          const next: AgentState = { job: { purpose: job.purpose, key: job.key, ...(job.image !== undefined ? { image: job.image } : {}) }, released: false };
          return next;
        },
        { create: true, ...(signal ? { signal } : {}) },
      );
    },

    agentStatus(job: RamdiskJob): Promise<AgentStatus> {
      return Promise.resolve(statusOf(store.read(host)?.state, job));
    },

    async releaseRamdisk(): Promise<void> {
      await store.update(host, (s) => (s.job === undefined || s.released === true ? undefined : { ...s, released: true }), {
        create: false,
        ...(signal ? { signal } : {}),
      });
    },
  };
}

/** What the state machine learns about `job` from the stored state. */
export function statusOf(s: AgentState | undefined, job: RamdiskJob): AgentStatus {
  if (s?.job?.key !== job.key) return { phase: "not-started" };
  const r = s.result;
  if (r !== undefined) {
    if (r.ok) return s.hardware !== undefined ? { phase: "succeeded", hardware: s.hardware } : { phase: "succeeded" };
    return { phase: "failed", code: r.code ?? "INTERNAL", message: r.message ?? "" };
  }
  const seen = s.reportedAt !== undefined ? new Date(s.reportedAt) : undefined;
  const lastReportAt = seen !== undefined && !Number.isNaN(seen.getTime()) ? { lastReportAt: seen } : {};
  const p = s.progress;
  if (p !== undefined) return { phase: "running", bytesWritten: p.bytesWritten, ...(p.total !== undefined ? { total: p.total } : {}), ...lastReportAt };
  // Handed to the agent but nothing posted yet (inspect, or a deploy still downloading).
  if (s.fetched === true) return { phase: "running", ...lastReportAt };
  return { phase: "not-started" };
}
