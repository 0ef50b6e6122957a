/**
 * Frames: how an append-only log keeps each write all-or-nothing. A frame is a payload's length,
 * its CRC-32, then the payload. After a crash during a write, the first frame that is short or
 * fails its CRC marks where the intact part of the file ends.
 */
import { crc32 } from "node:zlib";

/** Frame header: payload length and CRC-32 of the payload. */
export const FRAME_HEADER_BYTES = 8;

/** The frame of `payload`, ready to append. */
export function encodeFrame(payload: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(FRAME_HEADER_BYTES + payload.length);
  out.writeUInt32LE(payload.length, 0);
  out.writeUInt32LE(crc32(payload), 4);
  out.set(payload, FRAME_HEADER_BYTES);
  return out;
}

/**
 * The whole, intact frames at the start of `bytes`: their payloads and where the intact part ends
 * (a torn or corrupt tail is not included).
 */
export function scanFrames(bytes: Buffer): { payloads: Buffer[]; intactBytes: number } {
  const payloads: Buffer[] = [];
  let o = 0;
  while (o + FRAME_HEADER_BYTES <= bytes.length) {
    const length = bytes.readUInt32LE(o);
    const end = o + FRAME_HEADER_BYTES + length;
    if (length === 0 || end > bytes.length) break;
    const payload = bytes.subarray(o + FRAME_HEADER_BYTES, end);
    if (crc32(payload) !== bytes.readUInt32LE(o + 4)) break;
    payloads.push(payload);
    o = end;
  }
  return { payloads, intactBytes: o };
}
