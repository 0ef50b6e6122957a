/**
 * The retained window of a log topic: the newest records, bounded by count and by bytes, for
 * replay from a sequence number. A ring buffer, so eviction is O(1). The newest record is always
 * kept, even if it alone exceeds the byte bound.
 */
import type { DataEvent } from "./events.js";

export class LogWindow {
  readonly #maxRecords: number;
  readonly #maxBytes: number;
  #ring: (DataEvent | undefined)[] = [];
  #head = 0; // index of the oldest record
  #size = 0;
  #bytes = 0;

  constructor(maxRecords: number, maxBytes: number) {
    this.#maxRecords = maxRecords;
    this.#maxBytes = maxBytes;
  }

  get size(): number {
    return this.#size;
  }

  get bytes(): number {
    return this.#bytes;
  }

  /** Sequence of the oldest retained record, or undefined when empty. */
  get firstSequence(): number | undefined {
    return this.#size ? this.#at(0).sequence : undefined;
  }

  push(event: DataEvent): void {
    while (this.#size > 0 && (this.#size >= this.#maxRecords || this.#bytes + event.bytes > this.#maxBytes)) {
      this.#evictOldest();
    }
    if (this.#size === this.#ring.length) this.#grow();
    this.#ring[(this.#head + this.#size) % this.#ring.length] = event;
    this.#size++;
    this.#bytes += event.bytes;
  }

  /** Retained records with `sequence >= from`, oldest first. */
  from(from: number): DataEvent[] {
    const first = this.firstSequence;
    if (first === undefined) return [];
    const skip = Math.max(0, from - first);
    const out: DataEvent[] = [];
    for (let i = skip; i < this.#size; i++) out.push(this.#at(i));
    return out;
  }

  #at(i: number): DataEvent {
    return this.#ring[(this.#head + i) % this.#ring.length] as DataEvent;
  }

  #evictOldest(): void {
    const old = this.#at(0);
    this.#ring[this.#head] = undefined;
    this.#head = (this.#head + 1) % this.#ring.length;
    this.#size--;
    this.#bytes -= old.bytes;
  }

  /** Doubles the ring (up to maxRecords), oldest first at 0: most topics never fill their window. */
  #grow(): void {
    const capacity = Math.min(this.#maxRecords, Math.max(16, this.#ring.length * 2));
    const next = new Array<DataEvent | undefined>(capacity);
    for (let i = 0; i < this.#size; i++) next[i] = this.#at(i);
    this.#ring = next;
    this.#head = 0;
  }
}
