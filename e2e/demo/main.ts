/**
 * `make demo`: a local API server, a fleet of emulated BMCs, Anvil's CRDs and
 * a sample inventory, shown with `kubectl get bmh -o wide` a few times; then
 * everything stops (or, with DEMO_KEEP=1, keeps running for the person).
 * Settings: e2e/demo/config.ts. Runs without a TTY and ends by itself.
 *
 * DEMO_READY_FILE (set by scripts/demo.sh in keep mode) receives the
 * `export ...` lines once the demo is ready; DEMO_PID_FILE our pid.
 */
import { writeFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { demoConfig, type DemoConfig } from "./config.js";
import { DEMO_STAGES, type DemoContext } from "./stages.js";

const say = (line: string): void => {
  process.stdout.write(`[demo ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
};

const stops: (() => Promise<void>)[] = [];
let shuttingDown: Promise<void> | undefined;
/** The stage now running: what it starts registers its cleanup only when it returns. */
let inFlight: Promise<void> | undefined;

async function shutdown(code: number, why: string): Promise<never> {
  shuttingDown ??= (async () => {
    say(`stopping (${why})`);
    // A failure also goes to stderr, where callers that keep only stderr look.
    if (code !== 0) process.stderr.write(`[demo] stopping (${why})\n`);
    // Peers run in their own process groups and would outlive us: let the
    // running stage finish (each has its own start timeout) and register them.
    if (inFlight !== undefined) await Promise.race([inFlight.catch(() => undefined), sleep(150_000)]);
    for (const fn of stops.reverse()) {
      try {
        await fn();
      } catch (err) {
        say(`cleanup step failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    say("stopped; every process ended and temporary data removed");
  })();
  await shuttingDown;
  process.exit(code);
}

async function show(ctx: DemoContext, round: number): Promise<void> {
  const cp = ctx.controlPlane;
  if (cp === undefined) return;
  const ns = ctx.config.namespace;
  say(`round ${round}/${ctx.config.rounds}:`);
  const args = ctx.crdsInstalled === true ? ["get", "bmh", "-n", ns, "-o", "wide"] : ["get", "secrets", "-n", ns];
  process.stdout.write(`$ kubectl ${args.join(" ")}\n${(await cp.kubectl(args)).stdout}`);
  if (ctx.fleet !== undefined) {
    const states = await ctx.fleet.powerStates();
    process.stdout.write(`BMC power states (read over Redfish): ${states.map((s) => `${s.name}=${s.powerState}`).join(" ")}\n`);
  }
}

async function main(config: DemoConfig): Promise<void> {
  const watchdog = setTimeout(() => void shutdown(1, `the demo took longer than DEMO_TIMEOUT=${config.timeoutSeconds}s`), config.timeoutSeconds * 1000);
  const ctx: DemoContext = { config, say, onStop: (fn) => stops.push(fn) };
  const t0 = Date.now();
  for (const stage of DEMO_STAGES) {
    if (shuttingDown !== undefined) return;
    const ts = Date.now();
    say(`▶ ${stage.name}`);
    inFlight = stage.run(ctx);
    await inFlight;
    inFlight = undefined;
    say(`  done in ${((Date.now() - ts) / 1000).toFixed(1)} s`);
  }
  say(`ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  if (!DEMO_STAGES.some((s) => s.reconcilesHosts === true)) {
    say("no controller runs yet, so STATE stays empty: Anvil's manager joins the demo as one more stage");
  }
  for (let round = 1; round <= config.rounds; round++) {
    if (shuttingDown !== undefined) return;
    await show(ctx, round);
    if (round < config.rounds) await sleep(config.intervalSeconds * 1000);
  }
  if (!config.keep) {
    clearTimeout(watchdog);
    await shutdown(0, "done");
  }
  clearTimeout(watchdog);
  const cp = ctx.controlPlane;
  const exports = cp ? `export KUBECONFIG=${cp.kubeconfigPath}\nexport PATH=${cp.binDir}:"$PATH"\n` : "";
  const readyFile = process.env.DEMO_READY_FILE;
  if (readyFile !== undefined && readyFile !== "") {
    // scripts/demo.sh prints these itself once this process is in the background.
    writeFileSync(readyFile, exports);
    say(`ready; keeps running (DEMO_KEEP=1) until scripts/demo.sh stop or kill ${process.pid}`);
  } else {
    process.stdout.write(`\nThe demo keeps running (DEMO_KEEP=1); Ctrl-C stops it. Use it with:\n${exports}`);
  }
}

for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.on(sig, () => void shutdown(sig === "SIGINT" ? 130 : 143, sig));
}
const pidFile = process.env.DEMO_PID_FILE;
if (pidFile !== undefined && pidFile !== "") writeFileSync(pidFile, `${process.pid}\n`);

let config: DemoConfig;
try {
  config = demoConfig(process.env);
} catch (err) {
  say(err instanceof Error ? err.message : String(err));
  process.exit(2);
}
void main(config).catch((err: unknown) => shutdown(1, `failed: ${err instanceof Error ? err.message : String(err)}`));
