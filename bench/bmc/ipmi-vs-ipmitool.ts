/**
 * 1,000 power-status reads against one ipmi_sim, in one run: Anvil's IPMI
 * driver over one reused RMCP+ session (cipher suite 3) versus one
 * `ipmitool -I lanplus -C 3 ... chassis power status` process per read, the
 * way Ironic's ipmitool driver works. Prints p50/p99 per operation and the ratio.
 *
 *   npx tsx bench/bmc/ipmi-vs-ipmitool.ts [--n 1000] [--ipmitool-n 1000]
 */
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { ipmitool, startIpmiSim } from "../../e2e/framework/ipmi-sim.js";
import { createIpmiClient } from "../../bmc/ipmi/index.js";

const { values } = parseArgs({ options: { n: { type: "string", default: "1000" }, "ipmitool-n": { type: "string" } } });
const n = Number(values.n);
const toolN = Number(values["ipmitool-n"] ?? values.n);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;
}

function summary(name: string, samples: number[], totalMs: number): { p50: number; p99: number } {
  const s = [...samples].sort((a, b) => a - b);
  const r = { p50: percentile(s, 50), p99: percentile(s, 99) };
  console.log(
    `${name.padEnd(34)} n=${String(samples.length).padStart(5)}  p50=${r.p50.toFixed(2).padStart(8)} ms  p99=${r.p99.toFixed(2).padStart(8)} ms  total=${(totalMs / 1000).toFixed(1)} s  ${(samples.length / (totalMs / 1000)).toFixed(1)} ops/s`,
  );
  return r;
}

const sim = await startIpmiSim({ username: "admin", password: "bench-password" });
try {
  await sim.setPower(true);
  const client = createIpmiClient({ host: sim.host, port: sim.port }, { credentials: { username: sim.username, password: sim.password } });
  // One warm-up read opens the session, as a long-lived manager would have it open.
  if ((await client.power.getPower()) !== "on") throw new Error("ipmi_sim should report power on");
  const anvil: number[] = [];
  let t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    const state = await client.power.getPower();
    anvil.push(performance.now() - t);
    if (state !== "on") throw new Error(`read ${i}: ${state}`);
  }
  const anvilTotal = performance.now() - t0;
  // Get Device ID is answered by ipmi_sim itself, without forking the chassis script: the driver's own cost.
  const deviceId: number[] = [];
  t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await client.deviceId();
    deviceId.push(performance.now() - t);
  }
  const deviceIdTotal = performance.now() - t0;
  const stats = client.stats;
  await client.close();

  const tool: number[] = [];
  t0 = performance.now();
  for (let i = 0; i < toolN; i++) {
    const t = performance.now();
    const r = await ipmitool(sim, ["chassis", "power", "status"], { cipherSuite: 3 });
    tool.push(performance.now() - t);
    if (r.code !== 0 || !r.stdout.includes("Chassis Power is on")) throw new Error(`ipmitool read ${i}: ${r.stdout}`);
  }
  const toolTotal = performance.now() - t0;

  console.log(`ipmi_sim on 127.0.0.1:${sim.port}; every read goes through ipmi_sim's chassis_control script for both clients`);
  const a = summary("anvil ipmi driver (1 session)", anvil, anvilTotal);
  const b = summary("ipmitool -I lanplus -C 3 (process)", tool, toolTotal);
  summary("anvil Get Device ID (no script)", deviceId, deviceIdTotal);
  console.log(`anvil sessions opened: ${stats.sessionsOpened}, retransmits: ${stats.retransmits}, dropped: ${stats.dropped}`);
  console.log(`ratio ipmitool/anvil: p50 ${(b.p50 / a.p50).toFixed(1)}x  p99 ${(b.p99 / a.p99).toFixed(1)}x  (target >= 5x)`);
} finally {
  await sim.stop();
}
