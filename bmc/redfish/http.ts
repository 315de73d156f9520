/**
 * Redfish over HTTP(S) with axios: keep-alive agents, TLS verified by default
 * (or a CA bundle, or none when asked), Basic or session authentication with
 * one re-login on 401, JSON parsed strictly, every failure a typed BmcError.
 */
import http from "node:http";
import https from "node:https";
import tls from "node:tls";
import axios, { type AxiosInstance, type AxiosResponse } from "axios";
import { BmcError, BmcErrorCode } from "../errors.js";
import type { BmcCredentials } from "../types.js";
import { httpStatusError, transportError } from "./error-map.js";

export type RedfishAuthMode = "auto" | "basic" | "session";

export interface RedfishHttpOptions {
  /** `http[s]://host[:port]`, no path. */
  readonly baseUrl: string;
  /** Safe to show: used as the subject of every error message. */
  readonly displayAddress: string;
  readonly credentials: BmcCredentials;
  /** @default false */
  readonly insecure?: boolean;
  /** PEM CA certificates trusted in addition to Node's bundled roots. */
  readonly caBundle?: string;
  /** `auto` logs in a session when the service root links one, else uses Basic. @default "auto" */
  readonly auth?: RedfishAuthMode;
  /** Deadline of one HTTP exchange. @default 15_000 */
  readonly requestTimeoutMs?: number;
}

export interface RedfishResponse {
  readonly status: number;
  readonly body: unknown;
  readonly etag: string | undefined;
  readonly location: string | undefined;
  readonly retryAfterSeconds: number | undefined;
}

export interface RequestOptions {
  readonly body?: unknown;
  readonly signal?: AbortSignal | undefined;
  /** Sent as If-Match (DSP0266 "ETags": a PATCH may be refused with 412/428 without it). */
  readonly ifMatch?: string | undefined;
  /** Reads the resource's current ETag; called once when the service answers 412 or 428 (stale or missing ETag). */
  readonly refreshEtag?: (() => Promise<string | undefined>) | undefined;
  /** Error statuses answered as a response instead of thrown, for callers that give them a meaning. */
  readonly acceptStatuses?: readonly number[];
}

type Method = "GET" | "POST" | "PATCH" | "DELETE";

const SERVICE_ROOT = "/redfish/v1/";
const DEFAULT_SESSIONS = "/redfish/v1/SessionService/Sessions";

export class RedfishHttp {
  private readonly client: AxiosInstance;
  private readonly origin: string;
  private resolvedAuth: "basic" | "session" | undefined;
  private token: string | undefined;
  private sessionUri: string | undefined;
  private sessionsPath = DEFAULT_SESSIONS;

  constructor(private readonly opts: RedfishHttpOptions) {
    this.origin = new URL(opts.baseUrl).origin;
    // One operation at a time per BMC (access queue), so few sockets suffice;
    // keep-alive saves the TCP and TLS handshakes on every call.
    const agentOpts = { keepAlive: true, maxSockets: 4, maxFreeSockets: 2 };
    this.client = axios.create({
      baseURL: opts.baseUrl,
      timeout: opts.requestTimeoutMs ?? 15_000,
      httpAgent: new http.Agent(agentOpts),
      httpsAgent: new https.Agent({
        ...agentOpts,
        rejectUnauthorized: opts.insecure !== true,
        ca: opts.caBundle !== undefined ? [...tls.rootCertificates, opts.caBundle] : undefined,
      }),
      // Redirects could carry credentials to another host; Redfish services do not redirect.
      maxRedirects: 0,
      responseType: "text",
      transformResponse: [(data: unknown) => data],
      validateStatus: () => true,
      headers: { Accept: "application/json", "OData-Version": "4.0" },
    });
  }

  get authMode(): "basic" | "session" | undefined {
    return this.resolvedAuth;
  }

  get(path: string, signal?: AbortSignal): Promise<RedfishResponse> {
    return this.request("GET", path, { signal });
  }

  /** GET that must answer a JSON object; 404 is `undefined` when `notFoundOk`. */
  async getResource<T extends object>(path: string, signal?: AbortSignal): Promise<{ body: T; etag: string | undefined }>;
  async getResource<T extends object>(path: string, signal: AbortSignal | undefined, notFoundOk: true): Promise<{ body: T; etag: string | undefined } | undefined>;
  async getResource<T extends object>(path: string, signal?: AbortSignal, notFoundOk = false): Promise<{ body: T; etag: string | undefined } | undefined> {
    const res = await this.request("GET", path, { signal, acceptStatuses: notFoundOk ? [404] : [] });
    if (res.status === 404) return undefined;
    if (typeof res.body !== "object" || res.body === null || Array.isArray(res.body)) {
      throw new BmcError(BmcErrorCode.ProtocolError, `${this.opts.displayAddress}: GET ${path} did not answer a JSON object`);
    }
    return { body: res.body as T, etag: res.etag };
  }

  async request(method: Method, path: string, o: RequestOptions = {}): Promise<RedfishResponse> {
    const target = this.resolvePath(path);
    await this.ensureAuth(o.signal);
    let res = await this.exchange(method, target, o, true);
    if (res.status === 401 && this.resolvedAuth === "session") {
      // DSP0266 "Session lifecycle management": sessions time out on the
      // service side; a 401 on a live session means log in again, once.
      this.token = undefined;
      await this.login(o.signal);
      res = await this.exchange(method, target, o, true);
    }
    if ((res.status === 412 || res.status === 428) && o.refreshEtag !== undefined) {
      // DSP0266 "ETags": someone else changed the resource since we read it,
      // or the service insists on If-Match. Read the current ETag and try once more.
      const ifMatch = await o.refreshEtag();
      if (ifMatch !== undefined) res = await this.exchange(method, target, { ...o, ifMatch }, true);
    }
    return this.finish(method, target, res, o.acceptStatuses ?? []);
  }

  /** Logs out of the session, if one was opened, and closes idle sockets. */
  async close(signal?: AbortSignal): Promise<void> {
    try {
      if (this.sessionUri !== undefined && this.token !== undefined) {
        // DSP0266 "Session termination": DELETE the session resource.
        await this.exchange("DELETE", this.sessionUri, { signal }, true).catch(() => undefined);
      }
    } finally {
      this.token = undefined;
      this.sessionUri = undefined;
      const agents = this.client.defaults as { httpAgent?: http.Agent; httpsAgent?: https.Agent };
      agents.httpAgent?.destroy();
      agents.httpsAgent?.destroy();
    }
  }

  private resolvePath(path: string): string {
    if (path.startsWith("/")) return path;
    let url: URL;
    try {
      url = new URL(path);
    } catch {
      throw new BmcError(BmcErrorCode.ProtocolError, `${this.opts.displayAddress}: the BMC returned a malformed link "${path}"`);
    }
    if (url.origin !== this.origin) {
      // Never send the credentials to another origin because a response said so.
      throw new BmcError(BmcErrorCode.ProtocolError, `${this.opts.displayAddress}: the BMC linked to another origin ${url.origin}`);
    }
    return `${url.pathname}${url.search}`;
  }

  private async ensureAuth(signal: AbortSignal | undefined): Promise<void> {
    if (this.resolvedAuth === "basic" || (this.resolvedAuth === "session" && this.token !== undefined)) return;
    const mode = this.opts.auth ?? "auto";
    if (mode === "basic") {
      this.resolvedAuth = "basic";
      return;
    }
    if (mode === "auto" && this.resolvedAuth === undefined) {
      // DSP0266 "Service root request": the root answers without authentication.
      const root = await this.exchange("GET", SERVICE_ROOT, { signal }, false);
      const sessions = sessionsLink(root.status === 200 ? parseJsonOrUndefined(root.data) : undefined);
      if (sessions === undefined) {
        this.resolvedAuth = "basic";
        return;
      }
      this.sessionsPath = sessions;
    }
    this.resolvedAuth = "session";
    await this.login(signal);
  }

  /** DSP0266 "Session login authentication": POST UserName/Password to the Sessions collection. */
  private async login(signal: AbortSignal | undefined): Promise<void> {
    const { username, password } = this.opts.credentials;
    const res = await this.exchange("POST", this.sessionsPath, { body: { UserName: username, Password: password }, signal }, false);
    const token = header(res, "x-auth-token");
    if (res.status === 401 || res.status === 403) {
      throw new BmcError(BmcErrorCode.AuthFailed, `${this.opts.displayAddress}: the BMC rejected the credentials (session login answered ${res.status})`);
    }
    if ((res.status === 404 || res.status === 405 || res.status === 501) && (this.opts.auth ?? "auto") === "auto") {
      this.resolvedAuth = "basic";
      return;
    }
    if (res.status >= 300 || token === undefined) {
      const body = parseJsonOrUndefined(res.data);
      throw res.status >= 300
        ? httpStatusError(this.opts.displayAddress, "POST", this.sessionsPath, res.status, body)
        : new BmcError(BmcErrorCode.ProtocolError, `${this.opts.displayAddress}: session login answered ${res.status} without X-Auth-Token`);
    }
    this.token = token;
    const location = header(res, "location");
    this.sessionUri = location !== undefined ? this.resolvePath(location) : undefined;
  }

  private async exchange(method: Method, path: string, o: RequestOptions, authenticate: boolean): Promise<AxiosResponse<string>> {
    const headers: Record<string, string> = {};
    if (o.body !== undefined) headers["Content-Type"] = "application/json";
    if (o.ifMatch !== undefined) headers["If-Match"] = o.ifMatch;
    if (authenticate && this.resolvedAuth === "session" && this.token !== undefined) headers["X-Auth-Token"] = this.token;
    const auth = authenticate && this.resolvedAuth === "basic" ? this.opts.credentials : undefined;
    try {
      return await this.client.request<string>({
        method,
        url: path,
        data: o.body === undefined ? undefined : JSON.stringify(o.body),
        headers,
        auth,
        signal: o.signal,
      });
    } catch (err) {
      throw transportError(this.opts.displayAddress, method, path, err, o.signal?.aborted === true);
    }
  }

  private finish(method: Method, path: string, res: AxiosResponse<string>, accept: readonly number[]): RedfishResponse {
    if (accept.includes(res.status)) {
      return { status: res.status, body: parseJsonOrUndefined(res.data), etag: undefined, location: undefined, retryAfterSeconds: undefined };
    }
    if (res.status >= 300) {
      throw httpStatusError(this.opts.displayAddress, method, path, res.status, parseJsonOrUndefined(res.data));
    }
    let body: unknown;
    try {
      body = parseJson(res.data);
    } catch {
      throw new BmcError(BmcErrorCode.ProtocolError, `${this.opts.displayAddress}: ${method} ${path} answered ${res.status} with a body that is not JSON`);
    }
    const retryAfter = Number(header(res, "retry-after"));
    return {
      status: res.status,
      body,
      etag: header(res, "etag"),
      location: header(res, "location"),
      retryAfterSeconds: Number.isFinite(retryAfter) && retryAfter >= 0 ? retryAfter : undefined,
    };
  }
}

function header(res: AxiosResponse, name: string): string | undefined {
  const v: unknown = (res.headers as Record<string, unknown>)[name];
  return typeof v === "string" && v !== "" ? v : undefined;
}

function parseJson(data: unknown): unknown {
  if (typeof data !== "string" || data.trim() === "") return undefined;
  return JSON.parse(data) as unknown;
}

function parseJsonOrUndefined(data: unknown): unknown {
  try {
    return parseJson(data);
  } catch {
    return undefined;
  }
}

function sessionsLink(root: unknown): string | undefined {
  const links = (root as { Links?: { Sessions?: { "@odata.id"?: unknown } } } | undefined)?.Links;
  const id = links?.Sessions?.["@odata.id"];
  return typeof id === "string" && id.startsWith("/") ? id : undefined;
}
