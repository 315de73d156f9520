/**
 * Carries a TCP port of the host's 127.0.0.1 into a lab namespace's own
 * 127.0.0.1 (same port number), without giving the host a network interface:
 * a forwarder in the host's namespace listens on a Unix socket in the lab
 * directory, one inside the namespace listens on TCP and connects to that
 * socket (libvirt-lab-forward-entry.ts). A manager serving the boot LAN from
 * the `srv` namespace reaches the test's kube-apiserver this way, with the
 * kubeconfig (and its certificate's 127.0.0.1 SAN) unchanged.
 */
import path from "node:path";
import type { NetnsLab } from "./netns.js";
import { REPO_ROOT } from "./peers.js";
import { startProcess, waitFor, type Supervised } from "./process.js";

const ENTRY = "e2e/framework/libvirt-lab-forward-entry.ts";

export interface PortForward {
  readonly port: number;
  stop(): Promise<void>;
}

async function ready(p: Supervised): Promise<void> {
  await waitFor(`${p.name} to listen`, () => Promise.resolve(p.tail(5).includes("listening ")), { timeoutMs: 30_000, process: p });
}

export async function forwardIntoNamespace(lab: NetnsLab, ns: string, port: number): Promise<PortForward> {
  const socket = path.join(lab.dir, `fwd-${ns}-${port}.sock`);
  const outside = startProcess({
    name: `fwd-host-${port}`,
    command: process.execPath,
    args: ["--import", "tsx", path.join(REPO_ROOT, ENTRY), "--listen", `unix:${socket}`, "--connect", `tcp:127.0.0.1:${port}`],
    logFile: path.join(lab.dir, `fwd-host-${port}.log`),
    cwd: REPO_ROOT,
  });
  let inside: Supervised | undefined;
  try {
    await ready(outside);
    inside = lab.startNode(ns, { name: `fwd-${ns}-${port}`, entry: ENTRY, args: ["--listen", `tcp:127.0.0.1:${port}`, "--connect", `unix:${socket}`] });
    await ready(inside);
  } catch (err) {
    await inside?.stop();
    await outside.stop();
    throw err;
  }
  const started = inside;
  return {
    port,
    async stop() {
      await started.stop();
      await outside.stop();
    },
  };
}
