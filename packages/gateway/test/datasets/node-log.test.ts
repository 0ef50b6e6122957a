/** A dataset node's stream log on a real disk: numbering, order under concurrency, replay, restart, end. */
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
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
    const events: string[] = [];
    const log = new NodeLog(dir, {
      ...OPTIONS,
      apply: async (records) => {
        for (const r of records) {
          await new Promise((resolve) => setTimeout(resolve, (r.sequence * 7) % 5));
          events.push(`apply ${r.sequence}`);
        }
      },
    });
    log.follow((r) => events.push(`publish ${r.sequence}`));
    await Promise.all(Array.from({ length: 20 }, () => log.append(() => Buffer.from("x"))));
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

  it("applies what is published within applyDelayMs as one batch, and applied() applies at once", async () => {
    const batches: number[][] = [];
    const log = new NodeLog(dir, {
      ...OPTIONS,
      applyDelayMs: 60_000,
      apply: async (records) => {
        batches.push(records.map((r) => r.sequence));
      },
    });
    for (let i = 0; i < 5; i++) await log.append(() => Buffer.from("x"));
    // Transient and end records are published but never applied.
    await log.append(() => Buffer.from("t"), { transient: true });
    assert.deepEqual(batches, [], "waits for the delay (a minute here)");
    await log.applied();
    assert.deepEqual(batches, [[1, 2, 3, 4, 5]]);
    await log.append(() => Buffer.from("x"));
    await log.append(() => new Uint8Array(0), { end: true });
    await log.applied();
    assert.deepEqual(batches, [[1, 2, 3, 4, 5], [7]]);
    await log.close();
  });

  it("batches what is published while a batch is being applied", async () => {
    const batches: number[][] = [];
    let release: () => void = () => {};
    const log = new NodeLog(dir, {
      ...OPTIONS,
      apply: async (records) => {
        batches.push(records.map((r) => r.sequence));
        if (batches.length === 1) await new Promise<void>((resolve) => (release = resolve));
      },
    });
    await log.append(() => Buffer.from("x"));
    await Promise.all(Array.from({ length: 9 }, () => log.append(() => Buffer.from("y"))));
    const applied = log.applied();
    release();
    await applied;
    assert.deepEqual(batches, [[1], [2, 3, 4, 5, 6, 7, 8, 9, 10]]);
    await log.close();
  });

  it("room() holds writers while more than maxUnappliedBytes waits to be applied", async () => {
    let release: () => void = () => {};
    let applies = 0;
    const log = new NodeLog(dir, {
      ...OPTIONS,
      maxUnappliedBytes: 100,
      apply: async () => {
        if (applies++ === 0) await new Promise<void>((resolve) => (release = resolve));
      },
    });
    await log.append(() => Buffer.alloc(10)); // being applied (held)
    for (let i = 0; i < 11; i++) await log.append(() => Buffer.alloc(10)); // 120 bytes wait
    let roomy = false;
    const room = log.room().then(() => {
      roomy = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(roomy, false, "120 bytes wait, over the 100 allowed");
    release();
    await room;
    assert.equal(roomy, true);
    await log.close();
  });

  it("applied() resolves under a steady stream of writes (it waits for what was published when called)", async () => {
    const log = new NodeLog(dir, {
      ...OPTIONS,
      chunkMaxBytes: 1 << 20,
      apply: () => new Promise((resolve) => setTimeout(resolve, 5)),
    });
    let writing = true;
    const writer = async () => {
      while (writing) await log.append(() => Buffer.from("w"));
    };
    const writers = [writer(), writer()];
    await new Promise((resolve) => setTimeout(resolve, 30));
    const target = log.current;
    const timeout = new Promise((_, reject) => setTimeout(() => reject(new Error("applied() still waits")), 1000));
    await Promise.race([log.applied(), timeout]);
    assert.ok(log.settled >= target, "what was published when applied() was called is applied");
    assert.ok(writing, "the writers never stopped meanwhile");
    writing = false;
    await Promise.all(writers);
    await log.close();
  });

  it("reports a failed apply through applied() and refuses further appends", async () => {
    const log = new NodeLog(dir, {
      ...OPTIONS,
      apply: async () => {
        throw new Error("disk gone");
      },
    });
    const ends: number[] = [];
    log.follow((r) => r.end && ends.push(r.sequence));
    await log.append(() => Buffer.from("x"));
    await assert.rejects(log.applied(), /disk gone/);
    await assert.rejects(
      log.append(() => Buffer.from("y")),
      /disk gone/,
    );
    // The end is still taken, so followers (of a node being deleted, say) are told.
    const end = await log.append(() => new Uint8Array(0), { end: true });
    assert.deepEqual(ends, [end.sequence]);
    await log.close();
  });

  it("tells its followers once it fails, publishes nothing more, and tells later followers at once", async () => {
    const logDir = join(dir, "log");
    const log = new NodeLog(logDir, { chunkDurationMs: 60_000, chunkMaxBytes: 100 });
    await log.append(() => Buffer.alloc(200));
    const seen: number[] = [];
    const lost: string[] = [];
    log.follow(
      (r) => seen.push(r.sequence),
      (e) => lost.push(e.message),
    );
    // Each append starts a new file (past chunkMaxBytes): with the directory gone, it cannot.
    rmSync(logDir, { recursive: true });
    writeFileSync(logDir, "a file");
    await assert.rejects(log.append(() => Buffer.alloc(200)));
    assert.equal(lost.length, 1);
    assert.match(lost[0] as string, /ENOTDIR|ENOENT/);
    assert.deepEqual(seen, []);
    const late: string[] = [];
    log.follow(
      () => {},
      (e) => late.push(e.message),
    );
    assert.equal(late.length, 1);
    await log.close();
  });

  it("replays from a sequence then follows live, with nothing missing or repeated", async () => {
    const log = new NodeLog(dir, OPTIONS);
    for (let i = 0; i < 30; i++) await log.append(() => Buffer.from(`r${i}`));
    const inFlight = Array.from({ length: 30 }, (_, i) => log.append(() => Buffer.from(`l${i}`)));
    const seen: number[] = [];
    // The replay and the following in one synchronous step, as LogFollower does.
    for (const r of log.records(10)) seen.push(r.sequence);
    log.follow((r) => seen.push(r.sequence));
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

  it("drops its oldest files past retention once settled, keeps numbering across a restart, and replays from first", async () => {
    // About 3 records of 1 KiB per file.
    const options = { chunkDurationMs: 60_000, chunkMaxBytes: 3500 };
    const log = new NodeLog(dir, options);
    for (let i = 0; i < 12; i++) await log.append(() => Buffer.alloc(1024, i));
    const keep = { bytes: 3000, ms: 0 };
    assert.equal(log.trimmable(0, keep), 0, "nothing settled through 0");
    const n = log.trimmable(log.settled, keep);
    assert.ok(n >= 2, `${n} files may go`);
    assert.equal(log.trimmable(log.settled, { bytes: 0, ms: 0 }), 0, "no limits: everything kept");
    log.trim(n);
    const first = log.first;
    assert.ok(first > 1 && first <= 10, `first ${first}`);
    assert.deepEqual(
      [...log.records(1)].map((r) => r.sequence),
      Array.from({ length: 13 - first }, (_, i) => first + i),
    );
    const stored = readdirSync(dir).filter((f) => f.startsWith("chunk-"));
    const bytes = stored.reduce((sum, f) => sum + statSync(join(dir, f)).size, 0);
    assert.ok(bytes >= 3000 && stored.length < 4, `the newest 3000 bytes stay (${bytes} in ${stored.length} files)`);
    await log.close();

    const again = new NodeLog(dir, options);
    assert.equal(again.first, first);
    assert.equal(again.current, 12);
    assert.equal((await again.append(() => Buffer.alloc(1024, 13))).sequence, 13); // in a new file
    // Age: files last written longer ago than `ms` go too (but never the one being written).
    const later = Date.now() + 60_000;
    again.trim(again.trimmable(again.settled, { bytes: 0, ms: 1000 }, later));
    assert.deepEqual([...again.records(1)].map((r) => r.sequence).at(-1), 13);
    assert.ok(again.first > first);
    await again.close();
  });

  it("keeps what is not applied yet, whatever the retention", async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    const log = new NodeLog(dir, { chunkDurationMs: 60_000, chunkMaxBytes: 1500, apply: () => gate });
    for (let i = 0; i < 6; i++) await log.append(() => Buffer.alloc(1024, i));
    assert.equal(log.settled, 0, "the first batch is being applied");
    assert.equal(log.trimmable(log.settled, { bytes: 1, ms: 0 }), 0);
    release();
    await log.applied();
    assert.equal(log.settled, 6);
    assert.ok(log.trimmable(log.settled, { bytes: 1, ms: 0 }) > 0);
    await log.close();
  });

  it("goes on from a place a read gave, and clears files a crash left past the dropped-through note", async () => {
    const options = { chunkDurationMs: 60_000, chunkMaxBytes: 3500 };
    const log = new NodeLog(dir, options);
    for (let i = 0; i < 9; i++) await log.append(() => Buffer.alloc(1024, i));
    const all = [...log.placed(1)];
    const fifth = all[4];
    assert.ok(fifth);
    assert.deepEqual(
      [...log.placed(5, fifth.place)].map((r) => r.record.sequence),
      [5, 6, 7, 8, 9],
    );
    await log.close();
    // As if a crash came after the note of a trim but before its files were removed.
    writeFileSync(join(dir, "dropped-through"), "3");
    const again = new NodeLog(dir, options);
    assert.equal(again.first, 4);
    assert.deepEqual(
      [...again.records(1)].map((r) => r.sequence),
      [4, 5, 6, 7, 8, 9],
    );
    const files = readdirSync(dir).filter((f) => f.startsWith("chunk-"));
    assert.equal(files.length, 2, `the file of 1..3 is removed (${files.join(", ")})`);
    await again.close();
  });
});
