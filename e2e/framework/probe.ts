/** One-shot HTTP(S) GETs for readiness probes of local peers. */
import http from "node:http";
import https from "node:https";

export interface ProbeTls {
  /** PEM CA to verify the server with; without it the server is not verified. */
  readonly ca?: string;
  /** PEM client certificate and key, for servers that require one. */
  readonly cert?: string;
  readonly key?: string;
}

export interface ProbeResponse {
  readonly status: number;
  readonly body: string;
}

/** GET `url` once, failing after `timeoutMs`. Any status resolves; network errors reject. */
export function probeGet(url: string, opts: { tls?: ProbeTls; timeoutMs?: number } = {}): Promise<ProbeResponse> {
  const u = new URL(url);
  const timeout = opts.timeoutMs ?? 2000;
  return new Promise((resolve, reject) => {
    const onResponse = (res: http.IncomingMessage): void => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      res.on("error", reject);
    };
    const req =
      u.protocol === "https:"
        ? https.get(
            u,
            {
              timeout,
              ca: opts.tls?.ca,
              cert: opts.tls?.cert,
              key: opts.tls?.key,
              rejectUnauthorized: opts.tls?.ca !== undefined,
              agent: false,
            },
            onResponse,
          )
        : http.get(u, { timeout, agent: false }, onResponse);
    req.on("timeout", () => req.destroy(new Error(`GET ${url} timed out after ${timeout} ms`)));
    req.on("error", reject);
  });
}
