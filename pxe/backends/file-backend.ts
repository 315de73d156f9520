/**
 * The file-backed boot backend of `anvil pxe serve`: a YAML or JSON file of
 * hosts (MAC, name, optional address reservation, boot action), re-read when
 * it changes. A file that fails validation leaves the previous hosts in
 * place and is reported through `lastError`; tokens never appear in errors.
 */
import { timingSafeEqual } from "node:crypto";
import { watch, type FSWatcher } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { parse as parseYaml } from "yaml";
import { normalizeMac, type BootAction, type BootBackend, type BootRecord, type Reservation } from "../boot-backend.js";

export class FileBackendError extends Error {
  constructor(
    readonly code: "HOSTS_FILE_UNREADABLE" | "HOSTS_FILE_INVALID",
    message: string,
  ) {
    super(message);
    this.name = "FileBackendError";
  }
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

function str(o: Obj, key: string, where: string, required: true): string;
function str(o: Obj, key: string, where: string, required?: false): string | undefined;
function str(o: Obj, key: string, where: string, required = false): string | undefined {
  const v = o[key];
  if (v === undefined && !required) return undefined;
  if (typeof v !== "string" || v.length === 0) throw new FileBackendError("HOSTS_FILE_INVALID", `${where}.${key} must be a non-empty string`);
  return v;
}

function ipField(o: Obj, key: string, where: string, required: boolean): string | undefined {
  const v = required ? str(o, key, where, true) : str(o, key, where);
  if (v !== undefined && !IPV4.test(v)) throw new FileBackendError("HOSTS_FILE_INVALID", `${where}.${key} must be an IPv4 address`);
  return v;
}

function parseReservation(v: unknown, where: string): Reservation | undefined {
  if (v === undefined) return undefined;
  if (!isObj(v)) throw new FileBackendError("HOSTS_FILE_INVALID", `${where} must be an object`);
  const dns = v.dnsServers;
  if (dns !== undefined && (!Array.isArray(dns) || dns.some((d) => typeof d !== "string" || !IPV4.test(d)))) {
    throw new FileBackendError("HOSTS_FILE_INVALID", `${where}.dnsServers must be a list of IPv4 addresses`);
  }
  const lease = v.leaseSeconds;
  if (lease !== undefined && (typeof lease !== "number" || !Number.isInteger(lease) || lease < 60)) {
    throw new FileBackendError("HOSTS_FILE_INVALID", `${where}.leaseSeconds must be an integer >= 60`);
  }
  return {
    ip: ipField(v, "ip", where, true)!,
    subnetMask: ipField(v, "subnetMask", where, false),
    router: ipField(v, "router", where, false),
    dnsServers: dns as string[] | undefined,
    hostname: str(v, "hostname", where),
    leaseSeconds: lease,
  };
}

function parseAction(v: unknown, where: string): BootAction {
  if (v === undefined) return { kind: "none" };
  if (!isObj(v)) throw new FileBackendError("HOSTS_FILE_INVALID", `${where} must be an object`);
  switch (v.kind) {
    case "ramdisk":
      return {
        kind: "ramdisk",
        token: str(v, "token", where, true),
        kernelUrl: str(v, "kernelUrl", where, true),
        initrdUrl: str(v, "initrdUrl", where, true),
        kernelArgs: str(v, "kernelArgs", where),
      };
    case "local-disk":
      return { kind: "local-disk" };
    case "none":
      return { kind: "none" };
    default:
      throw new FileBackendError("HOSTS_FILE_INVALID", `${where}.kind must be ramdisk, local-disk or none`);
  }
}

/** Parses the hosts file text (YAML, of which JSON is a subset). Exported for tests. */
export function parseHosts(text: string): Map<string, BootRecord> {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new FileBackendError("HOSTS_FILE_INVALID", `not YAML/JSON: ${(err as Error).message.split("\n")[0]}`);
  }
  const list = isObj(doc) ? doc.hosts : undefined;
  if (!Array.isArray(list)) throw new FileBackendError("HOSTS_FILE_INVALID", "top level must be an object with a `hosts` list");
  const out = new Map<string, BootRecord>();
  const names = new Set<string>();
  for (const [i, h] of list.entries()) {
    const where = `hosts[${i}]`;
    if (!isObj(h)) throw new FileBackendError("HOSTS_FILE_INVALID", `${where} must be an object`);
    const mac = normalizeMac(str(h, "mac", where, true));
    if (!mac) throw new FileBackendError("HOSTS_FILE_INVALID", `${where}.mac is not a MAC address`);
    if (out.has(mac)) throw new FileBackendError("HOSTS_FILE_INVALID", `${where}.mac ${mac} appears twice`);
    const hostName = str(h, "name", where) ?? mac;
    if (names.has(hostName)) throw new FileBackendError("HOSTS_FILE_INVALID", `${where}.name ${hostName} appears twice`);
    names.add(hostName);
    out.set(mac, { mac, hostName, reservation: parseReservation(h.reservation, `${where}.reservation`), action: parseAction(h.boot, `${where}.boot`) });
  }
  return out;
}

export interface FileBackendOptions {
  /** Re-read the file when it changes. @default true */
  readonly watch?: boolean;
  /** Called after every reload attempt; `error` is set when the new file was rejected. */
  readonly onReload?: (hosts: number, error?: FileBackendError) => void;
}

export class FileBackend implements BootBackend {
  private hosts = new Map<string, BootRecord>();
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private reloading: Promise<void> = Promise.resolve();
  /** Why the last reload was rejected; cleared by a good one. */
  lastError: FileBackendError | undefined;

  private constructor(
    readonly file: string,
    private readonly opts: FileBackendOptions,
  ) {}

  /** Loads the file (it must be valid at start) and watches it. */
  static async open(file: string, opts: FileBackendOptions = {}): Promise<FileBackend> {
    const b = new FileBackend(path.resolve(file), opts);
    b.hosts = await b.read();
    if (opts.watch ?? true) b.startWatching();
    return b;
  }

  private async read(): Promise<Map<string, BootRecord>> {
    let text: string;
    try {
      text = await readFile(this.file, "utf8");
    } catch (err) {
      throw new FileBackendError("HOSTS_FILE_UNREADABLE", `${this.file}: ${(err as NodeJS.ErrnoException).code ?? "read failed"}`);
    }
    return parseHosts(text);
  }

  /** Re-reads now; keeps the old hosts when the file is invalid. */
  reload(): Promise<void> {
    this.reloading = this.reloading.then(async () => {
      try {
        this.hosts = await this.read();
        this.lastError = undefined;
        this.opts.onReload?.(this.hosts.size);
      } catch (err) {
        this.lastError = err instanceof FileBackendError ? err : new FileBackendError("HOSTS_FILE_INVALID", "reload failed");
        this.opts.onReload?.(this.hosts.size, this.lastError);
      }
    });
    return this.reloading;
  }

  // Watch the directory, not the file: editors and atomic writers replace the file by rename.
  private startWatching(): void {
    const base = path.basename(this.file);
    this.watcher = watch(path.dirname(this.file), (_event, name) => {
      if (name !== null && name !== base) return;
      clearTimeout(this.timer);
      this.timer = setTimeout(() => void this.reload(), 50);
    });
  }

  byMac(mac: string): Promise<BootRecord | undefined> {
    const key = normalizeMac(mac);
    return Promise.resolve(key === undefined ? undefined : this.hosts.get(key));
  }

  byToken(token: string): Promise<BootRecord | undefined> {
    const want = Buffer.from(token);
    let found: BootRecord | undefined;
    // Compare against every token in constant time per comparison, and never stop early.
    for (const r of this.hosts.values()) {
      if (r.action.kind !== "ramdisk") continue;
      const have = Buffer.from(r.action.token);
      if (have.length === want.length && timingSafeEqual(have, want)) found = r;
    }
    return Promise.resolve(found);
  }

  /** Every host, for listings and tests. */
  all(): readonly BootRecord[] {
    return [...this.hosts.values()];
  }

  close(): void {
    clearTimeout(this.timer);
    this.watcher?.close();
  }
}
