/**
 * The one timer behind the sim IOC: aligned periods, skipped ticks and stopping run on a fake clock
 * with Node's mocked setTimeout, so that a loaded machine cannot make them late; "no timer left"
 * is checked on real timers.
 */
import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it, mock } from "node:test";
import { Ticker } from "../../src/sim-ioc/ticker.js";

describe("Ticker", () => {
  let now = 0;
  /** Moves the fake clock and the mocked timers together. */
  const advance = (ms: number) => {
    now += ms;
    mock.timers.tick(ms);
  };
  beforeEach(() => {
    now = 1003;
    mock.timers.enable({ apis: ["setTimeout"] });
  });
  afterEach(() => mock.timers.reset());

  it("runs a job at multiples of its period, and jobs of one period in the same turn", () => {
    const ticker = new Ticker(() => now);
    const a: number[] = [];
    const b: number[] = [];
    ticker.every(20, (t) => a.push(t));
    advance(17);
    assert.deepEqual(a, [1020]);
    advance(7); // 1027: b joins a's next turn, not 20 ms from now
    ticker.every(20, (t) => b.push(t));
    advance(13);
    assert.deepEqual(a, [1020, 1040]);
    assert.deepEqual(b, [1040]);
    advance(20);
    assert.deepEqual(b, [1040, 1060]);
    ticker.stop();
  });

  it("skips the ticks it missed while the event loop was busy", () => {
    const ticker = new Ticker(() => now);
    const runs: number[] = [];
    ticker.every(10, (t) => runs.push(t));
    now += 60; // six periods pass with no turn of the event loop
    advance(7);
    assert.deepEqual(runs, [1070], "one run, not a burst");
    advance(10);
    assert.deepEqual(runs, [1070, 1080], "back on the multiples");
    ticker.stop();
  });

  it("lets a job stop itself and another job of the same turn", () => {
    const ticker = new Ticker(() => now);
    const ran: string[] = [];
    const stopB = ticker.every(10, () => ran.push("b"));
    const stopA = ticker.every(10, () => {
      ran.push("a");
      stopA();
      stopB();
    });
    for (let i = 0; i < 3; i++) advance(10);
    assert.deepEqual(ran, ["b", "a"]);
  });
});

describe("Ticker timers", () => {
  const timers = () => process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;

  it("holds one timer while it has jobs and none once they stop", () => {
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
});
