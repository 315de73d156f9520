/**
 * iPXE scripts: the entry script every netbooting iPXE fetches first, and the
 * per-MAC script that carries out the boot backend's answer. Pure functions.
 *
 * iPXE facts these scripts depend on (iPXE docs, "Commands" and "Settings"):
 * - `${netX/mac:hexhyp}` is the MAC of the interface iPXE last opened (the one
 *   that booted), printed as `52-54-00-12-34-56`, safe inside a URL path.
 * - Every registered image that is not the kernel is handed to Linux as an
 *   initrd, so the scripts that led here are freed first (`imgfree`, and
 *   `chain --autofree` in the entry script).
 * - Debian's EFI iPXE only passes an initrd the kernel command line names
 *   (`initrd=<name>`), so the initrd gets an explicit `--name`.
 * - `${platform}` is `pcbios` or `efi`: BIOS boots the first disk with
 *   `sanboot --drive 0x80`; UEFI leaves iPXE with `exit` and the firmware
 *   goes on to the next boot option (the disk).
 */
import type { BootRecord } from "../boot-backend.js";
import { PxeHttpError } from "./errors.js";

export const INITRD_NAME = "initrd.img";

/** Characters that could end an iPXE argument or start a setting expansion. */
const UNSAFE_IN_SCRIPT = /[\s"'\\${}|&;#]/;
const SAFE_TOKEN = /^[A-Za-z0-9._~+/=-]+$/;

function safeUrl(what: string, url: string): string {
  if (url.length === 0 || UNSAFE_IN_SCRIPT.test(url)) throw new PxeHttpError("PXE_HTTP_UNSAFE_SCRIPT_VALUE", `${what} contains characters iPXE would misread`);
  return url;
}

function comment(s: string): string {
  return s.replace(/[^A-Za-z0-9._/:@-]/g, "_");
}

/** The script `/boot.ipxe` returns: chain to this machine's own script. */
export function entryScript(baseUrl: string): string {
  return ["#!ipxe", `chain --autofree ${safeUrl("base URL", baseUrl)}/ipxe/\${netX/mac:hexhyp} || exit`, ""].join("\n");
}

export interface HostScriptContext {
  /** Where the agent reaches Anvil, e.g. `http://10.0.0.1:8080`. */
  readonly baseUrl: string;
}

/**
 * The base URL the deploy agent appends its paths to (`/instructions`,
 * `/inventory`, ... — ramdisk/agent/client.go), so it must already name the
 * host: the server routes agent calls under `/agent/v1/hosts/<mac>` and checks
 * that the token belongs to that MAC (agent-auth.ts). The record's MAC, not
 * iPXE's `${netX/mac}`, because the token is bound to the record's MAC even
 * when the machine booted through another NIC. Hyphen form: no `:` in a path.
 */
export function agentApiUrl(baseUrl: string, mac: string): string {
  return `${safeUrl("base URL", baseUrl)}/agent/v1/hosts/${mac.toLowerCase().replace(/:/g, "-")}`;
}

/** The script `/ipxe/<mac>` returns for a known machine. */
export function hostScript(record: BootRecord, ctx: HostScriptContext): string {
  const action = record.action;
  switch (action.kind) {
    case "ramdisk": {
      if (!SAFE_TOKEN.test(action.token)) throw new PxeHttpError("PXE_HTTP_UNSAFE_SCRIPT_VALUE", `the token of ${record.hostName} contains characters iPXE would misread`);
      const extra = action.kernelArgs?.trim() ?? "";
      if (/[\r\n]/.test(extra)) throw new PxeHttpError("PXE_HTTP_UNSAFE_SCRIPT_VALUE", `kernel arguments of ${record.hostName} contain a line break`);
      const args = [
        `initrd=${INITRD_NAME}`,
        // pxelinux's BOOTIF convention: the agent finds its boot interface by it.
        "BOOTIF=01-${netX/mac:hexhyp}",
        `anvil.api=${agentApiUrl(ctx.baseUrl, record.mac)}`,
        `anvil.token=${action.token}`,
        ...(extra ? [extra] : []),
      ].join(" ");
      return [
        "#!ipxe",
        `# Anvil: deploy ramdisk for ${comment(record.hostName)}`,
        "imgfree",
        `kernel ${safeUrl("kernel URL", action.kernelUrl)} ${args} || goto failed`,
        `initrd --name ${INITRD_NAME} ${safeUrl("initrd URL", action.initrdUrl)} || goto failed`,
        "boot || goto failed",
        ":failed",
        "echo Anvil: ramdisk boot failed, trying again in 10 s",
        "sleep 10",
        `chain --autofree ${ctx.baseUrl}/ipxe/\${netX/mac:hexhyp} || exit`,
        "",
      ].join("\n");
    }
    case "local-disk":
      return [
        "#!ipxe",
        `# Anvil: local disk for ${comment(record.hostName)}`,
        "iseq ${platform} efi && goto uefi ||",
        "sanboot --no-describe --drive 0x80 || exit",
        ":uefi",
        "exit",
        "",
      ].join("\n");
    case "none":
      return ["#!ipxe", `# Anvil: nothing to boot for ${comment(record.hostName)}`, "exit", ""].join("\n");
  }
}
