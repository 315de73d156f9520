/**
 * Anvil's generated CRDs on a real kube-apiserver: they install through
 * manifests/crd's kustomization, Metal3-style inventory applies unchanged,
 * each invalid sample is refused with a message naming its field,
 * `kubectl get bmh` prints Metal3's columns, and the status subresource and
 * CEL rules behave as the schema says.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { startControlPlane, type ControlPlane } from "./framework/control-plane.js";
import { BareMetalHostKind, validate } from "../api/index.js";
import { KubectlError } from "./framework/kubectl.js";
import { REPO_ROOT } from "./framework/peers.js";

const CRD_DIR = path.join(REPO_ROOT, "manifests/crd");
const SAMPLES = path.join(REPO_ROOT, "manifests/samples");
const INVALID = path.join(SAMPLES, "invalid");
/** The samples' cross-references (userData, consumerRef) name this namespace, as Metal3's docs do. */
const NS = "metal3";

const yamlIn = (dir: string): string[] => readdirSync(dir).filter((f) => f.endsWith(".yaml")).sort();

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  spec?: Record<string, unknown>;
}

function manifests(file: string): Manifest[] {
  return parseAllDocuments(readFileSync(file, "utf8")).map((d) => d.toJS() as Manifest);
}

/** The header line of `kubectl get` output, split into column names. */
function columns(table: string): string[] {
  return (table.split("\n")[0] ?? "").trim().split(/\s+/);
}

type Spec = Record<string, unknown>;

/**
 * One change to a valid host and whether the API server must refuse it.
 * `cel` marks a verdict only a CEL rule reaches, so the structural validator
 * of api/schema/validate.ts is not expected to agree on it.
 */
const MUTATIONS: readonly [string, (s: Spec) => void, "refused" | "accepted", ("cel" | undefined)?][] = [
  ["an upper-case MAC", (s) => (s.bootMACAddress = "AA:BB:CC:DD:EE:0F"), "accepted"],
  ["a MAC with five octets", (s) => (s.bootMACAddress = "00:11:22:33:44"), "refused"],
  ["a MAC with a trailing octet", (s) => (s.bootMACAddress = "00:11:22:33:44:55:66"), "refused"],
  ["bootMode UEFISecureBoot", (s) => (s.bootMode = "UEFISecureBoot"), "accepted"],
  ["bootMode Legacy (wrong case)", (s) => (s.bootMode = "Legacy"), "refused"],
  ["online as a string", (s) => (s.online = "true"), "refused"],
  ["a fractional minSizeGigabytes", (s) => (s.rootDeviceHints = { minSizeGigabytes: 1.5 }), "refused"],
  ["minSizeGigabytes 0", (s) => (s.rootDeviceHints = { minSizeGigabytes: 0 }), "accepted"],
  ["an oci:// image without checksum", (s) => (s.image = { url: "oci://registry.example.com/os/ubuntu:24.04" }), "accepted"],
  ["a live-iso without checksum", (s) => (s.image = { url: "https://e.example/x.iso", format: "live-iso" }), "accepted"],
  ["a raw image without checksum", (s) => (s.image = { url: "https://e.example/x.raw", format: "raw" }), "refused", "cel"],
  ["an image with an empty checksum", (s) => (s.image = { url: "https://e.example/x.raw", checksum: "" }), "refused", "cel"],
  ["an ftp image URL", (s) => (s.image = { url: "ftp://e.example/x.raw", checksum: "abc" }), "refused"],
  ["a file image URL", (s) => (s.image = { url: "file:///images/x.raw", checksum: "abc" }), "accepted"],
  ["three software RAID volumes", (s) => (s.raid = { softwareRAIDVolumes: [{ level: "1" }, { level: "0" }, { level: "0" }] }), "refused"],
  ["hardware RAID level 3", (s) => (s.raid = { hardwareRAIDVolumes: [{ level: "3" }] }), "refused"],
  ["hardware RAID level 1+0", (s) => (s.raid = { hardwareRAIDVolumes: [{ level: "1+0" }] }), "accepted"],
  ["an unknown consumerRef field", (s) => (s.consumerRef = { name: "m", owner: "x" }), "refused"],
  ["disableCertificateVerification as a string", (s) => ((s.bmc as Spec).disableCertificateVerification = "yes"), "refused"],
  ["inspectionMode fast", (s) => (s.inspectionMode = "fast"), "accepted"],
  ["inspectionMode slow", (s) => (s.inspectionMode = "slow"), "refused"],
  ["a taint without effect", (s) => (s.taints = [{ key: "a" }]), "refused"],
  ["a custom deploy without method", (s) => (s.customDeploy = {}), "refused"],
  ["a numeric description", (s) => (s.description = 42), "refused"],
  ["a BMC address with a space", (s) => ((s.bmc as Spec).address = "ipmi://10.0.0.1 :623"), "refused"],
  ["a bare host:port BMC address", (s) => ((s.bmc as Spec).address = "10.0.0.1:623"), "accepted"],
  ["a null description, which the server prunes", (s) => (s.description = null), "accepted"],
  ["an empty credentialsName", (s) => ((s.bmc as Spec).credentialsName = ""), "refused"],
  ["no bmc at all (an unmanaged host)", (s) => delete s.bmc, "accepted"],
];

describe("Anvil's CRDs on a real API server", () => {
  let cp: ControlPlane;

  beforeAll(async () => {
    cp = await startControlPlane();
    const t0 = Date.now();
    await cp.kubectl(["apply", "-k", CRD_DIR]);
    const crdNames = yamlIn(CRD_DIR)
      .filter((f) => f !== "kustomization.yaml")
      .map((f) => manifests(path.join(CRD_DIR, f))[0]!.metadata.name);
    await cp.kubectl(["wait", "--for=condition=Established", "--timeout=60s", ...crdNames.map((n) => `crd/${n}`)]);
    console.log(`control plane ready in ${cp.timings.total} ms; CRDs established in ${Date.now() - t0} ms`);
    await cp.kubectl(["create", "namespace", NS]);
  });

  afterAll(async () => {
    await cp?.stop();
  });

  it("installs every generated CRD with its names, labels and Established condition", async () => {
    const { stdout } = await cp.kubectl(["get", "crd", "-o", "json"]);
    const crds = (JSON.parse(stdout) as { items: { metadata: { name: string; labels?: Record<string, string> } }[] }).items;
    const byName = new Map(crds.map((c) => [c.metadata.name, c]));
    for (const name of ["baremetalhosts.metal3.io", "hardwaredata.metal3.io"]) expect(byName.has(name), name).toBe(true);
    for (const kind of ["anvilclusters", "anvilclustertemplates", "anvilmachines", "anvilmachinetemplates"]) {
      expect(byName.get(`${kind}.infrastructure.cluster.x-k8s.io`)?.metadata.labels).toMatchObject({
        "cluster.x-k8s.io/v1beta2": "v1alpha1",
        "cluster.x-k8s.io/provider": "infrastructure-anvil",
      });
    }
  });

  it.each(yamlIn(SAMPLES))("applies the sample %s unchanged and stores its spec as written", async (file) => {
    const full = path.join(SAMPLES, file);
    await cp.kubectl(["apply", "-n", NS, "-f", full]);
    for (const m of manifests(full)) {
      if (m.kind === "Secret") continue;
      const { stdout } = await cp.kubectl(["get", "-n", NS, `${m.kind}.${m.apiVersion.split("/")[0]}`, m.metadata.name, "-o", "json"]);
      const stored = JSON.parse(stdout) as Manifest;
      expect(stored.spec).toMatchObject(m.spec ?? {});
    }
  });

  it.each(yamlIn(INVALID))("refuses invalid/%s with a message naming the field", async (file) => {
    const full = path.join(INVALID, file);
    const expected = /^# expect: (\S+)$/m.exec(readFileSync(full, "utf8"))?.[1];
    expect(expected).toBeDefined();
    const err = await cp.kubectl(["apply", "-n", NS, "-f", full]).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err, "the API server accepted it").toBeInstanceOf(KubectlError);
    expect((err as KubectlError).stderr).toContain(expected);
    const [m] = manifests(full);
    const kind = `${m!.kind}.${m!.apiVersion.split("/")[0]}`;
    await expect(cp.kubectl(["get", "-n", NS, kind, m!.metadata.name])).rejects.toThrow(/NotFound|not found/);
  });

  it("prints NAME STATE CONSUMER ONLINE ERROR AGE for `kubectl get bmh`", async () => {
    const { stdout } = await cp.kubectl(["get", "bmh", "-n", NS]);
    expect(columns(stdout)).toEqual(["NAME", "STATE", "CONSUMER", "ONLINE", "ERROR", "AGE"]);
    const row = stdout.split("\n").find((l) => l.startsWith("legacy-db-0 "));
    expect(row?.split(/\s+/).slice(0, 3)).toEqual(["legacy-db-0", "legacy-db", "true"]);
  });

  it("adds STATUS and BMC with -o wide", async () => {
    const { stdout } = await cp.kubectl(["get", "baremetalhosts", "-n", NS, "-o", "wide"]);
    expect(columns(stdout)).toEqual(["NAME", "STATUS", "STATE", "CONSUMER", "BMC", "ONLINE", "ERROR", "AGE"]);
    expect(stdout).toContain("ipmi://192.168.111.1:6230");
  });

  it("writes status only through the status subresource, and STATE shows it", async () => {
    const status = {
      status: {
        operationalStatus: "OK",
        errorMessage: "",
        errorCount: 0,
        poweredOn: true,
        provisioning: { state: "available", ID: "worker-0" },
      },
    };
    await cp.kubectl(["patch", "bmh", "worker-0", "-n", NS, "--type=merge", "-p", JSON.stringify(status)]);
    const viaMain = await cp.kubectl(["get", "bmh", "worker-0", "-n", NS, "-o", "jsonpath={.status}"]);
    expect(viaMain.stdout).toBe("");
    await cp.kubectl(["patch", "bmh", "worker-0", "-n", NS, "--subresource=status", "--type=merge", "-p", JSON.stringify(status)]);
    const { stdout } = await cp.kubectl(["get", "bmh", "worker-0", "-n", NS, "-o", "wide", "--no-headers"]);
    expect(stdout.trim().split(/\s+/).slice(0, 3)).toEqual(["worker-0", "OK", "available"]);
  });

  it("refuses a status without Metal3's required fields", async () => {
    await expect(
      cp.kubectl(["patch", "bmh", "node-0", "-n", NS, "--subresource=status", "--type=merge", "-p", '{"status":{"operationalStatus":"OK"}}']),
    ).rejects.toThrow(/status\.(errorCount|errorMessage|poweredOn|provisioning): Required value/);
  });

  it("keeps an AnvilMachine's providerID once set", async () => {
    const id = "anvil://metal3/control-plane-0/edge-1-control-plane-0";
    await cp.kubectl(["patch", "anvilmachine", "edge-1-control-plane-0", "-n", NS, "--type=merge", "-p", JSON.stringify({ spec: { providerID: id } })]);
    await expect(
      cp.kubectl(["patch", "anvilmachine", "edge-1-control-plane-0", "-n", NS, "--type=merge", "-p", '{"spec":{"providerID":"anvil://metal3/worker-0/edge-1-control-plane-0"}}']),
    ).rejects.toThrow(/spec\.providerID.*cannot change once set/);
  });

  it.each(MUTATIONS.map(([what, mutate, verdict, cel], i) => [what, i, mutate, verdict, cel] as const))(
    "judges a host with %s as the schema says, and agrees with the unit-test validator",
    async (_what, i, mutate, verdict, cel) => {
      const spec: Spec = {
        online: true,
        bootMACAddress: "00:b2:8c:ee:30:01",
        bmc: { address: "redfish://10.0.0.1/redfish/v1/Systems/1", credentialsName: "parity-bmc-secret" },
      };
      mutate(spec);
      const host = { apiVersion: "metal3.io/v1alpha1", kind: "BareMetalHost", metadata: { name: `parity-${i}` }, spec };
      const server = await cp.kubectl(["apply", "--dry-run=server", "-n", NS, "-f", "-"], { input: JSON.stringify(host) }).then(
        () => "accepted",
        (e: unknown) => {
          // Only the API server's own verdict counts, never a kubectl that failed to run.
          if (e instanceof KubectlError && /is invalid|strict decoding error/.test(e.stderr)) return "refused";
          throw e;
        },
      );
      expect(server).toBe(verdict);
      const local = validate(BareMetalHostKind.crd.spec.versions[0]!.schema.openAPIV3Schema, host).length > 0 ? "refused" : "accepted";
      expect(local).toBe(cel === "cel" ? "accepted" : verdict);
    },
  );

  it("explains BareMetalHost fields from the schema's descriptions", async () => {
    const { stdout } = await cp.kubectl(["explain", "bmh.spec.bootMACAddress"]);
    expect(stdout).toMatch(/network-boots\s+the\s+host/);
  });

  it("lists Anvil's infrastructure objects under `kubectl get cluster-api`", async () => {
    const { stdout } = await cp.kubectl(["get", "cluster-api", "-n", NS, "-o", "name"]);
    expect(stdout.split("\n").filter((l) => l !== "").sort()).toEqual([
      "anvilcluster.infrastructure.cluster.x-k8s.io/edge-1",
      "anvilclustertemplate.infrastructure.cluster.x-k8s.io/anvil-default",
      "anvilmachine.infrastructure.cluster.x-k8s.io/edge-1-control-plane-0",
      "anvilmachinetemplate.infrastructure.cluster.x-k8s.io/anvil-default-control-plane",
      "anvilmachinetemplate.infrastructure.cluster.x-k8s.io/edge-1-workers",
    ]);
  });

  it("finds hosts through Metal3's short names and category", async () => {
    const [bmhost, category, hd] = await Promise.all([
      cp.kubectl(["get", "bmhost", "-n", NS, "-o", "name"]),
      cp.kubectl(["get", "metal3", "-n", NS, "-o", "name"]),
      cp.kubectl(["get", "hd", "-n", NS, "-o", "name"]),
    ]);
    expect(bmhost.stdout).toContain("baremetalhost.metal3.io/worker-0");
    expect(category.stdout).toContain("hardwaredata.metal3.io/worker-0");
    expect(hd.stdout.trim()).toBe("hardwaredata.metal3.io/worker-0");
  });
});
