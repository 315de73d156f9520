/**
 * The manager's "is Cluster API here?" question against a real API server:
 * absent before CAPI's CRDs exist, installed once Cluster and Machine are
 * served, and no answer (not "absent") from a server that is not there.
 */
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { KubeConfig } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Manager } from "../controllers/runtime/index.js";
import { startControlPlane, type ControlPlane } from "../e2e/framework/control-plane.js";
import { capiBinDir } from "../e2e/framework/peers.js";
import { freeTcpPort } from "../e2e/framework/ports.js";
import { capiPresence } from "./capi-presence.js";

describe("capiPresence against a real API server", () => {
  let cp: ControlPlane;
  beforeAll(async () => {
    cp = await startControlPlane();
  }, 120_000);
  afterAll(async () => {
    await cp?.stop();
  });

  it("says absent without CAPI's CRDs, then installed once Cluster and Machine are served", async () => {
    const manager = new Manager({ kubeConfig: cp.kubeConfig(), probes: false });
    expect(await capiPresence(manager)).toBe("absent");
    const crds = path.resolve(capiBinDir(), "../config/core/crd/bases");
    for (const f of ["cluster.x-k8s.io_clusters.yaml", "cluster.x-k8s.io_machines.yaml"]) {
      await cp.kubectl(["apply", "--server-side", "--field-manager=anvil-test", "-f", path.join(crds, f)]);
    }
    await cp.kubectl(["wait", "--for=condition=Established", "--timeout=60s", "crd/clusters.cluster.x-k8s.io", "crd/machines.cluster.x-k8s.io"], { timeoutMs: 70_000 });
    // Established can lead discovery by a moment; bounded wait for the served answer.
    let presence = await capiPresence(manager);
    for (let i = 0; i < 60 && presence !== "installed"; i++) {
      await sleep(250);
      presence = await capiPresence(manager);
    }
    expect(presence).toBe("installed");
    manager.transport.close();
  }, 120_000);

  it("has no answer (unknown, not absent) when nothing listens at the server's address", async () => {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: "c", server: `https://127.0.0.1:${await freeTcpPort()}`, skipTLSVerify: true }],
      users: [{ name: "u", token: "t" }],
      contexts: [{ name: "x", cluster: "c", user: "u" }],
      currentContext: "x",
    });
    const manager = new Manager({ kubeConfig: kc, probes: false });
    expect(await capiPresence(manager, AbortSignal.timeout(20_000))).toBe("unknown");
    manager.transport.close();
  }, 60_000);
});
