/**
 * A BMC that misbehaves on cue: an HTTP reverse proxy on 127.0.0.1 in front
 * of one real BMC (sushy-tools), with one job. In `forward` mode it passes
 * every request through unchanged; in `fail` mode it answers each request
 * with HTTP 500 and a Redfish error body (DSP0266 §9.6 "Error responses"),
 * as a BMC whose service crashed does; in `refuse` mode nothing listens on
 * its port (connections are refused, open ones are cut), as a BMC that is
 * powered down or unplugged. The port stays the same across modes, so the
 * host's BMC address never changes while the test flips the fault.
 *
 * Bounded: every upstream request has a timeout and `stop()` closes the
 * listener and every socket, whatever the mode.
 */
import http from "node:http";
import type { Socket } from "node:net";

export type FaultMode = "forward" | "fail" | "refuse";

export interface FaultProxyOptions {
  /** The real BMC, `http://127.0.0.1:<port>`. */
  readonly target: string;
  /** @default "forward" */
  readonly mode?: FaultMode;
  /** Upstream request timeout. @default 30000 */
  readonly upstreamTimeoutMs?: number;
}

export interface FaultProxy {
  /** `http://127.0.0.1:<port>`, the same in every mode. */
  readonly url: string;
  readonly port: number;
  readonly mode: FaultMode;
  /** Requests answered per mode so far (`refuse` counts connections cut while it switched). */
  readonly answered: Readonly<Record<FaultMode, number>>;
  /** Switches the fault; resolves once the port behaves the new way. */
  set(mode: FaultMode): Promise<void>;
  stop(): Promise<void>;
}

const LISTEN_ATTEMPTS = 20;

export async function startFaultProxy(o: FaultProxyOptions): Promise<FaultProxy> {
  const target = new URL(o.target);
  if (target.protocol !== "http:") throw new Error(`fault proxy: only an http:// target is supported, not ${target.protocol}`);
  const answered: Record<FaultMode, number> = { forward: 0, fail: 0, refuse: 0 };
  const sockets = new Set<Socket>();
  let mode: FaultMode = o.mode ?? "forward";
  let listening = false;
  let stopped = false;

  const server = http.createServer((req, res) => {
    if (mode === "fail") {
      answered.fail++;
      req.resume();
      const body = JSON.stringify({
        error: {
          code: "Base.1.0.GeneralError",
          message: "A general error has occurred. See ExtendedInfo for more information.",
          "@Message.ExtendedInfo": [{ MessageId: "Base.1.0.InternalError", Message: "The request failed due to an internal service error (injected by the test)." }],
        },
      });
      res.writeHead(500, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) }).end(body);
      return;
    }
    answered.forward++;
    const upstream = http.request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, host: target.host }, timeout: o.upstreamTimeoutMs ?? 30_000 },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on("timeout", () => upstream.destroy(new Error("upstream timed out")));
    upstream.on("error", () => {
      if (!res.headersSent) res.writeHead(502).end();
      else res.destroy();
    });
    req.pipe(upstream);
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });

  const listen = async (port: number): Promise<number> => {
    for (let i = 1; ; i++) {
      try {
        await new Promise<void>((resolve, reject) => {
          server.once("error", reject);
          server.listen(port, "127.0.0.1", () => {
            server.off("error", reject);
            resolve();
          });
        });
        listening = true;
        const addr = server.address();
        if (addr === null || typeof addr === "string") throw new Error("fault proxy: no TCP address");
        return addr.port;
      } catch (err) {
        // The port was ours a moment ago; only a closing socket of our own can hold it, briefly.
        if ((err as NodeJS.ErrnoException).code !== "EADDRINUSE" || i >= LISTEN_ATTEMPTS) throw err;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  };
  const close = async (): Promise<void> => {
    if (!listening) return;
    listening = false;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    answered.refuse += sockets.size;
    for (const s of sockets) s.destroy();
    await closed;
  };

  const port = await listen(0);
  if (mode === "refuse") await close();

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    get mode() {
      return mode;
    },
    answered,
    async set(next) {
      if (stopped) throw new Error("fault proxy: stopped");
      mode = next;
      if (next === "refuse") await close();
      else if (!listening) await listen(port);
    },
    async stop() {
      stopped = true;
      await close();
    },
  };
}
