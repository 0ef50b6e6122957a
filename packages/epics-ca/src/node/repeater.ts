/**
 * The CA repeater. Servers send beacons to one well-known UDP port (EPICS_CA_REPEATER_PORT, 5065),
 * which only one socket on a host can own; the repeater owns it and forwards every datagram to each
 * client on the host that registered (REPEATER_REGISTER, answered by REPEATER_CONFIRM). libca starts
 * a caRepeater process when none runs; this client starts one in its own process instead, and any
 * CA client of the host (libca's too) may register with it.
 */
import { createSocket, type RemoteInfo, type Socket as UdpSocket } from "node:dgram";
import { networkInterfaces } from "node:os";
import { encodeMessages } from "../commands.js";
import { Command, HEADER_SIZE } from "../constants.js";
import { ipv4ToNumber } from "./ipv4.js";

interface Client {
  readonly address: string;
  readonly port: number;
}

export class CaRepeater {
  readonly #udp: UdpSocket;
  readonly #clients = new Map<string, Client>();

  private constructor(udp: UdpSocket) {
    this.#udp = udp;
    udp.on("message", (bytes, from) => this.#receive(bytes, from));
  }

  /** Owns `port` on `host` and starts repeating; undefined when another repeater owns it. */
  static start(port: number, host: string): Promise<CaRepeater | undefined> {
    const udp = createSocket("udp4");
    return new Promise((resolve) => {
      udp.once("error", () => {
        udp.close();
        resolve(undefined);
      });
      udp.bind(port, host, () => {
        udp.removeAllListeners("error");
        udp.on("error", () => {}); // a client gone between two datagrams is not fatal
        resolve(new CaRepeater(udp));
      });
    });
  }

  get clientCount(): number {
    return this.#clients.size;
  }

  close(): void {
    this.#udp.close();
    this.#clients.clear();
  }

  #receive(bytes: Buffer, from: RemoteInfo): void {
    if (bytes.length >= HEADER_SIZE && bytes.readUInt16BE(0) === Command.REPEATER_REGISTER) {
      this.#register(from);
      return;
    }
    if (bytes.length >= HEADER_SIZE && bytes.readUInt16BE(0) === Command.RSRV_IS_UP && bytes.readUInt32BE(12) === 0) {
      // A beacon without its server's address: the address it came from is the server's.
      bytes = Buffer.from(bytes);
      bytes.writeUInt32BE(ipv4ToNumber(from.address), 12);
    }
    for (const client of this.#clients.values()) {
      if (client.port === from.port && client.address === from.address) continue;
      this.#udp.send(bytes, client.port, client.address, () => {});
    }
  }

  #register(from: RemoteInfo): void {
    if (!isLocal(from.address)) return; // the repeater serves the clients of its own host
    this.#clients.set(`${from.address}:${from.port}`, { address: from.address, port: from.port });
    const confirm = encodeMessages({
      command: "REPEATER_CONFIRM",
      direction: "response",
      repeaterAddress: ipv4ToNumber(from.address),
    });
    this.#udp.send(confirm, from.port, from.address, () => {});
    this.#forgetGoneClients();
  }

  /**
   * A client whose port can be bound again has gone (caRepeater's own test): the kernel does not
   * report datagrams sent to a closed local port, so without this the list would only grow.
   */
  #forgetGoneClients(): void {
    for (const [key, client] of this.#clients) {
      const probe = createSocket("udp4");
      probe.once("error", () => probe.close());
      probe.bind(client.port, client.address, () => {
        this.#clients.delete(key);
        probe.close();
      });
    }
  }
}

function isLocal(address: string): boolean {
  if (address.startsWith("127.")) return true;
  return Object.values(networkInterfaces()).some((entries) => entries?.some((entry) => entry.address === address));
}
