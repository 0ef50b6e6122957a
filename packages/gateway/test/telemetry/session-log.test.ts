/** The session log on a real disk: frames all-or-nothing, torn tails cut at open, reads of flushed data only. */
import assert from "node:assert/strict";
import { appendFileSync, mkdtempSync, readdirSync, readlinkSync, rmSync, statSync, truncateSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import type { DataRecord } from "../../src/telemetry/records.js";
import { SessionLog } from "../../src/telemetry/session-log.js";

const OPTIONS = { chunkDurationMs: 60_000, chunkMaxBytes: 1 << 20 };

function record(channel: number, start: bigint, fill = channel): DataRecord {
  return { kind: "periodic", channelIds: [channel], start, end: start + 9n, body: new Uint8Array(16).fill(fill) };
}

function readAll(log: SessionLog, kind: DataRecord["kind"] = "periodic"): DataRecord[] {
  return [...log.read({ kind, start: -(2n ** 63n), end: 2n ** 63n - 1n })];
}

describe("session log", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "bg-log-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("reads back only what was flushed, with kinds, channels and times", async () => {
    const log = new SessionLog(dir, OPTIONS);
    log.append([record(1, 100n), record(2, 200n)]);
    assert.equal(readAll(log).length, 0, "not yet flushed");
    await log.flush();
    const got = readAll(log);
    assert.deepEqual(
      got.map((r) => [r.channelIds, r.start, r.end, [...r.body]]),
      [
        [[1], 100n, 109n, Array(16).fill(1)],
        [[2], 200n, 209n, Array(16).fill(2)],
      ],
    );
    assert.equal(readAll(log, "row").length, 0);
    await log.close();
  });

  it("filters by channel and by overlap with the time span", async () => {
    const log = new SessionLog(dir, OPTIONS);
    log.append([record(1, 100n), record(2, 100n), record(1, 200n), record(1, 300n)]);
    await log.flush();
    const got = [...log.read({ kind: "periodic", channel: (c) => c === 1, start: 205n, end: 300n })];
    assert.deepEqual(
      got.map((r) => r.start),
      [200n, 300n],
    );
    await log.close();
  });

  it("one fdatasync serves concurrent flushes, which resolve in order", async () => {
    const log = new SessionLog(dir, OPTIONS);
    const order: number[] = [];
    const flushes = [];
    for (let i = 0; i < 20; i++) {
      log.append([record(i, BigInt(i) * 100n)]);
      flushes.push(log.flush().then(() => order.push(i)));
    }
    await Promise.all(flushes);
    assert.deepEqual(order, [...Array(20).keys()]);
    assert.equal(readAll(log).length, 20);
    await log.close();
  });

  it("cuts a torn or corrupt tail at open and keeps every whole frame before it", async () => {
    const first = new SessionLog(dir, OPTIONS);
    first.append([record(1, 100n)]);
    first.append([record(1, 200n), record(2, 200n)]);
    await first.close();
    const chunk = join(dir, readdirSync(dir)[0] as string);
    const whole = statSync(chunk).size;

    // A frame cut in the middle (a crash during the write).
    const torn = new SessionLog(dir, OPTIONS);
    torn.append([record(3, 300n)]);
    await torn.close();
    truncateSync(chunk, statSync(chunk).size - 5);
    const reopened = new SessionLog(dir, OPTIONS, () => {});
    assert.deepEqual(
      readAll(reopened).map((r) => r.start),
      [100n, 200n, 200n],
    );
    assert.equal(statSync(chunk).size, whole, "the torn frame is cut off");
    await reopened.close();

    // Garbage after the last frame (a length that claims too much, or bytes failing the CRC).
    appendFileSync(chunk, Buffer.from([0xff, 0xff, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]));
    const again = new SessionLog(dir, OPTIONS);
    assert.equal(readAll(again).length, 3);
    assert.equal(statSync(chunk).size, whole);
    // It goes on appending after the cut.
    again.append([record(4, 400n)]);
    await again.close();
    const last = new SessionLog(dir, OPTIONS);
    assert.deepEqual(
      readAll(last).map((r) => r.start),
      [100n, 200n, 200n, 400n],
    );
    await last.close();
  });

  it("starts a new chunk file past chunkMaxBytes and reads across chunks", async () => {
    const log = new SessionLog(dir, { chunkDurationMs: 60_000, chunkMaxBytes: 200 });
    for (let i = 0; i < 10; i++) log.append([record(1, BigInt(i) * 10n)]);
    await log.flush();
    const chunks = readdirSync(dir).filter((n) => n.endsWith(".log"));
    assert.ok(chunks.length >= 3, `chunks: ${chunks}`);
    assert.equal(readAll(log).length, 10);
    await log.close();
    const seen: bigint[] = [];
    const reopened = new SessionLog(dir, { chunkDurationMs: 60_000, chunkMaxBytes: 200 }, (r) => seen.push(r.start));
    assert.equal(seen.length, 10);
    // Only the chunks that may hold the span are opened: a read past every chunk finds nothing.
    assert.equal([...reopened.read({ kind: "periodic", start: 1_000n, end: 2_000n })].length, 0);
    await reopened.close();
  });

  it("keeps one file open however many chunks it rolls", async () => {
    const log = new SessionLog(dir, { chunkDurationMs: 60_000, chunkMaxBytes: 100 });
    const open = () =>
      readdirSync("/proc/self/fd").filter((fd) => {
        try {
          return readlinkSync(`/proc/self/fd/${fd}`).startsWith(dir);
        } catch {
          return false;
        }
      }).length;
    for (let i = 0; i < 30; i++) {
      log.append([record(1, BigInt(i) * 10n)]);
      await log.flush();
    }
    assert.ok(readdirSync(dir).length >= 20);
    assert.ok(open() <= 1, `${open()} files open`);
    await log.close();
    assert.equal(open(), 0);
  });
});
