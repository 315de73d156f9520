import net from "node:net";
import { describe, expect, it } from "vitest";
import { freeTcpPorts } from "./ports.js";

describe("freeTcpPorts", () => {
  it("returns distinct ports that are all free once it returns", async () => {
    const ports = await freeTcpPorts(8);
    expect(new Set(ports).size).toBe(8);
    for (const port of ports) {
      const srv = net.createServer();
      await new Promise<void>((resolve, reject) => {
        srv.once("error", reject);
        srv.listen(port, "127.0.0.1", () => resolve());
      });
      await new Promise<void>((resolve) => srv.close(() => resolve()));
    }
  });
});
