/**
 * Anvil's boot service (`anvil pxe serve --config`) on a boot LAN: DHCP in
 * reservation mode, TFTP with Debian's iPXE binaries, HTTP with the test
 * payload as assets, and a hosts file saying "ramdisk" for each machine.
 * Runs as a supervised process inside the LAN's `srv` namespace.
 */
import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { SERVER_IP, type BootLan } from "./boot-lan.js";
import { firstLogLine } from "./log-watch.js";
import type { Supervised } from "./process.js";
import type { TestBootPayload } from "./test-initramfs.js";

export interface AnvilBootHost {
  readonly mac: string;
  /** The reserved address. */
  readonly ip: string;
  /** The per-host agent token Anvil puts on the kernel command line. */
  readonly token: string;
}

export interface AnvilBootOptions {
  readonly hosts: readonly AnvilBootHost[];
  /** Appended to every ramdisk's kernel arguments (console, report URL). */
  readonly kernelArgs: string;
  /** @default 8080 */
  readonly httpPort?: number;
  /**
   * `reservation`: Anvil is the LAN's DHCP server and hands out the hosts'
   * reserved addresses. `proxy`: another server leases addresses and Anvil
   * adds only boot information (ProxyDHCP). @default "reservation"
   */
  readonly dhcpMode?: "reservation" | "proxy";
}

export interface AnvilBoot {
  readonly process: Supervised;
  readonly configFile: string;
  /** Matches the access-log line of the entry-script request from `ip` (from anyone when absent). */
  firstHttpPattern(ip?: string): RegExp;
  /** `Date.now()`-comparable time of a JSON log line (its `ts`). */
  readonly lineTime: (line: string) => number | undefined;
}

export async function startAnvilBoot(net: BootLan, payload: TestBootPayload, o: AnvilBootOptions): Promise<AnvilBoot> {
  const { lab, srv } = net;
  const dir = path.join(lab.dir, "anvil");
  const assets = path.join(dir, "assets");
  mkdirSync(assets, { recursive: true });
  copyFileSync(payload.kernel, path.join(assets, "vmlinuz"));
  copyFileSync(payload.initrd, path.join(assets, "initramfs.gz"));
  writeFileSync(
    path.join(dir, "hosts.yaml"),
    JSON.stringify({
      hosts: o.hosts.map((h, i) => ({
        mac: h.mac,
        name: `vm${i}`,
        reservation: { ip: h.ip },
        boot: { kind: "ramdisk", token: h.token, kernelUrl: "vmlinuz", initrdUrl: "initramfs.gz" },
      })),
    }),
  );
  const configFile = path.join(dir, "pxe.yaml");
  writeFileSync(
    configFile,
    JSON.stringify({
      serverAddress: SERVER_IP,
      hostsFile: "hosts.yaml",
      dhcp:
        o.dhcpMode === "proxy"
          ? { mode: "proxy" }
          : { mode: "reservation", subnets: [{ cidr: "10.77.0.0/24", router: SERVER_IP }], leaseFile: "leases.json" },
      tftp: {},
      http: { port: o.httpPort ?? 8080, assetsDir: "assets" },
      ramdisk: { kernelArgs: o.kernelArgs },
    }),
  );
  const proc = lab.startNode(srv, { name: "anvil-pxe", entry: "cmd/anvil.ts", args: ["pxe", "serve", "--config", configFile] });
  await firstLogLine(proc.logFile, /"event":"ready"/, {
    timeoutMs: 60_000,
    abort: () => (proc.child.exitCode === null ? undefined : `anvil pxe serve exited (${proc.child.exitCode}):\n${proc.tail()}`),
  });
  return {
    process: proc,
    configFile,
    firstHttpPattern: (ip) =>
      new RegExp(`^(?=.*"event":"http")(?=.*"path":"/boot\\.ipxe")(?=.*"remote":"(::ffff:)?${ip === undefined ? '[^"]+' : ip.replaceAll(".", "\\.")}")`),
    lineTime: (line) => {
      // The access log is written when the response ends: its start is `ts` minus the handling time.
      try {
        const e = JSON.parse(line) as { ts?: string; ms?: number };
        return e.ts === undefined ? undefined : Date.parse(e.ts) - (e.ms ?? 0);
      } catch {
        return undefined;
      }
    },
  };
}
