/**
 * The demo's manager stages. `managerStage` starts `anvil manager` (as the
 * Deployment runs it, on loopback with DHCP and TFTP off) and
 * e2e/framework/sim-agent.ts, which plays each emulated server's firmware and
 * deploy ramdisk over the manager's own HTTP server; it runs before the
 * inventory is applied, so the hosts are watched from their first state.
 * `lifecycleStage` then shows `kubectl get bmh -o wide` whenever the states
 * change, sets an OS image on every host once all are available, waits until
 * all are provisioned, and prints each host's transitions from the
 * controller's StateChanged Events (a state can last less than one table).
 */
import { mkdtemp, rm } from "node:fs/promises";
import http from "node:http";
import { createHash, randomBytes } from "node:crypto";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { startManagerProcess } from "../framework/manager-process.js";
import { startSimAgent, type SimAgent } from "../framework/sim-agent.js";
import type { DemoContext, DemoStage } from "./stages.js";


/** How long the stage waits for every host to be provisioned. */
const STAGE_TIMEOUT_MS = 200_000;
/** At most one table per this long, however fast states change. */
const SHOW_EVERY_MS = 1_000;

interface HostView {
  readonly name: string;
  readonly state: string;
}

async function hostStates(ctx: DemoContext): Promise<HostView[]> {
  const { stdout } = await ctx.controlPlane!.kubectl(["get", "bmh", "-n", ctx.config.namespace, "--no-headers", "-o", "custom-columns=N:.metadata.name,S:.status.provisioning.state"]);
  return stdout
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => l.trim().split(/\s+/))
    .map(([name = "", state = "<none>"]) => ({ name, state }));
}

/** The last progress each provisioning host's agent reported, as a percentage. */
function progressLine(sim: SimAgent, macToName: ReadonlyMap<string, string>, provisioning: readonly string[]): string {
  const last = new Map<string, number>();
  for (const e of sim.events) if (e.kind === "progress") last.set(e.mac, e.bytesWritten);
  const parts = [...last]
    .map(([mac, bytes]) => [macToName.get(mac) ?? mac, bytes] as const)
    .filter(([name]) => provisioning.includes(name))
    .map(([name, bytes]) => `${name}=${Math.round((bytes / IMAGE_BYTES) * 100)}%`);
  return parts.length ? `deploy progress (posted by each host's agent): ${parts.join(" ")}\n` : "";
}

const IMAGE_BYTES = 512 * 1024;

export const managerStage: DemoStage = {
  name: "anvil manager + simulated servers (firmware and deploy ramdisk)",
  reconcilesHosts: true,
  async run(ctx) {
    const cp = ctx.controlPlane;
    const fleet = ctx.fleet;
    if (cp === undefined || fleet === undefined) throw new Error("demo stage order: the control plane and the BMC fleet come first");
    if (ctx.crdsInstalled !== true) {
      ctx.say("no BareMetalHost CRD: nothing for the manager to reconcile");
      return;
    }
    await cp.kubectl(["create", "namespace", "anvil-system"]);
    const image = randomBytes(IMAGE_BYTES);
    const server = http.createServer((_req, res) => void res.writeHead(200, { "Content-Length": image.length }).end(image));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    ctx.onStop(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const imageUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/demo-os.img`;

    const dir = await mkdtemp(path.join(os.tmpdir(), "anvil-demo-manager-"));
    ctx.onStop(() => rm(dir, { recursive: true, force: true }));
    const manager = await startManagerProcess({ kubeconfig: cp.kubeconfigPath, dir });
    ctx.onStop(async () => void (await manager.stop(10_000)));
    ctx.say(`anvil manager serving iPXE scripts and the agent API at ${manager.bootUrl}, probes at ${manager.probeUrl}`);
    const sim = startSimAgent({
      redfishUrl: fleet.redfishBase,
      auth: { username: fleet.username, password: fleet.password },
      systems: fleet.systems.map((s) => ({ path: `/redfish/v1/Systems/${encodeURIComponent(s.id)}`, name: s.name, mac: s.bootMac })),
      bootUrl: manager.bootUrl,
      pollMs: 500,
      progressSteps: 4,
      progressStepMs: 1_500,
    });
    ctx.onStop(() => sim.stop());
    ctx.say(`${fleet.systems.length} simulated servers network-boot when their BMC powers them on with a PXE override`);
    ctx.lifecycle = { sim, image, imageUrl, managerLogTail: () => manager.current.tail(20) };
  },
};

/** `from -> to` StateChanged notes of one host, chained from `new`. */
export function transitionChain(notes: readonly string[]): string[] {
  const next = new Map<string, string>();
  for (const n of notes) {
    const m = /^(\S+) -> (\S+)$/.exec(n);
    if (m) next.set(m[1]!, m[2]!);
  }
  const chain = ["new"];
  for (let s = next.get("new"); s !== undefined && chain.length <= next.size; s = next.get(s)) chain.push(s);
  return chain;
}

async function printTransitions(ctx: DemoContext, names: readonly string[]): Promise<void> {
  const { stdout } = await ctx.controlPlane!.kubectl(["get", "events", "-n", ctx.config.namespace, "--field-selector", "reason=StateChanged", "-o", "json"]);
  const items = (JSON.parse(stdout) as { items: { involvedObject?: { name?: string }; message?: string }[] }).items;
  process.stdout.write("state transitions (from the controller's StateChanged Events):\n");
  for (const name of names) {
    const notes = items.filter((e) => e.involvedObject?.name === name).map((e) => e.message ?? "");
    process.stdout.write(`  ${name}: ${transitionChain(notes).join(" → ")}\n`);
  }
}

export const lifecycleStage: DemoStage = {
  name: "hosts through their lifecycle (inspect, then deploy an image)",
  reconcilesHosts: true,
  async run(ctx) {
    const cp = ctx.controlPlane;
    const life = ctx.lifecycle;
    if (cp === undefined || life === undefined) return;
    const { sim, image, imageUrl } = life;
    const ns = ctx.config.namespace;
    const macToName = new Map((ctx.fleet?.systems ?? []).map((s) => [s.bootMac, s.name]));
    const deadline = Date.now() + STAGE_TIMEOUT_MS;
    let shown = "";
    let shownAt = 0;
    let imageSet = false;
    for (;;) {
      const hosts = await hostStates(ctx);
      const key = hosts.map((h) => h.state).join(",");
      if (key !== shown && Date.now() - shownAt >= SHOW_EVERY_MS) {
        shown = key;
        shownAt = Date.now();
        const args = ["get", "bmh", "-n", ns, "-o", "wide"];
        const provisioning = hosts.filter((h) => h.state === "provisioning").map((h) => h.name);
        process.stdout.write(`$ kubectl ${args.join(" ")}\n${(await cp.kubectl(args)).stdout}${progressLine(sim, macToName, provisioning)}`);
      }
      if (!imageSet && hosts.length > 0 && hosts.every((h) => h.state === "available")) {
        const sha = createHash("sha256").update(image).digest("hex");
        const patch = JSON.stringify({ spec: { image: { url: imageUrl, checksum: sha, checksumType: "sha256", format: "raw" } } });
        await Promise.all(hosts.map((h) => cp.kubectl(["patch", "bmh", "-n", ns, h.name, "--type=merge", "-p", patch])));
        imageSet = true;
        ctx.say(`every host is available (inspected, HardwareData written): set image ${imageUrl} on each`);
      }
      if (imageSet && hosts.every((h) => h.state === "provisioned") && key === shown) {
        const deployed = [...sim.deploys.values()].filter((d) => d.length === 1 && d[0]?.ok === true).length;
        await printTransitions(ctx, hosts.map((h) => h.name));
        ctx.say(`every host is provisioned; the agents wrote the image once each (${deployed}/${hosts.length})`);
        return;
      }
      if (Date.now() > deadline) throw new Error(`hosts not provisioned after ${STAGE_TIMEOUT_MS / 1000} s: ${key}\n${life.managerLogTail()}`);
      await sleep(300);
    }
  },
};
