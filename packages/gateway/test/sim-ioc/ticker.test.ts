/** The one timer behind the sim IOC: aligned periods, stopping, skipped ticks, no timer left. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Ticker } from "../../src/sim-ioc/ticker.js";

const timers = () => process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;

/** Resolves after `job` has run `n` times; rejects after `timeoutMs`. */
function runs(ticker: Ticker, periodMs: number, n: number, timeoutMs = 2000): Promise<number[]> {
  const times: number[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${times.length} of ${n} runs in ${timeoutMs} ms`)), timeoutMs);
    const stop = ticker.every(periodMs, (now) => {
      times.push(now);
      if (times.length < n) return;
      stop();
      clearTimeout(timer);
      resolve(times);
    });
  });
}

describe("Ticker", () => {
  it("runs jobs of one period in the same turn, at multiples of the period", async () => {
    const ticker = new Ticker();
    const a = runs(ticker, 20, 6);
    await new Promise((r) => setTimeout(r, 7));
    const b = runs(ticker, 20, 3);
    const [timesA, timesB] = await Promise.all([a, b]);
    // b joins whichever of a's turns comes next: every one of its runs is one of a's.
    for (const t of timesB) assert.ok(timesA.includes(t), `b ran at ${t}, a at ${timesA.join(", ")}`);
    // Timers may fire a fraction of a millisecond early or a few late: near a multiple is enough.
    for (const t of timesA) assert.ok(Math.min(t % 20, 20 - (t % 20)) < 5, `due at a multiple of 20 ms: ${t}`);
    ticker.stop();
  });

  it("holds one timer while it has jobs and none once they stop", async () => {
    const before = timers();
    const ticker = new Ticker();
    const stopFast = ticker.every(10, () => {});
    const stopSlow = ticker.every(1000, () => {});
    assert.equal(timers(), before + 1, "one timer for two jobs");
    stopFast();
    assert.equal(timers(), before + 1);
    stopSlow();
    assert.equal(timers(), before, "none after the last job stops");
    ticker.every(10, () => {});
    ticker.stop();
    assert.equal(timers(), before, "none after stop()");
  });

  it("skips the ticks it missed while the event loop was busy", async () => {
    const ticker = new Ticker();
    let count = 0;
    ticker.every(10, () => {
      count++;
    });
    const busyUntil = performance.now() + 60;
    while (performance.now() < busyUntil); // six periods without a turn
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setTimeout(r, 0));
    assert.ok(count <= 1, `${count} runs after a 60 ms stall`);
    ticker.stop();
  });

  it("lets a job stop itself and another job of the same turn", async () => {
    const ticker = new Ticker();
    const ran: string[] = [];
    const stopB = ticker.every(10, () => ran.push("b"));
    const stopA = ticker.every(10, () => {
      ran.push("a");
      stopA();
      stopB();
    });
    await runs(ticker, 10, 3);
    assert.deepEqual(
      ran.filter((r) => r === "a"),
      ["a"],
    );
    assert.ok(ran.filter((r) => r === "b").length <= 1);
    ticker.stop();
  });
});
