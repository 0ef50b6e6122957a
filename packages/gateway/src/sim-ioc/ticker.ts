/**
 * The one timer behind every simulated PV of the sim IOC. Jobs run at their own period from a single
 * `setTimeout`, set for the earliest job due, so an idle IOC wakes only for the jobs it has and a
 * stopped one holds no timer. Due times are multiples of the period, so jobs of the same period run
 * in the same event-loop turn whenever they were added.
 */

/** A periodic job; `nowMs` is the ticker's clock (monotonic milliseconds). */
export type Job = (nowMs: number) => void;

interface Entry {
  readonly periodMs: number;
  readonly job: Job;
  dueMs: number;
}

/** Timers may fire up to a millisecond early against `performance.now()`; such a job is due. */
const EARLY_MS = 1;

export class Ticker {
  readonly #entries = new Set<Entry>();
  readonly #clock: () => number;
  #timer: NodeJS.Timeout | undefined;
  #timerDueMs = Number.POSITIVE_INFINITY;

  constructor(clock: () => number = () => performance.now()) {
    this.#clock = clock;
  }

  /** The ticker's clock, in the milliseconds its jobs are given. */
  now(): number {
    return this.#clock();
  }

  /** Runs `job` every `periodMs` from the next multiple of it; returns the function that stops it. */
  every(periodMs: number, job: Job): () => void {
    // Past the early margin: a turn that already ran a little early is not due again.
    const entry: Entry = { periodMs, job, dueMs: nextMultiple(this.#clock() + EARLY_MS, periodMs) };
    this.#entries.add(entry);
    this.#schedule();
    return () => {
      if (this.#entries.delete(entry)) this.#schedule();
    };
  }

  /** Stops every job and the timer. */
  stop(): void {
    this.#entries.clear();
    this.#schedule();
  }

  #schedule(): void {
    let due = Number.POSITIVE_INFINITY;
    for (const entry of this.#entries) due = Math.min(due, entry.dueMs);
    if (due === this.#timerDueMs) return;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerDueMs = due;
    if (due !== Number.POSITIVE_INFINITY) {
      this.#timer = setTimeout(() => this.#run(), Math.max(0, due - this.#clock()));
    }
  }

  #run(): void {
    this.#timer = undefined;
    this.#timerDueMs = Number.POSITIVE_INFINITY;
    const now = this.#clock();
    for (const entry of [...this.#entries]) {
      // A job may stop itself or another job of this turn.
      if (entry.dueMs > now + EARLY_MS || !this.#entries.has(entry)) continue;
      // Ticks missed while the event loop was busy are skipped, not run in a burst.
      entry.dueMs = Math.max(entry.dueMs + entry.periodMs, nextMultiple(now, entry.periodMs));
      entry.job(now);
    }
    this.#schedule();
  }
}

function nextMultiple(nowMs: number, periodMs: number): number {
  return (Math.floor(nowMs / periodMs) + 1) * periodMs;
}
