/** Open WebSocket connections per key (a client address, a principal), with a ceiling each. */
export class ConnectionCounts {
  readonly #counts = new Map<string, number>();

  /** Takes a place for `key` unless `limit` are taken already; returns whether it did. */
  reserve(key: string, limit: number): boolean {
    const count = this.#counts.get(key) ?? 0;
    if (count >= limit) return false;
    this.#counts.set(key, count + 1);
    return true;
  }

  release(key: string): void {
    const count = (this.#counts.get(key) ?? 0) - 1;
    if (count > 0) this.#counts.set(key, count);
    else this.#counts.delete(key);
  }
}
