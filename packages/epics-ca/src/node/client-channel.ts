/**
 * A client's channel to one PV: connects (and reconnects) by itself through its client, and offers
 * get, put (with or without completion) and monitors, which are made again on every reconnection.
 */
import type { CaMessage } from "../commands.js";
import { ACCESS, CA_MINOR_PROTOCOL_REVISION, DBE, DBR_BASE, type DbrBase, type DbrClass, ECA } from "../constants.js";
import { type DbrArray, type DbrData, dbrLayout, dbrType, decodeDbr, encodeDbr } from "../dbr.js";
import type { ClientCircuit } from "./client-circuit.js";

/** A value read from a channel, with the metadata of the DBR type it was read as. */
export interface ChannelValue extends DbrData {
  readonly dataType: number;
}

/** An ECA status other than NORMAL, from the server or the client (TIMEOUT, DISCONN). */
export class CaRequestError extends Error {
  override readonly name = "CaRequestError";
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

/** What a channel needs from its client. */
export interface ChannelOwner {
  nextId(): number;
  request(circuit: ClientCircuit, timeoutMs: number, make: (ioid: number) => CaMessage): Promise<CaMessage>;
  forget(channel: ClientChannel): void;
}

export interface Monitor {
  readonly subscriptionId: number;
  readonly dataType: number | undefined;
  readonly dataClass: DbrClass;
  readonly count: number;
  readonly mask: number;
  readonly listener: (value: ChannelValue) => void;
}

export class ClientChannel {
  readonly name: string;
  readonly cid: number;
  /** Called on every connection change. */
  onConnection: ((connected: boolean) => void) | undefined;
  /** Called when the access rights change, and on every connection (ACCESS bits: 1 read, 2 write). */
  onAccessRights: ((rights: number) => void) | undefined;
  nativeType = -1;
  nativeCount = 0;
  accessRights = 0;
  readonly monitors = new Map<number, Monitor>();
  readonly #owner: ChannelOwner;
  #circuit: ClientCircuit | undefined;
  #sid = 0;
  #waiters: Array<() => void> = [];
  #closed = false;

  constructor(owner: ChannelOwner, name: string, cid: number) {
    this.#owner = owner;
    this.name = name;
    this.cid = cid;
  }

  get connected(): boolean {
    return this.#circuit !== undefined && this.#sid !== 0;
  }

  get closed(): boolean {
    return this.#closed;
  }

  get nativeBase(): DbrBase {
    return DBR_BASE[this.nativeType] ?? "DOUBLE";
  }

  /** `host:port` of the server, while connected. */
  get serverAddress(): string | undefined {
    return this.connected ? this.#circuit?.address : undefined;
  }

  /** Resolves once connected; rejects after `timeoutMs`. */
  wait(timeoutMs = 5000): Promise<void> {
    if (this.connected) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const wake = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w !== wake);
        reject(new CaRequestError(`${this.name}: not connected within ${timeoutMs} ms`, ECA.TIMEOUT));
      }, timeoutMs);
      this.#waiters.push(wake);
    });
  }

  /** Reads the value as `dataType` (default: TIME of the native type); count 0 asks for what it holds. */
  async get(options: { dataType?: number; count?: number; timeoutMs?: number } = {}): Promise<ChannelValue> {
    const circuit = this.#require(ACCESS.READ, "read");
    const dataType = options.dataType ?? dbrType("TIME", this.nativeBase);
    const reply = await this.#owner.request(circuit, options.timeoutMs ?? 5000, (ioid) => ({
      command: "READ_NOTIFY",
      direction: "request",
      dataType,
      dataCount: options.count ?? this.nativeCount,
      sid: this.#sid,
      ioid,
    }));
    if (reply.command !== "READ_NOTIFY" || reply.direction !== "response") throw new Error("unexpected reply");
    if (reply.status !== ECA.NORMAL)
      throw new CaRequestError(`${this.name}: read failed (ECA ${reply.status})`, reply.status);
    return decodeValue(reply.dataType, reply.dataCount, reply.data);
  }

  /**
   * Writes a value (given as `base`, default the native type). With `notify` (the default) it
   * waits for the server to complete the write (WRITE_NOTIFY, `caput -c`); without, it returns once
   * the request is sent (WRITE).
   */
  async put(value: DbrArray, options: { base?: DbrBase; timeoutMs?: number; notify?: boolean } = {}): Promise<void> {
    const circuit = this.#require(ACCESS.WRITE, "write");
    const layout = dbrLayout(dbrType("PLAIN", options.base ?? this.nativeBase));
    if (!layout) throw new Error(`no DBR type for ${options.base}`);
    const request = {
      dataType: layout.type,
      dataCount: value.length,
      sid: this.#sid,
      data: encodeDbr(layout, { value }),
    };
    if (options.notify === false) {
      circuit.send({ command: "WRITE", direction: "request", ioid: this.#owner.nextId(), ...request });
      return;
    }
    const reply = await this.#owner.request(circuit, options.timeoutMs ?? 5000, (ioid) => ({
      command: "WRITE_NOTIFY",
      direction: "request",
      ioid,
      ...request,
    }));
    if (reply.command !== "WRITE_NOTIFY" || reply.direction !== "response") throw new Error("unexpected reply");
    if (reply.status !== ECA.NORMAL)
      throw new CaRequestError(`${this.name}: write failed (ECA ${reply.status})`, reply.status);
  }

  /**
   * Subscribes to changes (mask: DBE_VALUE | DBE_ALARM by default; count 0: as many elements as the
   * PV holds at each update). The type is `dataType`, or else `dataClass` (default TIME) of the native
   * type, found again at each connection. The listener gets the current value at once. Returns the
   * cancel function.
   */
  monitor(
    listener: (value: ChannelValue) => void,
    options: { dataType?: number; dataClass?: DbrClass; count?: number; mask?: number } = {},
  ): () => void {
    const monitor: Monitor = {
      subscriptionId: this.#owner.nextId(),
      dataType: options.dataType,
      dataClass: options.dataClass ?? "TIME",
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
    const circuit = this.#circuit;
    if (this.connected)
      circuit?.send({ command: "CLEAR_CHANNEL", direction: "request", sid: this.#sid, cid: this.cid });
    this.monitors.clear();
    this.#waiters = [];
    this.detach();
    this.#owner.forget(this);
    // A circuit without channels is closed, as libca does, so that nothing outlives its use.
    if (circuit?.channels.size === 0) circuit.close();
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
    this.onAccessRights?.(this.accessRights);
  }

  rightsChanged(rights: number): void {
    const changed = rights !== this.accessRights;
    this.accessRights = rights;
    if (changed && this.connected) this.onAccessRights?.(rights);
  }

  update(subscriptionId: number, m: CaMessage): void {
    if (m.command !== "EVENT_ADD" || m.direction !== "response" || m.status !== ECA.NORMAL) return;
    this.monitors.get(subscriptionId)?.listener(decodeValue(m.dataType, m.dataCount, m.data));
  }

  /** The circuit or the server dropped the channel. */
  detach(): void {
    const was = this.connected;
    this.#circuit?.channels.delete(this);
    this.#circuit = undefined;
    this.#sid = 0;
    if (was && !this.#closed) this.onConnection?.(false);
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
    return monitor.dataType ?? dbrType(monitor.dataClass, this.nativeBase);
  }

  #require(right: number, what: string): ClientCircuit {
    if (!this.#circuit || !this.connected) throw new CaRequestError(`${this.name} is not connected`, ECA.DISCONN);
    if (!(this.accessRights & right)) {
      const status = right === ACCESS.READ ? ECA.NORDACCESS : ECA.NOWTACCESS;
      throw new CaRequestError(`${this.name}: no ${what} access`, status);
    }
    return this.#circuit;
  }
}

function decodeValue(dataType: number, dataCount: number, payload: Uint8Array): ChannelValue {
  const layout = dbrLayout(dataType);
  if (!layout) throw new Error(`unknown DBR type ${dataType}`);
  return { ...decodeDbr(layout, dataCount, payload), dataType };
}
