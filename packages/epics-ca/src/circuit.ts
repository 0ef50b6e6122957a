/**
 * A virtual circuit (one TCP connection between a CA client and a server) without I/O, in caproto's
 * shape: `send(...messages)` checks them against the circuit's and their channel's life cycles and
 * returns the bytes to write; `recv(chunk)` parses what arrived, applies it, and returns the
 * messages. The caller owns the socket. A protocol violation throws CaStateError (its `remote`
 * says who broke the protocol) or CaProtocolError (garbage bytes).
 */
import { type CaMessage, encodeMessages } from "./commands.js";
import { MessageReader } from "./message-reader.js";
import {
  CaStateError,
  CHANNEL_TRANSITIONS,
  ChannelState,
  CIRCUIT_TRANSITIONS,
  CircuitState,
  type Flow,
  nextState,
  type Role,
} from "./states.js";

/** What the circuit knows of one channel. */
export interface CircuitChannel {
  readonly cid: number;
  readonly name: string;
  sid?: number;
  state: ChannelState;
  /** Native DBR type and element count, from the CREATE_CHAN answer. */
  nativeType?: number;
  nativeCount?: number;
  /** ACCESS bits (1 read, 2 write). */
  accessRights: number;
}

export class VirtualCircuit {
  readonly role: Role;
  state: CircuitState;
  /** The peer's minor protocol version, once known. */
  peerVersion: number | undefined;
  readonly #reader: MessageReader;
  readonly #byCid = new Map<number, CircuitChannel>();
  readonly #bySid = new Map<number, CircuitChannel>();
  /** Outstanding read/write (by ioid) and monitors (by subscription id), to find their channel. */
  readonly #ioids = new Map<number, CircuitChannel>();
  readonly #subscriptions = new Map<number, CircuitChannel>();

  constructor(role: Role, maxPayloadBytes: number) {
    this.role = role;
    this.state = role === "client" ? CircuitState.SEND_VERSION_REQUEST : CircuitState.AWAIT_VERSION_REQUEST;
    this.#reader = new MessageReader(role === "client" ? "response" : "request", maxPayloadBytes);
  }

  get channels(): IterableIterator<CircuitChannel> {
    return this.#byCid.values();
  }

  channelByCid(cid: number): CircuitChannel | undefined {
    return this.#byCid.get(cid);
  }

  channelBySid(sid: number): CircuitChannel | undefined {
    return this.#bySid.get(sid);
  }

  /** The channel a monitor (EVENT_ADD subscription) belongs to. */
  channelBySubscription(subscriptionId: number): CircuitChannel | undefined {
    return this.#subscriptions.get(subscriptionId);
  }

  /** A client channel about to be created on this circuit. */
  newChannel(cid: number, name: string): CircuitChannel {
    if (this.#byCid.has(cid)) throw new CaStateError(`cid ${cid} is in use on this circuit`, false);
    const channel: CircuitChannel = { cid, name, state: ChannelState.SEND_CREATE_CHAN_REQUEST, accessRights: 0 };
    this.#byCid.set(cid, channel);
    return channel;
  }

  /** Checks and applies messages we send; returns their bytes. */
  send(...messages: CaMessage[]): Uint8Array {
    for (const m of messages) this.#apply("send", m);
    return encodeMessages(...messages);
  }

  /** Parses, checks and applies what the peer sent. */
  recv(chunk: Uint8Array): CaMessage[] {
    const messages = this.#reader.feed(chunk);
    for (const m of messages) this.#apply("recv", m);
    return messages;
  }

  /** The connection is gone: every channel closes. */
  disconnect(): void {
    this.state = CircuitState.DISCONNECTED;
    for (const channel of this.#byCid.values()) channel.state = ChannelState.CLOSED;
    this.#ioids.clear();
    this.#subscriptions.clear();
  }

  #apply(flow: Flow, m: CaMessage): void {
    this.state = nextState(CIRCUIT_TRANSITIONS, this.role, this.state, flow, m);
    if (m.command === "VERSION" && flow === "recv") this.peerVersion = m.version;
    const channel = this.#channelOf(flow, m);
    if (!channel) return;
    channel.state = nextState(CHANNEL_TRANSITIONS, this.role, channel.state, flow, m);
    this.#record(m, channel);
  }

  /** The channel a message concerns, creating the server's record on CREATE_CHAN. */
  #channelOf(flow: Flow, m: CaMessage): CircuitChannel | undefined {
    const remote = flow === "recv";
    const lookup = (map: Map<number, CircuitChannel>, id: number, what: string) => {
      const channel = map.get(id);
      if (!channel) throw new CaStateError(`${m.command} names unknown ${what} ${id}`, remote);
      return channel;
    };
    switch (m.command) {
      case "CREATE_CHAN":
        if (m.direction === "request" && this.role === "server") {
          if (this.#byCid.has(m.cid)) throw new CaStateError(`cid ${m.cid} is in use on this circuit`, true);
          const channel: CircuitChannel = {
            cid: m.cid,
            name: m.name,
            state: ChannelState.SEND_CREATE_CHAN_REQUEST,
            accessRights: 0,
          };
          this.#byCid.set(m.cid, channel);
          return channel;
        }
        return lookup(this.#byCid, m.cid, "cid");
      case "CREATE_CH_FAIL":
      case "ACCESS_RIGHTS":
      case "SERVER_DISCONN":
        return lookup(this.#byCid, m.cid, "cid");
      case "CLEAR_CHANNEL":
        return lookup(this.#byCid, m.cid, "cid");
      case "READ_NOTIFY":
      case "WRITE_NOTIFY":
        return m.direction === "request" ? lookup(this.#bySid, m.sid, "sid") : lookup(this.#ioids, m.ioid, "ioid");
      case "WRITE":
        return lookup(this.#bySid, m.sid, "sid");
      case "EVENT_ADD":
        return m.direction === "request"
          ? lookup(this.#bySid, m.sid, "sid")
          : lookup(this.#subscriptions, m.subscriptionId, "subscription");
      case "EVENT_CANCEL":
        return lookup(this.#bySid, m.sid, "sid");
      case "ERROR":
        // An ERROR about a channel names it; one about the circuit (cid 0 or unknown) does not.
        return this.#byCid.get(m.cid)?.state === ChannelState.CONNECTED ? this.#byCid.get(m.cid) : undefined;
      default:
        return undefined;
    }
  }

  /** Bookkeeping that later messages need: sids, ioids, subscription ids, access rights, types. */
  #record(m: CaMessage, channel: CircuitChannel): void {
    switch (m.command) {
      case "CREATE_CHAN":
        if (m.direction === "response") {
          channel.sid = m.sid;
          channel.nativeType = m.dataType;
          channel.nativeCount = m.dataCount;
          this.#bySid.set(m.sid, channel);
        }
        return;
      case "ACCESS_RIGHTS":
        channel.accessRights = m.accessRights;
        return;
      case "READ_NOTIFY":
      case "WRITE_NOTIFY":
        if (m.direction === "request") this.#ioids.set(m.ioid, channel);
        else this.#ioids.delete(m.ioid);
        return;
      case "EVENT_ADD":
        if (m.direction === "request") this.#subscriptions.set(m.subscriptionId, channel);
        // An EVENT_ADD answer with no data confirms an EVENT_CANCEL: the subscription is over.
        else if (m.dataCount === 0 && m.data.length === 0) this.#subscriptions.delete(m.subscriptionId);
        return;
      case "CLEAR_CHANNEL":
      case "SERVER_DISCONN":
      case "CREATE_CH_FAIL":
        if (channel.state === ChannelState.CLOSED || channel.state === ChannelState.FAILED) this.#forget(channel);
        return;
    }
  }

  #forget(channel: CircuitChannel): void {
    this.#byCid.delete(channel.cid);
    if (channel.sid !== undefined) this.#bySid.delete(channel.sid);
    for (const [id, c] of this.#ioids) if (c === channel) this.#ioids.delete(id);
    for (const [id, c] of this.#subscriptions) if (c === channel) this.#subscriptions.delete(id);
  }
}
