/**
 * `anvil manager`: the process the manager Deployment runs. It composes the
 * controller runtime (one API transport, caches, leader election, probes and
 * metrics, JSON logs through the redaction layer), the BareMetalHost
 * controller, and the boot service (DHCP, TFTP, HTTP/iPXE and the deploy
 * agent's API) answering from the controller's two backends. SIGTERM or
 * SIGINT drains both and exits 0. Flags: cmd/manager-flags.ts, docs/cli.md.
 *
 * No state of its own survives a restart: the host controller keeps all of
 * it in Kubernetes objects, so SIGKILL at any moment is only a pause
 * (e2e/fleet.test.ts kills it mid-run).
 */
import process from "node:process";
import { KubeConfig } from "@kubernetes/client-node";
import { BmcAccessQueue, connectBmc } from "../bmc/index.js";
import { registerClusterControllers } from "../controllers/cluster-machine/index.js";
import { registerHostController } from "../controllers/kube-host/index.js";
import { bindAddress, createLogger, Manager, type Logger } from "../controllers/runtime/index.js";
import { startBootService, type BootService, type BootServiceLogEvent } from "../pxe/boot-service.js";
import { exportAgentApiCounters } from "./agent-api-metrics.js";
import { capiPresence } from "./capi-presence.js";
import { bootConfigFor, ManagerConfigError } from "./manager-boot-config.js";
import { MANAGER_USAGE, ManagerFlagError, parseManagerFlags, type ManagerSettings } from "./manager-flags.js";

/** Per-request events are debug (a fleet polls every second); what an operator must see is info or above. */
function logBootEvent(log: Logger, e: BootServiceLogEvent): void {
  switch (e.event) {
    case "agent-backend-error":
      log.warn("agent API call failed; the agent retries", { route: e.route, host: e.host, error: e.message });
      return;
    case "http":
      if (e.status >= 500) log.warn("boot HTTP request failed", { ...e });
      else log.debug("boot HTTP request", { ...e });
      return;
    case "dhcp":
      log.debug("dhcp", { line: e.line });
      return;
    case "transfer-end":
      if (e.outcome !== "completed") log.info("TFTP transfer ended", { ...e });
      else log.debug("TFTP transfer", { ...e });
      return;
    case "transfer-start":
    case "request-refused":
      log.debug("TFTP", { ...e });
      return;
  }
}

function kubeConfigFor(s: ManagerSettings): KubeConfig {
  const kc = new KubeConfig();
  // loadFromDefault: $KUBECONFIG, then the in-cluster service account, then ~/.kube/config.
  if (s.kubeconfig !== undefined) kc.loadFromFile(s.kubeconfig);
  else kc.loadFromDefault();
  return kc;
}

export async function run(argv: readonly string[]): Promise<number> {
  let settings: ManagerSettings;
  let bootConfig;
  try {
    settings = parseManagerFlags(argv);
    if (settings.help) {
      process.stdout.write(`${MANAGER_USAGE}\n`);
      return 0;
    }
    bootConfig = bootConfigFor(settings);
  } catch (err) {
    if (err instanceof ManagerFlagError || err instanceof ManagerConfigError) {
      process.stderr.write(`anvil manager: ${err.message} (${err.code})\nRun \`anvil manager --help\` for the flags.\n`);
      return err.exitCode;
    }
    throw err;
  }
  const log = createLogger({ level: settings.logLevel });
  const rt = settings.runtime;
  const probes = bindAddress(rt.metricsBindAddress);
  const manager = new Manager({
    kubeConfig: kubeConfigFor(settings),
    qps: rt.qps,
    burst: rt.burst,
    ...(rt.namespace ? { namespace: rt.namespace } : {}),
    ...(rt.leaderElect ? { leaderElection: { namespace: rt.leaderElectionNamespace, name: rt.leaderElectionId } } : {}),
    probes: probes === false ? false : probes,
    logger: log,
  });
  // One queue for every host's BMC: per-BMC order and a global limit sized for the fleet (--bmc-concurrency).
  const bmcQueue = new BmcAccessQueue({ globalConcurrency: settings.bmcConcurrency });
  const host = registerHostController({
    manager,
    connect: (o) => connectBmc({ ...o, queue: bmcQueue }),
    ramdisk: settings.ramdisk,
    concurrency: rt.concurrency,
    ...(settings.provisioningLimit !== undefined ? { provisioningLimit: settings.provisioningLimit } : {}),
  });
  // AnvilCluster and AnvilMachine share the Manager's BareMetalHost cache with the host controller.
  // Without Cluster API (Anvil as a bare-metal inventory manager) they are left out; an unknown
  // answer (API server not reachable yet) registers them, as the release always ships with CAPI.
  const capi = await capiPresence(manager);
  if (capi === "absent") log.info("Cluster API is not installed: AnvilCluster and AnvilMachine controllers are off (restart the manager after installing it)");
  else registerClusterControllers({ manager, concurrency: rt.concurrency });

  const stop = new AbortController();
  const onSignal = (sig: NodeJS.Signals): void => {
    if (stop.signal.aborted) return;
    log.info("draining", { signal: sig });
    stop.abort();
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  let service: BootService | undefined;
  try {
    const bootLog = log.with({ component: "boot" });
    service = await startBootService(bootConfig, host.bootBackend, {
      agentBackend: host.agentBackend,
      signal: stop.signal,
      log: (e) => logBootEvent(bootLog, e),
    });
    exportAgentApiCounters(manager.registry, service.agentCounters);
    const addr = (a: { address: string; port: number } | undefined): string => (a ? `${a.address}:${a.port}` : "off");
    log.info("boot service ready", { dhcp: bootConfig.dhcp.mode, tftp: addr(service.tftpAddress), tftpEngine: service.tftp?.engine.name, tftpEngineFallback: service.tftp?.engine.fallbackReason, http: addr(service.httpAddress), publicUrl: bootConfig.http?.publicUrl });
    await manager.start(stop.signal);
    return 0;
  } catch (err) {
    log.error("manager failed", { error: err });
    stop.abort();
    return 1;
  } finally {
    await service?.close();
    process.off("SIGTERM", onSignal);
    process.off("SIGINT", onSignal);
    log.info("stopped");
  }
}
