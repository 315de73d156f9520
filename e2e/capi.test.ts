/**
 * The CAPI v1.14 core manager runs as a local process against the real API
 * server, with its webhooks served on 127.0.0.1: it admits, defaults,
 * converts and reconciles a v1beta2 Cluster whose infrastructure object is a
 * minimal provider kind on the v1beta2 contract, and clusterctl from the
 * same build answers.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { startCapiCore, startKubeadmProviders, type CapiCore } from "./framework/capi.js";
import { startControlPlane, type ControlPlane } from "./framework/control-plane.js";
import { peerVersion } from "./framework/versions.js";

const GROUP = "infrastructure.anvil-test.io";

/**
 * A provider kind the contract can find: CAPI derives the CRD name from the
 * kind (contract.CalculateCRDName: lower-case plural + "." + group) and reads
 * the supported version from the `cluster.x-k8s.io/v1beta2` label.
 */
const smokeClusterCrd = {
  apiVersion: "apiextensions.k8s.io/v1",
  kind: "CustomResourceDefinition",
  metadata: { name: `smokeclusters.${GROUP}`, labels: { "cluster.x-k8s.io/v1beta2": "v1alpha1" } },
  spec: {
    group: GROUP,
    scope: "Namespaced",
    names: { kind: "SmokeCluster", listKind: "SmokeClusterList", plural: "smokeclusters", singular: "smokecluster" },
    versions: [
      {
        name: "v1alpha1",
        served: true,
        storage: true,
        subresources: { status: {} },
        schema: {
          openAPIV3Schema: {
            type: "object",
            properties: {
              spec: { type: "object", "x-kubernetes-preserve-unknown-fields": true },
              status: { type: "object", "x-kubernetes-preserve-unknown-fields": true },
            },
          },
        },
      },
    ],
  },
};

interface Obj {
  apiVersion?: string;
  metadata?: { finalizers?: string[]; ownerReferences?: { kind: string; name: string }[]; labels?: Record<string, string> };
  spec?: { infrastructureRef?: { kind?: string; name?: string; apiVersion?: string; apiGroup?: string } };
  status?: { initialization?: { infrastructureProvisioned?: boolean }; phase?: string; conditions?: { type: string; status: string }[] };
}

async function getJson(cp: ControlPlane, what: string, name: string): Promise<Obj | undefined> {
  const { stdout } = await cp.kubectl(["get", what, name, "--ignore-not-found", "-o", "json"]);
  return stdout.trim() === "" ? undefined : (JSON.parse(stdout) as Obj);
}

async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(250);
  }
}

describe("the CAPI core manager against the local control plane", () => {
  let cp: ControlPlane;
  let capi: CapiCore;
  beforeAll(async () => {
    cp = await startControlPlane();
    capi = await startCapiCore(cp);
    console.log(`control plane ${cp.timings.total} ms; CAPI core CRDs + webhooks + manager ready ${capi.startupMs} ms later`);
    await cp.kubectl(["apply", "-f", "-"], { input: stringify(smokeClusterCrd) });
    await cp.kubectl(["wait", "--for=condition=Established", `crd/smokeclusters.${GROUP}`, "--timeout=30s"]);
  });
  afterAll(async () => {
    try {
      await capi?.stop();
    } finally {
      await cp?.stop();
    }
  });

  it("installs every CRD of CAPI's core/config/crd/bases", async () => {
    const { stdout } = await cp.kubectl(["get", "crd", "-o", "name"]);
    const installed = stdout.split("\n").map((l) => l.replace("customresourcedefinition.apiextensions.k8s.io/", ""));
    expect(capi.crdNames.length).toBeGreaterThanOrEqual(13);
    for (const name of capi.crdNames) expect(installed).toContain(name);
  });

  it.each([
    {
      what: "a Cluster without infrastructureRef, controlPlaneRef or topology",
      // Not an empty spec: the CRD schema (minProperties) would refuse that before the webhook.
      spec: { paused: false },
      message: "one of spec.controlPlaneRef, spec.infrastructureRef or spec.topology must be set",
    },
    {
      what: "a Cluster with a malformed pod CIDR",
      spec: {
        infrastructureRef: { apiGroup: GROUP, kind: "SmokeCluster", name: "x" },
        clusterNetwork: { pods: { cidrBlocks: ["10.0.0.0/33"] } },
      },
      message: 'spec.clusterNetwork.pods.cidrBlocks[0]: Invalid value: "10.0.0.0/33": invalid CIDR address',
    },
  ])("has its validating webhook refuse $what (messages only CAPI's Go validation writes)", async ({ spec, message }) => {
    const manifest = { apiVersion: "cluster.x-k8s.io/v1beta2", kind: "Cluster", metadata: { name: "refused", namespace: "default" }, spec };
    const err = await cp.kubectl(["create", "-f", "-"], { input: stringify(manifest) }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: "KUBECTL_FAILED" });
    expect((err as { stderr: string }).stderr).toContain(message);
  });

  it("reconciles a v1beta2 Cluster: finalizer, owner reference on its infrastructure, provisioned once the provider says so", async () => {
    await cp.kubectl(["apply", "-f", "-"], {
      input: stringify({ apiVersion: `${GROUP}/v1alpha1`, kind: "SmokeCluster", metadata: { name: "smoke", namespace: "default" }, spec: {} }),
    });
    await cp.kubectl(["create", "-f", "-"], {
      input: stringify({
        apiVersion: "cluster.x-k8s.io/v1beta2",
        kind: "Cluster",
        metadata: { name: "smoke", namespace: "default" },
        spec: { infrastructureRef: { apiGroup: GROUP, kind: "SmokeCluster", name: "smoke" } },
      }),
    });

    const withFinalizer = await eventually("the Cluster's finalizer", async () => {
      const c = await getJson(cp, "clusters.v1beta2.cluster.x-k8s.io", "smoke");
      return c?.metadata?.finalizers?.includes("cluster.cluster.x-k8s.io") === true ? c : undefined;
    });
    expect(withFinalizer.status?.initialization?.infrastructureProvisioned).not.toBe(true);

    const infra = await eventually("the Cluster to own its SmokeCluster", async () => {
      const s = await getJson(cp, `smokeclusters.${GROUP}`, "smoke");
      return s?.metadata?.ownerReferences?.some((o) => o.kind === "Cluster" && o.name === "smoke") === true ? s : undefined;
    });
    expect(infra.metadata?.labels?.["cluster.x-k8s.io/cluster-name"]).toBe("smoke");

    // Play the infrastructure provider: the v1beta2 contract's signal.
    await cp.kubectl([
      "patch", `smokeclusters.${GROUP}`, "smoke", "--subresource=status", "--type=merge",
      "-p", JSON.stringify({ status: { initialization: { provisioned: true } } }),
    ]);
    const provisioned = await eventually("the Cluster to see its infrastructure provisioned", async () => {
      const c = await getJson(cp, "clusters.v1beta2.cluster.x-k8s.io", "smoke");
      return c?.status?.initialization?.infrastructureProvisioned === true ? c : undefined;
    });
    expect(provisioned.status?.conditions?.map((c) => c.type)).toContain("InfrastructureReady");
    expect(provisioned.status?.conditions?.find((c) => c.type === "InfrastructureReady")?.status).toBe("True");
  });

  it("serves the stored v1beta2 Cluster as v1beta1 through its conversion webhook", async () => {
    const old = await getJson(cp, "clusters.v1beta1.cluster.x-k8s.io", "smoke");
    expect(old?.apiVersion).toBe("cluster.x-k8s.io/v1beta1");
    expect(old?.spec?.infrastructureRef).toMatchObject({ kind: "SmokeCluster", name: "smoke" });
    expect(old?.spec?.infrastructureRef?.apiVersion).toMatch(new RegExp(`^${GROUP.replace(/\./g, "\\.")}/`));
  });

  it("deletes a Cluster: CAPI deletes its infrastructure object, then drops its finalizer", async () => {
    await cp.kubectl(["delete", "clusters.v1beta2.cluster.x-k8s.io", "smoke", "--wait=false"]);
    await eventually("the Cluster to disappear", async () =>
      (await getJson(cp, "clusters.v1beta2.cluster.x-k8s.io", "smoke")) === undefined ? true : undefined,
    );
    expect(await getJson(cp, `smokeclusters.${GROUP}`, "smoke")).toBeUndefined();
  });

  it("runs clusterctl of the pinned CAPI version", async () => {
    const { stdout } = await capi.clusterctl(["version", "-o", "short"]);
    expect(stdout.trim()).toBe(`v${peerVersion("CAPI_VERSION")}`);
  });

  it("stops the manager and removes its webhook configurations, so later writes are not sent to a dead server", async () => {
    const pid = capi.process.child.pid!;
    await capi.stop();
    const { stdout } = await cp.kubectl(["get", "mutatingwebhookconfigurations,validatingwebhookconfigurations", "-o", "name"]);
    expect(stdout.split("\n").filter((l) => l.includes("capi-core-"))).toEqual([]);
    expect(capi.process.child.exitCode !== null || capi.process.child.signalCode !== null).toBe(true);
    expect(() => process.kill(pid, 0)).toThrow();
    await cp.kubectl(["create", "-f", "-"], {
      input: stringify({
        apiVersion: "cluster.x-k8s.io/v1beta2",
        kind: "Cluster",
        metadata: { name: "after-stop", namespace: "default" },
        spec: { infrastructureRef: { apiGroup: GROUP, kind: "SmokeCluster", name: "x" } },
      }),
    });
  });
});

describe("the kubeadm bootstrap and control-plane managers beside the core", () => {
  let cp: ControlPlane;
  let managers: CapiCore[] = [];
  beforeAll(async () => {
    cp = await startControlPlane();
    managers.push(await startCapiCore(cp));
    managers = [...managers, ...(await startKubeadmProviders(cp))];
    console.log(`core + kubeadm managers ready: ${managers.map((m) => `${m.component} ${m.startupMs} ms`).join(", ")}`);
  });
  afterAll(async () => {
    try {
      for (const m of [...managers].reverse()) await m.stop();
    } finally {
      await cp?.stop();
    }
  });

  it("serves a KubeadmConfigTemplate stored as v1beta2 as v1beta1 through the bootstrap manager's conversion", async () => {
    await cp.kubectl(["create", "-f", "-"], {
      input: stringify({
        apiVersion: "bootstrap.cluster.x-k8s.io/v1beta2",
        kind: "KubeadmConfigTemplate",
        metadata: { name: "workers", namespace: "default" },
        spec: { template: { spec: { preKubeadmCommands: ["echo anvil"] } } },
      }),
    });
    const { stdout } = await cp.kubectl(["get", "kubeadmconfigtemplates.v1beta1.bootstrap.cluster.x-k8s.io", "workers", "-o", "json"]);
    const old = JSON.parse(stdout) as { apiVersion: string; spec: { template: { spec: { preKubeadmCommands?: string[] } } } };
    expect(old.apiVersion).toBe("bootstrap.cluster.x-k8s.io/v1beta1");
    expect(old.spec.template.spec.preKubeadmCommands).toEqual(["echo anvil"]);
  });

  it("has the control-plane manager's webhook refuse a stacked-etcd KubeadmControlPlane with an even replica count", async () => {
    const kcp = {
      apiVersion: "controlplane.cluster.x-k8s.io/v1beta2",
      kind: "KubeadmControlPlane",
      metadata: { name: "even", namespace: "default" },
      spec: {
        replicas: 2,
        version: "v1.36.3",
        machineTemplate: { spec: { infrastructureRef: { apiGroup: GROUP, kind: "SmokeMachineTemplate", name: "cp" } } },
        kubeadmConfigSpec: { preKubeadmCommands: ["true"] },
      },
    };
    const err = await cp.kubectl(["create", "-f", "-"], { input: stringify(kcp) }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: "KUBECTL_FAILED" });
    expect((err as { stderr: string }).stderr).toContain("cannot be an even number when etcd is stacked");
    await cp.kubectl(["create", "-f", "-"], { input: stringify({ ...kcp, metadata: { ...kcp.metadata, name: "odd" }, spec: { ...kcp.spec, replicas: 3 } }) });
  });
});
