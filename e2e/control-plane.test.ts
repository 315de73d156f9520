/**
 * The envtest-style control plane is a real Kubernetes API server: objects
 * round-trip through etcd, watches deliver events, kubectl sees the pinned
 * version, RBAC refuses strangers, and with the controller manager owner
 * references and namespace deletion are honoured.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { CoreV1Api, Watch, type V1ConfigMap } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeCa, makeLeaf } from "./framework/certs.js";
import { startControlPlane, type ControlPlane } from "./framework/control-plane.js";
import { probeGet } from "./framework/probe.js";
import { peerVersion } from "./framework/versions.js";

describe("the envtest-style control plane", () => {
  let cp: ControlPlane;
  beforeAll(async () => {
    cp = await startControlPlane();
    console.log(`control plane ready in ${cp.timings.total} ms (certs ${cp.timings.certs}, etcd ${cp.timings.etcd}, apiserver ${cp.timings.apiserver})`);
  });
  afterAll(async () => {
    await cp?.stop();
  });

  it("stores a ConfigMap created through @kubernetes/client-node and reads it back", async () => {
    const core = cp.kubeConfig().makeApiClient(CoreV1Api);
    const created = await core.createNamespacedConfigMap({
      namespace: "default",
      body: { metadata: { name: "roundtrip" }, data: { answer: "42", when: new Date().toISOString() } },
    });
    const read = await core.readNamespacedConfigMap({ name: "roundtrip", namespace: "default" });
    expect(read.data).toEqual(created.data);
    expect(read.metadata?.uid).toBe(created.metadata?.uid);
    expect(Number(read.metadata?.resourceVersion)).toBeGreaterThan(0);
  });

  it("shows kubectl the pinned server version", async () => {
    const { stdout } = await cp.kubectl(["version", "-o", "json"]);
    const v = JSON.parse(stdout) as { serverVersion?: { gitVersion?: string }; clientVersion?: { gitVersion?: string } };
    expect(v.serverVersion?.gitVersion).toBe(`v${peerVersion("KUBE_VERSION")}`);
    expect(v.clientVersion?.gitVersion).toBe(`v${peerVersion("KUBE_VERSION")}`);
  });

  it("delivers a watch event for a ConfigMap created after the watch began", async () => {
    const seen: { type: string; name: string | undefined }[] = [];
    const ended: unknown[] = [];
    const watch = new Watch(cp.kubeConfig());
    const abort = await watch.watch(
      "/api/v1/namespaces/default/configmaps",
      { labelSelector: "anvil.test/watch=yes" },
      (type, obj: V1ConfigMap) => seen.push({ type, name: obj.metadata?.name }),
      (err) => ended.push(err),
    );
    try {
      await cp.kubectl(["create", "configmap", "unwatched", "--from-literal=k=v"]);
      await cp
        .kubeConfig()
        .makeApiClient(CoreV1Api)
        .createNamespacedConfigMap({ namespace: "default", body: { metadata: { name: "watched", labels: { "anvil.test/watch": "yes" } } } });
      const deadline = Date.now() + 10_000;
      while (!seen.some((e) => e.name === "watched") && Date.now() < deadline) await sleep(50);
      expect(seen).toContainEqual({ type: "ADDED", name: "watched" });
      expect(seen.map((e) => e.name)).not.toContain("unwatched");
      expect(ended).toEqual([]);
    } finally {
      abort.abort();
    }
  });

  it.each([
    { who: "a client without a certificate", stranger: false, status: 403 },
    { who: "a client whose certificate another CA signed", stranger: true, status: 401 },
  ])("refuses $who to list Secrets", async ({ stranger, status }) => {
    let tls: { cert?: string; key?: string } = {};
    if (stranger) {
      const dir = await mkdtemp(path.join(os.tmpdir(), "anvil-stranger-"));
      try {
        const ca = await makeCa(dir, "ca", "stranger-ca");
        const leaf = await makeLeaf(dir, "admin", ca, { commonName: "admin", organizations: ["system:masters"], usage: "client" });
        tls = { cert: leaf.certPem, key: await readFile(leaf.keyFile, "utf8") };
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    }
    // No certificate: system:anonymous, whom RBAC grants nothing (403). A
    // certificate the client CA did not sign fails authentication (401).
    const res = await probeGet(`${cp.server}/api/v1/namespaces/default/secrets`, { tls });
    expect(res.status).toBe(status);
  });

  it("accepts the admin client certificate for cluster-scoped reads", async () => {
    const { stdout } = await cp.kubectl(["auth", "can-i", "*", "*", "--all-namespaces"]);
    expect(stdout.trim()).toBe("yes");
  });
});

describe("the control plane with kube-controller-manager", () => {
  let cp: ControlPlane;
  beforeAll(async () => {
    cp = await startControlPlane({ controllerManager: true });
    console.log(`control plane + controller manager ready in ${cp.timings.total} ms`);
  });
  afterAll(async () => {
    await cp?.stop();
  });

  it("deletes a namespace and its objects instead of leaving it Terminating", async () => {
    await cp.kubectl(["create", "namespace", "doomed"]);
    await cp.kubectl(["-n", "doomed", "create", "configmap", "inside", "--from-literal=k=v"]);
    await cp.kubectl(["delete", "namespace", "doomed", "--wait=true", "--timeout=60s"]);
    const { stdout } = await cp.kubectl(["get", "namespace", "doomed", "--ignore-not-found", "-o", "name"]);
    expect(stdout.trim()).toBe("");
  });

  it("garbage-collects a ConfigMap whose owner was deleted", async () => {
    const core = cp.kubeConfig().makeApiClient(CoreV1Api);
    const owner = await core.createNamespacedConfigMap({ namespace: "default", body: { metadata: { name: "owner" } } });
    await core.createNamespacedConfigMap({
      namespace: "default",
      body: {
        metadata: {
          name: "owned",
          ownerReferences: [{ apiVersion: "v1", kind: "ConfigMap", name: "owner", uid: owner.metadata!.uid! }],
        },
      },
    });
    await core.deleteNamespacedConfigMap({ name: "owner", namespace: "default" });
    const deadline = Date.now() + 60_000;
    let gone = false;
    while (!gone && Date.now() < deadline) {
      const { stdout } = await cp.kubectl(["get", "configmap", "owned", "--ignore-not-found", "-o", "name"]);
      gone = stdout.trim() === "";
      if (!gone) await sleep(250);
    }
    expect(gone).toBe(true);
  });

  it("stops every process and removes its directory, and a second stop is harmless", async () => {
    const pids = cp.processes.map((p) => p.child.pid!);
    expect(pids).toHaveLength(3);
    await cp.stop();
    await cp.stop();
    expect(existsSync(cp.dir)).toBe(false);
    for (const pid of pids) expect(isAlive(pid)).toBe(false);
  });
});

describe("a control plane that fails to start", () => {
  it("cleans up the directory and processes it had already made", async () => {
    const parent = await mkdtemp(path.join(os.tmpdir(), "anvil-cp-fail-"));
    const dir = path.join(parent, "cp");
    try {
      const err = await startControlPlane({ dir, startTimeoutMs: 1 }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toMatchObject({ code: "CONTROL_PLANE_START_FAILED" });
      expect(existsSync(dir)).toBe(false);
      expect(processesMentioning(dir)).toEqual([]);
    } finally {
      await rm(parent, { recursive: true, force: true });
    }
  });
});

/** Live processes whose command line contains `text` (etcd's is its --data-dir). */
function processesMentioning(text: string): number[] {
  return readdirSync("/proc")
    .filter((d) => /^\d+$/.test(d))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(text) && isAlive(Number(pid));
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** True while `pid` runs; a zombie (exited, not yet reaped) counts as gone. */
function isAlive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}
