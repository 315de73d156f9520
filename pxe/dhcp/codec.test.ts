import { describe, expect, it } from "vitest";
import { decodeDhcp } from "./decode.js";
import { DEFAULT_MAX_MESSAGE, encodeDhcp, replyLimit } from "./encode.js";
import { DhcpDecodeError } from "./errors.js";
import { MessageType, Opt } from "./options.js";
import { BOOTREPLY, FILE_OFFSET, SNAME_OFFSET, type DhcpMessage } from "./packet.js";
import { buildRequest } from "./request-builder.js";

/** A DISCOVER written out byte by byte from RFC 2131 §2 Figure 1, not by our encoder. */
function handMadeDiscover(options: string): Buffer {
  const b = Buffer.alloc(240);
  b.set([1, 1, 6, 0], 0); // op BOOTREQUEST, htype Ethernet, hlen 6, hops
  b.writeUInt32BE(0xdeadbeef, 4); // xid
  b.writeUInt16BE(3, 8); // secs
  b.writeUInt16BE(0x8000, 10); // flags: broadcast
  b.set([10, 0, 0, 7], 24); // giaddr
  b.set([0x52, 0x54, 0x00, 0x12, 0x34, 0x56], 28); // chaddr
  b.write("pxe-server", 44, "latin1"); // sname
  b.write("boot/file", 108, "latin1"); // file
  b.writeUInt32BE(0x63825363, 236); // magic cookie
  return Buffer.concat([b, Buffer.from(options.replace(/\s+/g, ""), "hex")]);
}

describe("decodeDhcp", () => {
  it("reads every header field and option of a hand-made PXE DISCOVER", () => {
    const p = decodeDhcp(
      handMadeDiscover(`
        350101
        3c20 505845436c69656e743a417263683a30303030303a554e44493a303032303031
        5d020000
        5e03010201
        ff`),
    );
    expect(p).toMatchObject({
      op: 1,
      htype: 1,
      hlen: 6,
      xid: 0xdeadbeef,
      secs: 3,
      flags: 0x8000,
      ciaddr: "0.0.0.0",
      giaddr: "10.0.0.7",
      sname: "pxe-server",
      file: "boot/file",
    });
    expect(p.chaddr.toString("hex")).toBe("525400123456");
    expect(p.options.get(Opt.MessageType)).toEqual(Buffer.from([1]));
    expect(p.options.get(Opt.VendorClassId)?.toString()).toBe("PXEClient:Arch:00000:UNDI:002001");
    expect(p.options.get(Opt.ClientArch)).toEqual(Buffer.from([0, 0]));
    expect(p.options.get(Opt.ClientNdi)).toEqual(Buffer.from([1, 2, 1]));
  });

  it("skips pad options and concatenates repeated options in order (RFC 3396)", () => {
    const p = decodeDhcp(handMadeDiscover("00 350101 00 0c03616263 0c03646566 ff"));
    expect(p.options.get(Opt.Hostname)?.toString()).toBe("abcdef");
  });

  it("reads options from file then sname when option 52 says both are overloaded (RFC 2132 §9.3)", () => {
    const b = handMadeDiscover("350101 340103 0c0161 ff");
    b.fill(0, SNAME_OFFSET, FILE_OFFSET + 128);
    b.set([0x0c, 0x01, 0x62, 0xff], FILE_OFFSET);
    b.set([0x0c, 0x01, 0x63, 0x0f, 0x02, 0x78, 0x79, 0xff], SNAME_OFFSET);
    const p = decodeDhcp(b);
    expect(p.options.get(Opt.Hostname)?.toString()).toBe("abc");
    expect(p.options.get(15)?.toString()).toBe("xy");
    expect(p.sname).toBe("");
    expect(p.file).toBe("");
  });

  const valid = handMadeDiscover("350101 ff");
  const withOpts = (hex: string): Buffer => handMadeDiscover(hex);
  const mutate = (f: (b: Buffer) => void): Buffer => {
    const b = Buffer.from(valid);
    f(b);
    return b;
  };
  it.each<[string, Buffer, string]>([
    ["an empty datagram", Buffer.alloc(0), "DHCP_TOO_SHORT"],
    ["a datagram cut inside the header", valid.subarray(0, 100), "DHCP_TOO_SHORT"],
    ["a datagram that ends at the cookie", valid.subarray(0, 240), "DHCP_TOO_SHORT"],
    ["op 3", mutate((b) => (b[0] = 3)), "DHCP_BAD_OP"],
    ["hlen 17", mutate((b) => (b[2] = 17)), "DHCP_BAD_HLEN"],
    ["a BOOTP vendor cookie", mutate((b) => b.writeUInt32BE(0x01020304, 236)), "DHCP_BAD_COOKIE"],
    ["an option whose length runs past the end", withOpts("350101 0c20 6162"), "DHCP_TRUNCATED_OPTION"],
    ["an option code with no length octet", withOpts("350101 0c"), "DHCP_TRUNCATED_OPTION"],
    ["options without an end option", withOpts("350101 0c0161"), "DHCP_MISSING_END"],
    ["overload value 4", withOpts("350101 340104 ff"), "DHCP_BAD_OVERLOAD"],
    ["two overload options", withOpts("350101 340101 340101 ff"), "DHCP_BAD_OVERLOAD"],
    ["an overload option inside the overloaded file (a loop)", (() => {
      const b = withOpts("350101 340101 ff");
      b.fill(0, FILE_OFFSET, FILE_OFFSET + 128);
      b.set([0x34, 0x01, 0x03, 0xff], FILE_OFFSET);
      return b;
    })(), "DHCP_BAD_OVERLOAD"],
    ["no message type (BOOTP)", withOpts("0c0161 ff"), "DHCP_NO_MESSAGE_TYPE"],
    ["message type 9", withOpts("350109 ff"), "DHCP_NO_MESSAGE_TYPE"],
    ["message type sent twice", withOpts("350101 350101 ff"), "DHCP_BAD_OPTION_LENGTH"],
    ["a 3-octet requested address", withOpts("350101 3203010203 ff"), "DHCP_BAD_OPTION_LENGTH"],
    ["an odd-length client architecture", withOpts("350101 5d03000000 ff"), "DHCP_BAD_OPTION_LENGTH"],
    ["a 16-octet client UUID", withOpts(`350101 6110${"00".repeat(16)} ff`), "DHCP_BAD_OPTION_LENGTH"],
    ["a 1-octet client identifier", withOpts("350101 3d0101 ff"), "DHCP_BAD_OPTION_LENGTH"],
  ])("rejects %s", (_what, bytes, code) => {
    expect(() => decodeDhcp(bytes)).toThrow(DhcpDecodeError);
    try {
      decodeDhcp(bytes);
    } catch (err) {
      expect((err as DhcpDecodeError).code).toBe(code);
    }
  });
});

function reply(options: Map<number, Buffer>, file = ""): DhcpMessage {
  const m = buildRequest({ type: MessageType.Discover, mac: "52:54:00:aa:bb:cc" });
  return { ...m, op: BOOTREPLY, yiaddr: "10.0.0.9", siaddr: "10.0.0.1", file, options };
}

describe("encodeDhcp", () => {
  it("round-trips a PXE request built with every netboot option", () => {
    const req = buildRequest({
      type: MessageType.Request,
      mac: "52:54:00:aa:bb:cc",
      xid: 42,
      broadcast: true,
      requestedIp: "10.0.0.9",
      serverId: "10.0.0.1",
      vendorClass: "PXEClient:Arch:00007:UNDI:003016",
      arch: 7,
      ndi: [1, 3, 16],
      uuid: Buffer.alloc(16, 0xab),
      userClass: "iPXE",
      ipxeFeatures: true,
      clientId: Buffer.from("01525400aabbcc", "hex"),
      paramRequest: [1, 3, 6, 66, 67, 175],
      maxMessageSize: 1472,
    });
    const p = decodeDhcp(encodeDhcp(req));
    expect({ ...p, options: undefined }).toEqual({ ...req, options: undefined });
    expect([...p.options.entries()]).toEqual([...req.options.entries()]);
  });

  it("writes the header fields at their RFC 2131 offsets and pads to 300 octets (RFC 1542 §2.1)", () => {
    const bytes = encodeDhcp(reply(new Map([[Opt.MessageType, Buffer.from([2])]]), "undionly.kpxe"));
    expect(bytes.length).toBe(300);
    expect(bytes[0]).toBe(2);
    expect(bytes.subarray(16, 20)).toEqual(Buffer.from([10, 0, 0, 9]));
    expect(bytes.subarray(20, 24)).toEqual(Buffer.from([10, 0, 0, 1]));
    expect(bytes.subarray(FILE_OFFSET, FILE_OFFSET + 14).toString("latin1")).toBe("undionly.kpxe\0");
    expect(bytes.readUInt32BE(236)).toBe(0x63825363);
    expect([...bytes.subarray(240, 244)]).toEqual([53, 1, 2, 255]);
  });

  it("splits an option longer than 255 octets into consecutive instances (RFC 3396)", () => {
    const long = Buffer.alloc(300, 0x41);
    const bytes = encodeDhcp(reply(new Map([[Opt.MessageType, Buffer.from([2])], [Opt.Hostname, long]])), 1000);
    expect(bytes[243]).toBe(Opt.Hostname);
    expect(bytes[244]).toBe(255);
    expect(bytes[244 + 256]).toBe(Opt.Hostname);
    expect(bytes[244 + 257]).toBe(45);
    expect(decodeDhcp(Buffer.from(bytes).fill(1, 0, 1)).options.get(Opt.Hostname)).toEqual(long);
  });

  it.each<[string, string, number]>([
    ["both sname and file when neither is used", "", 3],
    ["only sname when file carries the boot file", "undionly.kpxe", 2],
  ])("overloads %s once the options field is full (RFC 2132 §9.3)", (_what, file, overload) => {
    const opts = new Map<number, Buffer>([[Opt.MessageType, Buffer.from([2])]]);
    for (let code = 200; code < 225; code++) opts.set(code, Buffer.alloc(12, code));
    const bytes = encodeDhcp(reply(opts, file));
    expect(bytes.length).toBeLessThanOrEqual(DEFAULT_MAX_MESSAGE);
    expect([...bytes.subarray(240, 243)]).toEqual([Opt.Overload, 1, overload]);
    const back = decodeDhcp(Buffer.from(bytes).fill(1, 0, 1));
    for (let code = 200; code < 225; code++) expect(back.options.get(code)).toEqual(Buffer.alloc(12, code));
    expect(back.file).toBe(file);
  });

  it("refuses a reply too large even with overload", () => {
    const opts = new Map<number, Buffer>([[Opt.MessageType, Buffer.from([2])], [200, Buffer.alloc(2000)]]);
    expect(() => encodeDhcp(reply(opts))).toThrow(expect.objectContaining({ code: "DHCP_REPLY_TOO_LARGE" }));
  });

  it("refuses a boot file name that does not fit the 128-octet file field", () => {
    expect(() => encodeDhcp(reply(new Map(), "x".repeat(128)))).toThrow(expect.objectContaining({ code: "DHCP_BAD_FIELD" }));
  });
});

describe("replyLimit", () => {
  const u16 = (n: number): Buffer => Buffer.from([n >> 8, n & 0xff]);
  it.each<[number, string, Buffer | undefined]>([
    [548, "no option 57", undefined],
    [548, "a 576 option 57 (RFC 2132 §9.10 minimum)", u16(576)],
    [1472, "a 1500 option 57", u16(1500)],
    [548, "an option 57 below the minimum", u16(300)],
    [1472, "an option 57 above the Ethernet MTU", u16(9000)],
  ])("limits replies to %i octets for %s", (limit, _what, opt) => {
    expect(replyLimit(opt)).toBe(limit);
  });
});
