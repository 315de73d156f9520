/** The demo's settings, from environment variables so `make demo` needs no flags. */

export interface DemoConfig {
  /** Emulated servers in the fleet (DEMO_HOSTS). @default 8 */
  readonly hosts: number;
  /** How many times `kubectl get bmh -o wide` is shown (DEMO_ROUNDS). @default 3 */
  readonly rounds: number;
  /** Seconds between two showings (DEMO_INTERVAL). @default 5 */
  readonly intervalSeconds: number;
  /** Leave everything running and print KUBECONFIG (DEMO_KEEP=1). @default false */
  readonly keep: boolean;
  /** Hard limit on the whole run, keep mode excepted once ready (DEMO_TIMEOUT). @default 300 */
  readonly timeoutSeconds: number;
  /** Namespace of the inventory (DEMO_NAMESPACE). @default "anvil-demo" */
  readonly namespace: string;
  /** Also run kube-controller-manager (DEMO_CONTROLLER_MANAGER=1). @default false */
  readonly controllerManager: boolean;
}

export class DemoConfigError extends Error {
  readonly code = "DEMO_BAD_SETTING";
  constructor(
    readonly variable: string,
    readonly value: string,
    expected: string,
  ) {
    super(`${variable}=${JSON.stringify(value)}: expected ${expected}`);
    this.name = "DemoConfigError";
  }
}

type Env = Readonly<Record<string, string | undefined>>;

function int(env: Env, name: string, dflt: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return dflt;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new DemoConfigError(name, raw, `an integer from ${min} to ${max}`);
  return n;
}

function flag(env: Env, name: string): boolean {
  const raw = env[name];
  if (raw === undefined || raw === "" || raw === "0" || raw === "false") return false;
  if (raw === "1" || raw === "true") return true;
  throw new DemoConfigError(name, raw, "1/true or 0/false");
}

/** Kubernetes namespace names are RFC 1123 labels. */
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

export function demoConfig(env: Env): DemoConfig {
  const namespace = env.DEMO_NAMESPACE ?? "anvil-demo";
  if (!DNS_LABEL.test(namespace)) throw new DemoConfigError("DEMO_NAMESPACE", namespace, "an RFC 1123 label");
  return {
    hosts: int(env, "DEMO_HOSTS", 8, 1, 200),
    rounds: int(env, "DEMO_ROUNDS", 3, 1, 100),
    intervalSeconds: int(env, "DEMO_INTERVAL", 5, 0, 600),
    keep: flag(env, "DEMO_KEEP"),
    timeoutSeconds: int(env, "DEMO_TIMEOUT", 300, 30, 3600),
    namespace,
    controllerManager: flag(env, "DEMO_CONTROLLER_MANAGER"),
  };
}
