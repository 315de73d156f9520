/**
 * Where the test peers live. Each install script under scripts/peers/ is
 * idempotent and prints the directory it installed into; asking it is cheap
 * when warm and builds the peer when cold, so a test never assumes a peer
 * that a fresh machine lacks.
 */
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import path from "node:path";

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

const cache = new Map<string, string>();

function scriptOutput(script: string): string {
  const hit = cache.get(script);
  if (hit !== undefined) return hit;
  const out = execFileSync("bash", [path.join(REPO_ROOT, "scripts/peers", script)], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  }).trim();
  const last = out.split("\n").pop() ?? "";
  cache.set(script, last);
  return last;
}

/** Directory holding kube-apiserver, kube-controller-manager and kubectl. */
export const kubeBinDir = (): string => scriptOutput("kube.sh");
/** Directory holding etcd. */
export const etcdBinDir = (): string => scriptOutput("etcd.sh");
/** Directory holding capi-manager, clusterctl and the kubeadm managers; `../config` has CAPI's config trees. */
export const capiBinDir = (): string => scriptOutput("capi.sh");
/** The Python virtualenv with sushy-tools, pyghmi and sushy (`<venv>/bin/...`). */
export const pythonVenv = (): string => scriptOutput("python.sh");
