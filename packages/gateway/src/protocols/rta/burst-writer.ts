/**
 * Gathers one connection's StreamData elements into bursts, each sent as one raw LZ4 block. A
 * burst goes out when it reaches the target size (64 KiB before compression) or at the flush
 * interval after its first element; with the default interval of 0, at the end of the event-loop
 * turn, so everything published together travels together and nothing waits on a timer.
 */
import { encodeStreamMessage } from "@beamgate/rta";
import type { Connection } from "../../transport/connection.js";

export interface BurstOptions {
  /** Uncompressed bytes at which a burst is sent at once. */
  readonly burstBytes: number;
  /** How long a burst may wait for more elements, ms (0: until the end of the current turn). */
  readonly burstFlushMs: number;
}

export class BurstWriter {
  readonly #connection: Connection;
  readonly #options: BurstOptions;
  #elements: Uint8Array[] = [];
  #bytes = 0;
  #timer: NodeJS.Timeout | NodeJS.Immediate | undefined;

  constructor(connection: Connection, options: BurstOptions) {
    this.#connection = connection;
    this.#options = options;
  }

  add(element: Uint8Array): void {
    this.#elements.push(element);
    this.#bytes += element.byteLength;
    if (this.#bytes >= this.#options.burstBytes) this.flush();
    else if (this.#timer === undefined) {
      this.#timer =
        this.#options.burstFlushMs > 0
          ? setTimeout(() => this.flush(), this.#options.burstFlushMs)
          : setImmediate(() => this.flush());
    }
  }

  /** Sends what is gathered as one burst. */
  flush(): void {
    this.#cancel();
    if (this.#elements.length === 0) return;
    const message = encodeStreamMessage(this.#elements);
    this.#elements = [];
    this.#bytes = 0;
    this.#connection.send({ binary: true, chunks: [message], bytes: message.byteLength });
  }

  /** Drops what is gathered (the connection is going). */
  discard(): void {
    this.#cancel();
    this.#elements = [];
    this.#bytes = 0;
  }

  #cancel(): void {
    if (this.#timer === undefined) return;
    clearTimeout(this.#timer as NodeJS.Timeout);
    clearImmediate(this.#timer as NodeJS.Immediate);
    this.#timer = undefined;
  }
}
