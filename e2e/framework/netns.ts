/**
 * Network namespaces for tests that need real L2 broadcast (DHCP, PXE, qemu).
 *
 * Every link is created directly inside a namespace the lab owns
 * (`ip -n NS link add ... peer ... netns NS2`), so no interface, address or
 * route ever appears on the host. Private addresses live only inside the
 * namespaces. A lab keeps a registry of what it made; `cleanup()` stops its
 * processes and deletes its namespaces (which deletes their links), and is
 * also run synchronously on process exit and by `sweepStaleLabs()` for a run
 * that was SIGKILLed.
 */
import { execFile, execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { REPO_ROOT } from "./peers.js";
import { startProcess, type Supervised } from "./process.js";

/** Linux IFNAMSIZ is 16 including the NUL byte. */
const IFNAME_MAX = 15;
const REGISTRY_DIR = path.join(os.tmpdir(), "anvil-netns");

export class NetnsError extends Error {
  constructor(
    readonly code: "NETNS_COMMAND_FAILED" | "NETNS_BAD_NAME" | "NETNS_UNKNOWN" | "NETNS_CLOSED",
    message: string,
  ) {
    super(message);
    this.name = "NetnsError";
  }
}

export interface ExecResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly code: number;
}

export interface ExecOptions {
  /** @default 30_000 */
  readonly timeoutMs?: number;
  /** When true a non-zero exit resolves instead of throwing. @default false */
  readonly allowFailure?: boolean;
  readonly env?: NodeJS.ProcessEnv;
  readonly input?: string;
}

/** One end of a link: its namespace, interface name and optional address. */
export interface Endpoint {
  readonly ns: string;
  readonly ifname: string;
  /** CIDR such as `10.213.1.1/24`; none leaves the interface unnumbered (a DHCP client's). */
  readonly cidr?: string;
  readonly mac?: string;
}

export interface DropRule {
  /** Drop probability in parts per thousand (5 = 0.5%), via nftables `numgen random` (no sch_netem here). */
  readonly permille: number;
  /** nftables match expression selecting the packets, e.g. `udp sport != 67`. @default "meta l4proto udp" */
  readonly match?: string;
  /** @default "input" */
  readonly hook?: "input" | "output";
}

export interface StartInOptions {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** @default `<lab dir>/<name>.log` */
  readonly logFile?: string;
}

function run(cmd: string, args: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      cmd,
      [...args],
      { timeout: opts.timeoutMs ?? 30_000, env: opts.env ?? process.env, maxBuffer: 64 * 1024 * 1024, encoding: "utf8" },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === "number" ? err.code : -1) : 0;
        if (code !== 0 && !opts.allowFailure) {
          reject(new NetnsError("NETNS_COMMAND_FAILED", `${cmd} ${args.join(" ")} exited ${code}: ${stderr.trim()}`));
          return;
        }
        resolve({ stdout, stderr, code });
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

function checkIfname(name: string): void {
  if (name.length === 0 || name.length > IFNAME_MAX || !/^[A-Za-z0-9_.-]+$/.test(name)) {
    throw new NetnsError("NETNS_BAD_NAME", `interface name ${JSON.stringify(name)} must be 1-${IFNAME_MAX} of [A-Za-z0-9_.-]`);
  }
}

interface RegistryFile {
  readonly pid: number;
  readonly namespaces: string[];
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Deletes namespaces left by labs whose process died without cleaning up. Returns what it deleted. */
export function sweepStaleLabs(): string[] {
  const deleted: string[] = [];
  let files: string[];
  try {
    files = readdirSync(REGISTRY_DIR);
  } catch {
    return deleted;
  }
  for (const f of files) {
    const file = path.join(REGISTRY_DIR, f);
    let reg: RegistryFile;
    try {
      reg = JSON.parse(readFileSync(file, "utf8")) as RegistryFile;
    } catch {
      continue;
    }
    if (pidAlive(reg.pid)) continue;
    for (const ns of reg.namespaces) {
      try {
        execFileSync("ip", ["netns", "del", ns], { stdio: "ignore" });
        deleted.push(ns);
      } catch {
        /* already gone */
      }
    }
    rmSync(file, { force: true });
  }
  return deleted;
}

/**
 * A set of namespaces and processes owned by one test file. Names are
 * `anv<id><short>` with a random 4-hex id per lab, so parallel runs never
 * collide and a leftover is recognisable.
 */
export class NetnsLab {
  readonly id = randomBytes(2).toString("hex");
  /** Scratch directory for logs, configs and lease files; removed by a clean `cleanup()` unless ANVIL_KEEP_LAB is set. */
  readonly dir: string;
  private readonly namespaces = new Set<string>();
  private readonly processes: Supervised[] = [];
  private closed = false;
  private readonly onExit = (): void => this.cleanupSync();

  constructor() {
    this.dir = path.join(os.tmpdir(), `anvil-lab-${this.id}`);
    mkdirSync(this.dir, { recursive: true });
    process.once("exit", this.onExit);
  }

  private persist(): void {
    mkdirSync(REGISTRY_DIR, { recursive: true });
    const reg: RegistryFile = { pid: process.pid, namespaces: [...this.namespaces] };
    writeFileSync(path.join(REGISTRY_DIR, `${this.id}.json`), JSON.stringify(reg));
  }

  private open(): void {
    if (this.closed) throw new NetnsError("NETNS_CLOSED", `lab ${this.id} was cleaned up`);
  }

  private owned(ns: string): void {
    if (!this.namespaces.has(ns)) throw new NetnsError("NETNS_UNKNOWN", `namespace ${ns} is not part of lab ${this.id}`);
  }

  /** Creates a namespace with loopback up and returns its full name. */
  async namespace(short: string): Promise<string> {
    this.open();
    if (!/^[a-z0-9]{1,8}$/.test(short)) throw new NetnsError("NETNS_BAD_NAME", `short name ${short} must be 1-8 of [a-z0-9]`);
    const ns = `anv${this.id}${short}`;
    this.namespaces.add(ns);
    this.persist();
    await run("ip", ["netns", "add", ns]);
    await run("ip", ["-n", ns, "link", "set", "lo", "up"]);
    return ns;
  }

  /** Runs `ip` inside `ns` (`ip -n ns ...`). */
  ip(ns: string, args: readonly string[]): Promise<ExecResult> {
    this.owned(ns);
    return run("ip", ["-n", ns, ...args]);
  }

  /** A veth pair between two lab namespaces (or inside one), both ends up and addressed when asked. */
  async veth(a: Endpoint, b: Endpoint): Promise<void> {
    this.open();
    this.owned(a.ns);
    this.owned(b.ns);
    checkIfname(a.ifname);
    checkIfname(b.ifname);
    const end = (e: Endpoint): string[] => ["name", e.ifname, ...(e.mac ? ["address", e.mac] : [])];
    await run("ip", ["-n", a.ns, "link", "add", ...end(a), "type", "veth", "peer", ...end(b), "netns", b.ns]);
    await this.up(a);
    await this.up(b);
  }

  private async up(e: Endpoint): Promise<void> {
    if (e.cidr) await run("ip", ["-n", e.ns, "addr", "add", e.cidr, "dev", e.ifname]);
    await run("ip", ["-n", e.ns, "link", "set", e.ifname, "up"]);
  }

  /**
   * A bridge `name` in namespace `ns` with one veth per member: the member end
   * lives in the member's namespace, the bridge port `<name>p<i>` in `ns`.
   * Gives several hosts one broadcast domain (a provisioning LAN).
   */
  async bridge(ns: string, name: string, members: readonly Endpoint[], bridgeCidr?: string): Promise<void> {
    this.open();
    this.owned(ns);
    checkIfname(name);
    await run("ip", ["-n", ns, "link", "add", "name", name, "type", "bridge"]);
    // A fresh bridge forwards only after STP's forward delay unless told otherwise (IEEE 802.1D).
    await run("ip", ["-n", ns, "link", "set", name, "type", "bridge", "forward_delay", "0", "stp_state", "0"]);
    await this.up({ ns, ifname: name, cidr: bridgeCidr });
    for (const [i, m] of members.entries()) {
      const port = `${name}p${i}`;
      await this.veth({ ns, ifname: port }, m);
      await run("ip", ["-n", ns, "link", "set", port, "master", name]);
    }
  }

  /** A tap device in `ns` for qemu's `-netdev tap,ifname=...,script=no`, optionally enslaved to a bridge there. */
  async tap(ns: string, ifname: string, bridge?: string): Promise<void> {
    this.open();
    this.owned(ns);
    checkIfname(ifname);
    await run("ip", ["-n", ns, "tuntap", "add", "dev", ifname, "mode", "tap"]);
    if (bridge) await run("ip", ["-n", ns, "link", "set", ifname, "master", bridge]);
    await run("ip", ["-n", ns, "link", "set", ifname, "up"]);
  }

  /** Runs a command to completion inside `ns`. */
  exec(ns: string, command: string, args: readonly string[], opts?: ExecOptions): Promise<ExecResult> {
    this.open();
    this.owned(ns);
    return run("ip", ["netns", "exec", ns, command, ...args], opts);
  }

  /**
   * Starts a supervised long-running process inside `ns`. `ip netns exec`
   * execs the command in place, so the supervised pid is the command's own
   * and `stop()` reaches it. `cleanup()` stops it if the test did not.
   */
  start(ns: string, opts: StartInOptions): Supervised {
    this.open();
    this.owned(ns);
    const p = startProcess({
      name: opts.name,
      command: "ip",
      args: ["netns", "exec", ns, opts.command, ...opts.args],
      logFile: opts.logFile ?? path.join(this.dir, `${opts.name}.log`),
      cwd: opts.cwd,
      env: opts.env,
    });
    this.processes.push(p);
    return p;
  }

  /** Runs a TypeScript entry point of this repo with tsx inside `ns` (e.g. `pxe/dhcp/serve-entry.ts`). */
  startNode(ns: string, opts: { name: string; entry: string; args: readonly string[]; env?: NodeJS.ProcessEnv; logFile?: string }): Supervised {
    return this.start(ns, {
      name: opts.name,
      command: process.execPath,
      args: ["--import", "tsx", path.resolve(REPO_ROOT, opts.entry), ...opts.args],
      cwd: REPO_ROOT,
      env: opts.env,
      logFile: opts.logFile,
    });
  }

  /**
   * Random packet loss inside `ns`: an nftables `inet` table whose chain drops
   * `permille`/1000 of the matching packets. Replaces any earlier rule of this
   * helper in `ns`; `permille: 0` removes it.
   */
  async dropPackets(ns: string, rule: DropRule): Promise<void> {
    this.open();
    this.owned(ns);
    if (!Number.isInteger(rule.permille) || rule.permille < 0 || rule.permille > 1000) {
      throw new NetnsError("NETNS_BAD_NAME", `permille must be an integer 0-1000, got ${rule.permille}`);
    }
    await run("ip", ["netns", "exec", ns, "nft", "delete", "table", "inet", "anvloss"], { allowFailure: true });
    if (rule.permille === 0) return;
    const hook = rule.hook ?? "input";
    const match = rule.match ?? "meta l4proto udp";
    const script = [
      "table inet anvloss {",
      `  chain c { type filter hook ${hook} priority 0; policy accept;`,
      `    ${match} numgen random mod 1000 < ${rule.permille} counter drop`,
      "  }",
      "}",
    ].join("\n");
    await run("ip", ["netns", "exec", ns, "nft", "-f", "-"], { input: script });
  }

  /** Packets the drop rule in `ns` has dropped so far. */
  async droppedPackets(ns: string): Promise<number> {
    const out = await this.exec(ns, "nft", ["list", "table", "inet", "anvloss"], { allowFailure: true });
    const m = /counter packets (\d+)/.exec(out.stdout);
    return m?.[1] ? Number(m[1]) : 0;
  }

  /** Stops every process, then deletes every namespace (and with them their links). Idempotent. */
  async cleanup(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const errors: string[] = [];
    await Promise.all(this.processes.map((p) => p.stop(2000).catch((e: unknown) => void errors.push(String(e)))));
    for (const ns of this.namespaces) {
      const r = await run("ip", ["netns", "del", ns], { allowFailure: true });
      if (r.code !== 0 && !/No such file/.test(r.stderr)) errors.push(r.stderr.trim());
    }
    this.namespaces.clear();
    this.finish();
    if (errors.length === 0 && !process.env.ANVIL_KEEP_LAB) rmSync(this.dir, { recursive: true, force: true });
    if (errors.length > 0) throw new NetnsError("NETNS_COMMAND_FAILED", `cleanup of lab ${this.id}: ${errors.join("; ")}`);
  }

  /** The last resort on process exit: synchronous, best effort. */
  private cleanupSync(): void {
    if (this.closed) return;
    this.closed = true;
    for (const p of this.processes) {
      if (p.child.pid !== undefined && p.child.exitCode === null) {
        try {
          process.kill(-p.child.pid, "SIGKILL");
        } catch {
          /* gone */
        }
      }
    }
    for (const ns of this.namespaces) {
      try {
        execFileSync("ip", ["netns", "del", ns], { stdio: "ignore" });
      } catch {
        /* gone */
      }
    }
    this.finish();
  }

  private finish(): void {
    process.removeListener("exit", this.onExit);
    rmSync(path.join(REGISTRY_DIR, `${this.id}.json`), { force: true });
  }

  /** The namespaces this lab still owns. */
  list(): readonly string[] {
    return [...this.namespaces];
  }
}

/** Whether a namespace of that name exists on the machine right now. */
export async function namespaceExists(ns: string): Promise<boolean> {
  const out = await run("ip", ["netns", "list"]);
  return out.stdout.split("\n").some((l) => l.split(" ")[0] === ns);
}
