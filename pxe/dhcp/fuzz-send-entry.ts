/**
 * Sends the fuzz corpus at a DHCP server from inside a lab namespace:
 *   node --import tsx pxe/dhcp/fuzz-send-entry.ts <address> <port> <count> [seed]
 * Paced in bursts so the kernel's socket buffers do not discard what the
 * test wants the server to see; prints `sent N` when done.
 */
import dgram from "node:dgram";
import { setTimeout as sleep } from "node:timers/promises";
import { fuzzCorpus } from "./fuzz-corpus.js";

const [address = "", port = "67", count = "100000", seed = "1"] = process.argv.slice(2);
const sock = dgram.createSocket("udp4");
sock.bind(0, () => {
  sock.setBroadcast(true);
  void (async () => {
    let sent = 0;
    let inBurst = 0;
    for (const { bytes } of fuzzCorpus(Number(count), Number(seed))) {
      await new Promise<void>((resolve) => sock.send(bytes, Number(port), address, () => resolve()));
      sent++;
      if (++inBurst === 100) {
        inBurst = 0;
        await sleep(4);
      }
    }
    process.stdout.write(`sent ${sent}\n`);
    sock.close();
  })();
});
