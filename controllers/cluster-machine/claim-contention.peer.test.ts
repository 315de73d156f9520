/**
 * Contention on a real API server: two managers without leader election (the
 * worst case: two active replicas) run the AnvilMachine controller over the
 * same 24 machines and 20 hosts at once. The conditional claim must leave
 * every host with at most one machine, every machine with at most one host,
 * and the 4 machines left over saying why they wait.
 */
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AnvilMachine, BareMetalHost } from "../../api/index.js";
import { startControlPlane, type ControlPlane } from "../../e2e/framework/control-plane.js";
import { capiBinDir, REPO_ROOT } from "../../e2e/framework/peers.js";
import { AnvilMachineRef, BareMetalHostRef, CapiClusterRef, CapiMachineRef, Manager, SecretKind, type ResourceClient } from "../runtime/index.js";
import type { CapiCluster, CapiMachine } from "../cluster/capi-objects.js";
import type { Secret } from "../machine/data-secrets.js";
import { registerClusterControllers } from "./index.js";

const NS = "default";
const INFRA = "infrastructure.cluster.x-k8s.io";
const HOSTS = 20;
const MACHINES = 24;

describe("two active managers claiming hosts for the same machines", () => {
  let cp: ControlPlane;
  const managers: Manager[] = [];
  const stop = new AbortController();
  const running: Promise<void>[] = [];
  let hosts: ResourceClient<BareMetalHost>;
  let anvilMachines: ResourceClient<AnvilMachine>;

  beforeAll(async () => {
    cp = await startControlPlane();
    await cp.kubectl(["apply", "-k", path.join(REPO_ROOT, "manifests/crd")]);
    const capiCrds = path.resolve(capiBinDir(), "../config/core/crd/bases");
    for (const f of ["cluster.x-k8s.io_clusters.yaml", "cluster.x-k8s.io_machines.yaml"]) {
      await cp.kubectl(["apply", "--server-side", "--field-manager=anvil-test", "-f", path.join(capiCrds, f)]);
    }
    await cp.kubectl(["wait", "--for=condition=Established", "--timeout=60s", "crd/baremetalhosts.metal3.io", "crd/anvilmachines.infrastructure.cluster.x-k8s.io", "crd/clusters.cluster.x-k8s.io", "crd/machines.cluster.x-k8s.io"], { timeoutMs: 70_000 });
    for (let i = 0; i < 2; i++) {
      const m = new Manager({ kubeConfig: cp.kubeConfig(), probes: false, resyncMs: 0 });
      registerClusterControllers({ manager: m, concurrency: 4 });
      managers.push(m);
    }
    const [a] = managers;
    if (!a) throw new Error("no manager");
    hosts = a.client(BareMetalHostRef);
    anvilMachines = a.client(AnvilMachineRef);
    const cluster = await a.client<CapiCluster>(CapiClusterRef).create({
      apiVersion: "cluster.x-k8s.io/v1beta2",
      kind: "Cluster",
      metadata: { name: "c1", namespace: NS },
      spec: { infrastructureRef: { apiGroup: INFRA, kind: "AnvilCluster", name: "c1" } },
    });
    await a.client<CapiCluster>(CapiClusterRef).updateStatus({ ...cluster, status: { initialization: { infrastructureProvisioned: true } } });
    await a.client<Secret>(SecretKind).create({ apiVersion: "v1", kind: "Secret", metadata: { name: "boot", namespace: NS }, data: { value: Buffer.from("#cloud-config\n").toString("base64") } });
    for (let i = 0; i < HOSTS; i++) {
      const h = await hosts.create({
        apiVersion: "metal3.io/v1alpha1",
        kind: "BareMetalHost",
        metadata: { name: `h-${i}`, namespace: NS },
        spec: { online: false, bootMACAddress: "00:11:22:33:44:55", bmc: { address: "redfish://127.0.0.1:1/redfish/v1/Systems/1", credentialsName: "bmc" } },
      });
      await hosts.updateStatus({ ...h, status: { operationalStatus: "OK", errorMessage: "", errorCount: 0, poweredOn: false, provisioning: { ID: "", state: "available" } } });
    }
    const machines = a.client<CapiMachine>(CapiMachineRef);
    for (let i = 0; i < MACHINES; i++) {
      const name = `m-${i}`;
      await machines.create({
        apiVersion: "cluster.x-k8s.io/v1beta2",
        kind: "Machine",
        metadata: { name, namespace: NS },
        spec: { clusterName: "c1", bootstrap: { dataSecretName: "boot" }, infrastructureRef: { apiGroup: INFRA, kind: "AnvilMachine", name } },
      });
    }
    for (const m of managers) running.push(m.start(stop.signal));
    const deadline = Date.now() + 30_000;
    while (!managers.every((m) => m.hasSynced())) {
      if (Date.now() > deadline) throw new Error("caches never synced");
      await sleep(100);
    }
  }, 180_000);

  afterAll(async () => {
    stop.abort();
    await Promise.all(running.map((r) => r.catch(() => undefined)));
    await cp?.stop();
  });

  it("every host has at most one machine, every machine at most one host, and the rest wait with a reason", async () => {
    const machines = (await managers[0]?.client<CapiMachine>(CapiMachineRef).list({ namespace: NS }))?.items ?? [];
    const t0 = Date.now();
    // All at once, so both managers see every machine within the same moments.
    await Promise.all(
      machines.map((m) =>
        anvilMachines.create({
          apiVersion: `${INFRA}/v1alpha1`,
          kind: "AnvilMachine",
          metadata: {
            name: m.metadata.name ?? "",
            namespace: NS,
            labels: { "cluster.x-k8s.io/cluster-name": "c1" },
            ownerReferences: [{ apiVersion: "cluster.x-k8s.io/v1beta2", kind: "Machine", name: m.metadata.name ?? "", uid: m.metadata.uid ?? "", controller: true }],
          },
          spec: { image: { url: "http://images.example/os.raw", checksum: "abc" } },
        }),
      ),
    );

    // Settled: 20 hosts carry an image and 4 machines report NoAvailableHost.
    const deadline = Date.now() + 90_000;
    let ams: AnvilMachine[];
    let hs: BareMetalHost[];
    for (;;) {
      ams = (await anvilMachines.list({ namespace: NS })).items;
      hs = (await hosts.list({ namespace: NS })).items;
      const waiting = ams.filter((a) => a.status?.conditions?.some((c) => c.type === "Ready" && c.reason === "NoAvailableHost"));
      if (hs.filter((h) => h.spec.image).length === HOSTS && waiting.length === MACHINES - HOSTS && hs.every((h) => h.spec.image)) break;
      if (Date.now() > deadline) throw new Error(`not settled: ${hs.filter((h) => h.spec.image).length} hosts with image, ${waiting.length} machines waiting`);
      await sleep(250);
    }
    console.log(`${MACHINES} machines over ${HOSTS} hosts with 2 active managers settled in ${Date.now() - t0} ms`);

    const consumers = hs.map((h) => h.spec.consumerRef?.name);
    expect(consumers.every((c) => c !== undefined)).toBe(true);
    expect(new Set(consumers).size).toBe(HOSTS);
    for (const a of ams.filter((x) => x.spec.providerID)) {
      const host = /^anvil:\/\/default\/([^/]+)\//.exec(a.spec.providerID ?? "")?.[1];
      expect(hs.find((h) => h.metadata.name === host)?.spec.consumerRef?.name).toBe(a.metadata.name);
    }
    expect(ams.filter((x) => x.spec.providerID)).toHaveLength(HOSTS);
    const waiting = ams.filter((a) => !a.spec.providerID);
    for (const a of waiting) {
      expect(a.status?.conditions?.find((c) => c.type === "Ready")?.message).toBe(`no available host among ${HOSTS} matching hostSelector: ${HOSTS} claimed`);
    }
  });
});
