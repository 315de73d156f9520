/**
 * The IPMI driver against a real BMC, OpenIPMI's ipmi_sim (cipher suite 3),
 * every result cross-checked with Debian's ipmitool and with the chassis
 * state the simulator handed its chassis_control script.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ipmitool, startIpmiSim, type IpmiPeer } from "../../e2e/framework/ipmi-sim.js";
import { BmcErrorCode } from "../errors.js";
import type { BootDevice, BootMode, PowerAction } from "../types.js";
import { ChassisControl, createIpmiClient, presencePing, type IpmiClient, type IpmiClientOptions } from "./index.js";

let sim: IpmiPeer;
const clients: IpmiClient[] = [];

function client(over: Partial<IpmiClientOptions> & { privilegeLevel?: string } = {}): IpmiClient {
  const c = createIpmiClient(
    { host: sim.host, port: sim.port, ...(over.privilegeLevel ? { privilegeLevel: over.privilegeLevel } : {}) },
    { credentials: { username: sim.username, password: sim.password }, timeoutMs: 10_000, ...over },
  );
  clients.push(c);
  return c;
}

const calls = async (): Promise<string[]> =>
  (await readFile(path.join(sim.stateDir, "calls.log"), "utf8").catch(() => "")).trim().split("\n");

async function ipmitoolPower(): Promise<string> {
  const r = await ipmitool(sim, ["chassis", "power", "status"]);
  expect(r.code, r.stdout).toBe(0);
  return /Chassis Power is (on|off)/.exec(r.stdout)?.[1] ?? `unparsed: ${r.stdout}`;
}

/** Boot flags (§28.13 parameter 5) as ipmitool prints them: "Boot parameter data: 8004000000". */
async function ipmitoolBootFlags(): Promise<{ selector: number; byte1: number }> {
  const r = await ipmitool(sim, ["chassis", "bootparam", "get", "5"]);
  expect(r.code, r.stdout).toBe(0);
  const hex = /Boot parameter data: ([0-9a-f]{10})/i.exec(r.stdout)?.[1];
  if (hex === undefined) throw new Error(`ipmitool printed no boot flags: ${r.stdout}`);
  const bytes = Buffer.from(hex, "hex");
  return { byte1: bytes[0]!, selector: (bytes[1]! >> 2) & 0x0f };
}

beforeAll(async () => {
  sim = await startIpmiSim({ username: "admin", password: "password" });
});

afterAll(async () => {
  try {
    await Promise.allSettled(clients.map((c) => c.close()));
  } finally {
    await sim?.stop();
  }
});

describe("the IPMI driver against OpenIPMI ipmi_sim with cipher suite 3", () => {
  it("reads the same Device ID as ipmitool mc info", async () => {
    const id = await client().deviceId();
    const r = await ipmitool(sim, ["mc", "info"]);
    expect(r.stdout).toMatch(new RegExp(`Manufacturer ID\\s*:\\s*${id.manufacturerId}\\b`));
    expect(r.stdout).toMatch(new RegExp(`Product ID\\s*:\\s*${id.productId}\\b`));
    expect(r.stdout).toMatch(new RegExp(`Firmware Revision\\s*:\\s*${id.firmwareRevision.replace(".", "\\.")}\\b`));
    expect(r.stdout).toMatch(new RegExp(`IPMI Version\\s*:\\s*${id.ipmiVersion.replace(".", "\\.")}\\b`));
    expect(id).toMatchObject({ manufacturerId: 0x1291, productId: 0x0f02 });
  });

  it.each(["on", "off"] as const)("reads power %s after ipmitool switched it", async (state) => {
    const r = await ipmitool(sim, ["chassis", "power", state]);
    expect(r.code, r.stdout).toBe(0);
    expect(await client().power.getPower()).toBe(state);
    expect(await sim.power()).toBe(state);
  });

  it.each<{ action: PowerAction; from: "on" | "off"; to: "on" | "off"; log: string; absent?: string }>([
    { action: "on", from: "off", to: "on", log: "set power 1" },
    { action: "force-off", from: "on", to: "off", log: "set power 0" },
    { action: "off", from: "on", to: "off", log: "set shutdown 1", absent: "set power 0" },
    { action: "force-reboot", from: "on", to: "on", log: "set reset 1" },
    { action: "reboot", from: "on", to: "on", log: "set power 0" },
    { action: "reboot", from: "off", to: "on", log: "set power 1" },
  ])("power $action from $from with Anvil leaves the machine $to as ipmitool reads it", async ({ action, from, to, log, absent }) => {
    await sim.setPower(from === "on");
    const before = (await calls()).length;
    await client({ powerPollIntervalMs: 100 }).power.setPower(action);
    // ipmi_sim powers a cycled machine back on after about a second.
    const deadline = Date.now() + 5_000;
    while ((await sim.power()) !== to && Date.now() < deadline) await sleep(100);
    expect(await sim.power()).toBe(to);
    expect(await ipmitoolPower()).toBe(to);
    const made = (await calls()).slice(before);
    expect(made).toContain(log);
    if (absent) expect(made).not.toContain(absent);
  });

  it("forces the power off when the OS ignores the soft shutdown", async () => {
    await sim.setPower(true);
    await sim.knob("ignore-acpi", true);
    try {
      const before = (await calls()).length;
      const started = Date.now();
      await client({ gracefulOffTimeoutMs: 800, powerPollIntervalMs: 100 }).power.setPower("off");
      expect(Date.now() - started).toBeGreaterThanOrEqual(800);
      const made = (await calls()).slice(before);
      expect(made.indexOf("set shutdown 1")).toBeGreaterThanOrEqual(0);
      expect(made.indexOf("set power 0")).toBeGreaterThan(made.indexOf("set shutdown 1"));
      expect(await ipmitoolPower()).toBe("off");
    } finally {
      await sim.knob("ignore-acpi", false);
    }
  });

  it.each<{ device: BootDevice; once: boolean; mode: BootMode; selector: number; name: string }>([
    { device: "pxe", once: true, mode: "legacy", selector: 0x1, name: "pxe" },
    { device: "disk", once: false, mode: "UEFI", selector: 0x2, name: "default" },
    { device: "cdrom", once: true, mode: "UEFI", selector: 0x5, name: "cdrom" },
    { device: "bios", once: false, mode: "legacy", selector: 0x6, name: "bios" },
    { device: "pxe", once: false, mode: "UEFI", selector: 0x1, name: "pxe" },
  ])("sets $device boot (once=$once, $mode) with Anvil and ipmitool reads selector $selector", async (c) => {
    await client().boot.setBootOverride({ device: c.device, once: c.once, mode: c.mode });
    expect((await ipmitoolBootFlags()).selector).toBe(c.selector);
    expect(await sim.bootDevice()).toBe(c.name);
    expect((await client().boot.getBootOverride()).device).toBe(c.device);
  });

  it.each<{ arg: string; device: BootDevice }>([
    { arg: "pxe", device: "pxe" },
    { arg: "disk", device: "disk" },
    { arg: "cdrom", device: "cdrom" },
    { arg: "bios", device: "bios" },
  ])("reads $device after ipmitool chassis bootdev $arg", async ({ arg, device }) => {
    const r = await ipmitool(sim, ["chassis", "bootdev", arg]);
    expect(r.code, r.stdout).toBe(0);
    expect((await client().boot.getBootOverride()).device).toBe(device);
  });

  it("reports VerifyFailed when the BMC does not keep the boot device", async () => {
    await client().boot.setBootOverride({ device: "disk", mode: "legacy" });
    await sim.knob("boot-locked", true);
    try {
      await expect(client().boot.setBootOverride({ device: "pxe", mode: "legacy" })).rejects.toMatchObject({
        code: BmcErrorCode.VerifyFailed,
      });
      expect((await ipmitoolBootFlags()).selector).toBe(0x2);
    } finally {
      await sim.knob("boot-locked", false);
    }
  });

  it("rejects UEFI HTTP boot as not supported by IPMI", async () => {
    await expect(client().boot.setBootOverride({ device: "uefi-http" })).rejects.toMatchObject({
      code: BmcErrorCode.NotSupported,
    });
  });

  it.each([true, false])("opens a session with RAKP name-only lookup = %s", async (nameOnlyLookup) => {
    expect(await client({ nameOnlyLookup }).power.getPower()).toMatch(/on|off/);
  });

  it("runs 50 operations in one session", async () => {
    const c = client();
    for (let i = 0; i < 50; i++) await c.power.getPower();
    expect(c.stats).toMatchObject({ sessionsOpened: 1, reopens: 0, retransmits: 0, dropped: 0 });
  });

  it("serialises 20 concurrent calls on one client through one session", async () => {
    const c = client();
    const states = await Promise.all(Array.from({ length: 20 }, () => c.power.getPower()));
    expect(new Set(states).size).toBe(1);
    expect(c.stats).toMatchObject({ sessionsOpened: 1, retransmits: 0, stale: 0 });
  });

  it("keeps an idle session alive with Get Device ID", async () => {
    const c = client({ keepaliveMs: 150 });
    await c.power.getPower();
    await sleep(1_000);
    expect(c.stats.keepalives).toBeGreaterThanOrEqual(3);
    await c.power.getPower();
    expect(c.stats.sessionsOpened).toBe(1);
  });

  it("frees its session slot on close: 70 open/close cycles on a BMC with 63 slots", async () => {
    for (let i = 0; i < 70; i++) {
      const c = createIpmiClient(
        { host: sim.host, port: sim.port },
        { credentials: { username: sim.username, password: sim.password }, timeoutMs: 5_000 },
      );
      try {
        await c.power.getPower();
      } finally {
        await c.close();
      }
    }
    expect(await client().power.getPower()).toMatch(/on|off/);
  });

  it.each<{ user: string; password: string; level?: string; ok: boolean; control: boolean }>([
    { user: "operator", password: "operpass", level: "OPERATOR", ok: true, control: true },
    { user: "viewer", password: "viewpass", level: "USER", ok: true, control: false },
    { user: "admin", password: "password", level: "USER", ok: true, control: false },
    { user: "admin", password: "password", level: "ADMINISTRATOR", ok: true, control: true },
    { user: "nobody", password: "password", ok: false, control: false },
  ])("as $user at privilege level $level: session $ok, chassis control $control", async (c) => {
    const cl = createIpmiClient(
      { host: sim.host, port: sim.port, ...(c.level ? { privilegeLevel: c.level } : {}) },
      { credentials: { username: c.user, password: c.password }, timeoutMs: 5_000 },
    );
    clients.push(cl);
    if (!c.ok) {
      await expect(cl.power.getPower()).rejects.toMatchObject({ code: BmcErrorCode.AuthFailed });
      return;
    }
    expect(await cl.power.getPower()).toMatch(/on|off/);
    const control = cl.chassisControl(ChassisControl.PowerUp);
    if (c.control) await control;
    else await expect(control).rejects.toMatchObject({ code: BmcErrorCode.AuthFailed, bmcMessage: "insufficient privilege level" });
  });

  it("gets NotSupported for cipher suite 17, which ipmi_sim lacks and refuses to ipmitool too", async () => {
    const theirs = await ipmitool(sim, ["chassis", "power", "status"], { cipherSuite: 17 });
    expect(theirs.code).not.toBe(0);
    await expect(client({ cipherSuite: 17 }).power.getPower()).rejects.toMatchObject({
      code: BmcErrorCode.NotSupported,
      bmcMessage: "invalid authentication algorithm",
    });
  });

  it("falls back from cipher suite 17 to 3 with cipherSuite auto, once per client", async () => {
    const c = client({ cipherSuite: "auto", retry: { attempts: 2, initialTimeoutMs: 200 } });
    expect(await c.power.getPower()).toMatch(/on|off/);
    expect(c.stats).toMatchObject({ cipherSuite: 3, sessionsOpened: 1 });
  });

  it("answers the ASF presence ping with IPMI supported", async () => {
    expect(await presencePing({ host: sim.host, port: sim.port })).toMatchObject({ ipmiSupported: true });
  });

  it("re-opens its session transparently after the BMC restarted", async () => {
    const c = client({ retry: { attempts: 2, initialTimeoutMs: 200 } });
    await sim.setPower(true);
    expect(await c.power.getPower()).toBe("on");
    await sim.restart();
    expect(await c.power.getPower()).toBe("on");
    expect(c.stats).toMatchObject({ sessionsOpened: 2, reopens: 1 });
  });
});
