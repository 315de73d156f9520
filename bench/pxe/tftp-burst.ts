/**
 * TFTP boot-storm latency: N read requests sent at once, each from its own
 * port, and the time until each request's OACK comes back. This is what a
 * rack that powers on together asks of the server: every machine's firmware
 * asks for the same iPXE binary within a few milliseconds. The throughput
 * bench (tftp-throughput.ts) measures the blocks that follow; this one
 * measures how soon each transfer starts.
 *
 * Servers: Anvil (`anvil pxe serve`, native pump), tftpd-hpa 5.2 and
 * dnsmasq's TFTP, on their own addresses of one namespace, and with
 * `--baseline DIR` a second Anvil from another checkout. The client
 * namespace runs a small Python program (written into the lab directory). It
 * opens N UDP sockets, sends N RRQs asking `blksize 1468 tsize 0`, as EDK2
 * and iPXE ask, records when each socket's first answer arrives, and
 * answers each with ERROR 0. EDK2 does the same after its size probe, so no
 * transfer lingers into the next burst. Every request must get an OACK.
 *
 * Rounds are interleaved: each round bursts every server once, starting one
 * further along the list, after an unmeasured warm-up burst each.
 *
 *   npx tsx bench/pxe/tftp-burst.ts [--rounds 15] [--requests 100] [--baseline DIR]
 */
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { loadavg } from "node:os";
import { parseArgs } from "node:util";
import { firstLogLine } from "../../e2e/framework/log-watch.js";
import { NetnsLab } from "../../e2e/framework/netns.js";
import { tftpBenchLab } from "./tftp-lab.js";

const { values } = parseArgs({
  options: {
    rounds: { type: "string", default: "15" },
    requests: { type: "string", default: "100" },
    baseline: { type: "string" },
  },
});
const ROUNDS = Number(values.rounds);
const REQUESTS = Number(values.requests);
if (!Number.isInteger(ROUNDS) || ROUNDS < 1 || ROUNDS > 200) throw new Error(`--rounds takes 1-200, got ${values.rounds}`);
if (!Number.isInteger(REQUESTS) || REQUESTS < 1 || REQUESTS > 1000) throw new Error(`--requests takes 1-1000, got ${values.requests}`);
const BASELINE = values.baseline === undefined ? undefined : path.resolve(values.baseline);

type ServerName = "anvil" | "tftpd-hpa" | "dnsmasq" | "anvil-base";
const SERVERS: readonly { name: ServerName; ip: string }[] = [
  { name: "anvil", ip: "10.78.0.1" },
  { name: "tftpd-hpa", ip: "10.78.0.2" },
  { name: "dnsmasq", ip: "10.78.0.3" },
  ...(BASELINE ? [{ name: "anvil-base" as const, ip: "10.78.0.4" }] : []),
];
/** The whole burst is abandoned after this long: a request without an OACK by then counts as unanswered. */
const BURST_LIMIT_MS = 5000;

/**
 * The client, run with Debian's python3 (a peer already: scripts/peers/debian.sh)
 * in the client namespace. Python's sendto(2) in a loop puts all N requests on
 * the wire within about half a millisecond, where Node's asynchronous sends
 * took 2-3 ms. It prints one JSON line: each request's OACK delay in ms, or
 * null when none came within the limit.
 */
const CLIENT = `
import json, select, socket, sys, time
ip, n, name = sys.argv[1], int(sys.argv[2]), sys.argv[3]
rrq = b"\\x00\\x01" + name.encode() + b"\\x00octet\\x00blksize\\x001468\\x00tsize\\x000\\x00"
abort = b"\\x00\\x05\\x00\\x00abort\\x00"
socks = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(n)]
ep = select.epoll()
index = {}
for i, s in enumerate(socks):
    s.setblocking(False)
    ep.register(s.fileno(), select.EPOLLIN)
    index[s.fileno()] = i
delays = [None] * n
answered = 0
t0 = time.perf_counter()
for s in socks:
    s.sendto(rrq, (ip, 69))
while answered < n and time.perf_counter() - t0 < ${BURST_LIMIT_MS / 1000}:
    for fd, _ in ep.poll(0.01):
        i = index[fd]
        try:
            _, addr = socks[i].recvfrom(2048)
        except BlockingIOError:
            continue
        if delays[i] is None:
            delays[i] = (time.perf_counter() - t0) * 1000
            answered += 1
            socks[i].sendto(abort, addr)
print(json.dumps(delays))
`;

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
};
const quantile = (sorted: readonly number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))] ?? Number.NaN;

interface BurstFigures {
  first: number;
  median: number;
  p90: number;
  last: number;
  answered: number;
}

async function main(): Promise<void> {
  const lab = new NetnsLab();
  try {
    const { srv, cli, root } = await tftpBenchLab(lab, SERVERS.map((s) => s.ip));
    // iPXE's EFI binary is about 1 MiB; the bytes do not matter, only that the file is served.
    writeFileSync(path.join(root, "ipxe.efi"), randomBytes(1024 * 1024));
    writeFileSync(path.join(lab.dir, "hosts.yaml"), "hosts: []\n");
    const client = path.join(lab.dir, "burst-client.py");
    writeFileSync(client, CLIENT);

    const startAnvil = async (name: ServerName, ip: string, checkout: string): Promise<void> => {
      const config = path.join(lab.dir, `pxe-${name}.yaml`);
      writeFileSync(config, JSON.stringify({ serverAddress: ip, hostsFile: "hosts.yaml", dhcp: { mode: "off" }, tftp: { root, maxBlockSize: 65464 }, http: { enabled: false } }));
      const proc = lab.startNode(srv, { name, entry: path.join(checkout, "cmd/anvil.ts"), args: ["pxe", "serve", "--config", config] });
      await firstLogLine(proc.logFile, /"event":"ready"/, { timeoutMs: 60_000, abort: () => (proc.child.exitCode === null ? undefined : `${name} exited:\n${proc.tail()}`) });
    };
    await startAnvil("anvil", "10.78.0.1", ".");
    if (BASELINE) await startAnvil("anvil-base", "10.78.0.4", BASELINE);
    lab.start(srv, { name: "tftpd-hpa", command: "/usr/sbin/in.tftpd", args: ["-L", "-a", "10.78.0.2:69", "-u", "root", "-B", "65464", "-s", root] });
    lab.start(srv, {
      name: "dnsmasq",
      command: "/usr/sbin/dnsmasq",
      args: ["--no-daemon", "--conf-file=/dev/null", "--port=0", "--listen-address=10.78.0.3", "--bind-interfaces", "--enable-tftp", `--tftp-root=${root}`, "--tftp-max=1000", "--user=root", "--pid-file="],
    });
    await new Promise((r) => setTimeout(r, 1000));

    const burst = async (ip: string): Promise<(number | null)[]> => {
      const r = await lab.exec(cli, "/usr/bin/python3", [client, ip, String(REQUESTS), "ipxe.efi"], { timeoutMs: BURST_LIMIT_MS + 30_000 });
      const delays = JSON.parse(r.stdout.trim()) as (number | null)[];
      // A forking server's children and Anvil's aborted transfers end at their clients' ERROR; give them a moment.
      await new Promise((res) => setTimeout(res, 300));
      return delays;
    };
    for (const s of SERVERS) await burst(s.ip);

    const loadBefore = loadavg().map((l) => l.toFixed(1)).join(" ");
    const rounds = new Map<ServerName, BurstFigures[]>(SERVERS.map((s) => [s.name, []]));
    for (let round = 0; round < ROUNDS; round++) {
      for (let k = 0; k < SERVERS.length; k++) {
        const s = SERVERS[(round + k) % SERVERS.length]!;
        const delays = await burst(s.ip);
        const got = delays.filter((d): d is number => d !== null).sort((a, b) => a - b);
        rounds.get(s.name)!.push({ first: got[0] ?? Number.NaN, median: quantile(got, 0.5), p90: quantile(got, 0.9), last: got.at(-1) ?? Number.NaN, answered: got.length });
      }
    }
    const loadAfter = loadavg().map((l) => l.toFixed(1)).join(" ");

    const fig = (name: ServerName, key: keyof BurstFigures): number => median(rounds.get(name)!.map((r) => r[key]));
    const out: string[] = [];
    out.push(`TFTP burst: ${REQUESTS} RRQs at once (blksize 1468 tsize 0, a 1 MiB file), each OACK timed by the client; median of ${ROUNDS} rounds; veth between two namespaces`);
    out.push(`load average (1/5/15 min) at start ${loadBefore}, at end ${loadAfter}${BASELINE ? `; anvil-base = ${BASELINE}` : ""}`);
    out.push(["server", "answered", "first ms", "median ms", "p90 ms", "last ms", ...(SERVERS.filter((s) => s.name !== "anvil").map((s) => `${s.name}/anvil (last)`))].join("\t"));
    for (const s of SERVERS) {
      const answered = Math.min(...rounds.get(s.name)!.map((r) => r.answered));
      const ratios = s.name === "anvil" ? SERVERS.filter((o) => o.name !== "anvil").map((o) => (fig(o.name, "last") / fig("anvil", "last")).toFixed(2)) : SERVERS.filter((o) => o.name !== "anvil").map(() => "");
      out.push([s.name, `${answered}/${REQUESTS}`, ...(["first", "median", "p90", "last"] as const).map((k) => fig(s.name, k).toFixed(2)), ...ratios].join("\t"));
    }
    out.push("(ratios above 1: Anvil's last OACK came sooner; `answered` is the fewest OACKs of any round)");
    process.stdout.write(`${out.join("\n")}\n`);
    const short = SERVERS.filter((s) => rounds.get(s.name)!.some((r) => r.answered < REQUESTS)).map((s) => s.name);
    if (short.length > 0) {
      process.stderr.write(`not every request got an OACK from: ${short.join(", ")}\n`);
      process.exitCode = 1;
    }
  } finally {
    await lab.cleanup();
  }
}

await main();
