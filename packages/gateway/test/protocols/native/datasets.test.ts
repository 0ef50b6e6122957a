/**
 * Dataset nodes on the native protocol: `dataset://<path>` topics and Tiled's `path` field, with
 * the node's own sequences and replay, the same messages as the single-node socket under the
 * subscription's id, several nodes on one connection, `complete` at the producer's end.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startTestGateway } from "../../helpers/gateway.js";
import { TestClient } from "../../helpers/ws-client.js";
import { i64, TiledHttp, TiledStream } from "../tiled/tiled-client.js";

type Gw = Awaited<ReturnType<typeof startTestGateway>>;
const OCTETS = { "content-type": "application/octet-stream" };

describe("native protocol: dataset topics", () => {
  let gw: Gw;
  let http: TiledHttp;
  before(async () => {
    gw = await startTestGateway();
    http = new TiledHttp(gw.url);
    await http.createContainer("", "run");
    await http.createArray("run", "x", { shape: [3], chunks: [[3]] });
    await http.createArray("run", "y", { shape: [2], chunks: [[2]] });
  });
  after(() => gw.close());

  it("delivers a node's schema, replay and live updates under the id, with the node's sequences", async () => {
    await http.expect(200, "PUT", "/array/full/run/x", i64(1, 2, 3), OCTETS);
    const c = await TestClient.connect(`${gw.wsUrl}/api/v1/stream/multi`);
    c.send({ type: "subscribe", id: "a", path: "run/x", start: 0 });
    const schema = await c.next((m) => m.id === "a");
    assert.equal(schema.type, "array-schema");
    assert.deepEqual(schema.data_type, { endianness: "little", kind: "i", itemsize: 8, dt_units: null });
    const replayed = await c.next((m) => m.id === "a");
    assert.deepEqual([replayed.type, replayed.sequence, replayed.payload], ["array-data", 1, [1, 2, 3]]);
    await http.expect(200, "PATCH", "/array/full/run/x?offset=3&shape=3&extend=true", i64(4, 5, 6), OCTETS);
    const live = await c.next((m) => m.id === "a");
    assert.deepEqual([live.sequence, live.offset, live.payload], [2, [3], [4, 5, 6]]);
    // The single-node socket numbers them the same.
    const single = await TiledStream.connect(gw.url, "run/x", "envelope_format=json&start=1");
    const frames = await single.waitFrames(3);
    assert.deepEqual(
      frames.slice(1).map((f) => f.value.sequence),
      [1, 2],
    );
    await single.close();
    await c.close();
  });

  it("follows several nodes on one connection, in msgpack with the uploaded bytes as payload", async () => {
    const c = await TestClient.connect(`${gw.wsUrl}/api/v1/stream/multi?envelope_format=msgpack`);
    c.send({ type: "subscribe", id: 1, topic: "dataset://run/y" });
    c.send({ type: "subscribe", id: 2, path: "run" });
    assert.equal((await c.next((m) => m.value?.id === 1)).value.type, "array-schema");
    assert.equal((await c.next((m) => m.value?.id === 2)).value.type, "container-schema");
    await http.expect(200, "PUT", "/array/full/run/y", i64(7, 8), OCTETS);
    const data = (await c.next((m) => m.value?.id === 1 && m.value.type === "array-data")).value;
    assert.deepEqual(Buffer.from(data.payload), i64(7, 8));
    assert.deepEqual(Object.keys(data).slice(0, 3), ["id", "type", "sequence"]);
    await http.createArray("run", "z", { shape: [1], chunks: [[1]] });
    const created = (await c.next((m) => m.value?.id === 2 && m.value.type === "container-child-created")).value;
    assert.equal(created.key, "z");
    await c.close();
  });

  it("completes at the producer's end, and answers errors under the id", async () => {
    await http.createArray("run", "done", { shape: [1], chunks: [[1]] });
    const c = await TestClient.connect(`${gw.wsUrl}/api/v1/stream/multi`);
    c.send({ type: "subscribe", id: "d", path: "run/done" });
    await c.next((m) => m.id === "d" && m.type === "array-schema");
    await http.expect(200, "DELETE", "/stream/close/run/done");
    assert.deepEqual(await c.next((m) => m.id === "d"), { type: "complete", id: "d" });
    await http.createArray("run", "gone", { shape: [1], chunks: [[1]] });
    c.send({ type: "subscribe", id: "g", path: "run/gone" });
    await c.next((m) => m.id === "g" && m.type === "array-schema");
    await http.expect(200, "DELETE", "/metadata/run/gone");
    assert.deepEqual(await c.next((m) => m.id === "g"), { type: "complete", id: "g" }, "a deleted node completes");
    c.send({ type: "subscribe", id: "n", path: "run/nope" });
    const error = await c.next((m) => m.id === "n");
    assert.equal(error.type, "error");
    assert.equal(error.code, "BG_ERR_DATASET_NOT_FOUND");
    c.send({ type: "subscribe", id: "both", path: "run/x", topic: "dataset://run/x" });
    assert.equal((await c.next((m) => m.id === "both")).code, "BG_ERR_PROTO_INVALID_MESSAGE");
    await c.close();
  });
});

describe("native protocol: dataset topics under access rules", () => {
  let gw: Gw;
  before(async () => {
    gw = await startTestGateway({
      security: { rules: "ALLOW ANY *\nDENY READ dataset://secret*", auditFile: "/dev/null" },
    });
    const http = new TiledHttp(gw.url);
    await http.createArray("", "secret", { shape: [1], chunks: [[1]] });
  });
  after(() => gw.close());

  it("refuses a node the principal may not read", async () => {
    const c = await TestClient.connect(`${gw.wsUrl}/api/v1/stream/multi`);
    c.send({ type: "subscribe", id: "s", path: "secret" });
    const error = await c.next((m) => m.id === "s");
    assert.equal(error.code, "BG_ERR_AUTH_FORBIDDEN");
    await c.close();
  });
});
