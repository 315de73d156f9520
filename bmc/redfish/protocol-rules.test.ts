/**
 * Redfish protocol rules sushy-tools 2.2.0 cannot exercise (it has no
 * SessionService, no ETags, no task monitors), checked against a small
 * in-process Redfish twin: session login and re-login on 401, DELETE of the
 * session on close, If-Match with a fresh ETag after 412, 202 task monitors.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { parseBmcAddress, type RedfishTarget } from "../address.js";
import { BmcErrorCode, isBmcError } from "../errors.js";
import { createRedfishClient } from "./index.js";

const SYSTEM = "/redfish/v1/Systems/1";
const credentials = { username: "admin", password: "twin-pw-1234" };

interface Seen {
  readonly method: string;
  readonly url: string;
  readonly token: string | undefined;
  readonly basic: boolean;
  readonly ifMatch: string | undefined;
  readonly body: string;
}

interface TwinState {
  sessions: boolean;
  tokens: Set<string>;
  issued: number;
  etag: number;
  boot: Record<string, string>;
  power: string;
  /** Answer the next N task-monitor polls with 202. */
  taskPolls: number;
  taskOutcome: "Completed" | "Exception";
  /** Answer the next PATCH with 412 regardless of If-Match. */
  stalePatch: boolean;
  resetTypes: string[];
  pendingReset: string | undefined;
  resets: string[];
}

let server: Server | undefined;
let seen: Seen[] = [];
let connections = 0;

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "Content-Type": "application/json", ...headers });
  res.end(body === undefined ? "" : JSON.stringify(body));
}

async function startTwin(init: Partial<TwinState> = {}): Promise<{ state: TwinState; target: RedfishTarget }> {
  const state: TwinState = {
    sessions: true,
    tokens: new Set(),
    issued: 0,
    etag: 1,
    boot: { BootSourceOverrideTarget: "None", BootSourceOverrideEnabled: "Disabled", BootSourceOverrideMode: "UEFI" },
    power: "Off",
    taskPolls: 0,
    taskOutcome: "Completed",
    stalePatch: false,
    resetTypes: ["On", "ForceOff"],
    pendingReset: undefined,
    resets: [],
    ...init,
  };
  seen = [];
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString("utf8")));
    req.on("end", () => {
      const token = req.headers["x-auth-token"] as string | undefined;
      const entry: Seen = {
        method: req.method ?? "",
        url: req.url ?? "",
        token,
        basic: (req.headers.authorization ?? "").startsWith("Basic "),
        ifMatch: req.headers["if-match"],
        body,
      };
      seen.push(entry);
      route(state, entry, res);
    });
  });
  connections = 0;
  server.on("connection", () => (connections += 1));
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return { state, target: parseBmcAddress(`redfish+http://127.0.0.1:${port}${SYSTEM}`) as RedfishTarget };
}

function route(state: TwinState, req: Seen, res: ServerResponse): void {
  if (req.url === "/redfish/v1/" && req.method === "GET") {
    return json(res, 200, { Systems: { "@odata.id": "/redfish/v1/Systems" }, ...(state.sessions ? { Links: { Sessions: { "@odata.id": "/redfish/v1/SessionService/Sessions" } } } : {}) });
  }
  if (req.url === "/redfish/v1/SessionService/Sessions" && req.method === "POST") {
    const { UserName, Password } = JSON.parse(req.body) as { UserName: string; Password: string };
    if (UserName !== credentials.username || Password !== credentials.password) return json(res, 401, { error: { code: "Base.1.8.NoValidSession", message: "bad credentials" } });
    state.issued += 1;
    const token = `tok-${state.issued}`;
    state.tokens.add(token);
    return json(res, 201, {}, { "X-Auth-Token": token, Location: `/redfish/v1/SessionService/Sessions/${state.issued}` });
  }
  const authed = state.sessions ? req.token !== undefined && state.tokens.has(req.token) : req.basic;
  if (!authed) return json(res, 401, { error: { code: "Base.1.8.NoValidSession", message: "no session" } });
  if (req.url.startsWith("/redfish/v1/SessionService/Sessions/") && req.method === "DELETE") {
    state.tokens.delete(req.token ?? "");
    return json(res, 204, undefined);
  }
  if (req.url === SYSTEM && req.method === "GET") {
    return json(
      res,
      200,
      {
        PowerState: state.power,
        Boot: { ...state.boot, "BootSourceOverrideTarget@Redfish.AllowableValues": ["Pxe", "Hdd", "Cd", "BiosSetup"] },
        Actions: { "#ComputerSystem.Reset": { target: `${SYSTEM}/Actions/ComputerSystem.Reset`, "ResetType@Redfish.AllowableValues": state.resetTypes } },
        UUID: "4c4c4544-0042-3010-8052-b4c04f384d32",
        Manufacturer: "Dell Inc.",
        Model: "PowerEdge R650",
        SerialNumber: "B0R84M2",
        BiosVersion: "1.9.2",
        ProcessorSummary: { Count: 2, Model: "Xeon Gold 6338" },
        MemorySummary: { TotalSystemMemoryGiB: 64 },
        Processors: { "@odata.id": `${SYSTEM}/Processors` },
        Memory: { "@odata.id": `${SYSTEM}/Memory` },
        EthernetInterfaces: { "@odata.id": `${SYSTEM}/EthernetInterfaces` },
        Storage: { "@odata.id": `${SYSTEM}/Storage` },
        SimpleStorage: { "@odata.id": `${SYSTEM}/SimpleStorage` },
        Links: { ManagedBy: [{ "@odata.id": "/redfish/v1/Managers/bmc" }] },
      },
      { ETag: `W/"${state.etag}"` },
    );
  }
  if (req.url === SYSTEM && req.method === "PATCH") {
    if (state.stalePatch || req.ifMatch !== `W/"${state.etag}"`) {
      state.stalePatch = false;
      state.etag += 1;
      return json(res, 412, { error: { code: "Base.1.8.PreconditionFailed", message: "ETag mismatch" } });
    }
    state.boot = { ...state.boot, ...(JSON.parse(req.body) as { Boot: Record<string, string> }).Boot };
    state.etag += 1;
    return json(res, 204, undefined);
  }
  if (req.url === `${SYSTEM}/Actions/ComputerSystem.Reset` && req.method === "POST") {
    state.pendingReset = (JSON.parse(req.body) as { ResetType: string }).ResetType;
    state.resets.push(state.pendingReset);
    return json(res, 202, undefined, { Location: "/redfish/v1/TaskService/TaskMonitors/7" });
  }
  if (req.url === "/redfish/v1/TaskService/TaskMonitors/7" && req.method === "GET") {
    if (state.taskPolls > 0) {
      state.taskPolls -= 1;
      return json(res, 202, { TaskState: "Running" }, { Location: "/redfish/v1/TaskService/TaskMonitors/7", "Retry-After": "0" });
    }
    if (state.taskOutcome === "Exception") {
      return json(res, 200, { TaskState: "Exception", TaskStatus: "Critical", Messages: [{ MessageId: "Base.1.8.InternalError", Message: "Reset failed: PSU fault" }] });
    }
    state.power = state.pendingReset === "ForceOff" ? "Off" : "On";
    return json(res, 200, { TaskState: "Completed", TaskStatus: "OK" });
  }
  const extra = INVENTORY[req.url];
  if (extra !== undefined && req.method === "GET") return json(res, 200, extra);
  if (req.url === "/redfish/v1/Managers/bmc/VirtualMedia/CD1/Actions/VirtualMedia.InsertMedia" && req.method === "POST") {
    const { Image } = JSON.parse(req.body) as { Image: string };
    CD1.Image = Image;
    CD1.Inserted = true;
    return json(res, 204, undefined);
  }
  return json(res, 404, { error: { code: "Base.1.8.ResourceMissingAtURI", message: `no ${req.url}` } });
}

const CD1: { Image: string | null; Inserted: boolean } = { Image: null, Inserted: false };
const link = (id: string): { "@odata.id": string } => ({ "@odata.id": id });

/** A well-stocked System's sub-resources, as a Dell/HPE-style BMC serves them. */
const INVENTORY: Record<string, unknown> = {
  "/redfish/v1/Systems/1/Processors": { Members: [link("/redfish/v1/Systems/1/Processors/CPU1"), link("/redfish/v1/Systems/1/Processors/CPU2")] },
  "/redfish/v1/Systems/1/Processors/CPU1": { Model: "Xeon Gold 6338", MaxSpeedMHz: 3200, ProcessorArchitecture: "x86", InstructionSet: "x86-64" },
  "/redfish/v1/Systems/1/Processors/CPU2": { Model: "Xeon Gold 6338", MaxSpeedMHz: 3200, ProcessorArchitecture: "x86", InstructionSet: "x86-64" },
  "/redfish/v1/Systems/1/Memory": { Members: [link("/redfish/v1/Systems/1/Memory/DIMM1"), link("/redfish/v1/Systems/1/Memory/DIMM2")] },
  "/redfish/v1/Systems/1/Memory/DIMM1": { CapacityMiB: 32768 },
  "/redfish/v1/Systems/1/Memory/DIMM2": { CapacityMiB: 32768 },
  "/redfish/v1/Systems/1/EthernetInterfaces": { Members: [link("/redfish/v1/Systems/1/EthernetInterfaces/NIC1")] },
  "/redfish/v1/Systems/1/EthernetInterfaces/NIC1": { Id: "NIC.1", MACAddress: "B0:26:28:00:00:01", SpeedMbps: 25000, IPv4Addresses: [{ Address: "10.0.0.21" }] },
  "/redfish/v1/Systems/1/Storage": { Members: [link("/redfish/v1/Systems/1/Storage/RAID1"), link("/redfish/v1/Systems/1/Storage/Broken")] },
  "/redfish/v1/Systems/1/Storage/RAID1": { Drives: [link("/redfish/v1/Systems/1/Storage/RAID1/Drives/D0")] },
  "/redfish/v1/Systems/1/Storage/RAID1/Drives/D0": {
    Name: "Disk 0",
    CapacityBytes: 960197124096,
    MediaType: "SSD",
    SerialNumber: "S4X0NA0N",
    Model: "PM883",
    Manufacturer: "Samsung",
    Identifiers: [{ DurableNameFormat: "NAA", DurableName: "5002538E00000001" }],
  },
  "/redfish/v1/Systems/1/SimpleStorage": { Members: [link("/redfish/v1/Systems/1/SimpleStorage/AHCI")] },
  "/redfish/v1/Systems/1/SimpleStorage/AHCI": { Devices: [{ Name: "SATA HDD", CapacityBytes: 4000787030016, Model: "HUS726T4" }] },
  "/redfish/v1/Managers/bmc": { VirtualMedia: link("/redfish/v1/Managers/bmc/VirtualMedia") },
  "/redfish/v1/Managers/bmc/VirtualMedia": { Members: [link("/redfish/v1/Managers/bmc/VirtualMedia/USB1"), link("/redfish/v1/Managers/bmc/VirtualMedia/CD1")] },
  "/redfish/v1/Managers/bmc/VirtualMedia/USB1": { MediaTypes: ["USBStick"], Inserted: false },
  get "/redfish/v1/Managers/bmc/VirtualMedia/CD1"() {
    return { MediaTypes: ["CD", "DVD"], ...CD1, Actions: { "#VirtualMedia.InsertMedia": { target: "/redfish/v1/Managers/bmc/VirtualMedia/CD1/Actions/VirtualMedia.InsertMedia" } } };
  },
};

afterEach(async () => {
  const s = server;
  server = undefined;
  if (s !== undefined) await new Promise<void>((resolve) => s.close(() => resolve()));
});

describe("Redfish session authentication", () => {
  it("logs in a session, sends X-Auth-Token, and deletes the session on close", async () => {
    const { state, target } = await startTwin();
    const bmc = createRedfishClient(target, { credentials });
    expect(await bmc.power.getPower()).toBe("off");
    expect(seen.find((s) => s.url === SYSTEM)?.token).toBe("tok-1");
    expect(seen.every((s) => !s.basic)).toBe(true);
    await bmc.close();
    expect(seen.at(-1)).toMatchObject({ method: "DELETE", url: "/redfish/v1/SessionService/Sessions/1" });
    expect(state.tokens.size).toBe(0);
  });

  it("logs in again once when the session expires, and carries on", async () => {
    const { state, target } = await startTwin();
    const bmc = createRedfishClient(target, { credentials });
    await bmc.power.getPower();
    state.tokens.clear();
    expect(await bmc.power.getPower()).toBe("off");
    expect(state.issued).toBe(2);
    expect(seen.filter((s) => s.url === SYSTEM).map((s) => s.token)).toEqual(["tok-1", "tok-1", "tok-2"]);
  });

  it("fails with AuthFailed when the session login is refused", async () => {
    const { target } = await startTwin();
    const bmc = createRedfishClient(target, { credentials: { username: "admin", password: "nope-nope" } });
    const err = await bmc.power.getPower().catch((e: unknown) => e);
    expect(isBmcError(err, BmcErrorCode.AuthFailed)).toBe(true);
    expect(String(err)).not.toContain("nope-nope");
  });

  it("uses Basic when the service root links no Sessions", async () => {
    const { target } = await startTwin({ sessions: false });
    const bmc = createRedfishClient(target, { credentials });
    expect(await bmc.power.getPower()).toBe("off");
    expect(seen.filter((s) => s.url === SYSTEM).every((s) => s.basic && s.token === undefined)).toBe(true);
  });
});

describe("Redfish connections", () => {
  it("keeps one TCP connection alive across many calls", async () => {
    const { target } = await startTwin();
    const bmc = createRedfishClient(target, { credentials });
    for (let i = 0; i < 20; i++) await bmc.power.getPower();
    expect(seen.length).toBeGreaterThan(20);
    expect(connections).toBe(1);
    await bmc.close();
  });
});

describe("Redfish ETags", () => {
  it("sends the System's ETag as If-Match on the boot PATCH", async () => {
    const { state, target } = await startTwin();
    const bmc = createRedfishClient(target, { credentials });
    await bmc.boot.setBootOverride({ device: "pxe", once: true, mode: "UEFI" });
    expect(seen.find((s) => s.method === "PATCH")?.ifMatch).toBe('W/"1"');
    expect(state.boot).toMatchObject({ BootSourceOverrideTarget: "Pxe", BootSourceOverrideEnabled: "Once" });
  });

  it("reads a fresh ETag and retries once after 412", async () => {
    const { state, target } = await startTwin({ stalePatch: true });
    const bmc = createRedfishClient(target, { credentials });
    await bmc.boot.setBootOverride({ device: "bios", once: false });
    expect(seen.filter((s) => s.method === "PATCH").map((s) => s.ifMatch)).toEqual(['W/"1"', 'W/"2"']);
    expect(state.boot).toMatchObject({ BootSourceOverrideTarget: "BiosSetup", BootSourceOverrideEnabled: "Continuous" });
  });
});

describe("Redfish task monitors", () => {
  it("polls a 202 task monitor until the task completes", async () => {
    const { target } = await startTwin({ taskPolls: 3 });
    const bmc = createRedfishClient(target, { credentials, pollIntervalMs: 10 });
    await bmc.power.setPower("on");
    expect(seen.filter((s) => s.url === "/redfish/v1/TaskService/TaskMonitors/7")).toHaveLength(4);
    expect(await bmc.power.getPower()).toBe("on");
  });

  it("fails with the task's own message when it ends in Exception", async () => {
    const { target } = await startTwin({ taskPolls: 1, taskOutcome: "Exception" });
    const bmc = createRedfishClient(target, { credentials, pollIntervalMs: 10 });
    const err = await bmc.power.setPower("on").catch((e: unknown) => e);
    expect(isBmcError(err, BmcErrorCode.BmcError)).toBe(true);
    expect(isBmcError(err) && err.bmcMessage).toBe("Reset failed: PSU fault");
  });

  it("reboots with ForceOff then On when the System advertises no restart ResetType", async () => {
    const { state, target } = await startTwin({ power: "On" });
    const bmc = createRedfishClient(target, { credentials, pollIntervalMs: 10 });
    await bmc.power.setPower("reboot");
    expect(state.resets).toEqual(["ForceOff", "On"]);
    expect(state.power).toBe("On");
  });

  it("forces off a System that ignores GracefulShutdown past the grace period", async () => {
    const { state, target } = await startTwin({ power: "On", resetTypes: ["On", "ForceOff", "GracefulShutdown"] });
    const bmc = createRedfishClient(target, { credentials, pollIntervalMs: 20, gracefulShutdownMs: 300 });
    await bmc.power.setPower("off");
    expect(state.resets).toEqual(["GracefulShutdown", "ForceOff"]);
    expect(state.power).toBe("Off");
  });

  it("refuses with NotSupported a power action the System does not advertise", async () => {
    const { state, target } = await startTwin({ power: "On", resetTypes: ["On"] });
    const bmc = createRedfishClient(target, { credentials });
    const err = await bmc.power.setPower("force-off").catch((e: unknown) => e);
    expect(isBmcError(err, BmcErrorCode.NotSupported)).toBe(true);
    expect(state.resets).toEqual([]);
  });
});

describe("Redfish inventory and virtual media on a well-stocked BMC", () => {
  it("reads CPUs, DIMMs, NICs, drives and SimpleStorage, skipping a storage member that fails", async () => {
    const { target } = await startTwin();
    const inv = await createRedfishClient(target, { credentials }).inventory!.getInventory();
    expect(inv).toEqual({
      systemVendor: { manufacturer: "Dell Inc.", productName: "PowerEdge R650", serialNumber: "B0R84M2" },
      firmware: { bios: { version: "1.9.2" } },
      uuid: "4c4c4544-0042-3010-8052-b4c04f384d32",
      cpu: { arch: "x86_64", model: "Xeon Gold 6338", count: 2, clockMegahertz: 3200 },
      ramMebibytes: 65536,
      nics: [{ name: "NIC.1", mac: "b0:26:28:00:00:01", ip: "10.0.0.21", speedGbps: 25 }],
      storage: [
        { name: "Disk 0", sizeBytes: 960197124096, rotational: false, serialNumber: "S4X0NA0N", wwn: "5002538E00000001", model: "PM883", vendor: "Samsung" },
        { name: "SATA HDD", sizeBytes: 4000787030016, model: "HUS726T4" },
      ],
    });
  });

  it("finds the CD under the Manager when the System links no VirtualMedia, and verifies the insert", async () => {
    const { target } = await startTwin();
    const bmc = createRedfishClient(target, { credentials });
    await bmc.virtualMedia!.insertMedia({ imageUrl: "http://127.0.0.1:9/boot.iso" });
    expect(CD1).toEqual({ Image: "http://127.0.0.1:9/boot.iso", Inserted: true });
    expect(seen.some((s) => s.url.endsWith("/VirtualMedia/CD1/Actions/VirtualMedia.InsertMedia"))).toBe(true);
  });
});
