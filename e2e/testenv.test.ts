/**
 * `scripts/testenv` gives a person a control plane that outlives the
 * command: `up` prints exports that make kubectl work, `status` tells the
 * truth, `down` stops every process and removes the data.
 */
import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "./framework/peers.js";

const run = promisify(execFile);
const script = path.join(REPO_ROOT, "scripts/testenv");

describe("scripts/testenv", () => {
  let base: string;
  let state: string;
  let env: NodeJS.ProcessEnv;
  let upOutput = "";
  beforeAll(async () => {
    base = await mkdtemp(path.join(os.tmpdir(), "anvil-testenv-test-"));
    state = path.join(base, "state");
    env = { ...process.env, ANVIL_TESTENV_DIR: state };
    upOutput = (await run("bash", [script, "up"], { env, timeout: 240_000 })).stdout;
  });
  afterAll(async () => {
    try {
      await run("bash", [script, "down"], { env, timeout: 60_000 });
    } finally {
      await rm(base, { recursive: true, force: true });
    }
  });

  const exported = (name: string): string => {
    const m = new RegExp(`^export ${name}=(.*)$`, "m").exec(upOutput);
    if (m?.[1] === undefined) throw new Error(`no export ${name} in:\n${upOutput}`);
    return m[1];
  };

  it("prints only export lines on stdout, for eval", () => {
    const lines = upOutput.trim().split("\n");
    expect(lines).toHaveLength(2);
    for (const l of lines) expect(l).toMatch(/^export (KUBECONFIG|PATH)=/);
  });

  it("leaves a control plane that kubectl reaches through the printed exports after the command ended", async () => {
    const { stdout } = await run("bash", ["-c", `${upOutput}\nkubectl get namespace default -o jsonpath='{.metadata.name}'`], {
      env,
      timeout: 30_000,
    });
    expect(stdout).toBe("default");
    expect(exported("KUBECONFIG").startsWith(state)).toBe(true);
  });

  it("says it is running and ready, and a second up reuses it", async () => {
    const status = await run("bash", [script, "status"], { env, timeout: 30_000 });
    expect(status.stderr).toContain("ready");
    const pidBefore = readFileSync(path.join(state, "supervisor.pid"), "utf8");
    const again = await run("bash", [script, "up"], { env, timeout: 30_000 });
    expect(again.stderr).toContain("already running");
    expect(readFileSync(path.join(state, "supervisor.pid"), "utf8")).toBe(pidBefore);
  });

  it("stops every process and removes its data on down, and status then says so", async () => {
    const ready = JSON.parse(readFileSync(path.join(state, "ready.json"), "utf8")) as { pids: number[]; supervisorPid: number };
    await run("bash", [script, "down"], { env, timeout: 60_000 });
    expect(existsSync(state)).toBe(false);
    for (const pid of [...ready.pids, ready.supervisorPid]) expect(isAlive(pid)).toBe(false);
    const status = await run("bash", [script, "status"], { env, timeout: 30_000 }).then(
      () => ({ code: 0 }),
      (e: { code?: number }) => ({ code: e.code }),
    );
    expect(status.code).toBe(3);
  });
});

/** A zombie (exited, never reaped: PID 1 here reaps no orphans) counts as gone. */
function isAlive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}
