/**
 * Maps a TFTP filename to a file on disk, confined to the configured root.
 * Two kinds of files are served: a fixed catalogue of trusted names (the iPXE
 * binaries from Debian's `ipxe` package, whose files are symlinks into /boot
 * and so would fail a confinement check) and a static root directory, where
 * every request is checked after symlink resolution (realpath) so that
 * neither `..`, an absolute path nor a symlink can leave it.
 */
import { realpath, stat } from "node:fs/promises";
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
  private realRoot: Promise<string> | undefined;

  constructor(private readonly opts: FileResolverOptions) {}

  async resolve(name: string): Promise<Resolution> {
    const fixed = this.opts.fixed?.get(name);
    if (fixed !== undefined) return statFile(fixed);
    const bad = checkRequestName(name);
    if (bad) return bad;
    if (this.opts.root === undefined) return refuse(TftpErrorCode.FileNotFound, "File not found", "not-found");
    this.realRoot ??= realpath(this.opts.root);
    let root: string;
    try {
      root = await this.realRoot;
    } catch {
      this.realRoot = undefined;
      return refuse(TftpErrorCode.FileNotFound, "File not found", "not-found");
    }
    let real: string;
    try {
      real = await realpath(path.join(root, name));
    } catch (err) {
      return fsRefusal(err);
    }
    if (real !== root && !real.startsWith(root.endsWith(path.sep) ? root : root + path.sep)) {
      return refuse(TftpErrorCode.AccessViolation, "Access violation", "escapes-root");
    }
    return statFile(real);
  }
}

async function statFile(p: string): Promise<Resolution> {
  try {
    const st = await stat(p);
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
