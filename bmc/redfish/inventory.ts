/**
 * Out-of-band inventory from the System and the sub-resources it links:
 * Processors, Memory, EthernetInterfaces, Storage (Drives) and the older
 * SimpleStorage. A sub-resource the BMC lacks or fails to serve (sushy-tools'
 * fake driver answers 404/500/501 for several) is left out, not fatal; losing
 * the BMC itself (auth, network, deadline) still fails the read.
 */
import { BmcErrorCode, isBmcError } from "../errors.js";
import type { DiskInfo, Inventory, InventoryReader, NicInfo } from "../types.js";
import type { RedfishHttp } from "./http.js";
import {
  linkOf,
  memberLinks,
  type Collection,
  type ComputerSystem,
  type Drive,
  type EthernetInterface,
  type Memory,
  type ODataLink,
  type Processor,
  type SimpleStorage,
  type Storage,
} from "./resources.js";
import type { SystemRef } from "./system.js";

const FATAL = new Set<string>([BmcErrorCode.AuthFailed, BmcErrorCode.Unreachable, BmcErrorCode.TlsUntrusted, BmcErrorCode.Timeout]);

/** Redfish Drive.Identifiers DurableNameFormat values that are WWNs. */
const WWN_FORMATS = new Set(["NAA", "EUI", "NGUID"]);

export class RedfishInventory implements InventoryReader {
  constructor(
    private readonly http: RedfishHttp,
    private readonly system: SystemRef,
  ) {}

  async getInventory(signal?: AbortSignal): Promise<Inventory> {
    const { system } = await this.system.get(signal);
    // One request at a time: the access queue promises the BMC a single exchange in flight.
    const processors = await this.members<Processor>(system.Processors, signal);
    const memory = await this.members<Memory>(system.Memory, signal);
    const nics = await this.members<EthernetInterface>(system.EthernetInterfaces, signal);
    const drives = await this.drives(system, signal);
    const simple = await this.members<SimpleStorage>(system.SimpleStorage, signal);
    return {
      systemVendor: omitUndefined({ manufacturer: system.Manufacturer, productName: system.Model, serialNumber: system.SerialNumber }),
      firmware: system.BiosVersion !== undefined ? { bios: { version: system.BiosVersion } } : undefined,
      uuid: system.UUID,
      cpu: cpuOf(system, processors),
      ramMebibytes: ramOf(system, memory),
      nics: nics.map(nicOf).filter((n): n is NicInfo => n !== undefined),
      storage: [...drives.map(diskOf), ...simple.flatMap(simpleDisks)],
    };
  }

  private async members<T extends object>(link: ODataLink | undefined, signal?: AbortSignal): Promise<T[]> {
    const path = linkOf(link);
    if (path === undefined) return [];
    const collection = await this.optional(() => this.http.getResource<Collection>(path, signal));
    if (collection === undefined) return [];
    const out: T[] = [];
    for (const member of memberLinks(collection.body)) {
      const got = await this.optional(() => this.http.getResource<T>(member, signal));
      if (got !== undefined) out.push(got.body);
    }
    return out;
  }

  private async drives(system: ComputerSystem, signal?: AbortSignal): Promise<Drive[]> {
    const storages = await this.members<Storage>(system.Storage, signal);
    const out: Drive[] = [];
    for (const storage of storages) {
      for (const link of storage.Drives ?? []) {
        const path = linkOf(link);
        if (path === undefined) continue;
        const got = await this.optional(() => this.http.getResource<Drive>(path, signal));
        if (got !== undefined) out.push(got.body);
      }
    }
    return out;
  }

  private async optional<T>(read: () => Promise<T>): Promise<T | undefined> {
    try {
      return await read();
    } catch (err) {
      if (isBmcError(err) && !FATAL.has(err.code)) return undefined;
      throw err;
    }
  }
}

function omitUndefined<T extends Record<string, unknown>>(o: T): T | undefined {
  const entries = Object.entries(o).filter(([, v]) => v !== undefined);
  return entries.length === 0 ? undefined : (Object.fromEntries(entries) as T);
}

function cpuOf(system: ComputerSystem, processors: Processor[]): Inventory["cpu"] {
  const first = processors[0];
  const arch = first?.ProcessorArchitecture === "x86" && first.InstructionSet === "x86-64" ? "x86_64" : (first?.InstructionSet ?? first?.ProcessorArchitecture);
  return omitUndefined({
    arch,
    model: first?.Model ?? system.ProcessorSummary?.Model,
    count: system.ProcessorSummary?.Count ?? (processors.length > 0 ? processors.length : undefined),
    clockMegahertz: first?.MaxSpeedMHz,
  });
}

function ramOf(system: ComputerSystem, memory: Memory[]): number | undefined {
  const fromDimms = memory.reduce((sum, m) => sum + (m.CapacityMiB ?? 0), 0);
  if (fromDimms > 0) return fromDimms;
  const gib = system.MemorySummary?.TotalSystemMemoryGiB;
  return gib !== undefined && gib > 0 ? Math.round(gib * 1024) : undefined;
}

function nicOf(nic: EthernetInterface): NicInfo | undefined {
  const mac = nic.MACAddress ?? nic.PermanentMACAddress;
  if (mac === undefined || mac === "") return undefined;
  const ip = nic.IPv4Addresses?.find((a) => a.Address !== undefined && a.Address !== "")?.Address;
  return {
    name: nic.Id ?? nic.Name ?? mac,
    mac: mac.toLowerCase(),
    ...(ip !== undefined ? { ip } : {}),
    ...(nic.SpeedMbps !== undefined ? { speedGbps: nic.SpeedMbps / 1000 } : {}),
  };
}

function diskOf(d: Drive): DiskInfo {
  const wwn = d.Identifiers?.find((i) => WWN_FORMATS.has(i.DurableNameFormat ?? ""))?.DurableName;
  return {
    name: d.Name ?? d.Id ?? "drive",
    sizeBytes: d.CapacityBytes ?? 0,
    ...(d.MediaType !== undefined ? { rotational: d.MediaType === "HDD" } : {}),
    ...(d.SerialNumber !== undefined ? { serialNumber: d.SerialNumber } : {}),
    ...(wwn !== undefined ? { wwn } : {}),
    ...(d.Model !== undefined ? { model: d.Model } : {}),
    ...(d.Manufacturer !== undefined ? { vendor: d.Manufacturer } : {}),
  };
}

function simpleDisks(s: SimpleStorage): DiskInfo[] {
  return (s.Devices ?? []).map((dev) => ({
    name: dev.Name ?? "device",
    sizeBytes: dev.CapacityBytes ?? 0,
    ...(dev.Model !== undefined ? { model: dev.Model } : {}),
    ...(dev.Manufacturer !== undefined ? { vendor: dev.Manufacturer } : {}),
  }));
}
