/**
 * Runs the DHCP service alone, for tests and benchmarks that start it inside
 * a network namespace: `node --import tsx pxe/dhcp/serve-entry.ts <config>`.
 * The config (YAML or JSON) holds `dhcp` (DhcpConfigInput) and `hostsFile`.
 * Prints `dhcp: ready` once listening; SIGUSR2 prints the metrics as one
 * `metrics {...}` line; SIGTERM/SIGINT close cleanly and print them again.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { parse as parseYaml } from "yaml";
import { FileBackend } from "../backends/file-backend.js";
import { resolveConfig, type DhcpConfigInput } from "./config.js";
import { startDhcpService } from "./service.js";

interface EntryConfig {
  readonly dhcp: DhcpConfigInput;
  readonly hostsFile: string;
}

async function main(): Promise<void> {
  const file = process.argv[2];
  if (!file) throw new Error("usage: serve-entry.ts <config.yaml>");
  const entry = parseYaml(await readFile(file, "utf8")) as EntryConfig;
  const cfg = resolveConfig(entry.dhcp);
  const log = (line: string): void => void process.stdout.write(`${line}\n`);
  const backend = await FileBackend.open(path.resolve(path.dirname(file), entry.hostsFile), {
    onReload: (n, err) => log(err ? `hosts: reload rejected (${err.code}): ${err.message}` : `hosts: ${n} hosts`),
  });
  const server = await startDhcpService(cfg, backend, { log });
  const printMetrics = (): void => log(`metrics ${JSON.stringify(server?.metrics ?? {})}`);
  process.on("SIGUSR2", printMetrics);
  const stop = (): void => {
    void (async () => {
      await server?.close();
      backend.close();
      printMetrics();
      process.exit(0);
    })();
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
  log(`dhcp: ready mode=${cfg.mode}`);
}

main().catch((err: unknown) => {
  process.stderr.write(`dhcp: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
