/**
 * The BMC role interfaces. A driver implements the roles its protocol offers;
 * callers ask for a role and get a typed NotSupported error when it is absent.
 * Drivers know nothing of Kubernetes: they take values (address, credentials)
 * and return plain data.
 */

export type PowerState = "on" | "off" | "unknown";

/** What `setPower` may ask for. `off` is graceful with a deadline, then forced. */
export type PowerAction = "on" | "off" | "force-off" | "reboot" | "force-reboot";

export type BootDevice = "pxe" | "disk" | "cdrom" | "bios" | "uefi-http";
export type BootMode = "UEFI" | "legacy";

export interface BootOverride {
  readonly device: BootDevice;
  /** `true`: this boot only (Redfish `Once`, IPMI non-persistent). @default true */
  readonly once?: boolean;
  /** Firmware mode for the override; unset leaves the BMC's current mode. */
  readonly mode?: BootMode;
}

export interface BootOverrideState {
  readonly device: BootDevice | "none";
  readonly once: boolean;
  readonly mode: BootMode | "unknown";
}

export interface VirtualMediaRequest {
  readonly imageUrl: string;
  /** @default "cd" */
  readonly kind?: "cd" | "floppy";
}

export interface NicInfo {
  readonly name: string;
  readonly mac: string;
  readonly ip?: string;
  readonly speedGbps?: number;
}

export interface DiskInfo {
  readonly name: string;
  readonly sizeBytes: number;
  readonly rotational?: boolean;
  readonly serialNumber?: string;
  readonly wwn?: string;
  readonly model?: string;
  readonly vendor?: string;
}

/** Out-of-band inventory; fields the BMC does not report are absent. */
export interface Inventory {
  readonly systemVendor?: { manufacturer?: string; productName?: string; serialNumber?: string };
  readonly firmware?: { bios?: { vendor?: string; version?: string; date?: string } };
  readonly uuid?: string;
  readonly cpu?: { arch?: string; model?: string; count?: number; clockMegahertz?: number };
  readonly ramMebibytes?: number;
  readonly nics: readonly NicInfo[];
  readonly storage: readonly DiskInfo[];
}

export interface PowerControl {
  getPower(signal?: AbortSignal): Promise<PowerState>;
  setPower(action: PowerAction, signal?: AbortSignal): Promise<void>;
}

export interface BootControl {
  /** Sets the override and reads it back; throws VerifyFailed when the BMC kept another value. */
  setBootOverride(override: BootOverride, signal?: AbortSignal): Promise<void>;
  getBootOverride(signal?: AbortSignal): Promise<BootOverrideState>;
}

export interface VirtualMediaControl {
  insertMedia(req: VirtualMediaRequest, signal?: AbortSignal): Promise<void>;
  ejectMedia(kind?: "cd" | "floppy", signal?: AbortSignal): Promise<void>;
}

export interface InventoryReader {
  getInventory(signal?: AbortSignal): Promise<Inventory>;
}

/** One connection to one BMC. Optional roles are `undefined` when the protocol lacks them. */
export interface BmcClient {
  /** The driver's name, e.g. `redfish` or `ipmi`. */
  readonly driver: string;
  /** The address with any credentials removed: safe to log. */
  readonly displayAddress: string;
  readonly power: PowerControl;
  readonly boot: BootControl;
  readonly virtualMedia: VirtualMediaControl | undefined;
  readonly inventory: InventoryReader | undefined;
  /** Releases sessions and sockets (Redfish session DELETE, IPMI Close Session). */
  close(): Promise<void>;
}

export interface BmcCredentials {
  readonly username: string;
  readonly password: string;
}

export interface BmcConnectOptions {
  readonly address: string;
  readonly credentials: BmcCredentials;
  /** Skip TLS verification (Metal3 `disableCertificateVerification`). @default false */
  readonly insecure?: boolean;
  /** PEM CA bundle trusted in addition to the system store. */
  readonly caBundle?: string;
  /** Deadline of one operation, including its retries. @default 30_000 */
  readonly timeoutMs?: number;
  /** Deadline of one `setPower` call, which waits for the BMC to report the new state. @default 120_000 */
  readonly powerTimeoutMs?: number;
  /** How long a graceful `off` may take before the driver forces it off. @default 60_000 */
  readonly gracefulShutdownMs?: number;
}
