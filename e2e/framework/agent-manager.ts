/**
 * A test manager for the ramdisk agent: a node:http server on 127.0.0.1 that
 * speaks docs/agent-protocol.md. The test queues instructions one at a time;
 * between them the agent is told to `wait`. Every request is recorded, and a
 * request without this host's Bearer token gets 401, so the agent's auth is
 * exercised too. Also serves image and checksum files from memory.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";

export interface AgentRequest {
  readonly at: number;
  readonly method: string;
  readonly path: string;
  readonly authorized: boolean;
  readonly body: unknown;
}

export interface AgentResult {
  readonly action: string;
  readonly ok: boolean;
  readonly error?: { readonly code: string; readonly message: string };
  readonly rootDevice?: string;
  readonly wiped?: string[];
}

export interface AgentManager {
  readonly port: number;
  readonly requests: AgentRequest[];
  /** Files served at GET /files/<name>; a missing name answers 404. */
  readonly files: Map<string, Buffer>;
  /** The next GET /instructions answers this once; then `wait` again. */
  give(instruction: Record<string, unknown>): void;
  /** Waits for the next POST /result after `since`. */
  result(since: number, timeoutMs: number): Promise<AgentResult>;
  waitFor(pred: (r: AgentRequest) => boolean, timeoutMs: number): Promise<AgentRequest>;
  close(): Promise<void>;
}

const PREFIX = "/agent/v1";

export async function startAgentManager(token: string): Promise<AgentManager> {
  const requests: AgentRequest[] = [];
  const files = new Map<string, Buffer>();
  const queue: Record<string, unknown>[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const url = req.url ?? "/";
      if (req.method === "GET" && url.startsWith("/files/")) {
        const f = files.get(url.slice("/files/".length));
        if (!f) {
          res.writeHead(404).end();
          return;
        }
        res.writeHead(200, { "content-type": "application/octet-stream", "content-length": f.length });
        res.end(f);
        return;
      }
      if (req.method === "POST" && url === "/report") {
        // The installed test OS's report (e2e/framework/test-os-image.ts): no agent token there.
        requests.push({ at: Date.now(), method: "POST", path: "/report", authorized: false, body: Buffer.concat(chunks).toString("utf8") });
        res.writeHead(204).end();
        return;
      }
      const authorized = req.headers.authorization === `Bearer ${token}`;
      const text = Buffer.concat(chunks).toString("utf8");
      let body: unknown;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        body = text;
      }
      const p = url.startsWith(PREFIX) ? url.slice(PREFIX.length) : url;
      requests.push({ at: Date.now(), method: req.method ?? "", path: p, authorized, body });
      if (!authorized) {
        res.writeHead(401).end();
        return;
      }
      if (req.method === "GET" && p === "/instructions") {
        const next = queue.shift() ?? { action: "wait", retryAfterSeconds: 1 };
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(next));
        return;
      }
      if (req.method === "POST" && ["/inventory", "/progress", "/result"].includes(p)) {
        res.writeHead(204).end();
        return;
      }
      res.writeHead(404).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;

  const waitFor = async (pred: (r: AgentRequest) => boolean, timeoutMs: number): Promise<AgentRequest> => {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const hit = requests.find(pred);
      if (hit) return hit;
      await sleep(100);
    }
    throw new Error(`no matching agent request within ${timeoutMs} ms; saw ${requests.map((r) => `${r.method} ${r.path}`).slice(-10).join(", ")}`);
  };
  return {
    port,
    requests,
    files,
    give: (i) => queue.push(i),
    async result(since, timeoutMs) {
      const r = await waitFor((q) => q.path === "/result" && q.at >= since, timeoutMs);
      return r.body as AgentResult;
    },
    waitFor,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
