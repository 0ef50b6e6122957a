/**
 * Shared timers for simulated PVs: one interval per distinct period, however many PVs use it, so
 * PVs with the same rate update in the same event-loop turn.
 */
export class Ticker {
  readonly #groups = new Map<number, { timer: NodeJS.Timeout; callbacks: Set<() => void> }>();

  /** Calls `callback` every `periodMs` until the returned function is called. */
  every(periodMs: number, callback: () => void): () => void {
    let group = this.#groups.get(periodMs);
    if (!group) {
      const callbacks = new Set<() => void>();
      const timer = setInterval(() => {
        for (const cb of callbacks) cb();
      }, periodMs);
      timer.unref();
      group = { timer, callbacks };
      this.#groups.set(periodMs, group);
    }
    const { callbacks } = group;
    callbacks.add(callback);
    return () => {
      callbacks.delete(callback);
      if (callbacks.size === 0 && this.#groups.get(periodMs)?.callbacks === callbacks) {
        clearInterval(this.#groups.get(periodMs)?.timer);
        this.#groups.delete(periodMs);
      }
    };
  }

  stop(): void {
    for (const { timer } of this.#groups.values()) clearInterval(timer);
    this.#groups.clear();
  }
}
