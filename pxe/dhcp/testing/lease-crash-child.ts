/**
 * Child process of lease-store-crash.test.ts: binds pool addresses to new
 * MACs as fast as it can, `CONCURRENCY` at a time, and prints `mac ip` for
 * each bind only after its promise resolved — exactly when the DHCP server
 * would send the ACK. The test kills it with SIGKILL at a random moment.
 *
 *   tsx lease-crash-child.ts <lease file> <compactAfter>
 */
import { parseIpv4 } from "../ipv4.js";
import { LeaseStore } from "../lease-store.js";

const [file, compactAfter] = process.argv.slice(2);
if (!file) throw new Error("usage: lease-crash-child.ts <lease file> <compactAfter>");
const CONCURRENCY = 16;
const pool = { start: parseIpv4("10.2.0.0")!, end: parseIpv4("10.2.255.255")! };
const store = await LeaseStore.open(file, { compactAfter: Number(compactAfter ?? 20_000) });
process.stdout.write("ready\n");
let n = 0;
const worker = async (): Promise<void> => {
  for (;;) {
    const i = n++;
    const mac = `02:cc:00:${((i >> 16) & 255).toString(16).padStart(2, "0")}:${((i >> 8) & 255).toString(16).padStart(2, "0")}:${(i & 255).toString(16).padStart(2, "0")}`;
    const ip = store.pick(mac, pool, Date.now());
    if (ip === undefined) return;
    await store.bind(mac, ip, Date.now() + 3_600_000);
    // Pipes are written synchronously on Linux: once this returns, the parent can read it.
    process.stdout.write(`${mac} ${ip}\n`);
  }
};
await Promise.all(Array.from({ length: CONCURRENCY }, worker));
