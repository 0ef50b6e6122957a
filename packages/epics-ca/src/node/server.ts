/**
 * A Channel Access server on Node's `dgram` and `net`: answers name searches on UDP, sends beacons,
 * and serves any number of virtual circuits on TCP (`server-connection.ts`). The protocol itself is
 * the sans-I/O codec; this file only moves bytes.
 */
import { createSocket, type Socket as UdpSocket } from "node:dgram";
import { createServer, type Server, type Socket } from "node:net";
import { type CaMessage, encodeMessages } from "../commands.js";
import { CA_MINOR_PROTOCOL_REVISION, SEARCH } from "../constants.js";
import { decodeDatagram } from "../message-reader.js";
import { BeaconSender } from "./beacon-sender.js";
import { type CaServerEnvOptions, caServerOptionsFromEnv } from "./env.js";
import { ipv4ToNumber, parseAddressList } from "./ipv4.js";
import type { ServerPv } from "./pv.js";
import { ServerConnection } from "./server-connection.js";

/**
 * Options not given come from the EPICS environment variables (`env.ts`). Port 0 picks a free TCP
 * port and serves searches on the same UDP port number.
 */
export interface CaServerOptions extends Partial<CaServerEnvOptions> {
  /** The PVs served, by name. */
  readonly pvs: ReadonlyMap<string, ServerPv>;
  /** Told of an unexpected failure while serving a request; that client's circuit is closed. */
  readonly onError?: (error: unknown) => void;
}

export class CaServer {
  readonly #pvs: ReadonlyMap<string, ServerPv>;
  readonly #onError: CaServerOptions["onError"];
  readonly #options: CaServerEnvOptions;
  #udp: UdpSocket | undefined;
  #tcp: Server | undefined;
  #beacons: BeaconSender | undefined;
  readonly #connections = new Set<ServerConnection>();

  constructor(options: CaServerOptions) {
    this.#pvs = options.pvs;
    this.#onError = options.onError;
    const { pvs: _, onError: __, ...rest } = options;
    this.#options = { ...caServerOptionsFromEnv(), ...rest };
  }

  /** Clients connected now. */
  get connectionCount(): number {
    return this.#connections.size;
  }

  /** Starts serving and beaconing; resolves with the TCP port and the UDP (search) port. */
  async listen(): Promise<{ tcpPort: number; udpPort: number }> {
    const { host, port } = this.#options;
    const tcp = createServer((socket) => this.#serve(socket));
    this.#tcp = tcp;
    await new Promise<void>((resolve, reject) => {
      tcp.once("error", reject);
      tcp.listen(port, host, () => resolve());
    });
    const tcpPort = (tcp.address() as { port: number }).port;
    const udp = createSocket({ type: "udp4", reuseAddr: true });
    this.#udp = udp;
    udp.on("message", (bytes, from) => this.#answerSearch(bytes, from.address, from.port, tcpPort));
    await new Promise<void>((resolve, reject) => {
      udp.once("error", reject);
      udp.bind(port === 0 ? tcpPort : port, host, () => resolve());
    });
    udp.removeAllListeners("error");
    udp.on("error", () => {}); // a failed send (an unreachable beacon address) is not fatal
    udp.setBroadcast(true);
    const targets = parseAddressList(this.#options.beaconAddressList, this.#options.beaconPort);
    this.#beacons = new BeaconSender(
      udp,
      targets,
      tcpPort,
      host === "0.0.0.0" ? 0 : ipv4ToNumber(host),
      this.#options.beaconPeriodMs,
    );
    this.#beacons.start();
    return { tcpPort, udpPort: udp.address().port };
  }

  /** Stops serving and drops every client; a second call does nothing. */
  async close(): Promise<void> {
    const tcp = this.#tcp;
    this.#tcp = undefined;
    this.#beacons?.stop();
    this.#beacons = undefined;
    this.#udp?.close();
    this.#udp = undefined;
    for (const connection of [...this.#connections]) connection.close();
    await new Promise<void>((resolve) => (tcp ? tcp.close(() => resolve()) : resolve()));
  }

  #answerSearch(bytes: Buffer, address: string, port: number, tcpPort: number): void {
    let messages: CaMessage[];
    try {
      messages = decodeDatagram(bytes, "request");
    } catch {
      return; // garbage on the search port is ignored, as RSRV does
    }
    const replies: CaMessage[] = [];
    for (const m of messages) {
      if (m.command !== "SEARCH" || m.direction !== "request") continue;
      if (this.#pvs.has(m.name)) {
        replies.push({
          command: "SEARCH",
          direction: "response",
          port: tcpPort,
          serverAddress: 0xffffffff, // "use the address this answer came from"
          cid: m.cid,
          version: CA_MINOR_PROTOCOL_REVISION,
        });
      } else if (m.reply === SEARCH.DO_REPLY) {
        replies.push({
          command: "NOT_FOUND",
          direction: "response",
          reply: SEARCH.DO_REPLY,
          version: m.version,
          cid: m.cid,
        });
      }
    }
    if (replies.length === 0) return;
    const datagram = encodeMessages(
      { command: "VERSION", direction: "response", version: CA_MINOR_PROTOCOL_REVISION },
      ...replies,
    );
    this.#udp?.send(datagram, port, address, () => {});
  }

  #serve(socket: Socket): void {
    const connection = new ServerConnection(socket, {
      pvs: this.#pvs,
      maxPayloadBytes: this.#options.maxArrayBytes,
      maxBufferedBytes: Math.max(64 * 1024 * 1024, 4 * this.#options.maxArrayBytes),
      onClose: () => this.#connections.delete(connection),
      ...(this.#onError ? { onError: this.#onError } : {}),
    });
    this.#connections.add(connection);
  }
}
