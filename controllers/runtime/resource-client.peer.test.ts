/**
 * The typed client, concurrent writes and finalizers against a real
 * kube-apiserver with Anvil's CRDs installed.
 */
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startControlPlane, type ControlPlane } from "../../e2e/framework/control-plane.js";
import { REPO_ROOT } from "../../e2e/framework/peers.js";
import { ensureFinalizer, patchStatus, removeFinalizer } from "./concurrent-write.js";
import { ApiErrorCode } from "./errors.js";
import type { BareMetalHost } from "../../api/index.js";
import { BareMetalHostRef } from "./kinds.js";
import { ConfigMapKind, SecretKind, type KubeObject } from "./object.js";
import { PatchType, ResourceClient } from "./resource-client.js";
import { Transport } from "./transport.js";

type Host = BareMetalHost;
interface ConfigMap extends KubeObject {
  data?: Record<string, string>;
}

const host = (name: string): Host => ({
  apiVersion: "metal3.io/v1alpha1",
  kind: "BareMetalHost",
  metadata: { name, namespace: "default" },
  spec: { online: false, bootMACAddress: "00:11:22:33:44:55", bmc: { address: "redfish://127.0.0.1:1/redfish/v1/Systems/1", credentialsName: "bmc-secret" } },
});

/** The status fields Metal3's schema requires, so a status write validates. */
const emptyStatus: NonNullable<Host["status"]> = {
  operationalStatus: "OK",
  errorMessage: "",
  poweredOn: false,
  errorCount: 0,
  provisioning: { ID: "", state: "" },
};

describe("ResourceClient on a real API server", () => {
  let cp: ControlPlane;
  let transport: Transport;
  let hosts: ResourceClient<Host>;
  let cms: ResourceClient<ConfigMap>;
  beforeAll(async () => {
    cp = await startControlPlane();
    await cp.kubectl(["apply", "-k", path.join(REPO_ROOT, "manifests/crd")]);
    await cp.kubectl(["wait", "--for=condition=Established", "crd/baremetalhosts.metal3.io", "--timeout=30s"]);
    transport = new Transport(cp.kubeConfig(), { qps: 200, burst: 200 });
    hosts = new ResourceClient<Host>(transport, BareMetalHostRef);
    cms = new ResourceClient<ConfigMap>(transport, ConfigMapKind);
  });
  afterAll(async () => {
    transport?.close();
    await cp?.stop();
  });

  it("creates, reads, merge-patches, JSON-patches and deletes a BareMetalHost", async () => {
    const created = await hosts.create(host("crud"));
    expect(created.metadata?.uid).toBeTruthy();
    const merged = await hosts.patch("default", "crud", { spec: { online: true } }, PatchType.Merge);
    expect(merged.spec?.online).toBe(true);
    const jsonPatched = await hosts.patch("default", "crud", [{ op: "replace", path: "/spec/online", value: false }], PatchType.Json);
    expect(jsonPatched.spec?.online).toBe(false);
    const statused = await hosts.patchStatus("default", "crud", { status: { ...emptyStatus, operationalStatus: "detached" } });
    expect(statused.status?.operationalStatus).toBe("detached");
    await hosts.delete("default", "crud");
    await expect(hosts.get("default", "crud")).rejects.toMatchObject({ code: ApiErrorCode.NotFound, details: { httpStatus: 404 } });
  });

  it.each([
    {
      what: "a duplicate name",
      call: async () => {
        await hosts.create(host("dup"));
        return hosts.create(host("dup"));
      },
      code: ApiErrorCode.AlreadyExists,
    },
    {
      what: "a stale resourceVersion",
      call: async () => {
        const a = await hosts.create(host("stale"));
        await hosts.patch("default", "stale", { spec: { online: true } });
        return hosts.update({ ...a, spec: { ...a.spec, online: false } });
      },
      code: ApiErrorCode.Conflict,
    },
    {
      what: "an invalid MAC",
      call: () => hosts.create({ ...host("bad-mac"), spec: { ...host("x").spec, bootMACAddress: "nope" } }),
      code: ApiErrorCode.Invalid,
    },
    { what: "a missing object", call: () => hosts.get("default", "absent"), code: ApiErrorCode.NotFound },
  ])("maps $what to $code", async ({ call, code }) => {
    await expect(call()).rejects.toMatchObject({ code });
  });

  it("names the failing field in the causes of an Invalid error", async () => {
    const err = await hosts.create({ ...host("bad-mac-2"), spec: { ...host("x").spec, bootMACAddress: "nope" } }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: ApiErrorCode.Invalid });
    expect((err as { causes: { field: string }[] }).causes.map((c) => c.field)).toContain("spec.bootMACAddress");
  });

  it("never puts a rejected Secret's data in the error message", async () => {
    const secrets = new ResourceClient<KubeObject & { stringData?: Record<string, string> }>(transport, SecretKind);
    const planted = "pl4nted-s3cret-pw";
    await secrets.create({ metadata: { name: "creds", namespace: "default" }, stringData: { password: planted } });
    const err = await secrets.create({ metadata: { name: "creds", namespace: "default" }, stringData: { password: planted } }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: ApiErrorCode.AlreadyExists });
    expect(JSON.stringify({ m: (err as Error).message, d: (err as { details: unknown }).details })).not.toContain(planted);
  });

  it("lists 1,200 ConfigMaps across pages by label selector, with none missing", async () => {
    const N = 1_200;
    const t0 = performance.now();
    const names = Array.from({ length: N }, (_, i) => `page-${String(i).padStart(4, "0")}`);
    for (let i = 0; i < N; i += 50) {
      await Promise.all(
        names.slice(i, i + 50).map((name) => cms.create({ metadata: { name, namespace: "default", labels: { "anvil.test/page": "yes" } }, data: { i: name } })),
      );
    }
    await cms.create({ metadata: { name: "unlabelled", namespace: "default" } });
    const created = performance.now() - t0;
    const t1 = performance.now();
    const res = await cms.list({ namespace: "default", labelSelector: "anvil.test/page=yes", pageSize: 500 });
    const listed = performance.now() - t1;
    console.log(`created ${N} ConfigMaps in ${created.toFixed(0)} ms; listed them in ${res.pages} pages in ${listed.toFixed(0)} ms`);
    expect(res.pages).toBe(3);
    expect(res.items.map((c) => c.metadata?.name).sort()).toEqual(names);
    expect(res.items[0]).toMatchObject({ apiVersion: "v1", kind: "ConfigMap" });
    expect(Number(res.resourceVersion)).toBeGreaterThan(0);
  });

  it("loses no update when two writers change the status at once", async () => {
    await hosts.create(host("race"));
    const start = await hosts.patchStatus("default", "race", { status: emptyStatus });
    const writers = 2;
    const perWriter = 15;
    let conflicts = 0;
    // Each writer increments errorCount from the copy it holds; a conflict
    // must re-read and re-apply, so the final count is the sum of increments.
    await Promise.all(
      Array.from({ length: writers }, async () => {
        let mine = start;
        for (let i = 0; i < perWriter; i++) {
          mine = await patchStatus(hosts, mine, (h) => {
            h.status = { ...emptyStatus, ...h.status, errorCount: (h.status?.errorCount ?? 0) + 1 };
          }, { retries: 50, onConflict: () => conflicts++ });
        }
      }),
    );
    const end = await hosts.get("default", "race");
    expect(end.status?.errorCount).toBe(writers * perWriter);
    console.log(`${writers * perWriter} concurrent increments, ${conflicts} conflicts re-read and re-applied`);
  });

  it("keeps another writer's field when a stale status write is re-applied", async () => {
    await hosts.create(host("keep"));
    const stale = await hosts.patchStatus("default", "keep", { status: emptyStatus });
    await hosts.patchStatus("default", "keep", { status: { poweredOn: true } });
    const after = await patchStatus(hosts, stale, (h) => {
      h.status = { ...emptyStatus, ...h.status, errorMessage: "bmc unreachable" };
    });
    expect(after.status).toMatchObject({ poweredOn: true, errorMessage: "bmc unreachable" });
  });

  it("adds a finalizer once, keeps others' finalizers, and removes only its own", async () => {
    await hosts.create({ ...host("fin"), metadata: { name: "fin", namespace: "default", finalizers: ["other.example/keep"] } });
    let h = await hosts.get("default", "fin");
    h = await ensureFinalizer(hosts, h, "anvil.metal3.io/host");
    h = await ensureFinalizer(hosts, h, "anvil.metal3.io/host");
    expect(h.metadata?.finalizers).toEqual(["other.example/keep", "anvil.metal3.io/host"]);
    await hosts.delete("default", "fin");
    h = await hosts.get("default", "fin");
    expect(h.metadata?.deletionTimestamp).toBeTruthy();
    h = await removeFinalizer(hosts, h, "anvil.metal3.io/host");
    expect(h.metadata?.finalizers).toEqual(["other.example/keep"]);
    await removeFinalizer(hosts, h, "other.example/keep");
    await expect(hosts.get("default", "fin")).rejects.toMatchObject({ code: ApiErrorCode.NotFound });
  });

  it("holds the client to its rate limit", async () => {
    const slow = new Transport(cp.kubeConfig(), { qps: 20, burst: 5 });
    try {
      const c = new ResourceClient<ConfigMap>(slow, ConfigMapKind);
      const t0 = performance.now();
      await Promise.all(Array.from({ length: 25 }, () => c.get("default", "unlabelled")));
      const ms = performance.now() - t0;
      // 5 at once, then 20 more at 20/s: at least ~1 s.
      expect(ms).toBeGreaterThanOrEqual(950);
      expect(slow.requestCount).toBe(25);
    } finally {
      slow.close();
    }
  });
});
