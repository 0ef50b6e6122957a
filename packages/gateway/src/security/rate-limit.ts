/**
 * A token bucket per connection: `rate` messages per second on average, `burst` at once. A message
 * past it is refused (the client is told); a client that goes on refusing to slow down (a full
 * second's worth of messages refused in a row) is closed.
 */
export type RateVerdict = "ok" | "refuse" | "close";

export class MessageRate {
  readonly #rate: number;
  readonly #burst: number;
  #tokens: number;
  #last = performance.now();
  #refusedInRow = 0;

  constructor(rate: number, burst: number) {
    this.#rate = rate;
    this.#burst = burst;
    this.#tokens = burst;
  }

  take(): RateVerdict {
    const now = performance.now();
    this.#tokens = Math.min(this.#burst, this.#tokens + ((now - this.#last) * this.#rate) / 1000);
    this.#last = now;
    if (this.#tokens >= 1) {
      this.#tokens -= 1;
      this.#refusedInRow = 0;
      return "ok";
    }
    return ++this.#refusedInRow >= this.#rate ? "close" : "refuse";
  }
}
