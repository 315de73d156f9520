/**
 * The contract seen from CAPI's side: the real CAPI v1.14 core manager runs
 * beside Anvil's cluster and machine controllers on one API server. CAPI
 * sets the owner references, reads AnvilCluster and AnvilMachine status,
 * copies the providerID and mirrors Ready into the Machine. Only the host
 * controller's part (host status) is played by hand.
 */
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AnvilCluster, AnvilMachine, BareMetalHost, BareMetalHostStatus } from "../../api/index.js";
import { startCapiCore, type CapiCore } from "../../e2e/framework/capi.js";
import { startControlPlane, type ControlPlane } from "../../e2e/framework/control-plane.js";
import { REPO_ROOT } from "../../e2e/framework/peers.js";
import {
  AnvilClusterRef,
  AnvilMachineRef,
  BareMetalHostRef,
  CapiClusterRef,
  CapiMachineRef,
  isNotFound,
  Manager,
  SecretKind,
  type ResourceClient,
} from "../runtime/index.js";
import type { CapiCluster, CapiMachine } from "../cluster/capi-objects.js";
import type { Secret } from "../machine/data-secrets.js";
import { registerClusterControllers } from "./index.js";
import { eventually } from "../../e2e/framework/process.js";
import { hostStatus } from "./host-status.fixture.js";

const NS = "default";
const INFRA = "infrastructure.cluster.x-k8s.io";

interface MachineSeen extends CapiMachine {
  spec?: CapiMachine["spec"] & { providerID?: string };
  status?: {
    initialization?: { infrastructureProvisioned?: boolean };
    addresses?: { type: string; address: string }[];
    conditions?: { type: string; status: string; reason: string; message: string }[];
  };
}

function until<T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false, ms = 60_000): Promise<T> {
  return eventually(what, fn, { timeoutMs: ms, intervalMs: 200 });
}

describe("Anvil's cluster and machine controllers with the real CAPI core manager", () => {
  let cp: ControlPlane;
  let capi: CapiCore | undefined;
  let mgr: Manager;
  let hosts: ResourceClient<BareMetalHost>;
  let anvilClusters: ResourceClient<AnvilCluster>;
  let anvilMachines: ResourceClient<AnvilMachine>;
  let clusters: ResourceClient<CapiCluster>;
  let machines: ResourceClient<MachineSeen>;
  const stop = new AbortController();
  let running: Promise<void> | undefined;

  const setHostStatus = async (name: string, status: BareMetalHostStatus): Promise<void> => {
    const h = await hosts.get(NS, name);
    await hosts.updateStatus({ ...h, status });
  };

  beforeAll(async () => {
    cp = await startControlPlane();
    capi = await startCapiCore(cp);
    await cp.kubectl(["apply", "-k", path.join(REPO_ROOT, "manifests/crd")]);
    await cp.kubectl(["wait", "--for=condition=Established", "--timeout=60s", "crd/baremetalhosts.metal3.io", "crd/anvilclusters.infrastructure.cluster.x-k8s.io", "crd/anvilmachines.infrastructure.cluster.x-k8s.io"], { timeoutMs: 70_000 });
    mgr = new Manager({ kubeConfig: cp.kubeConfig(), probes: false, resyncMs: 0 });
    hosts = mgr.client(BareMetalHostRef);
    anvilClusters = mgr.client(AnvilClusterRef);
    anvilMachines = mgr.client(AnvilMachineRef);
    clusters = mgr.client(CapiClusterRef);
    machines = mgr.client(CapiMachineRef);
    registerClusterControllers({ manager: mgr });
    running = mgr.start(stop.signal);
    await until("caches to sync", () => Promise.resolve(mgr.hasSynced()));
  }, 240_000);

  afterAll(async () => {
    stop.abort();
    await running?.catch(() => undefined);
    try {
      await capi?.stop();
    } finally {
      await cp?.stop();
    }
  });

  it("CAPI sees the AnvilCluster provisioned and takes its endpoint", async () => {
    await hosts.create({
      apiVersion: "metal3.io/v1alpha1",
      kind: "BareMetalHost",
      metadata: { name: "node-0", namespace: NS, labels: { "infrastructure.cluster.x-k8s.io/failure-domain": "rack-1" } },
      spec: { online: false, bootMACAddress: "00:11:22:33:44:55", bmc: { address: "redfish://127.0.0.1:1/redfish/v1/Systems/1", credentialsName: "bmc" } },
    });
    await setHostStatus("node-0", hostStatus("available"));
    await anvilClusters.create({
      apiVersion: `${INFRA}/v1alpha1`,
      kind: "AnvilCluster",
      metadata: { name: "c1", namespace: NS },
      spec: { controlPlaneEndpoint: { host: "10.0.0.10", port: 6443 } },
    });
    await clusters.create({
      apiVersion: "cluster.x-k8s.io/v1beta2",
      kind: "Cluster",
      metadata: { name: "c1", namespace: NS },
      spec: { infrastructureRef: { apiGroup: INFRA, kind: "AnvilCluster", name: "c1" } },
    });
    const c = await until("Cluster infrastructureProvisioned", async () => {
      const x = await clusters.get(NS, "c1");
      return x.status?.initialization?.infrastructureProvisioned ? x : undefined;
    });
    expect(c.spec?.controlPlaneEndpoint).toEqual({ host: "10.0.0.10", port: 6443 });
    const ac = await anvilClusters.get(NS, "c1");
    expect(ac.metadata.ownerReferences?.some((o) => o.kind === "Cluster" && o.name === "c1")).toBe(true);
    expect((c as { status?: { failureDomains?: { name: string }[] } }).status?.failureDomains?.map((f) => f.name)).toEqual(["rack-1"]);
  });

  it("CAPI's Machine gets the providerID, addresses and Ready mirrored once the host is provisioned", async () => {
    await mgr.client<Secret>(SecretKind).create({
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "m1-bootstrap", namespace: NS },
      type: "cluster.x-k8s.io/secret",
      data: { value: Buffer.from("#cloud-config\n").toString("base64"), format: Buffer.from("cloud-config").toString("base64") },
    });
    await anvilMachines.create({
      apiVersion: `${INFRA}/v1alpha1`,
      kind: "AnvilMachine",
      metadata: { name: "m1", namespace: NS },
      spec: { image: { url: "http://images.example/os.raw", checksum: "abc123", checksumType: "sha256" } },
    });
    await machines.create({
      apiVersion: "cluster.x-k8s.io/v1beta2",
      kind: "Machine",
      metadata: { name: "m1", namespace: NS },
      spec: { clusterName: "c1", bootstrap: { dataSecretName: "m1-bootstrap" }, infrastructureRef: { apiGroup: INFRA, kind: "AnvilMachine", name: "m1" } },
    });
    await until("node-0 given the image", async () => (await hosts.get(NS, "node-0")).spec.image !== undefined);
    const waiting = await until("InfrastructureReady mirrors the host's progress", async () => {
      const m = await machines.get(NS, "m1");
      const ir = m.status?.conditions?.find((x) => x.type === "InfrastructureReady");
      return ir?.message.includes("node-0") ? ir : undefined;
    });
    expect(waiting).toMatchObject({ status: "False" });
    expect(waiting.message).toContain("host default/node-0 is in state available");

    await setHostStatus("node-0", hostStatus("provisioned", { poweredOn: true, hardware: { hostname: "node-0", nics: [{ name: "eno1", mac: "00:11:22:33:44:55", ip: "192.168.10.20" }] } }));
    const m = await until("Machine infrastructure provisioned", async () => {
      const x = await machines.get(NS, "m1");
      return x.status?.initialization?.infrastructureProvisioned && x.spec?.providerID ? x : undefined;
    });
    expect(m.spec?.providerID).toBe("anvil://default/node-0/m1");
    expect(m.status?.addresses).toEqual(expect.arrayContaining([{ type: "InternalIP", address: "192.168.10.20" }]));
    expect(m.status?.conditions?.find((x) => x.type === "InfrastructureReady")).toMatchObject({ status: "True" });
  });

  it("deleting the Cluster deletes the Machine and AnvilMachine, which releases the host after it deprovisions", async () => {
    await clusters.delete(NS, "c1");
    await until("host image taken away", async () => (await hosts.get(NS, "node-0")).spec.image === undefined);
    await setHostStatus("node-0", hostStatus("deprovisioning"));
    await setHostStatus("node-0", hostStatus("available"));
    const gone = (get: () => Promise<unknown>) => async () => {
      try {
        await get();
        return undefined;
      } catch (err) {
        return isNotFound(err) || undefined;
      }
    };
    await until("AnvilMachine gone", gone(() => anvilMachines.get(NS, "m1")));
    await until("Cluster gone", gone(() => clusters.get(NS, "c1")));
    const h = await hosts.get(NS, "node-0");
    expect(h.spec.consumerRef).toBeUndefined();
    expect(h.metadata.labels?.["cluster.x-k8s.io/cluster-name"]).toBeUndefined();
  });
});
