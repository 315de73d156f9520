/**
 * A plausible Metal3 HardwareDetails for a simulated server, derived from its
 * MAC so every host differs and the same host always reports the same thing
 * (a re-inspection after a restart must not look like new hardware).
 * Field shapes follow docs/agent-protocol.md § POST /inventory.
 */
import { createHash } from "node:crypto";
import type { HardwareDetails } from "../../api/index.js";

export function simulatedHardware(mac: string, ip: string): HardwareDetails {
  const h = createHash("sha256").update(mac).digest();
  const byte = (i: number): number => h[i % h.length] ?? 0;
  const cpus = [4, 8, 16, 32][byte(0) % 4]!;
  const ramGiB = [16, 32, 64, 128][byte(1) % 4]!;
  const diskGiB = [240, 480, 960, 1920][byte(2) % 4]!;
  const serial = `SIM${h.subarray(3, 9).toString("hex").toUpperCase()}`;
  const wwn = `0x5000c500${h.subarray(9, 13).toString("hex")}`;
  return {
    systemVendor: { manufacturer: "Anvil Simulated", productName: "SIM-1U", serialNumber: serial },
    firmware: { bios: { vendor: "Anvil", version: "1.0.0", date: "01/01/2026" } },
    ramMebibytes: ramGiB * 1024,
    nics: [{ name: "eth0", model: "0x8086 0x1572", mac, ip, speedGbps: 10, pxe: true, pciAddress: "0000:01:00.0" }],
    storage: [
      {
        name: "/dev/sda",
        rotational: false,
        type: "SSD",
        sizeBytes: diskGiB * 2 ** 30,
        model: "SIM SSD",
        vendor: "ANVIL",
        serialNumber: `${serial}-D0`,
        wwn,
        wwnWithExtension: wwn,
        wwnVendorExtension: "",
        hctl: "0:0:0:0",
      },
    ],
    cpu: { arch: "x86_64", model: "Simulated CPU @ 2.40GHz", clockMegahertz: 2400, flags: ["fpu", "sse2", "avx2", "vmx"], count: cpus },
    hostname: "",
  };
}
