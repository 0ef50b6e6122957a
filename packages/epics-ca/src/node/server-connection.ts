/**
 * One client's virtual circuit on a CA server: answers its requests, keeps its monitors, and holds
 * back monitor updates while the client is slow (or has sent EVENTS_OFF). A held-back monitor is
 * sent once, with the latest value, when the socket drains, as RSRV conflates its event queue; so a
 * client that stops reading costs a bounded amount of memory. Past `maxBufferedBytes` of unread
 * replies the circuit is dropped.
 */
import type { Socket } from "node:net";
import { VirtualCircuit } from "../circuit.js";
import { type CaMessage, CaProtocolError, encodeMonitorUpdate } from "../commands.js";
import { ACCESS, CA_MINOR_PROTOCOL_REVISION, DBE, DBR_BASE, type DbrBase, ECA, MAX_STRING_SIZE } from "../constants.js";
import { type DbrLayout, dbrLayout, dbrSize, decodeDbr } from "../dbr.js";
import { CaStateError } from "../states.js";
import { BatchedWriter } from "./batched-writer.js";
import type { ServerPv } from "./pv.js";

/** Unread bytes past which monitor updates wait for the socket to drain. */
const CONGESTED_BYTES = 1024 * 1024;

interface Monitor {
  readonly sid: number;
  readonly pv: ServerPv;
  readonly subscriptionId: number;
  readonly dataType: number;
  readonly dataCount: number;
  readonly mask: number;
  readonly stop: () => void;
}

export interface ServerConnectionOptions {
  readonly pvs: ReadonlyMap<string, ServerPv>;
  readonly maxPayloadBytes: number;
  readonly maxBufferedBytes: number;
  readonly onClose: () => void;
  /** An unexpected failure while handling a request (a bug); the circuit is closed. */
  readonly onError?: (error: unknown) => void;
}

export class ServerConnection {
  readonly #socket: Socket;
  readonly #options: ServerConnectionOptions;
  readonly #circuit: VirtualCircuit;
  readonly #writer: BatchedWriter;
  readonly #monitors = new Map<number, Monitor>();
  /** Monitors with an update not yet sent (events off, or the client is slow). */
  readonly #held = new Set<Monitor>();
  #nextSid = 1;
  #eventsOn = true;
  #closed = false;

  constructor(socket: Socket, options: ServerConnectionOptions) {
    this.#socket = socket;
    this.#options = options;
    this.#circuit = new VirtualCircuit("server", options.maxPayloadBytes);
    this.#writer = new BatchedWriter(socket);
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 60_000);
    socket.on("data", (chunk) => this.#receive(chunk));
    socket.on("drain", () => this.#release());
    socket.on("error", () => this.close());
    socket.on("close", () => this.close());
    this.#send({ command: "VERSION", direction: "response", version: CA_MINOR_PROTOCOL_REVISION });
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const monitor of this.#monitors.values()) monitor.stop();
    this.#monitors.clear();
    this.#held.clear();
    this.#circuit.disconnect();
    this.#socket.destroy();
    this.#options.onClose();
  }

  #receive(chunk: Buffer): void {
    try {
      for (const m of this.#circuit.recv(chunk)) this.#handle(m);
    } catch (e) {
      // A client that breaks the protocol loses its circuit (caproto: the command loop stops);
      // whatever else one request causes costs that client its circuit, never the server.
      if (!(e instanceof CaStateError || e instanceof CaProtocolError)) this.#options.onError?.(e);
      this.close();
    }
  }

  #send(...messages: CaMessage[]): void {
    if (this.#closed) return;
    this.#writer.write(this.#circuit.send(...messages));
    if (this.#writer.buffered > this.#options.maxBufferedBytes) this.close();
  }

  #pvOf(sid: number): ServerPv {
    // The circuit has checked that the sid names a channel it created.
    const channel = this.#circuit.channelBySid(sid);
    return this.#options.pvs.get(channel?.name ?? "") as ServerPv;
  }

  #handle(m: CaMessage): void {
    if (m.direction !== "request") return; // a client sends requests only (the circuit checked it)
    switch (m.command) {
      case "ECHO":
        this.#send({ command: "ECHO", direction: "response" });
        return;
      case "CREATE_CHAN":
        this.#createChannel(m.name, m.cid);
        return;
      case "READ_NOTIFY":
        this.#send({
          command: "READ_NOTIFY",
          direction: "response",
          dataType: m.dataType,
          ioid: m.ioid,
          ...this.#pvOf(m.sid).read(m.dataType, m.dataCount),
        });
        return;
      case "WRITE":
      case "WRITE_NOTIFY":
        this.#write(m.command === "WRITE_NOTIFY", m.sid, m.ioid, m.dataType, m.dataCount, m.data);
        return;
      case "EVENT_ADD":
        this.#addMonitor(m.sid, m.subscriptionId, m.dataType, m.dataCount, m.mask);
        return;
      case "EVENT_CANCEL": {
        const monitor = this.#monitors.get(m.subscriptionId);
        if (monitor) this.#removeMonitor(monitor);
        this.#send({
          command: "EVENT_ADD",
          direction: "response",
          dataType: m.dataType,
          dataCount: 0,
          status: ECA.NORMAL,
          subscriptionId: m.subscriptionId,
          data: new Uint8Array(0),
        });
        return;
      }
      case "EVENTS_OFF":
        this.#eventsOn = false;
        return;
      case "EVENTS_ON":
        this.#eventsOn = true;
        this.#release();
        return;
      case "CLEAR_CHANNEL":
        for (const monitor of this.#monitors.values()) if (monitor.sid === m.sid) this.#removeMonitor(monitor);
        this.#send({ command: "CLEAR_CHANNEL", direction: "response", sid: m.sid, cid: m.cid });
        return;
      default:
        return; // VERSION, HOST_NAME, CLIENT_NAME: nothing to answer
    }
  }

  #createChannel(name: string, cid: number): void {
    const pv = this.#options.pvs.get(name);
    if (!pv) {
      this.#send({ command: "CREATE_CH_FAIL", direction: "response", cid });
      return;
    }
    const rights = (pv.readable ? ACCESS.READ : 0) | (pv.writable ? ACCESS.WRITE : 0);
    this.#send(
      { command: "ACCESS_RIGHTS", direction: "response", cid, accessRights: rights },
      {
        command: "CREATE_CHAN",
        direction: "response",
        dataType: DBR_BASE.indexOf(pv.base),
        dataCount: pv.maxCount,
        cid,
        sid: this.#nextSid++,
      },
    );
  }

  #write(notify: boolean, sid: number, ioid: number, dataType: number, dataCount: number, data: Uint8Array): void {
    const pv = this.#pvOf(sid);
    const reply = (status: number) => {
      if (notify) this.#send({ command: "WRITE_NOTIFY", direction: "response", dataType, dataCount, status, ioid });
    };
    if (!pv.writable) {
      reply(ECA.NOWTACCESS);
      return;
    }
    const layout = dbrLayout(dataType);
    let value: ReturnType<ServerPv["fromType"]>;
    try {
      if (!layout) throw new Error(`unknown DBR type ${dataType}`);
      value = pv.fromType(
        decodeDbr(layout, dataCount, stringPadded(layout, dataCount, data)).value,
        layout.base as DbrBase,
      );
    } catch {
      reply(ECA.BADTYPE);
      return;
    }
    pv.write(value).then(
      () => reply(ECA.NORMAL),
      () => reply(ECA.PUTFAIL),
    );
  }

  #addMonitor(sid: number, subscriptionId: number, dataType: number, dataCount: number, mask: number): void {
    const pv = this.#pvOf(sid);
    const monitor: Monitor = {
      sid,
      pv,
      subscriptionId,
      dataType,
      dataCount,
      mask: mask || DBE.VALUE | DBE.ALARM,
      stop: pv.listen((changed) => {
        if (changed & monitor.mask) this.#update(monitor);
      }),
    };
    this.#monitors.set(subscriptionId, monitor);
    this.#update(monitor);
  }

  #removeMonitor(monitor: Monitor): void {
    monitor.stop();
    this.#monitors.delete(monitor.subscriptionId);
    this.#held.delete(monitor);
  }

  #update(monitor: Monitor): void {
    if (!this.#eventsOn || this.#writer.buffered > CONGESTED_BYTES) {
      this.#held.add(monitor);
      return;
    }
    // The hot path: the shared encoding of this change behind this subscriber's header. An update
    // on a created channel changes no state, so the circuit's checks are not needed.
    const { data, dataCount, status } = monitor.pv.read(monitor.dataType, monitor.dataCount);
    this.#writer.write(encodeMonitorUpdate(monitor.dataType, dataCount, status, monitor.subscriptionId, data));
    if (this.#writer.buffered > this.#options.maxBufferedBytes) this.close();
  }

  /** Sends the held-back monitors, latest value only, while the client keeps up. */
  #release(): void {
    for (const monitor of this.#held) {
      if (!this.#eventsOn || this.#writer.buffered > CONGESTED_BYTES) return;
      this.#held.delete(monitor);
      this.#update(monitor);
    }
  }
}

/**
 * libca sends one DBR_STRING as its characters and NUL padded to 8 bytes, not MAX_STRING_SIZE; RSRV
 * reads the rest of the string as zeros, and so does this server. Nothing else may be short.
 */
function stringPadded(layout: DbrLayout, count: number, data: Uint8Array): Uint8Array {
  const needed = dbrSize(layout, count);
  if (data.length >= needed || layout.base !== "STRING" || needed - data.length >= MAX_STRING_SIZE) return data;
  const out = new Uint8Array(needed);
  out.set(data);
  return out;
}
