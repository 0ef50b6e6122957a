/**
 * One WebSocket connection: its bounded outbound queue and how it is written. `ws` parses inbound
 * frames and runs ping/pong and the close handshake; beamgate writes data frames itself
 * (docs/decisions/003-own-frame-writer.md).
 *
 * Writes are coalesced: messages queued during one event-loop turn go out in one corked write,
 * their frame headers and small chunks copied into one buffer. Past the soft limit (queued bytes
 * plus the socket's own buffer) the connection "lags": state values replace older queued values
 * of the same subscription (the client is told what was skipped), and adapters may pause log
 * streams. Past the hard limit the connection is closed with 4000 and destroyed if it does not
 * answer the close within the grace period.
 */
import type { Socket } from "node:net";
import type { WebSocket } from "ws";
import { BeamgateError } from "../errors.js";
import { OPCODE_BINARY, OPCODE_TEXT, writeFrameHeader } from "./frame.js";
import { type ConflationKey, type Outgoing, textMessage } from "./outgoing.js";

export interface ConnectionLimits {
  readonly outboundSoftLimitBytes: number;
  readonly outboundHardLimitBytes: number;
  readonly closeGraceMs: number;
}

interface Entry {
  /** Emptied when the entry is replaced, so a dead entry holds no message bytes. */
  message: Outgoing;
  dead: boolean;
  /** Set for conflatable values: the stream they belong to and their sequence. */
  readonly key?: ConflationKey;
  readonly sequence?: number;
  /** First sequence this entry's value replaced, when it replaced others. */
  firstSkipped?: number;
}

const NOTHING: Outgoing = { binary: false, chunks: [], bytes: 0 };

/** How long `end()` waits for the queue to be written before it closes regardless. */
const END_DRAIN_MS = 10_000;

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
  /** Index of the first entry not yet written. */
  #head = 0;
  /** Replaced entries still in the queue. */
  #dead = 0;
  #queuedBytes = 0;
  #flushScheduled = false;
  #waitingForDrain = false;
  #wasLagging = false;
  #closing = false;
  #onDrain: (() => void) | undefined;
  /** Set by `end`: the close to send once the queue is written. */
  #endWith: { code: number; reason: string } | undefined;

  /** `remoteAddress`: the client's address (a trusted proxy's client); the peer's by default. */
  constructor(ws: WebSocket, socket: Socket, limits: ConnectionLimits, remoteAddress = socket.remoteAddress ?? "") {
    this.ws = ws;
    this.#socket = socket;
    this.#limits = limits;
    this.remoteAddress = remoteAddress;
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

  /** Entries held by the queue array, replaced ones included: what the queue costs in memory. */
  get queueLength(): number {
    return this.#queue.length - this.#head;
  }

  /** Called once each time the connection stops lagging. */
  set onDrain(callback: (() => void) | undefined) {
    this.#onDrain = callback;
  }

  /** Queues a message; it is written at the end of this event-loop turn. */
  send(message: Outgoing): void {
    this.#enqueue({ message, dead: false });
  }

  /**
   * Queues a state value of the stream `key`. While the connection lags, it replaces the stream's
   * value still waiting in the queue, and the client is told which sequences it skipped.
   */
  sendLatest(key: ConflationKey, sequence: number, message: Outgoing): void {
    const entry: Entry = { message, dead: false, key, sequence };
    const previous = key.queued as Entry | undefined;
    if (previous && !previous.dead && this.lagging) {
      previous.dead = true;
      this.#queuedBytes -= previous.message.bytes;
      previous.message = NOTHING;
      this.#dead++;
      entry.firstSkipped = previous.firstSkipped ?? (previous.sequence as number);
    }
    key.queued = entry;
    this.#enqueue(entry);
  }

  sendText(text: string): void {
    this.send(textMessage(text));
  }

  /** Writes what is queued now rather than at the end of the turn (for senders that already batch). */
  flush(): void {
    if (!this.#waitingForDrain) this.#flush();
  }

  /**
   * Closes normally (or with `code`) once everything queued so far is written; sends nothing more.
   * A peer that does not take the rest within END_DRAIN_MS is closed anyway.
   */
  end(code = 1000, reason = ""): void {
    if (this.#closing || this.#endWith) return;
    this.#endWith = { code, reason };
    if (this.queueLength === 0) {
      this.close(undefined, code, reason);
      return;
    }
    setTimeout(() => this.close(undefined, code, reason), END_DRAIN_MS).unref();
    this.flush();
  }

  /**
   * Closes with the error's close code (or 1000), dropping what is queued, and destroys the socket
   * if the peer has not completed the close within the grace period.
   */
  close(error?: BeamgateError, code = error?.closeCode ?? 1000, reason = error?.message ?? ""): void {
    if (this.#closing) return;
    this.#closing = true;
    for (const entry of this.#queue) if (entry.key?.queued === entry) entry.key.queued = undefined;
    this.#queue = [];
    this.#head = 0;
    this.#dead = 0;
    this.#queuedBytes = 0;
    this.ws.close(code, closeReason(reason));
    const grace = setTimeout(() => this.ws.terminate(), this.#limits.closeGraceMs);
    grace.unref();
    this.ws.once("close", () => clearTimeout(grace));
  }

  #enqueue(entry: Entry): void {
    if (this.#closing || this.#endWith) return;
    // Judge the backlog before this message, so one message larger than the limit still goes out.
    if (this.bufferedBytes > this.#limits.outboundHardLimitBytes) {
      this.close(new BeamgateError("BG_ERR_CONN_SLOW_CONSUMER"));
      return;
    }
    this.#queue.push(entry);
    this.#queuedBytes += entry.message.bytes;
    if (this.#dead > 64 && this.#dead * 2 > this.#queue.length - this.#head) this.#compact();
    if (!this.#flushScheduled && !this.#waitingForDrain) {
      this.#flushScheduled = true;
      setImmediate(() => this.#flush());
    }
  }

  /** Drops written and replaced entries from the queue array. */
  #compact(): void {
    this.#queue = this.#queue.slice(this.#head).filter((e) => !e.dead);
    this.#head = 0;
    this.#dead = 0;
  }

  #flush(): void {
    this.#flushScheduled = false;
    if (this.#closing || this.ws.readyState !== this.ws.OPEN) return;
    const socket = this.#socket;
    const highWater = this.#limits.outboundSoftLimitBytes;

    // Choose what to write now (up to the soft limit in the socket), with the notices of skipped values.
    const batch: Outgoing[] = [];
    let budget = highWater - socket.writableLength;
    let i = this.#head;
    for (; i < this.#queue.length; i++) {
      const entry = this.#queue[i] as Entry;
      if (entry.dead) {
        this.#dead--;
        continue;
      }
      if (budget <= 0) break;
      this.#queuedBytes -= entry.message.bytes;
      budget -= entry.message.bytes;
      if (entry.key) {
        if (entry.firstSkipped !== undefined) {
          batch.push(entry.key.skippedNotice(entry.firstSkipped, (entry.sequence as number) - 1));
        }
        if (entry.key.queued === entry) entry.key.queued = undefined;
      }
      batch.push(entry.message);
    }
    this.#head = i;
    if (this.#head >= this.#queue.length) {
      this.#queue = [];
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#compact();
    }

    socket.cork();
    try {
      writeFrames(socket, batch);
    } finally {
      socket.uncork();
    }

    if (this.#head < this.#queue.length || socket.writableLength >= highWater) {
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
    if (this.#endWith) {
      this.close(undefined, this.#endWith.code, this.#endWith.reason);
      return;
    }
    if (this.#wasLagging && !this.lagging) {
      this.#wasLagging = false;
      this.#onDrain?.();
    }
  }
}

/**
 * Writes messages as frames: headers and small chunks are copied into one buffer; chunks of
 * COPY_THRESHOLD_BYTES or more are written as they are, between the copied parts.
 */
function writeFrames(socket: Socket, messages: readonly Outgoing[]): void {
  let copied = 0;
  for (const m of messages) {
    copied += m.bytes < 126 ? 2 : m.bytes < 0x10000 ? 4 : 10;
    for (const chunk of m.chunks) if (chunk.byteLength < COPY_THRESHOLD_BYTES) copied += chunk.byteLength;
  }
  const buffer = Buffer.allocUnsafe(copied);
  let offset = 0;
  let start = 0;
  for (const m of messages) {
    offset = writeFrameHeader(buffer, offset, m.binary ? OPCODE_BINARY : OPCODE_TEXT, m.bytes);
    for (const chunk of m.chunks) {
      if (chunk.byteLength < COPY_THRESHOLD_BYTES) {
        buffer.set(chunk, offset);
        offset += chunk.byteLength;
        continue;
      }
      if (offset > start) socket.write(buffer.subarray(start, offset));
      socket.write(chunk);
      start = offset;
    }
  }
  if (offset > start) socket.write(buffer.subarray(start, offset));
}

/** Close reasons are limited to 123 bytes of UTF-8 (RFC 6455 §5.5); cut on a character boundary. */
function closeReason(reason: string): string {
  let r = reason;
  while (Buffer.byteLength(r) > 123) r = r.slice(0, -1);
  return r;
}
