/**
 * Issue #5's fault matrix through `anvil manager` as the Deployment runs it
 * (a child process) on real peers: kube-apiserver + etcd, sushy-tools' fake
 * Redfish systems, the simulated firmware + ramdisk agent of
 * e2e/framework/sim-agent.ts, and an image server the test controls.
 *
 * One host per fault, all in parallel under the one manager. Each host must
 * show the right `status.errorType` with a message that says what is wrong
 * (and holds no secret), a Warning Event, and then, once the test fixes the
 * fault the way an operator would, reach its next good state (available or
 * provisioned) with the error cleared. The BMC faults that a Secret cannot
 * make (nobody listening, HTTP 500s for a while) come from
 * e2e/framework/fault-proxy.ts in front of sushy-tools, both while a host
 * registers and on a host that is already `available` and held online: there
 * Metal3 reports a `power management error` (baremetal-operator's
 * manageHostPower), keeps the host `available`, and zeroes errorCount once
 * its power is steady again.
 *
 * At the end, neither BMC password (the right one nor the wrong one) nor the
 * user data may appear in the manager's log, in Events, in any status seen
 * during the run, or in any HardwareData.
 */
import { createHash, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { ErrorType } from "../api/index.js";
import { bmcSecretName, redfishAddress } from "./demo/inventory.js";
import { startControlPlane, type ControlPlane } from "./framework/control-plane.js";
import { startFaultProxy, type FaultProxy } from "./framework/fault-proxy.js";
import { startManagerProcess, type ManagerProcess } from "./framework/manager-process.js";
import { REPO_ROOT } from "./framework/peers.js";
import { eventually } from "./framework/process.js";
import { startSimAgent, type SimAgent } from "./framework/sim-agent.js";
import { startSushyTools, type SushySystem, type SushyTools } from "./framework/sushy-tools.js";

const NS = "faults";
const PASSWORD = `bmc-${randomBytes(9).toString("base64url")}`;
const WRONG_PASSWORD = `wrong-${randomBytes(9).toString("base64url")}`;
const USERDATA_MARKER = `ud-marker-${randomBytes(9).toString("hex")}`;
const IMAGE = randomBytes(128 * 1024);
const IMAGE_SHA256 = createHash("sha256").update(IMAGE).digest("hex");
const WRONG_SHA256 = createHash("sha256").update("not the image").digest("hex");
/** Bounds for a loaded 2-core machine: a ramdisk boot is 1–11 s of fake power delay plus polls; backoff doubles from 10 s. */
const TO_ERROR_MS = 180_000;
const TO_RECOVERY_MS = 240_000;

interface Bmh {
  metadata: { name: string; generation?: number };
  status?: { provisioning?: { state?: string }; operationalStatus?: string; errorMessage?: string; errorType?: string; errorCount?: number; poweredOn?: boolean };
}

/** Everything a case needs from the running peers. */
interface World {
  readonly cp: ControlPlane;
  readonly sushy: SushyTools;
  readonly system: SushySystem;
  readonly proxies: {
    readonly unreachable: FaultProxy;
    readonly flaky: FaultProxy;
    /** Forwarding until an available host's case makes it refuse. */
    readonly goneLater: FaultProxy;
    /** Forwarding until an available host's case makes it answer 500s. */
    readonly failsLater: FaultProxy;
  };
  readonly images: Map<string, Buffer>;
  readonly imageBase: string;
}

interface FaultCase {
  readonly name: string;
  /** Host (and sushy-tools system) name. */
  readonly host: string;
  /** The BMC address's base when it is not sushy-tools itself. */
  readonly via?: (w: World) => string;
  /** The credentials Secret's password; `null`: no Secret at first. @default PASSWORD */
  readonly password?: string | null;
  readonly spec?: (w: World) => Record<string, unknown>;
  /**
   * Breaks the BMC only once the host is `available`, OK and powered on (registered, inspected, held online);
   * without it the fault is there from the start.
   */
  readonly breakWhenAvailable?: (w: World) => Promise<void>;
  readonly errorType: string;
  /** What the message must say (the cause, named so an operator knows what to fix). */
  readonly message: RegExp;
  readonly fix: (w: World) => Promise<void>;
  readonly endState: "available" | "provisioned";
  /** Extra checks once recovered. */
  readonly after?: (w: World, sim: SimAgent) => void;
}

const image = (w: World, file: string, checksum = IMAGE_SHA256): Record<string, unknown> => ({ url: `${w.imageBase}/${file}`, checksum, checksumType: "sha256", format: "raw" });
const secret = (name: string, data: Record<string, string>): string =>
  stringify({ apiVersion: "v1", kind: "Secret", metadata: { name, namespace: NS }, type: "Opaque", stringData: data });
const lastDeployOk = (sim: SimAgent, w: World, file: string): void => {
  const d = sim.deploys.get(w.system.mac) ?? [];
  expect(d.at(-1)?.ok, `last deploy of ${w.system.name}`).toBe(true);
  expect(d.at(-1)?.imageUrl).toBe(`${w.imageBase}/${file}`);
  expect(d.filter((x) => x.ok), `successful deploys of ${w.system.name}`).toHaveLength(1);
};

const cases: FaultCase[] = [
  {
    name: "a host whose BMC credentials Secret is missing shows a registration error naming the Secret, and becomes available once the Secret is created",
    host: "no-secret",
    password: null,
    errorType: ErrorType.Registration,
    message: /BMC credentials Secret "no-secret-bmc-secret" not found/,
    fix: (w) => w.cp.kubectl(["apply", "-f", "-"], { input: secret(bmcSecretName("no-secret"), { username: "admin", password: PASSWORD }) }).then(() => undefined),
    endState: "available",
  },
  {
    name: "a host whose Secret holds a wrong password shows a registration error saying the BMC rejected it, and becomes available once the Secret is corrected",
    host: "wrong-password",
    password: WRONG_PASSWORD,
    errorType: ErrorType.Registration,
    message: /rejected the credentials in Secret "wrong-password-bmc-secret"/,
    fix: (w) => w.cp.kubectl(["apply", "-f", "-"], { input: secret(bmcSecretName("wrong-password"), { username: "admin", password: PASSWORD }) }).then(() => undefined),
    endState: "available",
  },
  {
    name: "a host whose BMC nobody answers shows a registration error saying the BMC is unreachable, and becomes available once it answers",
    host: "unreachable",
    via: (w) => w.proxies.unreachable.url,
    errorType: ErrorType.Registration,
    message: /reaching the BMC .*BMC_UNREACHABLE.*ECONNREFUSED/,
    fix: (w) => w.proxies.unreachable.set("forward"),
    endState: "available",
  },
  {
    name: "a host whose BMC answers HTTP 500 for a while shows a registration error with the BMC's failure, and becomes available once the BMC recovers",
    host: "bmc-500s",
    via: (w) => w.proxies.flaky.url,
    errorType: ErrorType.Registration,
    message: /reaching the BMC .*BMC_ERROR/,
    fix: (w) => w.proxies.flaky.set("forward"),
    endState: "available",
    after: (w) => expect(w.proxies.flaky.answered.fail, "500s the BMC answered").toBeGreaterThan(1),
  },
  {
    name: "an available host held online whose BMC then answers HTTP 500 for a while shows a power management error, and is OK again on its own once the BMC recovers",
    host: "available-500s",
    via: (w) => w.proxies.failsLater.url,
    breakWhenAvailable: (w) => w.proxies.failsLater.set("fail"),
    errorType: ErrorType.PowerManagement,
    message: /reading power state: BMC_ERROR: .*answered 500: Base\.1\.0\.InternalError/,
    fix: (w) => w.proxies.failsLater.set("forward"),
    endState: "available",
    after: (w) => expect(w.proxies.failsLater.answered.fail, "500s the BMC answered").toBeGreaterThan(0),
  },
  {
    name: "an available host held online whose BMC then stops answering shows a power management error saying it is unreachable, and is OK again on its own once it answers",
    host: "available-gone",
    via: (w) => w.proxies.goneLater.url,
    breakWhenAvailable: (w) => w.proxies.goneLater.set("refuse"),
    errorType: ErrorType.PowerManagement,
    message: /reading power state: BMC_UNREACHABLE: .*ECONNREFUSED/,
    fix: (w) => w.proxies.goneLater.set("forward"),
    endState: "available",
  },
  {
    name: "a host whose image URL answers 404 shows a provisioning error with the agent's HTTP 404, and is provisioned once the image is there",
    host: "image-404",
    spec: (w) => ({ image: image(w, "late.img") }),
    errorType: ErrorType.Provisioning,
    message: /deploy failed: IMAGE_FETCH_FAILED: image: HTTP 404/,
    fix: (w) => Promise.resolve(void w.images.set("/late.img", IMAGE)),
    endState: "provisioned",
    after: (w, sim) => lastDeployOk(sim, w, "late.img"),
  },
  {
    name: "a host given a wrong image checksum shows a provisioning error saying the checksum differs, and is provisioned once the checksum is corrected",
    host: "bad-checksum",
    spec: (w) => ({ image: image(w, "os.img", WRONG_SHA256) }),
    errorType: ErrorType.Provisioning,
    message: /deploy failed: CHECKSUM_MISMATCH: sha256 digest of the image differs/,
    fix: (w) => w.cp.kubectl(["patch", "bmh", "-n", NS, "bad-checksum", "--type=merge", "-p", JSON.stringify({ spec: { image: image(w, "os.img") } })]).then(() => undefined),
    endState: "provisioned",
    after: (w, sim) => lastDeployOk(sim, w, "os.img"),
  },
  {
    name: "a host whose disks match none of its root device hints shows a provisioning error saying so, and is provisioned once the hints are fixed",
    host: "no-root-disk",
    spec: (w) => ({ image: image(w, "os.img"), rootDeviceHints: { minSizeGigabytes: 100_000 } }),
    errorType: ErrorType.Provisioning,
    message: /deploy failed: NO_ROOT_DEVICE: no disk among 1 matches the root device hints/,
    fix: (w) => w.cp.kubectl(["patch", "bmh", "-n", NS, "no-root-disk", "--type=merge", "-p", JSON.stringify({ spec: { rootDeviceHints: { minSizeGigabytes: null, deviceName: "/dev/sda" } } })]).then(() => undefined),
    endState: "provisioned",
    after: (w, sim) => lastDeployOk(sim, w, "os.img"),
  },
  {
    name: "a host whose user-data Secret is missing shows a provisioning error naming the Secret, and is provisioned with that user data once it exists",
    host: "no-user-data",
    spec: (w) => ({ image: image(w, "os.img"), userData: { name: "late-user-data", namespace: NS } }),
    errorType: ErrorType.Provisioning,
    message: /deploy: user data Secret "faults\/late-user-data" not found/,
    fix: (w) => w.cp.kubectl(["apply", "-f", "-"], { input: secret("late-user-data", { userData: `#cloud-config\nruncmd: [echo ${USERDATA_MARKER}]\n` }) }).then(() => undefined),
    endState: "provisioned",
    after: (w, sim) => {
      lastDeployOk(sim, w, "os.img");
      expect(sim.deploys.get(w.system.mac)?.at(-1)?.userData).toContain(USERDATA_MARKER);
    },
  },
];

describe("the BareMetalHost fault matrix under one anvil manager", () => {
  let dir: string;
  let cp: ControlPlane;
  let sushy: SushyTools;
  let proxies: World["proxies"];
  let imageServer: http.Server;
  let imageBase: string;
  const images = new Map<string, Buffer>([["/os.img", IMAGE]]);
  let manager: ManagerProcess;
  let sim: SimAgent;
  /** Every status and error message seen while polling, for the secrets grep at the end. */
  const seen = new Set<string>();
  /** Per host: seconds from applying it to its error, and from the fix to its recovery. */
  const timings = new Map<string, { toError: number; toRecovery: number }>();

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "anvil-faults-"));
    cp = await startControlPlane();
    await cp.kubectl(["apply", "-k", path.join(REPO_ROOT, "manifests/crd")]);
    await cp.kubectl(["wait", "--for=condition=Established", "crd/baremetalhosts.metal3.io", "crd/hardwaredata.metal3.io", "--timeout=60s"]);
    await cp.kubectl(["create", "namespace", "anvil-system"]);
    await cp.kubectl(["create", "namespace", NS]);
    sushy = await startSushyTools({ systems: cases.map((c) => ({ name: c.host })), auth: { username: "admin", password: PASSWORD } });
    proxies = {
      unreachable: await startFaultProxy({ target: sushy.url, mode: "refuse" }),
      flaky: await startFaultProxy({ target: sushy.url, mode: "fail" }),
      goneLater: await startFaultProxy({ target: sushy.url, mode: "forward" }),
      failsLater: await startFaultProxy({ target: sushy.url, mode: "forward" }),
    };
    imageServer = http.createServer((req, res) => {
      const body = images.get(req.url ?? "");
      if (body === undefined) return void res.writeHead(404).end();
      res.writeHead(200, { "Content-Type": "application/octet-stream", "Content-Length": body.length }).end(body);
    });
    await new Promise<void>((resolve) => imageServer.listen(0, "127.0.0.1", resolve));
    imageBase = `http://127.0.0.1:${(imageServer.address() as AddressInfo).port}`;
    manager = await startManagerProcess({ kubeconfig: cp.kubeconfigPath, dir, extraArgs: ["--log-level=debug"] });
    sim = startSimAgent({
      redfishUrl: sushy.url,
      auth: { username: "admin", password: PASSWORD },
      systems: sushy.systems.map((s) => ({ path: s.path, name: s.name, mac: s.mac })),
      bootUrl: manager.bootUrl,
      pollMs: 500,
      progressSteps: 2,
      progressStepMs: 200,
    });
  }, 180_000);

  afterAll(async () => {
    await sim?.stop();
    await manager?.stop(5_000);
    await proxies?.unreachable.stop();
    await proxies?.flaky.stop();
    await proxies?.goneLater.stop();
    await proxies?.failsLater.stop();
    await sushy?.stop();
    await new Promise<void>((resolve) => (imageServer ? imageServer.close(() => resolve()) : resolve()));
    await cp?.stop();
    await rm(dir, { recursive: true, force: true });
  }, 60_000);

  /** One `kubectl get bmh` a second shared by all cases, so eight pollers do not fork eight kubectls. */
  let listing: { at: number; hosts: Promise<Bmh[]> } | undefined;
  const hosts = (): Promise<Bmh[]> => {
    if (listing === undefined || Date.now() - listing.at > 1_000) {
      const p = cp.kubectl(["get", "bmh", "-n", NS, "-o", "json"]).then((r) => {
        seen.add(r.stdout);
        return (JSON.parse(r.stdout) as { items: Bmh[] }).items;
      });
      listing = { at: Date.now(), hosts: p };
    }
    return listing.hosts;
  };
  const hostNamed = async (name: string): Promise<Bmh | undefined> => (await hosts()).find((h) => h.metadata.name === name);
  const logOf = (name: string): string =>
    readFileSync(manager.logFile, "utf8")
      .split("\n")
      .filter((l) => l.includes(`${NS}/${name}"`) && !l.includes('"status":200'))
      .slice(-25)
      .join("\n");

  /** One host's whole story: fault → error shown → fix → next good state. */
  async function runCase(c: FaultCase): Promise<void> {
    const system = sushy.systems.find((s) => s.name === c.host)!;
    const w: World = { cp, sushy, system, proxies, images, imageBase };
    const base = c.via?.(w) ?? sushy.url;
    const manifests = [
      ...(c.password === null ? [] : [secret(bmcSecretName(c.host), { username: "admin", password: c.password ?? PASSWORD })]),
      stringify({
        apiVersion: "metal3.io/v1alpha1",
        kind: "BareMetalHost",
        metadata: { name: c.host, namespace: NS },
        spec: { online: true, bootMACAddress: system.mac, bmc: { address: redfishAddress(base, system.id), credentialsName: bmcSecretName(c.host) }, ...c.spec?.(w) },
      }),
    ];
    await cp.kubectl(["apply", "-f", "-"], { input: manifests.map((m) => `---\n${m}`).join("") });
    if (c.breakWhenAvailable !== undefined) {
      await eventually(
        `${c.host} to be available, OK and powered on before its BMC breaks`,
        async () => {
          const h = await hostNamed(c.host);
          return h?.status?.provisioning?.state === "available" && h.status.operationalStatus === "OK" && h.status.poweredOn === true;
        },
        { timeoutMs: TO_ERROR_MS, intervalMs: 1_000 },
      ).catch(async (err: unknown) => {
        const h = await hostNamed(c.host).catch(() => undefined);
        throw new Error(`${String(err)}\nnow: ${JSON.stringify(h?.status)}\n--- manager log of ${c.host} ---\n${logOf(c.host)}`);
      });
      await c.breakWhenAvailable(w);
    }
    const applied = Date.now();

    const errors = new Set<string>();
    const inError = await eventually(
      `${c.host} to show ${c.errorType}`,
      async () => {
        const h = await hostNamed(c.host);
        if (h?.status?.errorType) errors.add(`${h.status.provisioning?.state}: ${h.status.errorType}: ${h.status.errorMessage}`);
        return h?.status?.errorType === c.errorType && c.message.test(h.status.errorMessage ?? "") ? h : undefined;
      },
      { timeoutMs: TO_ERROR_MS, intervalMs: 1_000 },
    ).catch((err: unknown) => {
      throw new Error(`${String(err)}\nerrors seen: ${[...errors].join(" | ") || "none"}\n--- manager log of ${c.host} ---\n${logOf(c.host)}`);
    });
    expect(inError.status?.operationalStatus).toBe("error");
    expect(inError.status?.errorCount).toBeGreaterThan(0);
    // Errors are not states: a BMC failing under an available host leaves it available.
    if (c.breakWhenAvailable !== undefined) expect(inError.status?.provisioning?.state).toBe("available");
    const events = JSON.parse((await cp.kubectl(["get", "events.events.k8s.io", "-n", NS, "-o", "json"])).stdout) as {
      items: { type?: string; note?: string; regarding?: { name?: string } }[];
    };
    expect(
      events.items.some((e) => e.regarding?.name === c.host && e.type === "Warning" && (e.note ?? "").includes(c.errorType)),
      `a Warning Event about ${c.host} naming "${c.errorType}"`,
    ).toBe(true);

    const erred = Date.now();
    await c.fix(w);
    await eventually(
      `${c.host} to recover to ${c.endState}`,
      async () => {
        const h = await hostNamed(c.host);
        return h?.status?.provisioning?.state === c.endState && h.status.operationalStatus === "OK" && !h.status.errorType;
      },
      { timeoutMs: TO_RECOVERY_MS, intervalMs: 1_000 },
    ).catch(async (err: unknown) => {
      const h = await hostNamed(c.host).catch(() => undefined);
      throw new Error(`${String(err)}\nnow: ${JSON.stringify(h?.status)}\n--- sim ---\n${sim.explain([system.mac])}\n--- manager log of ${c.host} ---\n${logOf(c.host)}`);
    });
    timings.set(c.host, { toError: (erred - applied) / 1000, toRecovery: (Date.now() - erred) / 1000 });
    const done = await hostNamed(c.host);
    expect(done?.status?.errorMessage ?? "").toBe("");
    // Metal3 zeroes errorCount on the next state and once a stable host's power is steady again.
    expect(done?.status?.errorCount, `${c.host}'s errorCount once recovered`).toBe(0);
    c.after?.(w, sim);
  }

  describe("each fault shows its errorType and message, then recovers once fixed", () => {
    // Every host runs its story at once under the one manager; each test then reports its own host's outcome.
    const runs = new Map<string, Promise<Error | undefined>>();
    beforeAll(() => {
      for (const c of cases) runs.set(c.host, runCase(c).then(() => undefined, (err: unknown) => (err instanceof Error ? err : new Error(String(err)))));
    });

    it.each(cases)("$name", async (c) => {
      const err = await runs.get(c.host);
      if (err !== undefined) throw err;
    }, TO_ERROR_MS + TO_RECOVERY_MS + 60_000);
  });

  it("reports how long each fault took to show and to clear", () => {
    const line = [...timings].map(([h, t]) => `${h} ${t.toError.toFixed(1)}+${t.toRecovery.toFixed(1)} s`).join(", ");
    process.stdout.write(`host-faults: error+recovery per host: ${line}; load ${os.loadavg()[0]?.toFixed(1)}\n`);
    expect(timings.size).toBe(cases.length);
  });

  it("keeps both BMC passwords and the user data out of the log, Events, every status seen and HardwareData", async () => {
    const logs = readFileSync(manager.logFile, "utf8");
    expect(logs.length).toBeGreaterThan(1000);
    const events = (await cp.kubectl(["get", "events", "-A", "-o", "json"])).stdout + (await cp.kubectl(["get", "events.events.k8s.io", "-A", "-o", "json"])).stdout;
    expect(events).toContain(ErrorType.Provisioning);
    const statuses = [...seen, (await cp.kubectl(["get", "bmh", "-A", "-o", "json"])).stdout].join("\n");
    expect(statuses).toContain("CHECKSUM_MISMATCH");
    expect(statuses, "the available hosts' power management errors were seen").toContain(ErrorType.PowerManagement);
    const hw = (await cp.kubectl(["get", "hardwaredata", "-A", "-o", "json"])).stdout;
    const base64 = (s: string): string => Buffer.from(s).toString("base64");
    for (const [where, text] of Object.entries({ "manager log": logs, Events: events, "BareMetalHost statuses": statuses, HardwareData: hw })) {
      for (const s of [PASSWORD, WRONG_PASSWORD, USERDATA_MARKER, base64(PASSWORD), base64(WRONG_PASSWORD), base64(`admin:${PASSWORD}`), base64(`admin:${WRONG_PASSWORD}`)]) {
        expect(text.includes(s), `${where} hold a secret`).toBe(false);
      }
    }
  });

  it("drains on SIGTERM and exits 0", async () => {
    expect(await manager.stop(20_000)).toBe(0);
  });
});
