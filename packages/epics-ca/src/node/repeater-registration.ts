/**
 * A client's registration with the host's repeater, so that beacons reach its UDP socket: it starts
 * the repeater when none runs, registers, and checks again every minute (starting a repeater if the
 * one it had has gone, as libca's repeater registration does).
 */
import type { Socket as UdpSocket } from "node:dgram";
import { encodeMessages } from "../commands.js";
import { CaRepeater } from "./repeater.js";

const CONFIRM_TIMEOUT_MS = 1000;
const RECHECK_MS = 60_000;

export class RepeaterRegistration {
  readonly #udp: UdpSocket;
  readonly #port: number;
  readonly #host: string;
  #repeater: CaRepeater | undefined;
  #confirmed = false;
  #closed = false;
  #timer: NodeJS.Timeout | undefined;

  /** `host` is where a repeater this client starts listens (loopback unless beacons come from afar). */
  constructor(udp: UdpSocket, port: number, host: string) {
    this.#udp = udp;
    this.#port = port;
    this.#host = host;
  }

  /** The repeater this client runs, if it runs one. */
  get repeater(): CaRepeater | undefined {
    return this.#repeater;
  }

  get confirmed(): boolean {
    return this.#confirmed;
  }

  start(): void {
    void this.#startRepeaterAndRegister();
  }

  /** The repeater answered with REPEATER_CONFIRM. */
  confirm(): void {
    this.#confirmed = true;
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#repeater?.close();
    this.#repeater = undefined;
  }

  async #startRepeaterAndRegister(): Promise<void> {
    this.#repeater ??= await CaRepeater.start(this.#port, this.#host);
    if (this.#closed) {
      this.#repeater?.close();
      return;
    }
    this.#register();
  }

  #register(): void {
    this.#confirmed = false;
    const register = encodeMessages({ command: "REPEATER_REGISTER", direction: "request", clientAddress: 0 });
    this.#udp.send(register, this.#port, "127.0.0.1", () => {});
    this.#timer = setTimeout(() => this.#check(), CONFIRM_TIMEOUT_MS);
  }

  #check(): void {
    if (this.#confirmed) this.#timer = setTimeout(() => this.#register(), RECHECK_MS);
    else void this.#startRepeaterAndRegister();
  }
}
