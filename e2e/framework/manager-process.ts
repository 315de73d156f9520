/**
 * `anvil manager` as a child process, the way the Deployment runs it but on
 * loopback: `node --import tsx cmd/anvil.ts manager ...` with DHCP and TFTP
 * off, the boot HTTP server and the probes on free ports of 127.0.0.1. Its
 * JSON logs go to one file that every restart appends to, so a test can grep
 * the whole run. `kill()` is SIGKILL (no drain); `restart()` starts it again
 * with the same flags and ports.
 */
import path from "node:path";
import { REPO_ROOT } from "./peers.js";
import { freeTcpPorts } from "./ports.js";
import { startProcess, waitFor, type Supervised } from "./process.js";

export interface ManagerProcessOptions {
  readonly kubeconfig: string;
  /** Directory for the log file. */
  readonly dir: string;
  /** @default true (as the release Deployment) */
  readonly leaderElect?: boolean;
  readonly leaderElectionNamespace?: string;
  /** More flags (e.g. `--provisioning-limit=50`, `--log-level=debug`). */
  readonly extraArgs?: readonly string[];
  /** Node flags before the script (e.g. `--cpu-prof`, `--cpu-prof-dir=DIR`). */
  readonly nodeArgs?: readonly string[];
  /** How long a start may take before the probes answer. @default 60000 */
  readonly startTimeoutMs?: number;
  /** The boot HTTP port (e.g. a move target taking over its source's boot URL). @default a free port */
  readonly httpPort?: number;
  /**
   * A compiled `cmd/anvil.js` (`tsc -p tsconfig.build.json`), run with plain node as the release
   * image runs it. @default the TypeScript source through tsx (its loader alone holds ~200 MiB)
   */
  readonly entry?: string;
}

export interface ManagerProcess {
  /** `http://127.0.0.1:<port>`: iPXE scripts and the agent API. */
  readonly bootUrl: string;
  /** `http://127.0.0.1:<port>`: /healthz, /readyz, /metrics. */
  readonly probeUrl: string;
  readonly logFile: string;
  /** The running process (a new one after each restart). */
  readonly current: Supervised;
  readonly restarts: number;
  /** SIGKILL, no drain: what an OOM kill or a node loss does. Resolves once it is gone. */
  kill(): Promise<void>;
  /** Starts it again with the same flags and ports; resolves when it serves. */
  restart(): Promise<void>;
  /** Resolves once this process holds the Lease (its `leader_election_master_status` gauge is 1). */
  leading(timeoutMs: number): Promise<void>;
  /** SIGTERM and wait; resolves with the exit code (0 after a clean drain). */
  stop(graceMs?: number): Promise<number | null>;
}

export function managerArgs(o: {
  kubeconfig: string;
  httpPort: number;
  probePort: number;
  leaderElect: boolean;
  leaderElectionNamespace: string;
  extra: readonly string[];
  nodeArgs?: readonly string[];
  entry?: string;
}): string[] {
  return [
    ...(o.nodeArgs ?? []),
    ...(o.entry !== undefined ? [o.entry] : ["--import", "tsx", path.join(REPO_ROOT, "cmd/anvil.ts")]),
    "manager",
    `--kubeconfig=${o.kubeconfig}`,
    `--leader-elect=${o.leaderElect}`,
    `--leader-election-namespace=${o.leaderElectionNamespace}`,
    `--probe-address=127.0.0.1:${o.probePort}`,
    "--provisioning-address=127.0.0.1",
    "--http-address=127.0.0.1",
    `--http-port=${o.httpPort}`,
    "--dhcp-mode=off",
    "--tftp-port=off",
    ...o.extra,
  ];
}

export async function startManagerProcess(o: ManagerProcessOptions): Promise<ManagerProcess> {
  // Two at once: consecutive single picks can return the same port (ports.ts).
  const [freeHttp, probePort] = (await freeTcpPorts(2)) as [number, number];
  const httpPort = o.httpPort ?? freeHttp;
  const bootUrl = `http://127.0.0.1:${httpPort}`;
  const probeUrl = `http://127.0.0.1:${probePort}`;
  const logFile = path.join(o.dir, "manager.log");
  const args = managerArgs({
    kubeconfig: o.kubeconfig,
    httpPort,
    probePort,
    leaderElect: o.leaderElect ?? true,
    leaderElectionNamespace: o.leaderElectionNamespace ?? "anvil-system",
    extra: o.extraArgs ?? [],
    nodeArgs: o.nodeArgs ?? [],
    ...(o.entry !== undefined ? { entry: o.entry } : {}),
  });
  let current: Supervised | undefined;
  let restarts = 0;
  const serving = async (p: Supervised): Promise<void> => {
    const ok = async (url: string): Promise<boolean> => (await fetch(url, { signal: AbortSignal.timeout(2000) })).ok;
    await waitFor("anvil manager to serve /healthz and its boot HTTP server", async () => (await ok(`${probeUrl}/healthz`)) && (await ok(`${bootUrl}/healthz`)), {
      timeoutMs: o.startTimeoutMs ?? 60_000,
      intervalMs: 200,
      process: p,
    });
  };
  const launch = async (): Promise<void> => {
    const p = startProcess({ name: "anvil-manager", command: process.execPath, args, cwd: REPO_ROOT, logFile });
    current = p;
    try {
      await serving(p);
    } catch (err) {
      await p.stop(0);
      throw err;
    }
  };
  await launch();
  return {
    bootUrl,
    probeUrl,
    logFile,
    get current() {
      return current!;
    },
    get restarts() {
      return restarts;
    },
    async kill() {
      const p = current!;
      if (p.child.pid !== undefined && p.child.exitCode === null && p.child.signalCode === null) {
        try {
          process.kill(-p.child.pid, "SIGKILL");
        } catch {
          /* already gone */
        }
      }
      await p.exited;
      await p.stop(0);
    },
    async restart() {
      restarts++;
      await launch();
    },
    async leading(timeoutMs) {
      await waitFor(
        "anvil manager to take the Lease",
        async () => /^leader_election_master_status\{[^}]*\} 1$/m.test(await (await fetch(`${probeUrl}/metrics`, { signal: AbortSignal.timeout(2000) })).text()),
        { timeoutMs, intervalMs: 250, process: current! },
      );
    },
    async stop(graceMs = 15_000) {
      const p = current!;
      await p.stop(graceMs);
      return p.exited;
    },
  };
}
