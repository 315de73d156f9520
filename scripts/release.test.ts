import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import {
  CONTRACT_LABEL,
  NAMESPACE,
  PROVIDER_LABEL,
  PROVIDER_LABEL_VALUE,
  REQUIRED_TEMPLATE_VARIABLES,
  checkComponents,
  checkVariables,
  templateVariables,
  type Manifest,
} from "./release-check.js";
import { COMPONENTS_FILE, buildRelease, parseManifests, type ReleaseFiles } from "./release.js";

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const labels = { [PROVIDER_LABEL]: PROVIDER_LABEL_VALUE };

/** A minimal valid set of components; each bad case breaks one thing. */
function valid(): Manifest[] {
  return [
    { apiVersion: "v1", kind: "Namespace", metadata: { name: NAMESPACE, labels } },
    {
      apiVersion: "apiextensions.k8s.io/v1",
      kind: "CustomResourceDefinition",
      metadata: { name: "anvilclusters.infrastructure.cluster.x-k8s.io", labels: { ...labels, [CONTRACT_LABEL]: "v1alpha1" } },
      spec: { group: "infrastructure.cluster.x-k8s.io" },
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRole",
      metadata: { name: "anvil-manager", labels },
      rules: [{ apiGroups: ["metal3.io"], resources: ["baremetalhosts"], verbs: ["get"] }],
    },
    {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "anvil-controller-manager", namespace: NAMESPACE, labels },
      spec: { template: { spec: { containers: [{ name: "manager", image: "ghcr.io/anvil-metal/anvil:v0.1.0" }] } } },
    },
  ];
}

describe("checkComponents", () => {
  it("accepts a valid set of components", () => {
    expect(checkComponents(valid())).toEqual([]);
  });

  it.each<[string, (ms: Manifest[]) => Manifest[], RegExp]>([
    ["a second Namespace", (ms) => [...ms, { kind: "Namespace", metadata: { name: "other", labels } }], /exactly one Namespace/],
    ["no Namespace", (ms) => ms.filter((m) => m.kind !== "Namespace"), /exactly one Namespace anvil-system, found none/],
    ["an object without the provider label", (ms) => [...ms, { kind: "ConfigMap", metadata: { name: "x", namespace: NAMESPACE } }], /ConfigMap\/x lacks the label/],
    ["an object in another namespace", (ms) => [...ms, { kind: "ConfigMap", metadata: { name: "x", namespace: "default", labels } }], /in namespace default/],
    [
      "an Anvil CRD without the contract label",
      (ms) => ms.map((m) => (m.kind === "CustomResourceDefinition" ? { ...m, metadata: { ...m.metadata, labels } } : m)),
      /lacks the contract label cluster\.x-k8s\.io\/v1beta2/,
    ],
    [
      "a wildcard verb",
      (ms) => [...ms, { kind: "ClusterRole", metadata: { name: "wide", labels }, rules: [{ apiGroups: [""], resources: ["secrets"], verbs: ["*"] }] }],
      /ClusterRole\/wide rule 0 has "\*" in verbs/,
    ],
    [
      "a wildcard resource in a Role",
      (ms) => [...ms, { kind: "Role", metadata: { name: "wide", namespace: NAMESPACE, labels }, rules: [{ apiGroups: [""], resources: ["*"], verbs: ["get"] }] }],
      /Role\/wide rule 0 has "\*" in resources/,
    ],
    ["no manager Deployment", (ms) => ms.filter((m) => m.kind !== "Deployment"), /want one manager Deployment, found 0/],
    [
      "a manager image given as a variable",
      (ms) =>
        ms.map((m) =>
          m.kind === "Deployment" ? { ...m, spec: { template: { spec: { containers: [{ name: "manager", image: "${IMG:=a/b:c}" }] } } } } : m,
        ),
      /container manager needs a literal image/,
    ],
  ])("refuses components with %s", (_what, breakIt, problem) => {
    const problems = checkComponents(breakIt(valid()));
    expect(problems.some((p) => problem.test(p))).toBe(true);
  });
});

describe("templateVariables and checkVariables", () => {
  it.each([
    ["a plain variable", "host: ${HOST}", [{ name: "HOST", defaultValue: undefined }]],
    ["a variable with a default", "port: ${PORT:=6443}", [{ name: "PORT", defaultValue: "6443" }]],
    ["an empty default, which clusterctl takes for none", "ns: ${NS:=}", [{ name: "NS", defaultValue: undefined }]],
    ["one variable twice, once with a default", "a: ${X}\nb: ${X:=1}", [{ name: "X", defaultValue: "1" }]],
    ["a default holding slashes and a colon", "i: ${IMG:=ghcr.io/a/b:v1}", [{ name: "IMG", defaultValue: "ghcr.io/a/b:v1" }]],
  ])("reads %s", (_what, text, want) => {
    expect(templateVariables(text)).toEqual(want);
  });

  it.each([
    ["a variable with a default", "${A:=1}", {}, "", []],
    ["a variable clusterctl sets", "${CLUSTER_NAME}", {}, "", []],
    ["a documented required variable", "${A}", { A: "a" }, "| `A` | a |", []],
    ["an undeclared variable without a default", "${A}", {}, "", ["${A} has no default and is not a documented required variable"]],
    ["a required variable missing from the docs", "${A}", { A: "a" }, "", ["${A} is required but docs/release.md does not mention it"]],
  ])("judges %s", (_what, text, required, docs, want) => {
    expect(checkVariables(text, required, docs)).toEqual(want);
  });
});

describe("the release `make release` builds from manifests/", () => {
  let release: ReleaseFiles;
  let components: Manifest[];
  beforeAll(async () => {
    release = await buildRelease();
    components = parseManifests(release.files.get(COMPONENTS_FILE) ?? "");
    // kubectl kustomize takes a few seconds on a loaded 2-core machine.
  }, 60_000);

  it("holds the components, metadata.yaml, the cluster templates and ClusterClass anvil", () => {
    expect([...release.files.keys()]).toEqual(
      expect.arrayContaining([COMPONENTS_FILE, "metadata.yaml", "cluster-template.yaml", "cluster-template-topology.yaml", "clusterclass-anvil.yaml"]),
    );
  });

  it("passes every invariant", () => {
    expect(checkComponents(components)).toEqual([]);
  });

  it("includes every CRD of manifests/crd, BareMetalHost and HardwareData among them", async () => {
    const kustomization = await readFile(path.join(REPO, "manifests/crd/kustomization.yaml"), "utf8");
    const files = [...kustomization.matchAll(/^\s+- (\S+\.yaml)$/gm)].map((m) => m[1] ?? "");
    const want = files.map((f) => f.replace(/^[^_]+_/, "").replace(/\.yaml$/, "") + "." + (f.split("_")[0] ?? ""));
    const crds = components.filter((m) => m.kind === "CustomResourceDefinition").map((m) => m.metadata?.name);
    expect(crds.sort()).toEqual(want.sort());
    expect(crds).toEqual(expect.arrayContaining(["baremetalhosts.metal3.io", "hardwaredata.metal3.io"]));
  });

  it.each([
    "ANVIL_WATCH_NAMESPACE",
    "ANVIL_LOG_LEVEL",
    "ANVIL_PROVISIONING_INTERFACE",
    "ANVIL_PROVISIONING_ADDRESS",
    "ANVIL_DHCP_MODE",
    "ANVIL_DHCP_RANGE",
    "ANVIL_RAMDISK_KERNEL_URL",
    "ANVIL_RAMDISK_INITRD_URL",
    "ANVIL_NODE_OPTIONS",
  ])("makes %s a variable with a default, documented in docs/release.md", async (name) => {
    const vars = templateVariables(release.files.get(COMPONENTS_FILE) ?? "");
    expect(vars.find((v) => v.name === name)?.defaultValue).toBeDefined();
    expect(await readFile(path.join(REPO, "docs/release.md"), "utf8")).toContain(`\`${name}\``);
  });

  it("declares release series 0.1 on contract v1beta2", () => {
    expect(parseManifests(release.files.get("metadata.yaml") ?? "")).toEqual([
      { apiVersion: "clusterctl.cluster.x-k8s.io/v1alpha3", kind: "Metadata", releaseSeries: [{ major: 0, minor: 1, contract: "v1beta2" }] },
    ]);
  });

  it("documents each required template variable in docs/release.md", async () => {
    const docs = await readFile(path.join(REPO, "docs/release.md"), "utf8");
    for (const name of Object.keys(REQUIRED_TEMPLATE_VARIABLES)) expect(docs).toContain(`\`${name}\``);
  });
});
