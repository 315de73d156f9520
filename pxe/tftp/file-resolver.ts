/**
 * Maps a TFTP filename to a file on disk, confined to the configured root.
 * Two kinds of files are served: a fixed catalogue of trusted names (the iPXE
 * binaries from Debian's `ipxe` package, whose files are symlinks into /boot
 * and so would fail a confinement check) and a static root directory, where
 * every request is checked after symlink resolution (realpath) so that
 * neither `..`, an absolute path nor a symlink can leave it.
 *
 * The look-ups are synchronous, on the event loop, as dnsmasq and tftpd-hpa
 * make them (ADR 0030). A boot storm's requests name a handful of files whose
 * inodes sit in the kernel's cache, so a look-up takes microseconds; through
 * libuv's four pool threads, a burst of 100 requests queued 200 look-ups in
 * order, and the first OACK left only after the last request's realpath.
 */
import { realpathSync, statSync } from "node:fs";
import path from "node:path";
import { TftpErrorCode } from "./packet.js";

export interface ResolvedFile {
  readonly ok: true;
  readonly path: string;
  readonly size: number;
  readonly mtimeMs: number;
}
export interface RefusedFile {
  readonly ok: false;
  readonly code: TftpErrorCode;
  /** Sent to the client: never contains the resolved on-disk path. */
  readonly message: string;
  readonly reason: "absolute" | "traversal" | "bad-name" | "escapes-root" | "not-found" | "not-a-file" | "no-access";
}
export type Resolution = ResolvedFile | RefusedFile;

export interface FileResolverOptions {
  /** Static root directory; requests are confined to it. */
  readonly root?: string;
  /** Exact request names served from trusted paths (e.g. `undionly.kpxe` → `/usr/lib/ipxe/undionly.kpxe`). */
  readonly fixed?: ReadonlyMap<string, string>;
}

const refuse = (code: TftpErrorCode, message: string, reason: RefusedFile["reason"]): RefusedFile => ({ ok: false, code, message, reason });

/** Syntactic checks, before touching the file system. */
export function checkRequestName(name: string): RefusedFile | undefined {
  if (name.startsWith("/") || /^[A-Za-z]:/.test(name)) return refuse(TftpErrorCode.AccessViolation, "Absolute paths are not allowed", "absolute");
  if (name.includes("\\")) return refuse(TftpErrorCode.AccessViolation, "Backslashes are not allowed", "bad-name");
  if (name.split("/").some((part) => part === "..")) return refuse(TftpErrorCode.AccessViolation, "Path traversal is not allowed", "traversal");
  return undefined;
}

export class FileResolver {
  private realRoot: string | undefined;

  constructor(private readonly opts: FileResolverOptions) {}

  resolve(name: string): Resolution {
    const fixed = this.opts.fixed?.get(name);
    if (fixed !== undefined) return statFile(fixed);
    const bad = checkRequestName(name);
    if (bad) return bad;
    if (this.opts.root === undefined) return refuse(TftpErrorCode.FileNotFound, "File not found", "not-found");
    let root: string;
    try {
      // Kept once found; a root that is missing now is looked for again next time.
      root = this.realRoot ??= realpathSync.native(this.opts.root);
    } catch {
      return refuse(TftpErrorCode.FileNotFound, "File not found", "not-found");
    }
    let real: string;
    try {
      real = realpathSync.native(path.join(root, name));
    } catch (err) {
      return fsRefusal(err);
    }
    if (real !== root && !real.startsWith(root.endsWith(path.sep) ? root : root + path.sep)) {
      return refuse(TftpErrorCode.AccessViolation, "Access violation", "escapes-root");
    }
    return statFile(real);
  }
}

function statFile(p: string): Resolution {
  try {
    const st = statSync(p);
    if (!st.isFile()) return refuse(TftpErrorCode.FileNotFound, "Not a regular file", "not-a-file");
    return { ok: true, path: p, size: st.size, mtimeMs: st.mtimeMs };
  } catch (err) {
    return fsRefusal(err);
  }
}

function fsRefusal(err: unknown): RefusedFile {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === "EACCES" || code === "EPERM") return refuse(TftpErrorCode.AccessViolation, "Access violation", "no-access");
  return refuse(TftpErrorCode.FileNotFound, "File not found", "not-found");
}
