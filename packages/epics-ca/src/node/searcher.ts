/**
 * Name searches over UDP for the channels not yet found. Each channel has its own back-off
 * (doubling from `firstIntervalMs` to `maxIntervalMs`); whatever is due goes out packed into
 * datagrams of at most 1024 bytes (libca's MAX_UDP_SEND), a bounded number per turn, to every
 * address of the list. A beacon anomaly (`reset`) makes every pending search due at once.
 */
import type { Socket as UdpSocket } from "node:dgram";
import { type CaMessage, encodeMessages } from "../commands.js";
import { CA_MINOR_PROTOCOL_REVISION, SEARCH } from "../constants.js";

const MAX_DATAGRAM_BYTES = 1024;
/** Datagrams sent per turn and address, so that 10,000 names do not overrun the servers' buffers. */
const MAX_DATAGRAMS_PER_TURN = 32;
const TURN_MS = 10;

export interface Searchable {
  readonly name: string;
  readonly cid: number;
}

interface Search {
  dueMs: number;
  intervalMs: number;
}

export class Searcher {
  readonly #udp: UdpSocket;
  readonly #targets: readonly { host: string; port: number }[];
  readonly #firstIntervalMs: number;
  readonly #maxIntervalMs: number;
  readonly #pending = new Map<Searchable, Search>();
  #timer: NodeJS.Timeout | undefined;
  #timerDueMs = Number.POSITIVE_INFINITY;

  constructor(
    udp: UdpSocket,
    targets: readonly { host: string; port: number }[],
    firstIntervalMs: number,
    maxIntervalMs: number,
  ) {
    this.#udp = udp;
    this.#targets = targets;
    this.#firstIntervalMs = firstIntervalMs;
    this.#maxIntervalMs = maxIntervalMs;
  }

  get pendingCount(): number {
    return this.#pending.size;
  }

  /** Starts searching for `channel` now, with the back-off from the beginning. */
  add(channel: Searchable): void {
    this.#pending.set(channel, { dueMs: Date.now(), intervalMs: this.#firstIntervalMs });
    this.#schedule(0);
  }

  /** Stops searching (found, or closed); true if it was being searched. */
  remove(channel: Searchable): boolean {
    return this.#pending.delete(channel);
  }

  /** A beacon anomaly: search again for every name at once, back-off from the beginning. */
  reset(): void {
    if (this.#pending.size === 0) return;
    const now = Date.now();
    for (const search of this.#pending.values()) {
      search.dueMs = now;
      search.intervalMs = this.#firstIntervalMs;
    }
    this.#schedule(0);
  }

  close(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#pending.clear();
  }

  #schedule(delayMs: number): void {
    const due = Date.now() + delayMs;
    if (this.#timer && this.#timerDueMs <= due) return;
    clearTimeout(this.#timer);
    this.#timerDueMs = due;
    this.#timer = setTimeout(() => this.#run(), delayMs);
  }

  #run(): void {
    this.#timer = undefined;
    this.#timerDueMs = Number.POSITIVE_INFINITY;
    const now = Date.now();
    const datagrams: Uint8Array[] = [];
    let batch: CaMessage[] = [];
    let batchBytes = 16;
    let full = false;
    let nextDue = Number.POSITIVE_INFINITY;
    for (const [channel, search] of this.#pending) {
      if (search.dueMs > now || full) {
        nextDue = Math.min(nextDue, full ? now + TURN_MS : search.dueMs);
        continue;
      }
      const size = 16 + ((Buffer.byteLength(channel.name) + 8) & ~7);
      if (batchBytes + size > MAX_DATAGRAM_BYTES && batch.length > 0) {
        datagrams.push(datagram(batch));
        batch = [];
        batchBytes = 16;
        if (datagrams.length === MAX_DATAGRAMS_PER_TURN) {
          full = true;
          nextDue = Math.min(nextDue, now + TURN_MS);
          continue;
        }
      }
      batch.push({
        command: "SEARCH",
        direction: "request",
        name: channel.name,
        cid: channel.cid,
        version: CA_MINOR_PROTOCOL_REVISION,
        reply: SEARCH.DONT_REPLY,
      });
      batchBytes += size;
      search.dueMs = now + search.intervalMs;
      search.intervalMs = Math.min(search.intervalMs * 2, this.#maxIntervalMs);
      nextDue = Math.min(nextDue, search.dueMs);
    }
    if (batch.length > 0) datagrams.push(datagram(batch));
    for (const bytes of datagrams) {
      for (const target of this.#targets) this.#udp.send(bytes, target.port, target.host, () => {});
    }
    if (nextDue !== Number.POSITIVE_INFINITY) this.#schedule(Math.max(nextDue - now, 0));
  }
}

function datagram(searches: CaMessage[]): Uint8Array {
  return encodeMessages(
    { command: "VERSION", direction: "request", priority: 0, version: CA_MINOR_PROTOCOL_REVISION },
    ...searches,
  );
}
