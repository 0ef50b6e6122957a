/**
 * Drives posts at a steady total rate, spread evenly: each turn emits what is due since the start
 * (at most one round of the PVs per turn, so that the event loop still gets to its I/O between
 * turns). A pacer that falls behind (its process saturated) does not try to catch up more than
 * `MAX_LAG_MS` of posts: older ones are skipped and counted, so a saturated server posts what it
 * can, and the rate posted is what it reached.
 */

const MAX_LAG_MS = 20;

export class Pacer {
  /** Posts emitted so far. */
  emitted = 0;
  /** Posts that fell due but were skipped because the pacer was behind. */
  skipped = 0;
  readonly #perSecond: number;
  readonly #chunk: number;
  /** Emits up to `n` posts; returns how many it could (a writer under backpressure may do fewer). */
  readonly #emit: (n: number) => number;
  #started = 0;
  #timer: NodeJS.Timeout | NodeJS.Immediate | undefined;
  #stopped = false;

  constructor(perSecond: number, chunk: number, emit: (n: number) => number) {
    this.#perSecond = perSecond;
    this.#chunk = Math.max(1, chunk);
    this.#emit = emit;
  }

  start(): void {
    this.#started = performance.now();
    this.#tick();
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer) {
      clearTimeout(this.#timer as NodeJS.Timeout);
      clearImmediate(this.#timer as NodeJS.Immediate);
    }
  }

  #tick = (): void => {
    if (this.#stopped) return;
    let due = ((performance.now() - this.#started) * this.#perSecond) / 1000 - this.emitted - this.skipped;
    const lagCap = Math.max(this.#chunk, (this.#perSecond * MAX_LAG_MS) / 1000);
    if (due > lagCap) {
      const skip = Math.floor(due - lagCap);
      this.skipped += skip;
      due -= skip;
    }
    const n = Math.min(Math.floor(due), this.#chunk);
    const done = n > 0 ? this.#emit(n) : 0;
    this.emitted += done;
    // More due, and the writer took all it was given: go again after this turn's I/O.
    this.#timer = due - done >= 1 && done === n ? setImmediate(this.#tick) : setTimeout(this.#tick, 1);
  };
}
