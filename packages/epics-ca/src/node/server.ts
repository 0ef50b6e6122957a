/**
 * A Channel Access server on Node's `dgram` and `net`: answers name searches on UDP, serves any
 * number of virtual circuits on TCP, converts each read and monitor to the DBR type the client asks
 * for, honours monitor masks and access rights, and completes writes asynchronously. The protocol
 * itself is the sans-I/O VirtualCircuit; this file only moves bytes and keeps the subscriptions.
 */
import { createSocket, type Socket as UdpSocket } from "node:dgram";
import { createServer, type Server, type Socket } from "node:net";
import { VirtualCircuit } from "../circuit.js";
import { type CaMessage, CaProtocolError, encodeMessages } from "../commands.js";
import { ACCESS, CA_MINOR_PROTOCOL_REVISION, DBE, type DbrBase, ECA, SEARCH } from "../constants.js";
import { ConversionError, convertValues } from "../convert.js";
import { type DbrArray, dbrLayout, decodeDbr, encodeDbr } from "../dbr.js";
import { decodeDatagram } from "../message-reader.js";
import { CaStateError } from "../states.js";
import { type CaServerEnvOptions, caServerOptionsFromEnv } from "./env.js";
import type { ServerPv } from "./pv.js";

/**
 * Options not given come from the EPICS environment variables (`env.ts`). Port 0 picks a free TCP
 * port and serves searches on the same UDP port number.
 */
export interface CaServerOptions extends Partial<CaServerEnvOptions> {
  /** The PVs served, by name. */
  readonly pvs: ReadonlyMap<string, ServerPv>;
}

interface Monitor {
  readonly sid: number;
  readonly subscriptionId: number;
  readonly dataType: number;
  readonly dataCount: number;
  readonly mask: number;
  readonly stop: () => void;
}

export class CaServer {
  readonly #pvs: ReadonlyMap<string, ServerPv>;
  readonly #host: string;
  readonly #port: number;
  readonly #maxPayloadBytes: number;
  #udp: UdpSocket | undefined;
  #tcp: Server | undefined;
  readonly #sockets = new Set<Socket>();

  constructor(options: CaServerOptions) {
    this.#pvs = options.pvs;
    const env = { ...caServerOptionsFromEnv(), ...options };
    this.#host = env.host;
    this.#port = env.port;
    this.#maxPayloadBytes = env.maxArrayBytes;
  }

  /** Starts serving; resolves with the TCP port and the UDP (search) port. */
  async listen(): Promise<{ tcpPort: number; udpPort: number }> {
    const tcp = createServer((socket) => this.#serve(socket));
    this.#tcp = tcp;
    await new Promise<void>((resolve, reject) => {
      tcp.once("error", reject);
      tcp.listen(this.#port, this.#host, () => resolve());
    });
    const tcpPort = (tcp.address() as { port: number }).port;
    const udp = createSocket({ type: "udp4", reuseAddr: true });
    this.#udp = udp;
    udp.on("message", (bytes, from) => this.#answerSearch(bytes, from.address, from.port, tcpPort));
    udp.on("error", () => {});
    await new Promise<void>((resolve) => udp.bind(this.#port === 0 ? tcpPort : this.#port, this.#host, resolve));
    return { tcpPort, udpPort: udp.address().port };
  }

  async close(): Promise<void> {
    this.#udp?.close();
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.#tcp ? this.#tcp.close(() => resolve()) : resolve()));
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
    this.#udp?.send(datagram, port, address);
  }

  #serve(socket: Socket): void {
    this.#sockets.add(socket);
    socket.setNoDelay(true);
    const circuit = new VirtualCircuit("server", this.#maxPayloadBytes);
    const monitors = new Map<number, Monitor>();
    let nextSid = 1;
    let eventsOn = true;
    const send = (...messages: CaMessage[]) => {
      if (!socket.destroyed) socket.write(circuit.send(...messages));
    };
    const drop = () => {
      for (const monitor of monitors.values()) monitor.stop();
      monitors.clear();
      circuit.disconnect();
      this.#sockets.delete(socket);
      socket.destroy();
    };
    send({ command: "VERSION", direction: "response", version: CA_MINOR_PROTOCOL_REVISION });

    const pvOf = (sid: number) => {
      const channel = circuit.channelBySid(sid);
      return channel ? this.#pvs.get(channel.name) : undefined;
    };
    const monitorUpdate = (monitor: Monitor, pv: ServerPv): CaMessage => {
      return {
        command: "EVENT_ADD",
        direction: "response",
        dataType: monitor.dataType,
        subscriptionId: monitor.subscriptionId,
        ...this.#read(pv, monitor.dataType, monitor.dataCount),
      };
    };

    const handle = (m: CaMessage) => {
      if (m.direction !== "request") return; // a client sends requests only (the circuit checked it)
      switch (m.command) {
        case "ECHO":
          send({ command: "ECHO", direction: "response" });
          return;
        case "CREATE_CHAN": {
          const pv = this.#pvs.get(m.name);
          if (!pv) {
            send({ command: "CREATE_CH_FAIL", direction: "response", cid: m.cid });
            return;
          }
          const sid = nextSid++;
          const rights = (pv.readable ? ACCESS.READ : 0) | (pv.writable ? ACCESS.WRITE : 0);
          send(
            { command: "ACCESS_RIGHTS", direction: "response", cid: m.cid, accessRights: rights },
            {
              command: "CREATE_CHAN",
              direction: "response",
              dataType: nativeType(pv.base),
              dataCount: pv.maxCount,
              cid: m.cid,
              sid,
            },
          );
          return;
        }
        case "READ_NOTIFY": {
          const pv = pvOf(m.sid) as ServerPv;
          send({
            command: "READ_NOTIFY",
            direction: "response",
            dataType: m.dataType,
            ioid: m.ioid,
            ...this.#read(pv, m.dataType, m.dataCount),
          });
          return;
        }
        case "WRITE":
        case "WRITE_NOTIFY": {
          const pv = pvOf(m.sid) as ServerPv;
          const notify = m.command === "WRITE_NOTIFY";
          const reply = (status: number) => {
            if (notify && !socket.destroyed) {
              send({
                command: "WRITE_NOTIFY",
                direction: "response",
                dataType: m.dataType,
                dataCount: m.dataCount,
                status,
                ioid: m.ioid,
              });
            }
          };
          if (!pv.writable) {
            reply(ECA.NOWTACCESS);
            return;
          }
          let value: DbrArray;
          try {
            value = this.#decodeWrite(pv, m.dataType, m.dataCount, m.data);
          } catch {
            reply(ECA.BADTYPE);
            return;
          }
          pv.write(value).then(
            () => reply(ECA.NORMAL),
            () => reply(ECA.PUTFAIL),
          );
          return;
        }
        case "EVENT_ADD": {
          const pv = pvOf(m.sid) as ServerPv;
          const monitor: Monitor = {
            sid: m.sid,
            subscriptionId: m.subscriptionId,
            dataType: m.dataType,
            dataCount: m.dataCount,
            mask: m.mask || DBE.VALUE | DBE.ALARM,
            stop: pv.listen((mask) => {
              if (eventsOn && mask & monitor.mask) send(monitorUpdate(monitor, pv));
            }),
          };
          monitors.set(m.subscriptionId, monitor);
          send(monitorUpdate(monitor, pv));
          return;
        }
        case "EVENT_CANCEL": {
          monitors.get(m.subscriptionId)?.stop();
          monitors.delete(m.subscriptionId);
          send({
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
          eventsOn = false;
          return;
        case "EVENTS_ON":
          eventsOn = true;
          // Catch up with the current value of every monitor.
          for (const monitor of monitors.values()) {
            const pv = pvOf(monitor.sid);
            if (pv) send(monitorUpdate(monitor, pv));
          }
          return;
        case "CLEAR_CHANNEL": {
          for (const [id, monitor] of monitors) {
            if (monitor.sid === m.sid) {
              monitor.stop();
              monitors.delete(id);
            }
          }
          send({ command: "CLEAR_CHANNEL", direction: "response", sid: m.sid, cid: m.cid });
          return;
        }
        default:
          return; // VERSION, HOST_NAME, CLIENT_NAME: nothing to answer
      }
    };

    socket.on("data", (chunk) => {
      try {
        for (const m of circuit.recv(chunk)) handle(m);
      } catch (e) {
        // A client that breaks the protocol loses its circuit (caproto: the command loop stops).
        if (e instanceof CaStateError || e instanceof CaProtocolError) drop();
        else throw e;
      }
    });
    socket.on("error", drop);
    socket.on("close", drop);
  }

  /**
   * The reply fields of a read: the PV's value as `dataType` with `dataCount` elements (0: all it
   * holds), or an ECA status with no data.
   */
  #read(pv: ServerPv, dataType: number, dataCount: number): { data: Uint8Array; dataCount: number; status: number } {
    const failed = (status: number) => ({ data: new Uint8Array(0), dataCount: 0, status });
    if (!pv.readable) return failed(ECA.NORDACCESS);
    const layout = dbrLayout(dataType);
    if (!layout) return failed(ECA.BADTYPE);
    let value: DbrArray;
    try {
      value = convertValues(pv.data.value, pv.base, layout.base, pv.context);
    } catch (e) {
      if (e instanceof ConversionError) return failed(ECA.NOCONVERT);
      throw e;
    }
    const count = dataCountOf(pv, dataCount);
    return {
      data: encodeDbr(layout, { ...pv.data, value: resize(value, count) }),
      dataCount: count,
      status: ECA.NORMAL,
    };
  }

  #decodeWrite(pv: ServerPv, dataType: number, dataCount: number, payload: Uint8Array): DbrArray {
    const layout = dbrLayout(dataType);
    if (!layout) throw new ConversionError(`unknown DBR type ${dataType}`);
    const { value } = decodeDbr(layout, dataCount, payload);
    return pv.fromType(value, layout.base as DbrBase);
  }
}

function nativeType(base: DbrBase): number {
  return ["STRING", "SHORT", "FLOAT", "ENUM", "CHAR", "LONG", "DOUBLE"].indexOf(base);
}

/** Count 0 asks for what the PV holds now (variable-length arrays); a count above it is padded. */
function dataCountOf(pv: ServerPv, requested: number): number {
  return requested === 0 ? Math.max(pv.data.value.length, 1) : requested;
}

function resize(value: DbrArray, count: number): DbrArray {
  if (value.length === count) return value;
  if (Array.isArray(value)) return Array.from({ length: count }, (_, i) => value[i] ?? "");
  const out = new (value.constructor as new (n: number) => Exclude<DbrArray, string[]>)(count);
  out.set(value.subarray(0, count) as never);
  return out;
}
