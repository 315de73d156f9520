/**
 * The agent API's backend on Kubernetes (pxe/agent-backend.ts): answers the
 * ramdisk agent from the host and its agent-state Secret, and stores what it
 * posts there. `result` and `inventory` resolve only once the Secret is
 * written, so the agent's 2xx means durable; a repeated result for the same
 * job is a no-op (the agent retries until it sees a 2xx). Progress is held
 * back per host to one write per `progressIntervalMs` (plus phase changes),
 * so 200 hosts writing images cannot flood etcd.
 */
import type { BareMetalHost, HardwareDetails } from "../../api/index.js";
import type { AgentBackend, AgentInstructions, AgentProgress, AgentResult } from "../../pxe/agent-backend.js";
import type { BootRecord } from "../../pxe/boot-backend.js";
import type { AgentState } from "./agent-state.js";
import type { AgentStateStore } from "./agent-state-store.js";
import { agentImageOf } from "./agent-image.js";
import { configDriveFor } from "./config-drive.js";
import type { Secret } from "./secret.js";

export interface KubeAgentBackendOptions {
  readonly store: AgentStateStore;
  readonly host: (key: string) => BareMetalHost | undefined;
  readonly secret: (key: string) => Secret | undefined;
  /** @default 10_000 */
  readonly progressIntervalMs?: number;
  readonly now?: () => number;
}

/** Agent messages come from the host being provisioned: one line, bounded. */
const MAX_MESSAGE = 300;
const WAIT: AgentInstructions = { action: "wait", retryAfterSeconds: 2 };

const oneLine = (t: string): string => {
  const flat = t.replace(/\s+/g, " ").trim();
  return flat.length > MAX_MESSAGE ? `${flat.slice(0, MAX_MESSAGE)}…` : flat;
};

/** The job the agent may work on now: held, still offered, no result yet. */
function pending(s: AgentState | undefined): s is AgentState & { job: NonNullable<AgentState["job"]> } {
  return s?.job !== undefined && s.released !== true && s.result === undefined;
}

export class KubeAgentBackend implements AgentBackend {
  readonly #o: KubeAgentBackendOptions;
  readonly #lastProgress = new Map<string, { at: number; phase: string; job: string }>();

  constructor(o: KubeAgentBackendOptions) {
    this.#o = o;
  }

  async instructions(record: BootRecord, signal?: AbortSignal): Promise<AgentInstructions> {
    const host = this.#o.host(record.hostName);
    if (host === undefined) return WAIT;
    const s = this.#o.store.read(host)?.state;
    if (!pending(s)) return WAIT;
    const job = s.job;
    let answer: AgentInstructions;
    switch (job.purpose) {
      case "inspect":
        answer = { action: "inspect" };
        break;
      case "wipe":
        answer = { action: "wipe", cleaningMode: host.spec.automatedCleaningMode === "disabled" ? "disabled" : "metadata" };
        break;
      case "deploy": {
        const image = job.image ?? host.spec.image;
        if (image === undefined) return WAIT;
        const drive = configDriveFor(host, this.#o.secret);
        if (!drive.ok) return WAIT;
        answer = {
          action: "deploy",
          image: agentImageOf(image),
          ...(host.spec.rootDeviceHints !== undefined ? { rootDeviceHints: host.spec.rootDeviceHints } : {}),
          configDrive: drive.drive,
        };
        break;
      }
    }
    if (s.fetched !== true) {
      // Recorded once per job: the state machine then reads "running" and stops counting the ramdisk boot timeout.
      const reportedAt = new Date((this.#o.now ?? Date.now)()).toISOString();
      await this.#o.store.update(host, (c) => (c.job?.key === job.key && c.fetched !== true ? { ...c, fetched: true, reportedAt } : undefined), {
        create: false,
        ...(signal ? { signal } : {}),
      });
    }
    return answer;
  }

  async inventory(record: BootRecord, hardware: HardwareDetails, signal?: AbortSignal): Promise<void> {
    const host = this.#o.host(record.hostName);
    if (host === undefined) return;
    const reportedAt = new Date((this.#o.now ?? Date.now)()).toISOString();
    await this.#o.store.update(host, (c) => (pending(c) && c.job.purpose === "inspect" ? { ...c, hardware, reportedAt } : undefined), {
      create: false,
      ...(signal ? { signal } : {}),
    });
  }

  async progress(record: BootRecord, p: AgentProgress, signal?: AbortSignal): Promise<void> {
    const host = this.#o.host(record.hostName);
    if (host === undefined) return;
    const s = this.#o.store.read(host)?.state;
    if (!pending(s) || s.job.purpose !== p.action) return;
    const now = (this.#o.now ?? Date.now)();
    const last = this.#lastProgress.get(record.hostName);
    const interval = this.#o.progressIntervalMs ?? 10_000;
    if (last !== undefined && last.job === s.job.key && last.phase === p.phase && now - last.at < interval) return;
    this.#lastProgress.set(record.hostName, { at: now, phase: p.phase, job: s.job.key });
    const key = s.job.key;
    const progress = { phase: p.phase, bytesWritten: p.bytesWritten, ...(p.total !== undefined ? { total: p.total } : {}) };
    const reportedAt = new Date(now).toISOString();
    await this.#o.store.update(host, (c) => (pending(c) && c.job.key === key ? { ...c, fetched: true, progress, reportedAt } : undefined), {
      create: false,
      ...(signal ? { signal } : {}),
    });
  }

  async result(record: BootRecord, r: AgentResult, signal?: AbortSignal): Promise<void> {
    const host = this.#o.host(record.hostName);
    if (host === undefined) return;
    const result = r.ok
      ? { ok: true }
      : { ok: false, code: r.error?.code ?? "INTERNAL", message: oneLine(r.error?.message ?? "") };
    // Only the first result of the pending job counts; a retry of a stored one, or one for another action, changes nothing.
    await this.#o.store.update(host, (c) => (pending(c) && c.job.purpose === r.action ? { ...c, fetched: true, result } : undefined), {
      create: false,
      ...(signal ? { signal } : {}),
    });
    this.#lastProgress.delete(record.hostName);
  }
}
