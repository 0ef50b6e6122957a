/**
 * The HTTP server: plain routes, and WebSocket upgrades handed to the protocol adapter registered
 * for the path (`ws` in noServer mode, permessage-deflate off). It owns the set of live
 * connections, their heartbeats and the graceful shutdown.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import type { Duplex } from "node:stream";
import { WebSocketServer } from "ws";
import { BeamgateError } from "../errors.js";
import type { Limits } from "../limits.js";
import type { Logger } from "../log.js";
import { Connection } from "./connection.js";
import type { OriginPolicy } from "./origins.js";
import type { ProtocolAdapter, Session } from "./protocol.js";

export type RouteHandler = (request: IncomingMessage, response: ServerResponse, url: URL) => void;

/**
 * A plain HTTP route: the methods it answers (others get 405) and its handler. A route whose path
 * ends in `/*` answers every path under it (`/api/v1/devices/*`: `/api/v1/devices/m1`).
 */
export interface Route {
  readonly methods: readonly string[];
  readonly handle: RouteHandler;
}

/** A route answering GET (and HEAD). */
export const getRoute = (handle: RouteHandler): Route => ({ methods: ["GET", "HEAD"], handle });

export interface HttpServerOptions {
  readonly limits: Limits;
  readonly log: Logger;
  readonly adapters: readonly ProtocolAdapter[];
  /** Plain HTTP routes by path. */
  readonly routes: ReadonlyMap<string, Route>;
  /** Which browser origins may call routes (CORS) and open WebSockets; all when not given. */
  readonly origins?: OriginPolicy;
}

export class HttpServer {
  readonly #server: Server;
  readonly #wss: WebSocketServer;
  readonly #options: HttpServerOptions;
  readonly #adapters: Map<string, ProtocolAdapter>;
  readonly #connections = new Map<Connection, Session>();
  #heartbeat: NodeJS.Timeout | undefined;
  #closing = false;

  constructor(options: HttpServerOptions) {
    this.#options = options;
    this.#adapters = new Map(options.adapters.map((a) => [a.path, a]));
    this.#wss = new WebSocketServer({
      noServer: true,
      maxPayload: options.limits.maxInboundFrameBytes,
      perMessageDeflate: false,
      clientTracking: false,
    });
    this.#server = createServer((req, res) => this.#route(req, res));
    this.#server.on("upgrade", (req, socket, head) => this.#upgrade(req, socket, head));
    this.#server.on("clientError", (_err, socket) => socket.destroy());
  }

  get connectionCount(): number {
    return this.#connections.size;
  }

  /** The live connections (for health reporting and tests). */
  get connections(): IterableIterator<Connection> {
    return this.#connections.keys();
  }

  listen(host: string, port: number): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.#server.once("error", reject);
      this.#server.listen(port, host, () => {
        this.#server.off("error", reject);
        this.#heartbeat = setInterval(() => this.#beat(), this.#options.limits.heartbeatIntervalMs);
        this.#heartbeat.unref();
        resolve(this.#server.address() as AddressInfo);
      });
    });
  }

  /** Stops accepting, closes every WebSocket with 1001, and resolves once all sockets are gone. */
  async close(): Promise<void> {
    this.#closing = true;
    clearInterval(this.#heartbeat);
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    const sockets = [...this.#connections.keys()].map(
      (c) =>
        new Promise<void>((resolve) => {
          c.ws.once("close", () => resolve());
          c.close(new BeamgateError("BG_ERR_CONN_SHUTDOWN"));
        }),
    );
    this.#server.closeIdleConnections();
    await Promise.all(sockets);
    this.#server.closeAllConnections();
    await closed;
  }

  #route(req: IncomingMessage, res: ServerResponse): void {
    const url = requestUrl(req);
    if (!url) {
      sendJson(res, 400, { detail: "Bad request target" });
      return;
    }
    const route = this.#find(url.pathname);
    if (!route) {
      const isWs = this.#adapters.has(url.pathname);
      sendJson(res, isWs ? 426 : 404, { detail: isWs ? "This path takes WebSocket upgrades" : "Not Found" });
      return;
    }
    if (!this.#cors(req, res, route)) return;
    if (!route.methods.includes(req.method ?? "")) {
      res.setHeader("Allow", route.methods.join(", "));
      sendJson(res, 405, { detail: "Method Not Allowed" });
      return;
    }
    route.handle(req, res, url);
  }

  /**
   * CORS: an allowed browser origin gets `Access-Control-Allow-Origin` (and its preflight an
   * answer); a refused one gets 403. Returns whether the request goes on to its route.
   */
  #cors(req: IncomingMessage, res: ServerResponse, route: Route): boolean {
    const origin = req.headers.origin;
    if (origin === undefined || !this.#options.origins) return true;
    if (!this.#options.origins.allows(req.headers)) {
      sendJson(res, 403, { detail: `Origin not allowed: ${origin}` });
      return false;
    }
    res.setHeader("Access-Control-Allow-Origin", origin);
    res.setHeader("Access-Control-Allow-Credentials", "true");
    res.setHeader("Vary", "Origin");
    if (req.method !== "OPTIONS" || req.headers["access-control-request-method"] === undefined) return true;
    res.setHeader("Access-Control-Allow-Methods", route.methods.join(", "));
    const headers = req.headers["access-control-request-headers"];
    if (headers) res.setHeader("Access-Control-Allow-Headers", headers);
    res.setHeader("Access-Control-Max-Age", "600");
    res.writeHead(204).end();
    return false;
  }

  /** The route of a path: its exact one, else the wildcard route of its parent path. */
  #find(pathname: string): Route | undefined {
    const exact = this.#options.routes.get(pathname);
    if (exact) return exact;
    const parent = pathname.slice(0, pathname.lastIndexOf("/") + 1);
    return parent.length > 1 && pathname.length > parent.length ? this.#options.routes.get(`${parent}*`) : undefined;
  }

  #upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on("error", () => socket.destroy());
    const url = requestUrl(req);
    if (!url || this.#closing) {
      refuse(socket, url ? 503 : 400, url ? "Server shutting down" : "Bad request target");
      return;
    }
    if (this.#options.origins && !this.#options.origins.allows(req.headers)) {
      refuse(socket, 403, `Origin not allowed: ${req.headers.origin}`);
      return;
    }
    const adapter = this.#adapters.get(url.pathname);
    const refusal = adapter ? adapter.check?.(url, req) : { status: 404, message: "Not Found" };
    if (refusal || !adapter) {
      refuse(socket, refusal?.status ?? 404, refusal?.message ?? "Not Found");
      return;
    }
    this.#wss.handleUpgrade(req, socket, head, (ws) => {
      const connection = new Connection(ws, socket as Socket, this.#options.limits);
      let session: Session;
      try {
        session = adapter.accept(connection, url, req);
      } catch (e) {
        this.#options.log.error({ err: e, path: url.pathname }, "protocol failed to accept a connection");
        ws.terminate();
        return;
      }
      this.#connections.set(connection, session);
      ws.on("message", (data, isBinary) => {
        try {
          session.onMessage(data as Buffer, isBinary);
        } catch (e) {
          this.#options.log.error({ err: e, path: url.pathname }, "unhandled error in message handler");
        }
      });
      ws.on("error", (err: Error & { code?: string }) => {
        // ws has already closed the socket (1009 for an oversized message, 1002 for a bad frame).
        const code = err.code === "WS_ERR_UNSUPPORTED_MESSAGE_LENGTH" ? "BG_ERR_LIMIT_FRAME_TOO_LARGE" : err.code;
        this.#options.log.debug({ code, remote: connection.remoteAddress, path: url.pathname }, err.message);
      });
      ws.once("close", () => {
        this.#connections.delete(connection);
        session.onClose();
      });
    });
  }

  /** Pings every connection; one that has not answered the previous ping is dropped. */
  #beat(): void {
    for (const connection of this.#connections.keys()) {
      if (connection.awaitingPong) {
        this.#options.log.debug(
          { code: "BG_ERR_CONN_HEARTBEAT", remote: connection.remoteAddress },
          "dropping a silent peer",
        );
        connection.ws.terminate();
        continue;
      }
      connection.awaitingPong = true;
      connection.ws.ping();
    }
  }
}

/** The request's path and query, or undefined for a target that is not an absolute path. */
function requestUrl(req: IncomingMessage): URL | undefined {
  const target = req.url ?? "/";
  if (!target.startsWith("/") || target.startsWith("//")) return undefined;
  try {
    return new URL(target, "http://localhost");
  } catch {
    return undefined;
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

function refuse(socket: Duplex, status: number, message: string): void {
  const body = JSON.stringify({ detail: message });
  socket.end(
    `HTTP/1.1 ${status} ${statusText(status)}\r\nConnection: close\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

function statusText(status: number): string {
  const texts: Record<number, string> = {
    400: "Bad Request",
    403: "Forbidden",
    404: "Not Found",
    406: "Not Acceptable",
    503: "Service Unavailable",
  };
  return texts[status] ?? "Error";
}
