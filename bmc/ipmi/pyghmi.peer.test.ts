/**
 * The IPMI driver against a second, independent BMC: pyghmi's Bmc class
 * (e2e/framework/pyghmi_bmc.py), which negotiates cipher suite 17 as well as
 * 3. Each suite is first proven with ipmitool -C <suite>, then every result
 * of Anvil's is cross-checked with ipmitool and the BMC's own state files.
 */
import { rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ipmitool } from "../../e2e/framework/ipmi-sim.js";
import { startPyghmiBmc, type PyghmiBmc } from "../../e2e/framework/pyghmi-bmc.js";
import { BmcErrorCode } from "../errors.js";
import type { BootDevice, BootMode } from "../types.js";
import { createIpmiClient, type IpmiClient } from "./index.js";

let bmc: PyghmiBmc;
const clients: IpmiClient[] = [];

function client(suite: 3 | 17, password = bmc.password): IpmiClient {
  const c = createIpmiClient(
    { host: bmc.host, port: bmc.port },
    { credentials: { username: bmc.username, password }, cipherSuite: suite, timeoutMs: 10_000, retry: { initialTimeoutMs: 300 } },
  );
  clients.push(c);
  return c;
}

beforeAll(async () => {
  bmc = await startPyghmiBmc({ username: "admin", password: "pyghmi-pass" });
});

afterAll(async () => {
  try {
    await Promise.allSettled(clients.map((c) => c.close()));
  } finally {
    await bmc?.stop();
  }
});

it("negotiates cipher suite 17 with cipherSuite auto", async () => {
  const before = (await bmc.calls()).length;
  const c = createIpmiClient({ host: bmc.host, port: bmc.port }, { credentials: { username: bmc.username, password: bmc.password }, cipherSuite: "auto" });
  clients.push(c);
  expect(await c.power.getPower()).toMatch(/on|off/);
  expect(c.stats.cipherSuite).toBe(17);
  expect((await bmc.calls()).slice(before)).toEqual(expect.arrayContaining(["open session suite 17"]));
});

describe.each([3, 17] as const)("the IPMI driver against pyghmi's BMC with cipher suite %i", (suite) => {
  it("is a suite ipmitool itself establishes with this BMC", async () => {
    const before = (await bmc.calls()).length;
    const r = await ipmitool(bmc, ["chassis", "power", "status"], { cipherSuite: suite });
    expect(r.code, r.stdout).toBe(0);
    expect((await bmc.calls()).slice(before)).toContain(`open session suite ${suite}`);
  });

  it("negotiates the suite and reads the power ipmitool set", async () => {
    for (const state of ["on", "off"] as const) {
      expect((await ipmitool(bmc, ["chassis", "power", state], { cipherSuite: suite })).code).toBe(0);
      const before = (await bmc.calls()).length;
      const c = client(suite);
      expect(await c.power.getPower()).toBe(state);
      expect((await bmc.calls()).slice(before)).toContain(`open session suite ${suite}`);
    }
  });

  it.each([
    { action: "on", expected: "on", log: "power on" },
    { action: "force-off", expected: "off", log: "power off" },
  ] as const)("powers $action and ipmitool reads $expected", async ({ action, expected, log }) => {
    const before = (await bmc.calls()).length;
    await client(suite).power.setPower(action);
    expect((await bmc.calls()).slice(before)).toContain(log);
    expect(await bmc.power()).toBe(expected);
    const r = await ipmitool(bmc, ["chassis", "power", "status"], { cipherSuite: suite });
    expect(r.stdout).toContain(`Chassis Power is ${expected}`);
  });

  it.each<{ device: BootDevice; once: boolean; mode: BootMode; flags: string }>([
    { device: "pxe", once: true, mode: "legacy", flags: "8004000000" },
    { device: "pxe", once: false, mode: "UEFI", flags: "e004000000" },
    { device: "disk", once: true, mode: "UEFI", flags: "a008000000" },
    { device: "cdrom", once: false, mode: "legacy", flags: "c014000000" },
    { device: "bios", once: true, mode: "legacy", flags: "8018000000" },
  ])("sets $device boot (once=$once, $mode) as boot flags $flags, read back by ipmitool", async (c) => {
    await client(suite).boot.setBootOverride({ device: c.device, once: c.once, mode: c.mode });
    expect(await bmc.bootFlags()).toBe(c.flags);
    const r = await ipmitool(bmc, ["chassis", "bootparam", "get", "5"], { cipherSuite: suite });
    expect(r.stdout).toContain(`Boot parameter data: ${c.flags}`);
    expect(await client(suite).boot.getBootOverride()).toEqual({ device: c.device, once: c.once, mode: c.mode });
  });

  it("writes the boot parameters in the same order and values as ipmitool chassis bootdev", async () => {
    let before = (await bmc.calls()).length;
    expect((await ipmitool(bmc, ["chassis", "bootdev", "pxe", "options=efiboot,persistent"], { cipherSuite: suite })).code).toBe(0);
    const theirs = (await bmc.calls()).slice(before).filter((l) => l.startsWith("set boot option"));
    before = (await bmc.calls()).length;
    await client(suite).boot.setBootOverride({ device: "pxe", once: false, mode: "UEFI" });
    const ours = (await bmc.calls()).slice(before).filter((l) => l.startsWith("set boot option"));
    expect(ours).toEqual(theirs);
    expect(theirs).toEqual(["set boot option 0 01", "set boot option 4 0101", "set boot option 5 e004000000", "set boot option 0 02", "set boot option 0 00"]);
  });

  it("reads the persistent disk override ipmitool set", async () => {
    expect((await ipmitool(bmc, ["chassis", "bootdev", "disk", "options=persistent"], { cipherSuite: suite })).code).toBe(0);
    expect(await client(suite).boot.getBootOverride()).toEqual({ device: "disk", once: false, mode: "legacy" });
  });

  it("runs 50 operations in one integrity-protected, encrypted session", async () => {
    const c = client(suite);
    for (let i = 0; i < 50; i++) await c.power.getPower();
    expect(c.stats).toMatchObject({ sessionsOpened: 1, dropped: 0, retransmits: 0 });
  });

  it.each([
    { soft: true, log: ["power shutdown"] },
    { soft: false, log: ["power shutdown refused", "power off"] },
  ])("powers off gracefully, or at once when soft-off is refused (soft-off offered: $soft)", async ({ soft, log }) => {
    await bmc.setPower(true);
    const knob = path.join(bmc.stateDir, "no-soft-off");
    if (!soft) await writeFile(knob, "");
    try {
      const before = (await bmc.calls()).length;
      await client(suite).power.setPower("off");
      expect((await bmc.calls()).slice(before).filter((l) => l.startsWith("power"))).toEqual(log);
      expect(await bmc.power()).toBe("off");
    } finally {
      await rm(knob, { force: true });
    }
  });

  it("fails with AuthFailed on a wrong password", async () => {
    await expect(client(suite, "not-the-password").power.getPower()).rejects.toMatchObject({ code: BmcErrorCode.AuthFailed });
  });
});
