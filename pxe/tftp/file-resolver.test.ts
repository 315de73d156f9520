import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toNetascii } from "./block-source.js";
import { FileResolver } from "./file-resolver.js";

let dir: string;
let resolver: FileResolver;

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "anvil-tftp-root-"));
  const root = path.join(dir, "root");
  mkdirSync(path.join(root, "sub"), { recursive: true });
  writeFileSync(path.join(root, "a.txt"), "a");
  writeFileSync(path.join(root, "sub", "b.txt"), "bb");
  writeFileSync(path.join(dir, "secret"), "outside");
  symlinkSync(path.join(dir, "secret"), path.join(root, "escape"));
  symlinkSync("a.txt", path.join(root, "inside-link"));
  symlinkSync(dir, path.join(root, "updir"));
  resolver = new FileResolver({ root, fixed: new Map([["boot.bin", path.join(dir, "secret")]]) });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("FileResolver", () => {
  it.each([
    ["a file at the root", "a.txt", 1],
    ["a file in a sub-directory", "sub/b.txt", 2],
    ["a symlink that stays inside the root", "inside-link", 1],
    ["a fixed catalogue name even when it points outside", "boot.bin", 7],
  ])("serves %s", (_name, req, size) => {
    const r = resolver.resolve(req);
    expect(r.ok && r.size).toBe(size);
  });

  it.each([
    ["../etc/passwd", "../secret", 2, "traversal"],
    ["a traversal in the middle", "sub/../../secret", 2, "traversal"],
    ["an absolute path", "/etc/passwd", 2, "absolute"],
    ["a DOS drive path", "C:\\boot.ini", 2, "absolute"],
    ["a backslash traversal", "..\\secret", 2, "bad-name"],
    ["a symlink to a file outside the root", "escape", 2, "escapes-root"],
    ["a path through a symlinked directory outside the root", "updir/secret", 2, "escapes-root"],
    ["a missing file", "nope", 1, "not-found"],
    ["a directory", "sub", 1, "not-a-file"],
  ])("refuses %s", (_name, req, code, reason) => {
    const r = resolver.resolve(req);
    expect(r.ok ? "served" : { code: r.code, reason: r.reason }).toEqual({ code, reason });
  });

  it("never puts the on-disk path in the message sent to the client", () => {
    const r = resolver.resolve("escape");
    expect(!r.ok && r.message).not.toContain(dir);
  });
});

describe("toNetascii", () => {
  it.each([
    ["LF becomes CR LF", "a\nb", "a\r\nb"],
    ["a lone CR becomes CR NUL", "a\rb", "a\r\0b"],
    ["text without line ends is unchanged", "abc", "abc"],
  ])("%s", (_name, input, want) => {
    expect(toNetascii(Buffer.from(input, "latin1")).toString("latin1")).toBe(want);
  });
});
