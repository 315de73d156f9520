/**
 * The long-lived half of `scripts/testenv up`: runs a control plane for a
 * person until SIGTERM (from `scripts/testenv down`), then stops it. It stays
 * in the foreground as the parent of etcd and kube-apiserver because PID 1 on
 * these machines reaps no orphans.
 *
 * Usage: node --import tsx e2e/testenv/serve.ts <state-dir>
 * Writes <state-dir>/supervisor.pid at once, <state-dir>/ready.json when the
 * API server serves, or <state-dir>/failed with the reason.
 */
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { startControlPlane, type ControlPlane } from "../framework/control-plane.js";

export interface TestenvReady {
  readonly server: string;
  readonly kubeconfig: string;
  readonly binDir: string;
  readonly supervisorPid: number;
  /** Process ids of etcd, kube-apiserver (…), each its own process group. */
  readonly pids: readonly number[];
  readonly startupMs: number;
}

async function main(stateDir: string): Promise<void> {
  await writeFile(path.join(stateDir, "supervisor.pid"), `${process.pid}\n`);
  let cp: ControlPlane | undefined;
  let stopping = false;
  const shutdown = async (why: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    console.log(`stopping the control plane (${why})`);
    await cp?.stop();
    process.exit(0);
  };
  for (const sig of ["SIGTERM", "SIGINT", "SIGHUP"] as const) process.on(sig, () => void shutdown(sig));

  try {
    cp = await startControlPlane({
      dir: path.join(stateDir, "cp"),
      controllerManager: process.env.ANVIL_TESTENV_CONTROLLER_MANAGER === "1",
      startTimeoutMs: 120_000,
    });
  } catch (err) {
    await writeFile(path.join(stateDir, "failed"), `${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  }
  const ready: TestenvReady = {
    server: cp.server,
    kubeconfig: cp.kubeconfigPath,
    binDir: cp.binDir,
    supervisorPid: process.pid,
    pids: cp.processes.map((p) => p.child.pid ?? -1),
    startupMs: cp.timings.total,
  };
  await writeFile(path.join(stateDir, "ready.json"), `${JSON.stringify(ready, null, 2)}\n`);
  console.log(`control plane ready at ${cp.server} in ${cp.timings.total} ms`);
  // A peer that dies on its own leaves nothing worth keeping: stop the rest
  // so `status` tells the truth.
  for (const p of cp.processes) {
    void p.exited.then((code) => shutdown(`${p.name} exited with ${String(code)}`));
  }
}

const stateDir = process.argv[2];
if (stateDir === undefined) {
  console.error("usage: serve.ts <state-dir>");
  process.exit(2);
}
void main(path.resolve(stateDir));
