/**
 * A dataset node's replay window, over real sockets: past `datasets.retainLogBytes` the oldest log
 * files are dropped once applied (the array keeps every value); a replay from before the window
 * starts at the first record kept, and the native protocol says what is gone (`skipped`
 * `expired`); the window and the numbering survive a restart.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { startTestGateway } from "../../helpers/gateway.js";
import { TestClient } from "../../helpers/ws-client.js";
import { nodeDir, TiledHttp, TiledStream } from "./tiled-client.js";

type Gw = Awaited<ReturnType<typeof startTestGateway>>;

const APPENDS = 20;
const ELEMENTS = 128;
/** About three 1 KiB appends per log file, and the newest 4 KiB kept. */
const DATASETS = { chunkMaxBytes: 4096, retainLogBytes: 4096, retainLogMs: 0, applyDelayMs: 0 };

const appendBytes = (k: number) => new Uint8Array(new BigInt64Array(ELEMENTS).fill(BigInt(k)).buffer);

describe("dataset replay window (retention)", () => {
  let dataDir: string;
  let gw: Gw;
  let first = 0;
  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "beamgate-retention-"));
    gw = await startTestGateway({ dataDir, datasets: DATASETS });
  });
  after(async () => {
    await gw.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** The last sequence the node's log dropped, once it has dropped something and settled (writes over). */
  async function droppedThrough(): Promise<number> {
    const note = join(nodeDir(dataDir, "a"), "log", "dropped-through");
    const read = () => (existsSync(note) ? Number(readFileSync(note, "utf8")) : 0);
    let last = -1;
    for (let i = 0; i < 100; i++) {
      const now = read();
      if (now > 0 && now === last) return now;
      last = now;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error("the log dropped nothing");
  }

  it("drops the oldest log files past the window, keeping every value in the array", async () => {
    const http = new TiledHttp(gw.url);
    await http.createArray("", "a", { shape: [0], chunks: [[0]] });
    for (let k = 0; k < APPENDS; k++) {
      const route = `/array/full/a?offset=${k * ELEMENTS}&shape=${ELEMENTS}&extend=true`;
      assert.equal((await http.write("PATCH", route, appendBytes(k))).status, 200);
    }
    const values = await http.readInts("a");
    first = (await droppedThrough()) + 1;
    assert.ok(first > 1 && first < APPENDS - 2, `the log starts at ${first}`);
    const files = readdirSync(join(nodeDir(dataDir, "a"), "log")).filter((f) => f.startsWith("chunk-"));
    assert.ok(files.length <= 3, `${files.length} log files left`);
    assert.equal(values.length, APPENDS * ELEMENTS);
    for (let k = 0; k < APPENDS; k++) assert.equal(values[k * ELEMENTS], k, `append ${k} in the array`);
  });

  it("replays from the first record kept; the native protocol tells what is gone", async () => {
    const stream = await TiledStream.connect(gw.url, "a", "envelope_format=msgpack&start=1");
    await stream.waitFrames(1 + APPENDS - first + 1);
    assert.deepEqual(
      stream.updates.map((f) => f.value.sequence),
      Array.from({ length: APPENDS - first + 1 }, (_, i) => first + i),
    );
    await stream.close();

    const c = await TestClient.connect(`${gw.wsUrl}/api/v1/stream/multi`);
    c.send({ type: "subscribe", id: "r", path: "a", start: 1 });
    assert.equal((await c.next((m) => m.id === "r")).type, "array-schema");
    const gap = await c.next((m) => m.id === "r");
    assert.deepEqual(
      [gap.type, gap.reason, gap.from_sequence, gap.to_sequence, gap.count],
      ["skipped", "expired", 1, first - 1, first - 1],
    );
    assert.equal((await c.next((m) => m.id === "r")).sequence, first);
    // start=0 asks for what is there: no notice.
    c.send({ type: "subscribe", id: "z", path: "a", start: 0 });
    await c.next((m) => m.id === "z" && m.type === "array-schema");
    assert.equal((await c.next((m) => m.id === "z")).sequence, first);
    c.close();
  });

  it("keeps the window and the numbering across a restart", async () => {
    await gw.close();
    gw = await startTestGateway({ dataDir, datasets: DATASETS });
    const http = new TiledHttp(gw.url);
    const route = `/array/full/a?offset=${APPENDS * ELEMENTS}&shape=${ELEMENTS}&extend=true`;
    assert.equal((await http.write("PATCH", route, appendBytes(APPENDS))).status, 200);
    const stream = await TiledStream.connect(gw.url, "a", "envelope_format=json&start=0");
    const frames = await stream.waitFrames(2);
    assert.ok((frames[1]?.value.sequence as number) >= first);
    await stream.waitFrames(1 + APPENDS + 1 - (frames[1]?.value.sequence as number) + 1);
    assert.equal(stream.updates.at(-1)?.value.sequence, APPENDS + 1);
    await stream.close();
    assert.equal((await http.readInts("a")).length, (APPENDS + 1) * ELEMENTS);
  });

  it("drops, at start, files older than the window by age, with no write needed", async () => {
    await gw.close();
    const logDir = join(nodeDir(dataDir, "a"), "log");
    const week = Date.now() / 1000 - 8 * 24 * 3600;
    const files = readdirSync(logDir).filter((f) => f.startsWith("chunk-"));
    assert.ok(files.length >= 2, `${files.length} log files`);
    for (const f of files) utimesSync(join(logDir, f), week, week);
    const before = Number(readFileSync(join(logDir, "dropped-through"), "utf8"));
    gw = await startTestGateway({ dataDir, datasets: { ...DATASETS, retainLogBytes: 0, retainLogMs: 24 * 3600_000 } });
    let after = before;
    for (let i = 0; i < 100 && after === before; i++) {
      await new Promise((r) => setTimeout(r, 20));
      after = Number(readFileSync(join(logDir, "dropped-through"), "utf8"));
    }
    assert.ok(after > before, `dropped through ${after} (was ${before})`);
    assert.equal(readdirSync(logDir).filter((f) => f.startsWith("chunk-")).length, 1, "only the last file stays");
  });
});
