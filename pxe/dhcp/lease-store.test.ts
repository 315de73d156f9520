import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseIpv4 } from "./ipv4.js";
import { DECLINE_HOLD_MS, LeaseStore } from "./lease-store.js";

const pool = { start: parseIpv4("10.0.0.10")!, end: parseIpv4("10.0.0.12")! };
const NOW = 1_700_000_000_000;
const mac = (i: number): string => `52:54:00:00:00:${i.toString(16).padStart(2, "0")}`;

describe("LeaseStore", () => {
  let dir = "";
  let file = "";
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), "anvil-leases-"));
    file = path.join(dir, "leases.json");
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("gives a MAC its bound address again after the store is reopened", async () => {
    const a = await LeaseStore.open(file);
    const ip = a.pick(mac(1), pool, NOW)!;
    await a.bind(mac(1), ip, NOW + 60_000);
    const other = a.pick(mac(2), pool, NOW)!;
    await a.bind(mac(2), other, NOW + 60_000);
    const b = await LeaseStore.open(file);
    expect(b.pick(mac(2), pool, NOW)).toBe(other);
    expect(b.pick(mac(1), pool, NOW)).toBe(ip);
    expect(b.pick(mac(3), pool, NOW)).toBe(parseIpv4("10.0.0.12"));
  });

  it("keeps an expired binding for its MAC while free addresses remain, then reclaims the oldest", async () => {
    const s = await LeaseStore.open(undefined);
    await s.bind(mac(1), pool.start, NOW - 2000);
    await s.bind(mac(2), pool.start + 1, NOW - 1000);
    expect(s.pick(mac(1), pool, NOW)).toBe(pool.start);
    expect(s.pick(mac(3), pool, NOW)).toBe(pool.end);
    await s.bind(mac(3), pool.end, NOW + 1000);
    expect(s.pick(mac(4), pool, NOW)).toBe(pool.start);
    expect(s.lookup(mac(1))).toBeUndefined();
  });

  it("prefers the address a client asks for when it is free (RFC 2131 §4.3.1)", async () => {
    const s = await LeaseStore.open(undefined);
    expect(s.pick(mac(1), pool, NOW, pool.end)).toBe(pool.end);
    s.offer(mac(2), pool.start, NOW);
    expect(s.pick(mac(1), pool, NOW, pool.start)).toBe(pool.start + 1);
  });

  it("never persists bare offers", async () => {
    const s = await LeaseStore.open(file);
    s.offer(mac(1), pool.start, NOW);
    await s.bind(mac(2), pool.start + 1, NOW + 1);
    const saved = readFileSync(file, "utf8");
    expect(saved).toContain(mac(2));
    expect(saved).not.toContain(mac(1));
  });

  it("keeps a declined address out of the pool for the hold time", async () => {
    const s = await LeaseStore.open(undefined);
    await s.decline(mac(1), pool.start, NOW);
    expect(s.pick(mac(2), pool, NOW)).toBe(pool.start + 1);
    const later = await LeaseStore.open(undefined);
    await later.decline(mac(1), pool.start, NOW);
    expect(later.pick(mac(2), { start: pool.start, end: pool.start }, NOW + DECLINE_HOLD_MS + 1)).toBe(pool.start);
  });

  it("group-commits 200 concurrent bindings into far fewer atomic writes, leaving no temporary file", async () => {
    const s = await LeaseStore.open(file);
    const big = { start: parseIpv4("10.1.0.0")!, end: parseIpv4("10.1.0.255")! };
    await Promise.all(Array.from({ length: 200 }, (_, i) => s.bind(mac(i), s.pick(mac(i), big, NOW)!, NOW + 1000)));
    expect(s.writes).toBeGreaterThan(0);
    expect(s.writes).toBeLessThan(20);
    expect(readdirSync(dir)).toEqual(["leases.json"]);
    const saved = JSON.parse(readFileSync(file, "utf8")) as { leases: unknown[] };
    expect(saved.leases).toHaveLength(200);
  });

  it("refuses to start from a corrupt lease file rather than hand out addresses twice", async () => {
    writeFileSync(file, "{not json");
    await expect(LeaseStore.open(file)).rejects.toThrow();
  });
});
