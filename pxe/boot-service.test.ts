import { getEventListeners, once } from "node:events";
import dgram from "node:dgram";
import net from "node:net";
import { describe, expect, it } from "vitest";
import { freeUdpPort } from "../e2e/framework/ports.js";
import { startBootService } from "./boot-service.js";
import { resolvePxeConfig } from "./config.js";
import { memoryAgentBackend } from "./http/testing/memory-agent-backend.js";
import { HOSTS, memoryBackend } from "./http/testing/memory-backend.js";
import { encodeRequest, Opcode } from "./tftp/packet.js";

const config = resolvePxeConfig(
  { serverAddress: "127.0.0.1", hostsFile: "unused.yaml", dhcp: { mode: "off" }, tftp: { port: 0 }, http: { port: 0, publicUrl: "http://127.0.0.1:1" } },
  "/",
);

async function tftpAnswers(port: number): Promise<boolean> {
  const s = dgram.createSocket("udp4");
  s.bind(0, "127.0.0.1");
  await once(s, "listening");
  try {
    s.send(encodeRequest(Opcode.RRQ, "undionly.kpxe", "octet"), port, "127.0.0.1");
    const got = await Promise.race([once(s, "message").then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 1000))]);
    return got;
  } finally {
    s.close();
  }
}

describe("startBootService", () => {
  it("starts TFTP and HTTP from one config and stops both when the signal aborts", async () => {
    const abort = new AbortController();
    const svc = await startBootService(config, memoryBackend(HOSTS), { signal: abort.signal });
    const tftpPort = svc.tftpAddress!.port;
    const httpPort = svc.httpAddress!.port;
    expect(await (await fetch(`http://127.0.0.1:${httpPort}/healthz`)).text()).toBe("ok\n");
    expect(await tftpAnswers(tftpPort)).toBe(true);
    abort.abort();
    await svc.close();
    await expect(fetch(`http://127.0.0.1:${httpPort}/healthz`)).rejects.toThrow();
    expect(await tftpAnswers(tftpPort)).toBe(false);
  });

  it("lets go of its abort signal when it is closed directly", async () => {
    const abort = new AbortController();
    const svc = await startBootService(config, memoryBackend(HOSTS), { signal: abort.signal });
    expect(getEventListeners(abort.signal, "abort")).toHaveLength(1);
    await svc.close();
    expect(getEventListeners(abort.signal, "abort")).toHaveLength(0);
  });

  it("serves the agent API from the given agent backend, counts its refusals and logs its backend failures", async () => {
    const agentBackend = memoryAgentBackend();
    agentBackend.give({ action: "inspect" });
    const events: unknown[] = [];
    const cfg = resolvePxeConfig({ serverAddress: "127.0.0.1", hostsFile: "h", dhcp: { mode: "off" }, tftp: { enabled: false }, http: { port: 0 } }, "/");
    const svc = await startBootService(cfg, memoryBackend(HOSTS), { agentBackend, log: (e) => events.push(e) });
    try {
      const url = `http://127.0.0.1:${svc.httpAddress!.port}/agent/v1/hosts/52-54-00-00-00-01/instructions`;
      const ok = await fetch(url, { headers: { authorization: "Bearer tok-one-AAAA" } });
      expect(await ok.json()).toEqual({ action: "inspect" });
      expect((await fetch(url)).status).toBe(401);
      agentBackend.failing.instructions = new Error("store down");
      expect((await fetch(url, { headers: { authorization: "Bearer tok-one-AAAA" } })).status).toBe(503);
      expect(svc.agentCounters.snapshot()).toEqual({
        accepted: { whoami: 0, instructions: 1, inventory: 0, progress: 0, result: 0 },
        rejected: { AGENT_TOKEN_MISSING: 1, AGENT_BACKEND_UNAVAILABLE: 1 },
      });
      expect(events).toContainEqual({ event: "agent-backend-error", route: "instructions", host: "default/deploy-me", message: "Error: store down" });
    } finally {
      await svc.close();
    }
  });

  it.each([
    ["TFTP cannot bind", "udp", "TFTP_BIND_FAILED"],
    ["HTTP cannot listen, after TFTP started", "tcp", "PXE_HTTP_BIND_FAILED"],
  ] as const)("fails with a typed error when %s, and leaves nothing running", async (_name, blocked, code) => {
    const tftpPort = await freeUdpPort();
    const blocker = blocked === "udp" ? dgram.createSocket("udp4") : net.createServer();
    if (blocker instanceof net.Server) blocker.listen(0, "127.0.0.1");
    else blocker.bind(tftpPort, "127.0.0.1");
    await once(blocker, "listening");
    const httpPort = blocker instanceof net.Server ? (blocker.address() as net.AddressInfo).port : 0;
    try {
      const cfg = resolvePxeConfig({ serverAddress: "127.0.0.1", hostsFile: "h", tftp: { port: tftpPort }, http: { port: httpPort } }, "/");
      await expect(startBootService(cfg, memoryBackend(HOSTS))).rejects.toMatchObject({ code });
    } finally {
      blocker.close();
    }
    if (blocked === "tcp") expect(await tftpAnswers(tftpPort)).toBe(false);
  });
});
