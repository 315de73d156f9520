/**
 * An optional IPv6 router advertisement sender, supervised by the DHCP
 * service. Why: iPXE configures IPv6 beside DHCPv4 and waits ~13 s for a
 * router advertisement (RFC 4861 §6.3.7: it solicits, then gives up) before
 * it boots, unless one arrives. Node has no raw ICMPv6 sockets, so Anvil
 * runs Debian's dnsmasq in RA-only mode (no DHCP, no DNS, no port bound)
 * rather than speaking ICMPv6 itself (ADR 0012).
 *
 * The advertisements carry router lifetime 0 (RFC 4861 §4.2: "not a default
 * router"), so neither iPXE nor the installed OS routes IPv6 through the
 * Anvil host; iPXE's wait ends all the same.
 */
import { spawn, type ChildProcess } from "node:child_process";

export interface RouterAdvertiserConfig {
  /** The provisioning interface; it needs an IPv6 prefix (ULA or global) for dnsmasq's `constructor:`. */
  readonly interface: string;
  /** @default "/usr/sbin/dnsmasq" */
  readonly command: string;
  /** Unsolicited advertisement interval; solicitations are answered at once. @default 30 */
  readonly intervalSeconds: number;
}

export interface RouterAdvertiser {
  /** Restarts after unexpected exits so far. */
  readonly restarts: number;
  stop(): Promise<void>;
}

const MAX_BACKOFF_MS = 30_000;
const STOP_GRACE_MS = 5_000;

export function routerAdvertiserArgs(cfg: RouterAdvertiserConfig): string[] {
  return [
    "--keep-in-foreground",
    "--conf-file=/dev/null",
    "--port=0",
    `--interface=${cfg.interface}`,
    "--bind-interfaces",
    "--pid-file=",
    "--log-facility=-",
    "--enable-ra",
    `--dhcp-range=::,constructor:${cfg.interface},ra-only`,
    // dnsmasq's --ra-param: interface, interval, router lifetime (0: not a default router).
    `--ra-param=${cfg.interface},${cfg.intervalSeconds},0`,
  ];
}

/** Starts the sender and restarts it with backoff (1 s doubling to 30 s) whenever it exits on its own. */
export function startRouterAdvertiser(cfg: RouterAdvertiserConfig, log: (line: string) => void): RouterAdvertiser {
  let child: ChildProcess | undefined;
  let stopping = false;
  let restarts = 0;
  let backoffMs = 1_000;
  let timer: NodeJS.Timeout | undefined;

  const launch = (): void => {
    const started = Date.now();
    const c = spawn(cfg.command, routerAdvertiserArgs(cfg), { stdio: ["ignore", "ignore", "pipe"] });
    child = c;
    let lastError = "";
    c.stderr?.on("data", (chunk: Buffer) => {
      lastError = chunk.toString("utf8").trim().split("\n").pop() ?? "";
    });
    c.on("error", (err) => log(`dhcp: router advertiser ${cfg.command} failed to start: ${err.message}`));
    c.on("exit", (code, signal) => {
      child = undefined;
      if (stopping) return;
      // A run that lasted a while resets the backoff; a crash loop backs off.
      if (Date.now() - started > MAX_BACKOFF_MS) backoffMs = 1_000;
      log(`dhcp: router advertiser exited (${signal ?? `code ${code}`}${lastError ? `: ${lastError}` : ""}); restarting in ${backoffMs} ms`);
      timer = setTimeout(() => {
        restarts++;
        launch();
      }, backoffMs);
      backoffMs = Math.min(backoffMs * 2, MAX_BACKOFF_MS);
    });
  };
  launch();
  log(`dhcp: router advertisements on ${cfg.interface} (router lifetime 0) by ${cfg.command}`);

  return {
    get restarts() {
      return restarts;
    },
    async stop() {
      stopping = true;
      clearTimeout(timer);
      const c = child;
      if (!c || c.exitCode !== null || c.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => c.once("exit", () => resolve()));
      c.kill("SIGTERM");
      const kill = setTimeout(() => c.kill("SIGKILL"), STOP_GRACE_MS);
      await exited;
      clearTimeout(kill);
    },
  };
}
