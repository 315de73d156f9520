/**
 * The parts of Redfish resources (DMTF schema bundle DSP8010) the driver
 * reads. Every property is optional: BMCs differ, and absent means absent.
 */

export interface ODataLink {
  readonly "@odata.id"?: string;
}

export interface Collection {
  readonly Members?: readonly ODataLink[];
}

export interface ServiceRoot {
  readonly Systems?: ODataLink;
  readonly Links?: { readonly Sessions?: ODataLink };
}

export interface ResetAction {
  readonly target?: string;
  readonly "ResetType@Redfish.AllowableValues"?: readonly string[];
}

export interface BootProperties {
  readonly BootSourceOverrideTarget?: string;
  readonly "BootSourceOverrideTarget@Redfish.AllowableValues"?: readonly string[];
  readonly BootSourceOverrideEnabled?: string;
  readonly "BootSourceOverrideEnabled@Redfish.AllowableValues"?: readonly string[];
  readonly BootSourceOverrideMode?: string;
  readonly "BootSourceOverrideMode@Redfish.AllowableValues"?: readonly string[];
}

export interface ComputerSystem {
  readonly Id?: string;
  readonly Name?: string;
  readonly UUID?: string;
  readonly Manufacturer?: string;
  readonly Model?: string;
  readonly SerialNumber?: string;
  readonly BiosVersion?: string;
  readonly PowerState?: string;
  readonly Boot?: BootProperties;
  readonly ProcessorSummary?: { readonly Count?: number; readonly Model?: string };
  readonly MemorySummary?: { readonly TotalSystemMemoryGiB?: number };
  readonly Processors?: ODataLink;
  readonly Memory?: ODataLink;
  readonly EthernetInterfaces?: ODataLink;
  readonly Storage?: ODataLink;
  readonly SimpleStorage?: ODataLink;
  readonly VirtualMedia?: ODataLink;
  readonly Links?: { readonly ManagedBy?: readonly ODataLink[] };
  readonly Actions?: { readonly "#ComputerSystem.Reset"?: ResetAction };
}

export interface Manager {
  readonly VirtualMedia?: ODataLink;
}

export interface VirtualMedia {
  readonly Id?: string;
  readonly MediaTypes?: readonly string[];
  readonly Image?: string | null;
  readonly Inserted?: boolean | null;
  readonly Actions?: {
    readonly "#VirtualMedia.InsertMedia"?: { readonly target?: string };
    readonly "#VirtualMedia.EjectMedia"?: { readonly target?: string };
  };
}

export interface Processor {
  readonly Model?: string;
  readonly MaxSpeedMHz?: number;
  readonly ProcessorArchitecture?: string;
  readonly InstructionSet?: string;
  readonly TotalThreads?: number;
}

export interface Memory {
  readonly CapacityMiB?: number;
}

export interface EthernetInterface {
  readonly Id?: string;
  readonly Name?: string;
  readonly MACAddress?: string;
  readonly PermanentMACAddress?: string;
  readonly SpeedMbps?: number;
  readonly IPv4Addresses?: readonly { readonly Address?: string }[];
}

export interface Storage {
  readonly Drives?: readonly ODataLink[];
}

export interface Drive {
  readonly Id?: string;
  readonly Name?: string;
  readonly CapacityBytes?: number;
  readonly MediaType?: string;
  readonly SerialNumber?: string;
  readonly Model?: string;
  readonly Manufacturer?: string;
  readonly Identifiers?: readonly { readonly DurableName?: string; readonly DurableNameFormat?: string }[];
}

export interface SimpleStorage {
  readonly Devices?: readonly { readonly Name?: string; readonly CapacityBytes?: number; readonly Model?: string; readonly Manufacturer?: string }[];
}

export interface Task {
  readonly TaskState?: string;
  readonly TaskStatus?: string;
  readonly Messages?: readonly { readonly MessageId?: string; readonly Message?: string }[];
}

export function linkOf(link: ODataLink | undefined): string | undefined {
  const id = link?.["@odata.id"];
  return typeof id === "string" && id !== "" ? id : undefined;
}

export function memberLinks(c: Collection): string[] {
  return (c.Members ?? []).map(linkOf).filter((l): l is string => l !== undefined);
}
