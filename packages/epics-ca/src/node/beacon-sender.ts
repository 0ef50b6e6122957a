/**
 * A server's beacons (RSRV_IS_UP): sent at once, then at intervals doubling from 20 ms up to the
 * beacon period, as RSRV does, so that clients see a (re)started server within milliseconds and a
 * steady one costs one datagram per period. The beacon id counts up; a restart starts it again.
 */
import type { Socket as UdpSocket } from "node:dgram";
import { encodeMessages } from "../commands.js";
import { CA_MINOR_PROTOCOL_REVISION } from "../constants.js";

const FIRST_INTERVAL_MS = 20;

export interface BeaconTarget {
  readonly host: string;
  readonly port: number;
}

export class BeaconSender {
  readonly #udp: UdpSocket;
  readonly #targets: readonly BeaconTarget[];
  readonly #tcpPort: number;
  readonly #serverAddress: number;
  readonly #periodMs: number;
  #beaconId = 0;
  #interval = FIRST_INTERVAL_MS;
  #timer: NodeJS.Timeout | undefined;

  /** `serverAddress` 0 lets the receiver use the datagram's source address. */
  constructor(
    udp: UdpSocket,
    targets: readonly BeaconTarget[],
    tcpPort: number,
    serverAddress: number,
    periodMs: number,
  ) {
    this.#udp = udp;
    this.#targets = targets;
    this.#tcpPort = tcpPort;
    this.#serverAddress = serverAddress;
    this.#periodMs = periodMs;
  }

  start(): void {
    if (this.#targets.length > 0) this.#send();
  }

  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #send(): void {
    const beacon = encodeMessages({
      command: "RSRV_IS_UP",
      direction: "response",
      version: CA_MINOR_PROTOCOL_REVISION,
      port: this.#tcpPort,
      beaconId: this.#beaconId,
      serverAddress: this.#serverAddress,
    });
    this.#beaconId = (this.#beaconId + 1) >>> 0;
    for (const target of this.#targets) this.#udp.send(beacon, target.port, target.host, () => {});
    this.#timer = setTimeout(() => this.#send(), this.#interval);
    this.#timer.unref();
    this.#interval = Math.min(this.#interval * 2, this.#periodMs);
  }
}
