import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LeaseStore } from "./lease-store.js";

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), "testing", "lease-crash-child.ts");

/** Runs the child until it has acknowledged `acks` bindings, then SIGKILLs it; returns every acknowledged `mac → ip`. */
async function bindThenKill(file: string, compactAfter: number, acks: number): Promise<Map<string, number>> {
  const child = spawn(process.execPath, ["--import", "tsx", CHILD, file, String(compactAfter)], { stdio: ["ignore", "pipe", "inherit"] });
  const acked = new Map<string, number>();
  let buffered = "";
  const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
  try {
    await new Promise<void>((resolve, reject) => {
      child.on("error", reject);
      child.on("exit", () => resolve());
      child.stdout.on("data", (chunk: Buffer) => {
        buffered += chunk.toString("utf8");
        const lines = buffered.split("\n");
        buffered = lines.pop() ?? "";
        for (const line of lines) {
          const [mac, ip] = line.split(" ");
          if (mac && ip) acked.set(mac, Number(ip));
        }
        if (acked.size >= acks) child.kill("SIGKILL");
      });
    });
  } finally {
    clearTimeout(timer);
  }
  return acked;
}

describe("LeaseStore after a crash", () => {
  let dir = "";
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), "anvil-lease-crash-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  // A small compactAfter puts kills inside snapshot rewrites as well as appends; each round reopens the survivor's files.
  it("still holds every binding acknowledged before a SIGKILL, across repeated kills mid-commit and mid-compaction", { timeout: 120_000 }, async () => {
    const file = path.join(dir, "leases.json");
    const everAcked = new Map<string, number>();
    for (const [round, acks] of [300, 700, 1200].entries()) {
      const acked = await bindThenKill(file, 97 + round * 50, acks);
      expect(acked.size).toBeGreaterThanOrEqual(acks);
      for (const [mac, ip] of acked) everAcked.set(mac, ip);
      const reopened = await LeaseStore.open(file);
      const missing = [...everAcked].filter(([mac, ip]) => reopened.lookup(mac)?.ip !== ip || reopened.lookup(mac)?.state !== "bound");
      expect(missing).toEqual([]);
      // Never one address for two MACs.
      const owners = new Map<number, string>();
      for (const mac of everAcked.keys()) {
        const ip = reopened.lookup(mac)!.ip;
        expect(owners.get(ip) ?? mac).toBe(mac);
        owners.set(ip, mac);
      }
      await reopened.close();
    }
  });
});
