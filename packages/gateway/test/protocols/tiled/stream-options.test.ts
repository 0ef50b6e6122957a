/**
 * Per-subscription options of dataset streams, on both sockets: `max_payload_bytes` (large array
 * writes as `array-ref`), `stride` (every Nth array update) and `columns` (table columns).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Field, Float64, Int64, Schema, Table, tableFromIPC, tableToIPC, Utf8, vectorFromArray } from "apache-arrow";
import { startTestGateway } from "../../helpers/gateway.js";
import { TestClient } from "../../helpers/ws-client.js";
import { i64, type Json, TiledHttp, TiledStream } from "./tiled-client.js";

type Gw = Awaited<ReturnType<typeof startTestGateway>>;
const OCTETS = { "content-type": "application/octet-stream" };
const ARROW = "application/vnd.apache.arrow.file";
const BIG = (2 * 1024 * 1024) / 8; // int64 elements of a 2 MiB write

const SCHEMA = new Schema([
  new Field("motor", new Float64(), true),
  new Field("count", new Int64(), true),
  new Field("note", new Utf8(), true),
]);

function schemaUri(schema: Schema): string {
  const stream = tableToIPC(new Table(schema), "stream");
  return `data:${ARROW};base64,${Buffer.from(stream.subarray(0, stream.byteLength - 8)).toString("base64")}`;
}

function tableBody(key: string): Json {
  return {
    structure_family: "table",
    metadata: {},
    specs: [],
    data_sources: [
      {
        structure_family: "table",
        structure: {
          arrow_schema: schemaUri(SCHEMA),
          npartitions: 1,
          columns: ["motor", "count", "note"],
          resizable: false,
        },
        id: null,
        mimetype: null,
        parameters: {},
        assets: [],
        management: "writable",
      },
    ],
    access_blob: {},
    id: key,
  };
}

function rows(): Uint8Array {
  return tableToIPC(
    new Table({
      motor: vectorFromArray([1.5, 2.5], new Float64()),
      count: vectorFromArray([3n, 4n], new Int64()),
      note: vectorFromArray(["a", "b"], new Utf8()),
    }),
    "file",
  );
}

function bigInts(n: number, from = 0): Buffer {
  const out = Buffer.alloc(n * 8);
  for (let i = 0; i < n; i++) out.writeBigInt64LE(BigInt(from + i), i * 8);
  return out;
}

/** The HTTP status refusing a stream URL before the upgrade. */
async function refusal(gw: Gw, path: string, query: string): Promise<string> {
  try {
    const s = await TiledStream.connect(gw.url, path, query);
    await s.close();
    return "upgraded";
  } catch (e) {
    return (e as Error).message;
  }
}

async function getBytes(uri: string): Promise<Buffer> {
  const res = await fetch(uri, { headers: { accept: "application/octet-stream" } });
  assert.equal(res.status, 200, uri);
  return Buffer.from(await res.arrayBuffer());
}

describe("dataset stream options", () => {
  let gw: Gw;
  let http: TiledHttp;
  before(async () => {
    gw = await startTestGateway();
    http = new TiledHttp(gw.url);
    await http.createContainer("", "run");
    await http.createArray("run", "big", { shape: [BIG], chunks: [[BIG / 2, BIG / 2]] });
    await http.createArray("run", "small", { shape: [3], chunks: [[3]] });
    await http.createArray("run", "seq", { shape: [1], chunks: [[1]] });
    await http.create("run", tableBody("t"));
  });
  after(() => gw.close());

  it("sends a large array write to a default subscriber as an array-ref whose uri gives the bytes", async () => {
    const json = await TiledStream.connect(gw.url, "run/big");
    const msgpack = await TiledStream.connect(gw.url, "run/big", "envelope_format=msgpack");
    const bytes = bigInts(BIG, 7);
    await http.expect(200, "PUT", "/array/full/run/big", bytes, OCTETS);
    const [ref] = await json.waitUpdates(1);
    assert.equal(ref.type, "array-ref");
    assert.equal(ref.sequence, 1);
    assert.deepEqual(ref.patch, { offset: [0], shape: [BIG] });
    assert.deepEqual(ref.shape, [BIG]);
    assert.equal(ref.data_source.structure_family, "array");
    assert.equal(ref.uri, `${gw.url}/api/v1/array/full/run/big?slice=0:${BIG}`);
    assert.deepEqual(Object.keys(ref), ["type", "sequence", "timestamp", "data_source", "patch", "shape", "uri"]);
    assert.ok((await getBytes(ref.uri)).equals(bytes));
    const [packed] = await msgpack.waitUpdates(1);
    assert.deepEqual({ ...packed }, ref, "the same message in both envelopes");
    // A block of exactly 1 MiB: not larger than the default, so inline; as a ref, its offset and shape.
    await http.expect(200, "PUT", "/array/block/run/big?block=1", bigInts(BIG / 2, 100), OCTETS);
    const [, inline] = await json.waitUpdates(2);
    assert.deepEqual([inline.type, inline.block, inline.payload.length], ["array-data", [1], BIG / 2]);
    const refs = await TiledStream.connect(gw.url, "run/big", "max_payload_bytes=0&start=2");
    const [blockRef] = await refs.waitUpdates(1);
    assert.deepEqual([blockRef.type, blockRef.sequence], ["array-ref", 2]);
    assert.deepEqual(blockRef.patch, { offset: [BIG / 2], shape: [BIG / 2] });
    assert.ok((await getBytes(blockRef.uri)).equals(bigInts(BIG / 2, 100)));
    await refs.close();
    await json.close();
    await msgpack.close();
  });

  it("keeps small writes inline, and max_payload_bytes moves the threshold (0: always refs)", async () => {
    const plain = await TiledStream.connect(gw.url, "run/small");
    const refs = await TiledStream.connect(gw.url, "run/small", "max_payload_bytes=0");
    const big = await TiledStream.connect(gw.url, "run/big", `max_payload_bytes=${4 * 1024 * 1024}&start=1`);
    await http.expect(200, "PUT", "/array/full/run/small", i64(1, 2, 3), OCTETS);
    const [inline] = await plain.waitUpdates(1);
    assert.deepEqual([inline.type, inline.payload], ["array-data", [1, 2, 3]]);
    const [ref] = await refs.waitUpdates(1);
    assert.equal(ref.type, "array-ref");
    assert.deepEqual([...(await getBytes(ref.uri))], [...i64(1, 2, 3)]);
    const [replayed] = await big.waitUpdates(1);
    assert.equal(replayed.type, "array-data", "under a larger limit the 2 MiB write is inline");
    assert.equal(replayed.payload.length, BIG);
    await Promise.all([plain.close(), refs.close(), big.close()]);
  });

  it("stride=3 delivers every third array update, by sequence, on both sockets", async () => {
    const single = await TiledStream.connect(gw.url, "run/seq", "stride=3");
    const c = await TestClient.connect(`${gw.wsUrl}/api/v1/stream/multi`);
    c.send({ type: "subscribe", id: "s", path: "run/seq", options: { stride: 3 } });
    await c.next((m) => m.id === "s" && m.type === "array-schema");
    for (let i = 1; i <= 10; i++) await http.expect(200, "PUT", "/array/full/run/seq", i64(i), OCTETS);
    const updates = await single.waitUpdates(3);
    assert.deepEqual(
      updates.map((u: Json) => [u.sequence, u.payload[0]]),
      [
        [3, 3],
        [6, 6],
        [9, 9],
      ],
    );
    const native = [];
    for (let i = 0; i < 3; i++) native.push((await c.next((m) => m.id === "s")).sequence);
    assert.deepEqual(native, [3, 6, 9]);
    await single.close();
    await c.close();
  });

  it("columns= sends only those table columns, in JSON and msgpack (Arrow), on both sockets", async () => {
    const json = await TiledStream.connect(gw.url, "run/t", "columns=note,motor");
    const msgpack = await TiledStream.connect(gw.url, "run/t", "envelope_format=msgpack&columns=count");
    const c = await TestClient.connect(`${gw.wsUrl}/api/v1/stream/multi?envelope_format=msgpack`);
    c.send({ type: "subscribe", id: 9, path: "run/t", options: { columns: ["motor"] } });
    await c.next((m) => m.value?.id === 9 && m.value.type === "table-schema");
    await http.write("PUT", "/table/full/run/t", rows(), ARROW);
    const [j] = await json.waitUpdates(1);
    assert.equal(j.type, "table-data");
    assert.deepEqual(j.payload, { note: ["a", "b"], motor: [1.5, 2.5] });
    const [m] = await msgpack.waitUpdates(1);
    const table = tableFromIPC(m.payload as Uint8Array);
    assert.deepEqual(
      table.schema.fields.map((f) => f.name),
      ["count"],
    );
    assert.deepEqual([...(table.getChild("count") ?? [])], [3n, 4n]);
    assert.deepEqual([m.sequence, m.partition, m.append], [j.sequence, null, false]);
    const n = (await c.next((x) => x.value?.id === 9 && x.value.type === "table-data")).value;
    const nt = tableFromIPC(n.payload as Uint8Array);
    assert.deepEqual(
      nt.schema.fields.map((f) => f.name),
      ["motor"],
    );
    assert.deepEqual([...(nt.getChild("motor") ?? [])], [1.5, 2.5]);
    await Promise.all([json.close(), msgpack.close(), c.close()]);
  });

  it("refuses bad options with 400 before the upgrade, and with an error on the native protocol", async () => {
    for (const [path, query] of [
      ["run/small", "max_payload_bytes=-1"],
      ["run/small", "max_payload_bytes=1.5"],
      ["run/small", "stride=0"],
      ["run/small", "stride=x"],
      ["run/small", "columns=motor"],
      ["run/t", "stride=2"],
      ["run/t", "max_payload_bytes=10"],
      ["run/t", "columns=nope"],
      ["run/t", "columns="],
      ["run", "stride=2"],
    ] as const) {
      assert.equal(await refusal(gw, path, query), "HTTP 400", `${path}?${query}`);
    }
    const c = await TestClient.connect(`${gw.wsUrl}/api/v1/stream/multi`);
    const cases: [string, Json][] = [
      ["run/small", { stride: 0 }],
      ["run/small", { max_payload_bytes: -1 }],
      ["run/small", { max_payload_bytes: 1.5 }],
      ["run/small", { columns: ["motor"] }],
      ["run/t", { stride: 2 }],
      ["run/t", { columns: ["nope"] }],
      ["run/t", { columns: [] }],
    ];
    for (const [i, [path, options]] of cases.entries()) {
      c.send({ type: "subscribe", id: `bad${i}`, path, options });
      const error = await c.next((m) => m.id === `bad${i}`);
      assert.equal(error.type, "error", JSON.stringify(options));
      assert.equal(error.code, "BG_ERR_PROTO_INVALID_MESSAGE", JSON.stringify(options));
    }
    await c.close();
  });
});
