/**
 * Datasets under SIGKILL, end to end: a real `beamgate serve` child on one data directory, several
 * writers appending to array nodes (Tiled's `PATCH array/full?offset=&shape=&extend=true`) while
 * msgpack subscribers follow each node, killed with SIGKILL at a random moment, five times. After
 * each restart: every append answered 200 is in its array exactly once, in its place, with its
 * values; the array's length is the stored appends' total; the stream replayed from 1 numbers them
 * 1..N with no gap or repeat and its payloads rebuild the stored array byte for byte; nothing a
 * subscriber saw live before the kill is missing (durable before published); and writing goes on
 * with sequence N+1. Every other run applies late (`datasets.applyDelayMs` 1 s), so its kill
 * leaves answered appends that only the log holds.
 *
 * Tiled's PATCH takes its offset from the client, so appends to one array must be made one after
 * the other: each writer owns one array and appends sequentially (at most one append in flight,
 * so at most one more than it was answered for can be stored); the writers run concurrently.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { serveOnDataDir as startServer } from "../helpers/cli.js";
import { f64, type Json, TiledHttp, TiledStream } from "../protocols/tiled/tiled-client.js";

const WRITERS = 4;
/** float64 elements per append. */
const ELEMENTS = 16;
const ROUNDS = 5;
const CONTAINER = "kill";

const pathOf = (w: number) => `${CONTAINER}/w${w}`;

/** The values of append `k` of writer `w`: they say whose and which append they are. */
const values = (w: number, k: number) => Array.from({ length: ELEMENTS }, (_, i) => w * 1e9 + k * 100 + i);
const appendBytes = (w: number, k: number) => f64(...values(w, k));

/** The float64 values of little-endian bytes. */
function float64s(bytes: Uint8Array): number[] {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  assert.equal(b.byteLength % 8, 0, `${b.byteLength} bytes are not whole float64s`);
  return Array.from({ length: b.byteLength / 8 }, (_, i) => b.readDoubleLE(i * 8));
}

/**
 * Checks writer `w`'s array as the restarted server has it, and its stream replayed from 1;
 * returns the number of stored appends (N) and the stream, left open to follow live updates.
 */
async function checkStored(http: TiledHttp, url: string, w: number): Promise<{ stored: number; stream: TiledStream }> {
  const path = pathOf(w);
  const read = await http.read(path);
  assert.equal(read.status, 200, `GET array/full/${path}`);
  const all = float64s(read.bytes);
  assert.equal(all.length % ELEMENTS, 0, `${path}: ${all.length} elements are not whole appends`);
  const stored = all.length / ELEMENTS;
  for (let k = 0; k < stored; k++) {
    assert.deepEqual(all.slice(k * ELEMENTS, (k + 1) * ELEMENTS), values(w, k), `${path}: append ${k} in its place`);
  }
  const meta = await http.expect(200, "GET", `/metadata/${path}`);
  assert.deepEqual(meta.data.attributes.structure.shape, [all.length], `${path}: the structure's shape`);

  // The replay: the schema, then sequences 1..N, one per stored append, rebuilding the array.
  const stream = await TiledStream.connect(url, path, "envelope_format=msgpack&start=1");
  const frames = await stream.waitFrames(stored + 1, 10_000);
  assert.equal(frames[0]?.value.type, "array-schema");
  const rebuilt = Buffer.alloc(read.bytes.byteLength);
  frames.slice(1).forEach((f, i) => {
    const u: Json = f.value;
    assert.equal(u.type, "array-data", `${path}: update ${i + 1}`);
    assert.equal(u.sequence, i + 1, `${path}: replayed sequences are 1..N in order`);
    assert.deepEqual(u.offset, [i * ELEMENTS], `${path}: update ${i + 1}'s offset`);
    assert.deepEqual(u.shape, [ELEMENTS], `${path}: update ${i + 1}'s shape`);
    assert.deepEqual(Buffer.from(u.payload), appendBytes(w, i), `${path}: update ${i + 1}'s payload`);
    rebuilt.set(u.payload, i * ELEMENTS * 8);
  });
  assert.deepEqual(rebuilt, read.bytes, `${path}: the replay rebuilds the stored array`);
  // Nothing past N: a stored update the array lacks would show here.
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(stream.frames.length, stored + 1, `${path}: the replay holds more updates than the array`);
  return { stored, stream };
}

/** The live updates a stream got after its replay of `stored` records: contiguous from N+1, each its append. */
function checkLive(stream: TiledStream, w: number, stored: number): number {
  const live = stream.frames.slice(stored + 1).map((f) => f.value as Json);
  live.forEach((u, i) => {
    const k = stored + i;
    assert.equal(u.sequence, k + 1, `${pathOf(w)}: live sequences continue at N+1 with no gap`);
    assert.deepEqual(u.offset, [k * ELEMENTS]);
    assert.deepEqual(Buffer.from(u.payload), appendBytes(w, k), `${pathOf(w)}: live update ${k + 1}'s payload`);
  });
  return stored + live.length;
}

/** A promise with its resolve and reject at hand. */
function deferred(): { promise: Promise<void>; resolve: () => void; reject: (e: unknown) => void } {
  let resolve = () => {};
  let reject: (e: unknown) => void = () => {};
  const promise = new Promise<void>((yes, no) => {
    resolve = yes;
    reject = no;
  });
  return { promise, resolve, reject };
}

describe("datasets durability under kill -9", () => {
  const dir = mkdtempSync(join(tmpdir(), "bg-datasets-kill-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("keeps every answered append, once, across repeated SIGKILLs; replay and numbering match", {
    timeout: 60_000,
  }, async () => {
    /** Per writer: appends answered 200 (one more may be stored: the one in flight at the kill). */
    const answered = Array.from({ length: WRITERS }, () => 0);
    /** Per writer: the highest sequence a subscriber saw live before the kill. */
    const seenLive = Array.from({ length: WRITERS }, () => 0);
    let totalWritten = 0;
    for (let round = 0; round <= ROUNDS; round++) {
      // Every other run applies writes to the Zarr files a second late, so a kill there almost always
      // leaves answered writes only in the log, for the restart to apply.
      const { url, run } = await startServer(dir, round % 2 === 0 ? { BEAMGATE_DATASETS_APPLY_DELAY_MS: "1000" } : {});
      const http = new TiledHttp(url);
      const streams: TiledStream[] = [];
      try {
        if (round === 0) {
          await http.createContainer("", CONTAINER);
          // Empty and appendable, as Tiled's client makes one: shape [0], chunks [[0]].
          for (let w = 0; w < WRITERS; w++) {
            await http.createArray(CONTAINER, `w${w}`, { kind: "f", shape: [0], chunks: [[0]] });
          }
        }
        const stored: number[] = [];
        for (let w = 0; w < WRITERS; w++) {
          const check = await checkStored(http, url, w);
          streams.push(check.stream);
          stored.push(check.stored);
          const a = answered[w] as number;
          assert.ok(check.stored >= a, `round ${round}, writer ${w}: ${a} answered, ${check.stored} stored`);
          assert.ok(check.stored <= a + 1, `round ${round}, writer ${w}: more stored than the append in flight`);
          assert.ok(
            check.stored >= (seenLive[w] as number),
            `round ${round}, writer ${w}: a subscriber saw sequence ${seenLive[w]} live, only ${check.stored} stored`,
          );
          answered[w] = check.stored;
        }

        // Writers, each appending its next append as soon as the previous one is answered.
        let killed = false;
        const first = Array.from({ length: WRITERS }, () => deferred());
        const writers = Array.from({ length: WRITERS }, async (_, w) => {
          while (!killed) {
            const k = answered[w] as number;
            try {
              const res = await http.write(
                "PATCH",
                `/array/full/${pathOf(w)}?offset=${k * ELEMENTS}&shape=${ELEMENTS}&extend=true`,
                appendBytes(w, k),
              );
              if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${res.text}`);
              answered[w] = k + 1;
              totalWritten++;
              first[w]?.resolve();
            } catch (e) {
              if (killed) return;
              first[w]?.reject(e);
              throw e;
            }
            // The last start writes one append each and stops.
            if (round === ROUNDS) return;
          }
        });
        await Promise.all(first.map((f) => f.promise));
        if (round === ROUNDS) {
          await Promise.all(writers);
          // Writing goes on with N+1, live.
          for (let w = 0; w < WRITERS; w++) {
            const s = streams[w] as TiledStream;
            const [next] = (await s.waitFrames((stored[w] as number) + 2)).slice(-1);
            assert.equal(next?.value.sequence, (stored[w] as number) + 1);
            assert.equal(checkLive(s, w, stored[w] as number), (stored[w] as number) + 1);
          }
          break;
        }
        await new Promise((r) => setTimeout(r, 50 + Math.random() * 400));
        killed = true;
        run.child.kill("SIGKILL");
        await run.exited;
        await Promise.allSettled(writers);
        await Promise.all(streams.map((s) => s.closed));
        for (let w = 0; w < WRITERS; w++) {
          const s = streams[w] as TiledStream;
          seenLive[w] = checkLive(s, w, stored[w] as number);
          assert.ok(
            (seenLive[w] as number) > (stored[w] as number),
            `round ${round}, writer ${w}: writing went on with sequence N+1`,
          );
        }
      } finally {
        await Promise.all(streams.map((s) => s.close()));
        if (run.child.exitCode === null && run.child.signalCode === null) {
          run.child.kill("SIGKILL");
          await run.exited;
        }
      }
    }
    assert.ok(totalWritten > WRITERS * ROUNDS * 5, `appends were made: ${totalWritten}`);
  });
});
