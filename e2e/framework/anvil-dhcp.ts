/**
 * Anvil's DHCP service as a supervised process inside a lab namespace (Node
 * cannot enter a namespace itself, so tests run `pxe/dhcp/serve-entry.ts`
 * under `ip netns exec`). Writes its config and hosts file into the lab
 * directory, waits for `dhcp: ready`, and reads metrics over SIGUSR2.
 */
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { stringify } from "yaml";
import type { DhcpConfigInput } from "../../pxe/dhcp/config.js";
import type { DhcpMetrics } from "../../pxe/dhcp/metrics.js";
import type { NetnsLab } from "./netns.js";
import { waitFor, type Supervised } from "./process.js";

export interface HostEntry {
  readonly mac: string;
  readonly name?: string;
  readonly reservation?: Record<string, unknown>;
  readonly boot?: Record<string, unknown>;
}

export interface AnvilDhcpOptions {
  /** @default "anvil-dhcp" */
  readonly name?: string;
  readonly dhcp: DhcpConfigInput;
  readonly hosts: readonly HostEntry[];
}

export interface AnvilDhcp {
  readonly process: Supervised;
  readonly hostsFile: string;
  /** Asks the process for its counters (SIGUSR2) and returns them. */
  metrics(): Promise<DhcpMetrics>;
  stop(): Promise<void>;
}

export function writeHostsFile(file: string, hosts: readonly HostEntry[]): void {
  writeFileSync(file, stringify({ hosts }));
}

export async function startAnvilDhcp(lab: NetnsLab, ns: string, o: AnvilDhcpOptions): Promise<AnvilDhcp> {
  const name = o.name ?? "anvil-dhcp";
  const hostsFile = path.join(lab.dir, `${name}.hosts.yaml`);
  const configFile = path.join(lab.dir, `${name}.yaml`);
  writeHostsFile(hostsFile, o.hosts);
  writeFileSync(configFile, stringify({ dhcp: o.dhcp, hostsFile }));
  const proc = lab.startNode(ns, { name, entry: "pxe/dhcp/serve-entry.ts", args: [configFile] });
  const log = (): string => {
    try {
      return readFileSync(proc.logFile, "utf8");
    } catch {
      return "";
    }
  };
  const readyBefore = log().split("dhcp: ready").length;
  await waitFor(`${name} to listen`, () => Promise.resolve(log().split("dhcp: ready").length > readyBefore), { timeoutMs: 60_000, process: proc });
  return {
    process: proc,
    hostsFile,
    async metrics() {
      const before = log().split("\nmetrics ").length;
      proc.child.kill("SIGUSR2");
      await waitFor(`${name} metrics`, () => Promise.resolve(log().split("\nmetrics ").length > before), { timeoutMs: 10_000, process: proc });
      const lines = log().split("\n").filter((l) => l.startsWith("metrics "));
      return JSON.parse(lines[lines.length - 1]!.slice("metrics ".length)) as DhcpMetrics;
    },
    stop: () => proc.stop(),
  };
}
