import { describe, expect, it } from "vitest";
import { ALL_KINDS } from "./kinds.js";
import { BareMetalHostKind } from "./metal3/v1alpha1/baremetalhost.js";
import { HardwareDataKind } from "./metal3/v1alpha1/hardwaredata.js";
import { AnvilClusterKind } from "./v1alpha1/anvilcluster.js";
import { AnvilClusterTemplateKind } from "./v1alpha1/anvilclustertemplate.js";
import { AnvilMachineKind } from "./v1alpha1/anvilmachine.js";
import { AnvilMachineTemplateKind } from "./v1alpha1/anvilmachinetemplate.js";
import type { JSONSchemaProps } from "./schema/json-schema.js";

/** Paths of schema nodes under spec/status that lack a description (kubectl explain shows it). */
function undescribed(s: JSONSchemaProps, path: string): string[] {
  const here = s.description ? [] : [path];
  const props = Object.entries(s.properties ?? {}).flatMap(([k, v]) => undescribed(v, `${path}.${k}`));
  const items = s.items ? undescribed(s.items, `${path}[]`) : [];
  return [...here, ...props, ...items];
}

function at(root: JSONSchemaProps, path: string): JSONSchemaProps | undefined {
  return path.split(".").reduce<JSONSchemaProps | undefined>((s, k) => s?.properties?.[k], root);
}

const rootOf = (k: (typeof ALL_KINDS)[number]) => k.crd.spec.versions[0]!.schema.openAPIV3Schema;

describe("the kinds Anvil serves", () => {
  it.each(ALL_KINDS.map((k) => [k.definition.kind, k] as const))(
    "names the %s CRD <plural>.<group>, namespaced, with one served storage version",
    (_kind, k) => {
      expect(k.crd.metadata.name).toBe(`${k.crd.spec.names.plural}.${k.crd.spec.group}`);
      expect(k.crd.spec.scope).toBe("Namespaced");
      expect(k.crd.spec.versions).toHaveLength(1);
      expect(k.crd.spec.versions[0]).toMatchObject({ served: true, storage: true });
      expect(k.crd.spec.names.listKind).toBe(`${k.definition.kind}List`);
    },
  );

  it.each(ALL_KINDS.map((k) => [k.definition.kind, k] as const))("describes every field of %s", (_kind, k) => {
    const root = rootOf(k);
    const spec = root.properties?.spec;
    const status = root.properties?.status;
    const missing = [
      ...(spec ? undescribed(spec, "spec") : []),
      ...(status ? undescribed(status, "status") : []),
    ];
    expect(missing).toEqual([]);
  });

  it.each([AnvilClusterKind, AnvilClusterTemplateKind, AnvilMachineKind, AnvilMachineTemplateKind].map((k) => [k.definition.kind, k] as const))(
    "labels the %s CRD for CAPI contract v1beta2 and the anvil provider",
    (_kind, k) => {
      expect(k.crd.metadata.name).toMatch(/^anvil[a-z]+\.infrastructure\.cluster\.x-k8s\.io$/);
      expect(k.crd.metadata.labels).toEqual({
        "cluster.x-k8s.io/v1beta2": "v1alpha1",
        "cluster.x-k8s.io/provider": "infrastructure-anvil",
      });
      expect(k.crd.spec.names.categories).toContain("cluster-api");
    },
  );

  it("prints Metal3's BareMetalHost columns, STATUS and BMC only with -o wide", () => {
    const cols = BareMetalHostKind.crd.spec.versions[0]!.additionalPrinterColumns!.map((c) => [
      c.name,
      c.jsonPath,
      c.priority ?? 0,
    ]);
    expect(cols).toEqual([
      ["Status", ".status.operationalStatus", 1],
      ["State", ".status.provisioning.state", 0],
      ["Consumer", ".spec.consumerRef.name", 0],
      ["BMC", ".spec.bmc.address", 1],
      ["Online", ".spec.online", 0],
      ["Error", ".status.errorType", 0],
      ["Age", ".metadata.creationTimestamp", 0],
    ]);
  });

  it.each([
    ["BareMetalHost", BareMetalHostKind, ["bmh", "bmhost"], "baremetalhosts"],
    ["HardwareData", HardwareDataKind, ["hd"], "hardwaredata"],
  ] as const)("gives %s Metal3's short names and plural", (_kind, k, shortNames, plural) => {
    expect(k.crd.spec.names.shortNames).toEqual(shortNames);
    expect(k.crd.spec.names.plural).toBe(plural);
    expect(k.crd.spec.group).toBe("metal3.io");
  });

  it.each([
    ["spec.bootMACAddress", "pattern"],
    ["spec.bootMode", "enum"],
    ["spec.automatedCleaningMode", "enum"],
    ["spec.image.checksumType", "enum"],
    ["spec.image.format", "enum"],
    ["spec.image.url", "pattern"],
    ["spec.bmc.address", "minLength"],
    ["spec.bmc.credentialsName", "minLength"],
  ] as const)("constrains BareMetalHost %s with %s", (path, keyword) => {
    expect(at(rootOf(BareMetalHostKind), path)).toHaveProperty(keyword);
  });

  it("gives the BareMetalHost CRD no clusterctl move label: only claimed hosts move, in their Cluster's graph (ADR 0019)", () => {
    expect(BareMetalHostKind.crd.metadata.labels).toEqual({
      "cluster.x-k8s.io/provider": "infrastructure-anvil",
    });
  });

  it.each([
    ["AnvilMachineTemplate", rootOf(AnvilMachineTemplateKind), rootOf(AnvilMachineKind)],
    ["AnvilClusterTemplate", rootOf(AnvilClusterTemplateKind), rootOf(AnvilClusterKind)],
  ] as const)("validates %s's template.spec exactly like the kind it stamps out", (_kind, template, kind) => {
    const { description: _t, ...inner } = at(template, "spec.template.spec")!;
    const { description: _k, ...spec } = kind.properties!.spec!;
    expect(inner).toEqual(spec);
  });

  it.each([
    ["BareMetalHost", rootOf(BareMetalHostKind), "spec.image"],
    ["AnvilMachine", rootOf(AnvilMachineKind), "spec.image"],
    ["AnvilMachineTemplate", rootOf(AnvilMachineTemplateKind), "spec.template.spec.image"],
  ] as const)("requires a checksum on %s's image unless it is a live ISO or OCI (CEL)", (_kind, root, p) => {
    const rules = at(root, p)?.["x-kubernetes-validations"] ?? [];
    expect(rules.map((r) => r.fieldPath)).toEqual([".checksum"]);
  });

  it("keeps Metal3's required fields on the host's spec and status", () => {
    const root = rootOf(BareMetalHostKind);
    expect(root.properties?.spec?.required).toEqual(["online"]);
    expect(at(root, "spec.bmc")?.required).toEqual(["address", "credentialsName"]);
    expect(root.properties?.status?.required).toEqual([
      "errorCount",
      "errorMessage",
      "operationalStatus",
      "poweredOn",
      "provisioning",
    ]);
  });

  it.each([BareMetalHostKind, AnvilClusterKind, AnvilMachineKind].map((k) => [k.definition.kind, k] as const))(
    "serves %s status as a subresource",
    (_kind, k) => {
      expect(k.crd.spec.versions[0]!.subresources).toEqual({ status: {} });
    },
  );

  it.each([
    ["AnvilCluster", AnvilClusterKind, ["spec.controlPlaneEndpoint.host", "spec.controlPlaneEndpoint.port", "status.initialization.provisioned", "status.conditions", "status.failureDomains"]],
    ["AnvilMachine", AnvilMachineKind, ["spec.providerID", "spec.failureDomain", "spec.image", "spec.hostSelector", "spec.automatedCleaningMode", "spec.metaData", "spec.networkData", "status.initialization.provisioned", "status.addresses", "status.conditions"]],
    ["AnvilMachineTemplate", AnvilMachineTemplateKind, ["spec.template.spec.image", "spec.template.metadata.labels", "spec.nodeReuse"]],
    ["AnvilClusterTemplate", AnvilClusterTemplateKind, ["spec.template.spec.controlPlaneEndpoint", "spec.template.metadata.annotations"]],
  ] as const)("gives %s the contract's fields", (_kind, k, paths) => {
    for (const p of paths) expect(at(rootOf(k), p), p).toBeDefined();
  });
});
