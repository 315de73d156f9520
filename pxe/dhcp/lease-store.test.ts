import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
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
    const saved = readFileSync(file, "utf8") + readFileSync(`${file}.journal`, "utf8");
    expect(saved).toContain(mac(2));
    expect(saved).not.toContain(mac(1));
    const r = await LeaseStore.open(file);
    expect(r.lookup(mac(1))).toBeUndefined();
  });

  it("keeps a declined address out of the pool for the hold time", async () => {
    const s = await LeaseStore.open(undefined);
    await s.decline(mac(1), pool.start, NOW);
    expect(s.pick(mac(2), pool, NOW)).toBe(pool.start + 1);
    const later = await LeaseStore.open(undefined);
    await later.decline(mac(1), pool.start, NOW);
    expect(later.pick(mac(2), { start: pool.start, end: pool.start }, NOW + DECLINE_HOLD_MS + 1)).toBe(pool.start);
  });

  it("group-commits 200 concurrent bindings into far fewer commits, leaving no temporary file", async () => {
    const s = await LeaseStore.open(file);
    const big = { start: parseIpv4("10.1.0.0")!, end: parseIpv4("10.1.0.255")! };
    const before = s.writes;
    await Promise.all(Array.from({ length: 200 }, (_, i) => s.bind(mac(i), s.pick(mac(i), big, NOW)!, NOW + 1000)));
    expect(s.writes - before).toBeGreaterThan(0);
    expect(s.writes - before).toBeLessThan(20);
    expect(readdirSync(dir).sort()).toEqual(["leases.json", "leases.json.journal"]);
    const reopened = await LeaseStore.open(file);
    expect(Array.from({ length: 200 }, (_, i) => reopened.lookup(mac(i))?.state)).toEqual(Array(200).fill("bound"));
  });

  it("folds a long journal into the snapshot and keeps every binding", async () => {
    const s = await LeaseStore.open(file, { compactAfter: 10 });
    const big = { start: parseIpv4("10.1.0.0")!, end: parseIpv4("10.1.0.255")! };
    for (let i = 0; i < 35; i++) await s.bind(mac(i), s.pick(mac(i), big, NOW)!, NOW + 1000);
    expect(readFileSync(`${file}.journal`, "utf8").trim().split("\n").length).toBeLessThanOrEqual(11);
    const saved = JSON.parse(readFileSync(file, "utf8")) as { leases: unknown[] };
    expect(saved.leases.length).toBeGreaterThanOrEqual(25);
    const reopened = await LeaseStore.open(file);
    expect(Array.from({ length: 35 }, (_, i) => reopened.lookup(mac(i))?.ip)).toEqual(Array.from({ length: 35 }, (_, i) => big.start + i));
  });

  it("replays released bindings and reclaimed addresses from the journal", async () => {
    const s = await LeaseStore.open(file);
    await s.bind(mac(1), pool.start, NOW - 1000);
    await s.bind(mac(2), pool.start + 1, NOW + 60_000);
    await s.release(mac(2), NOW);
    await s.bind(mac(3), pool.end, NOW + 60_000);
    // The pool is full: mac 4 takes mac 1's expired address, and mac 1's binding goes with it.
    const taken = s.pick(mac(4), { start: pool.start, end: pool.start }, NOW)!;
    await s.bind(mac(4), taken, NOW + 60_000);
    const r = await LeaseStore.open(file);
    expect(r.lookup(mac(1))).toBeUndefined();
    expect(r.lookup(mac(2))?.state).toBe("released");
    expect(r.lookup(mac(4))?.ip).toBe(pool.start);
    expect(r.ownerOf(pool.start)).toBe(mac(4));
  });

  it("ignores a torn last journal line (a crash mid-append, never acknowledged) but not a bad line before it", async () => {
    const s = await LeaseStore.open(file);
    await s.bind(mac(1), pool.start, NOW + 60_000);
    appendFileSync(`${file}.journal`, '{"m":"52:54:00:00:00:02","i":"10.0');
    const r = await LeaseStore.open(file);
    expect(r.lookup(mac(1))?.ip).toBe(pool.start);
    expect(r.lookup(mac(2))).toBeUndefined();
    await r.close();
    appendFileSync(`${file}.journal`, 'garbage\n{"m":"52:54:00:00:00:03","d":1}\n');
    await expect(LeaseStore.open(file)).rejects.toMatchObject({ code: "DHCP_LEASE_FILE_CORRUPT" });
  });

  it("ignores a journal older than the snapshot (a crash between the snapshot's rename and the journal's reset)", async () => {
    const s = await LeaseStore.open(file);
    await s.bind(mac(1), pool.start, NOW + 60_000);
    await s.close();
    const stale = readFileSync(`${file}.journal`, "utf8");
    const again = await LeaseStore.open(file);
    await again.release(mac(1), NOW);
    await again.close();
    // Reopening wrote a newer snapshot; put the previous generation's journal back beside it.
    const reopened = await LeaseStore.open(file);
    await reopened.close();
    writeFileSync(`${file}.journal`, stale);
    const r = await LeaseStore.open(file);
    expect(r.lookup(mac(1))?.state).toBe("released");
  });

  it("starts from the snapshot when the crash tore the new journal's header", async () => {
    const s = await LeaseStore.open(file);
    await s.bind(mac(1), pool.start, NOW + 60_000);
    await s.close();
    await (await LeaseStore.open(file)).close();
    writeFileSync(`${file}.journal`, '{"genera');
    const r = await LeaseStore.open(file);
    expect(r.lookup(mac(1))?.ip).toBe(pool.start);
  });

  it("reads the version-1 lease file of earlier releases", async () => {
    writeFileSync(file, JSON.stringify({ version: 1, leases: [{ mac: mac(1), ip: "10.0.0.11", state: "bound", expiresAt: NOW + 1000 }] }));
    const r = await LeaseStore.open(file);
    expect(r.lookup(mac(1))?.ip).toBe(parseIpv4("10.0.0.11"));
  });

  it("refuses to start from a corrupt lease file rather than hand out addresses twice", async () => {
    writeFileSync(file, "{not json");
    await expect(LeaseStore.open(file)).rejects.toThrow();
  });
});
