/**
 * `anvil bmc` with an `ipmi://` address, run as a process against OpenIPMI's
 * ipmi_sim: the same command reaches the IPMI driver, results are read back
 * from the simulator's chassis state, and exit codes match the Redfish ones.
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startIpmiSim, type IpmiPeer } from "../e2e/framework/ipmi-sim.js";
import { REPO_ROOT } from "../e2e/framework/peers.js";
import { ExitCode } from "./bmc-command.js";

const PASSWORD = "ipmiCliPw9";
let peer: IpmiPeer;
let dir: string;

function anvil(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(process.execPath, ["--import", "tsx", path.join(REPO_ROOT, "cmd/anvil.ts"), ...args], { cwd: REPO_ROOT, timeout: 90_000 }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === "number" ? err.code : -1, stdout, stderr });
    });
  }).then((r) => {
    expect(`${r.stdout}${r.stderr}`).not.toContain(PASSWORD);
    return r;
  });
}

function args(action: string, extra: readonly string[] = [], passwordFile = path.join(dir, "pw")): string[] {
  return ["bmc", action, "--address", `ipmi://${peer.host}:${peer.port}`, "--username", peer.username, "--password-file", passwordFile, ...extra];
}

beforeAll(async () => {
  peer = await startIpmiSim({ username: "admin", password: PASSWORD });
  dir = await mkdtemp(path.join(os.tmpdir(), "anvil-cli-ipmi-"));
  await writeFile(path.join(dir, "pw"), `${PASSWORD}\n`, { mode: 0o600 });
  await writeFile(path.join(dir, "wrong"), "notThePassword\n", { mode: 0o600 });
});

afterAll(async () => {
  try {
    await peer?.stop();
  } finally {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  }
});

describe("anvil bmc against ipmi_sim", () => {
  it("powers the host on and the simulator's chassis holds it", async () => {
    await peer.setPower(false);
    const r = await anvil(args("power-on", ["--json"]));
    expect(r.code).toBe(ExitCode.Ok);
    expect(JSON.parse(r.stdout)).toMatchObject({ power: "on" });
    expect(await peer.power()).toBe("on");
  });

  it("reads the power state the simulator holds", async () => {
    await peer.setPower(false);
    const r = await anvil(args("power-status"));
    expect(r.code).toBe(ExitCode.Ok);
    expect(r.stdout.trim()).toBe("off");
  });

  it("sets PXE as the next boot device and the simulator receives it", async () => {
    const r = await anvil(args("boot-device", ["--device", "pxe", "--json"]));
    expect(r.code).toBe(ExitCode.Ok);
    expect(JSON.parse(r.stdout)).toMatchObject({ boot: { device: "pxe" } });
    expect(await peer.bootDevice()).toBe("pxe");
  });

  it("exits with the AuthFailed code on a wrong password", async () => {
    const r = await anvil(args("power-status", [], path.join(dir, "wrong")));
    expect(r.code).toBe(ExitCode.AuthFailed);
  });
});
