/**
 * curl against Anvil's boot HTTP server on loopback: byte ranges (206, 416,
 * ignored multi-range), HEAD and conditionals, keep-alive reuse, the per-MAC
 * iPXE script for each boot action, the agent token check, and an access log
 * that never shows a token.
 */
import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { HttpAccessEvent } from "./access-log.js";
import { BootHttpServer } from "./server.js";
import { HOSTS, memoryBackend } from "./testing/memory-backend.js";

const exec = promisify(execFile);
let dir: string;
let server: BootHttpServer;
let base: string;
let asset: Buffer;
const logs: HttpAccessEvent[] = [];

async function curl(args: readonly string[]): Promise<string> {
  const { stdout } = await exec("curl", ["-sS", "--max-time", "30", ...args], { timeout: 40_000, maxBuffer: 128 * 1024 * 1024, encoding: "latin1" });
  return stdout;
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), "anvil-http-peer-"));
  asset = randomBytes(1024 * 1024 + 123);
  writeFileSync(path.join(dir, "initrd.img"), asset);
  writeFileSync(path.join(dir, "..hidden"), "x");
  server = new BootHttpServer({
    backend: memoryBackend(HOSTS),
    publicUrl: "http://127.0.0.1:0",
    address: "127.0.0.1",
    port: 0,
    assetsDir: dir,
    ipxeBinaries: new Map([["ipxe.efi", "/usr/lib/ipxe/ipxe.efi"]]),
    log: (e) => logs.push(e),
  });
  const { port } = await server.listen();
  base = `http://127.0.0.1:${port}`;
});
afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("boot assets over HTTP", () => {
  const size = (): number => asset.length;
  it.each([
    ["a first-last range", "0-99", () => [0, 99]],
    ["an open-ended range", "1000000-", () => [1000000, size() - 1]],
    ["a suffix range", "-50", () => [size() - 50, size() - 1]],
  ])("answers %s with 206 and exactly those bytes", async (_name, range, span) => {
    const [start, end] = span();
    const out = await curl(["-r", range, "-w", "\n%{http_code}", `${base}/assets/initrd.img`]);
    const code = out.slice(out.lastIndexOf("\n") + 1);
    const body = Buffer.from(out.slice(0, out.lastIndexOf("\n")), "latin1");
    expect(code).toBe("206");
    expect(body.equals(asset.subarray(start, end! + 1))).toBe(true);
  });

  it("answers a range past the end with 416 and the size", async () => {
    const out = await curl(["-r", `${asset.length}-`, "-D", "-", "-o", "/dev/null", `${base}/assets/initrd.img`]);
    expect(out).toMatch(/^HTTP\/1\.1 416/);
    expect(out).toMatch(new RegExp(`content-range: bytes \\*/${asset.length}`, "i"));
  });

  it("answers several ranges with the whole file (RFC 9110 §14.2 lets it ignore Range)", async () => {
    const out = await curl(["-r", "0-1,5-6", "-w", "%{http_code}", "-o", path.join(dir, "multi"), `${base}/assets/initrd.img`]);
    expect(out).toBe("200");
    expect(readFileSync(path.join(dir, "multi")).equals(asset)).toBe(true);
  });

  it("streams the whole file byte-identically", async () => {
    await curl(["-o", path.join(dir, "whole"), `${base}/assets/initrd.img`]);
    expect(createHash("sha256").update(readFileSync(path.join(dir, "whole"))).digest("hex")).toBe(createHash("sha256").update(asset).digest("hex"));
  });

  it("answers HEAD with the length, validators and Accept-Ranges but no body", async () => {
    const out = await curl(["-I", `${base}/assets/initrd.img`]);
    expect(out).toMatch(/^HTTP\/1\.1 200/);
    expect(out).toMatch(new RegExp(`content-length: ${asset.length}\\r\\n`, "i"));
    expect(out).toMatch(/etag: "[0-9a-f]+-[0-9a-f]+"/i);
    expect(out).toMatch(/last-modified: \w{3}, \d{2} \w{3} \d{4}/i);
    expect(out).toMatch(/accept-ranges: bytes/i);
  });

  it.each([
    ["If-None-Match with the current ETag", async () => `If-None-Match: ${/etag: (\S+)/i.exec(await curl(["-I", `${base}/assets/initrd.img`]))![1]}`],
    ["If-Modified-Since a later date", () => Promise.resolve(`If-Modified-Since: ${new Date(Date.now() + 60_000).toUTCString()}`)],
  ])("answers %s with 304", async (_name, header) => {
    const out = await curl(["-H", await header(), "-w", "%{http_code}", "-o", "/dev/null", `${base}/assets/initrd.img`]);
    expect(out).toBe("304");
  });

  it.each([
    ["a missing file", "/assets/nope"],
    ["an encoded traversal", "/assets/%2e%2e/%2e%2e/etc/passwd"],
    ["an encoded slash traversal", "/assets/..%2f..%2fetc%2fpasswd"],
  ])("answers %s with 404", async (_name, p) => {
    expect(await curl(["--path-as-is", "-w", "%{http_code}", "-o", "/dev/null", `${base}${p}`])).toBe("404");
  });

  it.each(["/ipxe.efi", "/ipxe-bin/ipxe.efi"])("serves Debian's ipxe.efi at %s for UEFI HTTP boot, byte-identical", async (p) => {
    const out = path.join(dir, "http-ipxe.efi");
    await curl(["--fail", "-o", out, `${base}${p}`]);
    expect(readFileSync(out).equals(readFileSync("/usr/lib/ipxe/ipxe.efi"))).toBe(true);
  });

  it("reuses one keep-alive connection for several requests", async () => {
    const out = await curl(["-w", "%{num_connects}\n", "-o", "/dev/null", "-o", "/dev/null", "-o", "/dev/null", `${base}/boot.ipxe`, `${base}/assets/initrd.img`, `${base}/ipxe/52-54-00-00-00-02`]);
    expect(out.trim().split("\n")).toEqual(["1", "0", "0"]);
  });
});

describe("iPXE scripts over HTTP", () => {
  it("serves the entry script that chains to the per-MAC script", async () => {
    expect(await curl([`${base}/boot.ipxe`])).toContain("chain --autofree http://127.0.0.1:0/ipxe/${netX/mac:hexhyp} || exit");
  });

  it.each([
    ["ramdisk", "52-54-00-00-00-01", ["imgfree", "kernel http://10.0.0.1:8080/assets/vmlinuz initrd=initrd.img", "anvil.token=tok-one-AAAA", "initrd --name initrd.img", "boot ||"]],
    ["local disk", "52:54:00:00:00:02", ["sanboot --no-describe --drive 0x80", "iseq ${platform} efi"]],
    ["nothing", "525400000003", ["#!ipxe", "exit"]],
  ])("serves the %s script for %s", async (_kind, mac, parts) => {
    const out = await curl(["--fail", `${base}/ipxe/${mac}`]);
    for (const p of parts) expect(out).toContain(p);
  });

  it.each([
    ["an unknown MAC", "/ipxe/52-54-00-99-99-99", "404"],
    ["something that is not a MAC", "/ipxe/hello", "400"],
  ])("answers %s with %s", async (_name, p, code) => {
    expect(await curl(["-w", "%{http_code}", "-o", "/dev/null", `${base}${p}`])).toBe(code);
  });
});

describe("agent API authentication", () => {
  it.each([
    ["the host's own token", "tok-one-AAAA", "200"],
    ["another host's token", "tok-two-BBBB", "403"],
    ["an unknown token", "tok-nope", "401"],
    ["no token", undefined, "401"],
  ])("answers a call with %s with %s", async (_name, token, code) => {
    const auth = token === undefined ? [] : ["-H", `Authorization: Bearer ${token}`];
    expect(await curl([...auth, "-w", "%{http_code}", "-o", "/dev/null", `${base}/agent/v1/hosts/52:54:00:00:00:01/whoami`])).toBe(code);
  });

  it("never writes a token into the access log", async () => {
    await curl(["-o", "/dev/null", `${base}/boot.ipxe?token=tok-one-AAAA`]);
    await curl(["-o", "/dev/null", `${base}/ipxe/52-54-00-00-00-01`]);
    const text = JSON.stringify(logs);
    expect(logs.length).toBeGreaterThan(10);
    expect(text).not.toContain("tok-one-AAAA");
    expect(text).not.toContain("tok-two-BBBB");
    expect(text).toContain("token=REDACTED");
  });
});
