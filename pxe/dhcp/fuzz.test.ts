import { describe, expect, it } from "vitest";
import type { BootBackend } from "../boot-backend.js";
import { resolveConfig } from "./config.js";
import { decodeDhcp } from "./decode.js";
import { encodeDhcp } from "./encode.js";
import { DhcpDecodeError, DhcpEncodeError } from "./errors.js";
import { FUZZ_KINDS, FUZZ_MAC, fuzzCorpus, type FuzzKind } from "./fuzz-corpus.js";
import type { DhcpHandler } from "./handler.js";
import { LeaseStore } from "./lease-store.js";
import { ProxyHandler } from "./proxy-handler.js";
import { ReservationHandler } from "./reservation-handler.js";

// The fuzz MAC is known here, so datagrams that survive decoding reach the lease and boot logic too.
const backend: BootBackend = {
  byMac: (mac) => Promise.resolve(mac === FUZZ_MAC ? { mac, hostName: "fuzz", action: { kind: "local-disk" } } : undefined),
};
const base = { serverAddress: "10.0.0.1", subnets: [{ cidr: "10.0.0.0/24", pool: { start: "10.0.0.10", end: "10.0.0.250" } }] };

describe("the DHCP pipeline under a hostile corpus", () => {
  it("decodes 10,000 corpus datagrams into a packet or a typed DhcpDecodeError, never anything else", () => {
    const perKind = new Map<FuzzKind, { ok: number; bad: number }>();
    for (const { kind, bytes } of fuzzCorpus(10_000, 7)) {
      const c = perKind.get(kind) ?? { ok: 0, bad: 0 };
      try {
        decodeDhcp(bytes);
        c.ok++;
      } catch (err) {
        expect(err).toBeInstanceOf(DhcpDecodeError);
        c.bad++;
      }
      perKind.set(kind, c);
    }
    expect([...perKind.keys()].sort()).toEqual([...FUZZ_KINDS].sort());
    for (const k of ["truncated", "bad-cookie", "overlong-option", "overload-loop", "bad-header", "bad-option-lengths"] as const) {
      expect(perKind.get(k)!.ok, k).toBe(0);
    }
  });

  it.each<[string, () => Promise<DhcpHandler>]>([
    ["reservation", async () => new ReservationHandler(resolveConfig({ ...base, mode: "reservation" }), backend, await LeaseStore.open(undefined))],
    ["proxy", () => Promise.resolve(new ProxyHandler(resolveConfig({ ...base, mode: "proxy" }), backend))],
  ])("takes every decodable corpus datagram through the %s handler and encoder without an untyped error", async (_mode, make) => {
    const h = await make();
    let handled = 0;
    for (const { bytes } of fuzzCorpus(10_000, 11)) {
      let p;
      try {
        p = decodeDhcp(bytes);
      } catch {
        continue;
      }
      for (const localPort of [67, 4011]) {
        const out = await h.handle(p, { localPort, from: { address: "10.0.0.9", port: 68 }, now: 1_700_000_000_000 });
        handled++;
        if (out.kind === "reply") {
          try {
            encodeDhcp(out.message);
          } catch (err) {
            expect(err).toBeInstanceOf(DhcpEncodeError);
          }
        }
      }
    }
    expect(handled).toBeGreaterThan(500);
  });
});
