/**
 * Authentication and TLS against sushy-tools: htpasswd (bcrypt) Basic auth,
 * a TLS certificate from a test CA trusted three ways (not at all, through
 * `insecure`, through the CA bundle), and no password in any error.
 */
import { inspect } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSushyTools, type SushyTools } from "../../e2e/framework/sushy-tools.js";
import { BmcAccessQueue } from "../access-queue.js";
import { BmcErrorCode, isBmcError } from "../errors.js";
import { connectBmc } from "../index.js";
import type { BmcConnectOptions } from "../types.js";

const PASSWORD = "s3cret-Anvil-pw-7f3a";
const WRONG = "wrong-Anvil-pw-91c2";
const secrets = [PASSWORD, WRONG, Buffer.from(`admin:${PASSWORD}`).toString("base64"), Buffer.from(`admin:${WRONG}`).toString("base64")];
const queue = new BmcAccessQueue({ timeoutMs: 15_000, retry: { attempts: 3, baseDelayMs: 50 } });

let plainAuth: SushyTools;
let tlsAuth: SushyTools;

function expectNoSecret(err: unknown): void {
  const text = `${String(err)}\n${inspect(err, { depth: 10, showHidden: true })}\n${JSON.stringify(err)}`;
  for (const s of secrets) expect(text).not.toContain(s);
}

async function caught(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => {
      throw new Error("expected a failure");
    },
    (e: unknown) => e,
  );
}

function address(s: SushyTools, scheme: string): string {
  return `${scheme}://127.0.0.1:${s.port}${s.systems[0]!.path}`;
}

beforeAll(async () => {
  plainAuth = await startSushyTools({ systems: 1, auth: { username: "admin", password: PASSWORD } });
  tlsAuth = await startSushyTools({ systems: [{ powerState: "On" }], auth: { username: "admin", password: PASSWORD }, tls: true });
});

afterAll(async () => {
  try {
    await plainAuth?.stop();
  } finally {
    await tlsAuth?.stop();
  }
});

describe("Redfish auth and TLS against sushy-tools", () => {
  it("reads power with the right htpasswd credentials over HTTP", async () => {
    const bmc = await connectBmc({ address: address(plainAuth, "redfish+http"), credentials: { username: "admin", password: PASSWORD }, queue });
    expect(await bmc.power.getPower()).toBe("off");
  });

  it("sets and reads back a boot override through Basic auth", async () => {
    const bmc = await connectBmc({ address: address(plainAuth, "redfish+http"), credentials: { username: "admin", password: PASSWORD }, queue });
    await bmc.boot.setBootOverride({ device: "pxe", once: true });
    const doc = (await plainAuth.get(plainAuth.systems[0]!.path)) as { Boot?: { BootSourceOverrideTarget?: string } };
    expect(doc.Boot?.BootSourceOverrideTarget).toBe("Pxe");
  });

  it("fails fast with AuthFailed on a wrong password, and says nothing of it", async () => {
    const bmc = await connectBmc({ address: address(plainAuth, "redfish+http"), credentials: { username: "admin", password: WRONG }, queue });
    const started = Date.now();
    const err = await caught(bmc.power.getPower());
    expect(isBmcError(err, BmcErrorCode.AuthFailed)).toBe(true);
    expect(Date.now() - started).toBeLessThan(2_000);
    expectNoSecret(err);
  });

  it.each<[string, Partial<BmcConnectOptions>]>([
    ["disabled certificate verification", { insecure: true }],
    ["the test CA as bundle", {}],
  ])("talks HTTPS to a BMC whose certificate is trusted through %s", async (_how, tlsOpts) => {
    const caBundle = "insecure" in tlsOpts ? undefined : tlsAuth.caBundle;
    const bmc = await connectBmc({
      address: address(tlsAuth, "redfish"),
      credentials: { username: "admin", password: PASSWORD },
      queue,
      ...tlsOpts,
      ...(caBundle !== undefined ? { caBundle } : {}),
    });
    expect(await bmc.power.getPower()).toBe("on");
    const inv = await bmc.inventory!.getInventory();
    expect(inv.uuid).toBe(tlsAuth.systems[0]!.uuid);
    await bmc.close();
  });

  it.each(["redfish", "redfish+https", "idrac-redfish", "ilo5-virtualmedia"])(
    "refuses an untrusted certificate with TlsUntrusted for scheme %s, fast",
    async (scheme) => {
      const bmc = await connectBmc({ address: address(tlsAuth, scheme), credentials: { username: "admin", password: PASSWORD }, queue });
      const started = Date.now();
      const err = await caught(bmc.power.getPower());
      expect(isBmcError(err, BmcErrorCode.TlsUntrusted)).toBe(true);
      expect(Date.now() - started).toBeLessThan(2_000);
      expectNoSecret(err);
    },
  );

  it("fails with AuthFailed over HTTPS with a wrong password", async () => {
    const bmc = await connectBmc({
      address: address(tlsAuth, "redfish+https"),
      credentials: { username: "admin", password: WRONG },
      caBundle: tlsAuth.caBundle,
      queue,
    });
    const err = await caught(bmc.power.getPower());
    expect(isBmcError(err, BmcErrorCode.AuthFailed)).toBe(true);
    expectNoSecret(err);
  });
});
