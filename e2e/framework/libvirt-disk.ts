/**
 * Disk files for lab VMs that must boot an installed OS without going
 * through the ramdisk first: the test OS image (test-os-image.ts) plus a
 * `config-2` FAT partition (mtools writes the label as CONFIG-2; cloud-init
 * takes either case) in the last 64 MiB holding
 * `openstack/latest/user_data` and `meta_data.json` — the layout the deploy
 * agent writes (ramdisk/agent/configdrive.go, after Ironic) — built with
 * sfdisk and mtools inside the file: no loop device, no mount.
 */
import { execFileSync } from "node:child_process";
import { closeSync, copyFileSync, mkdtempSync, openSync, readSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

const MIB = 2 ** 20;
/** Ironic's (and Anvil's agent's) config drive size. */
const CONFIG_DRIVE_BYTES = 64 * MIB;

export interface ConfigDriveDiskOptions {
  /** A bootable raw image (MBR), copied, never written. */
  readonly image: string;
  readonly out: string;
  readonly userData: string;
  readonly metaData: Readonly<Record<string, unknown>>;
}

function run(cmd: string, args: readonly string[], input?: string): string {
  return execFileSync(cmd, [...args], { input, encoding: "utf8", env: { ...process.env, MTOOLS_SKIP_CHECK: "1" }, stdio: ["pipe", "pipe", "pipe"] });
}

/**
 * `out` = `image` + a config drive partition at the end. Returns the
 * partition's byte offset. The image's own partitions are left as they are.
 */
export function configDriveDisk(o: ConfigDriveDiskOptions): number {
  copyFileSync(o.image, o.out);
  const table = JSON.parse(run("sfdisk", ["--json", o.out])) as { partitiontable: { sectorsize?: number; partitions: { start: number; size: number }[] } };
  const sector = table.partitiontable.sectorsize ?? 512;
  const end = Math.max(...table.partitiontable.partitions.map((p) => (p.start + p.size) * sector));
  // 1 MiB alignment (what sfdisk and the agent use), then the partition runs to the end of the file.
  const offset = Math.ceil(end / MIB) * MIB;
  truncateSync(o.out, offset + CONFIG_DRIVE_BYTES);
  // Type 0x0c: FAT32 with LBA (MBR partition type ids).
  run("sfdisk", ["--quiet", "--append", o.out], `start=${offset / sector}, size=${CONFIG_DRIVE_BYTES / sector}, type=c\n`);
  const fs = `${o.out}@@${offset}`;
  run("mformat", ["-i", fs, "-v", "config-2", "::"]);
  const tmp = mkdtempSync(path.join(os.tmpdir(), "anvil-config-drive-"));
  try {
    const userData = path.join(tmp, "user_data");
    const metaData = path.join(tmp, "meta_data.json");
    writeFileSync(userData, o.userData);
    writeFileSync(metaData, JSON.stringify(o.metaData));
    run("mmd", ["-i", fs, "::openstack", "::openstack/latest"]);
    run("mcopy", ["-i", fs, userData, metaData, "::openstack/latest/"]);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return offset;
}

/** The first `bytes` of a VM's disk file: the tests read it to tell an image (or a wipe) from an empty disk. */
export function diskHead(file: string, bytes: number): Buffer {
  const fd = openSync(file, "r");
  try {
    const b = Buffer.alloc(bytes);
    readSync(fd, b, 0, bytes, 0);
    return b;
  } finally {
    closeSync(fd);
  }
}
