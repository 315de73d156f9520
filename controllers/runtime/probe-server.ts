/**
 * One small node:http server for `/metrics`, `/healthz` and `/readyz`, the
 * endpoints the manager Deployment's probes and Prometheus scrape.
 * `/healthz` says the process serves; `/readyz` runs the registered checks and
 * names the failing ones, as kube-apiserver's `?verbose` output does.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { METRICS_CONTENT_TYPE, type Registry } from "./metrics.js";

export type Check = () => boolean;

export interface ProbeServerOptions {
  /** @default "127.0.0.1" */
  readonly host?: string;
  /** 0 picks a free port. @default 8080 */
  readonly port?: number;
  readonly registry: Registry;
  readonly readyChecks?: Readonly<Record<string, Check>>;
}

export class ProbeServer {
  readonly #server: http.Server;
  readonly #opts: ProbeServerOptions;

  constructor(opts: ProbeServerOptions) {
    this.#opts = opts;
    this.#server = http.createServer((req, res) => this.#handle(req, res));
    this.#server.keepAliveTimeout = 5_000;
  }

  #handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const path = (req.url ?? "/").split("?")[0];
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { Allow: "GET, HEAD" }).end();
      return;
    }
    if (path === "/metrics") {
      res.writeHead(200, { "Content-Type": METRICS_CONTENT_TYPE }).end(this.#opts.registry.render());
    } else if (path === "/healthz") {
      res.writeHead(200, { "Content-Type": "text/plain" }).end("ok\n");
    } else if (path === "/readyz") {
      const results = Object.entries(this.#opts.readyChecks ?? {}).map(([name, check]) => [name, safe(check)] as const);
      const ok = results.every(([, r]) => r);
      const body = results.map(([n, r]) => `[${r ? "+" : "-"}]${n} ${r ? "ok" : "failed"}`).join("\n");
      res.writeHead(ok ? 200 : 503, { "Content-Type": "text/plain" }).end(`${body}\n${ok ? "readyz check passed" : "readyz check failed"}\n`);
    } else {
      res.writeHead(404, { "Content-Type": "text/plain" }).end("not found\n");
    }
  }

  /** Listens; resolves with the bound address. */
  listen(): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.#server.once("error", reject);
      this.#server.listen(this.#opts.port ?? 8080, this.#opts.host ?? "127.0.0.1", () => {
        this.#server.off("error", reject);
        resolve(this.#server.address() as AddressInfo);
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }
}

function safe(check: Check): boolean {
  try {
    return check();
  } catch {
    return false;
  }
}
