/**
 * The HTTP layer under every API call: the kubeconfig's server and TLS
 * identity, a keep-alive agent, the client-side token bucket, and one place
 * where non-2xx answers become typed errors. Watches stream newline-delimited
 * JSON events (one WatchEvent per line, as the API server writes them for
 * `?watch=true`).
 */
import https from "node:https";
import http from "node:http";
import type { KubeConfig } from "@kubernetes/client-node";
import { ApiError, ApiErrorCode, errorFromResponse } from "./errors.js";
import { TokenBucket, type TokenBucketOptions } from "./token-bucket.js";

export interface TransportOptions extends TokenBucketOptions {
  /** Deadline of one non-watch request. @default 30_000 */
  readonly requestTimeoutMs?: number;
  /** Sockets kept open to the API server. @default 64 */
  readonly maxSockets?: number;
  /** User-Agent header. @default "anvil-manager" */
  readonly userAgent?: string;
}

export interface RequestOptions {
  readonly query?: Readonly<Record<string, string | number | boolean | undefined>>;
  readonly body?: unknown;
  /** @default "application/json" */
  readonly contentType?: string;
  readonly signal?: AbortSignal;
  /** Words that name the call in an error message ("get BareMetalHost ns/name"). */
  readonly what?: string;
}

export interface WatchEvent<T> {
  readonly type: "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK" | "ERROR";
  readonly object: T;
}

export class Transport {
  readonly server: URL;
  readonly limiter: TokenBucket;
  readonly #kc: KubeConfig;
  readonly #agent: https.Agent | http.Agent;
  readonly #timeout: number;
  readonly #userAgent: string;
  #requests = 0;

  constructor(kc: KubeConfig, opts: TransportOptions = {}) {
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new ApiError(ApiErrorCode.BadRequest, "kubeconfig has no current cluster");
    this.server = new URL(cluster.server);
    this.#kc = kc;
    this.limiter = new TokenBucket(opts);
    this.#timeout = opts.requestTimeoutMs ?? 30_000;
    this.#userAgent = opts.userAgent ?? "anvil-manager";
    const agentOpts = { keepAlive: true, maxSockets: opts.maxSockets ?? 64 };
    this.#agent = this.server.protocol === "https:" ? new https.Agent(agentOpts) : new http.Agent(agentOpts);
  }

  /** Requests sent so far (rate-limit tests and benchmarks read it). */
  get requestCount(): number {
    return this.#requests;
  }

  async #options(method: string, path: string, query: RequestOptions["query"]): Promise<https.RequestOptions> {
    const url = new URL(path, this.server);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const opts: https.RequestOptions = {
      method,
      protocol: url.protocol,
      hostname: url.hostname,
      port: url.port,
      path: url.pathname + url.search,
      agent: this.#agent,
      headers: { Accept: "application/json", "User-Agent": this.#userAgent },
    };
    await this.#kc.applyToHTTPSOptions(opts);
    // client-node puts a new Agent on every call (KubeConfig.createAgent): each request then paid a
    // full TLS handshake and a fresh SecureContext (key and CA parsed again), half the manager's CPU
    // in a 100-host fleet. Its TLS options stay on `opts`, so our keep-alive agent pools by them.
    // A proxy (cluster proxy-url) keeps client-node's agent: only that one speaks to the proxy.
    if (this.#kc.getCurrentCluster()?.proxyUrl === undefined) opts.agent = this.#agent;
    return opts;
  }

  /** One call; resolves to the parsed JSON body, rejects with an ApiError. */
  async request<T>(method: string, path: string, o: RequestOptions = {}): Promise<T> {
    await this.limiter.take(o.signal);
    const opts = await this.#options(method, path, o.query);
    const what = o.what ?? `${method} ${path}`;
    const payload = o.body === undefined ? undefined : Buffer.from(JSON.stringify(o.body));
    if (payload) opts.headers = { ...opts.headers, "Content-Type": o.contentType ?? "application/json", "Content-Length": payload.length };
    this.#requests++;
    const { status, headers, text } = await this.#send(opts, payload, o.signal, this.#timeout, what);
    const body = parseJson(text);
    if (status < 200 || status > 299) throw errorFromResponse(status, body ?? text, what, headerOf(headers["retry-after"]));
    return body as T;
  }

  #send(
    opts: https.RequestOptions,
    payload: Buffer | undefined,
    signal: AbortSignal | undefined,
    timeoutMs: number,
    what: string,
  ): Promise<{ status: number; headers: http.IncomingHttpHeaders; text: string }> {
    const mod = this.server.protocol === "https:" ? https : http;
    return new Promise((resolve, reject) => {
      const req = mod.request({ ...opts, ...(signal ? { signal } : {}) }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString("utf8") }));
        res.on("error", (e) => reject(networkError(e, what)));
      });
      req.setTimeout(timeoutMs, () => req.destroy(new ApiError(ApiErrorCode.Timeout, `${what}: no answer within ${timeoutMs} ms`)));
      req.on("error", (e) => reject(e instanceof ApiError ? e : networkError(e, what)));
      req.end(payload);
    });
  }

  /**
   * Streams a watch until the server closes it, `signal` aborts, or no byte
   * arrives for `idleTimeoutMs` (a half-open connection). Resolves on a
   * normal close; rejects with an ApiError on an HTTP error status.
   */
  async watch<T>(
    path: string,
    query: RequestOptions["query"],
    onEvent: (e: WatchEvent<T>) => void,
    signal: AbortSignal,
    idleTimeoutMs = 120_000,
  ): Promise<void> {
    await this.limiter.take(signal);
    const opts = await this.#options("GET", path, { ...query, watch: "true" });
    const mod = this.server.protocol === "https:" ? https : http;
    this.#requests++;
    const what = `watch ${path}`;
    await new Promise<void>((resolve, reject) => {
      const fail = (e: ApiError): void => {
        reject(e);
        req.destroy();
      };
      const req = mod.request({ ...opts, signal }, (res) => {
        const status = res.statusCode ?? 0;
        if (status !== 200) {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => reject(errorFromResponse(status, parseJson(Buffer.concat(chunks).toString("utf8")), what)));
          return;
        }
        let buf = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          buf += chunk;
          let nl: number;
          while ((nl = buf.indexOf("\n")) >= 0) {
            const line = buf.slice(0, nl).trim();
            buf = buf.slice(nl + 1);
            if (!line) continue;
            const ev = parseJson(line) as WatchEvent<T> | undefined;
            if (!ev || typeof ev.type !== "string") {
              fail(new ApiError(ApiErrorCode.Unknown, `${what}: undecodable watch event`));
              return;
            }
            try {
              onEvent(ev);
            } catch (err) {
              fail(err instanceof ApiError ? err : new ApiError(ApiErrorCode.Unknown, `${what}: event handler failed`, { cause: err }));
              return;
            }
          }
        });
        res.on("end", () => resolve());
        res.on("aborted", () => resolve());
        res.on("error", (e) => (signal.aborted ? resolve() : reject(networkError(e, what))));
      });
      req.setTimeout(idleTimeoutMs, () => fail(new ApiError(ApiErrorCode.Timeout, `${what}: silent for ${idleTimeoutMs} ms`)));
      req.on("error", (e) => {
        if (signal.aborted) resolve();
        else reject(e instanceof ApiError ? e : networkError(e, what));
      });
      req.end();
    });
  }

  close(): void {
    this.#agent.destroy();
  }
}

function parseJson(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

const headerOf = (h: string | string[] | undefined): string | undefined => (Array.isArray(h) ? h[0] : h);

function networkError(e: Error, what: string): ApiError {
  const code = (e as NodeJS.ErrnoException).code ?? e.name;
  if (e.name === "AbortError") return new ApiError(ApiErrorCode.Timeout, `${what}: aborted`, { cause: e });
  return new ApiError(ApiErrorCode.Unavailable, `${what}: ${code}`, { cause: e });
}
