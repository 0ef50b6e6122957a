/**
 * The framing of RTA REST data responses (`application/vnd.mat.protobuf+chunked`), repeated to the
 * end of the body: an int32 little-endian header length, a ChunkTransferHeader, then
 * `packed_length` bytes of payload. The payload is a serialized `*List` message (EventsList,
 * PeriodicDataList, ...) or, with compression LZ4 (1), a raw LZ4 block of `unpacked_length` bytes.
 *
 * The header's start time, duration and compression are deltas against the previous chunk's (the
 * first chunk's against 0), so the writer keeps the last values and the reader adds them up. What
 * goes in the payload is the caller's business; this file only frames it.
 */
import { COMPRESSION, type Compression, DEFAULT_MAX_BLOCK_BYTES } from "./constants.js";
import { messageOf, RtaFormatError } from "./errors.js";
import { compressBlock, decompressBlock } from "./lz4.js";
import { type ChunkTransferHeader, ChunkTransferHeaderSchema, create, fromBinary, toBinary } from "./messages.js";

/** int32 little-endian header length before each header. */
const LENGTH_BYTES = 4;
/** `packed_length` and `unpacked_length` are int32. */
const MAX_INT32 = 0x7fffffff;

/** One chunk of a data response, times in ns since the Unix epoch. */
export interface Chunk {
  readonly startTime: bigint;
  readonly duration: bigint;
  readonly channelIds: readonly number[];
  /** The serialized `*List` message, uncompressed. */
  readonly payload: Uint8Array;
}

export interface ChunkToWrite extends Chunk {
  /** Send the payload as an LZ4 block (even when that is larger: the flag is obeyed as given). */
  readonly compress: boolean;
}

export interface DecodedChunk extends Chunk {
  /** How the payload travelled; `payload` is always decompressed. */
  readonly compression: Compression;
}

/** Frames the chunks of one response in order; use one writer per response. */
export class ChunkedWriter {
  #startTime = 0n;
  #duration = 0n;
  #compression: Compression = COMPRESSION.NONE;

  /** The framed bytes of `chunk`: length, header (deltas against the previous chunk), payload. */
  encode(chunk: ChunkToWrite): Buffer {
    const compression = chunk.compress ? COMPRESSION.LZ4 : COMPRESSION.NONE;
    const packed = chunk.compress ? compressBlock(chunk.payload) : chunk.payload;
    if (chunk.payload.byteLength > MAX_INT32 || packed.byteLength > MAX_INT32) {
      throw new RangeError(`chunk payload of ${chunk.payload.byteLength} bytes is past int32`);
    }
    const header = toBinary(
      ChunkTransferHeaderSchema,
      create(ChunkTransferHeaderSchema, {
        chunkStartTimeDelta: chunk.startTime - this.#startTime,
        chunkDurationDelta: chunk.duration - this.#duration,
        channelIds: [...chunk.channelIds],
        compressionDelta: compression - this.#compression,
        unpackedLength: chunk.payload.byteLength,
        packedLength: packed.byteLength,
      }),
    );
    this.#startTime = chunk.startTime;
    this.#duration = chunk.duration;
    this.#compression = compression;
    const out = Buffer.allocUnsafe(LENGTH_BYTES + header.byteLength + packed.byteLength);
    out.writeInt32LE(header.byteLength, 0);
    out.set(header, LENGTH_BYTES);
    out.set(packed, LENGTH_BYTES + header.byteLength);
    return out;
  }
}

function truncated(what: string, offset: number, needed: number, left: number): RtaFormatError {
  return new RtaFormatError(`chunked data truncated: ${what} at byte ${offset} needs ${needed} bytes, ${left} left`);
}

/**
 * Reads a whole chunked body. Uncompressed payloads are views into `bytes`; LZ4 payloads are
 * decompressed (each at most `maxSize` bytes, default 64 MiB). Throws RtaFormatError on a
 * truncated body, a negative length, a header that does not parse, an unknown compression or a
 * corrupt block.
 */
export function decodeChunked(bytes: Uint8Array, maxSize = DEFAULT_MAX_BLOCK_BYTES): DecodedChunk[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const chunks: DecodedChunk[] = [];
  let startTime = 0n;
  let duration = 0n;
  let compression: number = COMPRESSION.NONE;
  let offset = 0;
  const left = () => bytes.byteLength - offset;
  while (offset < bytes.byteLength) {
    if (left() < LENGTH_BYTES) throw truncated("a header length", offset, LENGTH_BYTES, left());
    const headerLength = view.getInt32(offset, true);
    if (headerLength < 0) throw new RtaFormatError(`negative chunk header length ${headerLength} at byte ${offset}`);
    offset += LENGTH_BYTES;
    if (left() < headerLength) throw truncated("a chunk header", offset, headerLength, left());
    let header: ChunkTransferHeader;
    try {
      header = fromBinary(ChunkTransferHeaderSchema, bytes.subarray(offset, offset + headerLength));
    } catch (cause) {
      throw new RtaFormatError(`bad chunk header at byte ${offset}: ${messageOf(cause)}`, { cause });
    }
    offset += headerLength;
    startTime += header.chunkStartTimeDelta;
    duration += header.chunkDurationDelta;
    compression += header.compressionDelta;
    const { packedLength, unpackedLength } = header;
    if (packedLength < 0) throw new RtaFormatError(`negative packed_length ${packedLength} at byte ${offset}`);
    if (left() < packedLength) throw truncated("a chunk payload", offset, packedLength, left());
    const packed = bytes.subarray(offset, offset + packedLength);
    offset += packedLength;
    if (compression === COMPRESSION.NONE) {
      chunks.push({ startTime, duration, channelIds: header.channelIds, compression, payload: packed });
    } else if (compression === COMPRESSION.LZ4) {
      const payload = decompressBlock(packed, unpackedLength, maxSize);
      chunks.push({ startTime, duration, channelIds: header.channelIds, compression, payload });
    } else {
      throw new RtaFormatError(`unknown chunk compression ${compression} at byte ${offset - packedLength}`);
    }
  }
  return chunks;
}
