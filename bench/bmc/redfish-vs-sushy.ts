/**
 * 1,000 power-status reads against one sushy-tools BMC: Anvil's Redfish
 * driver (through the access queue, as the manager uses it) against the
 * Python `sushy` library, in the same run, each op timed on its own.
 *
 *   npx tsx bench/bmc/redfish-vs-sushy.ts [--ops 1000] [--warmup 20]
 *
 * Both sides do one GET of the System resource per read. sushy-tools'
 * Werkzeug server closes the connection after each response, so neither
 * side gains from keep-alive there, and its own cost (tens of ms per request
 * in Python) dominates. A second pass runs both clients against a static
 * Redfish responder in its own Node process (keep-alive, ~0 server cost), so
 * the clients' own overhead shows.
 */
import { execFile, spawn } from "node:child_process";
import { once } from "node:events";
import path from "node:path";
import { parseArgs } from "node:util";
import { BmcAccessQueue, connectBmc } from "../../bmc/index.js";
import { pythonVenv, REPO_ROOT } from "../../e2e/framework/peers.js";
import { startSushyTools } from "../../e2e/framework/sushy-tools.js";

const { values } = parseArgs({ options: { ops: { type: "string", default: "1000" }, warmup: { type: "string", default: "20" } } });
const OPS = Number(values.ops);
const WARMUP = Number(values.warmup);

function quantile(sorted: readonly number[], q: number): number {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i] ?? Number.NaN;
}

interface Summary {
  readonly p50: number;
  readonly p99: number;
  readonly mean: number;
  readonly opsPerSecond: number;
}

function summarise(ms: readonly number[]): Summary {
  const sorted = [...ms].sort((a, b) => a - b);
  const total = ms.reduce((s, x) => s + x, 0);
  return { p50: quantile(sorted, 0.5), p99: quantile(sorted, 0.99), mean: total / ms.length, opsPerSecond: (ms.length * 1000) / total };
}

async function anvilSide(url: string, systemPath: string, ops: number): Promise<number[]> {
  const queue = new BmcAccessQueue({ timeoutMs: 10_000 });
  const bmc = await connectBmc({ address: `redfish+http://${new URL(url).host}${systemPath}`, credentials: { username: "bench", password: "bench" }, queue });
  try {
    for (let i = 0; i < WARMUP; i++) await bmc.power.getPower();
    const ms: number[] = [];
    for (let i = 0; i < ops; i++) {
      const t0 = process.hrtime.bigint();
      const state = await bmc.power.getPower();
      ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
      if (state === "unknown") throw new Error("unexpected power state");
    }
    return ms;
  } finally {
    await bmc.close();
  }
}

function sushySide(url: string, systemPath: string, ops: number): Promise<number[]> {
  const python = path.join(pythonVenv(), "bin/python");
  const script = path.join(REPO_ROOT, "bench/bmc/sushy_power_status.py");
  return new Promise((resolve, reject) => {
    execFile(python, [script, url, systemPath, String(ops), String(WARMUP)], { maxBuffer: 16 << 20, timeout: 600_000 }, (err, stdout, stderr) => {
      if (err !== null) return reject(new Error(`sushy side failed: ${err.message}\n${stderr}`));
      resolve((JSON.parse(stdout) as { ms: number[] }).ms);
    });
  });
}

/** A Node child process answering the service root and one System from memory, keep-alive on. */
const RESPONDER = `
const http = require("node:http");
const root = JSON.stringify({ "@odata.id": "/redfish/v1/", Id: "RootService", Name: "Root Service", RedfishVersion: "1.5.0",
  UUID: "85775665-c110-4b85-8989-e6162170b3ec", Systems: { "@odata.id": "/redfish/v1/Systems" } });
const sys = JSON.stringify({ "@odata.id": "/redfish/v1/Systems/1", Id: "1", Name: "bench", UUID: "27946b59-9e44-4fa7-8e91-f3527a1ef094",
  PowerState: "On", Boot: { BootSourceOverrideEnabled: "Disabled", BootSourceOverrideTarget: "None" },
  Actions: { "#ComputerSystem.Reset": { target: "/redfish/v1/Systems/1/Actions/ComputerSystem.Reset" } } });
const srv = http.createServer((req, res) => {
  const body = req.url === "/redfish/v1/Systems/1" ? sys : root;
  res.writeHead(200, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) });
  res.end(body);
});
srv.keepAliveTimeout = 60000;
srv.listen(0, "127.0.0.1", () => console.log(srv.address().port));
`;

async function startResponder(): Promise<{ url: string; stop(): void }> {
  const child = spawn(process.execPath, ["-e", RESPONDER], { stdio: ["ignore", "pipe", "inherit"] });
  const [chunk] = (await once(child.stdout, "data")) as [Buffer];
  return { url: `http://127.0.0.1:${chunk.toString().trim()}`, stop: () => child.kill("SIGTERM") };
}

function row(name: string, s: Summary): string {
  return `${name.padEnd(22)} p50 ${s.p50.toFixed(2).padStart(7)} ms   p99 ${s.p99.toFixed(2).padStart(7)} ms   mean ${s.mean.toFixed(2).padStart(7)} ms   ${s.opsPerSecond.toFixed(0).padStart(5)} ops/s`;
}

/**
 * The two sides take turns in ROUNDS slices of the run (A B A B ...), so a
 * change of machine load during the run falls on both alike.
 */
const ROUNDS = 4;

async function compare(url: string, systemPath: string): Promise<{ anvil: Summary; python: Summary }> {
  const a: number[] = [];
  const p: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const slice = Math.ceil(OPS / ROUNDS);
    a.push(...(await anvilSide(url, systemPath, slice)));
    p.push(...(await sushySide(url, systemPath, slice)));
  }
  return { anvil: summarise(a.slice(0, OPS)), python: summarise(p.slice(0, OPS)) };
}

function report(title: string, anvil: Summary, python: Summary): void {
  console.log(title);
  console.log(row("Anvil Redfish driver", anvil));
  console.log(row("Python sushy 5.x", python));
  console.log(`ratio (sushy / Anvil): p50 ${(python.p50 / anvil.p50).toFixed(2)}x   p99 ${(python.p99 / anvil.p99).toFixed(2)}x   throughput ${(anvil.opsPerSecond / python.opsPerSecond).toFixed(2)}x\n`);
}

const sushy = await startSushyTools({ systems: [{ powerState: "On" }] });
try {
  const systemPath = sushy.systems[0]!.path;
  const { anvil, python } = await compare(sushy.url, systemPath);
  report(`${OPS} power-status reads against one sushy-tools ${sushy.url} (fake driver), sequential, ${ROUNDS} alternating rounds, warm-up ${WARMUP}`, anvil, python);
} finally {
  await sushy.stop();
}

const responder = await startResponder();
try {
  const { anvil, python } = await compare(responder.url, "/redfish/v1/Systems/1");
  report(`${OPS} power-status reads against a static Redfish responder ${responder.url} (client overhead only)`, anvil, python);
} finally {
  responder.stop();
}
