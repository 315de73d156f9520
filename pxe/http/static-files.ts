/**
 * Boot assets (kernels, initrds, images) from a configured directory:
 * conditional requests (RFC 9110 §13: ETag, Last-Modified, If-None-Match,
 * If-Modified-Since, If-Range), single byte ranges (§14) and HEAD, streamed
 * from disk without holding whole files. Request paths are confined to the
 * directory after symlink resolution.
 */
import { createReadStream } from "node:fs";
import { realpath, stat } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { decideRange } from "./range.js";

export interface AssetFile {
  readonly path: string;
  readonly size: number;
  readonly mtimeMs: number;
}

/** Resolves `rel` (already URL-decoded) inside `root`; `undefined` when missing or outside. */
export async function resolveAsset(root: string, rel: string): Promise<AssetFile | undefined> {
  if (rel.includes("\0") || rel.includes("\\") || rel.split("/").some((p) => p === "..")) return undefined;
  try {
    const realRoot = await realpath(root);
    const real = await realpath(path.join(realRoot, rel));
    if (!real.startsWith(realRoot + path.sep)) return undefined;
    const st = await stat(real);
    if (!st.isFile()) return undefined;
    return { path: real, size: st.size, mtimeMs: st.mtimeMs };
  } catch {
    return undefined;
  }
}

export function etagOf(f: AssetFile): string {
  return `"${f.size.toString(16)}-${Math.floor(f.mtimeMs).toString(16)}"`;
}

/** RFC 9110 §13.1.2: If-None-Match is a list of entity tags or `*`, compared weakly. */
function noneMatch(header: string, etag: string): boolean {
  if (header.trim() === "*") return true;
  return header.split(",").some((t) => t.trim().replace(/^W\//, "") === etag);
}

function notModifiedSince(header: string | undefined, mtimeMs: number): boolean {
  if (header === undefined) return false;
  const since = Date.parse(header);
  return !Number.isNaN(since) && Math.floor(mtimeMs / 1000) * 1000 <= since;
}

/** Sends `file` honouring the request's conditionals and Range; `sent.bytes` is the body length it starts to stream. */
export async function sendFile(req: IncomingMessage, res: ServerResponse, file: AssetFile, sent: { bytes: number }, contentType = "application/octet-stream"): Promise<void> {
  const etag = etagOf(file);
  const lastModified = new Date(file.mtimeMs).toUTCString();
  res.setHeader("ETag", etag);
  res.setHeader("Last-Modified", lastModified);
  res.setHeader("Accept-Ranges", "bytes");
  res.setHeader("Content-Type", contentType);

  // RFC 9110 §13.2.2: If-None-Match takes precedence over If-Modified-Since.
  const inm = req.headers["if-none-match"];
  if (inm !== undefined ? noneMatch(inm, etag) : notModifiedSince(req.headers["if-modified-since"], file.mtimeMs)) {
    res.statusCode = 304;
    res.end();
    return;
  }

  let rangeHeader = req.headers.range;
  // RFC 9110 §13.1.5: a Range is honoured only if If-Range still matches (strong ETag or exact date).
  const ifRange = req.headers["if-range"];
  if (ifRange !== undefined && ifRange !== etag && ifRange !== lastModified) rangeHeader = undefined;

  const decision = decideRange(rangeHeader, file.size);
  if (decision.kind === "unsatisfiable") {
    res.statusCode = 416;
    res.setHeader("Content-Range", `bytes */${file.size}`);
    res.end();
    return;
  }
  const start = decision.kind === "partial" ? decision.start : 0;
  const end = decision.kind === "partial" ? decision.end : file.size - 1;
  const length = file.size === 0 ? 0 : end - start + 1;
  if (decision.kind === "partial") {
    res.statusCode = 206;
    res.setHeader("Content-Range", `bytes ${start}-${end}/${file.size}`);
  } else {
    res.statusCode = 200;
  }
  res.setHeader("Content-Length", length);
  if (req.method === "HEAD" || length === 0) {
    res.end();
    return;
  }
  sent.bytes = length;
  await pipeline(createReadStream(file.path, { start, end, highWaterMark: 256 * 1024 }), res);
}
