/**
 * A deterministic corpus of hostile DHCP datagrams for robustness tests:
 * random bytes, truncations, bad cookies, overlong and looping options, bit
 * flips of a valid PXE DISCOVER. Same seed, same corpus.
 */
import { encodeDhcp } from "./encode.js";
import { MessageType, Opt } from "./options.js";
import { FILE_OFFSET, OPTIONS_OFFSET, SNAME_OFFSET } from "./packet.js";
import { buildRequest } from "./request-builder.js";

/** mulberry32: a tiny seeded PRNG, enough to make a corpus reproducible. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const FUZZ_KINDS = [
  "random-bytes",
  "truncated",
  "bad-cookie",
  "overlong-option",
  "overload-loop",
  "option-soup",
  "bit-flips",
  "giant-options",
  "bad-header",
  "bad-option-lengths",
] as const;
export type FuzzKind = (typeof FUZZ_KINDS)[number];

/** The MAC every corpus datagram that parses claims; keep it out of the hosts file. */
export const FUZZ_MAC = "02:fe:00:00:00:01";

export function* fuzzCorpus(count: number, seed = 1): Generator<{ kind: FuzzKind; bytes: Buffer }> {
  const rnd = prng(seed);
  const int = (n: number): number => Math.floor(rnd() * n);
  const bytes = (n: number): Buffer => {
    const b = Buffer.allocUnsafe(n);
    for (let k = 0; k < n; k++) b[k] = int(256);
    return b;
  };
  const valid = encodeDhcp(
    buildRequest({ type: MessageType.Discover, mac: FUZZ_MAC, vendorClass: "PXEClient:Arch:00000:UNDI:002001", arch: 0, ndi: [1, 2, 1], uuid: Buffer.alloc(16, 1), userClass: "iPXE", ipxeFeatures: true }),
  );
  const header = (): Buffer => Buffer.from(valid.subarray(0, OPTIONS_OFFSET));
  for (let i = 0; i < count; i++) {
    const kind = FUZZ_KINDS[i % FUZZ_KINDS.length]!;
    let b: Buffer;
    switch (kind) {
      case "random-bytes":
        b = bytes(int(1500));
        break;
      case "truncated":
        b = Buffer.from(valid.subarray(0, int(valid.length)));
        break;
      case "bad-cookie":
        b = Buffer.from(valid);
        b.writeUInt32BE((b.readUInt32BE(236) ^ (1 + int(0xfffffffe))) >>> 0, 236);
        break;
      case "overlong-option":
        b = Buffer.concat([header(), Buffer.from([Opt.MessageType, 1, 1, 1 + int(254), 200 + int(56)]), bytes(int(50))]);
        break;
      case "overload-loop": {
        b = Buffer.concat([header(), Buffer.from([Opt.MessageType, 1, 1, Opt.Overload, 1, int(5), Opt.End])]);
        b.fill(0, SNAME_OFFSET, FILE_OFFSET + 128);
        // The overloaded fields point back at themselves, or run past their end.
        b.set([Opt.Overload, 1, 3, Opt.End], FILE_OFFSET);
        b.set([Opt.Overload, 1, 1 + int(3)], SNAME_OFFSET);
        if (int(2) === 0) b.set([12, 200], SNAME_OFFSET + 3);
        break;
      }
      case "option-soup": {
        const parts: number[] = [Opt.MessageType, 1, 1 + int(8)];
        const n = int(40);
        for (let k = 0; k < n; k++) {
          const len = int(20);
          parts.push(int(256), len, ...bytes(len));
        }
        if (int(2) === 0) parts.push(Opt.End);
        b = Buffer.concat([header(), Buffer.from(parts)]);
        break;
      }
      case "bit-flips": {
        b = Buffer.from(valid);
        const flips = 1 + int(8);
        for (let k = 0; k < flips; k++) {
          const at = int(b.length);
          b[at] = b[at]! ^ (1 << int(8));
        }
        break;
      }
      case "giant-options": {
        const parts: Buffer[] = [header(), Buffer.from([Opt.MessageType, 1, 1])];
        for (let k = 0; k < 5; k++) parts.push(Buffer.from([Opt.Hostname, 255]), bytes(255));
        parts.push(Buffer.from([Opt.End]));
        b = Buffer.concat(parts);
        break;
      }
      case "bad-header":
        b = Buffer.from(valid);
        // op outside 1-2 or hlen beyond the 16-octet chaddr field.
        b[int(2) * 2] = 17 + int(239);
        break;
      case "bad-option-lengths": {
        const code = [Opt.RequestedIp, Opt.ServerId, Opt.MaxMessageSize, Opt.ClientArch, Opt.ClientUuid, Opt.ClientNdi, Opt.ClientId, Opt.MessageType][int(8)]!;
        // Lengths each option's RFC forbids: 93 needs an even length, 61 at least 2, the rest a fixed one.
        let len = int(2) === 0 ? 1 : 5 + int(10);
        if (code === Opt.ClientArch) len |= 1;
        if (code === Opt.ClientId) len = 1;
        b = Buffer.concat([header(), Buffer.from([Opt.MessageType, 1, 1, code, len]), bytes(len), Buffer.from([Opt.End])]);
        break;
      }
    }
    yield { kind, bytes: b };
  }
}
