import http from "node:http";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { AgentInstructions } from "../agent-backend.js";
import type { HttpAccessEvent } from "./access-log.js";
import { agentApi, type AgentApiHandler } from "./agent-api.js";
import { hostScript } from "./ipxe-script.js";
import { BootHttpServer } from "./server.js";
import { memoryAgentBackend, type AgentCall, type MemoryAgentBackend } from "./testing/memory-agent-backend.js";
import { HOSTS, memoryBackend } from "./testing/memory-backend.js";

const MAC = "52:54:00:00:00:01";
const TOKEN = "tok-one-AAAA";
const OTHER_TOKEN = "tok-two-BBBB";
const USER_DATA = "#cloud-config\npassword: user-data-secret-7781\n";
const SECRET_VALUE = "zz-value-from-the-host-5519";
const HOST = `/agent/v1/hosts/${MAC}`;

interface Answer {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly text: string;
}

interface Call {
  readonly method?: string;
  readonly token?: string | null;
  readonly body?: unknown;
  /** Sent as is (no JSON encoding). */
  readonly raw?: Buffer | string;
  readonly contentType?: string | null;
  /** Send without Content-Length (chunked), so the server must count. */
  readonly chunked?: boolean;
}

let server: BootHttpServer;
let base = "";
let backend: MemoryAgentBackend;
let api: AgentApiHandler;
const accessLog: HttpAccessEvent[] = [];
const backendErrors: string[] = [];
const answers: Answer[] = [];

function request(path: string, c: Call = {}): Promise<Answer> {
  const payload = c.raw !== undefined ? Buffer.from(c.raw) : c.body !== undefined ? Buffer.from(JSON.stringify(c.body)) : undefined;
  const headers: Record<string, string> = {};
  if (c.token !== null) headers.authorization = `Bearer ${c.token ?? TOKEN}`;
  if (payload && c.contentType !== null) headers["content-type"] = c.contentType ?? "application/json";
  if (payload && !c.chunked) headers["content-length"] = String(payload.length);
  return new Promise((resolve, reject) => {
    const req = http.request(`${base}${path}`, { method: c.method ?? (payload ? "POST" : "GET"), headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (d: Buffer) => chunks.push(d));
      res.on("end", () => {
        const a = { status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString("utf8") };
        answers.push(a);
        resolve(a);
      });
    });
    // The server may answer 413 and close before the whole body went out.
    req.on("error", (err: NodeJS.ErrnoException) => (err.code === "EPIPE" || err.code === "ECONNRESET" ? undefined : reject(err)));
    req.end(payload);
  });
}

const lastCall = <R extends AgentCall["route"]>(route: R): Extract<AgentCall, { route: R }> | undefined =>
  backend.calls.filter((c): c is Extract<AgentCall, { route: R }> => c.route === route).at(-1);

const HARDWARE = {
  systemVendor: { manufacturer: "QEMU", productName: "Standard PC", serialNumber: "" },
  firmware: { bios: { vendor: "SeaBIOS", version: "1.16.2", date: "04/01/2014" } },
  ramMebibytes: 512,
  nics: [{ name: "eth0", model: "0x1af4 0x1000", mac: "52:54:00:a5:00:01", ip: "10.0.2.15", speedGbps: 0, pxe: true, pciAddress: "0000:00:02.0" }],
  storage: [{ name: "/dev/sda", rotational: true, type: "HDD", sizeBytes: 6442450944, model: "QEMU HARDDISK", vendor: "QEMU", serialNumber: "S1", wwn: "0x5000c50015ea71ac", wwnWithExtension: "0x5000c50015ea71ac", wwnVendorExtension: "", hctl: "0:0:0:0" }],
  cpu: { arch: "x86_64", model: "QEMU Virtual CPU", clockMegahertz: 2095.076, flags: ["fpu", "sse2"], count: 1 },
  hostname: "",
};

const DEPLOY: AgentInstructions = {
  action: "deploy",
  image: { url: "http://10.0.0.1:8080/assets/img.raw", checksum: "ab".repeat(32), checksumType: "sha256", format: "raw" },
  configDrive: { userData: USER_DATA, metaData: { uuid: "u-1" } },
};

beforeAll(async () => {
  backend = memoryAgentBackend();
  api = agentApi(backend, { backendTimeoutMs: 300, bodyTimeoutMs: 1000, onBackendError: (e) => backendErrors.push(e.message) });
  server = new BootHttpServer({
    backend: memoryBackend(HOSTS),
    publicUrl: "http://127.0.0.1",
    address: "127.0.0.1",
    port: 0,
    agent: api,
    agentRejected: (code) => api.counters.reject(code),
    log: (e) => accessLog.push(e),
  });
  const a = await server.listen();
  base = `http://127.0.0.1:${a.port}`;
});

afterAll(async () => {
  await server?.close();
});

beforeEach(() => {
  backend.failing = {};
});

describe("the agent API's routes, through a real HTTP server", () => {
  it("tells the agent which host its token belongs to on GET /whoami", async () => {
    const a = await request(`${HOST}/whoami`);
    expect(a.status).toBe(200);
    expect(JSON.parse(a.text)).toEqual({ hostName: "default/deploy-me", mac: MAC });
  });

  it("answers GET /instructions with the backend's instructions, never cached", async () => {
    backend.give(DEPLOY);
    const a = await request(`${HOST}/instructions`);
    expect(a.status).toBe(200);
    expect(a.headers["content-type"]).toBe("application/json");
    expect(a.headers["cache-control"]).toBe("no-store");
    expect(JSON.parse(a.text)).toEqual(DEPLOY);
    expect(lastCall("instructions")?.host).toBe("default/deploy-me");
  });

  it.each([
    { given: 1.5, sent: 2 },
    { given: 0, sent: 1 },
    { given: 30, sent: 30 },
  ])("sends a wait of $given s as $sent whole seconds, which the agent's Go int can decode", async ({ given, sent }) => {
    backend.give({ action: "wait", retryAfterSeconds: given });
    const a = await request(`${HOST}/instructions`);
    expect(JSON.parse(a.text)).toEqual({ action: "wait", retryAfterSeconds: sent });
  });

  it("serves the agent under the anvil.api base URL the host's iPXE script gives it", async () => {
    const script = hostScript(HOSTS[0]!, { baseUrl: base });
    const apiUrl = /anvil\.api=(\S+)/.exec(script)?.[1];
    expect(apiUrl).toBeDefined();
    // ramdisk/agent/client.go: c.base + "/instructions".
    const a = await request(`${new URL(apiUrl!).pathname}/instructions`);
    expect(a.status).toBe(200);
    expect(JSON.parse(a.text)).toEqual({ action: "wait", retryAfterSeconds: 1 });
  });

  it("stores a posted inventory with 204, typed fields kept and unknown ones dropped", async () => {
    const a = await request(`${HOST}/inventory`, { body: { hardware: { ...HARDWARE, futureField: SECRET_VALUE } } });
    expect(a.status).toBe(204);
    expect(lastCall("inventory")?.hardware).toEqual(HARDWARE);
  });

  it("takes Go's null slices in an inventory as absent", async () => {
    const a = await request(`${HOST}/inventory`, { body: { hardware: { ...HARDWARE, nics: null, cpu: { ...HARDWARE.cpu, flags: null } } } });
    expect(a.status).toBe(204);
    const hw = lastCall("inventory")?.hardware;
    expect(hw?.nics).toBeUndefined();
    expect(hw?.cpu).toEqual({ arch: "x86_64", model: "QEMU Virtual CPU", clockMegahertz: 2095.076, count: 1 });
  });

  it("accepts an inventory just under the 1 MiB cap", async () => {
    const body = { hardware: HARDWARE, padding: "x".repeat((1 << 20) - 2000) };
    expect(Buffer.byteLength(JSON.stringify(body))).toBeLessThan(1 << 20);
    expect((await request(`${HOST}/inventory`, { body })).status).toBe(204);
  });

  it.each([
    {
      name: "known totals become total and downloadTotal",
      wire: { action: "deploy", phase: "writing", device: "/dev/sda", bytesWritten: 1024, bytesTotal: 4096, bytesDownloaded: 1024, bytesDownloadTotal: 4096 },
      want: { action: "deploy", phase: "writing", device: "/dev/sda", bytesWritten: 1024, total: 4096, bytesDownloaded: 1024, downloadTotal: 4096 },
    },
    {
      name: "null totals (a gzip image without Content-Length) stay unknown",
      wire: { action: "deploy", phase: "writing", device: "/dev/sda", bytesWritten: 1024, bytesTotal: null, bytesDownloaded: 512, bytesDownloadTotal: null },
      want: { action: "deploy", phase: "writing", device: "/dev/sda", bytesWritten: 1024, bytesDownloaded: 512 },
    },
    {
      name: "a wipe counts disks",
      wire: { action: "wipe", phase: "wiping", device: "/dev/vda", bytesWritten: 1, bytesTotal: 2, bytesDownloaded: 0, bytesDownloadTotal: null },
      want: { action: "wipe", phase: "wiping", device: "/dev/vda", bytesWritten: 1, total: 2, bytesDownloaded: 0 },
    },
  ])("maps progress: $name", async ({ wire, want }) => {
    const a = await request(`${HOST}/progress`, { body: wire });
    expect(a.status).toBe(204);
    expect(lastCall("progress")?.progress).toEqual(want);
  });

  it.each([
    { action: "inspect", ok: true },
    { action: "deploy", ok: true, rootDevice: "/dev/sda" },
    { action: "wipe", ok: true, wiped: ["/dev/sda", "/dev/vda"] },
    { action: "deploy", ok: false, rootDevice: "/dev/sda", error: { code: "CHECKSUM_MISMATCH", message: "sha256 digest of the image is 3a, expected 9f" } },
  ])("passes the result $action ok=$ok to the backend and answers 204", async (result) => {
    const a = await request(`${HOST}/result`, { body: result });
    expect(a.status).toBe(204);
    expect(lastCall("result")?.result).toEqual(result);
  });

  it("flattens a result's error message to one line of at most 1 KiB", async () => {
    const message = `first line\nsecond\tline ${"y".repeat(3000)}`;
    expect((await request(`${HOST}/result`, { body: { action: "wipe", ok: false, error: { code: "WIPE_FAILED", message } } })).status).toBe(204);
    const got = lastCall("result")?.result.error?.message ?? "";
    expect(got.startsWith("first line second line yyy")).toBe(true);
    expect(got.length).toBe(1024);
  });

  it("passes a retried result through again: idempotency is the backend's job", async () => {
    const result = { action: "wipe", ok: true, wiped: ["/dev/sda"] };
    const before = backend.calls.filter((c) => c.route === "result").length;
    expect((await request(`${HOST}/result`, { body: result })).status).toBe(204);
    expect((await request(`${HOST}/result`, { body: result })).status).toBe(204);
    expect(backend.calls.filter((c) => c.route === "result").length).toBe(before + 2);
  });
});

describe("refusals", () => {
  it.each([
    { name: "no Authorization header", token: null, status: 401, code: "AGENT_TOKEN_MISSING" },
    { name: "an unknown token", token: "not-a-token", status: 401, code: "AGENT_TOKEN_INVALID" },
    { name: "another host's token", token: OTHER_TOKEN, status: 403, code: "AGENT_TOKEN_WRONG_HOST" },
  ])("refuses $name with $status $code and never calls the backend", async ({ token, status, code }) => {
    const before = backend.calls.length;
    const a = await request(`${HOST}/instructions`, { token });
    expect(a.status).toBe(status);
    expect(JSON.parse(a.text)).toEqual({ code });
    if (status === 401) expect(a.headers["www-authenticate"]).toMatch(/^Bearer /);
    expect(backend.calls.length).toBe(before);
  });

  const bad = (route: string, body: unknown, field: string) => ({ route, body, field });
  it.each([
    bad("inventory", {}, "hardware: required"),
    bad("inventory", { hardware: [] }, "hardware: expected an object"),
    bad("inventory", { hardware: { ...HARDWARE, nics: [{ ...HARDWARE.nics[0], mac: SECRET_VALUE }] } }, "hardware.nics[0].mac"),
    bad("inventory", { hardware: { ...HARDWARE, storage: [{ ...HARDWARE.storage[0], sizeBytes: -1 }] } }, "hardware.storage[0].sizeBytes"),
    bad("inventory", { hardware: { ...HARDWARE, storage: [{ ...HARDWARE.storage[0], type: SECRET_VALUE }] } }, "hardware.storage[0].type"),
    bad("inventory", { hardware: { ...HARDWARE, cpu: { ...HARDWARE.cpu, flags: SECRET_VALUE } } }, "hardware.cpu.flags"),
    bad("inventory", { hardware: { ...HARDWARE, ramMebibytes: 1.5 } }, "hardware.ramMebibytes"),
    bad("progress", { action: SECRET_VALUE, phase: "writing", bytesWritten: 0 }, "action"),
    bad("progress", { action: "deploy", bytesWritten: 0 }, "phase: required"),
    bad("progress", { action: "deploy", phase: "writing", bytesWritten: "12" }, "bytesWritten"),
    bad("progress", { action: "deploy", phase: "writing", bytesWritten: 0, bytesTotal: -1 }, "bytesTotal"),
    bad("progress", { action: "deploy", phase: "writing", bytesWritten: 0, bytesDownloadTotal: SECRET_VALUE }, "bytesDownloadTotal"),
    bad("progress", [1, 2], "body: expected an object"),
    bad("result", { action: "poweroff", ok: true }, "action: expected one of inspect, deploy, wipe"),
    bad("result", { action: "deploy" }, "ok: required"),
    bad("result", { action: "deploy", ok: false }, "error: required when ok is false"),
    bad("result", { action: "deploy", ok: true, error: { code: "X", message: "" } }, "error: only allowed when ok is false"),
    bad("result", { action: "deploy", ok: false, error: { code: SECRET_VALUE, message: "" } }, "error.code"),
    bad("result", { action: "wipe", ok: true, wiped: SECRET_VALUE }, "wiped"),
  ])("answers 400 AGENT_BAD_BODY naming $field on /$route, without the value sent", async ({ route, body, field }) => {
    const a = await request(`${HOST}/${route}`, { body });
    expect(a.status).toBe(400);
    const err = JSON.parse(a.text) as { code: string; message: string };
    expect(err.code).toBe("AGENT_BAD_BODY");
    expect(err.message.startsWith(field)).toBe(true);
    expect(a.text).not.toContain(SECRET_VALUE);
  });

  it.each([
    { name: "a body that is not JSON", raw: `{"action": "${SECRET_VALUE}"`, message: "the body is not JSON" },
    { name: "an empty body", raw: "", message: "the body is empty" },
    { name: "a body that is not UTF-8", raw: Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), message: "the body is not UTF-8" },
  ])("answers 400 AGENT_BAD_JSON for $name", async ({ raw, message }) => {
    const a = await request(`${HOST}/progress`, { method: "POST", raw });
    expect(a.status).toBe(400);
    expect(JSON.parse(a.text)).toEqual({ code: "AGENT_BAD_JSON", message });
  });

  it.each([
    { name: "an inventory declaring more than 1 MiB", route: "inventory", size: (1 << 20) + 1, chunked: false },
    { name: "a chunked inventory growing past 1 MiB", route: "inventory", size: (1 << 20) + 1, chunked: true },
    { name: "a progress report over 16 KiB", route: "progress", size: (16 << 10) + 1, chunked: false },
    { name: "a chunked result over 16 KiB", route: "result", size: (16 << 10) + 1, chunked: true },
  ])("answers 413 AGENT_BODY_TOO_LARGE to $name and closes the connection", async ({ route, size, chunked }) => {
    const before = backend.calls.length;
    const a = await request(`${HOST}/${route}`, { raw: Buffer.alloc(size, 0x20), chunked });
    expect(a.status).toBe(413);
    expect(JSON.parse(a.text)).toMatchObject({ code: "AGENT_BODY_TOO_LARGE" });
    expect(a.headers.connection).toBe("close");
    expect(backend.calls.length).toBe(before);
  });

  it.each([
    { name: "text/plain", contentType: "text/plain" },
    { name: "form data", contentType: "application/x-www-form-urlencoded" },
    { name: "no Content-Type", contentType: null },
  ])("answers 415 AGENT_UNSUPPORTED_MEDIA_TYPE to $name", async ({ contentType }) => {
    const a = await request(`${HOST}/result`, { body: { action: "inspect", ok: true }, contentType });
    expect(a.status).toBe(415);
    expect(JSON.parse(a.text)).toMatchObject({ code: "AGENT_UNSUPPORTED_MEDIA_TYPE" });
  });

  it("takes a JSON body whose Content-Type carries a charset", async () => {
    expect((await request(`${HOST}/result`, { body: { action: "inspect", ok: true }, contentType: "Application/JSON; charset=utf-8" })).status).toBe(204);
  });

  it.each([
    { method: "POST", route: "instructions", allow: "GET" },
    { method: "HEAD", route: "instructions", allow: "GET" },
    { method: "GET", route: "result", allow: "POST" },
    { method: "PUT", route: "inventory", allow: "POST" },
    { method: "DELETE", route: "whoami", allow: "GET" },
  ])("answers $method /$route with 405 and Allow: $allow", async ({ method, route, allow }) => {
    const a = await request(`${HOST}/${route}`, { method, ...(method === "POST" || method === "PUT" ? { body: {} } : {}) });
    expect(a.status).toBe(405);
    expect(a.headers.allow).toBe(allow);
    if (method !== "HEAD") expect(JSON.parse(a.text)).toMatchObject({ code: "AGENT_METHOD_NOT_ALLOWED" });
  });

  it("answers an unknown route with 404 AGENT_ROUTE_NOT_FOUND", async () => {
    const a = await request(`${HOST}/reboot`);
    expect(a.status).toBe(404);
    expect(JSON.parse(a.text)).toMatchObject({ code: "AGENT_ROUTE_NOT_FOUND" });
  });

  it.each([
    { route: "instructions", call: {} },
    { route: "inventory", call: { body: { hardware: HARDWARE } } },
    { route: "progress", call: { body: { action: "deploy", phase: "writing", bytesWritten: 0 } } },
    { route: "result", call: { body: { action: "deploy", ok: true } } },
  ] as const)("answers 503 with Retry-After when the backend fails $route, without the backend's message", async ({ route, call }) => {
    backend.failing[route] = new Error(`etcd unavailable while storing for token ${TOKEN}`);
    const a = await request(`${HOST}/${route}`, call);
    expect(a.status).toBe(503);
    expect(a.headers["retry-after"]).toBe("2");
    expect(JSON.parse(a.text)).toEqual({ code: "AGENT_BACKEND_UNAVAILABLE", message: `the manager cannot take ${route} now; retry` });
    expect(backendErrors.at(-1)).toBe("Error: etcd unavailable while storing for token REDACTED");
  });

  it("answers 503 when the backend does not settle within its timeout", async () => {
    backend.failing.result = "hang";
    const started = Date.now();
    const a = await request(`${HOST}/result`, { body: { action: "deploy", ok: true } });
    expect(a.status).toBe(503);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it("answers 408 AGENT_BODY_TIMEOUT to a body that stops arriving", async () => {
    const a = await new Promise<number>((resolve, reject) => {
      const req = http.request(`${base}${HOST}/progress`, { method: "POST", headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json", "content-length": "100" }, agent: false }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on("error", reject);
      req.write('{"action":');
    });
    expect(a).toBe(408);
  });

  it("counts refusals per code, the server's 401 and 403 included", async () => {
    const before = api.counters.snapshot();
    await request(`${HOST}/instructions`, { token: "nope" });
    await request(`${HOST}/result`, { body: {} });
    await request(`${HOST}/result`, { body: {} });
    const after = api.counters.snapshot();
    expect((after.rejected.AGENT_TOKEN_INVALID ?? 0) - (before.rejected.AGENT_TOKEN_INVALID ?? 0)).toBe(1);
    expect((after.rejected.AGENT_BAD_BODY ?? 0) - (before.rejected.AGENT_BAD_BODY ?? 0)).toBe(2);
    expect(after.accepted.instructions).toBeGreaterThan(0);
  });
});

describe("a failing token lookup", () => {
  it("answers 503 with Retry-After rather than 500, so the agent retries", async () => {
    const failing = new BootHttpServer({
      backend: { byMac: () => Promise.resolve(undefined), byToken: () => Promise.reject(new Error(`store down (${TOKEN})`)) },
      publicUrl: "http://127.0.0.1",
      address: "127.0.0.1",
      port: 0,
      agent: api,
    });
    const { port } = await failing.listen();
    try {
      const res = await fetch(`http://127.0.0.1:${port}${HOST}/instructions`, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(res.status).toBe(503);
      expect(res.headers.get("retry-after")).toBe("2");
      expect(await res.json()).toEqual({ code: "AGENT_BACKEND_UNAVAILABLE", message: "the manager cannot check the token now; retry" });
    } finally {
      await failing.close();
    }
  });
});

describe("secrets", () => {
  it("never puts the token or the user data into an error body or an access log line", () => {
    expect(answers.length).toBeGreaterThan(50);
    const errors = answers.filter((a) => a.status >= 400).map((a) => a.text);
    expect(errors.length).toBeGreaterThan(40);
    for (const text of [...errors, ...accessLog.map((e) => JSON.stringify(e))]) {
      expect(text).not.toContain(TOKEN);
      expect(text).not.toContain(OTHER_TOKEN);
      expect(text).not.toContain("user-data-secret-7781");
    }
    expect(accessLog.some((e) => e.path.endsWith("/instructions") && e.host === "default/deploy-me")).toBe(true);
  });
});
