/** The append-only log on a real disk: reads by blocks from a frame's offset, dropping old files, and a failed fdatasync that stays failed. */
import assert from "node:assert/strict";
import { closeSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { AppendLog } from "../../src/storage/append-log.js";

const open = (dir: string, chunkMaxBytes = 64 * 1024 * 1024) =>
  new AppendLog(dir, { chunkDurationMs: 60_000, chunkMaxBytes }, () => ({}));

describe("append log", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "bg-append-log-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("reads frames from any frame's offset, small ones by blocks and one larger than a block whole", async () => {
    const log = open(dir);
    const sizes = [10, 3 * 1024 * 1024, 20, 700 * 1024, 700 * 1024, 5];
    const chunk = sizes.map((n, i) => log.append(Buffer.alloc(n, i)))[0];
    assert.ok(chunk);
    await log.flush();
    const all = [...log.framesFrom(chunk)];
    assert.deepEqual(
      all.map((f) => [f.payload.length, f.payload[0]]),
      sizes.map((n, i) => [n, i]),
    );
    // From the fourth frame's offset: the rest, the same offsets.
    const rest = [...log.framesFrom(chunk, all[3]?.offset)];
    assert.deepEqual(
      rest.map((f) => f.offset),
      all.slice(3).map((f) => f.offset),
    );
    assert.deepEqual([...log.framesFrom(chunk, chunk.synced)], []);
    await log.close();
  });

  it("fails every flush after a failed fdatasync, even one that would succeed", async () => {
    const log = open(dir);
    const chunk = log.append(Buffer.from("a"));
    await log.flush();
    log.append(Buffer.from("b"));
    // The file descriptor goes bad under the log: its fdatasync fails.
    closeSync(chunk.fd as number);
    await assert.rejects(log.flush(), /EBADF/);
    assert.throws(() => log.append(Buffer.from("c")), /storage failed/);
    await assert.rejects(log.flush(), /EBADF/);
    chunk.fd = undefined;
    await log.close();
  });

  it("drops its oldest files but never the one being written", async () => {
    const log = open(dir, 100);
    for (let i = 0; i < 4; i++) log.append(Buffer.alloc(80, i));
    await log.flush();
    const paths = log.chunks.map((c) => c.path);
    assert.equal(paths.length, 4);
    log.dropOldest(10);
    assert.equal(log.chunks.length, 1);
    assert.deepEqual(
      paths.map((p) => existsSync(p)),
      [false, false, false, true],
    );
    await log.close();
  });
});
