/**
 * The deploy agent's HTTP API (docs/agent-protocol.md) on top of an
 * AgentBackend. BootHttpServer has already authenticated the call and found
 * the host (agent-auth.ts); this handler routes what follows
 * `/agent/v1/hosts/<mac>`, checks the body and hands a typed message to the
 * backend:
 *
 *   GET  /whoami        200 {hostName, mac}
 *   GET  /instructions  200 the backend's answer (Cache-Control: no-store)
 *   POST /inventory     204 once the backend resolved (stored durably)
 *   POST /progress      204
 *   POST /result        204 once durable: the agent stops retrying on 2xx
 *
 * Failures are JSON `{code, message}` with stable codes; a message names the
 * route or the field, never a value, a token or a body. A backend failure
 * is 503 with Retry-After: the agent retries, and the backend's methods are
 * idempotent (agent-backend.ts), so retrying is always safe.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AgentBackend, AgentInstructions } from "../agent-backend.js";
import type { BootRecord } from "../boot-backend.js";
import { AgentBodyError, parseInventory, parseProgress, parseResult } from "./agent-api-body.js";
import { AgentApiCounters, type AgentApiRoute } from "./agent-api-counters.js";
import type { AgentHandler } from "./server.js";

export type AgentApiErrorCode =
  | "AGENT_ROUTE_NOT_FOUND"
  | "AGENT_METHOD_NOT_ALLOWED"
  | "AGENT_UNSUPPORTED_MEDIA_TYPE"
  | "AGENT_BODY_TOO_LARGE"
  | "AGENT_BODY_TIMEOUT"
  | "AGENT_BAD_JSON"
  | "AGENT_BAD_BODY"
  | "AGENT_BACKEND_UNAVAILABLE";

export type AgentRoute = AgentApiRoute;

export interface AgentApiOptions {
  /** @default 1 MiB: a large server's inventory (hundreds of CPU flags, NICs, disks) fits with room. */
  readonly maxInventoryBytes?: number;
  /** @default 16 KiB: progress and result bodies are a few hundred bytes. */
  readonly maxBodyBytes?: number;
  /** A body not received within this is refused (408): slow senders cannot hold a request open. @default 30000 */
  readonly bodyTimeoutMs?: number;
  /** A backend call not settled within this is a 503; below the agent's own 30 s client timeout. @default 20000 */
  readonly backendTimeoutMs?: number;
  /** Sent as Retry-After on 503. @default 2 */
  readonly retryAfterSeconds?: number;
  /** Shared with BootHttpServer's `agentRejected` so that 401/403 are counted too. */
  readonly counters?: AgentApiCounters;
  /** Told of every backend failure (for the log); the host's token is already removed from `message`. */
  readonly onBackendError?: (e: { readonly route: AgentRoute; readonly host: string; readonly message: string }) => void;
}

/** The handler BootHttpServer calls, and the counters it feeds. */
export type AgentApiHandler = AgentHandler & { readonly counters: AgentApiCounters };

const ROUTES: Readonly<Record<string, { readonly route: AgentRoute; readonly method: "GET" | "POST" }>> = {
  "/whoami": { route: "whoami", method: "GET" },
  "/instructions": { route: "instructions", method: "GET" },
  "/inventory": { route: "inventory", method: "POST" },
  "/progress": { route: "progress", method: "POST" },
  "/result": { route: "result", method: "POST" },
};

/** A refusal: status, stable code and a message without any value from the request. */
class Refusal {
  constructor(
    readonly status: number,
    readonly code: AgentApiErrorCode,
    readonly message: string,
  ) {}
}

export function agentApi(backend: AgentBackend, opts: AgentApiOptions = {}): AgentApiHandler {
  const counters = opts.counters ?? new AgentApiCounters();
  const bodyTimeoutMs = opts.bodyTimeoutMs ?? 30_000;
  const backendTimeoutMs = opts.backendTimeoutMs ?? 20_000;
  const retryAfter = opts.retryAfterSeconds ?? 2;

  const refuse = (res: ServerResponse, r: Refusal, headers: Record<string, string> = {}): void => {
    counters.reject(r.code);
    for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
    sendJson(res, r.status, { code: r.code, message: r.message });
  };

  const handler = async (req: IncomingMessage, res: ServerResponse, ctx: { readonly record: BootRecord; readonly subpath: string }): Promise<void> => {
    const spec = ROUTES[ctx.subpath];
    if (!spec) return refuse(res, new Refusal(404, "AGENT_ROUTE_NOT_FOUND", "no such agent route"));
    if (req.method !== spec.method) {
      return refuse(res, new Refusal(405, "AGENT_METHOD_NOT_ALLOWED", `${spec.route} takes ${spec.method}`), { Allow: spec.method });
    }
    const { record } = ctx;
    if (spec.route === "whoami") {
      counters.accept("whoami");
      return sendJson(res, 200, { hostName: record.hostName, mac: record.mac });
    }

    let message: unknown;
    if (spec.method === "POST") {
      const limit = spec.route === "inventory" ? (opts.maxInventoryBytes ?? 1 << 20) : (opts.maxBodyBytes ?? 16 << 10);
      const body = await readJsonBody(req, limit, bodyTimeoutMs);
      if (body instanceof Refusal) {
        // The rest of an unread body would be parsed as the next request: close instead.
        if (body.status === 413 || body.status === 408) res.setHeader("Connection", "close");
        return refuse(res, body);
      }
      try {
        message = spec.route === "inventory" ? parseInventory(body) : spec.route === "progress" ? parseProgress(body) : parseResult(body);
      } catch (err) {
        if (err instanceof AgentBodyError) return refuse(res, new Refusal(400, "AGENT_BAD_BODY", err.message));
        throw err;
      }
    }

    // Aborted when the agent goes away or the backend takes too long; the backend may pass it on.
    const gone = new AbortController();
    res.once("close", () => gone.abort());
    const signal = AbortSignal.any([gone.signal, AbortSignal.timeout(backendTimeoutMs)]);
    try {
      const answer = await untilAborted(call(backend, spec.route, record, message, signal), signal);
      counters.accept(spec.route);
      if (answer === undefined) {
        res.statusCode = 204;
        res.end();
        return;
      }
      res.setHeader("Cache-Control", "no-store");
      return sendJson(res, 200, wireInstructions(answer as AgentInstructions));
    } catch (err) {
      if (gone.signal.aborted) return;
      opts.onBackendError?.({ route: spec.route, host: record.hostName, message: scrub(err, record) });
      return refuse(res, new Refusal(503, "AGENT_BACKEND_UNAVAILABLE", `the manager cannot take ${spec.route} now; retry`), { "Retry-After": String(retryAfter) });
    }
  };
  return Object.assign(handler, { counters });
}

/**
 * The agent decodes `retryAfterSeconds` into a Go `int` (ramdisk/agent/protocol.go):
 * 1.5 would fail its whole decode and cost it a backoff, so it is sent as whole
 * seconds, rounded up, at least 1 (the agent's own floor).
 */
function wireInstructions(i: AgentInstructions): AgentInstructions {
  if (i.action !== "wait" || i.retryAfterSeconds === undefined) return i;
  const s = Number.isFinite(i.retryAfterSeconds) ? Math.max(1, Math.ceil(i.retryAfterSeconds)) : 1;
  return { ...i, retryAfterSeconds: s };
}

function call(backend: AgentBackend, route: AgentRoute, record: BootRecord, message: unknown, signal: AbortSignal): Promise<unknown> {
  // `message` was produced by the parser of this very route.
  switch (route) {
    case "instructions":
      return backend.instructions(record, signal);
    case "inventory":
      return backend.inventory(record, message as Parameters<AgentBackend["inventory"]>[1], signal);
    case "progress":
      return backend.progress(record, message as Parameters<AgentBackend["progress"]>[1], signal);
    case "result":
      return backend.result(record, message as Parameters<AgentBackend["result"]>[1], signal);
    case "whoami":
      return Promise.resolve(undefined);
  }
}

/** Settles with `p`, or rejects when `signal` aborts first: a backend that ignores the signal cannot hold the request. */
function untilAborted<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason as Error);
    signal.addEventListener("abort", onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

/** The error's message for the log, without the host's token should a backend have put it there. */
function scrub(err: unknown, record: BootRecord): string {
  const m = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  const token = record.action.kind === "ramdisk" ? record.action.token : "";
  return token ? m.split(token).join("REDACTED") : m;
}

/** application/json, parameters (charset) ignored: RFC 8259 §11 defines none and JSON is UTF-8. */
function isJson(contentType: string | undefined): boolean {
  return (contentType ?? "").split(";")[0]!.trim().toLowerCase() === "application/json";
}

async function readJsonBody(req: IncomingMessage, limit: number, timeoutMs: number): Promise<unknown> {
  if (!isJson(req.headers["content-type"])) return new Refusal(415, "AGENT_UNSUPPORTED_MEDIA_TYPE", "the body must be application/json");
  const declared = Number(req.headers["content-length"] ?? Number.NaN);
  if (declared > limit) return new Refusal(413, "AGENT_BODY_TOO_LARGE", `the body is larger than ${limit} bytes`);
  const raw = await readBounded(req, limit, timeoutMs);
  if (raw instanceof Refusal) return raw;
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(raw);
  } catch {
    return new Refusal(400, "AGENT_BAD_JSON", "the body is not UTF-8");
  }
  if (text.trim() === "") return new Refusal(400, "AGENT_BAD_JSON", "the body is empty");
  try {
    return JSON.parse(text) as unknown;
  } catch {
    // JSON.parse's message quotes the input: not echoed.
    return new Refusal(400, "AGENT_BAD_JSON", "the body is not JSON");
  }
}

/** Reads at most `limit` bytes (chunked bodies have no Content-Length) within `timeoutMs`. */
function readBounded(req: IncomingMessage, limit: number, timeoutMs: number): Promise<Buffer | Refusal> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (v: Buffer | Refusal): void => {
      clearTimeout(timer);
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onError);
      if (v instanceof Refusal) req.pause();
      resolve(v);
    };
    const onData = (c: Buffer): void => {
      size += c.length;
      if (size > limit) finish(new Refusal(413, "AGENT_BODY_TOO_LARGE", `the body is larger than ${limit} bytes`));
      else chunks.push(c);
    };
    const onEnd = (): void => finish(Buffer.concat(chunks));
    const onError = (): void => finish(new Refusal(400, "AGENT_BAD_JSON", "the body was cut short"));
    const timer = setTimeout(() => finish(new Refusal(408, "AGENT_BODY_TIMEOUT", `the body did not arrive within ${timeoutMs} ms`)), timeoutMs);
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onError);
  });
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return;
  const s = JSON.stringify(body);
  res.statusCode = status;
  res.setHeader("Content-Type", "application/json");
  res.setHeader("Content-Length", Buffer.byteLength(s));
  res.end(s);
}
