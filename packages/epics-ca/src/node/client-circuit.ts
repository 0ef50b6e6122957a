/**
 * A client's virtual circuit to one server: the socket, the sans-I/O circuit, batched writes, the
 * requests waiting for their reply, echo keep-alive, and flow control.
 * - Keep-alive: after `connectionTimeoutMs` without a byte from the server an ECHO goes out; no
 *   answer within 5 s closes the circuit, so its channels disconnect and search again (libca).
 * - Flow control: when reads keep filling the socket's buffer the client is behind, so it sends
 *   EVENTS_OFF (the server then holds back monitors and keeps only their latest value) and
 *   EVENTS_ON once it has caught up, as libca does.
 */
import { connect, type Socket } from "node:net";
import { hostname, userInfo } from "node:os";
import { VirtualCircuit } from "../circuit.js";
import type { CaMessage } from "../commands.js";
import { CA_MINOR_PROTOCOL_REVISION } from "../constants.js";
import { BatchedWriter } from "./batched-writer.js";

const ECHO_TIMEOUT_MS = 5000;
/** A read this large filled the socket's buffer: more is waiting. */
const FULL_READ_BYTES = 64 * 1024;
/** Full reads in a row (about 1 MiB behind) before asking the server to hold back monitors. */
const FULL_READS_BEFORE_EVENTS_OFF = 16;

export interface PendingRequest {
  resolve(m: CaMessage): void;
  reject(e: Error): void;
}

export interface ClientCircuitOptions {
  readonly maxArrayBytes: number;
  readonly connectionTimeoutMs: number;
  readonly onMessage: (circuit: ClientCircuit, m: CaMessage) => void;
  readonly onClose: (circuit: ClientCircuit) => void;
}

export class ClientCircuit {
  readonly address: string;
  readonly circuit: VirtualCircuit;
  /** Channels attached to this circuit (the client's channel objects). */
  readonly channels = new Set<{ readonly cid: number }>();
  /** Reads and writes waiting for their reply, by ioid. */
  readonly pending = new Map<number, PendingRequest>();
  readonly #socket: Socket;
  readonly #writer: BatchedWriter;
  readonly #options: ClientCircuitOptions;
  #lastReceiveMs = Date.now();
  #keepAlive: NodeJS.Timeout | undefined;
  #echoPending = false;
  #fullReads = 0;
  #eventsOff = false;
  #closed = false;

  private constructor(address: string, socket: Socket, options: ClientCircuitOptions) {
    this.address = address;
    this.#socket = socket;
    this.#options = options;
    this.circuit = new VirtualCircuit("client", options.maxArrayBytes);
    this.#writer = new BatchedWriter(socket);
  }

  /** Connects and sends the handshake; rejects if the server cannot be reached. */
  static connect(host: string, port: number, options: ClientCircuitOptions): Promise<ClientCircuit> {
    const socket = connect(port, host);
    const circuit = new ClientCircuit(`${host}:${port}`, socket, options);
    return new Promise((resolve, reject) => {
      socket.once("error", reject);
      socket.once("connect", () => {
        socket.removeListener("error", reject);
        circuit.#start();
        resolve(circuit);
      });
    });
  }

  get closed(): boolean {
    return this.#closed;
  }

  send(...messages: CaMessage[]): void {
    if (!this.#closed) this.#writer.write(this.circuit.send(...messages));
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#keepAlive);
    this.#socket.destroy();
    this.circuit.disconnect();
    this.#options.onClose(this);
  }

  #start(): void {
    const socket = this.#socket;
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 60_000);
    socket.on("data", (chunk) => this.#receive(chunk));
    socket.on("error", () => this.close());
    socket.on("close", () => this.close());
    this.send(
      { command: "VERSION", direction: "request", priority: 0, version: CA_MINOR_PROTOCOL_REVISION },
      { command: "HOST_NAME", direction: "request", name: hostname() },
      { command: "CLIENT_NAME", direction: "request", name: userInfo().username },
    );
    this.#watch(this.#options.connectionTimeoutMs);
  }

  #receive(chunk: Buffer): void {
    this.#lastReceiveMs = Date.now();
    if (this.#echoPending) {
      // The server answered: back to watching for silence.
      this.#echoPending = false;
      clearTimeout(this.#keepAlive);
      this.#watch(this.#options.connectionTimeoutMs);
    }
    this.#flowControl(chunk.length);
    let messages: CaMessage[];
    try {
      messages = this.circuit.recv(chunk);
    } catch {
      this.close(); // a server that breaks the protocol loses the circuit
      return;
    }
    for (const m of messages) this.#options.onMessage(this, m);
  }

  #flowControl(bytes: number): void {
    if (bytes >= FULL_READ_BYTES) {
      this.#fullReads++;
      if (this.#fullReads >= FULL_READS_BEFORE_EVENTS_OFF && !this.#eventsOff) {
        this.#eventsOff = true;
        this.send({ command: "EVENTS_OFF", direction: "request" });
      }
      return;
    }
    this.#fullReads = 0;
    if (this.#eventsOff) {
      this.#eventsOff = false;
      this.send({ command: "EVENTS_ON", direction: "request" });
    }
  }

  /** Checks for silence every `delayMs`; one timer per circuit, not one per received chunk. */
  #watch(delayMs: number): void {
    this.#keepAlive = setTimeout(() => {
      const silentMs = Date.now() - this.#lastReceiveMs;
      const timeoutMs = this.#options.connectionTimeoutMs;
      if (silentMs < timeoutMs) {
        this.#watch(timeoutMs - silentMs);
        return;
      }
      this.send({ command: "ECHO", direction: "request" });
      this.#echoPending = true;
      this.#keepAlive = setTimeout(() => this.close(), ECHO_TIMEOUT_MS);
    }, delayMs);
  }
}
