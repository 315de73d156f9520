/**
 * Real clients against `anvil pxe serve` (TFTP only) across a veth pair
 * between two namespaces, under random packet loss made by an nftables
 * `numgen random` drop rule on both ends (no sch_netem in this kernel):
 * 0.5% and 5%. Downloads must complete byte-identically within a bound, from
 * both engines (ADR 0028): one server with the native pump on port 69, one
 * with read-transfer.ts on port 1069. The second runs with --log-level
 * debug, so the two logs show both levels.
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
const ENGINES = [
  ["native", 69, "info"],
  ["js", 1069, "debug"],
] as const;
const logFiles = new Map<string, string>();

beforeAll(async () => {
  lab = new NetnsLab();
  srv = await lab.namespace("srv");
  cli = await lab.namespace("cli");
  await lab.veth({ ns: srv, ifname: "srv0", cidr: `${SERVER}/24` }, { ns: cli, ifname: "cli0", cidr: "10.77.0.2/24" });
  writeFileSync(path.join(lab.dir, "hosts.yaml"), "hosts: []\n");
  for (const [engine, port, level] of ENGINES) {
    const config = path.join(lab.dir, `pxe-${engine}.yaml`);
    writeFileSync(
      config,
      JSON.stringify({
        serverAddress: SERVER,
        hostsFile: "hosts.yaml",
        dhcp: { mode: "off" },
        // A short retransmission interval keeps lock-step transfers quick under 5% loss.
        tftp: { port, timeoutMs: 250, maxRetries: 10, engine },
        http: { enabled: false },
      }),
    );
    const proc = lab.startNode(srv, { name: `anvil-pxe-${engine}`, entry: "cmd/anvil.ts", args: ["pxe", "serve", "--config", config, "--log-level", level] });
    logFiles.set(engine, proc.logFile);
    await firstLogLine(proc.logFile, new RegExp(`"event":"ready".*"tftpEngine":"${engine}"`), {
      timeoutMs: 60_000,
      abort: () => (proc.child.exitCode === null ? undefined : `anvil pxe serve (${engine}) exited:\n${proc.tail()}`),
    });
  }
});

afterAll(async () => {
  await lab?.cleanup();
});

type Case = [file: string, client: string, cmd: string, args: (out: string, port: number) => string[]];
const CLIENTS: Case[] = [
  ["undionly.kpxe", "tftp-hpa (RFC 1350 lock-step)", "tftp", (out, port) => ["-m", "binary", SERVER, String(port), "-c", "get", "undionly.kpxe", out]],
  ["ipxe.efi", "atftp blksize 1468 windowsize 4 tsize 0 (EDK2's options)", "atftp", (out, port) => ["--option", "blksize 1468", "--option", "windowsize 4", "--option", "tsize 0", "-g", "-r", "ipxe.efi", "-l", out, SERVER, String(port)]],
  ["snponly.efi", "atftp blksize 1432 tsize 0 (iPXE's options)", "atftp", (out, port) => ["--option", "blksize 1432", "--option", "tsize 0", "-g", "-r", "snponly.efi", "-l", out, SERVER, String(port)]],
  ["ipxe.efi", "curl blksize 1468", "curl", (out, port) => ["-sS", "--fail", "--max-time", "90", "--tftp-blksize", "1468", "-o", out, `tftp://${SERVER}:${port}/ipxe.efi`]],
];
const CASES = ENGINES.flatMap(([engine, port]) => CLIENTS.map(([file, client, cmd, args]) => [file, client, engine, port, cmd, args] as const));

describe.each([
  ["0.5%", 5],
  ["5%", 50],
])("under %s random loss in both directions", (_label, permille) => {
  beforeAll(async () => {
    await lab.dropPackets(srv, { permille });
    await lab.dropPackets(cli, { permille });
  });

  it.each(CASES)("%s arrives byte-identical with %s from the %s engine", async (file, _client, engine, port, cmd, args) => {
    const out = path.join(lab.dir, `${permille}-${engine}-${cmd}-${file}`);
    const started = Date.now();
    await lab.exec(cli, cmd, args(out, port), { timeoutMs: 100_000 });
    expect(sha(out)).toBe(sha(path.join(IPXE_DIR, file)));
    expect(Date.now() - started).toBeLessThan(100_000);
  });

  it("really dropped packets", async () => {
    const dropped = (await lab.droppedPackets(srv)) + (await lab.droppedPackets(cli));
    expect(dropped).toBeGreaterThan(0);
  });
});

describe("the log of `anvil pxe serve`", () => {
  const events = (engine: string): { event?: string; client?: string; file?: string; outcome?: string; options?: Record<string, string> }[] =>
    readFileSync(logFiles.get(engine)!, "utf8")
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as { event?: string });

  it.each([
    ["info", "native", false],
    ["debug", "js", true],
  ])("at --log-level %s (the %s engine's server) has one transfer-end per transfer, with its options, and a transfer-start for each only at debug: %s", async (_level, engine, starts) => {
    const out = path.join(lab.dir, `log-${engine}.efi`);
    const port = ENGINES.find(([e]) => e === engine)![1];
    await lab.dropPackets(srv, { permille: 0 });
    await lab.dropPackets(cli, { permille: 0 });
    await lab.exec(cli, "curl", ["-sS", "--fail", "--max-time", "30", "--tftp-blksize", "1468", "-o", out, `tftp://${SERVER}:${port}/snponly.efi`], { timeoutMs: 40_000 });
    // Lines go out once per event-loop turn (cmd/json-lines.ts): wait for the one this transfer ended with.
    await firstLogLine(logFiles.get(engine)!, /"event":"transfer-end".*"file":"snponly.efi","options":\{"blksize":"1468"/, { timeoutMs: 10_000 });
    const all = events(engine);
    // The loss cases before fetched snponly.efi with atftp's blksize 1432: this is curl's, asking 1468.
    const mine = all.filter((e) => e.file === "snponly.efi" && e.options?.blksize === "1468");
    const ends = mine.filter((e) => e.event === "transfer-end");
    expect(ends.length).toBeGreaterThanOrEqual(1);
    expect(ends.at(-1)).toMatchObject({ outcome: "completed", options: { blksize: "1468", tsize: String(readFileSync(path.join(IPXE_DIR, "snponly.efi")).length) } });
    // Every ended transfer was announced at debug, none at info.
    const startedClients = new Set(all.filter((e) => e.event === "transfer-start").map((e) => e.client));
    const endedClients = all.filter((e) => e.event === "transfer-end").map((e) => e.client);
    if (starts) expect(endedClients.filter((c) => !startedClients.has(c))).toEqual([]);
    else expect(startedClients.size).toBe(0);
  });
});
