/**
 * `anvil manager` as the boot LAN's provisioning server for VM tests: run in
 * the VM lab's `srv` namespace (libvirt-lab.ts) where it serves DHCP
 * (reservation mode on prov0), TFTP and HTTP on 10.77.0.1, with the real
 * deploy ramdisk (ramdisk/build.sh) and the bootable test OS image
 * (test-os-image.ts) as its assets. The management API server on the host's
 * 127.0.0.1 is carried into `srv` (VmLab.forward), so the kubeconfig is used
 * unchanged. The manager's log is one file the test can read or grep.
 *
 *   const m = await startSrvManager({ vmLab, kubeconfig, apiServer, dir });
 *   m.image   // { url, checksum, checksumType: "sha256", format: "raw" } of the test OS
 */
import { createHash } from "node:crypto";
import { copyFileSync, mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { SERVER_IFACE, SERVER_IP } from "./boot-lan.js";
import type { VmLab } from "./libvirt-lab.js";
import { waitFor, type Supervised } from "./process.js";
import { ramdiskPayload } from "./ramdisk.js";
import { testOsImage } from "./test-os-image.js";

export interface SrvManagerOptions {
  readonly vmLab: VmLab;
  readonly kubeconfig: string;
  /** The management API server's URL on the host's loopback (`https://127.0.0.1:<port>`): its port is forwarded into `srv`. */
  readonly apiServer: string;
  /** Scratch directory: `assets/` and `manager.log` go here. */
  readonly dir: string;
  /** @default 6180 */
  readonly httpPort?: number;
  /** Probe address inside `srv`. @default 127.0.0.1:8082 */
  readonly probeAddress?: string;
  /** @default 10.77.0.100-10.77.0.150 */
  readonly dhcpRange?: string;
  readonly extraArgs?: readonly string[];
  /** @default 90000 */
  readonly startTimeoutMs?: number;
}

export interface SrvManager {
  readonly process: Supervised;
  readonly logFile: string;
  /** The test OS as a BareMetalHost / AnvilMachine image, served from the manager's own assets. */
  readonly image: { readonly url: string; readonly checksum: string; readonly checksumType: "sha256"; readonly format: "raw" };
  /** The manager's log so far. */
  log(): string;
  /** SIGTERM, then SIGKILL after `graceMs`. Idempotent. */
  stop(graceMs?: number): Promise<void>;
}

export async function startSrvManager(o: SrvManagerOptions): Promise<SrvManager> {
  const assets = path.join(o.dir, "assets");
  const logFile = path.join(o.dir, "manager.log");
  const httpPort = o.httpPort ?? 6180;
  const probe = o.probeAddress ?? "127.0.0.1:8082";
  mkdirSync(assets, { recursive: true });
  const ramdisk = ramdiskPayload();
  // The manager's default ramdisk URLs are its own /assets/anvil-ramdisk.{kernel,initramfs}.
  copyFileSync(ramdisk.kernel, path.join(assets, "anvil-ramdisk.kernel"));
  copyFileSync(ramdisk.initrd, path.join(assets, "anvil-ramdisk.initramfs"));
  copyFileSync(testOsImage(), path.join(assets, "test-os.img"));
  const checksum = createHash("sha256").update(readFileSync(path.join(assets, "test-os.img"))).digest("hex");

  await o.vmLab.forward(Number(new URL(o.apiServer).port));
  const { lab, net } = o.vmLab;
  const proc = lab.startNode(net.srv, {
    name: "anvil-manager",
    entry: "cmd/anvil.ts",
    logFile,
    args: [
      "manager",
      `--kubeconfig=${o.kubeconfig}`,
      "--leader-elect=false",
      `--probe-address=${probe}`,
      `--provisioning-interface=${SERVER_IFACE}`,
      `--provisioning-address=${SERVER_IP}`,
      "--dhcp-mode=reservation",
      `--dhcp-range=${o.dhcpRange ?? "10.77.0.100-10.77.0.150"}`,
      `--http-address=${SERVER_IP}`,
      `--http-port=${httpPort}`,
      `--assets-dir=${assets}`,
      "--ramdisk-kernel-args=console=ttyS0",
      ...(o.extraArgs ?? []),
    ],
  });
  try {
    await waitFor(
      "anvil manager to serve /healthz in srv",
      async () => (await lab.exec(net.srv, "curl", ["-sf", "--max-time", "2", `http://${probe}/healthz`], { allowFailure: true })).code === 0,
      { timeoutMs: o.startTimeoutMs ?? 90_000, intervalMs: 500, process: proc },
    );
  } catch (err) {
    await proc.stop(0);
    throw err;
  }
  return {
    process: proc,
    logFile,
    image: { url: `http://${SERVER_IP}:${httpPort}/assets/test-os.img`, checksum, checksumType: "sha256", format: "raw" },
    log: () => {
      try {
        return readFileSync(logFile, "utf8");
      } catch {
        return "";
      }
    },
    stop: (graceMs = 10_000) => proc.stop(graceMs),
  };
}
