/**
 * A tiny HTTP listener for the inside of a lab namespace (the test process
 * itself cannot enter one): it answers every request with 200 and prints one
 * JSON line per request — arrival time, method, path, peer and up to 4 KiB of
 * body — for `http-recorder.ts` to read. Usage: `--listen HOST:PORT`.
 */
import http from "node:http";

const MAX_BODY = 4096;

const listen = process.argv[process.argv.indexOf("--listen") + 1] ?? "";
const sep = listen.lastIndexOf(":");
const host = listen.slice(0, sep);
const port = Number(listen.slice(sep + 1));
if (sep < 0 || !Number.isInteger(port)) {
  process.stderr.write("usage: http-recorder-entry --listen HOST:PORT\n");
  process.exit(2);
}

const server = http.createServer((req, res) => {
  const at = Date.now();
  const chunks: Buffer[] = [];
  let size = 0;
  req.on("data", (c: Buffer) => {
    if (size < MAX_BODY) chunks.push(c.subarray(0, MAX_BODY - size));
    size += c.length;
  });
  req.on("end", () => {
    const line = {
      at,
      method: req.method,
      path: req.url,
      remote: req.socket.remoteAddress,
      body: Buffer.concat(chunks).toString("utf8"),
    };
    process.stdout.write(`${JSON.stringify(line)}\n`);
    res.end("ok\n");
  });
});
server.listen(port, host, () => process.stdout.write(`listening ${host}:${port}\n`));
process.on("SIGTERM", () => server.close(() => process.exit(0)));
