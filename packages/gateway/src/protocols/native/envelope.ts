/**
 * The two envelopes of the native protocol. JSON: text frames. msgpack: binary frames holding one
 * map, with numeric arrays as `bin` (raw little-endian bytes).
 *
 * Messages about a subscription carry its `id`, yet their bodies are shared by every subscriber.
 * So a shared body is encoded once without the id, and each subscriber's message is its own small
 * id prefix followed by the shared bytes: `{"id":"s1"` + `,"type":"data",...}` in JSON; a map
 * header, the `id` pair, then the shared pairs in msgpack.
 */
import { decode, encode } from "@msgpack/msgpack";
import { type Outgoing, textMessage } from "../../transport/outgoing.js";
import { MessageError, type MessageId } from "./messages.js";
import { msgpackProblem } from "./msgpack-guard.js";

export type Fields = Record<string, unknown>;

/** The encoded fields of a message, minus its id. */
export interface SharedBody {
  readonly bytes: Uint8Array;
  /** Number of fields (msgpack needs it for the map header). */
  readonly count: number;
}

export interface Envelope {
  readonly name: "json" | "msgpack";
  /** The key under which events cache their shared body in this envelope. */
  readonly cacheKey: string;
  /** A whole message, for messages that concern one connection only. */
  message(fields: Fields): Outgoing;
  /** The fields of a message shared by many subscribers, encoded once. */
  shared(fields: Fields): SharedBody;
  /** A subscriber's encoded id, computed once per subscription. */
  idPrefix(id: MessageId): Uint8Array;
  /** One subscriber's message: its id, then the shared body. */
  withId(idPrefix: Uint8Array, body: SharedBody): Outgoing;
  /** Decodes an inbound frame; throws a MessageError if it cannot. */
  decode(data: Buffer, isBinary: boolean): unknown;
}

export const jsonEnvelope: Envelope = {
  name: "json",
  cacheKey: "native/json",
  message(fields) {
    return textMessage(JSON.stringify(fields));
  },
  shared(fields) {
    // `{"type":...}` -> `,"type":...}`: the id prefix supplies the opening brace.
    const json = JSON.stringify(fields);
    return { bytes: Buffer.from(`,${json.slice(1)}`), count: Object.keys(fields).length };
  },
  idPrefix(id) {
    return Buffer.from(`{"id":${JSON.stringify(id)}`);
  },
  withId(idPrefix, body) {
    return { binary: false, chunks: [idPrefix, body.bytes], bytes: idPrefix.length + body.bytes.length };
  },
  decode(data, isBinary) {
    if (isBinary) {
      throw new MessageError(
        "BG_ERR_PROTO_BINARY_UNSUPPORTED",
        "Binary frames are accepted only with ?envelope_format=msgpack; send JSON text frames",
      );
    }
    return decodeJson(data);
  },
};

export const msgpackEnvelope: Envelope = {
  name: "msgpack",
  cacheKey: "native/msgpack",
  message(fields) {
    const bytes = encode(fields);
    return { binary: true, chunks: [bytes], bytes: bytes.byteLength };
  },
  shared(fields) {
    const whole = encode(fields);
    return { bytes: whole.subarray(mapHeaderLength(whole[0] as number)), count: Object.keys(fields).length };
  },
  idPrefix(id) {
    const pair = encode({ id });
    return pair.subarray(1); // drop the fixmap header of {id}
  },
  withId(idPrefix, body) {
    const header = mapHeader(body.count + 1);
    return {
      binary: true,
      chunks: [header, idPrefix, body.bytes],
      bytes: header.length + idPrefix.byteLength + body.bytes.byteLength,
    };
  },
  decode(data, isBinary) {
    if (!isBinary) return decodeJson(data);
    const problem = msgpackProblem(data);
    if (problem) throw new MessageError("BG_ERR_PROTO_INVALID_MSGPACK", `Invalid msgpack: ${problem}`);
    try {
      return decode(data);
    } catch (e) {
      throw new MessageError("BG_ERR_PROTO_INVALID_MSGPACK", `Invalid msgpack: ${(e as Error).message}`);
    }
  },
};

export const ENVELOPES: Readonly<Record<string, Envelope>> = { json: jsonEnvelope, msgpack: msgpackEnvelope };

function decodeJson(data: Buffer): unknown {
  try {
    return JSON.parse(data.toString("utf8"));
  } catch (e) {
    throw new MessageError("BG_ERR_PROTO_INVALID_JSON", `Invalid JSON: ${(e as Error).message}`);
  }
}

const MAP_HEADERS: Buffer[] = [];

/** A msgpack map header for `count` pairs (fixmap up to 15, else map16). */
function mapHeader(count: number): Buffer {
  let h = MAP_HEADERS[count];
  if (!h) {
    h = count < 16 ? Buffer.from([0x80 | count]) : Buffer.from([0xde, count >> 8, count & 0xff]);
    MAP_HEADERS[count] = h;
  }
  return h;
}

function mapHeaderLength(first: number): number {
  if ((first & 0xf0) === 0x80) return 1;
  if (first === 0xde) return 3;
  return 5;
}
