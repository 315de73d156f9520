/**
 * Runs the kubectl built by scripts/peers/kube.sh against one kubeconfig.
 * Tests use it where a person would (apply, get -o wide, version), so what
 * they check is what an operator sees.
 */
import { spawn } from "node:child_process";
import path from "node:path";

/** kubectl exited non-zero, or could not be started. */
export class KubectlError extends Error {
  readonly code = "KUBECTL_FAILED";
  constructor(
    readonly args: readonly string[],
    readonly exitCode: number | null,
    readonly stderr: string,
  ) {
    super(`kubectl ${args.join(" ")} exited ${String(exitCode)}: ${stderr.trim()}`);
    this.name = "KubectlError";
  }
}

export interface KubectlOptions {
  /** Written to kubectl's stdin (e.g. manifests for `apply -f -`). */
  readonly input?: string;
  /** Kill kubectl after this long. @default 60000 */
  readonly timeoutMs?: number;
}

export interface KubectlResult {
  readonly stdout: string;
  readonly stderr: string;
}

export type Kubectl = (args: readonly string[], opts?: KubectlOptions) => Promise<KubectlResult>;

/** A kubectl bound to `kubeconfig`; `binDir` holds the kubectl binary. */
export function kubectlFor(binDir: string, kubeconfig: string): Kubectl {
  const bin = path.join(binDir, "kubectl");
  return (args, opts = {}) =>
    new Promise((resolve, reject) => {
      const child = spawn(bin, ["--kubeconfig", kubeconfig, ...args], {
        stdio: ["pipe", "pipe", "pipe"],
        timeout: opts.timeoutMs ?? 60_000,
        env: { ...process.env, KUBECONFIG: kubeconfig },
      });
      let stdout = "";
      let stderr = "";
      child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
      child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
      child.once("error", (err) => reject(new KubectlError(args, null, err.message)));
      child.once("close", (code) => {
        if (code === 0) resolve({ stdout, stderr });
        else reject(new KubectlError(args, code, stderr));
      });
      child.stdin.on("error", () => undefined); // kubectl may exit before reading all input; `close` reports why
      child.stdin.end(opts.input ?? "");
    });
}
