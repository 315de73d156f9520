/**
 * pyghmi's BMC class as a second, independent IPMI v2.0 peer on
 * 127.0.0.1:<free port> (e2e/framework/pyghmi_bmc.py), extended to negotiate
 * cipher suite 17 as well as 3. Power, boot flags and a call log live in
 * files of a fresh state directory.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import dgram from "node:dgram";
import os from "node:os";
import path from "node:path";
import type { IpmiPeer, IpmiPeerOptions } from "./ipmi-sim.js";
import { pythonVenv, REPO_ROOT } from "./peers.js";
import { freeUdpPort } from "./ports.js";
import { startProcess, waitFor, type Supervised } from "./process.js";

export interface PyghmiBmc extends Pick<IpmiPeer, "host" | "port" | "username" | "password" | "stateDir" | "power" | "setPower"> {
  readonly process: Supervised;
  /** Boot flags data 1–5 as last written (§28.13 parameter 5), hex. */
  bootFlags(): Promise<string>;
  /** Lines the BMC logged: "open session suite 17", "power on", "set boot option 5 8004000000"... */
  calls(): Promise<string[]>;
  stop(): Promise<void>;
}

/** Get Channel Authentication Capabilities in a v1.5 packet (IPMI v2.0 §13.6, §22.13), hand-built. */
const AUTH_CAPS = Buffer.from([
  0x06, 0x00, 0xff, 0x07, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0x09, 0x20, 0x18, 0xc8, 0x81, 0x04, 0x38, 0x8e, 0x04, 0xb9,
]);

export function answers(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = dgram.createSocket("udp4");
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      sock.close();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), 300);
    sock.on("message", () => done(true));
    sock.on("error", () => done(false));
    sock.send(AUTH_CAPS, port, host);
  });
}

export async function startPyghmiBmc(o: IpmiPeerOptions): Promise<PyghmiBmc> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "anvil-pyghmi-"));
  const stateDir = path.join(dir, "state");
  await mkdir(stateDir);
  await writeFile(path.join(stateDir, "power"), "0\n");
  const port = await freeUdpPort();
  const credentials = path.join(dir, "credentials.json");
  await writeFile(credentials, JSON.stringify({ username: o.username, password: o.password }), { mode: 0o600 });
  const proc = startProcess({
    name: "pyghmi-bmc",
    command: path.join(pythonVenv(), "bin/python"),
    args: ["-u", path.join(REPO_ROOT, "e2e/framework/pyghmi_bmc.py"), String(port), stateDir, credentials],
    logFile: path.join(dir, "pyghmi.log"),
  });
  try {
    await waitFor("pyghmi BMC to answer Get Channel Authentication Capabilities", () => answers("127.0.0.1", port), {
      timeoutMs: 20_000,
      process: proc,
    });
  } catch (err) {
    await proc.stop();
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  const read = (name: string, fallback: string): Promise<string> =>
    readFile(path.join(stateDir, name), "utf8").then((s) => s.trim(), () => fallback);
  return {
    host: "127.0.0.1",
    port,
    username: o.username,
    password: o.password,
    stateDir,
    process: proc,
    async power() {
      return (await read("power", "0")) === "1" ? "on" : "off";
    },
    async setPower(on) {
      await writeFile(path.join(stateDir, "power"), on ? "1\n" : "0\n");
    },
    bootFlags: () => read("bootflags", "0000000000"),
    async calls() {
      return (await read("calls.log", "")).split("\n").filter((l) => l !== "");
    },
    async stop() {
      try {
        await proc.stop();
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
}
