/**
 * Gathers what a circuit sends during one turn of the event loop and writes it to the socket in one
 * call: a monitor post to 2,000 channels is one syscall, not 2,000. Large payloads (images) are
 * written as they are rather than copied into the batch.
 */
import type { Socket } from "node:net";

const COPY_LIMIT = 64 * 1024;

export class BatchedWriter {
  readonly #socket: Socket;
  #parts: Uint8Array[] = [];
  #bytes = 0;
  #scheduled = false;

  constructor(socket: Socket) {
    this.#socket = socket;
  }

  /** Bytes waiting here and in the socket: what the peer has not taken yet. */
  get buffered(): number {
    return this.#bytes + this.#socket.writableLength;
  }

  write(bytes: Uint8Array): void {
    if (this.#socket.destroyed) return;
    if (bytes.length >= COPY_LIMIT) {
      this.flush();
      this.#socket.write(bytes);
      return;
    }
    this.#parts.push(bytes);
    this.#bytes += bytes.length;
    if (!this.#scheduled) {
      this.#scheduled = true;
      process.nextTick(() => this.flush());
    }
  }

  flush(): void {
    this.#scheduled = false;
    if (this.#parts.length === 0) return;
    const parts = this.#parts;
    const bytes = this.#bytes;
    this.#parts = [];
    this.#bytes = 0;
    if (this.#socket.destroyed) return;
    this.#socket.write(parts.length === 1 ? (parts[0] as Uint8Array) : Buffer.concat(parts, bytes));
  }
}
