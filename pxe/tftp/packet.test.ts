import { describe, expect, it } from "vitest";
import { decodePacket, encodeAck, encodeData, encodeError, encodeOack, encodeRequest, Opcode, TftpErrorCode } from "./packet.js";

const raw = (...parts: (number[] | string)[]): Buffer =>
  Buffer.concat(parts.map((p) => (typeof p === "string" ? Buffer.from(p, "latin1") : Buffer.from(p))));

describe("decodePacket", () => {
  it.each([
    ["an RRQ without options", raw([0, 1], "a.bin\0octet\0"), { op: 1, filename: "a.bin", mode: "octet", options: {} }],
    ["an RRQ with options in mixed case", raw([0, 1], "x\0OCTET\0BlkSize\x001468\0tsize\x000\0"), { op: 1, filename: "x", mode: "octet", options: { blksize: "1468", tsize: "0" } }],
    ["an RRQ padded with a trailing NUL", raw([0, 1], "x\0octet\0blksize\x00512\0\0"), { op: 1, filename: "x", mode: "octet", options: { blksize: "512" } }],
    ["a WRQ", raw([0, 2], "up\0octet\0"), { op: 2, filename: "up", mode: "octet", options: {} }],
  ])("reads %s", (_name, buf, want) => {
    const r = decodePacket(buf);
    expect(r.ok).toBe(true);
    if (!r.ok || (r.packet.op !== Opcode.RRQ && r.packet.op !== Opcode.WRQ)) throw new Error("not a request");
    expect({ op: r.packet.op, filename: r.packet.filename, mode: r.packet.mode, options: Object.fromEntries(r.packet.options) }).toEqual(want);
  });

  it.each([
    ["three bytes", raw([0, 4, 0]), "too-short"],
    ["an unknown opcode", raw([0, 9, 0, 0]), "bad-opcode"],
    ["opcode zero", raw([0, 0, 0, 0]), "bad-opcode"],
    ["an RRQ whose mode is not NUL-terminated", raw([0, 1], "file\0octet"), "unterminated-string"],
    ["an RRQ with an empty filename", raw([0, 1], "\0octet\0"), "empty-filename"],
    ["an RRQ with an option name but no value", raw([0, 1], "f\0octet\0blksize\0"), "odd-options"],
    ["an RRQ whose filename has control bytes", raw([0, 1], "a\x01b\0octet\0"), "non-ascii"],
    ["an ACK with trailing bytes", raw([0, 4, 0, 1, 9]), "bad-length"],
  ])("rejects %s", (_name, buf, reason) => {
    expect(decodePacket(buf)).toEqual({ ok: false, reason });
  });

  it("keeps the first of two options with the same name", () => {
    const r = decodePacket(raw([0, 1], "f\0octet\0blksize\x00512\0BLKSIZE\x001468\0"));
    expect(r.ok && r.packet.op === Opcode.RRQ && r.packet.options.get("blksize")).toBe("512");
  });
});

describe("encoders", () => {
  it.each([
    ["DATA wraps block 65536 to 0", encodeData(65536, Buffer.from("hi")), raw([0, 3, 0, 0], "hi")],
    ["DATA 65537 is block 1 on the wire", encodeData(65537, Buffer.alloc(0)), raw([0, 3, 0, 1])],
    ["ACK 7", encodeAck(7), raw([0, 4, 0, 7])],
    ["ERROR 2 with its message", encodeError(TftpErrorCode.AccessViolation, "no"), raw([0, 5, 0, 2], "no\0")],
    ["an OACK lists options in order", encodeOack(new Map([["blksize", "1468"], ["tsize", "10"]])), raw([0, 6], "blksize\x001468\0tsize\x0010\0")],
  ])("encodes %s", (_name, got, want) => {
    expect(got.equals(want)).toBe(true);
  });

  it("round-trips a request through decode", () => {
    const buf = encodeRequest(Opcode.RRQ, "undionly.kpxe", "octet", new Map([["windowsize", "4"]]));
    const r = decodePacket(buf);
    expect(r.ok && r.packet.op === Opcode.RRQ && [r.packet.filename, r.packet.options.get("windowsize")]).toEqual(["undionly.kpxe", "4"]);
  });
});
