/**
 * Anvil's release as a platform team meets it: `clusterctl init
 * --infrastructure anvil` from an offline repository (make release + CAPI
 * v1.14's own components + a cert-manager stand-in) against a real
 * kube-apiserver, then `clusterctl generate cluster` rendering objects that the
 * API server admits in a server-side dry run — with CAPI's core and kubeadm
 * managers running as local processes, so their validating webhooks judge
 * the Cluster, KubeadmControlPlane and MachineDeployment.
 */
import { execFile } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, parseAllDocuments, stringify } from "yaml";
import { resetCapiConversion, startCapiCore, startKubeadmProviders, type CapiCore } from "./framework/capi.js";
import { ANVIL_VERSION, buildClusterctlRepo, type ClusterctlRepo } from "./framework/clusterctl-repo.js";
import { controllerManagerArgs, startControlPlane, type ControlPlane } from "./framework/control-plane.js";
import { capiBinDir, kubeBinDir } from "./framework/peers.js";
import { freeTcpPort } from "./framework/ports.js";
import { startProcess, type Supervised } from "./framework/process.js";
import { peerVersion } from "./framework/versions.js";

const run = promisify(execFile);
const PROVIDER_LABEL = "cluster.x-k8s.io/provider=infrastructure-anvil";

/**
 * kube-controller-manager with only the ClusterRole aggregation controller
 * (and the namespace controller clusterctl's cert-manager probe leaves work
 * for): RBAC aggregation is that controller's job, not the API server's.
 */
async function startAggregation(cp: ControlPlane): Promise<Supervised> {
  const args = controllerManagerArgs({ kubeconfig: cp.kubeconfigPath, port: await freeTcpPort(), certDir: path.join(cp.dir, "kcm-aggregation") })
    .map((a) => (a.startsWith("--controllers=") ? "--controllers=clusterrole-aggregation-controller,namespace-controller" : a));
  return startProcess({
    name: "kube-controller-manager",
    command: path.join(kubeBinDir(), "kube-controller-manager"),
    args,
    logFile: path.join(cp.dir, "kcm-aggregation.log"),
  });
}

interface Obj {
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: Record<string, unknown>;
}

/** Variables a person would pass to `generate cluster`; the required ones of docs/release.md. */
const TEMPLATE_ENV = {
  CONTROL_PLANE_ENDPOINT_HOST: "192.168.111.249",
  IMAGE_URL: "http://172.22.0.1/images/ubuntu-24.04.qcow2",
  IMAGE_CHECKSUM: "http://172.22.0.1/images/ubuntu-24.04.qcow2.sha256sum",
  SSH_AUTHORIZED_KEY: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAnvilE2eTestKeyNotASecretXXXXXXXXXXXXXXXXXXXX anvil-e2e",
};

describe("clusterctl init --infrastructure anvil and generate cluster, against the real API server", () => {
  let cp: ControlPlane;
  let repo: ClusterctlRepo;
  let managers: CapiCore[] = [];
  let aggregation: Supervised | undefined;
  let initMs = 0;
  let initOutput = "";

  const clusterctl = async (args: readonly string[], env: Record<string, string> = {}) => {
    const r = await run(path.join(capiBinDir(), "clusterctl"), [...args, "--config", repo.configPath], {
      env: { ...process.env, KUBECONFIG: cp.kubeconfigPath, CLUSTERCTL_DISABLE_VERSIONCHECK: "true", ...env },
      maxBuffer: 16 << 20,
      timeout: 300_000,
    });
    return r.stdout + r.stderr;
  };
  const getAll = async (what: string, selector: string): Promise<Obj[]> => {
    const { stdout } = await cp.kubectl(["get", what, "-A", "-l", selector, "-o", "json"]);
    return (JSON.parse(stdout) as { items: Obj[] }).items;
  };

  beforeAll(async () => {
    cp = await startControlPlane();
    aggregation = await startAggregation(cp);
    repo = await buildClusterctlRepo({ dir: path.join(cp.dir, "clusterctl-repo") });
    console.log(`clusterctl repository built: ${JSON.stringify(repo.timings)} ms`);
    const t0 = Date.now();
    initOutput = await clusterctl([
      "init",
      "--core", `cluster-api:${repo.capiVersion}`,
      "--bootstrap", `kubeadm:${repo.capiVersion}`,
      "--control-plane", `kubeadm:${repo.capiVersion}`,
      "--infrastructure", `anvil:${ANVIL_VERSION}`,
    ]);
    initMs = Date.now() - t0;
    console.log(`clusterctl init (core + kubeadm bootstrap + kubeadm control plane + anvil, cert-manager stand-in): ${initMs} ms`);
  });
  afterAll(async () => {
    try {
      for (const m of [...managers].reverse()) await m.stop();
      await aggregation?.stop();
    } finally {
      await cp?.stop();
    }
  });

  it("installs the four providers and reports Anvil's", async () => {
    expect(initOutput).toContain(`Installing provider="infrastructure-anvil" version="${ANVIL_VERSION}" targetNamespace="anvil-system"`);
    const { stdout } = await cp.kubectl(["get", "providers.clusterctl.cluster.x-k8s.io", "-A", "-o", "json"]);
    const providers = (JSON.parse(stdout) as { items: { metadata: { name: string; namespace: string }; version: string; type: string }[] }).items;
    expect(providers.map((p) => [p.metadata.name, p.type, p.version]).sort()).toEqual(
      [
        ["bootstrap-kubeadm", "BootstrapProvider", repo.capiVersion],
        ["cluster-api", "CoreProvider", repo.capiVersion],
        ["control-plane-kubeadm", "ControlPlaneProvider", repo.capiVersion],
        ["infrastructure-anvil", "InfrastructureProvider", ANVIL_VERSION],
      ].sort(),
    );
  });

  it.each([
    ["every Anvil CRD, BareMetalHost and HardwareData included", "crd", [
      "anvilclusters.infrastructure.cluster.x-k8s.io",
      "anvilclustertemplates.infrastructure.cluster.x-k8s.io",
      "anvilmachines.infrastructure.cluster.x-k8s.io",
      "anvilmachinetemplates.infrastructure.cluster.x-k8s.io",
      "baremetalhosts.metal3.io",
      "hardwaredata.metal3.io",
    ]],
    ["the anvil-system namespace", "namespace", ["anvil-system"]],
    ["the manager's ClusterRoles, the one aggregated to CAPI included", "clusterrole", ["anvil-capi-aggregated", "anvil-manager"]],
    ["the manager's ClusterRoleBinding", "clusterrolebinding", ["anvil-manager"]],
    ["the manager's leader-election Role and binding", "role,rolebinding", ["anvil-manager", "anvil-manager"]],
    ["the manager's ServiceAccount", "serviceaccount", ["anvil-manager"]],
    ["the manager Deployment", "deployment", ["anvil-controller-manager"]],
  ])("creates %s, labelled with the provider", async (_what, kind, names) => {
    const items = await getAll(kind, PROVIDER_LABEL);
    expect(items.map((i) => i.metadata.name).sort()).toEqual([...names].sort());
  });

  it("fills the Deployment's settings with their defaults: container manager, hostNetwork, leader election, probes, all namespaces", async () => {
    const [dep] = await getAll("deployment", PROVIDER_LABEL);
    const pod = (dep?.spec as { template: { spec: { hostNetwork: boolean; containers: { name: string; image: string; args: string[]; livenessProbe?: { httpGet: { path: string } }; readinessProbe?: { httpGet: { path: string } } }[] } } }).template.spec;
    expect(pod.hostNetwork).toBe(true);
    const [c] = pod.containers;
    expect(c?.name).toBe("manager");
    expect(c?.image).toBe("ghcr.io/anvil-metal/anvil:v0.1.0");
    expect(c?.args).toEqual(expect.arrayContaining(["manager", "--namespace=*", "--leader-elect=true", "--dhcp-mode=reservation"]));
    expect(c?.args.join(" ")).not.toContain("${");
    expect([c?.livenessProbe?.httpGet.path, c?.readinessProbe?.httpGet.path]).toEqual(["/healthz", "/readyz"]);
  });

  it.each([
    ["patch", "anvilmachines", "yes"],
    ["create", "anvilmachines", "yes"],
    ["get", "anvilclusters", "yes"],
    ["delete", "baremetalhosts.metal3.io", "no"],
  ])("gives CAPI's core manager, through the aggregated role, %s on %s: %s", async (verb, resource, want) => {
    const can = async () =>
      cp.kubectl(["auth", "can-i", verb, resource, "--as=system:serviceaccount:capi-system:capi-manager", "-n", "default"]).then(
        (r) => r.stdout.trim(),
        (e: { stdout?: string }) => e.stdout?.trim() || "no",
      );
    // The aggregation controller fills CAPI's role asynchronously after init.
    const deadline = Date.now() + 30_000;
    let got = await can();
    while (got !== want && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 500));
      got = await can();
    }
    expect(got).toBe(want);
  });

  // ADR 0010: the agent-state and config-drive Secrets sit beside their host, in any namespace.
  it("lets the manager write Secrets beside hosts in any namespace, but never patch them there, run Pods or grant RBAC", async () => {
    const can = async (verb: string, resource: string, ns: string) =>
      (await cp.kubectl(["auth", "can-i", verb, resource, "--as=system:serviceaccount:anvil-system:anvil-manager", "-n", ns]).then(
        (r) => r.stdout.trim(),
        () => "no",
      ));
    expect([
      await can("get", "secrets", "default"),
      await can("create", "secrets", "default"),
      await can("delete", "secrets", "default"),
      await can("patch", "secrets", "default"),
      await can("patch", "secrets", "anvil-system"),
      await can("create", "pods", "default"),
      await can("create", "rolebindings.rbac.authorization.k8s.io", "default"),
    ]).toEqual(["yes", "yes", "yes", "no", "yes", "no", "no"]);
  });

  it("describes the provider for `generate provider --describe`: namespace, variables, image", async () => {
    const out = await clusterctl(["generate", "provider", "--infrastructure", `anvil:${ANVIL_VERSION}`, "--describe"]);
    expect(out).toMatch(/TargetNamespace:\s+anvil-system/);
    for (const v of ["ANVIL_DHCP_MODE", "ANVIL_DHCP_RANGE", "ANVIL_PROVISIONING_INTERFACE", "ANVIL_RAMDISK_KERNEL_URL", "ANVIL_WATCH_NAMESPACE"]) expect(out).toContain(v);
    expect(out).toContain("ghcr.io/anvil-metal/anvil:v0.1.0");
  });

  it("fills the manager's flags from clusterctl variables and swaps its image through clusterctl's images setting", async () => {
    const config = parse(await readFile(repo.configPath, "utf8")) as Record<string, unknown>;
    const custom = path.join(repo.dir, "clusterctl-custom.yaml");
    await writeFile(custom, stringify({ ...config, ANVIL_DHCP_MODE: "proxy", images: { "infrastructure-anvil": { repository: "registry.example.com/anvil", tag: "v0.1.0-lab" } } }));
    const r = await run(path.join(capiBinDir(), "clusterctl"), ["generate", "provider", "--infrastructure", `anvil:${ANVIL_VERSION}`, "--config", custom], {
      env: { ...process.env, CLUSTERCTL_DISABLE_VERSIONCHECK: "true", ANVIL_WATCH_NAMESPACE: "lab", ANVIL_PROVISIONING_INTERFACE: "enp1s0" },
      maxBuffer: 16 << 20,
    });
    const dep = parseAllDocuments(r.stdout).map((d) => d.toJSON() as Obj).find((o) => o.kind === "Deployment");
    const [c] = (dep?.spec as { template: { spec: { containers: { image: string; args: string[] }[] } } }).template.spec.containers;
    expect(c?.image).toBe("registry.example.com/anvil/anvil:v0.1.0-lab");
    expect(c?.args).toEqual(expect.arrayContaining(["--namespace=lab", "--dhcp-mode=proxy", "--provisioning-interface=enp1s0", "--dhcp-range=172.22.0.10-172.22.0.100"]));
  });

  it("lists the template's variables, the required ones without defaults", async () => {
    const out = await clusterctl(["generate", "cluster", "demo", "--infrastructure", `anvil:${ANVIL_VERSION}`, "--list-variables"]);
    const required = out.slice(out.indexOf("Required Variables:"), out.indexOf("Optional Variables:"));
    for (const v of ["CONTROL_PLANE_ENDPOINT_HOST", "IMAGE_URL", "IMAGE_CHECKSUM", "SSH_AUTHORIZED_KEY", "KUBERNETES_VERSION"]) expect(required).toContain(v);
    expect(out.slice(out.indexOf("Optional Variables:"))).toMatch(/CONTROL_PLANE_ENDPOINT_PORT\s+\(defaults to "6443"\)/);
  });

  describe("with CAPI's core and kubeadm managers serving their webhooks locally", () => {
    beforeAll(async () => {
      // clusterctl installed CAPI's webhook configurations pointing at
      // in-cluster Services whose pods never run; the local managers bring
      // their own, pointed at 127.0.0.1.
      const { stdout } = await cp.kubectl([
        "get", "mutatingwebhookconfigurations,validatingwebhookconfigurations", "-l", "cluster.x-k8s.io/provider", "-o", "name",
      ]);
      const stale = stdout.split("\n").filter((l) => l.trim() !== "");
      if (stale.length > 0) await cp.kubectl(["delete", ...stale]);
      await resetCapiConversion(cp);
      // ClusterTopology: without it the core and kubeadm webhooks refuse topology Clusters and *Templates outright.
      managers.push(await startCapiCore(cp, { featureGates: { ClusterTopology: true } }));
      managers = [...managers, ...(await startKubeadmProviders(cp, { featureGates: { ClusterTopology: true } }))];
    });

    const generate = (name: string, extra: Record<string, string> = {}, args: string[] = []) =>
      run(path.join(capiBinDir(), "clusterctl"), [
        "generate", "cluster", name, "--infrastructure", `anvil:${ANVIL_VERSION}`, "--target-namespace", "demo",
        "--kubernetes-version", `v${peerVersion("KUBE_VERSION")}`, "--config", repo.configPath, ...args,
      ], { env: { ...process.env, CLUSTERCTL_DISABLE_VERSIONCHECK: "true", ...TEMPLATE_ENV, ...extra }, maxBuffer: 16 << 20 }).then((r) => r.stdout);

    it("renders the Cluster, AnvilCluster, KubeadmControlPlane, MachineDeployment and their templates", async () => {
      const yaml = await generate("demo", {}, ["--control-plane-machine-count", "3", "--worker-machine-count", "2"]);
      const objs = parseAllDocuments(yaml).map((d) => d.toJSON() as Obj);
      expect(objs.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
        "AnvilCluster/demo",
        "AnvilMachineTemplate/demo-control-plane",
        "AnvilMachineTemplate/demo-workers",
        "Cluster/demo",
        "KubeadmConfigTemplate/demo-workers",
        "KubeadmControlPlane/demo-control-plane",
        "MachineDeployment/demo-workers",
      ]);
      expect(objs.every((o) => o.metadata.namespace === "demo")).toBe(true);
      // The kubelet's provider ID comes from the config drive's meta-data, in both the control plane's and the workers' kubeadm config.
      const providerIdArg = [{ name: "provider-id", value: "{{ ds.meta_data.providerid }}" }];
      const kcp = objs.find((o) => o.kind === "KubeadmControlPlane")?.spec as {
        kubeadmConfigSpec: Record<"initConfiguration" | "joinConfiguration", { nodeRegistration: { kubeletExtraArgs: unknown } }>;
      };
      const workers = objs.find((o) => o.kind === "KubeadmConfigTemplate")?.spec as {
        template: { spec: { joinConfiguration: { nodeRegistration: { kubeletExtraArgs: unknown } } } };
      };
      expect([
        kcp.kubeadmConfigSpec.initConfiguration.nodeRegistration.kubeletExtraArgs,
        kcp.kubeadmConfigSpec.joinConfiguration.nodeRegistration.kubeletExtraArgs,
        workers.template.spec.joinConfiguration.nodeRegistration.kubeletExtraArgs,
      ]).toEqual([providerIdArg, providerIdArg, providerIdArg]);
      expect(yaml).not.toMatch(/\$\{/);
    });

    it("passes a server-side dry-run apply through the CRD schemas and CAPI's webhooks", async () => {
      await cp.kubectl(["create", "namespace", "demo"]);
      const yaml = await generate("demo", {}, ["--control-plane-machine-count", "3", "--worker-machine-count", "2"]);
      const { stdout } = await cp.kubectl(["apply", "--server-side", "--dry-run=server", "--field-manager=clusterctl-e2e", "-f", "-"], { input: yaml });
      expect(stdout.split("\n").filter((l) => l.includes("serverside-applied")).length).toBe(7);
    });

    it.each([
      ["an even control-plane count with stacked etcd (KubeadmControlPlane webhook)", {}, ["--control-plane-machine-count", "2"], "cannot be an even number when etcd is stacked"],
      ["a pod CIDR that is no CIDR (Cluster webhook)", { POD_CIDR: "10.0.0.0/33" }, [], "invalid CIDR address"],
      ["an image URL that is not a URL (AnvilMachineTemplate schema)", { IMAGE_URL: "not a url" }, [], "spec.template.spec.image.url"],
    ])("refuses, in the same dry run, a cluster with %s", async (_what, env, args, message) => {
      const yaml = await generate("bad", env, args);
      const err = await cp.kubectl(["apply", "--server-side", "--dry-run=server", "--field-manager=clusterctl-e2e", "-f", "-"], { input: yaml }).then(
        () => undefined,
        (e: unknown) => e as { stderr: string },
      );
      expect(err?.stderr).toContain(message);
    });

    describe("the topology flavor and ClusterClass anvil", () => {
      let objs: Obj[] = [];
      const topology = (extra: Record<string, string> = {}) => generate("topo", extra, ["--flavor", "topology", "--worker-machine-count", "2"]);
      beforeAll(async () => {
        objs = parseAllDocuments(await topology()).map((d) => d.toJSON() as Obj);
        await cp.kubectl(["create", "namespace", "topo"]);
        const nsArgs = (o: Obj) => ({ ...o, metadata: { ...o.metadata, namespace: "topo" } });
        // The class and its templates are created for real: the Cluster webhook validates topology variables against the class's reconciled status.
        const classObjs = objs.filter((o) => o.kind !== "Cluster").map(nsArgs);
        await cp.kubectl(["apply", "--server-side", "--field-manager=clusterctl-e2e", "-f", "-"], { input: classObjs.map((o) => `---\n${JSON.stringify(o)}\n`).join("") });
        const deadline = Date.now() + 60_000;
        for (;;) {
          const { stdout } = await cp.kubectl(["get", "clusterclasses.v1beta2.cluster.x-k8s.io", "anvil", "-n", "topo", "-o", "json"]);
          const cc = JSON.parse(stdout) as { status?: { variables?: { name: string }[] } };
          if (cc.status?.variables?.some((v) => v.name === "controlPlaneEndpoint") === true) break;
          if (Date.now() > deadline) throw new Error("ClusterClass anvil never reported its variables");
          await new Promise((r) => setTimeout(r, 500));
        }
      });

      it("renders a topology Cluster with ClusterClass anvil and its five templates", () => {
        expect(objs.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
          "AnvilClusterTemplate/anvil-cluster",
          "AnvilMachineTemplate/anvil-control-plane",
          "AnvilMachineTemplate/anvil-default-worker",
          "Cluster/topo",
          "ClusterClass/anvil",
          "KubeadmConfigTemplate/anvil-default-worker",
          "KubeadmControlPlaneTemplate/anvil-control-plane",
        ]);
      });

      it("passes a server-side dry run of the Cluster against the reconciled ClusterClass", async () => {
        const cluster = objs.find((o) => o.kind === "Cluster");
        const { stdout } = await cp.kubectl(["apply", "--server-side", "--dry-run=server", "--field-manager=clusterctl-e2e", "-n", "topo", "-f", "-"], {
          input: JSON.stringify({ ...cluster, metadata: { ...cluster?.metadata, namespace: "topo" } }),
        });
        expect(stdout).toContain("cluster.cluster.x-k8s.io/topo serverside-applied (server dry run)");
      });

      it("refuses, through the Cluster webhook, an endpoint port the class's variable schema forbids", async () => {
        const bad = parseAllDocuments(await topology({ CONTROL_PLANE_ENDPOINT_PORT: "70000" })).map((d) => d.toJSON() as Obj).find((o) => o.kind === "Cluster");
        const err = await cp.kubectl(["apply", "--server-side", "--dry-run=server", "--field-manager=clusterctl-e2e", "-f", "-"], {
          input: JSON.stringify({ ...bad, metadata: { ...bad?.metadata, namespace: "topo" } }),
        }).then(() => undefined, (e: unknown) => e as { stderr: string });
        expect(err?.stderr).toMatch(/controlPlaneEndpoint.*65535|65535.*controlPlaneEndpoint/s);
      });
    });
  });
});
