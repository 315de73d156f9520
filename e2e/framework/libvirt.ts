/**
 * A private libvirtd + virtlogd for one test, inside a network namespace of
 * the test's NetnsLab, with every config, socket and state directory under
 * the lab directory (e2e/framework/libvirt-daemons.sh): the machine's own
 * libvirt, if any, is never touched. Clients outside the namespaces (virsh,
 * sushy-tools, virtualbmc) reach the daemon through its Unix socket, named in
 * the URI (`qemu:///system?socket=...`, libvirt's remote driver parameter).
 *
 * Domains are TCG VMs (libvirt-domain-xml.ts) whose NIC taps libvirt creates
 * on a bridge of the same namespace. `stop()` destroys every domain, stops the
 * daemons and removes the directory; the lab's own cleanup kills the
 * daemons' pid namespace (and with it any qemu) when a test skipped `stop()`.
 */
import { execFile } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { domainXml, type DomainSpec } from "./libvirt-domain-xml.js";
import type { NetnsLab } from "./netns.js";
import { REPO_ROOT } from "./peers.js";
import type { Supervised } from "./process.js";
import { ovmfFiles } from "./qemu.js";

export class LibvirtError extends Error {
  constructor(
    readonly code: "LIBVIRT_MISSING" | "LIBVIRT_START_FAILED" | "LIBVIRT_COMMAND_FAILED" | "LIBVIRT_TIMEOUT",
    message: string,
  ) {
    super(message);
    this.name = "LibvirtError";
  }
}

/** What `virsh domstate` prints. */
export type DomainState = "running" | "shut off" | "paused" | "in shutdown" | "crashed" | "pmsuspended" | "idle" | "blocked";

export interface LibvirtStartTimes {
  /** Spawn → libvirtd's socket exists. */
  readonly socketMs: number;
  /** Spawn → the first `virsh version` answers (libvirtd has probed qemu's capabilities). */
  readonly readyMs: number;
}

export interface LibvirtDomain {
  readonly name: string;
  /** SMBIOS system UUID: sushy-tools' Redfish System id. */
  readonly uuid: string;
  readonly mac: string;
  readonly disk: string;
  readonly serialLog: string;
  /** The serial console so far (appended across power cycles). */
  serial(): string;
  state(): Promise<DomainState>;
  /** Resolves with the ms waited once `virsh domstate` says `state`. */
  waitForState(state: DomainState, timeoutMs: number): Promise<number>;
  /** Resolves with the ms waited once the serial console after `fromOffset` matches. */
  waitForSerial(pattern: RegExp, timeoutMs: number, fromOffset?: number): Promise<number>;
  start(): Promise<void>;
  /** Hard power-off (`virsh destroy`); a domain already off is fine. */
  destroy(): Promise<void>;
  /** The live (or inactive) definition, as a BMC emulator rewrote it. */
  xml(): Promise<string>;
}

export type DefineOptions = Omit<DomainSpec, "serialLog" | "uefi" | "uuid"> & { readonly uuid: string };

export interface Libvirt {
  /** `qemu:///system?socket=<dir>/run/libvirt/libvirt-sock`: hand it to sushy-tools, virtualbmc, virsh. */
  readonly uri: string;
  readonly socket: string;
  /** The network namespace libvirtd (and so every domain's tap) lives in. */
  readonly ns: string;
  readonly dir: string;
  readonly times: LibvirtStartTimes;
  readonly process: Supervised;
  /** Runs virsh against this daemon; rejects with its stderr on failure. */
  virsh(args: readonly string[], timeoutMs?: number): Promise<string>;
  /** Defines (does not start) a domain. */
  define(spec: DefineOptions): Promise<LibvirtDomain>;
  domains(): readonly LibvirtDomain[];
  stop(): Promise<void>;
}

const SCRIPT = path.join(REPO_ROOT, "e2e/framework/libvirt-daemons.sh");

// qemu runs as root (TESTPEERS.md: otherwise every define takes ~50 s);
// no security driver (no AppArmor/SELinux here) and no per-domain /dev
// namespace, which needs more of the machine than a test namespace gives.
const QEMU_CONF = ['user = "root"', 'group = "root"', 'security_driver = "none"', "namespaces = []", "remember_owner = 0", ""].join("\n");
const LIBVIRTD_CONF = ['unix_sock_group = "root"', 'unix_sock_rw_perms = "0700"', 'auth_unix_rw = "none"', 'auth_unix_ro = "none"', 'log_outputs = "3:stderr"', ""].join("\n");
const VIRTLOGD_CONF = ['log_outputs = "3:stderr"', ""].join("\n");

function readOr(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return "";
  }
}

function virshIn(uri: string, args: readonly string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile("virsh", ["-q", "-c", uri, ...args], { timeout: timeoutMs, encoding: "utf8" }, (err, stdout, stderr) => {
      if (err) reject(new LibvirtError("LIBVIRT_COMMAND_FAILED", `virsh ${args.join(" ")}: ${stderr.trim() || err.message}`));
      else resolve(stdout);
    });
  });
}

/**
 * Starts the daemons in `ns` (a namespace of `lab`) and waits until libvirtd
 * answers. The first answer takes seconds: libvirtd probes qemu's
 * capabilities into its (private, empty) cache.
 */
export async function startLibvirt(lab: NetnsLab, ns: string, opts: { readonly readyTimeoutMs?: number } = {}): Promise<Libvirt> {
  for (const bin of ["/usr/sbin/libvirtd", "/usr/sbin/virtlogd", "/usr/bin/virsh"]) {
    if (!existsSync(bin)) throw new LibvirtError("LIBVIRT_MISSING", `${bin} not found: run scripts/peers/debian.sh`);
  }
  const dir = path.join(lab.dir, `libvirt-${ns}`);
  for (const sub of ["etc", "run", "lib", "log", "cache", "vms"]) mkdirSync(path.join(dir, sub), { recursive: true });
  writeFileSync(path.join(dir, "etc/qemu.conf"), QEMU_CONF);
  writeFileSync(path.join(dir, "etc/libvirtd.conf"), LIBVIRTD_CONF);
  writeFileSync(path.join(dir, "etc/virtlogd.conf"), VIRTLOGD_CONF);
  const socket = path.join(dir, "run/libvirt/libvirt-sock");
  const uri = `qemu:///system?socket=${socket}`;

  const startedAt = Date.now();
  const proc = lab.start(ns, {
    name: `libvirtd-${ns}`,
    command: "unshare",
    args: ["--mount", "--pid", "--fork", "--mount-proc", "sh", SCRIPT, dir],
  });
  const deadline = startedAt + (opts.readyTimeoutMs ?? 60_000);
  let socketMs: number | undefined;
  let lastError = "";
  for (;;) {
    if (proc.child.exitCode !== null) {
      throw new LibvirtError("LIBVIRT_START_FAILED", `libvirtd's namespace exited (${proc.child.exitCode}):\n${proc.tail()}`);
    }
    if (socketMs === undefined && existsSync(socket)) socketMs = Date.now() - startedAt;
    if (socketMs !== undefined) {
      try {
        await virshIn(uri, ["version"], 30_000);
        break;
      } catch (err) {
        lastError = String(err);
      }
    }
    if (Date.now() > deadline) {
      await proc.stop(2000);
      throw new LibvirtError("LIBVIRT_TIMEOUT", `libvirtd did not answer within ${opts.readyTimeoutMs ?? 60_000} ms: ${lastError}\n${proc.tail()}`);
    }
    await sleep(50);
  }
  const times: LibvirtStartTimes = { socketMs, readyMs: Date.now() - startedAt };

  const virsh = (args: readonly string[], timeoutMs = 60_000): Promise<string> => virshIn(uri, args, timeoutMs);
  const defined: LibvirtDomain[] = [];

  const domainHandle = (spec: DomainSpec & { uuid: string }): LibvirtDomain => {
    const state = async (): Promise<DomainState> => (await virsh(["domstate", spec.name])).trim() as DomainState;
    return {
      name: spec.name,
      uuid: spec.uuid,
      mac: spec.mac,
      disk: spec.disk,
      serialLog: spec.serialLog,
      serial: () => readOr(spec.serialLog),
      state,
      async waitForState(want, timeoutMs) {
        const from = Date.now();
        let last = "";
        while (Date.now() - from < timeoutMs) {
          last = await state();
          if (last === want) return Date.now() - from;
          await sleep(100);
        }
        throw new LibvirtError("LIBVIRT_TIMEOUT", `${spec.name} is "${last}", not "${want}", after ${timeoutMs} ms\n${readOr(spec.serialLog).slice(-2000)}`);
      },
      async waitForSerial(pattern, timeoutMs, fromOffset = 0) {
        const from = Date.now();
        while (Date.now() - from < timeoutMs) {
          if (pattern.test(readOr(spec.serialLog).slice(fromOffset))) return Date.now() - from;
          await sleep(100);
        }
        throw new LibvirtError("LIBVIRT_TIMEOUT", `${spec.name}: no ${pattern} on the serial console within ${timeoutMs} ms\n${readOr(spec.serialLog).slice(-2000)}`);
      },
      start: async () => void (await virsh(["start", spec.name])),
      async destroy() {
        if ((await state()) !== "shut off") await virsh(["destroy", spec.name]).catch(async (err: unknown) => {
          // It may have powered itself off between the two calls.
          if ((await state()) !== "shut off") throw err;
        });
      },
      xml: () => virsh(["dumpxml", spec.name]),
    };
  };

  return {
    uri,
    socket,
    ns,
    dir,
    times,
    process: proc,
    virsh,
    async define(o) {
      const serialLog = path.join(dir, "vms", `${o.name}.serial.log`);
      let uefi: DomainSpec["uefi"];
      if (o.firmware === "uefi") {
        const { code, varsTemplate } = ovmfFiles();
        // OVMF writes its boot variables: each domain gets its own copy.
        const vars = path.join(dir, "vms", `${o.name}.OVMF_VARS.fd`);
        copyFileSync(varsTemplate, vars);
        uefi = { code, vars };
      }
      const spec = { ...o, serialLog, uefi };
      const xmlFile = path.join(dir, "vms", `${o.name}.xml`);
      writeFileSync(xmlFile, domainXml(spec));
      await virsh(["define", xmlFile]);
      const d = domainHandle(spec);
      defined.push(d);
      return d;
    },
    domains: () => [...defined],
    async stop() {
      try {
        if (proc.child.exitCode === null) {
          const names = (await virsh(["list", "--name"]).catch(() => "")).split("\n").filter((n) => n.trim() !== "");
          for (const n of names) await virsh(["destroy", n.trim()]).catch(() => undefined);
        }
      } finally {
        await proc.stop(10_000);
        if (!process.env.ANVIL_KEEP_LAB) rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
