/**
 * The HTTP server: plain routes, and WebSocket upgrades handed to the protocol adapter registered
 * for the path (`ws` in noServer mode, permessage-deflate off). Every request passes the origin
 * check and authentication (security/) before it reaches a route or an adapter. It owns the set
 * of live connections, their heartbeats, rate limits and the graceful shutdown.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo, Socket } from "node:net";
import type { Duplex } from "node:stream";
import { decode as decodeMsgpack } from "@msgpack/msgpack";
import { WebSocketServer } from "ws";
import { asBeamgateError, BeamgateError } from "../errors.js";
import type { Limits } from "../limits.js";
import type { Logger } from "../log.js";
import type { Access } from "../security/access.js";
import { ConnectionCounts } from "../security/connection-counts.js";
import { type Credentials, fromAuthMessage, fromRequest, SUBPROTOCOL_PREFIX } from "../security/credentials.js";
import type { ProxyTrust, RequestOrigin } from "../security/forwarded.js";
import type { Guard } from "../security/guard.js";
import type { OriginPolicy } from "../security/origins.js";
import { ANONYMOUS, type Principal } from "../security/principal.js";
import { MessageRate } from "../security/rate-limit.js";
import { Connection } from "./connection.js";
import type { ProtocolAdapter, Refusal, Session } from "./protocol.js";

/** Handles a request of a route; `access` is the caller's (anonymous on public routes). */
export type RouteHandler = (request: IncomingMessage, response: ServerResponse, url: URL, access: Access) => void;

/**
 * A plain HTTP route: the methods it answers (others get 405) and its handler. A route whose path
 * ends in `/*` answers every path one level under it (`/api/v1/devices/*`: `/api/v1/devices/m1`); one
 * ending in `/**`, every path at any depth under it (`/rta/v2/**`). A public
 * route (the index, health, API docs) is served without credentials.
 */
export interface Route {
  readonly methods: readonly string[];
  readonly handle: RouteHandler;
  readonly public?: boolean;
}

/** A route answering GET (and HEAD). */
export const getRoute = (handle: RouteHandler): Route => ({ methods: ["GET", "HEAD"], handle });

/** A public route answering GET (and HEAD). */
export const publicRoute = (handle: RouteHandler): Route => ({ ...getRoute(handle), public: true });

export interface HttpServerOptions {
  readonly limits: Limits;
  readonly log: Logger;
  readonly adapters: readonly ProtocolAdapter[];
  /** Plain HTTP routes by path. */
  readonly routes: ReadonlyMap<string, Route>;
  /** Which browser origins may call routes (CORS) and open WebSockets. */
  readonly origins: OriginPolicy;
  readonly guard: Guard;
  /** Which peers' X-Forwarded-* headers are believed. */
  readonly proxy: ProxyTrust;
  /** PEM certificate and key: serve https and wss. */
  readonly tls?: { readonly cert: Buffer; readonly key: Buffer } | undefined;
}

/** Messages a client may send while its first-message credentials are being checked. */
const MAX_EARLY_MESSAGES = 16;

export class HttpServer {
  readonly #server: Server;
  readonly #wss: WebSocketServer;
  readonly #options: HttpServerOptions;
  readonly #adapters: AdapterTable;
  readonly #connections = new Map<Connection, Session | undefined>();
  readonly #perAddress = new ConnectionCounts();
  readonly #perPrincipal = new ConnectionCounts();
  #heartbeat: NodeJS.Timeout | undefined;
  #closing = false;

  constructor(options: HttpServerOptions) {
    this.#options = options;
    this.#adapters = new AdapterTable(options.adapters);
    this.#wss = new WebSocketServer({
      noServer: true,
      maxPayload: options.limits.maxInboundFrameBytes,
      perMessageDeflate: false,
      clientTracking: false,
      // Echo a real protocol name, never the entry that carries a credential.
      handleProtocols: (offered, request) => {
        const required = this.#adapters.find(requestUrl(request)?.pathname ?? "")?.subprotocol;
        if (required !== undefined) return offered.has(required) ? required : false;
        return [...offered].find((p) => !p.startsWith(SUBPROTOCOL_PREFIX)) ?? false;
      },
    });
    const timeouts = {
      headersTimeout: options.limits.handshakeTimeoutMs,
      requestTimeout: Math.max(300_000, options.limits.handshakeTimeoutMs),
      // Node checks those timeouts on this interval (30 s by default, too coarse for a handshake limit).
      connectionsCheckingInterval: Math.min(1_000, options.limits.handshakeTimeoutMs),
    };
    const listener = (req: IncomingMessage, res: ServerResponse) => void this.#route(req, res);
    this.#server = options.tls
      ? createHttpsServer({ ...timeouts, cert: options.tls.cert, key: options.tls.key }, listener)
      : createHttpServer(timeouts, listener);
    this.#server.on("upgrade", (req, socket, head) => void this.#upgrade(req, socket, head));
    this.#server.on("clientError", (_err, socket) => socket.destroy());
    this.#server.on("tlsClientError", (_err, socket) => socket.destroy());
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
          if (c.ws.readyState === c.ws.CLOSED) return resolve();
          c.ws.once("close", () => resolve());
          c.close(new BeamgateError("BG_ERR_CONN_SHUTDOWN"));
        }),
    );
    this.#server.closeIdleConnections();
    await Promise.all(sockets);
    this.#server.closeAllConnections();
    await closed;
  }

  async #route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = requestUrl(req);
    if (!url) {
      sendJson(res, 400, { detail: "Bad request target" });
      return;
    }
    const adapter = this.#adapters.find(url.pathname);
    // A WebSocket endpoint is not served by a wildcard route above it (`/rta/v2/**` holds
    // `/rta/v2/sessions/*/stream`): a plain request to it gets the protocol's status.
    const route = adapter ? this.#options.routes.get(url.pathname) : this.#find(url.pathname);
    if (!route) {
      const status = adapter ? (adapter.notUpgradeStatus ?? 426) : 404;
      sendJson(res, status, { detail: adapter ? "This path takes WebSocket upgrades" : "Not Found" });
      return;
    }
    const origin = this.#options.proxy.originOf(req);
    if (!this.#cors(req, res, route, origin)) return;
    if (!route.methods.includes(req.method ?? "")) {
      res.setHeader("Allow", route.methods.join(", "));
      sendJson(res, 405, { detail: "Method Not Allowed" });
      return;
    }
    const client = { address: origin.address, endpoint: url.pathname };
    let principal: Principal = ANONYMOUS;
    if (!route.public) {
      try {
        principal = await this.#options.guard.authenticator.authenticate(fromRequest(req, url, false));
      } catch (e) {
        const error = asBeamgateError(e, "BG_ERR_AUTH_INVALID");
        this.#refused(error, client);
        sendError(res, error);
        return;
      }
    }
    route.handle(req, res, url, this.#options.guard.transient(principal, client));
  }

  /**
   * CORS: an allowed browser origin gets `Access-Control-Allow-Origin` (and its preflight an
   * answer); a refused one gets 403. Returns whether the request goes on to its route.
   */
  #cors(req: IncomingMessage, res: ServerResponse, route: Route, from: RequestOrigin): boolean {
    const origin = req.headers.origin;
    if (origin === undefined) return true;
    if (!this.#options.origins.allows(origin, from.host)) {
      sendError(res, new BeamgateError("BG_ERR_ORIGIN_FORBIDDEN", `Origin not allowed: ${origin.slice(0, 200)}`));
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

  /** The route of a path: its exact one, else the `/*` route of its parent, else the `/**` route of an ancestor. */
  #find(pathname: string): Route | undefined {
    const exact = this.#options.routes.get(pathname);
    if (exact) return exact;
    const parent = pathname.slice(0, pathname.lastIndexOf("/") + 1);
    const child =
      parent.length > 1 && pathname.length > parent.length ? this.#options.routes.get(`${parent}*`) : undefined;
    if (child) return child;
    for (let end = pathname.lastIndexOf("/"); end > 0; end = pathname.lastIndexOf("/", end - 1)) {
      const deep = this.#options.routes.get(`${pathname.slice(0, end)}/**`);
      if (deep) return deep;
    }
    return undefined;
  }

  /**
   * An upgrade: origin, adapter check, per-address limit and credentials are judged before the
   * upgrade (refusals are plain HTTP). A client that brought no credentials where they are needed
   * is upgraded and must send an `auth` message first.
   */
  async #upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    socket.on("error", () => socket.destroy());
    const url = requestUrl(req);
    if (!url || this.#closing) {
      refuse(socket, url ? 503 : 400, url ? "Server shutting down" : "Bad request target");
      return;
    }
    const from = this.#options.proxy.originOf(req);
    if (!this.#options.origins.allows(req.headers.origin, from.host)) {
      refuse(socket, 403, `Origin not allowed: ${String(req.headers.origin).slice(0, 200)}`);
      return;
    }
    const adapter = this.#adapters.find(url.pathname);
    const refusal = adapter ? (requiredSubprotocol(adapter, req) ?? adapter.check?.(url, req)) : NOT_FOUND;
    if (refusal || !adapter) {
      refuse(socket, refusal?.status ?? 404, refusal?.message ?? "Not Found");
      return;
    }
    const limits = this.#options.limits;
    if (!this.#perAddress.reserve(from.address, limits.maxConnectionsPerIp)) {
      refuseWith(
        socket,
        new BeamgateError(
          "BG_ERR_LIMIT_CONNECTIONS",
          `At most ${limits.maxConnectionsPerIp} connections per client address`,
        ),
      );
      return;
    }
    const client = { address: from.address, endpoint: url.pathname };
    let access: Access | undefined;
    try {
      const credentials = fromRequest(req, url, adapter.queryToken ?? false);
      if (credentials !== undefined || this.#options.guard.authenticator.anonymousAllowed) {
        access = await this.#admit(adapter, await this.#options.guard.authenticator.authenticate(credentials), client);
      }
    } catch (e) {
      this.#perAddress.release(from.address);
      const error = asBeamgateError(e, "BG_ERR_AUTH_INVALID");
      this.#refused(error, client);
      refuseWith(socket, error);
      return;
    }
    if (socket.destroyed || this.#closing) {
      this.#perAddress.release(from.address);
      if (access) this.#dismiss(access);
      socket.destroy();
      return;
    }
    // `ws` answers a malformed handshake itself and never calls back: then the places go back here.
    let upgraded = false;
    socket.once("close", () => {
      if (upgraded) return;
      this.#perAddress.release(from.address);
      if (access) this.#dismiss(access);
    });
    this.#wss.handleUpgrade(req, socket, head, (ws) => {
      upgraded = true;
      const connection = new Connection(ws, socket as Socket, limits, from.address);
      this.#connections.set(connection, undefined);
      ws.on("error", (err: Error & { code?: string }) => {
        // ws has already closed the socket (1009 for an oversized message, 1002 for a bad frame).
        const code = err.code === "WS_ERR_UNSUPPORTED_MESSAGE_LENGTH" ? "BG_ERR_LIMIT_FRAME_TOO_LARGE" : err.code;
        this.#options.log.debug({ code, remote: connection.remoteAddress, path: url.pathname }, err.message);
      });
      let onClose = () => {};
      ws.once("close", () => {
        this.#connections.delete(connection);
        this.#perAddress.release(from.address);
        onClose();
      });
      if (access) onClose = this.#start(connection, adapter, url, req, access);
      else this.#awaitAuth(connection, adapter, url, req, client, (close) => (onClose = close));
    });
  }

  /** Takes a principal in: its per-principal place, its access, and the adapter's own check. */
  async #admit(
    adapter: ProtocolAdapter,
    principal: Principal,
    client: { address: string; endpoint: string },
  ): Promise<Access> {
    const key = principal.kind === "anonymous" ? undefined : `${principal.kind}:${principal.name}`;
    const limit = this.#options.limits.maxConnectionsPerPrincipal;
    if (key !== undefined && !this.#perPrincipal.reserve(key, limit)) {
      throw new BeamgateError("BG_ERR_LIMIT_CONNECTIONS", `At most ${limit} connections per user or API key`);
    }
    const access = this.#options.guard.open(principal, client);
    try {
      adapter.authorize?.(access);
    } catch (e) {
      this.#dismiss(access);
      throw e;
    }
    return access;
  }

  /** Undoes `#admit`. */
  #dismiss(access: Access): void {
    const p = access.principal;
    if (p.kind !== "anonymous") this.#perPrincipal.release(`${p.kind}:${p.name}`);
    this.#options.guard.close(access);
  }

  /** Starts the adapter's session on an authenticated connection; returns what to do when it closes. */
  #start(connection: Connection, adapter: ProtocolAdapter, url: URL, req: IncomingMessage, access: Access): () => void {
    const ws = connection.ws;
    access.onRevoked = (error) => {
      this.#options.log.info({ code: error.code, principal: access.principal.name, path: url.pathname }, error.message);
      connection.close(error);
    };
    this.#options.log.debug(
      {
        principal: access.principal.name,
        kind: access.principal.kind,
        remote: access.client.address,
        path: url.pathname,
      },
      "connection accepted",
    );
    let session: Session;
    try {
      session = adapter.accept(connection, url, req, access);
    } catch (e) {
      this.#options.log.error({ err: e, path: url.pathname }, "protocol failed to accept a connection");
      ws.terminate();
      return () => this.#dismiss(access);
    }
    this.#connections.set(connection, session);
    const rate = new MessageRate(this.#options.limits.messagesPerSecond, this.#options.limits.messageBurst);
    ws.on("message", (data, isBinary) => {
      const verdict = rate.take();
      if (verdict !== "ok") {
        const error = new BeamgateError(
          "BG_ERR_LIMIT_RATE",
          `At most ${this.#options.limits.messagesPerSecond} messages per second: message dropped`,
        );
        if (verdict === "close") connection.close(error);
        else session.refuse(error);
        return;
      }
      try {
        session.onMessage(data as Buffer, isBinary);
      } catch (e) {
        this.#options.log.error({ err: e, path: url.pathname }, "unhandled error in message handler");
      }
    });
    return () => {
      this.#dismiss(access);
      session.onClose();
    };
  }

  /**
   * A connection without credentials where they are needed: its first message must be `auth`
   * (Tiled's form), within the auth timeout. Messages that follow it while it is checked wait.
   */
  #awaitAuth(
    connection: Connection,
    adapter: ProtocolAdapter,
    url: URL,
    req: IncomingMessage,
    client: { address: string; endpoint: string },
    setOnClose: (onClose: () => void) => void,
  ): void {
    const ws = connection.ws;
    const timer = setTimeout(
      () => connection.close(new BeamgateError("BG_ERR_AUTH_TIMEOUT")),
      this.#options.limits.authTimeoutMs,
    );
    timer.unref();
    setOnClose(() => clearTimeout(timer));
    const early: [Buffer, boolean][] = [];
    const first = (data: Buffer, isBinary: boolean) => {
      clearTimeout(timer);
      ws.off("message", first);
      const waiting = (more: Buffer, moreBinary: boolean) => {
        if (early.push([more, moreBinary]) > MAX_EARLY_MESSAGES) {
          connection.close(
            new BeamgateError("BG_ERR_AUTH_REQUIRED", "Too many messages before authentication completed"),
          );
        }
      };
      ws.on("message", waiting);
      void this.#authenticateFirst(data, isBinary, adapter, client).then(
        (access) => {
          ws.off("message", waiting);
          if (connection.closing || ws.readyState !== ws.OPEN) {
            this.#dismiss(access);
            return;
          }
          setOnClose(this.#start(connection, adapter, url, req, access));
          for (const [message, binary] of early.splice(0)) ws.emit("message", message, binary);
        },
        (e) => {
          const error = asBeamgateError(e, "BG_ERR_AUTH_INVALID");
          this.#refused(error, client);
          connection.close(error);
        },
      );
    };
    ws.on("message", first);
  }

  async #authenticateFirst(
    data: Buffer,
    isBinary: boolean,
    adapter: ProtocolAdapter,
    client: { address: string; endpoint: string },
  ): Promise<Access> {
    let credentials: Credentials;
    try {
      credentials = fromAuthMessage(isBinary ? decodeMsgpack(data) : JSON.parse(data.toString("utf8")));
    } catch (e) {
      throw e instanceof BeamgateError
        ? e
        : new BeamgateError("BG_ERR_AUTH_REQUIRED", 'The first message must be {"type":"auth", ...}');
    }
    return this.#admit(adapter, await this.#options.guard.authenticator.authenticate(credentials), client);
  }

  /** Logs a refused client: who and why, for the operators; never what it sent. */
  #refused(error: BeamgateError, client: { address: string; endpoint: string }): void {
    this.#options.log.info({ code: error.code, remote: client.address, path: client.endpoint }, error.message);
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

const NOT_FOUND: Refusal = { status: 404, message: "Not Found" };

/** Adapters by path: exact paths, then patterns (`*` one segment, a last `**` the rest). */
class AdapterTable {
  readonly #exact = new Map<string, ProtocolAdapter>();
  readonly #patterns: { readonly segments: readonly string[]; readonly adapter: ProtocolAdapter }[] = [];

  constructor(adapters: readonly ProtocolAdapter[]) {
    for (const adapter of adapters) {
      if (adapter.path.includes("*")) this.#patterns.push({ segments: adapter.path.split("/"), adapter });
      else this.#exact.set(adapter.path, adapter);
    }
  }

  find(pathname: string): ProtocolAdapter | undefined {
    const exact = this.#exact.get(pathname);
    if (exact || this.#patterns.length === 0) return exact;
    const parts = pathname.split("/");
    return this.#patterns.find(({ segments }) => matches(segments, parts))?.adapter;
  }
}

/** `*` matches one non-empty segment; a last `**`, whatever follows (nothing included). */
function matches(segments: readonly string[], parts: readonly string[]): boolean {
  const deep = segments.at(-1) === "**";
  const fixed = deep ? segments.length - 1 : segments.length;
  if (deep ? parts.length < fixed : parts.length !== fixed) return false;
  for (let i = 0; i < fixed; i++) {
    const s = segments[i];
    if (s === "*" ? parts[i] === "" : s !== parts[i]) return false;
  }
  return true;
}

/** 406 when the adapter needs a subprotocol the client did not offer. */
function requiredSubprotocol(adapter: ProtocolAdapter, req: IncomingMessage): Refusal | undefined {
  const required = adapter.subprotocol;
  if (required === undefined) return undefined;
  const offered = String(req.headers["sec-websocket-protocol"] ?? "")
    .split(",")
    .map((p) => p.trim());
  return offered.includes(required) ? undefined : { status: 406, message: `Subprotocol ${required} required` };
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

/** Answers an error as JSON `{detail, code}` with its HTTP status (and the auth challenge for 401). */
export function sendError(res: ServerResponse, error: BeamgateError): void {
  if (error.httpStatus === 401) res.setHeader("WWW-Authenticate", AUTH_CHALLENGE);
  sendJson(res, error.httpStatus, { detail: error.message, code: error.code });
}

const AUTH_CHALLENGE = 'Bearer realm="beamgate", Apikey realm="beamgate"';

function refuse(socket: Duplex, status: number, message: string, body: object = { detail: message }): void {
  const text = JSON.stringify(body);
  const challenge = status === 401 ? `WWW-Authenticate: ${AUTH_CHALLENGE}\r\n` : "";
  socket.end(
    `HTTP/1.1 ${status} ${statusText(status)}\r\nConnection: close\r\nContent-Type: application/json\r\n` +
      `${challenge}Content-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`,
  );
}

function refuseWith(socket: Duplex, error: BeamgateError): void {
  refuse(socket, error.httpStatus, error.message, { detail: error.message, code: error.code });
}

function statusText(status: number): string {
  const texts: Record<number, string> = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    406: "Not Acceptable",
    429: "Too Many Requests",
    503: "Service Unavailable",
  };
  return texts[status] ?? "Error";
}
