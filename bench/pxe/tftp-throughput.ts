/**
 * TFTP throughput: Anvil vs tftpd-hpa vs dnsmasq, in one run on the same
 * namespaces. A server namespace holds all three on their own addresses
 * (dnsmasq's TFTP port is always 69); a client namespace runs curl, which
 * can run many TFTP transfers at once (`--parallel`). Each case downloads a
 * 1 MiB or 64 MiB file with blksize 1468 (an Ethernet MTU's worth, as
 * firmware asks) by 1 or 100 concurrent clients, and prints MB/s and
 * Anvil's ratio to each anchor. Anvil runs as shipped (the native pump,
 * ADR 0028) and, as `anvil-js`, with its TypeScript engine, and as
 * `anvil-nobusy`, with the pump's busy polling off (ADR 0029).
 *
 * Three clients, each the same for every server:
 *   - curl, which asks `blksize 1468 tsize 0 timeout N` and always runs
 *     lock-step (it has no RFC 7440 windowsize), so every server sends one
 *     block per ACK. Its 100-client rows are one curl process (`--parallel`).
 *   - atftp asking what UEFI firmware (EDK2) asks: `blksize 1468 windowsize 4
 *     tsize 0` (`--windowsize` changes the 4), one process per client. Anvil
 *     grants the window; tftpd-hpa 5.2 and dnsmasq 2.90 do not implement RFC
 *     7440, leave it out of their OACK, and the transfer runs lock-step: what
 *     a UEFI machine gets from each server.
 *   - atftp asking `blksize 1468 tsize 0` and no windowsize (`atftp w1`), as
 *     a BIOS PXE ROM asks, one process per client: lock-step with every
 *     server, and unlike curl's 100 transfers in one process, 100 clients
 *     that each have a process of their own, as 100 machines would.
 * All three grant blksize 1468 (Anvil and tftpd-hpa allow up to 65464,
 * dnsmasq caps at the interface MTU).
 *
 * Beside MB/s each row gives the server's CPU per DATA block: the
 * `task-clock` that `perf stat -p <pid>` counts over the row's rounds (every
 * thread, and every child forked meanwhile: tftpd-hpa forks one per
 * transfer and ignores SIGCHLD, so proc(5)'s cutime never sees them; dnsmasq
 * and Anvil are one process), divided by the blocks delivered. Unlike MB/s
 * it hardly moves with the machine's load, so rows measured at different
 * loads compare. The client's CPU per block (user+sys of the reaped client
 * processes, proc(5), 10 ms ticks) is printed too: client and server share
 * the machine's cores.
 * Without `perf` on the PATH the server CPU columns read "-".
 *
 * Every run is bounded by --max-seconds: a run cut there (100 x 64 MiB on a
 * small machine) is measured by the bytes delivered so far, marked `*`.
 * A row's rounds are interleaved across the servers (round r starts r
 * servers further along), so a slow spell of a shared machine lands on all
 * of them; a forking server's transfers left behind by a cut curl get 10 s,
 * then are killed, so they do not load the next server's run.
 * `--baseline DIR` adds a fourth server, Anvil from another checkout of this
 * repository (e.g. `git archive <commit> | tar -x -C DIR` plus a node_modules
 * link), measured interleaved with the others so a change is compared with
 * its parent under the same load.
 *
 * The client's CPU share (its CPU seconds over the run's wall seconds, median
 * of the rounds) says whether a row measures the server at all: one curl
 * process near 1.0 is a client using its whole vCPU, and a server cannot
 * deliver faster than that client asks. `--curls N` splits the clients over
 * N curl processes (each `--parallel`), so the client side may use both
 * vCPUs and the row measures what a block costs server and clients together.
 *
 * A one-client round is several transfers back to back, one after the other
 * by the same client process, as many as make 8 MiB (8 of the 1 MiB file, one
 * of the 64 MiB file): starting a client in the namespace (`ip netns exec`,
 * curl's libraries) takes about 15 ms, half of a 1 MiB transfer's wall time,
 * the same for every server and nothing of it, and measured once per 1 MiB
 * it drowned the servers' difference in its own jitter (one row's nine rounds
 * ranged 10.9-30.7 MB/s for one server). Clients are never concurrent in
 * these rows: curl gets the URLs without `--parallel`, atftp runs in a
 * shell loop.
 *
 * `--pin-cpu N` runs every server (all its threads and children) and the
 * clients on CPU N only. On a VM whose idle vCPUs halt (this machine: cpuidle
 * haltpoll with guest_halt_poll_ns=0), a lock-step transfer whose client and
 * server sit on different vCPUs pays a cross-vCPU wake-up on every packet
 * (one 64 MiB transfer: ~3 s on one vCPU, 17-29 s split), and where the
 * scheduler puts them is luck; pinned, every server gets the same placement.
 *
 *   npx tsx bench/pxe/tftp-throughput.ts [--rounds N] [--max-seconds S] [--only 1m|64m] [--clients 1|100] [--client curl|atftp|atftp-lockstep] [--windowsize N] [--baseline DIR] [--pin-cpu N] [--curls N]
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { closeSync, createWriteStream, mkdirSync, openSync, readFileSync, readSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { loadavg } from "node:os";
import { parseArgs } from "node:util";
import { firstLogLine } from "../../e2e/framework/log-watch.js";
import { NetnsLab } from "../../e2e/framework/netns.js";
import { tftpBenchLab } from "./tftp-lab.js";

const { values } = parseArgs({
  options: {
    rounds: { type: "string", default: "3" },
    "max-seconds": { type: "string", default: "30" },
    only: { type: "string" },
    blksize: { type: "string", default: "1468" },
    clients: { type: "string" },
    baseline: { type: "string" },
    "pin-cpu": { type: "string" },
    curls: { type: "string", default: "1" },
    client: { type: "string" },
    windowsize: { type: "string", default: "4" },
  },
});
const ROUNDS = Number(values.rounds);
const MAX_SECONDS = Number(values["max-seconds"]);
const BLKSIZE = values.blksize;
const PIN = values["pin-cpu"];
if (PIN !== undefined && !/^[0-9]+$/.test(PIN)) throw new Error(`--pin-cpu takes one CPU number, got ${PIN}`);
const CURLS = Number(values.curls);
if (!Number.isInteger(CURLS) || CURLS < 1) throw new Error(`--curls takes a whole number of curl processes, at least 1, got ${values.curls}`);
const WINDOW = values.windowsize;
if (!/^[0-9]+$/.test(WINDOW) || Number(WINDOW) < 1 || Number(WINDOW) > 65535) throw new Error(`--windowsize takes 1-65535 (RFC 7440), got ${WINDOW}`);
/** A command, on the pinned CPU when asked. */
const pinned = (command: string, args: readonly string[]): [string, string[]] => (PIN === undefined ? [command, [...args]] : ["taskset", ["-c", PIN, command, ...args]]);
const curlCommand = (args: readonly string[]): [string, string[]] => pinned("curl", args);

type ClientKind = "curl" | "atftp" | "atftp-lockstep";
const CLIENT_KINDS: readonly { kind: ClientKind; label: string }[] = [
  { kind: "curl", label: "curl" },
  { kind: "atftp", label: `atftp w${WINDOW}` },
  { kind: "atftp-lockstep", label: "atftp w1" },
].filter((c) => values.client === undefined || c.kind === values.client) as { kind: ClientKind; label: string }[];
if (CLIENT_KINDS.length === 0) throw new Error(`--client takes curl, atftp or atftp-lockstep, got ${values.client}`);

const BASELINE = values.baseline === undefined ? undefined : path.resolve(values.baseline);
type ServerName = "anvil" | "tftpd-hpa" | "dnsmasq" | "anvil-base" | "anvil-js" | "anvil-nobusy";
const SERVERS: readonly { name: ServerName; ip: string }[] = [
  { name: "anvil", ip: "10.78.0.1" },
  { name: "tftpd-hpa", ip: "10.78.0.2" },
  { name: "dnsmasq", ip: "10.78.0.3" },
  // The same checkout with the TypeScript engine (ADR 0028): what the native pump changes.
  { name: "anvil-js", ip: "10.78.0.5" },
  // The pump without busy polling (tftp.busyPollMicros: 0): what ADR 0029's default buys.
  { name: "anvil-nobusy", ip: "10.78.0.6" },
  ...(BASELINE ? [{ name: "anvil-base" as const, ip: "10.78.0.4" }] : []),
];
const CLIENTS = [1, 100].filter((n) => values.clients === undefined || String(n) === values.clients);
const loads = (): string => loadavg().map((l) => l.toFixed(1)).join(" ");

const FILES = [
  { label: "1 MiB", name: "file-1m.bin", bytes: 1024 * 1024 },
  { label: "64 MiB", name: "file-64m.bin", bytes: 64 * 1024 * 1024 },
].filter((f) => values.only === undefined || f.name === `file-${values.only.toLowerCase()}.bin`);

async function writeRandomFile(p: string, bytes: number): Promise<void> {
  const out = createWriteStream(p);
  for (let left = bytes; left > 0; left -= 1 << 20) out.write(randomBytes(Math.min(left, 1 << 20)));
  await new Promise<void>((resolve, reject) => out.end(() => resolve()).once("error", reject));
}

function fileSize(p: string): number {
  try {
    return statSync(p).size;
  } catch {
    return 0;
  }
}

/** Whether the first `n` bytes of `a` and `b` are equal, read in 1 MiB pieces. */
function samePrefix(a: string, b: string, n: number): boolean {
  const fa = openSync(a, "r");
  const fb = openSync(b, "r");
  try {
    const ba = Buffer.alloc(1 << 20);
    const bb = Buffer.alloc(1 << 20);
    for (let off = 0; off < n; off += 1 << 20) {
      const len = Math.min(1 << 20, n - off);
      readSync(fa, ba, 0, len, off);
      readSync(fb, bb, 0, len, off);
      if (!ba.subarray(0, len).equals(bb.subarray(0, len))) return false;
    }
    return true;
  } finally {
    closeSync(fa);
    closeSync(fb);
  }
}

const TICKS_PER_SECOND = 100; // USER_HZ, the unit of proc(5)'s times on Linux

/** User+sys CPU seconds of the children this process has reaped (proc(5) cutime + cstime): the curl runs. */
function reapedChildrenCpuSeconds(): number {
  const stat = readFileSync("/proc/self/stat", "utf8");
  // Fields after the command name (which may hold spaces) start at field 3 (state); cutime is field 16.
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(f[13]) + Number(f[14])) / TICKS_PER_SECOND;
}

/** A process's child pids (proc(5) task/<tid>/children); empty once it is gone. */
function childrenOf(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean);
  } catch {
    return [];
  }
}

/** Waits (bounded) until `pid` has no live children, so a forking server's transfers are all counted. */
async function childrenGone(pid: number, maxMs: number): Promise<boolean> {
  const until = Date.now() + maxMs;
  while (childrenOf(pid).length > 0) {
    if (Date.now() > until) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

/** SIGKILLs a process's children (a forking server's transfers); returns how many. */
function killChildren(pid: number): number {
  const kids = childrenOf(pid);
  for (const kid of kids) {
    try {
      process.kill(Number(kid), "SIGKILL");
    } catch {
      // already gone
    }
  }
  return kids.length;
}

/**
 * Counts a process's CPU time (perf's task-clock: all its threads, and the
 * children it forks after the start) until `stop()`, which resolves to
 * milliseconds, or undefined when perf is missing or failed.
 */
async function cpuCounter(pid: number, outFile: string): Promise<{ stop(): Promise<number | undefined> }> {
  const perf = spawn("perf", ["stat", "-e", "task-clock", "-x", ",", "-p", String(pid), "-o", outFile], { stdio: "ignore" });
  const exited = new Promise<void>((resolve) => {
    perf.once("exit", () => resolve());
    perf.once("error", () => resolve());
  });
  // perf attaches to the process's threads before it counts anything; give it that moment.
  await Promise.race([exited, new Promise((r) => setTimeout(r, 300))]);
  return {
    async stop() {
      if (perf.exitCode === null && perf.pid !== undefined) perf.kill("SIGINT");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (perf.exitCode === null) perf.kill("SIGKILL");
      try {
        const line = readFileSync(outFile, "utf8").split("\n").find((l) => l.includes("task-clock"));
        const ms = Number(line?.split(",")[0]);
        return Number.isFinite(ms) && ms > 0 ? ms : undefined;
      } catch {
        return undefined;
      }
    },
  };
}

/** How a round's client processes ended: all done, cut at --max-seconds (measured by the bytes so far), or failed. */
interface Downloaded {
  status: "done" | "cut" | "failed";
  detail: string;
}

/** Transfers one client makes back to back in a one-client round: as many as make 8 MiB. */
const backToBack = (clients: number, bytes: number): number => (clients === 1 ? Math.max(1, Math.floor((8 << 20) / bytes)) : 1);

/**
 * One round: `clients` concurrent clients, each downloading `file` from `ip`
 * `repeats` times back to back, into outDir/0 .. outDir/<clients*repeats-1>.
 */
async function download(lab: NetnsLab, cli: string, kind: ClientKind, ip: string, file: string, clients: number, repeats: number, outDir: string): Promise<Downloaded> {
  // The whole round is bounded by --max-seconds, however many transfers it holds.
  const timeoutMs = (MAX_SECONDS + 30) * 1000;
  const out = (client: number, k: number): string => path.join(outDir, `${client * repeats + k}`);
  if (kind === "curl") {
    // Client i runs in curl process i mod --curls; each process runs its share in parallel,
    // and a one-client round's repeats one after another (curl's default without --parallel).
    const procs = Math.min(CURLS, clients);
    const runs = await Promise.all(
      Array.from({ length: procs }, (_, p) => {
        const args = ["-sS", "--max-time", String(MAX_SECONDS), "--tftp-blksize", BLKSIZE];
        const ids = Array.from({ length: clients }, (_, i) => i).filter((i) => i % procs === p);
        if (ids.length > 1) args.push("--parallel", "--parallel-immediate", "--parallel-max", String(ids.length));
        for (const i of ids) for (let k = 0; k < repeats; k++) args.push("-o", out(i, k), `tftp://${ip}/${file}`);
        return lab.exec(cli, ...curlCommand(args), { allowFailure: true, timeoutMs });
      }),
    );
    // curl exits 28 when --max-time cuts it.
    const failed = runs.find((r) => r.code !== 0 && r.code !== 28);
    if (failed) return { status: "failed", detail: `curl exit ${failed.code}: ${failed.stderr.trim().split("\n")[0] ?? ""}` };
    return { status: runs.some((r) => r.code === 28) ? "cut" : "done", detail: "" };
  }
  // One atftp per client, as many machines would be, each under timeout(1) (exit 124: cut). The
  // shell exits with the first failure's status, else 124 when any was cut.
  const errFile = path.join(outDir, "atftp.err");
  const lines = ['pids=""'];
  for (let i = 0; i < clients; i++) {
    // atftp-lockstep asks no windowsize, as a BIOS PXE ROM asks (blksize and tsize only).
    const window = kind === "atftp" ? ` --option "windowsize ${WINDOW}"` : "";
    const gets = Array.from({ length: repeats }, (_, k) => `atftp --option "blksize ${BLKSIZE}"${window} --option "tsize 0" -g -r ${file} -l ${out(i, k)} ${ip} 69`);
    const client = repeats === 1 ? gets[0]! : `sh -c '${gets.join(" && ")}'`;
    lines.push(`timeout ${MAX_SECONDS} ${client} >/dev/null 2>>${errFile} & pids="$pids $!"`);
  }
  lines.push('rc=0; for p in $pids; do wait "$p"; c=$?; if [ "$c" -ne 0 ] && [ "$c" -ne 124 ]; then rc=$c; elif [ "$c" -eq 124 ] && [ "$rc" -eq 0 ]; then rc=124; fi; done; exit $rc');
  const r = await lab.exec(cli, ...pinned("sh", ["-c", lines.join("\n")]), { allowFailure: true, timeoutMs });
  if (r.code === 0) return { status: "done", detail: "" };
  if (r.code === 124) return { status: "cut", detail: "" };
  let err = "";
  try {
    err = readFileSync(errFile, "utf8").trim().split("\n")[0] ?? "";
  } catch {
    // atftp wrote nothing
  }
  return { status: "failed", detail: `atftp exit ${r.code}: ${err}` };
}

async function main(): Promise<void> {
  const lab = new NetnsLab();
  try {
    const { srv, cli, root } = await tftpBenchLab(lab, SERVERS.map((s) => s.ip));
    for (const f of FILES) await writeRandomFile(path.join(root, f.name), f.bytes);
    await new Promise((r) => setTimeout(r, 500));

    writeFileSync(path.join(lab.dir, "hosts.yaml"), "hosts: []\n");
    const pids = new Map<ServerName, number | undefined>();
    /** One `anvil pxe serve` on its own address; `ready` must name the engine the row means to measure. */
    const startAnvil = async (name: ServerName, ip: string, tftp: Record<string, unknown>, ready: RegExp, checkout = "."): Promise<void> => {
      const config = path.join(lab.dir, `pxe-${name}.yaml`);
      writeFileSync(config, JSON.stringify({ serverAddress: ip, hostsFile: "hosts.yaml", dhcp: { mode: "off" }, tftp: { root, maxBlockSize: 65464, ...tftp }, http: { enabled: false } }));
      const proc = lab.startNode(srv, { name, entry: path.join(checkout, "cmd/anvil.ts"), args: ["pxe", "serve", "--config", config] });
      await firstLogLine(proc.logFile, ready, { timeoutMs: 60_000 });
      pids.set(name, proc.child.pid);
    };
    // Anvil as shipped: `auto` must have found the native pump (scripts/build-native.sh), or the row would measure the fallback.
    await startAnvil("anvil", "10.78.0.1", {}, /"event":"ready".*"tftpEngine":"native"/);
    await startAnvil("anvil-js", "10.78.0.5", { engine: "js" }, /"event":"ready".*"tftpEngine":"js"/);
    await startAnvil("anvil-nobusy", "10.78.0.6", { busyPollMicros: 0 }, /"event":"ready".*"tftpEngine":"native"/);
    if (BASELINE) await startAnvil("anvil-base", "10.78.0.4", {}, /"event":"ready"/, BASELINE);
    const tftpd = lab.start(srv, { name: "tftpd-hpa", command: "/usr/sbin/in.tftpd", args: ["-L", "-a", "10.78.0.2:69", "-u", "root", "-B", "65464", "-s", root] });
    const dnsmasq = lab.start(srv, {
      name: "dnsmasq",
      command: "/usr/sbin/dnsmasq",
      args: ["--no-daemon", "--conf-file=/dev/null", "--port=0", "--listen-address=10.78.0.3", "--bind-interfaces", "--enable-tftp", `--tftp-root=${root}`, "--tftp-max=1000", "--user=root", "--pid-file="],
    });
    pids.set("tftpd-hpa", tftpd.child.pid);
    pids.set("dnsmasq", dnsmasq.child.pid);
    if (PIN !== undefined) {
      // -a: every thread (Node's too); children forked later (tftpd-hpa's transfers) inherit the mask.
      for (const pid of pids.values()) if (pid !== undefined) await lab.exec(srv, "taskset", ["-a", "-p", "-c", PIN, String(pid)]);
    }
    await new Promise((r) => setTimeout(r, 1000));

    // One unmeasured download per server and file first: page cache, JIT and caches warm for all alike.
    for (const s of SERVERS) {
      for (const f of FILES) {
        await lab.exec(cli, ...curlCommand(["-sS", "--max-time", String(MAX_SECONDS), "--tftp-blksize", BLKSIZE, "-o", "/dev/null", `tftp://${s.ip}/${f.name}`]), { allowFailure: true, timeoutMs: (MAX_SECONDS + 30) * 1000 });
      }
    }

    const loadBefore = loads();
    const results: {
      file: string;
      /** The client program (and window) the row was measured with. */
      client: string;
      clients: number;
      server: ServerName;
      mbps: number;
      ok: boolean;
      partial: boolean;
      /** Server CPU µs per DATA block delivered, over all rounds. */
      serverUs?: number;
      /** The client processes' CPU µs per DATA block. */
      clientUs?: number;
      /** The client processes' CPU seconds per wall second, median of the rounds: near 1 for one curl process, the client is what limits the row. */
      clientShare?: number;
      /** 1-minute load average when the row began. */
      load: string;
    }[] = [];
    for (const f of FILES) {
      for (const { kind, label: client } of CLIENT_KINDS) for (const clients of CLIENTS) {
        // Rounds are interleaved: round r runs every server once, starting one further along the
        // list each round, so a slow spell of the machine lands on all of them, not on one row.
        const load = loadavg()[0]!.toFixed(1);
        const repeats = backToBack(clients, f.bytes);
        const rows = new Map<ServerName, { speeds: number[]; ok: boolean; partial: boolean; blocks: number; clientCpu: number; clientShares: number[]; counter?: { stop(): Promise<number | undefined> } }>();
        for (const s of SERVERS) {
          const pid = pids.get(s.name);
          const counter = pid === undefined ? undefined : await cpuCounter(pid, path.join(lab.dir, `perf-${s.name}-${f.name}-${kind}-${clients}.csv`));
          rows.set(s.name, { speeds: [], ok: true, partial: false, blocks: 0, clientCpu: 0, clientShares: [], counter });
        }
        for (let round = 0; round < ROUNDS; round++) {
          for (let k = 0; k < SERVERS.length; k++) {
            const s = SERVERS[(round + k) % SERVERS.length]!;
            const row = rows.get(s.name)!;
            if (!row.ok) continue;
            const outDir = path.join(lab.dir, `out-${s.name}-${f.name}-${kind}-${clients}-${round}`);
            mkdirSync(outDir, { recursive: true });
            const cpu0 = reapedChildrenCpuSeconds();
            const t0 = process.hrtime.bigint();
            const r = await download(lab, cli, kind, s.ip, f.name, clients, repeats, outDir);
            const secs = Number(process.hrtime.bigint() - t0) / 1e9;
            const clientCpu = reapedChildrenCpuSeconds() - cpu0;
            row.clientCpu += clientCpu;
            row.clientShares.push(clientCpu / secs);
            const sizes = Array.from({ length: clients * repeats }, (_, i) => fileSize(path.join(outDir, `${i}`)));
            const bytes = sizes.reduce((a, b) => a + b, 0);
            const complete = r.status === "done" && sizes.every((n) => n === f.bytes);
            const cut = r.status === "cut";
            // Byte-identical or it does not count: every output must be the source or (when cut) a prefix of it.
            const identical = sizes.every((n, i) => n === 0 || samePrefix(path.join(outDir, `${i}`), path.join(root, f.name), n));
            rmSync(outDir, { recursive: true, force: true });
            const pid = pids.get(s.name);
            // A forking server's transfers outlive a cut client until their own retries give up. Their
            // clients are gone: give them 10 s (counted), then kill them so they do not load the next run.
            if (pid !== undefined && !(await childrenGone(pid, 10_000))) {
              const killed = killChildren(pid);
              process.stderr.write(`${s.name}: ${killed} children still running 10 s after the run, killed\n`);
            }
            if (!(complete || cut) || !identical || bytes === 0) {
              row.ok = false;
              process.stderr.write(`${s.name} ${f.label} ${client} x${clients}: ${r.status} ${r.detail}, ${bytes} bytes, identical=${identical}\n`);
              continue;
            }
            if (cut) row.partial = true;
            row.speeds.push(bytes / 1e6 / secs);
            row.blocks += sizes.reduce((a, n) => a + Math.ceil(n / Number(BLKSIZE)), 0);
          }
        }
        for (const s of SERVERS) {
          const row = rows.get(s.name)!;
          const serverMs = await row.counter?.stop();
          const speeds = [...row.speeds].sort((a, b) => a - b);
          const median = speeds.length ? speeds[Math.floor(speeds.length / 2)]! : 0;
          const shares = [...row.clientShares].sort((a, b) => a - b);
          const clientShare = shares.length ? shares[Math.floor(shares.length / 2)] : undefined;
          const serverUs = serverMs !== undefined && row.blocks > 0 ? (serverMs * 1000) / row.blocks : undefined;
          const clientUs = row.blocks > 0 ? (row.clientCpu * 1e6) / row.blocks : undefined;
          results.push({ file: f.label, client, clients, server: s.name, mbps: median, ok: row.ok, partial: row.partial, serverUs, clientUs, clientShare, load });
          const cpu = `server ${serverUs?.toFixed(1) ?? "-"} µs/block, client ${clientUs?.toFixed(1) ?? "-"} µs/block and ${clientShare?.toFixed(2) ?? "-"} CPU, ${row.blocks} blocks, load ${load}`;
          // Runs in the order they were made, so a slow spell shows across servers.
          process.stderr.write(`${f.label} ${client} x${clients} ${s.name}: ${row.ok ? `${median.toFixed(1)} MB/s${row.partial ? " (cut at the time bound)" : ""} (runs: ${row.speeds.map((v) => v.toFixed(1)).join(", ")}); ${cpu}` : "FAILED"}\n`);
        }
      }
    }

    const rows = [["file", "client", "clients", ...SERVERS.map((s) => `${s.name} MB/s`), "anvil/tftpd-hpa", "anvil/dnsmasq", "anvil/anvil-js", "anvil/anvil-nobusy", ...(BASELINE ? ["anvil/anvil-base"] : []), "load"]];
    const cpuRows = [["file", "client", "clients", ...SERVERS.map((s) => `${s.name} µs/block`), "tftpd-hpa/anvil", "dnsmasq/anvil", "anvil-js/anvil", "anvil-nobusy/anvil", ...(BASELINE ? ["anvil-base/anvil"] : [])]];
    const clientRows = [["file", "client", "clients", ...SERVERS.map((s) => `${s.name} client µs/block`), ...SERVERS.map((s) => `${s.name} client CPU`)]];
    for (const f of FILES) {
      for (const { label: client } of CLIENT_KINDS) for (const clients of CLIENTS) {
        const get = (n: ServerName): (typeof results)[number] | undefined => results.find((r) => r.file === f.label && r.client === client && r.clients === clients && r.server === n);
        const cell = (n: ServerName): string => (get(n)?.ok ? `${get(n)!.mbps.toFixed(1)}${get(n)!.partial ? "*" : ""}` : "failed");
        const ratio = (n: ServerName): string => (get("anvil")?.ok && get(n)?.ok ? (get("anvil")!.mbps / get(n)!.mbps).toFixed(2) : "-");
        rows.push([f.label, client, String(clients), ...SERVERS.map((s) => cell(s.name)), ratio("tftpd-hpa"), ratio("dnsmasq"), ratio("anvil-js"), ratio("anvil-nobusy"), ...(BASELINE ? [ratio("anvil-base")] : []), get("anvil")?.load ?? "-"]);
        // CPU ratios read like the MB/s ones: above 1 means Anvil spends less per block.
        const us = (n: ServerName): string => get(n)?.serverUs?.toFixed(1) ?? "-";
        const cpuRatio = (n: ServerName): string => {
          const a = get("anvil")?.serverUs;
          const b = get(n)?.serverUs;
          return a !== undefined && b !== undefined ? (b / a).toFixed(2) : "-";
        };
        cpuRows.push([f.label, client, String(clients), ...SERVERS.map((s) => us(s.name)), cpuRatio("tftpd-hpa"), cpuRatio("dnsmasq"), cpuRatio("anvil-js"), cpuRatio("anvil-nobusy"), ...(BASELINE ? [cpuRatio("anvil-base")] : [])]);
        clientRows.push([f.label, client, String(clients), ...SERVERS.map((s) => get(s.name)?.clientUs?.toFixed(1) ?? "-"), ...SERVERS.map((s) => get(s.name)?.clientShare?.toFixed(2) ?? "-")]);
      }
    }
    const print = (table: string[][]): void => {
      const widths = table[0]!.map((_, i) => Math.max(...table.map((r) => r[i]!.length)));
      for (const r of table) process.stdout.write(`${r.map((c, i) => c.padEnd(widths[i]!)).join("  ")}\n`);
    };
    process.stdout.write(`TFTP throughput, blksize ${BLKSIZE}: curl (lock-step), atftp asking windowsize ${WINDOW} (EDK2's ask) and atftp asking none (w1, a BIOS PXE ROM's ask), median of ${ROUNDS}, veth between two namespaces${PIN === undefined ? "" : `, servers and clients pinned to CPU ${PIN}`}; a one-client round is ${FILES.map((f) => `${backToBack(1, f.bytes)} x ${f.label}`).join(", ")} back to back (* = cut at ${MAX_SECONDS} s, MB/s of the bytes delivered)\n`);
    process.stdout.write(`load average (1/5/15 min) at start ${loadBefore}, at end ${loads()}; "load" = 1-min load when the row began${BASELINE ? `; anvil-base = ${BASELINE}` : ""}\n`);
    print(rows);
    process.stdout.write(`\nServer CPU per DATA block (perf task-clock over all ${ROUNDS} rounds / blocks delivered; ratios above 1 = Anvil spends less)\n`);
    print(cpuRows);
    process.stdout.write(`\nThe client's CPU per DATA block, and its CPU seconds per wall second (median of the rounds); curl runs ${CURLS} process${CURLS === 1 ? "" : "es"} per run: a share near that count means the client, not the server, limits the row\n`);
    print(clientRows);
  } finally {
    await lab.cleanup();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
