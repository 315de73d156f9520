/**
 * The test boot payload built by scripts/build-test-boot.sh: Debian's kernel
 * and a busybox initramfs whose /init loads the NIC driver, takes a DHCP
 * lease, POSTs `result=ok&mac=...&addr=...` to the `anvil.report=` URL of its
 * command line and powers off (`anvil.poweroff=no` keeps a shell instead).
 * Built once per input hash and cached under $HOME/.cache/anvil.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import path from "node:path";
import { REPO_ROOT } from "./peers.js";

export interface TestBootPayload {
  readonly dir: string;
  readonly kernel: string;
  readonly initrd: string;
}

let cached: TestBootPayload | undefined;

export function testBootPayload(): TestBootPayload {
  if (cached) return cached;
  const out = execFileSync("bash", [path.join(REPO_ROOT, "scripts/build-test-boot.sh")], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  }).trim();
  const dir = out.split("\n").pop() ?? "";
  cached = { dir, kernel: path.join(dir, "vmlinuz"), initrd: path.join(dir, "initramfs.gz") };
  return cached;
}

/** What the payload's /init POSTs to its report URL. */
export interface BootReport {
  readonly result: string;
  readonly mac: string;
  readonly addr: string;
  readonly iface: string;
  readonly kernel: string;
  /** Seconds since the guest kernel started. */
  readonly uptime: number;
  /** `BOOTIF=` of the kernel command line (pxelinux form `01-52-54-...`), empty when absent. */
  readonly bootif: string;
  /** First 16 hex digits of SHA-256 of `anvil.token=`; the token itself never leaves the guest. */
  readonly tokensum: string;
}

/** What `tokensum` must be for `token`. */
export function tokenDigest(token: string): string {
  return createHash("sha256").update(token).digest("hex").slice(0, 16);
}

export function parseBootReport(body: string): BootReport {
  const f = new URLSearchParams(body);
  return {
    result: f.get("result") ?? "",
    mac: f.get("mac") ?? "",
    addr: f.get("addr") ?? "",
    iface: f.get("iface") ?? "",
    kernel: f.get("kernel") ?? "",
    uptime: Number(f.get("uptime") ?? Number.NaN),
    bootif: f.get("bootif") ?? "",
    tokensum: f.get("tokensum") ?? "",
  };
}
