/**
 * Server-to-client WebSocket frame headers (RFC 6455 §5.2: FIN set, unmasked). beamgate writes
 * data frames itself so that one shared message body can go to many sockets without a copy, and
 * with a per-subscriber prefix (see docs/decisions/003-own-frame-writer.md). Control frames
 * (ping, pong, close) stay with `ws`.
 */

export const OPCODE_TEXT = 0x1;
export const OPCODE_BINARY = 0x2;

/** Writes the header of one unfragmented, unmasked frame of `length` bytes; returns the offset after it. */
export function writeFrameHeader(out: Buffer, offset: number, opcode: number, length: number): number {
  out[offset] = 0x80 | opcode;
  if (length < 126) {
    out[offset + 1] = length;
    return offset + 2;
  }
  if (length < 0x10000) {
    out[offset + 1] = 126;
    out.writeUInt16BE(length, offset + 2);
    return offset + 4;
  }
  out[offset + 1] = 127;
  out.writeUInt32BE(Math.floor(length / 2 ** 32), offset + 2);
  out.writeUInt32BE(length >>> 0, offset + 6);
  return offset + 10;
}
