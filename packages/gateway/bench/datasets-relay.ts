/**
 * The fan-out baseline: a plain `ws` server, in a process of its own, with the same shape of work
 * as the gateway's write-then-stream path minus everything the gateway adds (checks, the log and
 * its fdatasync, the Zarr write, msgpack): `PUT /relay` reads the body and sends it, as is, to
 * every WebSocket connected on `/relay` (`ws.send`, one call per client), then answers 200. The
 * load process PUTs the very frame bytes a gateway subscriber received, so both sides send
 * messages of the same size. Handlers: `listen` (answers the port), `mark` / `sample` (the
 * process's CPU between the two, in cores).
 */
import { createServer, type IncomingMessage } from "node:http";
import { answerRequests } from "@beamgate/bench-kit";
import { WebSocket, WebSocketServer } from "ws";

const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
let mark = { at: performance.now(), cpu: process.cpuUsage() };

function readAll(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

const server = createServer((req, res) => {
  if (req.method !== "PUT" || req.url !== "/relay") {
    res.writeHead(404).end();
    return;
  }
  readAll(req).then(
    (body) => {
      for (const client of wss.clients) if (client.readyState === WebSocket.OPEN) client.send(body, { binary: true });
      res.writeHead(200, { "content-type": "application/json", "content-length": 4 }).end("null");
    },
    () => res.destroy(),
  );
});
server.keepAliveTimeout = 60_000;
server.on("upgrade", (req, socket, head) => {
  if (req.url !== "/relay") {
    socket.destroy();
    return;
  }
  wss.handleUpgrade(req, socket, head, (ws) => wss.emit("connection", ws, req));
});

answerRequests({
  listen(): Promise<{ port: number }> {
    return new Promise((resolve) =>
      server.listen(0, "127.0.0.1", () => resolve({ port: (server.address() as { port: number }).port })),
    );
  },
  mark() {
    mark = { at: performance.now(), cpu: process.cpuUsage() };
    return true;
  },
  sample(): { seconds: number; cpu: number } {
    const seconds = (performance.now() - mark.at) / 1000;
    const cpu = process.cpuUsage(mark.cpu);
    return { seconds, cpu: (cpu.user + cpu.system) / 1e6 / seconds };
  },
});
