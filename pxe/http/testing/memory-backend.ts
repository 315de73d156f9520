/** An in-memory boot backend for tests: a fixed list of records, looked up by MAC or token. */
import type { BootBackend, BootRecord } from "../../boot-backend.js";

export function memoryBackend(records: readonly BootRecord[]): BootBackend {
  return {
    byMac: (mac) => Promise.resolve(records.find((r) => r.mac === mac)),
    byToken: (token) => Promise.resolve(records.find((r) => r.action.kind === "ramdisk" && r.action.token === token)),
  };
}

export const HOSTS: readonly BootRecord[] = [
  {
    mac: "52:54:00:00:00:01",
    hostName: "default/deploy-me",
    action: { kind: "ramdisk", token: "tok-one-AAAA", kernelUrl: "http://10.0.0.1:8080/assets/vmlinuz", initrdUrl: "http://10.0.0.1:8080/assets/initrd.img", kernelArgs: "console=ttyS0" },
  },
  { mac: "52:54:00:00:00:02", hostName: "default/disk", action: { kind: "local-disk" } },
  { mac: "52:54:00:00:00:03", hostName: "default/idle", action: { kind: "none" } },
  {
    mac: "52:54:00:00:00:04",
    hostName: "default/other",
    action: { kind: "ramdisk", token: "tok-two-BBBB", kernelUrl: "http://10.0.0.1:8080/assets/vmlinuz", initrdUrl: "http://10.0.0.1:8080/assets/initrd.img" },
  },
];
