/**
 * Real clients against `anvil pxe serve` (TFTP only) across a veth pair
 * between two namespaces, under random packet loss made by an nftables
 * `numgen random` drop rule on both ends (no sch_netem in this kernel):
 * 0.5% and 5%. Downloads must complete byte-identically within a bound.
 */
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { firstLogLine } from "../../e2e/framework/log-watch.js";
import { NetnsLab } from "../../e2e/framework/netns.js";

const SERVER = "10.77.0.1";
const IPXE_DIR = "/usr/lib/ipxe";
const sha = (p: string): string => createHash("sha256").update(readFileSync(p)).digest("hex");

let lab: NetnsLab;
let srv: string;
let cli: string;

beforeAll(async () => {
  lab = new NetnsLab();
  srv = await lab.namespace("srv");
  cli = await lab.namespace("cli");
  await lab.veth({ ns: srv, ifname: "srv0", cidr: `${SERVER}/24` }, { ns: cli, ifname: "cli0", cidr: "10.77.0.2/24" });
  writeFileSync(path.join(lab.dir, "hosts.yaml"), "hosts: []\n");
  const config = path.join(lab.dir, "pxe.yaml");
  writeFileSync(
    config,
    JSON.stringify({
      serverAddress: SERVER,
      hostsFile: "hosts.yaml",
      dhcp: { mode: "off" },
      // A short retransmission interval keeps lock-step transfers quick under 5% loss.
      tftp: { timeoutMs: 250, maxRetries: 10 },
      http: { enabled: false },
    }),
  );
  const proc = lab.startNode(srv, { name: "anvil-pxe", entry: "cmd/anvil.ts", args: ["pxe", "serve", "--config", config] });
  await firstLogLine(proc.logFile, /"event":"ready"/, {
    timeoutMs: 60_000,
    abort: () => (proc.child.exitCode === null ? undefined : `anvil pxe serve exited:\n${proc.tail()}`),
  });
});

afterAll(async () => {
  await lab?.cleanup();
});

type Case = [file: string, client: string, cmd: string, args: (out: string) => string[]];
const CASES: Case[] = [
  ["undionly.kpxe", "tftp-hpa (RFC 1350 lock-step)", "tftp", (out) => ["-m", "binary", SERVER, "-c", "get", "undionly.kpxe", out]],
  ["ipxe.efi", "atftp blksize 1468 windowsize 4 tsize 0 (EDK2's options)", "atftp", (out) => ["--option", "blksize 1468", "--option", "windowsize 4", "--option", "tsize 0", "-g", "-r", "ipxe.efi", "-l", out, SERVER]],
  ["snponly.efi", "atftp blksize 1432 tsize 0 (iPXE's options)", "atftp", (out) => ["--option", "blksize 1432", "--option", "tsize 0", "-g", "-r", "snponly.efi", "-l", out, SERVER]],
  ["ipxe.efi", "curl blksize 1468", "curl", (out) => ["-sS", "--fail", "--max-time", "90", "--tftp-blksize", "1468", "-o", out, `tftp://${SERVER}/ipxe.efi`]],
];

describe.each([
  ["0.5%", 5],
  ["5%", 50],
])("under %s random loss in both directions", (_label, permille) => {
  beforeAll(async () => {
    await lab.dropPackets(srv, { permille });
    await lab.dropPackets(cli, { permille });
  });

  it.each(CASES)("%s arrives byte-identical with %s", async (file, _client, cmd, args) => {
    const out = path.join(lab.dir, `${permille}-${cmd}-${file}`);
    const started = Date.now();
    await lab.exec(cli, cmd, args(out), { timeoutMs: 100_000 });
    expect(sha(out)).toBe(sha(path.join(IPXE_DIR, file)));
    expect(Date.now() - started).toBeLessThan(100_000);
  });

  it("really dropped packets", async () => {
    const dropped = (await lab.droppedPackets(srv)) + (await lab.droppedPackets(cli));
    expect(dropped).toBeGreaterThan(0);
  });
});
