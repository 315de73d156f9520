/**
 * OpenIPMI's `ipmi_sim` as a real IPMI v2.0 BMC on 127.0.0.1:<free port>
 * (TESTPEERS.md "IPMI"): one LAN channel, one admin user, and a
 * chassis_control script keeping power and boot device in files of a fresh
 * state directory, so tests read the machine apart from any IPMI client.
 * `ipmitool()` runs Debian's ipmitool against it for cross-checks.
 */
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import dgram from "node:dgram";
import os from "node:os";
import path from "node:path";
import { REPO_ROOT } from "./peers.js";
import { freeUdpPort } from "./ports.js";
import { startProcess, waitFor, type Supervised } from "./process.js";

export interface IpmiPeerOptions {
  readonly username: string;
  readonly password: string;
}

export interface IpmiPeer {
  readonly host: string;
  readonly port: number;
  readonly username: string;
  readonly password: string;
  /** Files `power` (0/1), `boot` (pxe/default/cdrom/bios/none), `calls.log`, `resets`. */
  readonly stateDir: string;
  readonly process: Supervised;
  /** The machine's power as the chassis script holds it. */
  power(): Promise<"on" | "off">;
  /** The boot device name ipmi_sim handed the chassis script. */
  bootDevice(): Promise<string>;
  setPower(on: boolean): Promise<void>;
  /** Creates or removes a knob file (`boot-locked`, `ignore-acpi`) read by the chassis script. */
  knob(name: "boot-locked" | "ignore-acpi", on: boolean): Promise<void>;
  /** Kills and restarts the simulator on the same port and state: every session is lost. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

const CHASSIS_SCRIPT = path.join(REPO_ROOT, "e2e/framework/ipmi-sim-chassis.sh");

function lanConf(port: number, stateDir: string, o: IpmiPeerOptions): string {
  const quote = (s: string): string => `"${s.replace(/["\\]/g, "")}"`;
  return [
    'name "anvil-test"',
    "set_working_mc 0x20",
    "  startlan 1",
    `    addr 127.0.0.1 ${port}`,
    "    priv_limit admin",
    "    allowed_auths_callback none md2 md5 straight",
    "    allowed_auths_user none md2 md5 straight",
    "    allowed_auths_operator none md2 md5 straight",
    "    allowed_auths_admin none md2 md5 straight",
    "    guid a123456789abcdefa123456789abcdef",
    "  endlan",
    `  chassis_control "${CHASSIS_SCRIPT} ${stateDir}"`,
    `  user 2 true ${quote(o.username)} ${quote(o.password)} admin 10 none md2 md5 straight`,
    `  user 3 true "operator" "operpass" operator 10 none md2 md5 straight`,
    `  user 4 true "viewer" "viewpass" user 10 none md2 md5 straight`,
    "",
  ].join("\n");
}

const EMULATOR = ["mc_setbmc 0x20", "mc_add 0x20 0 no-device-sdrs 0x23 9 8 0x9f 0x1291 0xf02", "mc_enable 0x20", ""].join("\n");

/** ASF Presence Ping (IPMI v2.0 §13.2.3), hand-built so readiness never depends on the driver under test. */
const ASF_PING = Buffer.from([0x06, 0x00, 0xff, 0x06, 0x00, 0x00, 0x11, 0xbe, 0x80, 0x01, 0x00, 0x00]);

export function asfPing(host: string, port: number, timeoutMs = 300): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = dgram.createSocket("udp4");
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      sock.close();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    sock.on("message", (m) => done(m.length >= 12 && m[3] === 0x06 && m[8] === 0x40));
    sock.on("error", () => done(false));
    sock.send(ASF_PING, port, host);
  });
}

export async function startIpmiSim(o: IpmiPeerOptions): Promise<IpmiPeer> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "anvil-ipmi-sim-"));
  const stateDir = path.join(dir, "state");
  const simDir = path.join(dir, "sim");
  await mkdir(stateDir);
  await mkdir(simDir);
  await writeFile(path.join(stateDir, "power"), "0\n");
  const port = await freeUdpPort();
  await writeFile(path.join(dir, "lan.conf"), lanConf(port, stateDir, o), { mode: 0o600 });
  await writeFile(path.join(dir, "bmc.emu"), EMULATOR);

  const launch = async (): Promise<Supervised> => {
    const proc = startProcess({
      name: "ipmi_sim",
      command: "ipmi_sim",
      args: ["-c", path.join(dir, "lan.conf"), "-f", path.join(dir, "bmc.emu"), "-s", simDir, "-n"],
      logFile: path.join(dir, "ipmi_sim.log"),
    });
    try {
      await waitFor("ipmi_sim to answer an ASF presence ping", () => asfPing("127.0.0.1", port), {
        timeoutMs: 15_000,
        process: proc,
      });
    } catch (err) {
      await proc.stop();
      throw err;
    }
    return proc;
  };

  let proc = await launch();
  const peer: IpmiPeer = {
    host: "127.0.0.1",
    port,
    username: o.username,
    password: o.password,
    stateDir,
    get process() {
      return proc;
    },
    async power() {
      return (await readFile(path.join(stateDir, "power"), "utf8")).trim() === "1" ? "on" : "off";
    },
    async bootDevice() {
      return (await readFile(path.join(stateDir, "boot"), "utf8").catch(() => "default")).trim();
    },
    async setPower(on) {
      await writeFile(path.join(stateDir, "power"), on ? "1\n" : "0\n");
    },
    async knob(name, on) {
      const file = path.join(stateDir, name);
      if (on) await writeFile(file, "");
      else await rm(file, { force: true });
    },
    async restart() {
      await proc.stop();
      proc = await launch();
    },
    async stop() {
      try {
        await proc.stop();
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
  return peer;
}

export interface IpmitoolResult {
  readonly stdout: string;
  readonly code: number;
}

/**
 * Debian's ipmitool against a peer: `-I lanplus -C <suite>`. The password goes
 * through the environment (`-E`), never onto a command line.
 */
export function ipmitool(
  peer: Pick<IpmiPeer, "host" | "port" | "username" | "password">,
  args: readonly string[],
  opts: { cipherSuite?: number; timeoutMs?: number } = {},
): Promise<IpmitoolResult> {
  const base = ["-I", "lanplus", "-C", String(opts.cipherSuite ?? 3), "-H", peer.host, "-p", String(peer.port), "-U", peer.username, "-E"];
  return new Promise((resolve, reject) => {
    execFile(
      "ipmitool",
      [...base, ...args],
      { env: { ...process.env, IPMI_PASSWORD: peer.password }, timeout: opts.timeoutMs ?? 30_000 },
      (err, stdout, stderr) => {
        if (err && typeof err.code !== "number") return reject(new Error(`ipmitool ${args.join(" ")}: ${stderr}`));
        resolve({ stdout: stdout + stderr, code: typeof err?.code === "number" ? err.code : 0 });
      },
    );
  });
}
