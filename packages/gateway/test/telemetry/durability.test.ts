/**
 * Durability end to end: a real `beamgate serve` child takes appends over HTTP and is killed with
 * SIGKILL at a random moment, again and again on one data directory. After each restart every
 * answered append is there, nothing is duplicated or corrupt, the session and its config are
 * intact, and writing goes on where the stored data ends.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { decodeSamples, fromBinary, PeriodicDataListSchema } from "@beamgate/rta";
import { serveOnDataDir as startServer } from "../helpers/cli.js";
import { RtaRest, TEST_CONFIG } from "../helpers/rta-client.js";

const CHANNELS = 4;
const SAMPLES = 50;
const INTERVAL = 1_000_000n;
const T0 = 1_732_000_000_000_000_000n;

/** Burst `n` of a channel: its start time and its values (which say which burst they are). */
const burst = (channel: number, n: number) => ({
  start: T0 + BigInt(n * SAMPLES) * INTERVAL,
  values: Array.from({ length: SAMPLES }, (_, i) => channel * 1e6 + n * 1000 + i),
});

/** The bursts stored for each channel, as burst numbers, checking every value. */
async function storedBursts(rest: RtaRest): Promise<number[][]> {
  const read = await rest.read("/sessions/durable/data/periodic/0-");
  assert.equal(read.status, 200);
  const out: number[][] = Array.from({ length: CHANNELS }, () => []);
  for (const chunk of read.chunks) {
    for (const item of fromBinary(PeriodicDataListSchema, chunk.payload).periodicData) {
      const n = Number((item.startTimestamp - T0) / (BigInt(SAMPLES) * INTERVAL));
      assert.deepEqual([...decodeSamples("f64", item.buffer)], burst(item.channelId, n).values, "values intact");
      out[item.channelId]?.push(n);
    }
  }
  return out.map((list) => list.sort((a, b) => a - b));
}

describe("telemetry durability under kill -9", () => {
  const dir = mkdtempSync(join(tmpdir(), "bg-durable-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("keeps every answered append across repeated SIGKILLs, and goes on writing", { timeout: 120_000 }, async () => {
    /** Per channel: the highest burst number answered 200. */
    const acked = Array.from({ length: CHANNELS }, () => -1);
    for (let round = 0; round < 5; round++) {
      const { url, run } = await startServer(dir);
      const rest = new RtaRest(url);
      if (round === 0) await rest.session("durable", TEST_CONFIG_MANY);
      const stored = await storedBursts(rest);
      const session = await rest.json("GET", "/sessions/durable", undefined, 200);
      assert.equal(session.state, "open");
      for (let c = 0; c < CHANNELS; c++) {
        const list = stored[c] as number[];
        // A contiguous run from 0, with no duplicates, holding every answered burst (and at most
        // the one in flight when the process died).
        assert.deepEqual(list, [...list.keys()], `channel ${c}: contiguous, no duplicates`);
        assert.ok(list.length - 1 >= (acked[c] as number), `channel ${c}: answered burst ${acked[c]} lost`);
        assert.ok(list.length - 1 <= (acked[c] as number) + 1, `channel ${c}: more than the in-flight burst`);
        acked[c] = list.length - 1;
      }
      // Re-sending the last stored burst is an overlap: the coverage was rebuilt from disk.
      if ((acked[0] as number) >= 0) {
        const last = burst(0, acked[0] as number);
        const res = await rest.request("POST", "/sessions/durable/data/periodic", {
          periodicData: [
            { channelId: 0, startTimestamp: `${last.start}`, interval: `${INTERVAL}`, values: last.values },
          ],
        });
        assert.equal(res.status, 409);
      }
      // Writers, one per channel, each appending its next burst as soon as the previous is answered.
      let killed = false;
      const writers = Array.from({ length: CHANNELS }, async (_, c) => {
        while (!killed) {
          const n = (acked[c] as number) + 1;
          const { start, values } = burst(c, n);
          try {
            const res = await rest.request("POST", "/sessions/durable/data/periodic", {
              periodicData: [{ channelId: c, startTimestamp: `${start}`, interval: `${INTERVAL}`, values }],
            });
            if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${await res.text()}`);
            acked[c] = n;
          } catch (e) {
            if (killed) return;
            throw e;
          }
        }
      });
      await new Promise((r) => setTimeout(r, 150 + Math.random() * 350));
      killed = true;
      run.child.kill("SIGKILL");
      await run.exited;
      await Promise.allSettled(writers);
    }
    assert.ok(
      acked.every((n) => n > 5),
      `appends were made: ${acked}`,
    );
  });
});

const TEST_CONFIG_MANY = {
  Rig: {
    ...TEST_CONFIG.Rig,
    channels: Array.from({ length: CHANNELS }, (_, id) => ({
      id,
      name: `c${id}`,
      source: "periodic",
      type: "f64",
      interval: Number(INTERVAL),
    })),
    parameters: [],
  },
};
