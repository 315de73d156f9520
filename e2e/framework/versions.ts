/** The pinned peer versions of scripts/peers/versions.env, so tests compare against the pin rather than a copy of it. */
import { readFileSync } from "node:fs";
import path from "node:path";
import { REPO_ROOT } from "./peers.js";

export function peerVersions(): Readonly<Record<string, string>> {
  const text = readFileSync(path.join(REPO_ROOT, "scripts/peers/versions.env"), "utf8");
  const out: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const m = /^([A-Z_]+)=(\S+)$/.exec(line.trim());
    if (m?.[1] !== undefined && m[2] !== undefined) out[m[1]] = m[2];
  }
  return out;
}

/** One pinned version, e.g. `peerVersion("KUBE_VERSION")` → `1.36.3`. */
export function peerVersion(key: string): string {
  const v = peerVersions()[key];
  if (v === undefined) throw new Error(`scripts/peers/versions.env has no ${key}`);
  return v;
}
