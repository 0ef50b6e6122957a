/**
 * Raw LZ4 blocks, as RTA sends them: no frame header and no size prefix. Every stream message is
 * one block holding a `StreamDataBurst`; an LZ4 REST chunk is one block of `unpacked_length` bytes.
 *
 * Compression runs in lz4-napi (lz4_flex, Rust, prebuilt Node-API binaries). Its `compressSync`
 * writes a 4-byte little-endian size and then a raw block, and `uncompressSync` reads the same
 * form, so this file only strips or adds that prefix. `blockContentSize` reads the size from the
 * block's own sequences, for stream messages, which do not state it.
 */
import { compressSync, uncompressSync } from "lz4-napi";
import { DEFAULT_MAX_BLOCK_BYTES } from "./constants.js";
import { messageOf, RtaFormatError } from "./errors.js";

/** lz4-napi's size prefix: uint32 little-endian. */
const SIZE_PREFIX_BYTES = 4;
/** Every LZ4 match copies at least 4 bytes; the token stores the length minus this. */
const MIN_MATCH = 4;

/** Compresses `data` into one raw LZ4 block (a view of lz4-napi's output, not a copy). */
export function compressBlock(data: Uint8Array): Buffer {
  const input = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return compressSync(input).subarray(SIZE_PREFIX_BYTES);
}

/**
 * Decompresses a raw LZ4 block that must hold exactly `size` bytes. Throws RtaFormatError if the
 * block is corrupt or decodes to another size, or if `size` is past `maxSize` (default 64 MiB),
 * which is checked before anything is allocated.
 */
export function decompressBlock(block: Uint8Array, size: number, maxSize = DEFAULT_MAX_BLOCK_BYTES): Buffer {
  if (!Number.isSafeInteger(size) || size < 0) throw new RtaFormatError(`LZ4 block size ${size} is not a byte count`);
  if (size > maxSize) throw new RtaFormatError(`LZ4 block of ${size} bytes is past the limit of ${maxSize}`);
  const input = Buffer.allocUnsafe(SIZE_PREFIX_BYTES + block.byteLength);
  input.writeUInt32LE(size, 0);
  input.set(block, SIZE_PREFIX_BYTES);
  let out: Buffer;
  try {
    out = uncompressSync(input);
  } catch (cause) {
    const reason = messageOf(cause);
    throw new RtaFormatError(`corrupt LZ4 block (${block.byteLength} bytes, ${size} expected): ${reason}`, { cause });
  }
  // lz4_flex takes the prefix as a capacity and returns whatever the block held when it is less.
  if (out.length !== size) throw new RtaFormatError(`LZ4 block holds ${out.length} bytes, not the ${size} stated`);
  return out;
}

/**
 * The decompressed size of a raw LZ4 block, read from its sequences without decompressing (each
 * token gives a literal length and a match length). Throws RtaFormatError if the block is not well
 * formed, or if the size passes `maxSize` (default 64 MiB).
 */
export function blockContentSize(block: Uint8Array, maxSize = DEFAULT_MAX_BLOCK_BYTES): number {
  const end = block.byteLength;
  if (end === 0) throw new RtaFormatError("empty LZ4 block (an empty input compresses to one zero byte)");
  let pos = 0;
  let size = 0;
  const extendedLength = (base: number): number => {
    let length = base;
    if (base !== 15) return length;
    for (;;) {
      if (pos >= end) throw new RtaFormatError(`LZ4 block ends inside a length at byte ${pos}`);
      const b = block[pos++] as number;
      length += b;
      if (b !== 255) return length;
      if (length > maxSize) throw new RtaFormatError(`LZ4 block holds more than ${maxSize} bytes`);
    }
  };
  for (;;) {
    const token = block[pos++] as number;
    const literals = extendedLength(token >>> 4);
    if (literals > end - pos) throw new RtaFormatError(`LZ4 literals run past the block's end at byte ${pos}`);
    pos += literals;
    size += literals;
    // The last sequence has literals only.
    if (pos === end) break;
    if (end - pos < 2) throw new RtaFormatError(`LZ4 block ends inside a match offset at byte ${pos}`);
    const offset = (block[pos] as number) | ((block[pos + 1] as number) << 8);
    pos += 2;
    if (offset === 0 || offset > size) throw new RtaFormatError(`LZ4 match offset ${offset} at byte ${pos - 2}`);
    size += extendedLength(token & 0x0f) + MIN_MATCH;
    if (size > maxSize) throw new RtaFormatError(`LZ4 block holds more than ${maxSize} bytes`);
    if (pos === end) throw new RtaFormatError("LZ4 block ends with a match, not literals");
  }
  if (size > maxSize) throw new RtaFormatError(`LZ4 block holds more than ${maxSize} bytes`);
  return size;
}
