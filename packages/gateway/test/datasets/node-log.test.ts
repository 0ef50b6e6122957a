/** A dataset node's stream log on a real disk: numbering, order under concurrency, replay, restart, end. */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { type LogRecord, NodeLog } from "../../src/datasets/node-log.js";

const OPTIONS = { chunkDurationMs: 60_000, chunkMaxBytes: 4096 };
const text = (r: LogRecord) => Buffer.from(r.bytes).toString();

describe("dataset node log", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "bg-node-log-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("numbers concurrent appends from 1 and publishes them in order, each once", async () => {
    const log = new NodeLog(dir, OPTIONS);
    const seen: number[] = [];
    log.follow((r) => seen.push(r.sequence));
    const appended = await Promise.all(
      Array.from({ length: 200 }, (_, i) => log.append((seq) => Buffer.from(`w${i}:${seq}`))),
    );
    assert.deepEqual(
      seen,
      [...Array(200).keys()].map((i) => i + 1),
    );
    // The bytes each writer encoded carry the sequence it was given.
    for (const r of appended) assert.match(text(r), new RegExp(`:${r.sequence}$`));
    assert.equal(log.current, 200);
    await log.close();
  });

  it("publishes in sequence order, applies in sequence order after, and applied() waits for every apply", async () => {
    const log = new NodeLog(dir, OPTIONS);
    const events: string[] = [];
    log.follow((r) => events.push(`publish ${r.sequence}`));
    await Promise.all(
      Array.from({ length: 20 }, () =>
        log.append(() => Buffer.from("x"), {
          apply: async (r) => {
            await new Promise((resolve) => setTimeout(resolve, (r.sequence * 7) % 5));
            events.push(`apply ${r.sequence}`);
          },
        }),
      ),
    );
    await log.applied();
    const publishes = events.filter((e) => e.startsWith("publish"));
    const applies = events.filter((e) => e.startsWith("apply"));
    assert.deepEqual(
      publishes,
      Array.from({ length: 20 }, (_, i) => `publish ${i + 1}`),
    );
    assert.deepEqual(
      applies,
      Array.from({ length: 20 }, (_, i) => `apply ${i + 1}`),
    );
    for (let i = 1; i <= 20; i++) assert.ok(events.indexOf(`publish ${i}`) < events.indexOf(`apply ${i}`));
    await log.close();
  });

  it("reports a failed apply through applied() and refuses further appends", async () => {
    const log = new NodeLog(dir, OPTIONS);
    await log.append(() => Buffer.from("x"), {
      apply: async () => {
        throw new Error("disk gone");
      },
    });
    await assert.rejects(log.applied(), /disk gone/);
    await assert.rejects(
      log.append(() => Buffer.from("y")),
      /disk gone/,
    );
    await log.close();
  });

  it("replays from a sequence then follows live, with nothing missing or repeated", async () => {
    const log = new NodeLog(dir, OPTIONS);
    for (let i = 0; i < 30; i++) await log.append(() => Buffer.from(`r${i}`));
    const inFlight = Array.from({ length: 30 }, (_, i) => log.append(() => Buffer.from(`l${i}`)));
    const seen: number[] = [];
    log.follow((r) => seen.push(r.sequence), 10);
    await Promise.all(inFlight);
    assert.deepEqual(
      seen,
      [...Array(51).keys()].map((i) => i + 10),
    );
    assert.deepEqual([...log.records(61)], []);
    await log.close();
  });

  it("continues the numbering after a restart and gives every record back to re-apply", async () => {
    const first = new NodeLog(dir, OPTIONS);
    for (let i = 0; i < 50; i++) await first.append((seq) => Buffer.from(`v${seq}`));
    await first.close();
    const reapplied: number[] = [];
    const second = new NodeLog(dir, OPTIONS, (r) => reapplied.push(r.sequence));
    assert.deepEqual(
      reapplied,
      [...Array(50).keys()].map((i) => i + 1),
    );
    assert.equal(second.current, 50);
    const next = await second.append((seq) => Buffer.from(`v${seq}`));
    assert.equal(next.sequence, 51);
    assert.deepEqual([...second.records(49)].map(text), ["v49", "v50", "v51"]);
    await second.close();
  });

  it("ends once: later appends are refused, and the end survives a restart", async () => {
    const log = new NodeLog(dir, OPTIONS);
    await log.append(() => Buffer.from("a"));
    const end = await log.append(() => Buffer.alloc(0), { end: true });
    assert.deepEqual([end.sequence, end.end], [2, true]);
    await assert.rejects(
      log.append(() => Buffer.from("b")),
      /ended/,
    );
    await log.close();
    const again = new NodeLog(dir, OPTIONS);
    assert.equal(again.ended, true);
    assert.deepEqual(
      [...again.records(1)].map((r) => r.end),
      [false, true],
    );
    await again.close();
  });
});
