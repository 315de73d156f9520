/**
 * The whole loop on a real kube-apiserver: a Manager with a small
 * BareMetalHost controller (the reconcile shape, a finalizer, a mapped Secret
 * watch, Events, metrics, JSON logs) drives hosts' status from their spec and
 * credentials Secret.
 */
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BareMetalHost } from "../../api/index.js";
import { startControlPlane, type ControlPlane } from "../../e2e/framework/control-plane.js";
import { REPO_ROOT } from "../../e2e/framework/peers.js";
import { eventually } from "../../e2e/framework/process.js";
import type { EventRecorder, EventsV1 } from "./event-recorder.js";
import { BareMetalHostRef } from "./kinds.js";
import { createLogger } from "./logger.js";
import { Manager } from "./manager.js";
import { EventKind, keyOf, SecretKind, type KubeObject } from "./object.js";
import { objectReconciler } from "./reconcile-shape.js";
import type { ResourceClient } from "./resource-client.js";
import type { Informer } from "./informer.js";
import { parseScrape } from "./scrape.test-helper.js";

interface Secret extends KubeObject {
  data?: Record<string, string>;
  stringData?: Record<string, string>;
}

const FINALIZER = "anvil.test/host";
const PLANTED_PASSWORD = "Pl4nted-BMC-Passw0rd";

const host = (name: string, secret: string, online: boolean): BareMetalHost => ({
  apiVersion: "metal3.io/v1alpha1",
  kind: "BareMetalHost",
  metadata: { name, namespace: "default" },
  spec: { online, bootMACAddress: "00:11:22:33:44:66", bmc: { address: "redfish://127.0.0.1:1/redfish/v1/Systems/1", credentialsName: secret } },
});

/** Bound and pace of every wait on the API server below. */
const WAIT = { timeoutMs: 15_000, intervalMs: 50 };


describe("a Manager running a BareMetalHost controller on a real API server", () => {
  let cp: ControlPlane;
  let mgr: Manager;
  let hosts: ResourceClient<BareMetalHost>;
  let secrets: ResourceClient<Secret>;
  let hostCache: Informer<BareMetalHost>;
  let events: EventRecorder;
  const logLines: string[] = [];
  const seen: string[] = [];
  const stop = new AbortController();
  let running: Promise<void> | undefined;

  beforeAll(async () => {
    cp = await startControlPlane();
    await cp.kubectl(["apply", "-k", path.join(REPO_ROOT, "manifests/crd")]);
    await cp.kubectl(["wait", "--for=condition=Established", "crd/baremetalhosts.metal3.io", "--timeout=30s"]);
    const logger = createLogger({ level: "debug", write: (l) => void logLines.push(l) });
    mgr = new Manager({ kubeConfig: cp.kubeConfig(), probes: { port: 0 }, logger, resyncMs: 0 });
    hosts = mgr.client<BareMetalHost>(BareMetalHostRef);
    secrets = mgr.client<Secret>(SecretKind);
    hostCache = mgr.informer<BareMetalHost>(BareMetalHostRef);
    const secretCache = mgr.informer<Secret>(SecretKind);
    hostCache.addHandler({
      add: (h) => seen.push(`add ${keyOf(h)}`),
      update: (a, b) => a.metadata?.resourceVersion !== b.metadata?.resourceVersion && seen.push(`update ${keyOf(b)} online=${b.spec.online}`),
      delete: (h) => seen.push(`delete ${keyOf(h)}`),
    });
    events = mgr.eventRecorder("anvil.test/host-controller");
    const log = logger.with({ controller: "host-test" });
    const reconcile = objectReconciler<BareMetalHost>({
      client: hosts,
      cache: hostCache,
      finalizer: FINALIZER,
      reconcileNormal: async ({ key, object: h }) => {
        const ns = h.metadata.namespace ?? "default";
        const secretName = h.spec.bmc?.credentialsName ?? "";
        const secret = secretCache.get(`${ns}/${secretName}`);
        const base = h.status ?? { operationalStatus: "OK", errorMessage: "", poweredOn: false, errorCount: 0, provisioning: { ID: "", state: "" } };
        if (!secret) {
          h.status = { ...base, operationalStatus: "error", errorType: "registration error", errorMessage: `credentials Secret ${secretName} not found` };
          events.warning(h, "CredentialsMissing", "Register", `credentials Secret ${secretName} not found`);
          return { kind: "done" };
        }
        // Logging the whole Secret is a mistake the redaction layer must absorb.
        log.info("read credentials", { key, secret });
        h.status = { ...base, operationalStatus: "OK", errorMessage: "", poweredOn: h.spec.online ?? false };
        delete h.status.errorType;
        return { kind: "done" };
      },
      reconcileDelete: async () => ({ kind: "done" }),
    });
    mgr
      .addController<BareMetalHost>({ name: "host-test", for: hostCache, reconcile, concurrency: 2 })
      .watches(secretCache, (s) =>
        hostCache.list((h) => h.metadata.namespace === s.metadata?.namespace && h.spec.bmc?.credentialsName === s.metadata?.name).map(keyOf),
      );
    running = mgr.start(stop.signal);
    await eventually("caches to sync", () => mgr.hasSynced(), WAIT);
  });

  afterAll(async () => {
    stop.abort();
    await running;
    await cp?.stop();
  });

  it("reconciles a new host's status from its spec and holds its finalizer", async () => {
    await secrets.create({ metadata: { name: "bmc-a", namespace: "default" }, stringData: { username: "admin", password: PLANTED_PASSWORD } });
    await hosts.create(host("host-a", "bmc-a", true));
    const h = await eventually("host-a status", async () => {
      const x = await hosts.get("default", "host-a");
      return x.status?.poweredOn === true ? x : undefined;
    }, WAIT);
    expect(h.status).toMatchObject({ operationalStatus: "OK", errorMessage: "" });
    expect(h.metadata.finalizers).toContain(FINALIZER);
  });

  it("follows a spec change through the watch", async () => {
    await hosts.patch("default", "host-a", { spec: { online: false } });
    await eventually("host-a powered off in status", async () => (await hosts.get("default", "host-a")).status?.poweredOn === false, WAIT);
  });

  it("shows the cache every add, update and delete of a host", async () => {
    await hosts.create(host("host-seen", "bmc-a", false));
    await hosts.patch("default", "host-seen", { spec: { online: true } });
    await hosts.delete("default", "host-seen");
    await eventually("delete event", () => seen.includes("delete default/host-seen"), WAIT);
    expect(seen).toContain("add default/host-seen");
    expect(seen).toContain("update default/host-seen online=true");
    expect(hostCache.get("default/host-seen")).toBeUndefined();
  });

  it("reports a missing credentials Secret, and recovers when the Secret appears (a mapped watch, no polling)", async () => {
    await hosts.create(host("host-b", "bmc-b", true));
    const broken = await eventually("host-b error", async () => {
      const x = await hosts.get("default", "host-b");
      return x.status?.operationalStatus === "error" ? x : undefined;
    }, WAIT);
    expect(broken.status?.errorMessage).toBe("credentials Secret bmc-b not found");
    await secrets.create({ metadata: { name: "bmc-b", namespace: "default" }, stringData: { username: "admin", password: PLANTED_PASSWORD } });
    const fixed = await eventually("host-b recovered", async () => {
      const x = await hosts.get("default", "host-b");
      return x.status?.operationalStatus === "OK" ? x : undefined;
    }, WAIT);
    expect(fixed.status).toMatchObject({ errorMessage: "", poweredOn: true });
    expect(fixed.status?.errorType).toBeUndefined();
  });

  it("records a Warning Event about the host", async () => {
    const events = mgr.client<EventsV1>(EventKind);
    const ev = await eventually("an Event", async () => {
      const { items } = await events.list({ namespace: "default" });
      return items.find((e) => e.regarding?.name === "host-b" && e.reason === "CredentialsMissing");
    }, WAIT);
    expect(ev).toMatchObject({ type: "Warning", reportingController: "anvil.test/host-controller", note: "credentials Secret bmc-b not found" });
    expect(ev.regarding).toMatchObject({ kind: "BareMetalHost", namespace: "default" });
  });

  it("folds repeats of one Event into a series with a count", async () => {
    const h = await hosts.get("default", "host-b");
    for (let i = 0; i < 3; i++) {
      events.warning(h, "PowerFlapping", "PowerOn", "power state changed behind our back");
      await events.flush();
    }
    const client = mgr.client<EventsV1>(EventKind);
    const { items } = await client.list({ namespace: "default" });
    const mine = items.filter((e) => e.regarding?.name === "host-b" && e.reason === "PowerFlapping");
    expect(mine).toHaveLength(1);
    expect(mine[0]?.series?.count).toBe(3);
  });

  it("runs the delete path and lets the host go once its finalizer is removed", async () => {
    await hosts.delete("default", "host-a");
    await eventually(
      "host-a gone",
      () =>
        hosts.get("default", "host-a").then(
          () => undefined,
          (e: unknown) => ((e as { code?: string }).code === "API_NOT_FOUND" ? true : undefined),
        ),
      WAIT,
    );
  });

  it("serves parseable /metrics with the reconcile counters, /healthz and /readyz", async () => {
    const base = `http://127.0.0.1:${mgr.probeAddress?.port}`;
    const res = await fetch(`${base}/metrics`);
    expect(res.headers.get("content-type")).toContain("version=0.0.4");
    const metrics = parseScrape(await res.text());
    expect(metrics.get('controller_runtime_reconcile_total{controller="host-test",result="success"}')).toBeGreaterThan(3);
    expect(metrics.get('controller_runtime_reconcile_time_seconds_count{controller="host-test"}')).toBeGreaterThan(3);
    expect(metrics.get('workqueue_depth{name="host-test"}')).toBe(0);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.text()).toContain("[+]informers ok");
  });

  it("writes one JSON record per line with ts, level, msg and controller, and never the planted password", () => {
    expect(logLines.length).toBeGreaterThan(3);
    const all = logLines.join("");
    expect(all).not.toContain(PLANTED_PASSWORD);
    expect(all).not.toContain(Buffer.from(PLANTED_PASSWORD).toString("base64"));
    const records = logLines.map((l) => JSON.parse(l) as Record<string, unknown>);
    for (const r of records) expect(Object.keys(r).slice(0, 3)).toEqual(["ts", "level", "msg"]);
    const read = records.find((r) => r.msg === "read credentials" && r.controller === "host-test" && r.key === "default/host-a");
    expect(read?.secret).toMatchObject({ kind: "Secret", metadata: { name: "bmc-a" }, data: { username: "[redacted]", password: "[redacted]" } });
  });
});
