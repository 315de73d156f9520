/**
 * Real TFTP clients against Anvil's TFTP server on loopback: tftp-hpa (plain
 * RFC 1350, octet and netascii), atftp (blksize, tsize, windowsize) and curl
 * (blksize, tsize, timeout) download the iPXE binaries of Debian's `ipxe`
 * package; every download must be byte-identical (sha256), from both
 * engines: the native pump (ADR 0028) and read-transfer.ts.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TftpServer } from "./server.js";
import type { TftpEngine } from "./transfer.js";

const run = promisify(execFile);
const IPXE_DIR = "/usr/lib/ipxe";
const BINARIES = ["undionly.kpxe", "ipxe.efi", "snponly.efi"] as const;

let dir: string;
const ENGINES = ["native", "js"] as const satisfies readonly TftpEngine[];
/** One server per engine, each on its own port. */
const servers = new Map<TftpEngine, { server: TftpServer; port: number }>();
const portOf = (engine: TftpEngine): number => servers.get(engine)!.port;
const sha = (p: string): string => createHash("sha256").update(readFileSync(p)).digest("hex");

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), "anvil-tftp-peer-"));
  const root = path.join(dir, "root");
  mkdirSync(root);
  writeFileSync(path.join(dir, "outside.txt"), "secret outside the root\n");
  symlinkSync(path.join(dir, "outside.txt"), path.join(root, "link-out"));
  writeFileSync(path.join(root, "hello.txt"), "line one\nline two\r\nend\n");
  for (const engine of ENGINES) {
    const server = new TftpServer({
      address: "127.0.0.1",
      port: 0,
      root,
      fixed: new Map(BINARIES.map((b) => [b, path.join(IPXE_DIR, b)])),
      limits: { maxBlockSize: 1468, maxWindowSize: 64, defaultTimeoutMs: 500 },
      engine,
    });
    const { port } = await server.listen();
    servers.set(engine, { server, port });
  }
});

afterAll(async () => {
  for (const { server } of servers.values()) await server.close();
  rmSync(dir, { recursive: true, force: true });
});

type Client = "tftp-hpa" | "atftp" | "curl";

/** Each client's command line for one download; options are what the client asks for. */
function command(port: number, client: Client, file: string, out: string, options: readonly string[], mode = "octet"): [string, string[]] {
  switch (client) {
    case "tftp-hpa":
      return ["tftp", ["-m", mode === "octet" ? "binary" : "ascii", "127.0.0.1", String(port), "-c", "get", file, out]];
    case "atftp":
      return ["atftp", [...options.flatMap((o) => ["--option", o]), "-g", "-r", file, "-l", out, "127.0.0.1", String(port)]];
    case "curl":
      return ["curl", ["-sS", "--fail", "--max-time", "60", ...options, "-o", out, `tftp://127.0.0.1:${port}/${file}`]];
  }
}

describe.each(ENGINES)("real clients download the iPXE binaries byte-identically from the %s engine", (engine) => {
  const cases: [string, Client, readonly string[]][] = [];
  for (const b of BINARIES) {
    cases.push(
      [b, "tftp-hpa", []],
      [b, "atftp", []],
      [b, "atftp", ["blksize 1432", "tsize 0"]],
      [b, "atftp", ["blksize 1468", "windowsize 4", "tsize 0"]],
      [b, "atftp", ["blksize 512", "windowsize 16"]],
      [b, "curl", ["--tftp-no-options"]],
      [b, "curl", []],
      [b, "curl", ["--tftp-blksize", "1468"]],
    );
  }
  it.each(cases)("%s with %s asking for [%s]", async (file, client, options) => {
    const out = path.join(dir, `${engine}-${client}-${file}-${options.join("_").replace(/\W+/g, "-")}`);
    const [cmd, args] = command(portOf(engine), client, file, out, options);
    await run(cmd, args, { timeout: 60_000 });
    expect(sha(out)).toBe(sha(path.join(IPXE_DIR, file)));
  });

  it("tftp-hpa in netascii mode gets the text back unchanged after its own CR LF decoding", async () => {
    const out = path.join(dir, `${engine}-hello-netascii.txt`);
    const [cmd, args] = command(portOf(engine), "tftp-hpa", "hello.txt", out, [], "netascii");
    await run(cmd, args, { timeout: 30_000 });
    expect(readFileSync(out, "utf8")).toBe("line one\nline two\r\nend\n");
  });
});

// Refusals come from the listening socket, before any engine is involved.
describe("real clients are refused what the server must not give", () => {
  const port = (): number => portOf("native");
  it.each([
    ["../etc/passwd with an access violation", "../etc/passwd", 69],
    ["a deeper traversal with an access violation", "a/../../outside.txt", 69],
    ["an absolute path with an access violation", "/etc/passwd", 69],
    ["a symlink out of the root with an access violation", "link-out", 69],
    ["a missing file with file not found", "no-such-file", 68],
  ])("curl gets nothing for %s", async (_name, file, exit) => {
    const out = path.join(dir, `refused-${file.replace(/\W+/g, "-")}`);
    const r = await run("curl", ["-sS", "--path-as-is", "--max-time", "20", "-o", out, `tftp://127.0.0.1:${port()}/${file.replace(/^\//, "%2F")}`], { timeout: 30_000 }).then(
      () => "downloaded",
      (err: { code?: number }) => `curl exit ${err.code}`,
    );
    // curl exit 69: TFTP error 2 "access violation"; 68: TFTP error 1 "file not found".
    expect(r).toBe(`curl exit ${exit}`);
  });

  it("atftp's write request (put) is refused with an access violation", async () => {
    const src = path.join(dir, "upload.bin");
    writeFileSync(src, "data");
    const r = await run("atftp", ["-p", "-l", src, "-r", "upload.bin", "127.0.0.1", String(port())], { timeout: 20_000 }).then(
      (o) => o.stdout + o.stderr,
      (err: { stdout?: string; stderr?: string }) => `${err.stdout ?? ""}${err.stderr ?? ""}`,
    );
    expect(r).toMatch(/Write requests are not accepted|Access violation/i);
    expect(servers.get("native")!.server.metrics.writeRequestsRefused).toBeGreaterThan(0);
  });
});
