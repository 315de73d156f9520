import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFaultProxy, type FaultProxy } from "./fault-proxy.js";

/** What a client sees through the proxy on a fresh connection: a status and body, or the socket error's code. */
function ask(url: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<{ status: number; body: string } | { error: string }> {
  return new Promise((resolve) => {
    const req = http.request(url, { method: init.method ?? "GET", headers: init.headers, agent: false, timeout: 5_000 }, (res) => {
      let body = "";
      res.setEncoding("utf8").on("data", (c: string) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("timeout", () => req.destroy(Object.assign(new Error("timed out"), { code: "ETIMEDOUT" })));
    req.on("error", (err: NodeJS.ErrnoException) => resolve({ error: err.code ?? err.message }));
    req.end(init.body);
  });
}

describe("the fault proxy in front of a BMC", () => {
  let upstream: http.Server;
  let proxy: FaultProxy;
  const seen: string[] = [];

  beforeAll(async () => {
    upstream = http.createServer((req, res) => {
      let body = "";
      req.setEncoding("utf8").on("data", (c: string) => (body += c));
      req.on("end", () => {
        seen.push(`${req.method} ${req.url} ${req.headers.authorization ?? "-"} ${body}`);
        res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify({ PowerState: "On" }));
      });
    });
    await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", resolve));
    proxy = await startFaultProxy({ target: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}` });
  });

  afterAll(async () => {
    await proxy?.stop();
    await new Promise<void>((resolve) => (upstream ? upstream.close(() => resolve()) : resolve()));
  });

  it("forwards method, path, headers and body unchanged, and the answer back", async () => {
    const r = await ask(`${proxy.url}/redfish/v1/Systems/1/Actions/ComputerSystem.Reset`, { method: "POST", headers: { Authorization: "Basic eDp5" }, body: '{"ResetType":"On"}' });
    expect(r).toEqual({ status: 200, body: '{"PowerState":"On"}' });
    expect(seen.at(-1)).toBe('POST /redfish/v1/Systems/1/Actions/ComputerSystem.Reset Basic eDp5 {"ResetType":"On"}');
  });

  it("answers 500 with a Redfish error body while failing, without reaching the BMC", async () => {
    const before = seen.length;
    await proxy.set("fail");
    const r = await ask(`${proxy.url}/redfish/v1/Systems/1`);
    expect("status" in r && r.status).toBe(500);
    expect("body" in r && (JSON.parse(r.body) as { error?: { code?: string } }).error?.code).toBe("Base.1.0.GeneralError");
    expect(seen.length).toBe(before);
  });

  it("refuses connections while refusing, on the same port it comes back on", async () => {
    await proxy.set("refuse");
    expect(await ask(`${proxy.url}/redfish/v1/`)).toEqual({ error: "ECONNREFUSED" });
    await proxy.set("forward");
    const r = await ask(`${proxy.url}/redfish/v1/`);
    expect("status" in r && r.status).toBe(200);
    expect(proxy.answered.fail).toBe(1);
  });
});
