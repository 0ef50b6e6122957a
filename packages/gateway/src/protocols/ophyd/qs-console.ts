/**
 * The ophyd-websocket compatible `/api/v1/qs-console-socket` (docs/ophyd-websocket.md): a bridge
 * from the Bluesky Queue Server's ZeroMQ console publisher to WebSocket clients. Each console
 * message `[b"QS_Console", payload]` is forwarded as one text frame, the payload (JSON with `msg`
 * and `time`) unchanged. Client messages are ignored, and nothing else is ever sent.
 */
import type { Subscriber } from "zeromq";
import type { Logger } from "../../log.js";
import type { Connection } from "../../transport/connection.js";
import { textMessage } from "../../transport/outgoing.js";
import type { ProtocolAdapter } from "../../transport/protocol.js";

export interface QsConsoleOptions {
  readonly host: string;
  readonly port: number;
}

const TOPIC = "QS_Console";

/** The name the access rules know the console by (it is not a hub topic: one ZeroMQ feed for all). */
export const QS_CONSOLE_TOPIC = "console://queue-server";
/** Console lines are short; a larger payload is a misbehaving publisher and is dropped. */
const MAX_PAYLOAD_BYTES = 1024 * 1024;
/** `fatal` rejects invalid UTF-8; `ignoreBOM` keeps a BOM, so the text is the payload unchanged. */
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * One ZeroMQ SUB socket is shared by all clients. It connects when the first client arrives and is
 * closed when the last one leaves: PUB/SUB keeps no history, so an idle subscription would only
 * keep a TCP connection (and, while the queue server is down, reconnect attempts) for nobody.
 * zeromq is imported on first use, so a native addon that fails to load disables only this path.
 */
export function qsConsoleProtocol(options: QsConsoleOptions, log: Logger): ProtocolAdapter & { stop(): Promise<void> } {
  const address = `tcp://${options.host}:${options.port}`;
  const connections = new Set<Connection>();
  let socket: Subscriber | undefined;
  let opening: Promise<void> | undefined;
  let pumping: Promise<void> = Promise.resolve();
  let stopped = false;

  function ensureOpen(): void {
    if (socket || opening || stopped || connections.size === 0) return;
    opening = open().finally(() => {
      opening = undefined;
    });
  }

  async function open(): Promise<void> {
    let zmq: typeof import("zeromq");
    try {
      zmq = await import("zeromq");
    } catch (err) {
      log.error({ err }, "qs-console: cannot load zeromq; the queue server console is not available");
      return;
    }
    // Everyone may have left (or the server stopped) while the module loaded.
    if (socket || stopped || connections.size === 0) return;
    let sub: Subscriber | undefined;
    try {
      sub = new zmq.Subscriber({
        // libzmq reconnects by itself when the queue server restarts: retry soon, then every 2 s.
        reconnectInterval: 100,
        reconnectMaxInterval: 2000,
        // ZMTP heartbeats find a queue server host that vanished without closing the TCP connection.
        heartbeatInterval: 10_000,
        heartbeatTimeout: 30_000,
        // Bounds what libzmq buffers for one frame (it drops the peer past this, then reconnects).
        maxMessageSize: 16 * MAX_PAYLOAD_BYTES,
      });
      // A prefix filter: newer queue servers also publish `QS_Info` status here, never forwarded.
      sub.subscribe(TOPIC);
      sub.connect(address);
      socket = sub;
      pumping = pump(sub);
      log.info({ address }, "qs-console: subscribed to the queue server console");
    } catch (err) {
      // A malformed address: clients get nothing, as from an unreachable queue server.
      log.error({ err, address }, "qs-console: cannot connect to the queue server console");
      sub?.close();
    }
  }

  async function pump(sub: Subscriber): Promise<void> {
    try {
      // Ends when the socket is closed.
      for await (const [topic, ...payloads] of sub) {
        // The subscription matches by prefix; take the exact topic only.
        if (topic?.toString("latin1") !== TOPIC) continue;
        for (const payload of payloads) forward(payload);
      }
    } catch (err) {
      log.error({ err, address }, "qs-console: receiving from the queue server console failed");
      if (socket !== sub) return;
      close();
      // Try again with a new socket while clients are waiting.
      setTimeout(ensureOpen, 1000).unref();
    }
  }

  function forward(payload: Buffer): void {
    if (payload.length > MAX_PAYLOAD_BYTES) {
      log.warn({ bytes: payload.length }, "qs-console: dropped an oversized console message");
      return;
    }
    let text: string;
    try {
      text = utf8.decode(payload);
    } catch {
      log.warn({ bytes: payload.length }, "qs-console: dropped a console message that is not UTF-8");
      return;
    }
    // Encoded once for every client. A lagging client is closed by the transport's hard limit.
    const message = textMessage(text);
    for (const connection of connections) connection.send(message);
  }

  function close(): void {
    const sub = socket;
    socket = undefined;
    if (!sub) return;
    try {
      sub.close();
      log.debug({ address }, "qs-console: unsubscribed from the queue server console");
    } catch (err) {
      log.error({ err, address }, "qs-console: closing the console socket failed");
    }
  }

  return {
    path: "/api/v1/qs-console-socket",
    description: "ophyd-websocket qs-console-socket: the Bluesky Queue Server console output, one JSON line per frame",
    authorize(access) {
      access.require("read", QS_CONSOLE_TOPIC);
    },
    accept(connection, _url, _request, access) {
      connections.add(connection);
      ensureOpen();
      const release = access.hold(QS_CONSOLE_TOPIC, (error) => connection.close(error));
      return {
        // ophyd-websocket logs client text and ignores it.
        onMessage: () => log.debug({ remote: connection.remoteAddress }, "qs-console: ignored a client message"),
        // The console has no error message of its own: a refused message is dropped like any other.
        refuse: () => {},
        onClose: () => {
          release();
          connections.delete(connection);
          if (connections.size === 0) close();
        },
      };
    },
    async stop() {
      stopped = true;
      await opening;
      close();
      await pumping;
    },
  };
}
