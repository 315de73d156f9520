import net from "node:net";
import dgram from "node:dgram";

/** A TCP port free on 127.0.0.1 right now (the kernel's choice). */
export async function freeTcpPort(host = "127.0.0.1"): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, host, () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === "object" && addr ? resolve(addr.port) : reject(new Error("no port"))));
    });
  });
}

/**
 * `n` distinct TCP ports free on `host` right now. Consecutive
 * `freeTcpPort()` calls may return the same port (each closes its listener,
 * and the kernel can hand the port out again): a process given one as its
 * webhook port and the next as its probe port then fails with EADDRINUSE.
 * Here every listener stays open until all `n` ports are known.
 */
export async function freeTcpPorts(n: number, host = "127.0.0.1"): Promise<number[]> {
  const servers: net.Server[] = [];
  try {
    const ports: number[] = [];
    for (let i = 0; i < n; i++) {
      const srv = net.createServer();
      servers.push(srv);
      ports.push(
        await new Promise<number>((resolve, reject) => {
          srv.once("error", reject);
          srv.listen(0, host, () => {
            const addr = srv.address();
            if (typeof addr === "object" && addr) resolve(addr.port);
            else reject(new Error("no port"));
          });
        }),
      );
    }
    return ports;
  } finally {
    await Promise.all(servers.map((srv) => new Promise<void>((resolve) => (srv.listening ? srv.close(() => resolve()) : resolve()))));
  }
}

/** A UDP port free on `host` right now. */
export async function freeUdpPort(host = "127.0.0.1"): Promise<number> {
  return new Promise((resolve, reject) => {
    const sock = dgram.createSocket("udp4");
    sock.once("error", reject);
    sock.bind(0, host, () => {
      const { port } = sock.address();
      sock.close(() => resolve(port));
    });
  });
}
