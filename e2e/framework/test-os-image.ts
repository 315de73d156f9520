/**
 * A small bootable raw disk image for provisioning tests, built by
 * scripts/build-test-os-image.sh: syslinux boots Debian's kernel and a
 * busybox initramfs whose /init (test-os/init.sh) mounts the `config-2`
 * drive, and POSTs `userdata_sha256`, `uuid` (from meta_data.json) and
 * `device`, `hostname` and `providerid` (meta-data's `local-hostname` and
 * `providerid`) to the URL on the user data's `#anvil-report-url: <url>` line
 * (indented or not),
 * then powers off. Proves "the host booted from its disk and read its
 * config drive". Cached under $HOME/.cache/anvil by input hash.
 */
import { execFileSync } from "node:child_process";
import path from "node:path";
import { REPO_ROOT } from "./peers.js";

let cached: string | undefined;

/** The path of the cached image; copy it before writing to it. */
export function testOsImage(): string {
  if (cached) return cached;
  const out = execFileSync("bash", [path.join(REPO_ROOT, "scripts/build-test-os-image.sh")], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  }).trim();
  cached = path.join(out.split("\n").pop() ?? "", "disk.img");
  return cached;
}

/** User data that makes the test OS report to `url`. */
export function reportingUserData(url: string, extra = ""): string {
  return `#cloud-config\n#anvil-report-url: ${url}\n${extra}`;
}

export interface TestOsReport {
  readonly userdataSha256: string;
  readonly uuid: string;
  readonly device: string;
  /** meta_data.json's `local-hostname` ("" when absent). */
  readonly hostname: string;
  /** meta_data.json's `providerid` (CAPI machines; "" when absent). */
  readonly providerid: string;
}

export function parseTestOsReport(body: string): TestOsReport {
  const f = new URLSearchParams(body);
  return { userdataSha256: f.get("userdata_sha256") ?? "", uuid: f.get("uuid") ?? "", device: f.get("device") ?? "", hostname: f.get("hostname") ?? "", providerid: f.get("providerid") ?? "" };
}
