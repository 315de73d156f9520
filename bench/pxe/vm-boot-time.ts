/**
 * VM network-boot time, Anvil against its anchor (dnsmasq + busybox httpd) in
 * one run, on identical labs: qemu (TCG) VMs boot the test payload over the
 * network and report back. Prints, per firmware and server, the median and
 * worst time from VM start to the first HTTP request and to the report, and
 * Anvil/anchor ratios (below 1 = Anvil faster).
 *
 *   npx tsx bench/pxe/vm-boot-time.ts [--runs N] [--firmware bios,uefi] [--no-ra]
 *
 * bios: e1000 with qemu's iPXE ROM (DHCP → HTTP script). uefi: virtio-net with
 * no option ROM, so OVMF's own PXE client fetches ipxe.efi over TFTP first.
 * `--no-ra` leaves out the IPv6 router: iPXE then waits ~13 s for one.
 */
import { randomBytes } from "node:crypto";
import { parseArgs } from "node:util";
import { startAnchorBoot } from "./anchor-boot.js";
import { bootLan, SERVER_IFACE, SERVER_IP, type BootLan } from "../../e2e/framework/boot-lan.js";
import { startRouterAdvertiser } from "../../e2e/framework/dnsmasq.js";
import { startHttpRecorder, type HttpRecorder } from "../../e2e/framework/http-recorder.js";
import { NetnsLab } from "../../e2e/framework/netns.js";
import type { Firmware, NicModel } from "../../e2e/framework/qemu.js";
import { testBootPayload, type TestBootPayload } from "../../e2e/framework/test-initramfs.js";
import { timedBoot, type TimedBoot, type TimedBootOptions } from "../../e2e/framework/timed-boot.js";
import { startAnvilBoot } from "../../e2e/framework/anvil-boot.js";

const REPORT_PORT = 8081;
const HTTP_PORT = 8080;

interface Machine {
  readonly firmware: Firmware;
  readonly nic: NicModel;
  readonly nicRom: "qemu" | "none";
  readonly mac: string;
  readonly ip: string;
}

const MACHINES: Record<Firmware, Machine> = {
  bios: { firmware: "bios", nic: "e1000", nicRom: "qemu", mac: "52:54:00:77:10:01", ip: "10.77.0.21" },
  uefi: { firmware: "uefi", nic: "virtio-net-pci", nicRom: "none", mac: "52:54:00:77:10:02", ip: "10.77.0.22" },
};

interface Side {
  readonly name: "anvil" | "anchor";
  /** Starts the side's boot servers on `net`; returns the log and pattern marking a machine's first HTTP request. */
  start(net: BootLan, payload: TestBootPayload, kernelArgs: string): Promise<(m: Machine) => TimedBootOptions["firstHttp"]>;
}

const SIDES: readonly Side[] = [
  {
    name: "anvil",
    async start(net, payload, kernelArgs) {
      const anvil = await startAnvilBoot(net, payload, {
        hosts: Object.values(MACHINES).map((m) => ({ mac: m.mac, ip: m.ip, token: randomBytes(16).toString("hex") })),
        kernelArgs,
        httpPort: HTTP_PORT,
      });
      return (m) => ({ file: anvil.process.logFile, pattern: anvil.firstHttpPattern(m.ip), lineTime: anvil.lineTime });
    },
  },
  {
    name: "anchor",
    async start(net, payload, kernelArgs) {
      const anchor = await startAnchorBoot(net, payload, Object.values(MACHINES), kernelArgs, HTTP_PORT);
      return (m) => ({ file: anchor.httpLog, pattern: new RegExp(`^${m.ip.replaceAll(".", "\\.")}:\\d+: url:/boot\\.ipxe`) });
    },
  },
];

function quantile(xs: readonly number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))] ?? Number.NaN;
}

interface Prepared {
  readonly side: Side;
  readonly lab: NetnsLab;
  readonly net: BootLan;
  readonly recorder: HttpRecorder;
  readonly firstHttpOf: (m: Machine) => TimedBootOptions["firstHttp"];
  readonly taps: Map<Firmware, string>;
}

/** Each side gets its own lab (same addresses, separate namespaces), all prepared before any VM runs. */
async function prepare(side: Side, firmwares: readonly Firmware[], ra: boolean): Promise<Prepared> {
  const lab = new NetnsLab();
  try {
    const net = await bootLan(lab);
    if (ra) await startRouterAdvertiser(lab, net.srv, SERVER_IFACE);
    const recorder = await startHttpRecorder(lab, net.srv, SERVER_IP, REPORT_PORT);
    const kernelArgs = `console=ttyS0 quiet anvil.report=${recorder.url("/report")}`;
    const firstHttpOf = await side.start(net, testBootPayload(), kernelArgs);
    const taps = new Map<Firmware, string>();
    for (const fw of firmwares) taps.set(fw, await net.addTap(`tap${fw}`));
    return { side, lab, net, recorder, firstHttpOf, taps };
  } catch (err) {
    await lab.cleanup();
    throw err;
  }
}

async function bootOnce(p: Prepared, fw: Firmware, run: number): Promise<TimedBoot> {
  const m = MACHINES[fw];
  const r = await timedBoot({
    net: p.net,
    tap: p.taps.get(fw)!,
    recorder: p.recorder,
    vm: { name: `${p.side.name}-${fw}-${run}`, firmware: fw, nic: m.nic, nicRom: m.nicRom, mac: m.mac },
    firstHttp: p.firstHttpOf(m),
  });
  if (r.report.result !== "ok" || r.reportFrom !== m.ip) throw new Error(`${p.side.name} ${fw}: bad report ${JSON.stringify(r.report)}`);
  process.stderr.write(`${p.side.name} ${fw} run ${run + 1}: first HTTP ${r.firstHttpMs} ms, report ${r.reportMs} ms\n`);
  return r;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { runs: { type: "string", default: "3" }, firmware: { type: "string", default: "bios,uefi" }, "no-ra": { type: "boolean", default: false } },
  });
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1 || runs > 20) throw new Error("--runs must be 1..20");
  const firmwares = values.firmware.split(",").filter((f): f is Firmware => f === "bios" || f === "uefi");
  const results = new Map<string, Map<Firmware, TimedBoot[]>>(SIDES.map((s) => [s.name, new Map(firmwares.map((f) => [f, []]))]));
  const prepared: Prepared[] = [];
  try {
    for (const side of SIDES) prepared.push(await prepare(side, firmwares, !values["no-ra"]));
    // Interleaved, one VM at a time: a load change on the shared cores hits both sides alike.
    for (let run = 0; run < runs; run++) {
      for (const fw of firmwares) {
        for (const p of prepared) results.get(p.side.name)?.get(fw)?.push(await bootOnce(p, fw, run));
      }
    }
  } finally {
    for (const p of prepared) await p.lab.cleanup();
  }

  console.log(`VM network boot, ${runs} run(s) each, qemu TCG, router advertisement ${values["no-ra"] ? "off" : "on"}`);
  console.log("firmware  server  first-HTTP p50/max (ms)  report p50/max (ms)");
  for (const fw of firmwares) {
    for (const side of SIDES) {
      const rs = results.get(side.name)?.get(fw) ?? [];
      const h = rs.map((r) => r.firstHttpMs);
      const p = rs.map((r) => r.reportMs);
      console.log(`${fw.padEnd(9)} ${side.name.padEnd(7)} ${`${quantile(h, 0.5)} / ${quantile(h, 1)}`.padEnd(24)} ${quantile(p, 0.5)} / ${quantile(p, 1)}`);
    }
    const a = results.get("anvil")?.get(fw) ?? [];
    const b = results.get("anchor")?.get(fw) ?? [];
    const ratio = (f: (r: TimedBoot) => number): string =>
      (quantile(a.map(f), 0.5) / quantile(b.map(f), 0.5)).toFixed(2);
    console.log(`${fw.padEnd(9)} ratio anvil/anchor (p50): first HTTP ${ratio((r) => r.firstHttpMs)}, report ${ratio((r) => r.reportMs)}`);
  }
}

await main();
