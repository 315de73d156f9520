/**
 * The netboot decision: given what kind of client asked and what its host
 * should boot, which file or URL to offer. Pure: no sockets, no backend.
 */
import type { BootRecord } from "../boot-backend.js";
import { Arch, type ClientKind } from "./client-kind.js";
import type { DhcpConfig } from "./config.js";

export type BootChoice =
  /**
   * A PXE ROM: fetch an iPXE binary over TFTP from siaddr. `userClass` goes
   * into the reply as option 77: the ROM keeps the reply as its cached
   * DHCPACK (PXE spec 2.1 PXENV_GET_CACHED_INFO), iPXE's BIOS builds read that
   * packet as their first settings and send its user class in their own
   * requests (iPXE src/arch/x86/core/cachedhcp.c, `dhcp_request_settings` in
   * src/net/udp/dhcp.c), so the binary Anvil served asks again as Anvil's
   * (ADR 0024).
   */
  | { readonly kind: "tftp"; readonly file: string; readonly userClass: string }
  /** UEFI HTTP boot: the URL of an EFI binary; option 60 `HTTPClient` must be echoed (UEFI 2.x §24.7.2). */
  | { readonly kind: "http"; readonly url: string }
  /** iPXE already runs: hand it Anvil's script over HTTP. */
  | { readonly kind: "script"; readonly url: string }
  | { readonly kind: "none"; readonly reason: "not-netboot" | "boot-none" | "unsupported-arch" };

function tftpFileFor(arch: number, cfg: DhcpConfig): string | undefined {
  switch (arch) {
    case Arch.X86Bios:
      return cfg.bootFiles.bios;
    case Arch.EfiIa32:
    case Arch.EfiBc:
    case Arch.EfiX64:
      return cfg.bootFiles.uefiX64;
    case Arch.EfiArm64:
      return cfg.bootFiles.uefiArm64;
    default:
      return undefined;
  }
}

function httpFileFor(arch: number, cfg: DhcpConfig): string | undefined {
  switch (arch) {
    case Arch.EfiX64Http:
    case Arch.EfiIa32:
    case Arch.EfiBc:
    case Arch.EfiX64:
      return cfg.bootFiles.uefiX64;
    case Arch.EfiArm64Http:
    case Arch.EfiArm64:
      return cfg.bootFiles.uefiArm64;
    default:
      return undefined;
  }
}

export function scriptUrlFor(mac: string, cfg: DhcpConfig): string {
  return cfg.scriptUrl.replaceAll("{mac}", mac);
}

export function chooseBoot(client: ClientKind, record: BootRecord, cfg: DhcpConfig): BootChoice {
  if (!client.netboot) return { kind: "none", reason: "not-netboot" };
  if (record.action.kind === "none") return { kind: "none", reason: "boot-none" };
  // The chainload loop ends here: a ROM loads iPXE, iPXE asks again with Anvil's user class (handed to it
  // in the ROM's reply, see BootChoice) and gets the script.
  const anvilIpxe = client.userClasses.includes(cfg.anvilUserClass);
  if (anvilIpxe || (client.ipxe && !cfg.chainloadForeignIpxe)) return { kind: "script", url: scriptUrlFor(record.mac, cfg) };
  // RFC 4578 §2.1: a PXE client must send option 93; without it the BIOS default is the only safe guess.
  const arch = client.arch ?? Arch.X86Bios;
  if (client.vendorClass === "HTTPClient") {
    const file = httpFileFor(arch, cfg);
    return file ? { kind: "http", url: `${cfg.httpBaseUrl}/${file}` } : { kind: "none", reason: "unsupported-arch" };
  }
  const file = tftpFileFor(arch, cfg);
  return file ? { kind: "tftp", file, userClass: cfg.anvilUserClass } : { kind: "none", reason: "unsupported-arch" };
}
