/**
 * One end of a TCP bridge between network namespaces (libvirt-lab-forward.ts):
 * accepts on `--listen` and pipes each connection to a new one to `--connect`.
 * Either side is `tcp:<host>:<port>` or `unix:<path>`; a Unix socket path is
 * reachable from every network namespace, so two of these, one per
 * namespace, carry a TCP port across.
 */
import net from "node:net";
import { rmSync } from "node:fs";

type Endpoint = { readonly path: string } | { readonly host: string; readonly port: number };

function parse(spec: string | undefined): Endpoint {
  if (spec?.startsWith("unix:")) return { path: spec.slice(5) };
  const m = /^tcp:(.+):(\d+)$/.exec(spec ?? "");
  if (!m?.[1] || !m[2]) throw new Error(`endpoint ${JSON.stringify(spec)} must be tcp:<host>:<port> or unix:<path>`);
  return { host: m[1], port: Number(m[2]) };
}

const arg = (name: string): string | undefined => process.argv[process.argv.indexOf(name) + 1];
const listen = parse(arg("--listen"));
const target = parse(arg("--connect"));

const server = net.createServer((client) => {
  const upstream = "path" in target ? net.connect(target.path) : net.connect(target.port, target.host);
  // Either side failing ends both: a half-open pair would hang the client.
  const end = (): void => {
    client.destroy();
    upstream.destroy();
  };
  client.on("error", end).on("close", end);
  upstream.on("error", end).on("close", end);
  client.pipe(upstream).pipe(client);
});
if ("path" in listen) rmSync(listen.path, { force: true });
const ready = (): void => console.log(`listening ${arg("--listen") ?? ""} -> ${arg("--connect") ?? ""}`);
if ("path" in listen) server.listen(listen.path, ready);
else server.listen(listen.port, listen.host, ready);
for (const sig of ["SIGTERM", "SIGINT"] as const) process.on(sig, () => server.close(() => process.exit(0)));
