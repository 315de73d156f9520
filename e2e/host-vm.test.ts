/**
 * Issue 5's real end to end: BareMetalHosts on three libvirt TCG VMs, two
 * behind sushy-tools' libvirt driver (Redfish; one SeaBIOS, one UEFI/OVMF)
 * and one behind virtualbmc (IPMI), all at once, driven by `anvil manager`
 * running in the boot LAN's `srv` namespace where it serves DHCP
 * (reservation), TFTP and HTTP on 10.77.0.1, with the real deploy ramdisk
 * (ramdisk/build.sh) as its assets. Per host: apply → `available`
 * with hardware inspected in-band by the agent → image + user data →
 * `provisioned`, the VM boots its disk and the installed test OS reports the
 * digest of its config drive's user data → image cleared → `deprovisioning`
 * wipes the disk → `available` → delete → powered off, finalizer gone.
 * Each host has its own user data and must report exactly its own. The UEFI
 * VM proves the other firmware path: OVMF's PXE gets ipxe.efi over TFTP, and
 * the installed image boots from disk through \EFI\BOOT\BOOTX64.EFI.
 * The truth comes from virsh, the serial logs and the disk files, not from
 * Anvil's status.
 */
import { createHash, randomBytes } from "node:crypto";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { diskHead } from "./framework/libvirt-disk.js";
import { SERVER_IFACE, SERVER_IP } from "./framework/boot-lan.js";
import { startControlPlane, type ControlPlane } from "./framework/control-plane.js";
import { startHttpRecorder, type HttpRecorder } from "./framework/http-recorder.js";
import { startVmLab, type LabVm, type VmLab } from "./framework/libvirt-lab.js";
import { REPO_ROOT } from "./framework/peers.js";
import { waitFor, type Supervised } from "./framework/process.js";
import { ramdiskPayload } from "./framework/ramdisk.js";
import { parseTestOsReport, reportingUserData, testOsImage } from "./framework/test-os-image.js";

const NS = "vms";
const HTTP_PORT = 6180;
const RECORDER_PORT = 8081;
const PROBE = "127.0.0.1:8082";
const PASSWORD = `bmc-${randomBytes(9).toString("base64url")}`;
const MIB = 2 ** 20;
/**
 * Whole flow per host (three TCG VMs share 2 cores with other workers); each
 * phase also has its own bound so a stuck phase names itself early.
 */
const FLOW_TIMEOUT_MS = 1_800_000;
const PHASE_MS = { available: 600_000, provisioned: 720_000, osReport: 360_000, wiped: 600_000, deleted: 180_000 } as const;
const sha256 = (b: Buffer | string): string => createHash("sha256").update(b).digest("hex");

interface Bmh {
  metadata: { name: string; uid?: string; finalizers?: string[] };
  status?: { provisioning?: { state?: string }; errorType?: string; errorMessage?: string; poweredOn?: boolean };
}

interface HardwareData {
  spec?: { hardware?: { nics?: { mac?: string }[]; storage?: { sizeBytes?: number; name?: string }[] } };
}

/** The manager's boot-service log lines this test reads (pxe/boot-service.ts BootServiceLogEvent). */
interface BootLogEvent {
  event?: string;
  path?: string;
  remote?: string;
  host?: string;
  client?: string;
  file?: string;
  outcome?: string;
}

describe("BareMetalHosts on three libvirt VMs (Redfish SeaBIOS, Redfish UEFI, IPMI) through anvil manager with the real ramdisk", () => {
  const scratch = mkdtempSync(path.join(os.tmpdir(), "anvil-host-vm-"));
  const assets = path.join(scratch, "assets");
  const managerLog = path.join(scratch, "manager.log");
  let cp: ControlPlane | undefined;
  let vmLab: VmLab | undefined;
  let manager: Supervised | undefined;
  let recorder: HttpRecorder;
  let imageSha256: string;
  const timings: Record<string, Record<string, number>> = {};

  beforeAll(async () => {
    const t0 = Date.now();
    mkdirSync(assets);
    const ramdisk = ramdiskPayload();
    // The manager's default ramdisk URLs are its own /assets/anvil-ramdisk.{kernel,initramfs}.
    copyFileSync(ramdisk.kernel, path.join(assets, "anvil-ramdisk.kernel"));
    copyFileSync(ramdisk.initrd, path.join(assets, "anvil-ramdisk.initramfs"));
    copyFileSync(testOsImage(), path.join(assets, "test-os.img"));
    imageSha256 = sha256(readFileSync(path.join(assets, "test-os.img")));

    cp = await startControlPlane();
    await cp.kubectl(["apply", "-k", path.join(REPO_ROOT, "manifests/crd")]);
    await cp.kubectl(["wait", "--for=condition=Established", "crd/baremetalhosts.metal3.io", "crd/hardwaredata.metal3.io", "--timeout=60s"]);
    await cp.kubectl(["create", "namespace", NS]);
    vmLab = await startVmLab({
      vms: [{ bmc: "redfish" }, { bmc: "redfish", firmware: "uefi" }, { bmc: "ipmi" }],
      credentials: { username: "admin", password: PASSWORD },
      bmcNamespace: "srv",
    });
    await vmLab.forward(Number(new URL(cp.server).port));
    recorder = await startHttpRecorder(vmLab.lab, vmLab.net.srv, SERVER_IP, RECORDER_PORT);
    manager = vmLab.lab.startNode(vmLab.net.srv, {
      name: "anvil-manager",
      entry: "cmd/anvil.ts",
      logFile: managerLog,
      args: [
        "manager",
        `--kubeconfig=${cp.kubeconfigPath}`,
        "--leader-elect=false",
        `--probe-address=${PROBE}`,
        `--provisioning-interface=${SERVER_IFACE}`,
        `--provisioning-address=${SERVER_IP}`,
        "--dhcp-mode=reservation",
        "--dhcp-range=10.77.0.100-10.77.0.150",
        `--http-address=${SERVER_IP}`,
        `--http-port=${HTTP_PORT}`,
        `--assets-dir=${assets}`,
        "--ramdisk-kernel-args=console=ttyS0",
        "--log-level=debug",
      ],
    });
    const lab = vmLab.lab;
    const srv = vmLab.net.srv;
    await waitFor(
      "anvil manager to serve /healthz in srv",
      async () => (await lab.exec(srv, "curl", ["-sf", "--max-time", "2", `http://${PROBE}/healthz`], { allowFailure: true })).code === 0,
      { timeoutMs: 90_000, intervalMs: 500, process: manager },
    );
    process.stdout.write(`host-vm: setup ${Date.now() - t0} ms (VM lab ${vmLab.times.totalMs} ms)\n`);
  }, 300_000);

  afterAll(async () => {
    const errors: unknown[] = [];
    await manager?.stop(10_000).catch((e: unknown) => errors.push(e));
    await vmLab?.stop().catch((e: unknown) => errors.push(e));
    await cp?.stop().catch((e: unknown) => errors.push(e));
    process.stdout.write(`host-vm: phase timings (ms) ${JSON.stringify(timings)}\n`);
    if (process.env.ANVIL_KEEP_LOGS === undefined) rmSync(scratch, { recursive: true, force: true });
    else process.stdout.write(`host-vm: logs kept in ${scratch}\n`);
    if (errors.length > 0) throw new AggregateError(errors, "host-vm cleanup");
  }, 120_000);

  const getHost = async (name: string): Promise<Bmh | undefined> => {
    const r = await cp!.kubectl(["get", "bmh", "-n", NS, name, "-o", "json", "--ignore-not-found"]);
    return r.stdout.trim() === "" ? undefined : (JSON.parse(r.stdout) as Bmh);
  };

  /** Polls the host until `done` holds, recording the first time each provisioning state is seen. */
  async function until(name: string, what: string, done: (h: Bmh | undefined) => boolean, deadline: number, seen: Record<string, number>, t0: number): Promise<Bmh | undefined> {
    for (;;) {
      const h = await getHost(name);
      const state = h?.status?.provisioning?.state ?? (h === undefined ? "gone" : "none");
      if (seen[state] === undefined) seen[state] = Date.now() - t0;
      const last = `${state}${h?.status?.errorType ? ` (${h.status.errorType}: ${h.status.errorMessage ?? ""})` : ""}`;
      if (done(h)) return h;
      if (Date.now() > deadline) {
        const tail = readFileSync(managerLog, "utf8").split("\n").filter((l) => l.includes(name) && !l.includes('"boot HTTP request"') && !l.includes('"msg":"reconciled"')).slice(-25).join("\n");
        throw new Error(`${name}: not ${what} in time; last ${last}\n--- manager log (tail) ---\n${tail}`);
      }
      await sleep(1000);
    }
  }

  const hostName = (vm: LabVm): string => `host-${vm.bmc.kind}${vm.firmware === "uefi" ? "-uefi" : ""}`;
  /** Per host: the digest of the user data it was given and its BareMetalHost's UID. */
  const given = new Map<string, { userdataSha256: string; uuid: string }>();

  /** The whole life of one host; records its phase timings. */
  async function flow(vm: LabVm): Promise<void> {
    const name = hostName(vm);
    const t: Record<string, number> = {};
    timings[name] = t;
    const flowDeadline = Date.now() + FLOW_TIMEOUT_MS;
    const within = (ms: number): number => Math.min(flowDeadline, Date.now() + ms);
    const states: Record<string, number> = {};
    const userData = reportingUserData(recorder.url(`/report/${name}`), `# ${name} ${randomBytes(8).toString("hex")}\n`);
    await cp!.kubectl(["apply", "-f", "-"], {
      input: [
        { apiVersion: "v1", kind: "Secret", metadata: { name: `${name}-bmc`, namespace: NS }, stringData: { username: vm.bmc.username, password: vm.bmc.password } },
        { apiVersion: "v1", kind: "Secret", metadata: { name: `${name}-user-data`, namespace: NS }, stringData: { userData } },
        {
          apiVersion: "metal3.io/v1alpha1",
          kind: "BareMetalHost",
          metadata: { name, namespace: NS },
          spec: { online: true, bootMACAddress: vm.mac, inspectionMode: "agent", bmc: { address: vm.bmc.address, credentialsName: `${name}-bmc` } },
        },
      ]
        .map((o) => `---\n${stringify(o)}`)
        .join(""),
    });
    const t0 = Date.now();
    const state = (h: Bmh | undefined): string | undefined => h?.status?.provisioning?.state;

    // Inspection in band: the ramdisk's agent posts the VM's own NIC and disk.
    await until(name, "available", (h) => state(h) === "available", within(PHASE_MS.available), states, t0);
    t.applyToAvailable = Date.now() - t0;
    expect(states.inspecting, `${name} went through inspecting`).toBeDefined();
    const hw = JSON.parse((await cp!.kubectl(["get", "hardwaredata", "-n", NS, name, "-o", "json"])).stdout) as HardwareData;
    expect(hw.spec?.hardware?.nics?.map((n) => n.mac?.toLowerCase())).toContain(vm.mac.toLowerCase());
    expect(hw.spec?.hardware?.storage?.map((s) => s.sizeBytes)).toContain(4 * 2 ** 30);

    // Provisioning: the test OS image from the manager's own assets, sha256-checked, with user data.
    const t1 = Date.now();
    const image = { url: `http://${SERVER_IP}:${HTTP_PORT}/assets/test-os.img`, checksum: imageSha256, checksumType: "sha256", format: "raw" };
    await cp!.kubectl(["patch", "bmh", "-n", NS, name, "--type=merge", "-p", JSON.stringify({ spec: { image, userData: { name: `${name}-user-data`, namespace: NS } } })]);
    const provisioned = await until(name, "provisioned", (h) => state(h) === "provisioned", within(PHASE_MS.provisioned), states, t0);
    t.imageToProvisioned = Date.now() - t1;
    given.set(name, { userdataSha256: sha256(userData), uuid: provisioned?.metadata.uid ?? "" });
    const report = await recorder.next((q) => q.path === `/report/${name}` && q.at >= t1, Math.max(1, within(PHASE_MS.osReport) - Date.now()));
    t.provisionedToOsReport = report.at - t1 - t.imageToProvisioned;
    const got = parseTestOsReport(report.body);
    expect({ userdataSha256: got.userdataSha256, uuid: got.uuid }).toEqual(given.get(name));
    expect(got.device).toMatch(/^\/dev\/[sv]da2$/);
    const serial = vm.domain.serial();
    expect(serial).toContain("anvil-test-os: booted from disk");
    // OVMF's boot manager logs to the serial port, SeaBIOS does not: the UEFI VM really ran OVMF, the others did not.
    expect(serial.includes("BdsDxe: "), `${name}: OVMF on the serial console`).toBe(vm.firmware === "uefi");
    expect(diskHead(vm.disk, MIB).equals(Buffer.alloc(MIB))).toBe(false);

    // Deprovisioning: clearing the image wipes the disk and the host comes back available.
    const t2 = Date.now();
    await cp!.kubectl(["patch", "bmh", "-n", NS, name, "--type=json", "-p", JSON.stringify([{ op: "remove", path: "/spec/image" }])]);
    const wipeDeadline = within(PHASE_MS.wiped);
    await until(name, "deprovisioning", (h) => state(h) === "deprovisioning", wipeDeadline, states, t0);
    await until(name, "available again", (h) => state(h) === "available", wipeDeadline, states, t0);
    t.clearToAvailable = Date.now() - t2;
    expect(diskHead(vm.disk, MIB).equals(Buffer.alloc(MIB)), `${name}: first MiB of the disk wiped`).toBe(true);

    // Delete: powered off, finalizer gone (the object disappears).
    const t3 = Date.now();
    await cp!.kubectl(["delete", "bmh", "-n", NS, name, "--wait=false"]);
    await until(name, "deleted", (h) => h === undefined, within(PHASE_MS.deleted), states, t0);
    t.deleteToGone = Date.now() - t3;
    expect(await vm.domain.state()).toBe("shut off");
    t.total = Date.now() - t0;
    process.stdout.write(`host-vm: ${name} states first seen (ms after apply) ${JSON.stringify(states)}; phases (ms) ${JSON.stringify(t)}\n`);
  }

  // No retry (ADR 0018): a rerun would start over on hosts already mid-life and cost another long VM run.
  it("takes two Redfish VMs (SeaBIOS and UEFI) and an IPMI VM at once from apply through in-band inspection, provisioning, disk boot, wipe and delete", { retry: 0, timeout: FLOW_TIMEOUT_MS + 60_000 }, async () => {
    const results = await Promise.allSettled(vmLab!.vms.map((vm) => flow(vm)));
    const failures = results.flatMap((r, i) => (r.status === "rejected" ? [`${hostName(vmLab!.vms[i]!)}: ${String(r.reason instanceof Error ? r.reason.message : r.reason)}`] : []));
    expect(failures).toEqual([]);
  });

  it("gives each host only its own user data: every report carries the digest and UID of the host it was sent for", () => {
    const reports = recorder.requests().filter((q) => q.path.startsWith("/report/"));
    const names = vmLab!.vms.map(hostName);
    expect(new Set(reports.map((q) => q.path))).toEqual(new Set(names.map((n) => `/report/${n}`)));
    expect(new Set([...given.values()].map((g) => g.userdataSha256)).size).toBe(names.length);
    for (const q of reports) {
      const got = parseTestOsReport(q.body);
      expect({ path: q.path, userdataSha256: got.userdataSha256, uuid: got.uuid }).toEqual({ path: q.path, ...given.get(q.path.slice("/report/".length)) });
    }
  });

  it("hands the UEFI VM's own PXE client ipxe.efi over TFTP, while the SeaBIOS VMs' iPXE ROMs fetch their scripts over HTTP with no TFTP at all", () => {
    const events = readFileSync(managerLog, "utf8")
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as BootLogEvent);
    for (const vm of vmLab!.vms) {
      const name = hostName(vm);
      // The address each host's firmware used: the one its per-MAC iPXE script was served to.
      const ips = new Set(events.filter((e) => e.event === "http" && e.host === `${NS}/${name}` && e.path?.startsWith("/ipxe/")).map((e) => e.remote));
      expect(ips.size, `${name} fetched its iPXE script`).toBeGreaterThan(0);
      const files = new Set(events.filter((e) => e.event === "transfer-end" && e.outcome === "completed" && ips.has(e.client?.split(":")[0])).map((e) => e.file));
      expect({ name, files: [...files] }).toEqual({ name, files: vm.firmware === "uefi" ? ["ipxe.efi"] : [] });
    }
  });

  it("keeps the BMC password and the user data out of the manager's log", () => {
    const log = readFileSync(managerLog, "utf8");
    expect(log.length).toBeGreaterThan(1000);
    expect(log.includes(PASSWORD)).toBe(false);
    expect(log.includes("#anvil-report-url")).toBe(false);
  });
});
