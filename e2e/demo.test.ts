/**
 * `make demo` runs without a TTY, shows the generated fleet as Metal3
 * BareMetalHosts pointing at live emulated BMCs, reconciled by `anvil
 * manager` through their whole lifecycle, and ends by itself with
 * nothing left behind; with DEMO_KEEP=1 it stays up for the person until
 * `scripts/demo.sh stop`.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "./framework/peers.js";

const runRaw = promisify(execFile);

/** execFile, but a failure carries the command's stdout too: the demo reports its stages there. */
async function run(cmd: string, args: string[], opts: Parameters<typeof runRaw>[2]): Promise<{ stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await runRaw(cmd, args, { ...opts, encoding: "utf8" });
    return { stdout: String(stdout), stderr: String(stderr) };
  } catch (err) {
    const e = err as Error & { stdout?: unknown; code?: unknown; signal?: unknown; killed?: unknown };
    const out = typeof e.stdout === "string" ? e.stdout.slice(-6000) : "";
    throw new Error(`${e.message}\n(exit ${String(e.code)}, signal ${String(e.signal)}, killed ${String(e.killed)})\n--- stdout (tail) ---\n${out}`, { cause: err });
  }
}
const demo = path.join(REPO_ROOT, "scripts/demo.sh");

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, "127.0.0.1");
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });
}

function portsIn(text: string): number[] {
  return [...text.matchAll(/127\.0\.0\.1:(\d+)/g)].map((m) => Number(m[1]));
}

describe("make demo", () => {
  it("runs anvil manager over three emulated hosts, shows them go registering → inspecting → available → provisioning → provisioned, then stops everything", async () => {
    const env = { ...process.env, DEMO_HOSTS: "3", DEMO_ROUNDS: "2", DEMO_INTERVAL: "1", DEMO_TIMEOUT: "420" };
    const { stdout } = await run("bash", [demo], { env, timeout: 460_000, maxBuffer: 8 << 20 });
    const tables = stdout.split("$ kubectl get bmh -n anvil-demo -o wide\n").slice(1);
    // The manager stage shows a table whenever states change, then the two closing rounds.
    expect(tables.length).toBeGreaterThanOrEqual(2 + 3);
    expect(stdout).toContain("round 1/2:");
    expect(stdout).toContain("round 2/2:");
    expect(stdout).toMatch(/NAME\s+STATUS\s+STATE\s+CONSUMER\s+BMC\s+ONLINE\s+ERROR\s+AGE/);
    // A host row's STATE column, in the order the tables were printed.
    const states = tables.flatMap((t) => [...t.matchAll(/^node-\d\s+\S+\s+(\S+)\s/gm)].map((m) => m[1]));
    const first = (s: string): number => states.indexOf(s);
    for (const s of ["available", "provisioning", "provisioned"]) expect(states, `state ${s} shown`).toContain(s);
    expect(first("available")).toBeLessThan(first("provisioning"));
    expect(first("provisioning")).toBeLessThan(first("provisioned"));
    // Every transition, including those shorter than a table, from the controller's Events.
    for (const host of ["node-0", "node-1", "node-2"]) {
      expect(stdout).toMatch(new RegExp(`^  ${host}: new → registering → inspecting( → \\S+)* → available → provisioning → provisioned$`, "m"));
    }
    expect(stdout).toMatch(/deploy progress \(posted by each host's agent\): (node-\d=\d+% ?)+/);
    expect(stdout).toContain("every host is provisioned; the agents wrote the image once each (3/3)");
    const closing = tables.at(-1) ?? "";
    for (const host of ["node-0", "node-1", "node-2"]) {
      expect(closing).toMatch(new RegExp(`^${host}\\s+\\S+\\s+provisioned\\s.*redfish\\+http://127\\.0\\.0\\.1:\\d+/redfish/v1/Systems/[0-9a-f-]{36}\\s+true`, "m"));
    }
    expect(stdout).toMatch(/BMC power states \(read over Redfish\): node-0=(On|Off) node-1=(On|Off) node-2=(On|Off)/);
    expect(stdout).toContain("stopped; every process ended");
    for (const port of new Set(portsIn(stdout))) expect(await listening(port)).toBe(false);
  }, 480_000);

  describe("with DEMO_KEEP=1", () => {
    let dir: string;
    let env: NodeJS.ProcessEnv;
    afterAll(async () => {
      try {
        await run("bash", [demo, "stop"], { env, timeout: 60_000 });
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });

    it("returns with the demo still serving kubectl through the printed exports, until demo.sh stop", { timeout: 330_000 }, async () => {
      dir = await mkdtemp(path.join(os.tmpdir(), "anvil-demo-test-"));
      env = { ...process.env, ANVIL_DEMO_DIR: path.join(dir, "state"), DEMO_KEEP: "1", DEMO_HOSTS: "2", DEMO_ROUNDS: "1" };
      const { stdout } = await run("bash", [demo], { env, timeout: 280_000, maxBuffer: 8 << 20 });
      const exports = stdout.split("\n").filter((l) => l.startsWith("export "));
      expect(exports.map((l) => l.split("=")[0])).toEqual(["export KUBECONFIG", "export PATH"]);

      const { stdout: names } = await run("bash", ["-c", `${exports.join("\n")}\nkubectl get bmh -n anvil-demo -o name`], { timeout: 30_000 });
      expect(names.trim().split("\n").sort()).toEqual(["baremetalhost.metal3.io/node-0", "baremetalhost.metal3.io/node-1"]);

      const apiPort = Number(/API server https:\/\/127\.0\.0\.1:(\d+)/.exec(stdout)?.[1]);
      expect(await listening(apiPort)).toBe(true);
      await run("bash", [demo, "stop"], { env, timeout: 60_000 });
      expect(await listening(apiPort)).toBe(false);
      expect(existsSync(path.join(dir, "state"))).toBe(false);
    });
  });
});
