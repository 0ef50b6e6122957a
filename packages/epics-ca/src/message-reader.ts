/**
 * Turns a byte stream (a TCP virtual circuit) or a datagram into CA messages, without I/O. The
 * payload size a header claims is checked against the limit before any payload is awaited, so a
 * peer cannot make the reader allocate what it claims.
 */
import { type CaMessage, CaProtocolError, type Direction, decodeMessage } from "./commands.js";
import { readHeader } from "./header.js";

export class MessageReader {
  readonly #direction: Direction;
  readonly #maxPayloadBytes: number;
  #buffer = new Uint8Array(0);
  #length = 0;

  /**
   * @param direction what the peer sends: `request` on a server, `response` on a client.
   * @param maxPayloadBytes the largest payload accepted (EPICS_CA_MAX_ARRAY_BYTES on a client).
   */
  constructor(direction: Direction, maxPayloadBytes: number) {
    this.#direction = direction;
    this.#maxPayloadBytes = maxPayloadBytes;
  }

  /** Bytes received but not yet part of a complete message. */
  get buffered(): number {
    return this.#length;
  }

  /** Adds bytes and returns every message they complete. Throws CaProtocolError on garbage. */
  feed(chunk: Uint8Array): CaMessage[] {
    this.#append(chunk);
    const messages: CaMessage[] = [];
    let offset = 0;
    const view = new DataView(this.#buffer.buffer, 0, this.#length);
    for (;;) {
      const read = readHeader(view, offset);
      if ("needed" in read) break;
      const { header, size } = read;
      if (header.payloadSize > this.#maxPayloadBytes) {
        throw new CaProtocolError(
          `payload of ${header.payloadSize} bytes exceeds the limit of ${this.#maxPayloadBytes}`,
        );
      }
      const end = offset + size + header.payloadSize;
      if (end > this.#length) break;
      // Copy the payload out: the buffer is reused for the next bytes.
      const payload = this.#buffer.slice(offset + size, end);
      messages.push(decodeMessage(header, payload, this.#direction));
      offset = end;
    }
    this.#buffer.copyWithin(0, offset, this.#length);
    this.#length -= offset;
    return messages;
  }

  #append(chunk: Uint8Array): void {
    const needed = this.#length + chunk.length;
    if (needed > this.#buffer.length) {
      const next = new Uint8Array(Math.max(needed, this.#buffer.length * 2, 4096));
      next.set(this.#buffer.subarray(0, this.#length));
      this.#buffer = next;
    }
    this.#buffer.set(chunk, this.#length);
    this.#length = needed;
  }
}

/** Every message of one UDP datagram; a truncated datagram is a protocol error. */
export function decodeDatagram(bytes: Uint8Array, direction: Direction, maxPayloadBytes = 0xffff): CaMessage[] {
  const reader = new MessageReader(direction, maxPayloadBytes);
  const messages = reader.feed(bytes);
  if (reader.buffered > 0) throw new CaProtocolError(`datagram ends inside a message (${reader.buffered} bytes left)`);
  return messages;
}
