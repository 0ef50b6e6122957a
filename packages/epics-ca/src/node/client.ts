/**
 * A Channel Access client on Node's `dgram` and `net`: name search over UDP to an address list
 * with back-off, one virtual circuit per server, channels that reconnect (searching again) when
 * their circuit or server drops them, get, put with completion, and monitors that are re-made on
 * reconnection. The protocol itself is the sans-I/O VirtualCircuit.
 *
 * Not yet here (issue 3 continues): beacons and the repeater, echo keep-alive, flow control.
 */
import { createSocket, type Socket as UdpSocket } from "node:dgram";
import { connect, type Socket } from "node:net";
import { hostname, userInfo } from "node:os";
import { VirtualCircuit } from "../circuit.js";
import { type CaMessage, encodeMessages } from "../commands.js";
import { CA_MINOR_PROTOCOL_REVISION, DBE, DBR_BASE, type DbrBase, ECA, SEARCH } from "../constants.js";
import { type DbrArray, type DbrData, dbrLayout, dbrType, decodeDbr, encodeDbr } from "../dbr.js";
import { decodeDatagram } from "../message-reader.js";
import { type CaClientEnvOptions, caClientOptionsFromEnv } from "./env.js";

/** Options not given come from the EPICS environment variables, as libca reads them (`env.ts`). */
export interface CaClientOptions extends Partial<CaClientEnvOptions> {
  /** First search retry delay; doubles up to `maxSearchIntervalMs`. */
  readonly searchIntervalMs?: number;
}

/** A value read from a channel, with the metadata of the DBR type it was read as. */
export interface ChannelValue extends DbrData {
  readonly dataType: number;
}

/** An ECA status other than NORMAL, from the server. */
export class CaRequestError extends Error {
  override readonly name = "CaRequestError";
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

interface Pending {
  resolve(m: CaMessage): void;
  reject(e: Error): void;
}

interface Monitor {
  readonly subscriptionId: number;
  readonly dataType: number | undefined;
  readonly count: number;
  readonly mask: number;
  readonly listener: (value: ChannelValue) => void;
}

class ClientCircuit {
  readonly circuit: VirtualCircuit;
  readonly socket: Socket;
  readonly channels = new Set<ClientChannel>();

  constructor(socket: Socket, maxPayloadBytes: number) {
    this.socket = socket;
    this.circuit = new VirtualCircuit("client", maxPayloadBytes);
  }

  send(...messages: CaMessage[]): void {
    if (!this.socket.destroyed) this.socket.write(this.circuit.send(...messages));
  }
}

export class ClientChannel {
  readonly name: string;
  readonly cid: number;
  /** Called on every connection change (and access-rights change while connected). */
  onConnection: ((connected: boolean) => void) | undefined;
  #client: CaClient;
  #circuit: ClientCircuit | undefined;
  #sid = 0;
  nativeType = -1;
  nativeCount = 0;
  accessRights = 0;
  readonly monitors = new Map<number, Monitor>();
  #waiters: Array<() => void> = [];
  #closed = false;

  constructor(client: CaClient, name: string, cid: number) {
    this.#client = client;
    this.name = name;
    this.cid = cid;
  }

  get connected(): boolean {
    return this.#circuit !== undefined && this.#sid !== 0;
  }

  get nativeBase(): DbrBase {
    return DBR_BASE[this.nativeType] ?? "DOUBLE";
  }

  /** Resolves once connected; rejects after `timeoutMs`. */
  wait(timeoutMs = 5000): Promise<void> {
    if (this.connected) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new CaRequestError(`${this.name}: not connected within ${timeoutMs} ms`, ECA.TIMEOUT)),
        timeoutMs,
      );
      this.#waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Reads the value as `dataType` (default: TIME of the native type). */
  async get(options: { dataType?: number; count?: number; timeoutMs?: number } = {}): Promise<ChannelValue> {
    const circuit = this.#require();
    const dataType = options.dataType ?? dbrType("TIME", this.nativeBase);
    const count = options.count ?? this.nativeCount;
    const reply = await this.#client.request(circuit, options.timeoutMs ?? 5000, (ioid) => ({
      command: "READ_NOTIFY",
      direction: "request",
      dataType,
      dataCount: count,
      sid: this.#sid,
      ioid,
    }));
    if (reply.command !== "READ_NOTIFY" || reply.direction !== "response") throw new Error("unexpected reply");
    if (reply.status !== ECA.NORMAL)
      throw new CaRequestError(`${this.name}: read failed (ECA ${reply.status})`, reply.status);
    return decodeValue(reply.dataType, reply.dataCount, reply.data);
  }

  /** Writes a value (converted from `base`, default the native type) and waits for completion. */
  async put(value: DbrArray, options: { base?: DbrBase; timeoutMs?: number } = {}): Promise<void> {
    const circuit = this.#require();
    const base = options.base ?? this.nativeBase;
    const layout = dbrLayout(dbrType("PLAIN", base));
    if (!layout) throw new Error(`no DBR type for ${base}`);
    const data = encodeDbr(layout, { value });
    const reply = await this.#client.request(circuit, options.timeoutMs ?? 5000, (ioid) => ({
      command: "WRITE_NOTIFY",
      direction: "request",
      dataType: layout.type,
      dataCount: value.length,
      sid: this.#sid,
      ioid,
      data,
    }));
    if (reply.command !== "WRITE_NOTIFY" || reply.direction !== "response") throw new Error("unexpected reply");
    if (reply.status !== ECA.NORMAL)
      throw new CaRequestError(`${this.name}: write failed (ECA ${reply.status})`, reply.status);
  }

  /** Subscribes to changes; the listener also gets the current value at once. Returns the cancel function. */
  monitor(
    listener: (value: ChannelValue) => void,
    options: { dataType?: number; count?: number; mask?: number } = {},
  ): () => void {
    const monitor: Monitor = {
      subscriptionId: this.#client.nextId(),
      dataType: options.dataType,
      count: options.count ?? 0,
      mask: options.mask ?? DBE.VALUE | DBE.ALARM,
      listener,
    };
    this.monitors.set(monitor.subscriptionId, monitor);
    if (this.connected) this.#subscribe(monitor);
    return () => {
      if (!this.monitors.delete(monitor.subscriptionId) || !this.connected) return;
      this.#circuit?.send({
        command: "EVENT_CANCEL",
        direction: "request",
        dataType: this.#monitorType(monitor),
        dataCount: monitor.count,
        sid: this.#sid,
        subscriptionId: monitor.subscriptionId,
      });
    };
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.connected)
      this.#circuit?.send({ command: "CLEAR_CHANNEL", direction: "request", sid: this.#sid, cid: this.cid });
    this.monitors.clear();
    this.#client.forget(this);
  }

  get closed(): boolean {
    return this.#closed;
  }

  // --- called by the client ---

  attach(circuit: ClientCircuit): void {
    this.#circuit = circuit;
    circuit.channels.add(this);
    circuit.circuit.newChannel(this.cid, this.name);
    circuit.send({
      command: "CREATE_CHAN",
      direction: "request",
      name: this.name,
      cid: this.cid,
      version: CA_MINOR_PROTOCOL_REVISION,
    });
  }

  created(sid: number, nativeType: number, nativeCount: number): void {
    this.#sid = sid;
    this.nativeType = nativeType;
    this.nativeCount = nativeCount;
    for (const monitor of this.monitors.values()) this.#subscribe(monitor);
    for (const wake of this.#waiters.splice(0)) wake();
    this.onConnection?.(true);
  }

  /** The circuit or the server dropped the channel. */
  detach(): void {
    const was = this.connected;
    this.#circuit?.channels.delete(this);
    this.#circuit = undefined;
    this.#sid = 0;
    if (was) this.onConnection?.(false);
  }

  #subscribe(monitor: Monitor): void {
    this.#circuit?.send({
      command: "EVENT_ADD",
      direction: "request",
      dataType: this.#monitorType(monitor),
      dataCount: monitor.count,
      sid: this.#sid,
      subscriptionId: monitor.subscriptionId,
      mask: monitor.mask,
    });
  }

  #monitorType(monitor: Monitor): number {
    return monitor.dataType ?? dbrType("TIME", this.nativeBase);
  }

  #require(): ClientCircuit {
    if (!this.#circuit || !this.connected) throw new CaRequestError(`${this.name} is not connected`, ECA.DISCONN);
    return this.#circuit;
  }
}

export class CaClient {
  readonly #options: Required<CaClientOptions>;
  readonly #udp: UdpSocket;
  readonly #channels = new Map<number, ClientChannel>();
  readonly #circuits = new Map<string, ClientCircuit>();
  readonly #pending = new Map<number, Pending>();
  readonly #searching = new Map<ClientChannel, { timer: NodeJS.Timeout; delay: number }>();
  #nextId = 1;
  #closed = false;

  constructor(options: CaClientOptions = {}) {
    this.#options = { ...caClientOptionsFromEnv(), searchIntervalMs: 30, ...options };
    this.#udp = createSocket("udp4");
    this.#udp.on("message", (bytes, from) => this.#searchReply(bytes, from.address));
    this.#udp.on("error", () => {});
    this.#udp.bind(0);
  }

  nextId(): number {
    return this.#nextId++;
  }

  /** A channel to `name`; it connects (and reconnects) by itself. */
  channel(name: string): ClientChannel {
    const channel = new ClientChannel(this, name, this.nextId());
    this.#channels.set(channel.cid, channel);
    this.#search(channel, this.#options.searchIntervalMs);
    return channel;
  }

  close(): void {
    this.#closed = true;
    for (const { timer } of this.#searching.values()) clearTimeout(timer);
    this.#searching.clear();
    for (const p of this.#pending.values()) p.reject(new CaRequestError("client closed", ECA.DISCONN));
    this.#pending.clear();
    for (const c of this.#circuits.values()) c.socket.destroy();
    this.#udp.close();
  }

  /** Sends a request with a fresh ioid and resolves with its reply. */
  request(circuit: ClientCircuit, timeoutMs: number, make: (ioid: number) => CaMessage): Promise<CaMessage> {
    const ioid = this.nextId();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(ioid);
        reject(new CaRequestError(`no reply within ${timeoutMs} ms`, ECA.TIMEOUT));
      }, timeoutMs);
      this.#pending.set(ioid, {
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      circuit.send(make(ioid));
    });
  }

  forget(channel: ClientChannel): void {
    this.#channels.delete(channel.cid);
    const search = this.#searching.get(channel);
    if (search) clearTimeout(search.timer);
    this.#searching.delete(channel);
  }

  #search(channel: ClientChannel, delay: number): void {
    if (this.#closed || channel.closed) return;
    const datagram = encodeMessages(
      { command: "VERSION", direction: "request", priority: 0, version: CA_MINOR_PROTOCOL_REVISION },
      {
        command: "SEARCH",
        direction: "request",
        name: channel.name,
        cid: channel.cid,
        version: CA_MINOR_PROTOCOL_REVISION,
        reply: SEARCH.DONT_REPLY,
      },
    );
    for (const entry of this.#options.addressList) {
      const [host, port] = entry.includes(":") ? entry.split(":") : [entry, String(this.#options.serverPort)];
      this.#udp.send(datagram, Number(port), host);
    }
    const next = Math.min(delay * 2, this.#options.maxSearchIntervalMs);
    this.#searching.set(channel, { timer: setTimeout(() => this.#search(channel, next), delay), delay });
  }

  #searchReply(bytes: Buffer, from: string): void {
    let messages: CaMessage[];
    try {
      messages = decodeDatagram(bytes, "response");
    } catch {
      return;
    }
    for (const m of messages) {
      if (m.command !== "SEARCH" || m.direction !== "response") continue;
      const channel = this.#channels.get(m.cid);
      const search = channel && this.#searching.get(channel);
      if (!channel || !search) continue; // answered already, or gone
      clearTimeout(search.timer);
      this.#searching.delete(channel);
      const host = m.serverAddress === 0xffffffff ? from : ipv4(m.serverAddress);
      this.#circuitFor(host, m.port).then(
        (circuit) => channel.attach(circuit),
        () => this.#search(channel, this.#options.searchIntervalMs),
      );
    }
  }

  #circuitFor(host: string, port: number): Promise<ClientCircuit> {
    const key = `${host}:${port}`;
    const existing = this.#circuits.get(key);
    if (existing && !existing.socket.destroyed) return Promise.resolve(existing);
    return new Promise((resolve, reject) => {
      const socket = connect(port, host);
      socket.setNoDelay(true);
      const circuit = new ClientCircuit(socket, this.#options.maxArrayBytes);
      this.#circuits.set(key, circuit);
      socket.once("connect", () => {
        circuit.send(
          { command: "VERSION", direction: "request", priority: 0, version: CA_MINOR_PROTOCOL_REVISION },
          { command: "HOST_NAME", direction: "request", name: hostname() },
          { command: "CLIENT_NAME", direction: "request", name: userInfo().username },
        );
        resolve(circuit);
      });
      socket.on("data", (chunk) => {
        try {
          for (const m of circuit.circuit.recv(chunk)) this.#handle(circuit, m);
        } catch {
          socket.destroy(); // a server that breaks the protocol loses the circuit
        }
      });
      socket.on("error", reject);
      socket.on("close", () => {
        this.#circuits.delete(key);
        circuit.circuit.disconnect();
        for (const channel of [...circuit.channels]) {
          channel.detach();
          this.#search(channel, this.#options.searchIntervalMs);
        }
      });
    });
  }

  #handle(circuit: ClientCircuit, m: CaMessage): void {
    if (m.direction !== "response") return;
    switch (m.command) {
      case "CREATE_CHAN":
        this.#channels.get(m.cid)?.created(m.sid, m.dataType, m.dataCount);
        return;
      case "ACCESS_RIGHTS": {
        const channel = this.#channels.get(m.cid);
        if (channel) channel.accessRights = m.accessRights;
        return;
      }
      case "CREATE_CH_FAIL":
      case "SERVER_DISCONN": {
        const channel = this.#channels.get(m.cid);
        if (!channel) return;
        channel.detach();
        this.#search(channel, this.#options.searchIntervalMs);
        return;
      }
      case "READ_NOTIFY":
      case "WRITE_NOTIFY": {
        const pending = this.#pending.get(m.ioid);
        this.#pending.delete(m.ioid);
        pending?.resolve(m);
        return;
      }
      case "EVENT_ADD": {
        if (m.dataCount === 0 && m.data.length === 0) return; // cancel confirmed
        for (const channel of circuit.channels) {
          const monitor = channel.monitors.get(m.subscriptionId);
          if (monitor && m.status === ECA.NORMAL) monitor.listener(decodeValue(m.dataType, m.dataCount, m.data));
        }
        return;
      }
      default:
        return;
    }
  }
}

function decodeValue(dataType: number, dataCount: number, payload: Uint8Array): ChannelValue {
  const layout = dbrLayout(dataType);
  if (!layout) throw new Error(`unknown DBR type ${dataType}`);
  return { ...decodeDbr(layout, dataCount, payload), dataType };
}

function ipv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
}
