/**
 * A manager replica as its own process, for the leader-election peer test
 * that SIGKILLs the leader: it campaigns for a Lease and, while leading,
 * stamps each labelled ConfigMap with its identity. SIGTERM stops it
 * gracefully. Usage: node --import tsx lease-replica.fixture.ts <kubeconfig> <identity> <lease-json>
 */
import { KubeConfig } from "@kubernetes/client-node";
import { createLogger } from "./logger.js";
import { Manager } from "./manager.js";
import { ConfigMapKind, splitKey, type KubeObject } from "./object.js";

const [kubeconfigPath, identity, leaseJson] = process.argv.slice(2);
if (!kubeconfigPath || !identity || !leaseJson) {
  process.stderr.write("usage: lease-replica.fixture.ts <kubeconfig> <identity> <lease-json>\n");
  process.exit(2);
}
const kc = new KubeConfig();
kc.loadFromFile(kubeconfigPath);
const stop = new AbortController();
process.once("SIGTERM", () => stop.abort());

const lease = JSON.parse(leaseJson) as { namespace: string; name: string; leaseDurationMs: number; renewDeadlineMs: number; retryPeriodMs: number };
const logger = createLogger({ level: "info" }).with({ identity });
const mgr = new Manager({
  kubeConfig: kc,
  probes: false,
  resyncMs: 0,
  leaderElection: { ...lease, identity },
  logger,
});
const client = mgr.client<KubeObject>(ConfigMapKind);
mgr.addController({
  name: "stamp",
  for: mgr.informer<KubeObject>(ConfigMapKind, { labelSelector: "anvil.test/stamp=yes" }),
  reconcile: async (key, signal) => {
    const { namespace, name } = splitKey(key);
    await client.patch(namespace, name, { metadata: { annotations: { "anvil.test/stamped-by": identity } } }, undefined, signal);
    return { kind: "done" };
  },
});
const running = mgr.start(stop.signal);
const synced = setInterval(() => {
  if (!mgr.hasSynced()) return;
  clearInterval(synced);
  logger.info("replica synced");
}, 50);
await running;
clearInterval(synced);
