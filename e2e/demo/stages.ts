/**
 * The demo's steps, in order. Each takes what earlier steps produced and
 * registers its own cleanup, so `main.ts` stays a list; Anvil's manager and
 * the hosts' lifecycle are entries of `DEMO_STAGES` (manager-stage.ts).
 */
import { existsSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { stringify } from "yaml";
import { startControlPlane, type ControlPlane } from "../framework/control-plane.js";
import { REPO_ROOT } from "../framework/peers.js";
import { startDemoFleet, type DemoFleet } from "./fleet.js";
import { fleetInventory } from "./inventory.js";
import { lifecycleStage, managerStage } from "./manager-stage.js";
import type { SimAgent } from "../framework/sim-agent.js";
import type { DemoConfig } from "./config.js";

export interface DemoContext {
  readonly config: DemoConfig;
  /** Print a line for the person watching. */
  say(line: string): void;
  /** Run `fn` on shutdown, in reverse order of registration. */
  onStop(fn: () => Promise<void>): void;
  controlPlane?: ControlPlane;
  fleet?: DemoFleet;
  /** True once Anvil's CRDs are installed (the BareMetalHost kind exists). */
  crdsInstalled?: boolean;
  /** Set by the manager stage for the lifecycle stage: the simulated servers and the image to deploy. */
  lifecycle?: { readonly sim: SimAgent; readonly image: Buffer; readonly imageUrl: string; managerLogTail(): string };
}

export interface DemoStage {
  readonly name: string;
  /** This stage starts something that moves hosts through their states. */
  readonly reconcilesHosts?: boolean;
  run(ctx: DemoContext): Promise<void>;
}

function need<T>(v: T | undefined, what: string): T {
  if (v === undefined) throw new Error(`demo stage order: ${what} is not running yet`);
  return v;
}

export const controlPlaneStage: DemoStage = {
  name: "local control plane (etcd + kube-apiserver)",
  async run(ctx) {
    const cp = await startControlPlane({ controllerManager: ctx.config.controllerManager });
    ctx.onStop(() => cp.stop());
    ctx.controlPlane = cp;
    ctx.say(`API server ${cp.server} ready in ${cp.timings.total} ms`);
  },
};

export const fleetStage: DemoStage = {
  name: "emulated BMCs (sushy-tools)",
  async run(ctx) {
    const fleet = await startDemoFleet(ctx.config.hosts);
    ctx.onStop(() => fleet.stop());
    ctx.fleet = fleet;
    ctx.say(`${fleet.systems.length} Redfish systems at ${fleet.redfishBase}/redfish/v1/Systems`);
  },
};

/** Anvil's generated CRDs; before the API engineer generates them the demo shows the BMC side only. */
export const crdStage: DemoStage = {
  name: "Anvil CRDs (manifests/crd)",
  async run(ctx) {
    const cp = need(ctx.controlPlane, "the control plane");
    const dir = path.join(REPO_ROOT, "manifests/crd");
    const files = existsSync(dir) ? (await readdir(dir)).filter((f) => f.endsWith(".yaml") && f !== "kustomization.yaml").sort() : [];
    if (files.length === 0) {
      ctx.say("manifests/crd has no CRDs yet (run `make manifests`): skipping BareMetalHosts");
      ctx.crdsInstalled = false;
      return;
    }
    const docs = await Promise.all(files.map((f) => readFile(path.join(dir, f), "utf8")));
    await cp.kubectl(["apply", "--server-side", "-f", "-"], { input: docs.join("\n---\n") });
    const { stdout } = await cp.kubectl(["get", "crd", "-l", "cluster.x-k8s.io/provider=infrastructure-anvil", "-o", "name"]);
    const names = stdout.split("\n").filter((l) => l !== "");
    await cp.kubectl(["wait", "--for=condition=Established", "--timeout=60s", ...names]);
    // Established is not "served": the API server's discovery document can lag it, and a fresh
    // kubectl that misses the kind fails with "no matches for kind" (seen once in CI).
    if (names.some((n) => n.endsWith("/baremetalhosts.metal3.io"))) await servedByDiscovery(cp, "baremetalhosts", 30_000);
    ctx.crdsInstalled = names.some((n) => n.endsWith("/baremetalhosts.metal3.io"));
    ctx.say(`${names.length} CRDs established${ctx.crdsInstalled ? "" : " (no BareMetalHost among them)"}`);
  },
};

async function servedByDiscovery(cp: ControlPlane, resource: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { stdout } = await cp.kubectl(["api-resources", "--api-group=metal3.io", "-o", "name"]);
    if (stdout.split("\n").some((l) => l.startsWith(`${resource}.`))) return;
    if (Date.now() > deadline) throw new Error(`${resource} is Established but not in the API server's discovery after ${timeoutMs / 1000} s`);
    await sleep(250);
  }
}

export const inventoryStage: DemoStage = {
  name: "sample inventory (BareMetalHosts + BMC Secrets)",
  async run(ctx) {
    const cp = need(ctx.controlPlane, "the control plane");
    const fleet = need(ctx.fleet, "the BMC fleet");
    const ns = ctx.config.namespace;
    await cp.kubectl(["create", "namespace", ns]);
    const manifests = fleetInventory(fleet.systems, {
      redfishBase: fleet.redfishBase,
      namespace: ns,
      username: fleet.username,
      password: fleet.password,
      labels: { "anvil.dev/demo": "fleet" },
    });
    const wanted = ctx.crdsInstalled === true ? manifests : manifests.filter((m) => m.kind === "Secret");
    const input = wanted.map((m) => `---\n${stringify(m)}`).join("");
    const { stdout } = await cp.kubectl(["apply", "-f", "-"], { input });
    const lines = stdout.split("\n").filter((l) => l !== "");
    ctx.say(`applied ${lines.length} objects in namespace ${ns}`);
  },
};

/** In order: the manager runs before the inventory is applied, so every host is seen from its first state. */
export const DEMO_STAGES: readonly DemoStage[] = [controlPlaneStage, fleetStage, crdStage, managerStage, inventoryStage, lifecycleStage];
