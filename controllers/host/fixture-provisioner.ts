/**
 * An in-memory twin of the ramdisk port for unit tests: each job runs
 * through not-started → running → succeeded as it is polled, or fails as
 * planned. It counts the jobs started per purpose, which is how the tests
 * prove a host is never deployed twice. The real agent protocol replaces it
 * in the end-to-end tests; it never stands in for them.
 */
import type { Inventory } from "../../bmc/types.js";
import type { AgentStatus, Provisioner, RamdiskJob, RamdiskPurpose } from "./host-scope.js";

interface RunningJob {
  readonly job: RamdiskJob;
  readonly startedAtMs: number;
  /** The agent took this job and died: it stays running, silent since it started. */
  readonly dead: boolean;
  polls: number;
  outcome: AgentStatus | undefined;
}

export class FixtureProvisioner implements Provisioner {
  /** Jobs started, in order (a repeated request for the held job is not counted). */
  readonly started: RamdiskJob[] = [];
  released = 0;
  /** Polls a job spends `running` before it succeeds. */
  runningPolls = 1;
  imageBytes = 1_000_000;
  /** A ramdisk that never comes up: every job stays not-started. */
  silent = false;
  inventory: Inventory | undefined = {
    cpu: { arch: "x86_64", count: 4 },
    ramMebibytes: 4096,
    nics: [{ name: "enp1s0", mac: "52:54:00:aa:bb:01", ip: "192.0.2.10" }],
    storage: [{ name: "/dev/vda", sizeBytes: 20 * 1024 ** 3, rotational: true, serialNumber: "S1", wwn: "0x5000c500a1b2c3d4" }],
  };
  /** The world's clock (the agent's last report is stamped with it). */
  now: () => number = Date.now;
  private readonly plannedDeaths = new Map<RamdiskPurpose, number>();
  private current: RunningJob | undefined;
  private readonly plannedFailures = new Map<RamdiskPurpose, { code: string; message: string; times: number }>();

  /** The next `times` agents given a `purpose` job take it and die without another word. */
  dieNext(purpose: RamdiskPurpose, times = 1): void {
    this.plannedDeaths.set(purpose, times);
  }

  failNext(purpose: RamdiskPurpose, code: string, message: string, times = 1): void {
    this.plannedFailures.set(purpose, { code, message, times });
  }

  startedOf(purpose: RamdiskPurpose): number {
    return this.started.filter((j) => j.purpose === purpose).length;
  }

  requestRamdiskBoot(job: RamdiskJob): Promise<void> {
    if (this.current?.job.key !== job.key) {
      const deaths = this.plannedDeaths.get(job.purpose) ?? 0;
      if (deaths > 0) this.plannedDeaths.set(job.purpose, deaths - 1);
      this.current = { job, startedAtMs: this.now(), dead: deaths > 0, polls: 0, outcome: undefined };
      this.started.push(job);
    }
    return Promise.resolve();
  }

  agentStatus(job: RamdiskJob): Promise<AgentStatus> {
    const cur = this.current;
    if (cur?.job.key !== job.key || this.silent) return Promise.resolve({ phase: "not-started" });
    if (cur.outcome !== undefined) return Promise.resolve(cur.outcome);
    if (cur.dead) return Promise.resolve({ phase: "running", lastReportAt: new Date(cur.startedAtMs) });
    cur.polls += 1;
    const planned = this.plannedFailures.get(job.purpose);
    if (planned !== undefined && planned.times > 0) {
      planned.times -= 1;
      cur.outcome = { phase: "failed", code: planned.code, message: planned.message };
      return Promise.resolve(cur.outcome);
    }
    if (cur.polls <= this.runningPolls) {
      const written = Math.round((this.imageBytes * cur.polls) / (this.runningPolls + 1));
      return Promise.resolve({ phase: "running", bytesWritten: written, total: this.imageBytes });
    }
    cur.outcome = job.purpose === "inspect" && this.inventory !== undefined ? { phase: "succeeded", inventory: this.inventory } : { phase: "succeeded" };
    return Promise.resolve(cur.outcome);
  }

  releaseRamdisk(): Promise<void> {
    this.released += 1;
    return Promise.resolve();
  }
}
