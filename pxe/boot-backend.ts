/**
 * The one question the DHCP, TFTP and HTTP services ask: "what should the
 * machine with this MAC boot now?". The file backend (pxe/backends/) and the
 * Kubernetes backend (the host controller's) both answer it. An unknown MAC is
 * a normal outcome (`undefined`), never an error.
 */

/** What a known machine should do at its next network boot. */
export type BootAction =
  /** Boot Anvil's deploy ramdisk; the token authenticates the agent for this host only. */
  | {
      readonly kind: "ramdisk";
      readonly token: string;
      readonly kernelUrl: string;
      readonly initrdUrl: string;
      readonly kernelArgs?: string;
    }
  /** Boot from the local disk (iPXE `sanboot`/`exit`, works on BIOS and UEFI). */
  | { readonly kind: "local-disk" }
  /** Known, but should not network-boot now: DHCP may still lease, no boot file is offered. */
  | { readonly kind: "none" };

/** Addressing for reservation mode (RFC 2131 yiaddr and options 1, 3, 6, 51). */
export interface Reservation {
  readonly ip: string;
  readonly subnetMask?: string;
  readonly router?: string;
  readonly dnsServers?: readonly string[];
  readonly hostname?: string;
  readonly leaseSeconds?: number;
}

export interface BootRecord {
  /** Lower-case colon-separated MAC, e.g. `52:54:00:12:34:56`. */
  readonly mac: string;
  /** A stable name for logs and metrics (the BareMetalHost's namespace/name). */
  readonly hostName: string;
  readonly reservation?: Reservation;
  readonly action: BootAction;
}

export interface BootBackend {
  /** `undefined` when the MAC is not a host Anvil manages. */
  byMac(mac: string, signal?: AbortSignal): Promise<BootRecord | undefined>;
  /** The record whose ramdisk token equals `token`, for the agent API (constant-time compared). */
  byToken?(token: string, signal?: AbortSignal): Promise<BootRecord | undefined>;
}

/** Normalises a MAC to lower-case colon form; `undefined` when it is not 6 octets. */
export function normalizeMac(mac: string): string | undefined {
  const hex = mac.toLowerCase().replace(/[^0-9a-f]/g, "");
  if (hex.length !== 12 || !/^[0-9a-f:.-]+$/i.test(mac)) return undefined;
  return hex.match(/../g)!.join(":");
}
