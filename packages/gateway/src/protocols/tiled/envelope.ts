/**
 * The two envelopes of Tiled's stream, byte for byte as Tiled frames them
 * (`?envelope_format=msgpack|json`), as pure functions of a message (messages.ts). The caller
 * encodes an update once per envelope and sends the same bytes to every subscriber (Tiled
 * transcodes once per subscriber).
 *
 * msgpack (binary frames; what the Python client always asks for): one map, keys in `KEY_ORDER`,
 * `payload` a `bin` of exactly the uploaded bytes. @msgpack/msgpack with its defaults writes what
 * Python's `msgpack.packb` writes for the same values: the smallest int form (fixint, uint8...,
 * int64), float64 for non-integers, str8 from 32 bytes, bin8/16/32, fixmap/map16. One thing a JS
 * value cannot say: a Python float with an integral value (`2.0` in client metadata) arrives here
 * as the JS number 2 and goes out as an int; JSON.parse has already lost the difference.
 *
 * json (text frames): compact, keys in `KEY_ORDER`; a message with data gets
 * `"content-type":"application/json"` and then its `payload` as JSON text, which the caller makes
 * once (payload-json.ts for arrays; table columns elsewhere). Other values go through
 * JSON.stringify, which writes non-ASCII characters as themselves (UTF-8 on the wire), as orjson
 * does in Tiled (not `\uXXXX` as Python's json.dumps would), and NaN as `null`, as orjson does too.
 * Object keys keep their insertion order, except that JS puts integer-like keys ("0", "12") first.
 */
import { Encoder } from "@msgpack/msgpack";
import { KEY_ORDER, type TiledMessage } from "./messages.js";

const encoder = new Encoder();

const PAYLOAD_KEY = Uint8Array.from([0xa7, ...Buffer.from("payload")]); // fixstr of 7 bytes

/** Ordered [key, value] pairs of a message, `payload` excluded. */
function fieldsOf(message: TiledMessage): [string, unknown][] {
  const out: [string, unknown][] = [];
  for (const key of KEY_ORDER[message.type]) {
    if (key === "payload") continue;
    const value: unknown = Reflect.get(message, key);
    if (value === undefined) throw new TypeError(`${message.type} message without "${key}"`);
    out.push([key, value]);
  }
  return out;
}

function payloadOf(message: TiledMessage): Uint8Array | undefined {
  return message.type === "array-data" || message.type === "table-data" ? message.payload : undefined;
}

/**
 * The msgpack frame as chunks to send one after another: `[head, payload]` for a message with
 * data (the payload is not copied), `[whole]` otherwise.
 */
export function msgpackEnvelopeChunks(message: TiledMessage): Uint8Array[] {
  const fields = Object.fromEntries(fieldsOf(message));
  const payload = payloadOf(message);
  if (payload === undefined) return [encoder.encode(fields)];
  const body = encoder.encodeSharedRef(fields); // a view, copied into `head` below
  // Every message has at most 15 keys, so the map header is a one-byte fixmap: re-count it to
  // take the payload, then append the key and a bin header.
  const header = body[0] as number;
  if ((header & 0xf0) !== 0x80) throw new Error(`unreachable: map header 0x${header.toString(16)}`);
  const binHeader = binHeaderOf(payload.byteLength);
  const head = new Uint8Array(body.byteLength + PAYLOAD_KEY.byteLength + binHeader.byteLength);
  head[0] = header + 1;
  head.set(body.subarray(1), 1);
  head.set(PAYLOAD_KEY, body.byteLength);
  head.set(binHeader, body.byteLength + PAYLOAD_KEY.byteLength);
  return [head, payload];
}

/** The msgpack frame in one buffer. */
export function msgpackEnvelope(message: TiledMessage): Uint8Array {
  const chunks = msgpackEnvelopeChunks(message);
  if (chunks.length === 1) return chunks[0] as Uint8Array;
  return Buffer.concat(chunks);
}

/** msgpack bin8/bin16/bin32 header for `length` bytes. */
function binHeaderOf(length: number): Uint8Array {
  if (length < 0x100) return Uint8Array.of(0xc4, length);
  if (length < 0x10000) return Uint8Array.of(0xc5, length >>> 8, length & 0xff);
  if (length <= 0xffffffff) {
    return Uint8Array.of(0xc6, length >>> 24, (length >>> 16) & 0xff, (length >>> 8) & 0xff, length & 0xff);
  }
  throw new RangeError(`A payload of ${length} bytes does not fit in msgpack`);
}

/**
 * The JSON frame. `payloadJson` is the decoded payload as JSON text, required for a message with
 * data (`array-data`, `table-data`) and refused for others.
 */
export function jsonEnvelope(message: TiledMessage, payloadJson?: string): string {
  let out = "{";
  for (const [key, value] of fieldsOf(message)) {
    if (out.length > 1) out += ",";
    out += `${JSON.stringify(key)}:${JSON.stringify(value)}`;
  }
  if (payloadOf(message) !== undefined) {
    if (payloadJson === undefined || payloadJson === "") {
      throw new TypeError(`${message.type} needs its payload as JSON for the JSON envelope`);
    }
    out += `,"content-type":"application/json","payload":${payloadJson}`;
  } else if (payloadJson !== undefined) {
    throw new TypeError(`${message.type} has no payload`);
  }
  return `${out}}`;
}
