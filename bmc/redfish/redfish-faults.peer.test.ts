/**
 * Faults: nobody listening, a BMC answering 500 with Redfish ExtendedInfo, a
 * BMC answering garbage, an unknown scheme. Each must give its typed error,
 * fast, retried only when retrying can help, with no password anywhere.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { inspect } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { freeTcpPort } from "../../e2e/framework/ports.js";
import { BmcAccessQueue } from "../access-queue.js";
import { BmcErrorCode, isBmcError } from "../errors.js";
import { connectBmc } from "../index.js";

const PASSWORD = "fault-Anvil-pw-5d21";
const credentials = { username: "admin", password: PASSWORD };
const SECRETS = [PASSWORD, Buffer.from(`admin:${PASSWORD}`).toString("base64")];
const ATTEMPTS = 3;
const queue = new BmcAccessQueue({ timeoutMs: 10_000, retry: { attempts: ATTEMPTS, baseDelayMs: 20, maxDelayMs: 100 } });

let server: Server | undefined;
let requests: string[] = [];

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<number> {
  requests = [];
  server = createServer((req, res) => {
    requests.push(`${req.method ?? "?"} ${req.url ?? "?"}`);
    handler(req, res);
  });
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  return (server.address() as AddressInfo).port;
}

afterEach(async () => {
  const s = server;
  server = undefined;
  if (s !== undefined) await new Promise<void>((resolve) => s.close(() => resolve()));
});

function expectNoSecret(err: unknown): void {
  const text = `${String(err)}\n${inspect(err, { depth: 10, showHidden: true })}`;
  for (const s of SECRETS) expect(text).not.toContain(s);
}

async function caught(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => {
      throw new Error("expected a failure");
    },
    (e: unknown) => e,
  );
}

const EXTENDED_500 = JSON.stringify({
  error: {
    code: "Base.1.8.GeneralError",
    message: "A general error has occurred. See ExtendedInfo for more information.",
    "@Message.ExtendedInfo": [
      { MessageId: "Base.1.8.InternalError", Message: "The BMC's web server crashed while reading the power sensor.", Resolution: "Reset the BMC." },
    ],
  },
});

describe("Redfish faults", () => {
  it("reports Unreachable fast when nothing listens on the port", async () => {
    const port = await freeTcpPort();
    const bmc = await connectBmc({ address: `redfish+http://127.0.0.1:${port}/redfish/v1/Systems/1`, credentials, queue });
    const started = Date.now();
    const err = await caught(bmc.power.getPower());
    expect(isBmcError(err, BmcErrorCode.Unreachable)).toBe(true);
    expect(Date.now() - started).toBeLessThan(2_000);
    expectNoSecret(err);
  });

  it("retries a 500 and then fails with the BMC's own ExtendedInfo message", async () => {
    const port = await serve((_req, res) => {
      res.writeHead(500, { "Content-Type": "application/json" });
      res.end(EXTENDED_500);
    });
    const bmc = await connectBmc({ address: `redfish+http://127.0.0.1:${port}/redfish/v1/Systems/1`, credentials, queue });
    const started = Date.now();
    const err = await caught(bmc.power.getPower());
    expect(isBmcError(err, BmcErrorCode.BmcError)).toBe(true);
    expect(isBmcError(err) && err.bmcMessage).toBe("Base.1.8.InternalError: The BMC's web server crashed while reading the power sensor.");
    expect((err as Error).message).toContain("web server crashed");
    expect(requests.filter((r) => r === "GET /redfish/v1/Systems/1")).toHaveLength(ATTEMPTS);
    expect(Date.now() - started).toBeLessThan(2_000);
    expectNoSecret(err);
  });

  it.each([
    ["a truncated JSON object", '{"PowerState": "On", '],
    ["HTML", "<html><body>Login</body></html>"],
    ["a JSON array", "[1,2,3]"],
  ])("reports ProtocolError, without retrying, when the BMC answers %s", async (_what, body) => {
    const port = await serve((_req, res) => {
      res.writeHead(200, { "Content-Type": "application/json" });
      res.end(body);
    });
    const bmc = await connectBmc({ address: `redfish+http://127.0.0.1:${port}/redfish/v1/Systems/1`, credentials, queue });
    const err = await caught(bmc.power.getPower());
    expect(isBmcError(err, BmcErrorCode.ProtocolError)).toBe(true);
    expect(requests.filter((r) => r.startsWith("GET /redfish/v1/Systems/1"))).toHaveLength(1);
    expectNoSecret(err);
  });

  it("reports NotSupported when the BMC answers 501 to a reset", async () => {
    const port = await serve((req, res) => {
      if (req.method === "GET") {
        res.writeHead(200, { "Content-Type": "application/json" });
        res.end(JSON.stringify({ PowerState: "Off", Actions: { "#ComputerSystem.Reset": { target: "/redfish/v1/Systems/1/Actions/ComputerSystem.Reset" } } }));
        return;
      }
      res.writeHead(501, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ error: { code: "Base.1.8.ActionNotSupported", message: "Reset is not supported" } }));
    });
    const bmc = await connectBmc({ address: `redfish+http://127.0.0.1:${port}/redfish/v1/Systems/1`, credentials, queue });
    const err = await caught(bmc.power.setPower("on"));
    expect(isBmcError(err, BmcErrorCode.NotSupported)).toBe(true);
    expect(isBmcError(err) && err.bmcMessage).toBe("Reset is not supported");
  });

  it.each(["foo://127.0.0.1/redfish/v1/Systems/1", "redfish+gopher://127.0.0.1/", "http://127.0.0.1/redfish/v1"])(
    "rejects the unknown scheme of %s with InvalidAddress before any traffic",
    async (address) => {
      const err = await caught(connectBmc({ address, credentials, queue }));
      expect(isBmcError(err, BmcErrorCode.InvalidAddress)).toBe(true);
    },
  );
});
