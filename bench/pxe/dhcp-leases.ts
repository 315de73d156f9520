/**
 * DHCP leases per second: Kea's perfdhcp against Anvil (reservation mode,
 * file backend; `anvil`, the default, sends each ACK only after its binding
 * was appended to the lease journal and fdatasynced (group commit, ADR 0013),
 * `anvil-nosync` appends without fdatasync like Kea's memfile, `anvil-mem` keeps leases in
 * memory like dnsmasq --leasefile-ro), dnsmasq (--leasefile-ro, no-ping) and
 * Kea (memfile), one after the other on the same two namespaces in one run.
 *
 *   npx tsx bench/pxe/dhcp-leases.ts [--rate 2000] [--clients 2000] [--seconds 10] [--rounds 1]
 *     [--servers anvil,anvil-nosync,anvil-mem,dnsmasq,kea]
 *
 * perfdhcp simulates a relay (giaddr = its address), so every server answers
 * by unicast; its client MACs come from a MAC list file (-M) whose MACs are
 * also the file backend's known hosts. Prints 4-way exchanges/s (perfdhcp's
 * own rate), leases/s (ACKs received / period) and drop ratios, then the
 * ratios Anvil/anchor. Bounded: each run is perfdhcp's period plus startup.
 */
import { writeFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { startAnvilDhcp } from "../../e2e/framework/anvil-dhcp.js";
import { NetnsLab } from "../../e2e/framework/netns.js";
import { waitFor, type Supervised } from "../../e2e/framework/process.js";

const { values } = parseArgs({
  options: {
    rate: { type: "string", default: "2000" },
    clients: { type: "string", default: "2000" },
    seconds: { type: "string", default: "10" },
    rounds: { type: "string", default: "1" },
    servers: { type: "string", default: "anvil,anvil-nosync,anvil-mem,dnsmasq,kea" },
  },
});
const RATE = Number(values.rate);
const CLIENTS = Number(values.clients);
const SECONDS = Number(values.seconds);
const ROUNDS = Number(values.rounds);
const ONLY = new Set(values.servers.split(","));

const SERVER = "10.214.0.1";
const PERF = "10.214.0.2";
const POOL = { start: "10.214.1.0", end: "10.214.200.255" };

const macs = Array.from({ length: CLIENTS }, (_, i) => `02:aa:00:${((i >> 16) & 255).toString(16).padStart(2, "0")}:${((i >> 8) & 255).toString(16).padStart(2, "0")}:${(i & 255).toString(16).padStart(2, "0")}`);

interface Result {
  readonly server: string;
  readonly exchangesPerSec: number;
  readonly leasesPerSec: number;
  readonly discoverDrops: number;
  readonly requestDrops: number;
  /** Datagrams the server's kernel discarded because the server did not read them fast enough. */
  rcvbufErrors?: number;
  /** The same on perfdhcp's side: replies sent but never read by perfdhcp. */
  clientRcvbufErrors?: number;
}

function parsePerfdhcp(server: string, out: string): Result {
  const rate = /Rate: ([\d.]+) 4-way exchanges\/second/.exec(out);
  const sections = out.split("***Statistics for: ");
  const section = (name: string): string => sections.find((s) => s.startsWith(name)) ?? "";
  const num = (s: string, re: RegExp): number => Number(re.exec(s)?.[1] ?? "NaN");
  const ra = section("REQUEST-ACK");
  return {
    server,
    exchangesPerSec: rate ? Number(rate[1]) : NaN,
    leasesPerSec: num(ra, /received packets: (\d+)/) / SECONDS,
    discoverDrops: num(section("DISCOVER-OFFER"), /drops ratio: ([\d.]+) %/),
    requestDrops: num(ra, /drops ratio: ([\d.]+) %/),
  };
}

async function main(): Promise<void> {
  const lab = new NetnsLab();
  const results: Result[] = [];
  try {
    const srv = await lab.namespace("srv");
    const perf = await lab.namespace("perf");
    await lab.veth({ ns: srv, ifname: "srv0", cidr: `${SERVER}/16` }, { ns: perf, ifname: "perf0", cidr: `${PERF}/16` });
    const macFile = path.join(lab.dir, "macs.txt");
    writeFileSync(macFile, `${macs.join("\n")}\n`);

    const rcvbufErrors = async (ns = srv): Promise<number> => {
      const lines = (await lab.exec(ns, "cat", ["/proc/net/snmp"])).stdout.split("\n").filter((l) => l.startsWith("Udp:"));
      const [names, vals] = lines.map((l) => l.split(/\s+/));
      return Number(vals?.[names?.indexOf("RcvbufErrors") ?? -1] ?? NaN);
    };
    const port67Bound = async (): Promise<boolean> => (await lab.exec(srv, "ss", ["-Hlun", "sport = :67"])).stdout.trim() !== "";
    const perfdhcp = async (server: string): Promise<Result> => {
      const run = (seconds: number) =>
        lab.exec(perf, "perfdhcp", ["-4", "-l", "perf0", "-r", String(RATE), "-R", String(CLIENTS), "-M", macFile, "-p", String(seconds), SERVER], {
          timeoutMs: (seconds + 30) * 1000,
          allowFailure: true,
        });
      // The same 2 s warm-up for every server (JIT, caches, first allocations), then the measured period.
      await run(2);
      const before = await rcvbufErrors();
      const beforeClient = await rcvbufErrors(perf);
      let r = await run(SECONDS);
      // perfdhcp's multi-threaded mode sometimes aborts when a reply beats its own send timestamp; run again.
      for (let retry = 0; retry < 3 && /must not be greater than received/.test(r.stderr + r.stdout); retry++) r = await run(SECONDS);
      const result = parsePerfdhcp(server, r.stdout);
      result.rcvbufErrors = (await rcvbufErrors()) - before;
      result.clientRcvbufErrors = (await rcvbufErrors(perf)) - beforeClient;
      if (Number.isNaN(result.exchangesPerSec)) console.error(`${server}: perfdhcp exited ${r.code}: ${r.stderr.trim().split("\n").slice(-3).join(" | ")}`);
      return result;
    };
    const daemon = async (name: string, start: () => Promise<Supervised>): Promise<Result> => {
      const proc = await start();
      try {
        await waitFor(`${name} on port 67`, port67Bound, { timeoutMs: 30_000, process: proc });
        return await perfdhcp(name);
      } finally {
        await proc.stop();
      }
    };

    const anvilRun = async (name: string, persist: boolean, fsync = true): Promise<Result> => {
      const anvil = await startAnvilDhcp(lab, srv, {
        name: `${name}-${Date.now()}`,
        dhcp: {
          mode: "reservation",
          serverAddress: SERVER,
          subnets: [{ cidr: "10.214.0.0/16", pool: POOL, router: SERVER, leaseSeconds: 3600 }],
          leaseFile: persist ? path.join(lab.dir, `${name}-leases-${Date.now()}.json`) : undefined,
          leaseFileFsync: fsync,
        },
        hosts: macs.map((mac, i) => ({ mac, name: `bench/h${i}` })),
      });
      try {
        const r = await perfdhcp(name);
        const m = await anvil.metrics();
        console.log(`  ${name} counters: received ${m.received}, replies ${JSON.stringify(m.replies)}, dropped ${JSON.stringify(m.dropped)}`);
        return r;
      } finally {
        await anvil.stop();
      }
    };

    const servers: Record<string, () => Promise<Result>> = {
      anvil: () => anvilRun("anvil", true),
      "anvil-nosync": () => anvilRun("anvil-nosync", true, false),
      "anvil-mem": () => anvilRun("anvil-mem", false),
      dnsmasq: () =>
        daemon("dnsmasq", () =>
          Promise.resolve(
            lab.start(srv, {
              name: `dnsmasq-${Date.now()}`,
              command: "/usr/sbin/dnsmasq",
              args: [
                "--no-daemon",
                "--conf-file=/dev/null",
                "--port=0",
                "--interface=srv0",
                "--bind-interfaces",
                `--dhcp-range=${POOL.start},${POOL.end},255.255.0.0,1h`,
                "--leasefile-ro",
                "--dhcp-lease-max=1000000",
                "--no-ping",
                "--quiet-dhcp",
                "--pid-file=",
                "--user=root",
                "--log-facility=-",
              ],
            }),
          ),
        ),
      kea: () =>
        daemon("kea", () => {
          const conf = path.join(lab.dir, "kea-dhcp4.json");
          writeFileSync(
            conf,
            JSON.stringify({
              Dhcp4: {
                "interfaces-config": { interfaces: ["srv0"], "dhcp-socket-type": "udp" },
                "lease-database": { type: "memfile", persist: true, name: path.join(lab.dir, `kea-leases-${Date.now()}.csv`), "lfc-interval": 0 },
                "valid-lifetime": 3600,
                subnet4: [{ id: 1, subnet: "10.214.0.0/16", pools: [{ pool: `${POOL.start} - ${POOL.end}` }], "option-data": [{ name: "routers", data: SERVER }] }],
                loggers: [{ name: "kea-dhcp4", output_options: [{ output: "stdout" }], severity: "WARN" }],
              },
            }),
          );
          return Promise.resolve(
            lab.start(srv, {
              name: `kea-${Date.now()}`,
              command: "/usr/sbin/kea-dhcp4",
              args: ["-c", conf],
              env: { ...process.env, KEA_PIDFILE_DIR: lab.dir, KEA_LOCKFILE_DIR: lab.dir },
            }),
          );
        }),
    };

    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, run] of Object.entries(servers).filter(([n]) => ONLY.has(n))) {
        const r = await run();
        results.push(r);
        console.log(
          `round ${round + 1} ${name.padEnd(8)} ${r.exchangesPerSec.toFixed(0).padStart(6)} exchanges/s  ${r.leasesPerSec.toFixed(0).padStart(6)} leases/s  drops DO ${r.discoverDrops.toFixed(1)}% RA ${r.requestDrops.toFixed(1)}%  rcvbuf overflows server ${r.rcvbufErrors} perfdhcp ${r.clientRcvbufErrors}`,
        );
      }
    }
  } finally {
    await lab.cleanup();
  }

  const median = (server: string, key: "exchangesPerSec" | "leasesPerSec"): number => {
    const xs = results.filter((r) => r.server === server).map((r) => r[key]).sort((a, b) => a - b);
    return xs[Math.floor(xs.length / 2)] ?? NaN;
  };
  console.log(`\nperfdhcp -r ${RATE} -R ${CLIENTS} -p ${SECONDS}, ${ROUNDS} round(s), medians:`);
  for (const s of [...ONLY]) {
    console.log(`  ${s.padEnd(8)} ${median(s, "exchangesPerSec").toFixed(0).padStart(6)} exchanges/s  ${median(s, "leasesPerSec").toFixed(0).padStart(6)} leases/s`);
  }
  // Like for like: anvil-mem keeps no lease file (dnsmasq --leasefile-ro), anvil-nosync writes one without fsync (Kea memfile).
  for (const variant of ["anvil", "anvil-nosync", "anvil-mem"].filter((v) => ONLY.has(v))) {
    for (const anchor of ["dnsmasq", "kea"].filter((a) => ONLY.has(a))) {
      console.log(`  ${variant}/${anchor}: ${(median(variant, "exchangesPerSec") / median(anchor, "exchangesPerSec")).toFixed(2)}x exchanges, ${(median(variant, "leasesPerSec") / median(anchor, "leasesPerSec")).toFixed(2)}x leases`);
    }
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
