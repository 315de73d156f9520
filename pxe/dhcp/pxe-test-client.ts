/**
 * A minimal PXE client for tests, run inside a lab namespace:
 *   node --import tsx pxe/dhcp/pxe-test-client.ts '<json>'
 * `{"step":"dora", ...}` broadcasts a PXE DISCOVER (options 60, 93, 94, 97),
 * collects every OFFER for `waitMs`, REQUESTs the one that carries an address
 * and prints `{offers, ack}` as JSON. `{"step":"boot", "server", "ciaddr"}`
 * sends the PXE boot-server REQUEST to `server`:4011 (PXE spec 2.1 §2.2.1)
 * and prints `{ack}`. Exit code 0 when the step got its answer, 2 otherwise.
 */
import dgram from "node:dgram";
import { decodeDhcp, messageTypeOf } from "./decode.js";
import { encodeDhcp } from "./encode.js";
import { readIpv4 } from "./ipv4.js";
import { MessageType, Opt } from "./options.js";
import type { DhcpPacket } from "./packet.js";
import { buildRequest, type RequestSpec } from "./request-builder.js";

interface Args {
  readonly step: "dora" | "boot";
  readonly mac: string;
  readonly arch?: number;
  readonly userClass?: string;
  readonly uuid?: string;
  readonly server?: string;
  readonly ciaddr?: string;
  /** @default 2500 */
  readonly waitMs?: number;
}

export interface SeenReply {
  readonly type: number;
  readonly serverId: string;
  readonly yiaddr: string;
  readonly siaddr: string;
  readonly file: string;
  readonly vendorClass: string;
  readonly pxeOptions: string;
  readonly uuid: string;
  readonly leaseSeconds: number | undefined;
  readonly from: string;
}

function summarize(p: DhcpPacket, from: string): SeenReply {
  const sid = p.options.get(Opt.ServerId);
  return {
    type: messageTypeOf(p),
    serverId: sid ? readIpv4(sid, 0) : "",
    yiaddr: p.yiaddr,
    siaddr: p.siaddr,
    file: p.file,
    vendorClass: p.options.get(Opt.VendorClassId)?.toString("latin1") ?? "",
    pxeOptions: p.options.get(Opt.VendorSpecific)?.toString("hex") ?? "",
    uuid: p.options.get(Opt.ClientUuid)?.toString("hex") ?? "",
    leaseSeconds: p.options.get(Opt.LeaseTime)?.readUInt32BE(0),
    from,
  };
}

async function main(): Promise<number> {
  const a = JSON.parse(process.argv[2] ?? "{}") as Args;
  const xid = Math.floor(Math.random() * 0xffffffff);
  const arch = a.arch ?? 0;
  const common: Omit<RequestSpec, "type"> = {
    mac: a.mac,
    xid,
    broadcast: true,
    vendorClass: `PXEClient:Arch:${String(arch).padStart(5, "0")}:UNDI:002001`,
    arch,
    ndi: [1, 2, 1],
    uuid: a.uuid ? Buffer.from(a.uuid, "hex") : Buffer.alloc(16, 0x11),
    userClass: a.userClass,
    paramRequest: [1, 3, 6, 43, 60, 66, 67, 97, 175],
  };
  const sock = dgram.createSocket({ type: "udp4", reuseAddr: true });
  await new Promise<void>((resolve) => sock.bind(68, "0.0.0.0", resolve));
  sock.setBroadcast(true);
  const seen: SeenReply[] = [];
  const waiters: ((r: SeenReply) => void)[] = [];
  sock.on("message", (msg, rinfo) => {
    try {
      const p = decodeDhcp(msg);
      if (p.op !== 2 || p.xid !== xid) return;
      const r = summarize(p, `${rinfo.address}:${rinfo.port}`);
      seen.push(r);
      for (const w of waiters) w(r);
    } catch {
      /* not ours */
    }
  });
  const waitFor = (pred: (r: SeenReply) => boolean, ms: number): Promise<SeenReply | undefined> =>
    new Promise((resolve) => {
      const hit = seen.find(pred);
      if (hit) return resolve(hit);
      const t = setTimeout(() => resolve(undefined), ms);
      waiters.push((r) => {
        if (pred(r)) {
          clearTimeout(t);
          resolve(r);
        }
      });
    });
  const send = (spec: RequestSpec, to: string, port: number): Promise<void> =>
    new Promise((resolve, reject) => sock.send(encodeDhcp(buildRequest(spec)), port, to, (err) => (err ? reject(err) : resolve())));

  try {
    if (a.step === "dora") {
      await send({ ...common, type: MessageType.Discover }, "255.255.255.255", 67);
      await new Promise((r) => setTimeout(r, a.waitMs ?? 2500));
      const offers = seen.filter((r) => r.type === MessageType.Offer);
      const lease = offers.find((o) => o.yiaddr !== "0.0.0.0");
      let ack: SeenReply | undefined;
      if (lease) {
        await send({ ...common, type: MessageType.Request, serverId: lease.serverId, requestedIp: lease.yiaddr }, "255.255.255.255", 67);
        ack = await waitFor((r) => r.type === MessageType.Ack && r.serverId === lease.serverId, 3000);
      }
      process.stdout.write(`${JSON.stringify({ offers, ack })}\n`);
      return ack ? 0 : 2;
    }
    await send({ ...common, type: MessageType.Request, ciaddr: a.ciaddr, broadcast: false }, a.server!, 4011);
    const ack = await waitFor((r) => r.type === MessageType.Ack, a.waitMs ?? 2500);
    process.stdout.write(`${JSON.stringify({ ack })}\n`);
    return ack ? 0 : 2;
  } finally {
    sock.close();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`pxe-test-client: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
