/**
 * The CA message header: 16 bytes, big-endian (command, payload size, data type, data count,
 * parameter 1, parameter 2), or 24 bytes in the extended form for payloads or counts of 0xffff and
 * more. Payloads are padded to a multiple of 8 bytes.
 */
import {
  EXTENDED_HEADER_SIZE,
  HEADER_SIZE,
  MAX_STANDARD_COUNT,
  MAX_STANDARD_PAYLOAD,
  PAYLOAD_ALIGNMENT,
} from "./constants.js";

export interface Header {
  readonly command: number;
  /** Payload bytes following the header (padding included). */
  readonly payloadSize: number;
  readonly dataType: number;
  readonly dataCount: number;
  readonly parameter1: number;
  readonly parameter2: number;
}

/** The size of `n` payload bytes once padded to the 8-byte alignment. */
export function padded(n: number): number {
  return Math.ceil(n / PAYLOAD_ALIGNMENT) * PAYLOAD_ALIGNMENT;
}

export function headerSize(payloadSize: number, dataCount: number): number {
  return payloadSize > MAX_STANDARD_PAYLOAD || dataCount > MAX_STANDARD_COUNT ? EXTENDED_HEADER_SIZE : HEADER_SIZE;
}

/** Writes the header at `offset` in `out`; returns the bytes written (16 or 24). */
export function writeHeader(out: DataView, offset: number, h: Header): number {
  const extended = headerSize(h.payloadSize, h.dataCount) === EXTENDED_HEADER_SIZE;
  out.setUint16(offset, h.command);
  out.setUint16(offset + 2, extended ? 0xffff : h.payloadSize);
  out.setUint16(offset + 4, h.dataType);
  out.setUint16(offset + 6, extended ? 0 : h.dataCount);
  out.setUint32(offset + 8, h.parameter1 >>> 0);
  out.setUint32(offset + 12, h.parameter2 >>> 0);
  if (!extended) return HEADER_SIZE;
  out.setUint32(offset + 16, h.payloadSize);
  out.setUint32(offset + 20, h.dataCount);
  return EXTENDED_HEADER_SIZE;
}

export type HeaderRead = { readonly header: Header; readonly size: number } | { readonly needed: number };

/**
 * Reads a header at `offset`, or says how many bytes it still needs. The sizes it returns are the
 * peer's claims: callers check them against their limits before waiting for a payload.
 */
export function readHeader(view: DataView, offset: number): HeaderRead {
  const available = view.byteLength - offset;
  if (available < HEADER_SIZE) return { needed: HEADER_SIZE - available };
  let payloadSize = view.getUint16(offset + 2);
  let dataCount = view.getUint16(offset + 6);
  let size = HEADER_SIZE;
  if (payloadSize === 0xffff && dataCount === 0) {
    if (available < EXTENDED_HEADER_SIZE) return { needed: EXTENDED_HEADER_SIZE - available };
    payloadSize = view.getUint32(offset + 16);
    dataCount = view.getUint32(offset + 20);
    size = EXTENDED_HEADER_SIZE;
  }
  return {
    size,
    header: {
      command: view.getUint16(offset),
      payloadSize,
      dataType: view.getUint16(offset + 4),
      dataCount,
      parameter1: view.getUint32(offset + 8),
      parameter2: view.getUint32(offset + 12),
    },
  };
}
