/**
 * CA messages as typed objects, and their encoding to and from header + payload. Requests (client
 * to server) and responses share command codes, so decoding needs the direction. DBR payloads stay
 * raw bytes here; `dbr.ts` decodes them with the message's data type and count.
 */
import { COMMAND_NAMES, Command, type CommandName } from "./constants.js";
import { type Header, headerSize, padded, writeHeader } from "./header.js";

export type Direction = "request" | "response";

interface Base<N extends CommandName, D extends Direction> {
  readonly command: N;
  readonly direction: D;
}

/** Messages with a DBR payload carry its type and element count. */
interface WithData {
  readonly dataType: number;
  readonly dataCount: number;
  readonly data: Uint8Array;
}

export type CaMessage =
  | (Base<"VERSION", "request"> & { priority: number; version: number })
  | (Base<"VERSION", "response"> & { version: number })
  | (Base<"SEARCH", "request"> & { name: string; cid: number; version: number; reply: number })
  | (Base<"SEARCH", "response"> & { port: number; serverAddress: number; cid: number; version: number })
  | (Base<"NOT_FOUND", "response"> & { reply: number; version: number; cid: number })
  | (Base<"CREATE_CHAN", "request"> & { name: string; cid: number; version: number })
  | (Base<"CREATE_CHAN", "response"> & { dataType: number; dataCount: number; cid: number; sid: number })
  | (Base<"CREATE_CH_FAIL", "response"> & { cid: number })
  | (Base<"ACCESS_RIGHTS", "response"> & { cid: number; accessRights: number })
  | (Base<"CLEAR_CHANNEL", Direction> & { sid: number; cid: number })
  | (Base<"READ_NOTIFY", "request"> & { dataType: number; dataCount: number; sid: number; ioid: number })
  | (Base<"READ_NOTIFY", "response"> & WithData & { status: number; ioid: number })
  | (Base<"WRITE", "request"> & WithData & { sid: number; ioid: number })
  | (Base<"WRITE_NOTIFY", "request"> & WithData & { sid: number; ioid: number })
  | (Base<"WRITE_NOTIFY", "response"> & { dataType: number; dataCount: number; status: number; ioid: number })
  | (Base<"EVENT_ADD", "request"> & {
      dataType: number;
      dataCount: number;
      sid: number;
      subscriptionId: number;
      mask: number;
    })
  /** A monitor update; with `data` empty and count 0, the confirmation of an EVENT_CANCEL. */
  | (Base<"EVENT_ADD", "response"> & WithData & { status: number; subscriptionId: number })
  | (Base<"EVENT_CANCEL", "request"> & { dataType: number; dataCount: number; sid: number; subscriptionId: number })
  | Base<"EVENTS_OFF", "request">
  | Base<"EVENTS_ON", "request">
  | Base<"ECHO", Direction>
  | (Base<"ERROR", "response"> & { cid: number; status: number; request: Uint8Array; message: string })
  | (Base<"SERVER_DISCONN", "response"> & { cid: number })
  | (Base<"CLIENT_NAME", "request"> & { name: string })
  | (Base<"HOST_NAME", "request"> & { name: string })
  | (Base<"RSRV_IS_UP", "response"> & { version: number; port: number; beaconId: number; serverAddress: number })
  | (Base<"REPEATER_REGISTER", "request"> & { clientAddress: number })
  | (Base<"REPEATER_CONFIRM", "response"> & { repeaterAddress: number });

/** Thrown when bytes cannot be a valid message; `remote` is true when the peer sent them. */
export class CaProtocolError extends Error {
  override readonly name = "CaProtocolError";
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A NUL-terminated, 8-byte padded string payload (channel and host names). */
function stringPayload(s: string): Uint8Array {
  const bytes = encoder.encode(s);
  const out = new Uint8Array(padded(bytes.length + 1));
  out.set(bytes);
  return out;
}

function payloadString(payload: Uint8Array): string {
  const nul = payload.indexOf(0);
  return decoder.decode(nul < 0 ? payload : payload.subarray(0, nul));
}

const EMPTY = new Uint8Array(0);

/** The header fields and payload of a message. */
function fieldsOf(m: CaMessage): { header: Omit<Header, "payloadSize">; payload: Uint8Array } {
  const command = Command[m.command];
  const h = (
    dataType: number,
    dataCount: number,
    parameter1: number,
    parameter2: number,
    payload: Uint8Array = EMPTY,
  ) => ({
    header: { command, dataType, dataCount, parameter1, parameter2 },
    payload,
  });
  switch (m.command) {
    case "VERSION":
      return m.direction === "request" ? h(m.priority, m.version, 0, 0) : h(0, m.version, 0, 0);
    case "SEARCH":
      if (m.direction === "request") return h(m.reply, m.version, m.cid, m.cid, stringPayload(m.name));
      {
        const payload = new Uint8Array(8);
        new DataView(payload.buffer).setUint16(0, m.version);
        return h(m.port, 0, m.serverAddress, m.cid, payload);
      }
    case "NOT_FOUND":
      return h(m.reply, m.version, m.cid, m.cid);
    case "CREATE_CHAN":
      return m.direction === "request"
        ? h(0, 0, m.cid, m.version, stringPayload(m.name))
        : h(m.dataType, m.dataCount, m.cid, m.sid);
    case "CREATE_CH_FAIL":
      return h(0, 0, m.cid, 0);
    case "ACCESS_RIGHTS":
      return h(0, 0, m.cid, m.accessRights);
    case "CLEAR_CHANNEL":
      return h(0, 0, m.sid, m.cid);
    case "READ_NOTIFY":
      return m.direction === "request"
        ? h(m.dataType, m.dataCount, m.sid, m.ioid)
        : h(m.dataType, m.dataCount, m.status, m.ioid, m.data);
    case "WRITE":
      return h(m.dataType, m.dataCount, m.sid, m.ioid, m.data);
    case "WRITE_NOTIFY":
      return m.direction === "request"
        ? h(m.dataType, m.dataCount, m.sid, m.ioid, m.data)
        : h(m.dataType, m.dataCount, m.status, m.ioid);
    case "EVENT_ADD": {
      if (m.direction === "response") return h(m.dataType, m.dataCount, m.status, m.subscriptionId, m.data);
      // Three obsolete floats (low, high, to), the mask, and two bytes of padding.
      const payload = new Uint8Array(16);
      new DataView(payload.buffer).setUint16(12, m.mask);
      return h(m.dataType, m.dataCount, m.sid, m.subscriptionId, payload);
    }
    case "EVENT_CANCEL":
      return h(m.dataType, m.dataCount, m.sid, m.subscriptionId);
    case "EVENTS_OFF":
    case "EVENTS_ON":
    case "ECHO":
      return h(0, 0, 0, 0);
    case "ERROR": {
      const text = encoder.encode(m.message);
      const payload = new Uint8Array(padded(m.request.length + text.length + 1));
      payload.set(m.request);
      payload.set(text, m.request.length);
      return h(0, 0, m.cid, m.status, payload);
    }
    case "SERVER_DISCONN":
      return h(0, 0, m.cid, 0);
    case "CLIENT_NAME":
    case "HOST_NAME":
      return h(0, 0, 0, 0, stringPayload(m.name));
    case "RSRV_IS_UP":
      return h(m.version, m.port, m.beaconId, m.serverAddress);
    case "REPEATER_REGISTER":
      return h(0, 0, 0, m.clientAddress);
    case "REPEATER_CONFIRM":
      return h(0, 0, 0, m.repeaterAddress);
  }
}

/** Encodes messages back to back into one buffer (one datagram or one TCP write). */
export function encodeMessages(...messages: CaMessage[]): Uint8Array {
  const parts = messages.map((m) => {
    const { header, payload } = fieldsOf(m);
    const payloadSize = padded(payload.length);
    const dataCount = header.dataCount;
    return { header: { ...header, payloadSize }, payload, size: headerSize(payloadSize, dataCount) + payloadSize };
  });
  const out = new Uint8Array(parts.reduce((n, p) => n + p.size, 0));
  const view = new DataView(out.buffer);
  let offset = 0;
  for (const p of parts) {
    offset += writeHeader(view, offset, p.header);
    out.set(p.payload, offset);
    offset += p.header.payloadSize;
  }
  return out;
}

/**
 * A server's monitor update (EVENT_ADD response): the same bytes as `encodeMessages` gives, without
 * building the message object, since a server sends one per subscriber per change.
 */
export function encodeMonitorUpdate(
  dataType: number,
  dataCount: number,
  status: number,
  subscriptionId: number,
  data: Uint8Array,
): Uint8Array {
  const payloadSize = padded(data.length);
  const size = headerSize(payloadSize, dataCount);
  const out = new Uint8Array(size + payloadSize);
  writeHeader(new DataView(out.buffer), 0, {
    command: Command.EVENT_ADD,
    payloadSize,
    dataType,
    dataCount,
    parameter1: status,
    parameter2: subscriptionId,
  });
  out.set(data, size);
  return out;
}

/** Decodes one message from its header and payload; throws CaProtocolError for unknown or malformed ones. */
export function decodeMessage(header: Header, payload: Uint8Array, direction: Direction): CaMessage {
  const name = COMMAND_NAMES.get(header.command);
  if (!name) throw new CaProtocolError(`unknown CA command ${header.command}`);
  const { dataType, dataCount, parameter1: p1, parameter2: p2 } = header;
  const need = (n: number) => {
    if (payload.length < n) throw new CaProtocolError(`${name} needs ${n} payload bytes, got ${payload.length}`);
  };
  const request = direction === "request";
  switch (name) {
    case "VERSION":
      return request
        ? { command: name, direction, priority: dataType, version: dataCount }
        : { command: name, direction, version: dataCount };
    case "SEARCH":
      if (request)
        return { command: name, direction, name: checkedName(payload), cid: p1, version: dataCount, reply: dataType };
      return {
        command: name,
        direction,
        port: dataType,
        serverAddress: p1,
        cid: p2,
        version: payload.length >= 2 ? new DataView(payload.buffer, payload.byteOffset).getUint16(0) : 0,
      };
    case "NOT_FOUND":
      return { command: name, direction: "response", reply: dataType, version: dataCount, cid: p1 };
    case "CREATE_CHAN":
      return request
        ? { command: name, direction, name: checkedName(payload), cid: p1, version: p2 }
        : { command: name, direction, dataType, dataCount, cid: p1, sid: p2 };
    case "CREATE_CH_FAIL":
      return { command: name, direction: "response", cid: p1 };
    case "ACCESS_RIGHTS":
      return { command: name, direction: "response", cid: p1, accessRights: p2 };
    case "CLEAR_CHANNEL":
      return { command: name, direction, sid: p1, cid: p2 };
    case "READ_NOTIFY":
      return request
        ? { command: name, direction, dataType, dataCount, sid: p1, ioid: p2 }
        : { command: name, direction, dataType, dataCount, status: p1, ioid: p2, data: payload };
    case "WRITE":
      return { command: name, direction: "request", dataType, dataCount, sid: p1, ioid: p2, data: payload };
    case "WRITE_NOTIFY":
      return request
        ? { command: name, direction, dataType, dataCount, sid: p1, ioid: p2, data: payload }
        : { command: name, direction, dataType, dataCount, status: p1, ioid: p2 };
    case "EVENT_ADD":
      if (!request)
        return { command: name, direction, dataType, dataCount, status: p1, subscriptionId: p2, data: payload };
      need(14);
      return {
        command: name,
        direction,
        dataType,
        dataCount,
        sid: p1,
        subscriptionId: p2,
        mask: new DataView(payload.buffer, payload.byteOffset).getUint16(12),
      };
    case "EVENT_CANCEL":
      return { command: name, direction: "request", dataType, dataCount, sid: p1, subscriptionId: p2 };
    case "EVENTS_OFF":
    case "EVENTS_ON":
      return { command: name, direction: "request" };
    case "ECHO":
      return { command: name, direction };
    case "ERROR": {
      need(16);
      return {
        command: name,
        direction: "response",
        cid: p1,
        status: p2,
        request: payload.subarray(0, 16),
        message: payloadString(payload.subarray(16)),
      };
    }
    case "SERVER_DISCONN":
      return { command: name, direction: "response", cid: p1 };
    case "CLIENT_NAME":
    case "HOST_NAME":
      return { command: name, direction: "request", name: payloadString(payload) };
    case "RSRV_IS_UP":
      return {
        command: name,
        direction: "response",
        version: dataType,
        port: dataCount,
        beaconId: p1,
        serverAddress: p2,
      };
    case "REPEATER_REGISTER":
      return { command: name, direction: "request", clientAddress: p2 };
    case "REPEATER_CONFIRM":
      return { command: name, direction: "response", repeaterAddress: p2 };
    default:
      throw new CaProtocolError(`CA command ${name} is not supported`);
  }
}

/** Channel names are NUL-terminated and non-empty; EPICS limits PV names but not to 40 (that is values). */
function checkedName(payload: Uint8Array): string {
  const name = payloadString(payload);
  if (name.length === 0) throw new CaProtocolError("empty channel name");
  if (payload.indexOf(0) < 0) throw new CaProtocolError("channel name is not NUL-terminated");
  return name;
}
