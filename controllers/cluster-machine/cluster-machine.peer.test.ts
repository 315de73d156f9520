/**
 * The AnvilCluster and AnvilMachine controllers on a real kube-apiserver with
 * CAPI's own Cluster and Machine CRDs (v1.14, from the cached CAPI build).
 * No CAPI manager and no host controller run: the test plays both, writing
 * the Cluster's status, the Machines and the hosts' status by hand, so every
 * step of the contract is observed on its own.
 */
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AnvilCluster, AnvilMachine, BareMetalHost, BareMetalHostStatus } from "../../api/index.js";
import { startControlPlane, type ControlPlane } from "../../e2e/framework/control-plane.js";
import { capiBinDir, REPO_ROOT } from "../../e2e/framework/peers.js";
import {
  AnvilClusterRef,
  AnvilMachineRef,
  BareMetalHostRef,
  CapiClusterRef,
  CapiMachineRef,
  EventKind,
  isNotFound,
  Manager,
  PatchType,
  SecretKind,
  type KubeObject,
  type ResourceClient,
} from "../runtime/index.js";
import type { CapiCluster, CapiMachine } from "../cluster/capi-objects.js";
import { claimHost } from "../machine/claim.js";
import type { Secret } from "../machine/data-secrets.js";
import { registerClusterControllers } from "./index.js";
import { eventually } from "../../e2e/framework/process.js";
import { hostStatus } from "./host-status.fixture.js";

const NS = "default";
const INFRA = "infrastructure.cluster.x-k8s.io";
const PLANTED_BOOTSTRAP = "#cloud-config\nruncmd: [echo Pl4nted-Bootstrap-T0ken]";
const IMAGE = { url: "http://images.example/ubuntu.raw", checksum: "0123abcd", checksumType: "sha256" as const, format: "raw" as const };

function until<T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false, ms = 20_000): Promise<T> {
  return eventually(what, fn, { timeoutMs: ms, intervalMs: 100 });
}

const cond = (o: { status?: { conditions?: { type: string; status: string; reason: string; message: string }[] } } | undefined, type: string) =>
  o?.status?.conditions?.find((c) => c.type === type);

describe("AnvilCluster and AnvilMachine controllers against a real API server with CAPI's CRDs", () => {
  let cp: ControlPlane;
  let mgr: Manager;
  let hosts: ResourceClient<BareMetalHost>;
  let anvilClusters: ResourceClient<AnvilCluster>;
  let anvilMachines: ResourceClient<AnvilMachine>;
  let clusters: ResourceClient<CapiCluster>;
  let machines: ResourceClient<CapiMachine>;
  let secrets: ResourceClient<Secret>;
  const stop = new AbortController();
  let running: Promise<void> | undefined;
  let clusterUid = "";

  const owner = (kind: string, name: string, uid: string) => ({ apiVersion: "cluster.x-k8s.io/v1beta2", kind, name, uid, controller: true, blockOwnerDeletion: true });

  async function addHost(name: string, labels: Record<string, string>, state = "available", consumerRef?: BareMetalHost["spec"]["consumerRef"]): Promise<void> {
    await hosts.create({
      apiVersion: "metal3.io/v1alpha1",
      kind: "BareMetalHost",
      metadata: { name, namespace: NS, labels },
      spec: {
        online: false,
        bootMACAddress: "00:11:22:33:44:55",
        bmc: { address: "redfish://127.0.0.1:1/redfish/v1/Systems/1", credentialsName: "bmc" },
        ...(consumerRef ? { consumerRef } : {}),
      },
    });
    await setHostStatus(name, hostStatus(state));
  }

  async function setHostStatus(name: string, status: BareMetalHostStatus): Promise<void> {
    const h = await hosts.get(NS, name);
    await hosts.updateStatus({ ...h, status });
  }

  async function addMachine(name: string, o: { dataSecretName?: string; failureDomain?: string } = {}): Promise<CapiMachine> {
    return machines.create({
      apiVersion: "cluster.x-k8s.io/v1beta2",
      kind: "Machine",
      metadata: { name, namespace: NS, labels: { "cluster.x-k8s.io/cluster-name": "c1" } },
      spec: {
        clusterName: "c1",
        bootstrap: o.dataSecretName ? { dataSecretName: o.dataSecretName } : { configRef: { apiGroup: "bootstrap.cluster.x-k8s.io", kind: "KubeadmConfig", name } },
        infrastructureRef: { apiGroup: INFRA, kind: "AnvilMachine", name },
        ...(o.failureDomain ? { failureDomain: o.failureDomain } : {}),
      },
    });
  }

  async function addAnvilMachine(name: string, machine?: CapiMachine): Promise<void> {
    await anvilMachines.create({
      apiVersion: `${INFRA}/v1alpha1`,
      kind: "AnvilMachine",
      metadata: {
        name,
        namespace: NS,
        labels: { "cluster.x-k8s.io/cluster-name": "c1" },
        ...(machine ? { ownerReferences: [owner("Machine", name, machine.metadata.uid ?? "")] } : {}),
      },
      spec: { image: IMAGE, hostSelector: { matchLabels: { pool: "workers" } } },
    });
  }

  async function bootstrapSecret(name: string): Promise<void> {
    await secrets.create({
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name, namespace: NS },
      type: "cluster.x-k8s.io/secret",
      data: { value: Buffer.from(PLANTED_BOOTSTRAP).toString("base64"), format: Buffer.from("cloud-config").toString("base64") },
    });
  }

  const machineReady = (name: string) => async () => cond(await anvilMachines.get(NS, name), "Ready");

  beforeAll(async () => {
    cp = await startControlPlane();
    await cp.kubectl(["apply", "-k", path.join(REPO_ROOT, "manifests/crd")]);
    const capiCrds = path.resolve(capiBinDir(), "../config/core/crd/bases");
    // Server-side: CAPI's CRDs are larger than client-side apply's annotation.
    for (const f of ["cluster.x-k8s.io_clusters.yaml", "cluster.x-k8s.io_machines.yaml"]) {
      await cp.kubectl(["apply", "--server-side", "--field-manager=anvil-test", "-f", path.join(capiCrds, f)]);
    }
    await cp.kubectl(["wait", "--for=condition=Established", "--timeout=60s", "crd/baremetalhosts.metal3.io", "crd/anvilclusters.infrastructure.cluster.x-k8s.io", "crd/anvilmachines.infrastructure.cluster.x-k8s.io", "crd/clusters.cluster.x-k8s.io", "crd/machines.cluster.x-k8s.io"], { timeoutMs: 70_000 });

    mgr = new Manager({ kubeConfig: cp.kubeConfig(), probes: false, resyncMs: 0 });
    hosts = mgr.client(BareMetalHostRef);
    anvilClusters = mgr.client(AnvilClusterRef);
    anvilMachines = mgr.client(AnvilMachineRef);
    clusters = mgr.client(CapiClusterRef);
    machines = mgr.client(CapiMachineRef);
    secrets = mgr.client(SecretKind);
    registerClusterControllers({ manager: mgr, concurrency: 2 });
    running = mgr.start(stop.signal);
    await until("caches to sync", () => mgr.hasSynced());
  }, 180_000);

  afterAll(async () => {
    stop.abort();
    await running?.catch(() => undefined);
    await cp?.stop();
  });

  it("an AnvilCluster waits for its Cluster, then is provisioned with failure domains from host labels", async () => {
    await addHost("h-a", { pool: "workers", "infrastructure.cluster.x-k8s.io/failure-domain": "rack-1" });
    await addHost("h-b", { pool: "workers", "infrastructure.cluster.x-k8s.io/failure-domain": "rack-2" });
    await addHost("h-x", { "infrastructure.cluster.x-k8s.io/failure-domain": "rack-1" });
    await anvilClusters.create({
      apiVersion: `${INFRA}/v1alpha1`,
      kind: "AnvilCluster",
      metadata: { name: "c1", namespace: NS, labels: { "cluster.x-k8s.io/cluster-name": "c1" } },
      spec: { controlPlaneEndpoint: { host: "10.0.0.10", port: 6443 } },
    });
    const waiting = await until("WaitingForOwner", async () => cond(await anvilClusters.get(NS, "c1"), "Ready"));
    expect(waiting).toMatchObject({ status: "False", reason: "WaitingForOwner" });

    const cluster = await clusters.create({
      apiVersion: "cluster.x-k8s.io/v1beta2",
      kind: "Cluster",
      metadata: { name: "c1", namespace: NS },
      spec: { infrastructureRef: { apiGroup: INFRA, kind: "AnvilCluster", name: "c1" } },
    });
    clusterUid = cluster.metadata.uid ?? "";
    // What CAPI's Cluster controller does first.
    await anvilClusters.patch(NS, "c1", { metadata: { ownerReferences: [owner("Cluster", "c1", clusterUid)] } });
    const ac = await until("AnvilCluster provisioned", async () => {
      const x = await anvilClusters.get(NS, "c1");
      return x.status?.initialization?.provisioned === true ? x : undefined;
    });
    expect(cond(ac, "Ready")).toMatchObject({ status: "True", reason: "Ready" });
    expect(cond(ac, "ControlPlaneEndpointReady")).toMatchObject({ status: "True", message: "10.0.0.10:6443 (from the AnvilCluster)" });
    expect(cond(ac, "Paused")).toMatchObject({ status: "False" });
    expect(ac.status?.failureDomains).toEqual([
      { name: "rack-1", controlPlane: true },
      { name: "rack-2", controlPlane: true },
    ]);
    expect(ac.metadata.finalizers).toContain("anvilcluster.infrastructure.cluster.x-k8s.io");

    // A new label value on a host shows up as a new failure domain.
    await hosts.patch(NS, "h-x", { metadata: { labels: { "infrastructure.cluster.x-k8s.io/failure-domain": "rack-3" } } });
    await until("rack-3 listed", async () => (await anvilClusters.get(NS, "c1")).status?.failureDomains?.some((f) => f.name === "rack-3"));
  });

  it("an AnvilMachine says what it waits for: owner Machine, Cluster infrastructure, bootstrap data", async () => {
    await addAnvilMachine("m1");
    expect(await until("WaitingForOwner", machineReady("m1"))).toMatchObject({ status: "False", reason: "WaitingForOwner" });

    const m = await addMachine("m1", { failureDomain: "rack-2" });
    await anvilMachines.patch(NS, "m1", { metadata: { ownerReferences: [owner("Machine", "m1", m.metadata.uid ?? "")] } });
    const infra = await until("WaitingForClusterInfrastructure", async () => {
      const c = await machineReady("m1")();
      return c?.reason === "WaitingForClusterInfrastructure" ? c : undefined;
    });
    expect(infra.message).toContain("Cluster c1");

    // What CAPI's Cluster controller writes once the AnvilCluster is provisioned.
    await clusters.patchStatus(NS, "c1", { status: { initialization: { infrastructureProvisioned: true } } });
    const boot = await until("WaitingForBootstrapData", async () => {
      const c = await machineReady("m1")();
      return c?.reason === "WaitingForBootstrapData" ? c : undefined;
    });
    expect(boot.message).toContain("spec.bootstrap.dataSecretName");
    expect((await hosts.list({ namespace: NS })).items.filter((h) => h.spec.consumerRef)).toEqual([]);
  });

  it("with bootstrap data the machine claims a host in its failure domain and gives it image, power and config drive", async () => {
    // The Machine names its bootstrap Secret before the Secret exists: no host is held meanwhile.
    await machines.patch(NS, "m1", { spec: { bootstrap: { configRef: null, dataSecretName: "m1-bootstrap" } } });
    const missing = await until("missing Secret reported", async () => {
      const c = await machineReady("m1")();
      return c?.message.includes("does not exist") ? c : undefined;
    });
    expect(missing).toMatchObject({ reason: "WaitingForBootstrapData", message: "bootstrap data Secret default/m1-bootstrap named by the Machine does not exist" });
    expect((await hosts.list({ namespace: NS })).items.filter((h) => h.spec.consumerRef)).toEqual([]);
    await bootstrapSecret("m1-bootstrap");
    const host = await until("a host claimed", async () => {
      const h = await hosts.get(NS, "h-b");
      return h.spec.consumerRef && h.spec.image ? h : undefined;
    });
    const am = await anvilMachines.get(NS, "m1");
    expect(host.spec.consumerRef).toMatchObject({ kind: "AnvilMachine", name: "m1", namespace: NS, uid: am.metadata.uid });
    expect(host.spec).toMatchObject({ online: true, image: IMAGE, userData: { name: "m1-user-data", namespace: NS }, metaData: { name: "m1-meta-data", namespace: NS } });
    expect(host.metadata.labels?.["cluster.x-k8s.io/cluster-name"]).toBe("c1");
    expect(am.spec.providerID).toBe("anvil://default/h-b/m1");
    expect(am.metadata.finalizers).toContain("anvilmachine.infrastructure.cluster.x-k8s.io");

    const ud = await secrets.get(NS, "m1-user-data");
    expect(Buffer.from(ud.data?.value ?? "", "base64").toString()).toBe(PLANTED_BOOTSTRAP);
    expect(Buffer.from(ud.data?.format ?? "", "base64").toString()).toBe("cloud-config");
    expect(ud.metadata?.ownerReferences?.[0]).toMatchObject({ kind: "AnvilMachine", name: "m1", uid: am.metadata.uid, controller: true });
    const md = await secrets.get(NS, "m1-meta-data");
    expect(JSON.parse(Buffer.from(md.data?.metaData ?? "", "base64").toString())).toEqual({
      uuid: host.metadata.uid,
      providerid: "anvil://default/h-b/m1",
      "local-hostname": "h-b",
      name: "h-b",
    });

    const ready = await until("Ready says the host is on its way", async () => {
      const x = await anvilMachines.get(NS, "m1");
      return x.status?.hostRef ? x : undefined;
    });
    expect(ready.status).toMatchObject({ hostRef: { name: "h-b", namespace: NS }, failureDomain: "rack-2" });
    expect(cond(ready, "HostAssociated")).toMatchObject({ status: "True" });
    expect(cond(ready, "Ready")).toMatchObject({ status: "False", reason: "Provisioning" });
    expect(ready.status?.initialization?.provisioned).not.toBe(true);
  });

  it("the host's progress reaches the Ready condition, and provisioned makes the machine provisioned", async () => {
    await setHostStatus("h-b", hostStatus("provisioning", { poweredOn: true, operationHistory: { provision: { start: "2026-01-01T10:00:00Z", end: null } } }));
    const prov = await until("provisioning message", async () => {
      const c = await machineReady("m1")();
      return c?.message.includes("since 2026-01-01T10:00:00Z") ? c : undefined;
    });
    expect(prov).toMatchObject({ status: "False", reason: "Provisioning", message: "host default/h-b is provisioning since 2026-01-01T10:00:00Z (powered on)" });

    await setHostStatus("h-b", hostStatus("provisioning", { operationalStatus: "error", errorType: "provisioning error", errorMessage: "image checksum mismatch", errorCount: 1 }));
    const err = await until("HostError", async () => {
      const c = await machineReady("m1")();
      return c?.reason === "HostError" ? c : undefined;
    });
    expect(err.message).toContain("provisioning error: image checksum mismatch");

    await setHostStatus("h-b", hostStatus("provisioned", { poweredOn: true, hardware: { hostname: "node-b", nics: [{ name: "eno1", mac: "00:11:22:33:44:55", ip: "192.168.10.12" }] } }));
    const am = await until("AnvilMachine provisioned", async () => {
      const x = await anvilMachines.get(NS, "m1");
      return x.status?.initialization?.provisioned ? x : undefined;
    });
    expect(cond(am, "Ready")).toMatchObject({ status: "True", reason: "Provisioned" });
    expect(cond(am, "HostProvisioned")).toMatchObject({ status: "True" });
    expect(am.status?.addresses).toEqual([
      { type: "InternalIP", address: "192.168.10.12" },
      { type: "Hostname", address: "node-b" },
      { type: "InternalDNS", address: "node-b" },
    ]);
  });

  it("two machines racing for the last matching host: exactly one wins, the other says why it waits", async () => {
    await bootstrapSecret("boot");
    const [m2, m3] = await Promise.all([addMachine("m2", { dataSecretName: "boot" }), addMachine("m3", { dataSecretName: "boot" })]);
    await Promise.all([addAnvilMachine("m2", m2), addAnvilMachine("m3", m3)]);
    const reasons = await until("both machines settled", async () => {
      const [a, b] = await Promise.all([machineReady("m2")(), machineReady("m3")()]);
      const r = [a?.reason, b?.reason].sort();
      return r[0] === "NoAvailableHost" && r[1] === "Provisioning" ? [a, b] : undefined;
    });
    const loser = reasons.find((c) => c?.reason === "NoAvailableHost");
    expect(loser?.message).toBe("no available host among 2 matching hostSelector: 2 claimed");
    const claimed = (await hosts.list({ namespace: NS })).items.filter((h) => h.spec.consumerRef);
    expect(claimed.map((h) => `${h.metadata.name ?? ""}←${h.spec.consumerRef?.name ?? ""}`).sort()).toEqual(
      expect.arrayContaining(["h-b←m1"]),
    );
    expect(claimed).toHaveLength(2);
    expect(claimed.find((h) => h.metadata.name === "h-a")?.spec.consumerRef?.name).toMatch(/^m[23]$/);
  });

  it("a machine whose claim landed but whose providerID write was lost adopts that host", async () => {
    // The state a crash right after the claim leaves: the host names the machine, the machine names nothing.
    await addHost("h-c", { pool: "workers" }, "available", { apiVersion: `${INFRA}/v1alpha1`, kind: "AnvilMachine", name: "m4", namespace: NS });
    const m4 = await addMachine("m4", { dataSecretName: "boot" });
    await addAnvilMachine("m4", m4);
    // No host is free, so anything but adoption would leave m4 with NoAvailableHost.
    const am = await until("m4 associated", async () => {
      const x = await anvilMachines.get(NS, "m4");
      return x.spec.providerID ? x : undefined;
    });
    expect(am.spec.providerID).toBe("anvil://default/h-c/m4");
    const hc = await until("h-c given the payload", async () => {
      const h = await hosts.get(NS, "h-c");
      return h.spec.image ? h : undefined;
    });
    expect(hc.spec).toMatchObject({ image: IMAGE, online: true, consumerRef: { name: "m4" } });
  });

  it("two claims from the same listing on the real API server: one 409, one winner", async () => {
    await addHost("h-race", { pool: "race" });
    const listing = (await hosts.list({ namespace: NS, labelSelector: "pool=race" })).items;
    let conflicts = 0;
    const run = (name: string) => {
      let first = true;
      return claimHost({
        hosts,
        // Both begin from the same listing, so both write h-race at one resourceVersion.
        list: async () => (first ? ((first = false), structuredClone(listing)) : (await hosts.list({ namespace: NS, labelSelector: "pool=race" })).items),
        claimant: { namespace: NS, name, uid: `uid-${name}` },
        onConflict: () => void conflicts++,
      });
    };
    const results = await Promise.all([run("racer-1"), run("racer-2")]);
    expect(results.filter((r) => r.kind === "claimed")).toHaveLength(1);
    expect(results.find((r) => r.kind === "none")).toEqual({ kind: "none", message: "no available host among 1 matching hostSelector: 1 claimed" });
    expect(conflicts).toBe(1);
    await hosts.delete(NS, "h-race");
  });

  it("pausing the Cluster pauses the claimed hosts, unpausing lifts only that pause", async () => {
    await clusters.patch(NS, "c1", { spec: { paused: true } });
    await until("h-b paused", async () => (await hosts.get(NS, "h-b")).metadata.annotations?.["baremetalhost.metal3.io/paused"] === "infrastructure.cluster.x-k8s.io/anvil");
    expect(await until("Paused condition", async () => {
      const c = cond(await anvilMachines.get(NS, "m1"), "Paused");
      return c?.status === "True" ? c : undefined;
    })).toMatchObject({ reason: "Paused" });
    await until("AnvilCluster Paused", async () => cond(await anvilClusters.get(NS, "c1"), "Paused")?.status === "True");

    await clusters.patch(NS, "c1", { spec: { paused: false } });
    await until("h-b unpaused", async () => !("baremetalhost.metal3.io/paused" in ((await hosts.get(NS, "h-b")).metadata.annotations ?? {})));
    await until("Paused False", async () => cond(await anvilMachines.get(NS, "m1"), "Paused")?.status === "False");
  });

  it("a machine blocks clusterctl move until its host is paused with its status saved, then lets it go (ADR 0019)", async () => {
    const BLOCK = "clusterctl.cluster.x-k8s.io/block-move";
    const blocking = async (): Promise<boolean> => BLOCK in ((await anvilMachines.get(NS, "m1")).metadata.annotations ?? {});
    await until("block-move on the running machine", blocking);
    await clusters.patch(NS, "c1", { spec: { paused: true } });
    await until("h-b paused", async () => (await hosts.get(NS, "h-b")).metadata.annotations?.["baremetalhost.metal3.io/paused"] === "infrastructure.cluster.x-k8s.io/anvil");
    // No host controller runs here, so nothing saves the status: the machine says so and keeps blocking.
    const waiting = await until("Paused condition naming the unsaved status", async () => {
      const c = cond(await anvilMachines.get(NS, "m1"), "Paused");
      return c?.message.includes("move blocked") ? c : undefined;
    });
    expect(waiting.message).toContain("waiting for its status (provisioned) to be saved in baremetalhost.metal3.io/status");
    expect(await blocking()).toBe(true);

    // What the host controller does for a paused host (controllers/kube-host/status-annotation.ts).
    const h = await hosts.get(NS, "h-b");
    await hosts.patch(NS, "h-b", { metadata: { annotations: { "baremetalhost.metal3.io/status": JSON.stringify(h.status) } } });
    await until("block-move lifted", async () => !(await blocking()));

    await clusters.patch(NS, "c1", { spec: { paused: false } });
    await until("h-b unpaused", async () => !("baremetalhost.metal3.io/paused" in ((await hosts.get(NS, "h-b")).metadata.annotations ?? {})));
    await until("block-move back on the running machine", blocking);
    await hosts.patch(NS, "h-b", { metadata: { annotations: { "baremetalhost.metal3.io/status": null } } });
  });

  it("deleting a machine deprovisions its host, then releases it to the machine that waited", async () => {
    const loser = (await Promise.all(["m2", "m3"].map((n) => anvilMachines.get(NS, n)))).find((x) => !x.status?.hostRef);
    expect(loser).toBeDefined();
    await anvilMachines.delete(NS, "m1");
    const cleared = await until("image taken away", async () => {
      const h = await hosts.get(NS, "h-b");
      return h.spec.image === undefined ? h : undefined;
    });
    expect(cleared.spec).toMatchObject({ online: false, consumerRef: { name: "m1" } });
    expect(cleared.spec.userData).toBeUndefined();
    expect(cleared.spec.metaData).toBeUndefined();
    const waiting = await until("Deprovisioning reason", async () => {
      const c = await machineReady("m1")();
      return c?.reason === "Deprovisioning" ? c : undefined;
    });
    expect(waiting.message).toBe("waiting for host default/h-b to deprovision (state provisioned)");

    // The host controller's part, played by hand.
    await setHostStatus("h-b", hostStatus("deprovisioning"));
    await sleep(300);
    expect((await hosts.get(NS, "h-b")).spec.consumerRef?.name).toBe("m1");
    await setHostStatus("h-b", hostStatus("available"));
    await until("m1 gone", async () => {
      try {
        await anvilMachines.get(NS, "m1");
        return undefined;
      } catch (err) {
        return isNotFound(err) || undefined;
      }
    });
    for (const s of ["m1-user-data", "m1-meta-data"]) {
      await expect(secrets.get(NS, s)).rejects.toMatchObject({ code: "API_NOT_FOUND" });
    }
    // The freed host wakes the machine that waited, which claims it.
    const name = loser?.metadata.name ?? "";
    const h = await until(`${name} claims h-b`, async () => {
      const x = await hosts.get(NS, "h-b");
      return x.spec.consumerRef?.name === name && x.spec.image ? x : undefined;
    });
    expect(h.spec).toMatchObject({ image: IMAGE, online: true, userData: { name: `${name}-user-data` } });
  });

  it("no bootstrap data reaches conditions or Events", async () => {
    const needle = "Pl4nted-Bootstrap-T0ken";
    const ams = (await anvilMachines.list({ namespace: NS })).items;
    expect(JSON.stringify(ams.map((a) => a.status))).not.toContain(needle);
    const events = await mgr.client<KubeObject>(EventKind).list({ namespace: NS });
    expect(events.items.length).toBeGreaterThan(0);
    expect(JSON.stringify(events.items)).not.toContain(needle);
    expect(JSON.stringify(events.items)).toContain("claimed host");
  });

  it("a deleted AnvilCluster waits for its machines", async () => {
    await anvilClusters.delete(NS, "c1");
    const c = await until("Deleting", async () => {
      const r = cond(await anvilClusters.get(NS, "c1"), "Ready");
      return r?.reason === "Deleting" ? r : undefined;
    });
    expect(c.message).toMatch(/^waiting for 3 AnvilMachine\(s\) of cluster c1 to be deleted$/);
    await anvilClusters.patch(NS, "c1", { metadata: { finalizers: null } }, PatchType.Merge);
  });
});
