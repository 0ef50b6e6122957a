/**
 * One WebSocket connection: its bounded outbound queue and how it is written. `ws` parses inbound
 * frames and runs ping/pong and the close handshake; beamgate writes data frames itself.
 *
 * Writes are coalesced: messages queued during one event-loop turn go out in one corked write.
 * Past the soft limit (queued bytes plus the socket's own buffer) the connection "lags": state
 * values replace older queued values of the same subscription (the client is told what was
 * skipped), and adapters may pause log streams. Past the hard limit the connection is closed
 * with 4000 and destroyed if it does not answer the close within the grace period.
 */
import type { Socket } from "node:net";
import type { WebSocket } from "ws";
import { BeamgateError } from "../errors.js";
import { frameHeader, OPCODE_BINARY, OPCODE_TEXT } from "./frame.js";
import { type ConflationKey, type Outgoing, textMessage } from "./outgoing.js";

export interface ConnectionLimits {
  readonly outboundSoftLimitBytes: number;
  readonly outboundHardLimitBytes: number;
  readonly closeGraceMs: number;
}

interface Entry {
  message: Outgoing;
  dead: boolean;
  /** First sequence this entry's value replaced, when it replaced others. */
  firstSkipped?: number;
}

/** Chunks at least this large are written as they are; smaller ones are copied into one buffer. */
const COPY_THRESHOLD_BYTES = 16 * 1024;

export class Connection {
  readonly ws: WebSocket;
  readonly remoteAddress: string;
  /** Set by the server when a ping is sent; cleared by the pong. */
  awaitingPong = false;

  readonly #socket: Socket;
  readonly #limits: ConnectionLimits;
  #queue: Entry[] = [];
  #queuedBytes = 0;
  readonly #latestByKey = new Map<ConflationKey, Entry>();
  #flushScheduled = false;
  #waitingForDrain = false;
  #wasLagging = false;
  #closing = false;
  #onDrain: (() => void) | undefined;
  #skippedTotal = 0;

  constructor(ws: WebSocket, socket: Socket, limits: ConnectionLimits) {
    this.ws = ws;
    this.#socket = socket;
    this.#limits = limits;
    this.remoteAddress = socket.remoteAddress ?? "";
    ws.on("pong", () => {
      this.awaitingPong = false;
    });
  }

  /** Bytes waiting: in beamgate's queue and in the socket's buffer. */
  get bufferedBytes(): number {
    return this.#queuedBytes + this.#socket.writableLength;
  }

  /**
   * True while more than the soft limit is waiting to be written. Whoever sees `true` gets an
   * `onDrain` call once the connection catches up.
   */
  get lagging(): boolean {
    const lagging = this.bufferedBytes > this.#limits.outboundSoftLimitBytes;
    if (lagging) this.#wasLagging = true;
    return lagging;
  }

  get closing(): boolean {
    return this.#closing;
  }

  /** Values replaced by newer ones on this connection so far. */
  get skippedTotal(): number {
    return this.#skippedTotal;
  }

  /** Called once each time the connection stops lagging. */
  set onDrain(callback: (() => void) | undefined) {
    this.#onDrain = callback;
  }

  send(message: Outgoing): void {
    if (this.#closing) return;
    const entry: Entry = { message, dead: false };
    const conflate = message.conflate;
    if (conflate) {
      const previous = this.#latestByKey.get(conflate.key);
      if (previous && !previous.dead && this.lagging) {
        previous.dead = true;
        this.#queuedBytes -= previous.message.bytes;
        this.#skippedTotal++;
        entry.firstSkipped = previous.firstSkipped ?? (previous.message.conflate?.sequence as number);
      }
      this.#latestByKey.set(conflate.key, entry);
    }
    // Judge the backlog before this message, so one message larger than the limit still goes out.
    if (this.bufferedBytes > this.#limits.outboundHardLimitBytes) {
      this.close(new BeamgateError("BG_ERR_CONN_SLOW_CONSUMER"));
      return;
    }
    this.#queue.push(entry);
    this.#queuedBytes += message.bytes;
    if (!this.#flushScheduled && !this.#waitingForDrain) {
      this.#flushScheduled = true;
      setImmediate(() => this.#flush());
    }
  }

  sendText(text: string): void {
    this.send(textMessage(text));
  }

  /**
   * Closes with the error's close code (or 1000), dropping what is queued, and destroys the socket
   * if the peer has not completed the close within the grace period.
   */
  close(error?: BeamgateError, code = error?.closeCode ?? 1000, reason = error?.message ?? ""): void {
    if (this.#closing) return;
    this.#closing = true;
    this.#queue = [];
    this.#queuedBytes = 0;
    this.#latestByKey.clear();
    this.ws.close(code, closeReason(reason));
    const grace = setTimeout(() => this.ws.terminate(), this.#limits.closeGraceMs);
    grace.unref();
    this.ws.once("close", () => clearTimeout(grace));
  }

  #flush(): void {
    this.#flushScheduled = false;
    if (this.#closing || this.ws.readyState !== this.ws.OPEN) return;
    const socket = this.#socket;
    const highWater = this.#limits.outboundSoftLimitBytes;
    const small: Uint8Array[] = [];
    let smallBytes = 0;
    const writeSmall = () => {
      if (smallBytes === 0) return;
      socket.write(small.length === 1 ? (small[0] as Uint8Array) : Buffer.concat(small, smallBytes));
      small.length = 0;
      smallBytes = 0;
    };
    const put = (chunk: Uint8Array) => {
      if (chunk.byteLength >= COPY_THRESHOLD_BYTES) {
        writeSmall();
        socket.write(chunk);
      } else {
        small.push(chunk);
        smallBytes += chunk.byteLength;
      }
    };
    const writeMessage = (m: Outgoing) => {
      put(frameHeader(m.binary ? OPCODE_BINARY : OPCODE_TEXT, m.bytes));
      for (const chunk of m.chunks) put(chunk);
    };

    socket.cork();
    let i = 0;
    for (; i < this.#queue.length; i++) {
      if (socket.writableLength + smallBytes >= highWater) break;
      const entry = this.#queue[i] as Entry;
      if (entry.dead) continue;
      const m = entry.message;
      this.#queuedBytes -= m.bytes;
      if (m.conflate) {
        if (entry.firstSkipped !== undefined) {
          writeMessage(m.conflate.key.skippedNotice(entry.firstSkipped, m.conflate.sequence - 1));
        }
        if (this.#latestByKey.get(m.conflate.key) === entry) this.#latestByKey.delete(m.conflate.key);
      }
      writeMessage(m);
    }
    writeSmall();
    socket.uncork();
    this.#queue = i >= this.#queue.length ? [] : this.#queue.slice(i);

    if (this.#queue.length > 0 || socket.writableLength >= highWater) {
      this.#waitingForDrain = true;
      const resume = () => {
        this.#waitingForDrain = false;
        this.#flush();
      };
      // 'drain' only comes if a write reached the socket's own high-water mark; otherwise poll.
      if (socket.writableNeedDrain) socket.once("drain", resume);
      else setTimeout(resume, 5).unref();
      return;
    }
    if (this.#wasLagging && !this.lagging) {
      this.#wasLagging = false;
      this.#onDrain?.();
    }
  }
}

/** Close reasons are limited to 123 bytes of UTF-8 (RFC 6455 §5.5); cut on a character boundary. */
function closeReason(reason: string): string {
  let r = reason;
  while (Buffer.byteLength(r) > 123) r = r.slice(0, -1);
  return r;
}
