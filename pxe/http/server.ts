/**
 * The HTTP side of network boot (node:http with keep-alive):
 *   GET /boot.ipxe            entry script, chains to the per-MAC script
 *   GET /ipxe/<mac>           per-MAC script from the boot backend (404 for an unknown MAC)
 *   GET /assets/<path>        boot assets (kernel, initrd, images) with Range and conditionals
 *   GET /<name>, /ipxe-bin/<name>  the iPXE binaries (ipxe.efi...), for UEFI HTTP boot clients
 *   *   /agent/v1/hosts/<mac>/...  the deploy agent's API, bearer-token authenticated
 *   GET /healthz
 */
import { once } from "node:events";
import http, { type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { stat } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { normalizeMac, type BootBackend, type BootRecord } from "../boot-backend.js";
import { redactPath, type HttpAccessEvent } from "./access-log.js";
import { authenticateAgent } from "./agent-auth.js";
import { PxeHttpError } from "./errors.js";
import { entryScript, hostScript } from "./ipxe-script.js";
import { resolveAsset, sendFile, type AssetFile } from "./static-files.js";

/** Handles an authenticated agent call; `subpath` is what follows `/agent/v1/hosts/<mac>`. */
export type AgentHandler = (req: IncomingMessage, res: ServerResponse, ctx: { readonly record: BootRecord; readonly subpath: string }) => Promise<void>;

export interface BootHttpServerOptions {
  readonly backend: BootBackend;
  /** How machines reach this server, e.g. `http://10.0.0.1:8080` (no trailing slash). */
  readonly publicUrl: string;
  /** @default "0.0.0.0" */
  readonly address?: string;
  /** @default 8080 */
  readonly port?: number;
  /** Directory served under `/assets/`. */
  readonly assetsDir?: string;
  /** Names served at `/<name>` and `/ipxe-bin/<name>` from trusted paths (Debian's files are symlinks into /boot). */
  readonly ipxeBinaries?: ReadonlyMap<string, string>;
  /** The agent API (`agentApi` of agent-api.ts); without it, authenticated calls other than `whoami` get 404. */
  readonly agent?: AgentHandler;
  /** Told the code of every agent call refused before `agent` runs (401, 403, 404), for the agent API's counters. */
  readonly agentRejected?: (code: string) => void;
  readonly log?: (e: HttpAccessEvent) => void;
  /** Idle keep-alive connections are closed after this. @default 65000 */
  readonly keepAliveTimeoutMs?: number;
}

const SCRIPT_TYPE = "text/plain; charset=utf-8";

export class BootHttpServer {
  private server: Server | undefined;
  private readonly base: string;

  constructor(private readonly opts: BootHttpServerOptions) {
    this.base = opts.publicUrl.replace(/\/+$/, "");
  }

  async listen(): Promise<{ address: string; port: number }> {
    const server = http.createServer({ keepAlive: true }, (req, res) => this.handle(req, res));
    server.keepAliveTimeout = this.opts.keepAliveTimeoutMs ?? 65_000;
    server.headersTimeout = 30_000;
    server.requestTimeout = 0;
    const listening = once(server, "listening");
    server.listen(this.opts.port ?? 8080, this.opts.address ?? "0.0.0.0");
    try {
      // events.once rejects with the server's "error" event (EADDRINUSE, EACCES).
      await listening;
    } catch (err) {
      throw new PxeHttpError("PXE_HTTP_BIND_FAILED", `cannot listen on ${this.opts.address ?? "0.0.0.0"}:${this.opts.port ?? 8080}: ${(err as Error).message}`, { cause: err });
    }
    this.server = server;
    const a = server.address() as AddressInfo;
    return { address: a.address, port: a.port };
  }

  async close(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    const closed = new Promise<void>((resolve) => s.close(() => resolve()));
    s.closeAllConnections();
    await closed;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const started = Date.now();
    const ctx: { host?: string; bytes: number } = { bytes: 0 };
    res.once("close", () => {
      this.opts.log?.({
        event: "http",
        method: req.method ?? "",
        path: redactPath(req.url ?? ""),
        status: res.statusCode,
        bytes: ctx.bytes,
        ms: Date.now() - started,
        remote: req.socket.remoteAddress ?? "",
        ...(ctx.host !== undefined ? { host: ctx.host } : {}),
      });
    });
    this.route(req, res, ctx).catch((err: unknown) => {
      if (!res.headersSent) text(res, 500, "internal error\n");
      else res.destroy(err instanceof Error ? err : undefined);
    });
  }

  private async route(req: IncomingMessage, res: ServerResponse, ctx: { host?: string; bytes: number }): Promise<void> {
    const url = new URL(req.url ?? "/", "http://anvil.invalid");
    let p: string;
    try {
      p = decodeURIComponent(url.pathname);
    } catch {
      return text(res, 400, "bad path\n");
    }
    const readOnly = req.method === "GET" || req.method === "HEAD";
    if (p.startsWith("/agent/v1/")) return this.agentCall(req, res, p, ctx);
    if (!readOnly) {
      res.setHeader("Allow", "GET, HEAD");
      return text(res, 405, "method not allowed\n");
    }
    if (p === "/healthz") return text(res, 200, "ok\n");
    if (p === "/boot.ipxe") return script(req, res, entryScript(this.base), ctx);
    const perMac = /^\/ipxe\/([^/]+)$/.exec(p);
    if (perMac) return this.hostScript(req, res, perMac[1]!, ctx);
    // UEFI HTTP boot clients get `<base>/ipxe.efi` from DHCP (docs/dhcp.md); `/ipxe-bin/` is the same catalogue.
    const bin = /^\/(?:ipxe-bin\/)?([^/]+)$/.exec(p);
    const target = bin ? this.opts.ipxeBinaries?.get(bin[1]!) : undefined;
    if (target !== undefined) return this.file(req, res, await statAsset(target), ctx);
    if (p.startsWith("/assets/") && this.opts.assetsDir !== undefined) {
      return this.file(req, res, await resolveAsset(this.opts.assetsDir, p.slice("/assets/".length)), ctx);
    }
    return text(res, 404, "not found\n");
  }

  private async hostScript(req: IncomingMessage, res: ServerResponse, rawMac: string, ctx: { host?: string; bytes: number }): Promise<void> {
    const mac = normalizeMac(rawMac);
    if (mac === undefined) return text(res, 400, "not a MAC address\n");
    const record = await this.opts.backend.byMac(mac);
    // An unknown MAC is a normal outcome: iPXE's `chain ... || exit` leaves network boot.
    if (!record) return text(res, 404, "unknown machine\n");
    ctx.host = record.hostName;
    return script(req, res, hostScript(record, { baseUrl: this.base }), ctx);
  }

  private async file(req: IncomingMessage, res: ServerResponse, file: AssetFile | undefined, ctx: { bytes: number }): Promise<void> {
    if (!file) return text(res, 404, "not found\n");
    await sendFile(req, res, file, ctx);
  }

  private async agentCall(req: IncomingMessage, res: ServerResponse, p: string, ctx: { host?: string; bytes: number }): Promise<void> {
    const m = /^\/agent\/v1\/hosts\/([^/]+)(\/.*)?$/.exec(p);
    if (!m) {
      this.opts.agentRejected?.("AGENT_ROUTE_NOT_FOUND");
      return json(res, 404, { code: "AGENT_ROUTE_NOT_FOUND" });
    }
    let auth: Awaited<ReturnType<typeof authenticateAgent>>;
    try {
      auth = await authenticateAgent(this.opts.backend, req.headers.authorization, m[1]!);
    } catch {
      // The token lookup (the host store) failed: the agent retries a 503 after Retry-After.
      this.opts.agentRejected?.("AGENT_BACKEND_UNAVAILABLE");
      res.setHeader("Retry-After", "2");
      return json(res, 503, { code: "AGENT_BACKEND_UNAVAILABLE", message: "the manager cannot check the token now; retry" });
    }
    if (!auth.ok) {
      this.opts.agentRejected?.(auth.code);
      if (auth.status === 401) res.setHeader("WWW-Authenticate", 'Bearer realm="anvil-agent"');
      return json(res, auth.status, { code: auth.code });
    }
    ctx.host = auth.record.hostName;
    const subpath = m[2] ?? "/";
    if (this.opts.agent) return this.opts.agent(req, res, { record: auth.record, subpath });
    if (subpath === "/whoami" && req.method === "GET") return json(res, 200, { hostName: auth.record.hostName, mac: auth.record.mac });
    return json(res, 404, { code: "AGENT_ROUTE_NOT_FOUND" });
  }
}

async function statAsset(p: string): Promise<AssetFile | undefined> {
  try {
    const st = await stat(p);
    return st.isFile() ? { path: p, size: st.size, mtimeMs: st.mtimeMs } : undefined;
  } catch {
    return undefined;
  }
}

function script(req: IncomingMessage, res: ServerResponse, body: string, ctx: { bytes: number }): void {
  const buf = Buffer.from(body, "utf8");
  res.statusCode = 200;
  res.setHeader("Content-Type", SCRIPT_TYPE);
  res.setHeader("Content-Length", buf.length);
  // Scripts change with the host's state: never cached.
  res.setHeader("Cache-Control", "no-store");
  if (req.method === "HEAD") {
    res.end();
    return;
  }
  ctx.bytes = buf.length;
  res.end(buf);
}

function text(res: ServerResponse, status: number, body: string): void {
  res.statusCode = status;
  res.setHeader("Content-Type", "text/plain; charset=utf-8");
  res.setHeader("Content-Length", Buffer.byteLength(body));
  res.end(body);
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const s = JSON.stringify(body);
  res.statusCode = status;
  res.setHeader("Content-Type", "application/json");
  res.setHeader("Content-Length", Buffer.byteLength(s));
  res.end(s);
}
