/**
 * `anvil pxe serve --config FILE`: runs DHCP, TFTP and HTTP standalone with
 * the file backend until SIGINT/SIGTERM. Logs are JSON lines on stdout;
 * SIGUSR2 prints the counters. docs/pxe.md describes the config file.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import process from "node:process";
import { parseArgs } from "node:util";
import { parse as parseYaml } from "yaml";
import { FileBackend } from "../pxe/backends/file-backend.js";
import { startBootService } from "../pxe/boot-service.js";
import { resolvePxeConfig } from "../pxe/config.js";
import { jsonLinesTo } from "./json-lines.js";

const USAGE = `usage: anvil pxe serve --config FILE [--log-level debug|info]

Runs Anvil's network boot services (DHCP, TFTP, HTTP/iPXE) with the hosts of
a file backend. See docs/pxe.md for the config file. --log-level debug adds a
line when each TFTP transfer starts (default info: one line when it ends).`;

const lines = jsonLinesTo((text) => process.stdout.write(text));
const emit = (obj: object): void => lines.emit(obj);
/** Events written only at --log-level debug: a boot storm's transfers are logged once each, at their end. */
const DEBUG_EVENTS: ReadonlySet<string> = new Set(["transfer-start"]);

export async function run(argv: readonly string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === "--help" || sub === "-h" || sub === undefined) {
    process.stdout.write(`${USAGE}\n`);
    return sub === undefined ? 2 : 0;
  }
  if (sub !== "serve") {
    process.stderr.write(`anvil pxe: unknown subcommand "${sub}"\n${USAGE}\n`);
    return 2;
  }
  const { values } = parseArgs({ args: [...rest], options: { config: { type: "string" }, "log-level": { type: "string", default: "info" }, help: { type: "boolean", short: "h" } } });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (!values.config) {
    process.stderr.write(`anvil pxe serve: --config is required\n${USAGE}\n`);
    return 2;
  }
  const level = values["log-level"];
  if (level !== "debug" && level !== "info") {
    process.stderr.write(`anvil pxe serve: --log-level takes debug or info, got "${level}"\n${USAGE}\n`);
    return 2;
  }
  const serviceLog = level === "debug" ? emit : (e: { readonly event: string }): void => (DEBUG_EVENTS.has(e.event) ? undefined : emit(e));
  const file = path.resolve(values.config);
  const cfg = resolvePxeConfig(parseYaml(await readFile(file, "utf8")), path.dirname(file));
  const backend = await FileBackend.open(cfg.hostsFile, {
    onReload: (hosts, err) => emit(err ? { event: "hosts-reload-rejected", code: err.code, message: err.message } : { event: "hosts-reloaded", hosts }),
  });
  // Lines still queued when the process ends (an exit, an uncaught error) are written then.
  process.once("exit", () => lines.flush());
  const abort = new AbortController();
  let service;
  try {
    service = await startBootService(cfg, backend, { signal: abort.signal, log: serviceLog });
  } catch (err) {
    backend.close();
    throw err;
  }
  const metrics = (): void => emit({ event: "metrics", tftp: service.tftp?.metrics, dhcp: service.dhcp?.metrics });
  process.on("SIGUSR2", metrics);
  emit({
    event: "ready",
    dhcp: cfg.dhcp.mode,
    tftp: service.tftpAddress ? `${service.tftpAddress.address}:${service.tftpAddress.port}` : "off",
    // ADR 0028: which engine moves TFTP blocks, and why `auto` fell back to TypeScript.
    ...(service.tftp ? { tftpEngine: service.tftp.engine.name, ...(service.tftp.engine.fallbackReason ? { tftpEngineFallback: service.tftp.engine.fallbackReason } : {}) } : {}),
    http: service.httpAddress ? `${service.httpAddress.address}:${service.httpAddress.port}` : "off",
    hosts: backend.all().length,
  });
  await new Promise<void>((resolve) => {
    process.once("SIGINT", () => resolve());
    process.once("SIGTERM", () => resolve());
  });
  abort.abort();
  await service.close();
  backend.close();
  process.removeListener("SIGUSR2", metrics);
  metrics();
  emit({ event: "stopped" });
  return 0;
}
