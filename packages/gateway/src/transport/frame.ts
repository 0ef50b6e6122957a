/**
 * Server-to-client WebSocket frame headers (RFC 6455 §5.2: FIN set, unmasked). beamgate writes
 * data frames itself so that one shared message body can go to many sockets without a copy, and
 * with a per-subscriber prefix (see docs/decisions/003-own-frame-writer.md). Control frames
 * (ping, pong, close) stay with `ws`.
 */

export const OPCODE_TEXT = 0x1;
export const OPCODE_BINARY = 0x2;

/** The header of one unfragmented, unmasked frame carrying `length` payload bytes. */
export function frameHeader(opcode: number, length: number): Buffer {
  if (length < 126) {
    const h = Buffer.allocUnsafe(2);
    h[0] = 0x80 | opcode;
    h[1] = length;
    return h;
  }
  if (length < 0x10000) {
    const h = Buffer.allocUnsafe(4);
    h[0] = 0x80 | opcode;
    h[1] = 126;
    h.writeUInt16BE(length, 2);
    return h;
  }
  const h = Buffer.allocUnsafe(10);
  h[0] = 0x80 | opcode;
  h[1] = 127;
  h.writeUInt32BE(Math.floor(length / 2 ** 32), 2);
  h.writeUInt32BE(length >>> 0, 6);
  return h;
}
