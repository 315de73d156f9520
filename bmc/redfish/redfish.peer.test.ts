/**
 * The Redfish driver against sushy-tools (fake driver): every operation, each
 * checked by reading the emulator's own state back with a plain GET.
 */
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSushyTools, type SushyTools } from "../../e2e/framework/sushy-tools.js";
import { BmcAccessQueue } from "../access-queue.js";
import { BmcErrorCode, isBmcError } from "../errors.js";
import { connectBmc } from "../index.js";
import type { BmcClient, BootOverride } from "../types.js";

interface SystemDoc {
  PowerState?: string;
  Boot?: { BootSourceOverrideTarget?: string; BootSourceOverrideEnabled?: string; BootSourceOverrideMode?: string };
}
interface MediaDoc {
  Inserted?: boolean;
  Image?: string;
}

const credentials = { username: "admin", password: "not-checked-without-auth" };
const queue = new BmcAccessQueue({ timeoutMs: 20_000, powerTimeoutMs: 60_000, retry: { attempts: 3, baseDelayMs: 50 } });

let sushy: SushyTools;
let isoServer: Server;
let isoUrl: string;
let isoRequests = 0;

async function client(systemIndex = 0, opts: { path?: boolean } = {}): Promise<BmcClient> {
  const sys = sushy.systems[systemIndex]!;
  const path = opts.path === false ? "" : sys.path;
  return connectBmc({ address: `redfish+http://127.0.0.1:${sushy.port}${path}`, credentials, queue, gracefulShutdownMs: 20_000 });
}

async function systemDoc(index = 0): Promise<SystemDoc> {
  return (await sushy.get(sushy.systems[index]!.path)) as SystemDoc;
}

beforeAll(async () => {
  sushy = await startSushyTools({ systems: [{ powerState: "Off" }, { powerState: "On" }, {}] });
  isoServer = createServer((_req, res) => {
    isoRequests += 1;
    res.writeHead(200, { "Content-Type": "application/octet-stream", "Content-Length": "2048" });
    res.end(Buffer.alloc(2048, 0x41));
  });
  await new Promise<void>((resolve) => isoServer.listen(0, "127.0.0.1", resolve));
  isoUrl = `http://127.0.0.1:${(isoServer.address() as AddressInfo).port}/boot.iso`;
});

afterAll(async () => {
  try {
    await sushy?.stop();
  } finally {
    await new Promise<void>((resolve) => (isoServer ? isoServer.close(() => resolve()) : resolve()));
  }
});

describe("Redfish driver against sushy-tools", () => {
  it("reads the power state the emulator reports", async () => {
    const bmc = await client(1);
    expect(await bmc.power.getPower()).toBe("on");
    expect((await systemDoc(1)).PowerState).toBe("On");
  });

  it("refuses to guess a System when the BMC has several and the address names none", async () => {
    const bmc = await client(0, { path: false });
    const err = await bmc.power.getPower().catch((e: unknown) => e);
    expect(isBmcError(err, BmcErrorCode.InvalidAddress)).toBe(true);
    expect((err as Error).message).toContain("3");
  });

  it("says InvalidAddress when the address names a System the BMC does not have", async () => {
    const bmc = await connectBmc({ address: `redfish+http://127.0.0.1:${sushy.port}/redfish/v1/Systems/no-such-system`, credentials, queue });
    const err = await bmc.power.getPower().catch((e: unknown) => e);
    expect(isBmcError(err, BmcErrorCode.InvalidAddress)).toBe(true);
    expect((err as Error).message).toContain("no-such-system");
  });

  it("powers a System on and waits until the emulator says On", async () => {
    const bmc = await client(0);
    await bmc.power.setPower("on");
    expect((await systemDoc(0)).PowerState).toBe("On");
  });

  it("reboots a running System and leaves it On", async () => {
    const bmc = await client(0);
    await bmc.power.setPower("reboot");
    expect((await systemDoc(0)).PowerState).toBe("On");
  });

  it("shuts a System down gracefully and waits until the emulator says Off", async () => {
    const bmc = await client(0);
    await bmc.power.setPower("off");
    expect((await systemDoc(0)).PowerState).toBe("Off");
  });

  it("force-offs a running System", async () => {
    const bmc = await client(1);
    await bmc.power.setPower("force-off");
    expect((await systemDoc(1)).PowerState).toBe("Off");
    expect(await bmc.power.getPower()).toBe("off");
  });

  it("treats power-on of a System already On as done without a reset", async () => {
    const bmc = await client(0);
    await bmc.power.setPower("on");
    const resets = (): number => (readFileSync(sushy.process.logFile, "utf8").match(/POST \/redfish\/v1\/Systems\/[^ ]+\/Actions\/ComputerSystem\.Reset/g) ?? []).length;
    const before = resets();
    expect(before).toBeGreaterThan(0);
    await bmc.power.setPower("on");
    expect(resets()).toBe(before);
  });

  it.each<[BootOverride, string, string]>([
    [{ device: "pxe", once: true, mode: "UEFI" }, "Pxe", "UEFI"],
    [{ device: "disk", once: false, mode: "UEFI" }, "Hdd", "UEFI"],
    [{ device: "cdrom", once: true, mode: "legacy" }, "Cd", "Legacy"],
    [{ device: "pxe", once: false, mode: "legacy" }, "Pxe", "Legacy"],
    [{ device: "disk", once: true, mode: "UEFI" }, "Hdd", "UEFI"],
  ])("sets boot override %j and the emulator holds target %s in mode %s", async (override, target, mode) => {
    const bmc = await client(2);
    await bmc.boot.setBootOverride(override);
    const boot = (await systemDoc(2)).Boot;
    expect(boot?.BootSourceOverrideTarget).toBe(target);
    expect(boot?.BootSourceOverrideMode).toBe(mode);
    expect(await bmc.boot.getBootOverride()).toMatchObject({ device: override.device, mode: override.mode });
  });

  it("refuses BiosSetup, which the emulator does not list among its boot targets", async () => {
    const bmc = await client(2);
    const err = await bmc.boot.setBootOverride({ device: "bios" }).catch((e: unknown) => e);
    expect(isBmcError(err, BmcErrorCode.NotSupported)).toBe(true);
    expect((await systemDoc(2)).Boot?.BootSourceOverrideTarget).not.toBe("BiosSetup");
  });

  it("detects by read-back that the emulator stored UefiHttp (without a URI) as Pxe", async () => {
    const bmc = await client(2);
    const err = await bmc.boot.setBootOverride({ device: "uefi-http", mode: "UEFI" }).catch((e: unknown) => e);
    expect(isBmcError(err, BmcErrorCode.VerifyFailed)).toBe(true);
    expect((await systemDoc(2)).Boot?.BootSourceOverrideTarget).toBe("Pxe");
  });

  it("inserts virtual media, which the emulator downloads, and ejects it", async () => {
    const bmc = await client(2);
    const cdPath = `${sushy.systems[2]!.path}/VirtualMedia/Cd`;
    const before = isoRequests;
    await bmc.virtualMedia!.insertMedia({ imageUrl: isoUrl, kind: "cd" });
    const inserted = (await sushy.get(cdPath)) as MediaDoc;
    expect(inserted).toMatchObject({ Inserted: true, Image: isoUrl });
    expect(isoRequests).toBeGreaterThan(before);
    await bmc.virtualMedia!.insertMedia({ imageUrl: isoUrl, kind: "cd" });
    await bmc.virtualMedia!.ejectMedia("cd");
    expect(((await sushy.get(cdPath)) as MediaDoc).Inserted).toBe(false);
  });

  it("reads inventory: the System's identity and its NIC, skipping what the emulator cannot serve", async () => {
    const bmc = await client(2);
    const inv = await bmc.inventory!.getInventory();
    const sys = sushy.systems[2]!;
    expect(inv.uuid).toBe(sys.uuid);
    expect(inv.systemVendor?.manufacturer).toBe("Sushy Emulator");
    expect(inv.nics.map((n) => n.mac)).toEqual([sys.mac]);
    expect(inv.storage).toEqual([]);
  });

  it("discovers the only System when the address names none", async () => {
    const single = await startSushyTools({ systems: 1 });
    try {
      const bmc = await connectBmc({ address: `redfish+http://127.0.0.1:${single.port}/redfish/v1/`, credentials, queue });
      expect(await bmc.power.getPower()).toBe("off");
      expect((await bmc.inventory!.getInventory()).uuid).toBe(single.systems[0]!.uuid);
      await bmc.close();
    } finally {
      await single.stop();
    }
  });
});
