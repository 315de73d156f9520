import { mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { eventually } from "../../e2e/framework/process.js";
import { FileBackend, parseHosts } from "./file-backend.js";

const YAML = `
hosts:
  - mac: 52-54-00-AA-BB-01
    name: default/node-0
    reservation: { ip: 10.0.0.10, router: 10.0.0.1, leaseSeconds: 600 }
    boot: { kind: ramdisk, token: s3cret-token-0, kernelUrl: http://x/k, initrdUrl: http://x/i }
  - mac: 52:54:00:aa:bb:02
    boot: { kind: local-disk }
`;

describe("parseHosts", () => {
  it("reads YAML hosts, normalising MACs and defaulting the name and the boot action", () => {
    const hosts = parseHosts(YAML + "  - mac: 52:54:00:aa:bb:03\n");
    expect(hosts.get("52:54:00:aa:bb:01")).toMatchObject({ hostName: "default/node-0", reservation: { ip: "10.0.0.10", leaseSeconds: 600 }, action: { kind: "ramdisk" } });
    expect(hosts.get("52:54:00:aa:bb:02")).toMatchObject({ hostName: "52:54:00:aa:bb:02", action: { kind: "local-disk" } });
    expect(hosts.get("52:54:00:aa:bb:03")?.action).toEqual({ kind: "none" });
  });

  it("reads the same hosts from JSON", () => {
    const hosts = parseHosts(JSON.stringify({ hosts: [{ mac: "52:54:00:aa:bb:01", reservation: { ip: "10.0.0.10" } }] }));
    expect(hosts.get("52:54:00:aa:bb:01")?.reservation?.ip).toBe("10.0.0.10");
  });

  it.each([
    ["no hosts list", "foo: 1"],
    ["a bad MAC", "hosts: [{ mac: 52:54:00 }]"],
    ["a MAC twice", "hosts: [{ mac: '52:54:00:aa:bb:01' }, { mac: '52-54-00-aa-bb-01' }]"],
    ["a name twice", "hosts: [{ mac: '52:54:00:aa:bb:01', name: a }, { mac: '52:54:00:aa:bb:02', name: a }]"],
    ["a reservation without an address", "hosts: [{ mac: '52:54:00:aa:bb:01', reservation: { router: 10.0.0.1 } }]"],
    ["a reservation address that is not IPv4", "hosts: [{ mac: '52:54:00:aa:bb:01', reservation: { ip: 10.0.0.300 } }]"],
    ["an unknown boot kind", "hosts: [{ mac: '52:54:00:aa:bb:01', boot: { kind: iso } }]"],
    ["a ramdisk without kernel URL", "hosts: [{ mac: '52:54:00:aa:bb:01', boot: { kind: ramdisk, token: t0p-s3cret, initrdUrl: u } }]"],
    ["text that is not YAML", "hosts: [ {"],
  ])("rejects %s with HOSTS_FILE_INVALID and no token in the message", (_what, text) => {
    let err: unknown;
    try {
      parseHosts(text);
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: "HOSTS_FILE_INVALID" });
    expect(String((err as Error).message)).not.toContain("s3cret");
  });
});

describe("FileBackend", () => {
  let dir = "";
  let file = "";
  let backend: FileBackend | undefined;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), "anvil-hosts-"));
    file = path.join(dir, "hosts.yaml");
    writeFileSync(file, YAML);
  });
  afterEach(() => {
    backend?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A file watch fires within milliseconds on a quiet machine; 5 s leaves a loaded one room, under the 10 s test timeout. */
  const RELOAD = { timeoutMs: 5_000, intervalMs: 20 };

  it("answers by MAC in any notation and says undefined for an unknown MAC", async () => {
    backend = await FileBackend.open(file, { watch: false });
    expect((await backend.byMac("52:54:00:AA:BB:01"))?.hostName).toBe("default/node-0");
    expect(await backend.byMac("52:54:00:aa:bb:99")).toBeUndefined();
    expect(await backend.byMac("garbage")).toBeUndefined();
  });

  it("finds a host by its ramdisk token and nothing for a wrong one", async () => {
    backend = await FileBackend.open(file, { watch: false });
    expect((await backend.byToken("s3cret-token-0"))?.mac).toBe("52:54:00:aa:bb:01");
    expect(await backend.byToken("s3cret-token-1")).toBeUndefined();
    expect(await backend.byToken("")).toBeUndefined();
  });

  it("picks up a file replaced by rename, as editors and atomic writers do", async () => {
    backend = await FileBackend.open(file);
    writeFileSync(`${file}.new`, "hosts: [{ mac: '52:54:00:aa:bb:07', name: added }]");
    renameSync(`${file}.new`, file);
    await eventually("the renamed file to be read", async () => (await backend!.byMac("52:54:00:aa:bb:07")) !== undefined, RELOAD);
    expect((await backend.byMac("52:54:00:aa:bb:07"))?.hostName).toBe("added");
    expect(await backend.byMac("52:54:00:aa:bb:01")).toBeUndefined();
  });

  it("keeps the previous hosts when the changed file is invalid, and reports why", async () => {
    const reloads: string[] = [];
    backend = await FileBackend.open(file, { onReload: (n, e) => reloads.push(e ? e.code : `ok ${n}`) });
    writeFileSync(file, "hosts: [{ mac: nope }]");
    await eventually("a reload", () => reloads.length > 0, RELOAD);
    expect(backend.lastError?.code).toBe("HOSTS_FILE_INVALID");
    expect((await backend.byMac("52:54:00:aa:bb:01"))?.hostName).toBe("default/node-0");
  });

  it("refuses to start from a missing file", async () => {
    await expect(FileBackend.open(path.join(dir, "absent.yaml"))).rejects.toMatchObject({ code: "HOSTS_FILE_UNREADABLE" });
  });
});
