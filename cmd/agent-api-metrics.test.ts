import { afterEach, describe, expect, it } from "vitest";
import { ProbeServer, Registry } from "../controllers/runtime/index.js";
import { startBootService, type BootService } from "../pxe/boot-service.js";
import { resolvePxeConfig } from "../pxe/config.js";
import { memoryAgentBackend } from "../pxe/http/testing/memory-agent-backend.js";
import { HOSTS, memoryBackend } from "../pxe/http/testing/memory-backend.js";
import { exportAgentApiCounters } from "./agent-api-metrics.js";
import { parseScrape } from "../controllers/runtime/scrape.test-helper.js";

const TOKEN = "tok-one-AAAA";
const cfg = resolvePxeConfig({ serverAddress: "127.0.0.1", hostsFile: "h", dhcp: { mode: "off" }, tftp: { enabled: false }, http: { port: 0 } }, "/");


describe("the agent API's counters on /metrics", () => {
  let svc: BootService | undefined;
  let probes: ProbeServer | undefined;
  afterEach(async () => {
    await svc?.close();
    await probes?.close();
  });

  it("counts answered calls by route and refusals by code, as a scrape of the manager's metrics server shows them", async () => {
    const backend = memoryAgentBackend();
    svc = await startBootService(cfg, memoryBackend(HOSTS), { agentBackend: backend });
    const registry = new Registry();
    exportAgentApiCounters(registry, svc.agentCounters);
    probes = new ProbeServer({ registry, port: 0 });
    const { port } = await probes.listen();
    const scrape = async (): Promise<{ type: string; text: string }> => {
      const res = await fetch(`http://127.0.0.1:${port}/metrics`);
      return { type: res.headers.get("content-type") ?? "", text: await res.text() };
    };

    const before = await scrape();
    expect(before.type).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(before.text).toContain("# TYPE anvil_agent_api_calls_total counter");
    expect(before.text).toContain("# TYPE anvil_agent_api_refusals_total counter");
    expect(parseScrape(before.text).get('anvil_agent_api_calls_total{route="instructions"}')).toBe(0);

    const base = `http://127.0.0.1:${svc.httpAddress!.port}/agent/v1/hosts/52-54-00-00-00-01`;
    const auth = { authorization: `Bearer ${TOKEN}` };
    for (let i = 0; i < 3; i++) expect((await fetch(`${base}/instructions`, { headers: auth })).status).toBe(200);
    expect((await fetch(`${base}/whoami`, { headers: auth })).status).toBe(200);
    expect((await fetch(`${base}/instructions`)).status).toBe(401);
    expect((await fetch(`${base}/instructions`, { headers: { authorization: "Bearer not-a-token" } })).status).toBe(401);
    expect((await fetch(`${base}/progress`, { method: "POST", headers: { ...auth, "content-type": "application/json" }, body: "{}" })).status).toBe(400);
    backend.failing.result = new Error("store down");
    const result = { action: "deploy", ok: true, rootDevice: "/dev/sda" };
    expect((await fetch(`${base}/result`, { method: "POST", headers: { ...auth, "content-type": "application/json" }, body: JSON.stringify(result) })).status).toBe(503);

    const after = await scrape();
    const got = parseScrape(after.text);
    expect(got.get('anvil_agent_api_calls_total{route="instructions"}')).toBe(3);
    expect(got.get('anvil_agent_api_calls_total{route="whoami"}')).toBe(1);
    expect(got.get('anvil_agent_api_calls_total{route="result"}')).toBe(0);
    expect(got.get('anvil_agent_api_refusals_total{code="AGENT_TOKEN_MISSING"}')).toBe(1);
    expect(got.get('anvil_agent_api_refusals_total{code="AGENT_TOKEN_INVALID"}')).toBe(1);
    expect(got.get('anvil_agent_api_refusals_total{code="AGENT_BAD_BODY"}')).toBe(1);
    expect(got.get('anvil_agent_api_refusals_total{code="AGENT_BACKEND_UNAVAILABLE"}')).toBe(1);
    // A counter never goes back, and a second scrape with nothing new says the same.
    expect(parseScrape((await scrape()).text)).toEqual(got);
    // Neither a token nor a body value reaches the metrics.
    expect(after.text).not.toContain(TOKEN);
    expect(after.text).not.toContain("not-a-token");
  });
});
