/**
 * StreamDataBurst, the body of every RTA stream message, built without re-encoding. The burst is
 * `repeated StreamData data = 1`, and protobuf writes each element as its own field (tag 0x0A,
 * a varint length, the StreamData bytes) with nothing around them. So a server can encode each
 * StreamData once, share those bytes among all its clients, and make any client's burst by
 * concatenating elements. The message on the socket is that burst as one raw LZ4 block.
 */
import { DEFAULT_MAX_BLOCK_BYTES } from "./constants.js";
import { messageOf, RtaFormatError } from "./errors.js";
import { blockContentSize, compressBlock, decompressBlock } from "./lz4.js";
import { fromBinary, type StreamDataBurst, StreamDataBurstSchema } from "./messages.js";

/**
 * `bytes` as length-delimited field `field` (wire type 2): its tag, a varint length, the bytes. A
 * burst element is field 1 holding a StreamData; a StreamData is its `oneof` field holding the
 * message; a `*List` element is field 1 holding the message.
 */
export function lengthDelimited(field: number, bytes: Uint8Array): Buffer {
  let length = bytes.byteLength;
  const head = [(field << 3) | 2];
  while (length > 0x7f) {
    head.push((length & 0x7f) | 0x80);
    length >>>= 7;
  }
  head.push(length);
  const out = Buffer.allocUnsafe(head.length + bytes.byteLength);
  out.set(head, 0);
  out.set(bytes, head.length);
  return out;
}

/** One burst element: the tag and length of field `data` (1), then the serialized StreamData. */
export function burstElement(streamDataBytes: Uint8Array): Buffer {
  return lengthDelimited(1, streamDataBytes);
}

/** A stream message: the burst of these elements, compressed as one raw LZ4 block. */
export function encodeStreamMessage(elements: readonly Uint8Array[]): Buffer {
  return compressBlock(Buffer.concat(elements));
}

/**
 * Reads a stream message (one raw LZ4 block, whose size is read from the block itself). Throws
 * RtaFormatError for a corrupt block, a burst past `maxSize` bytes (default 64 MiB) or a burst
 * that does not parse.
 */
export function decodeStreamMessage(message: Uint8Array, maxSize = DEFAULT_MAX_BLOCK_BYTES): StreamDataBurst {
  const burst = decompressBlock(message, blockContentSize(message, maxSize), maxSize);
  try {
    // A plain Uint8Array view, so that `bytes` fields (views into the burst) are not Buffers.
    return fromBinary(StreamDataBurstSchema, new Uint8Array(burst.buffer, burst.byteOffset, burst.byteLength));
  } catch (cause) {
    throw new RtaFormatError(`stream message is not a StreamDataBurst: ${messageOf(cause)}`, { cause });
  }
}
