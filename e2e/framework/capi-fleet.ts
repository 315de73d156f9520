/**
 * The fake fleet of the CAPI tests on one sushy-tools (fake driver): a
 * simulated agent that plays every system, and an inventory whose hosts carry
 * CAPI's role label by name prefix (`cp-*` control plane, `worker-*` worker),
 * which the cluster template's host selectors match. e2e/capi-flow.test.ts and
 * e2e/clusterctl-move.test.ts build the same fleet.
 */
import { fleetInventory, type Manifest } from "../demo/inventory.js";
import { startSimAgent, type SimAgent } from "./sim-agent.js";
import type { SushyTools } from "./sushy-tools.js";

const ROLE = "cluster.x-k8s.io/role";
const USERNAME = "admin";

/** The simulated ramdisk for every system of `sushy`, booting from `bootUrl`. */
export function startCapiFleetAgent(sushy: SushyTools, bootUrl: string, password: string): SimAgent {
  return startSimAgent({
    redfishUrl: sushy.url,
    auth: { username: USERNAME, password },
    systems: sushy.systems.map((s) => ({ path: s.path, name: s.name, mac: s.mac })),
    bootUrl,
    // sushy-tools applies a power change 1–11 s late; a faster poll sees it sooner (a handful of systems: cheap).
    pollMs: 250,
    progressSteps: 2,
    progressStepMs: 200,
  });
}

/** BareMetalHosts and their BMC Secrets for every system of `sushy`, role-labelled by name prefix. */
export function capiRoleInventory(sushy: SushyTools, opts: { readonly namespace: string; readonly password: string }): Manifest[] {
  const role = (prefix: string) => sushy.systems.filter((s) => s.name.startsWith(prefix)).map((s) => ({ id: s.id, name: s.name, bootMac: s.mac }));
  const base = { redfishBase: sushy.url, namespace: opts.namespace, username: USERNAME, password: opts.password };
  return [...fleetInventory(role("cp-"), { ...base, labels: { [ROLE]: "control-plane" } }), ...fleetInventory(role("worker-"), { ...base, labels: { [ROLE]: "worker" } })];
}
