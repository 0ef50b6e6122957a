/**
 * Dataset streams under pressure, over real sockets: a subscriber that stops reading is paused
 * and carried on from the node's log when it reads again (every update, in order, the connection
 * kept, on the Tiled socket and the native protocol alike); a node whose log fails closes its
 * Tiled streams with 1012 (the live feed is lost: Tiled's client reconnects) and ends its native
 * subscriptions with an error; a native subscriber resuming past the producer's end is completed.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import type { Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type WebSocket from "ws";
import { startTestGateway } from "../../helpers/gateway.js";
import { TestClient } from "../../helpers/ws-client.js";
import { i64, nodeDir, TiledHttp, TiledStream } from "./tiled-client.js";

type Gw = Awaited<ReturnType<typeof startTestGateway>>;
const OCTETS = { "content-type": "application/octet-stream" };

/** The TCP socket under a `ws` client, to stop and restart reading from it. */
const socketOf = (ws: WebSocket) => (ws as unknown as { _socket: Socket })._socket;

/** `elements` int64, each `k`; `frame`: 1 MiB of them. */
const frameOf = (elements: number, k: number) => new Uint8Array(new BigInt64Array(elements).fill(BigInt(k)).buffer);
const frame = (k: number) => frameOf(131_072, k);

describe("dataset streams: slow subscribers and lost feeds", () => {
  describe("a subscriber that stops reading", () => {
    let gw: Gw;
    let http: TiledHttp;
    before(async () => {
      // Small outbound limits: 40 frames of 1 MiB are far past them (and past the kernel's buffers).
      gw = await startTestGateway({ limits: { outboundSoftLimitBytes: 256 * 1024, outboundHardLimitBytes: 2 << 20 } });
      http = new TiledHttp(gw.url);
    });
    after(() => gw.close());

    const WRITES = 40;

    it("is paused and carried on from the log on the Tiled socket: every update, in order, still open", async () => {
      await http.createArray("", "slow", { shape: [131_072], chunks: [[131_072]] });
      const stream = await TiledStream.connect(gw.url, "slow", "envelope_format=msgpack");
      await stream.waitFrames(1);
      socketOf(stream.ws).pause();
      for (let k = 1; k <= WRITES; k++) await http.expect(200, "PUT", "/array/full/slow", frame(k), OCTETS);
      socketOf(stream.ws).resume();
      await stream.waitFrames(1 + WRITES, 20_000);
      assert.deepEqual(
        stream.updates.map((f) => f.value.sequence),
        Array.from({ length: WRITES }, (_, i) => i + 1),
      );
      const last = stream.updates.at(-1)?.value.payload as Uint8Array;
      assert.deepEqual(Buffer.from(last).subarray(0, 16), Buffer.from(i64(WRITES, WRITES)));
      assert.equal(stream.ws.readyState, stream.ws.OPEN, "not closed as a slow consumer");
      await stream.close();
    });

    it("is paused and carried on from the log on the native protocol too", async () => {
      await http.createArray("", "slow2", { shape: [131_072], chunks: [[131_072]] });
      const c = await TestClient.connect(`${gw.wsUrl}/api/v1/stream/multi`);
      c.send({ type: "subscribe", id: "s", path: "slow2" });
      assert.equal((await c.next((m) => m.id === "s")).type, "array-schema");
      socketOf(c.ws).pause();
      for (let k = 1; k <= WRITES; k++) await http.expect(200, "PUT", "/array/full/slow2", frame(k), OCTETS);
      socketOf(c.ws).resume();
      const sequences: number[] = [];
      while (sequences.length < WRITES) sequences.push((await c.next((m) => m.id === "s", 20_000)).sequence);
      assert.deepEqual(
        sequences,
        Array.from({ length: WRITES }, (_, i) => i + 1),
      );
      c.close();
    });
  });

  describe("a node whose log fails", () => {
    let dataDir: string;
    let gw: Gw;
    let http: TiledHttp;
    before(async () => {
      dataDir = mkdtempSync(join(tmpdir(), "beamgate-lost-"));
      // Every write starts a new log file, so a log directory taken away fails the next write.
      gw = await startTestGateway({ dataDir, datasets: { chunkMaxBytes: 1024 } });
      http = new TiledHttp(gw.url);
    });
    after(async () => {
      await gw.close();
      rmSync(dataDir, { recursive: true, force: true });
    });

    it("closes its Tiled streams with 1012 and ends native subscriptions with an error; the write is refused", async () => {
      await http.createArray("", "lost", { shape: [256], chunks: [[256]] });
      await http.expect(200, "PUT", "/array/full/lost", frameOf(256, 1), OCTETS);
      const stream = await TiledStream.connect(gw.url, "lost", "envelope_format=json&start=1");
      await stream.waitFrames(2);
      const c = await TestClient.connect(`${gw.wsUrl}/api/v1/stream/multi`);
      c.send({ type: "subscribe", id: "l", path: "lost" });
      await c.next((m) => m.id === "l" && m.type === "array-schema");

      // The log directory becomes a file: the next log file cannot be created.
      const logDir = join(nodeDir(dataDir, "lost"), "log");
      rmSync(logDir, { recursive: true, force: true });
      writeFileSync(logDir, "not a directory");
      const refused = await http.write("PUT", "/array/full/lost", frameOf(256, 2));
      assert.equal(refused.status, 500);
      assert.equal(refused.body.code, "BG_ERR_DATASET_STORAGE");

      const closed = await stream.closed;
      assert.equal(closed.code, 1012);
      assert.match(closed.reason, /^Live feed lost/);
      assert.equal(stream.frames.length, 2, "nothing of the refused write was sent");
      const error = await c.next((m) => m.id === "l");
      assert.deepEqual([error.type, error.code], ["error", "BG_ERR_DATASET_STORAGE"]);

      // A new subscriber gets the schema, then the same close (its replay cannot be read either).
      const late = await TiledStream.connect(gw.url, "lost", "envelope_format=json&start=1");
      assert.equal((await late.closed).code, 1012);
      assert.equal(late.frames.length, 1);
      c.close();
    });
  });

  it("completes a native subscriber resuming past the producer's end", async () => {
    const gw = await startTestGateway();
    try {
      const http = new TiledHttp(gw.url);
      await http.createArray("", "done", { shape: [1], chunks: [[1]] });
      await http.expect(200, "PUT", "/array/full/done", i64(7), OCTETS);
      await http.expect(200, "DELETE", "/stream/close/done");
      const c = await TestClient.connect(`${gw.wsUrl}/api/v1/stream/multi`);
      c.send({ type: "subscribe", id: "d", path: "done", start: 3 });
      assert.equal((await c.next((m) => m.id === "d")).type, "array-schema");
      assert.equal((await c.next((m) => m.id === "d")).type, "complete");
      c.close();
    } finally {
      await gw.close();
    }
  });
});
