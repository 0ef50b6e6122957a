/**
 * Tiled's stream (`WS /api/v1/stream/single/{path}`) end to end over real sockets: the handshake
 * refusals, the schema frame first, updates byte for byte as the golden vectors (JSON text and
 * msgpack bytes, the timestamp aside), replay with `start`, no gap or reordering while writes
 * are in flight, the producer's end, and one node fanned out to many subscribers.
 * specs/tiled-streaming.md, specs/tiled-golden.md.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startTestGateway } from "../../helpers/gateway.js";
import { closedWithin, upgradeRefusal } from "../../helpers/upgrade-refusal.js";
import {
  type Frame,
  f64,
  i64,
  int64s,
  type Json,
  sleep,
  TiledHttp,
  TiledStream,
  UTC_MICROS,
  wireKeys,
} from "./tiled-client.js";

type Gw = Awaited<ReturnType<typeof startTestGateway>>;

/** tiled-golden.md, verbatim. */
const GOLDEN_TIMESTAMP = "2026-08-21T13:02:20.123456";
const GOLDEN = {
  arraySchemaJson:
    '{"type":"array-schema","version":1,"data_type":{"endianness":"little","kind":"i","itemsize":8,"dt_units":null}}',
  arraySchemaHex:
    "83a474797065ac61727261792d736368656d61a776657273696f6e01a9646174615f7479706584aa656e6469616e6e657373a66c6974746c65a46b696e64a169a86974656d73697a6508a864745f756e697473c0",
  putJson:
    '{"type":"array-data","sequence":1,"timestamp":"2026-08-21T13:02:20.123456","mimetype":"application/octet-stream","shape":[3],"offset":null,"block":null,"content-type":"application/json","payload":[1,2,3]}',
  putHex:
    "88a474797065aa61727261792d64617461a873657175656e636501a974696d657374616d70ba323032362d30382d32315431333a30323a32302e313233343536a86d696d6574797065b86170706c69636174696f6e2f6f637465742d73747265616da573686170659103a66f6666736574c0a5626c6f636bc0a77061796c6f6164c418010000000000000002000000000000000300000000000000",
  patchJson:
    '{"type":"array-data","sequence":2,"timestamp":"2026-08-21T13:02:20.123456","mimetype":"application/octet-stream","shape":[3],"offset":[3],"block":null,"content-type":"application/json","payload":[4,5,6]}',
  patchHex:
    "88a474797065aa61727261792d64617461a873657175656e636502a974696d657374616d70ba323032362d30382d32315431333a30323a32302e313233343536a86d696d6574797065b86170706c69636174696f6e2f6f637465742d73747265616da573686170659103a66f66667365749103a5626c6f636bc0a77061796c6f6164c418040000000000000005000000000000000600000000000000",
  blockJson:
    '{"type":"array-data","sequence":3,"timestamp":"2026-08-21T13:02:20.123456","mimetype":"application/octet-stream","shape":[1,10],"offset":null,"block":[1,0],"content-type":"application/json","payload":[[0,1,2,3,4,5,6,7,8,9]]}',
  blockHex:
    "88a474797065aa61727261792d64617461a873657175656e636503a974696d657374616d70ba323032362d30382d32315431333a30323a32302e313233343536a86d696d6574797065b86170706c69636174696f6e2f6f637465742d73747265616da5736861706592010aa66f6666736574c0a5626c6f636b920100a77061796c6f6164c4500000000000000000010000000000000002000000000000000300000000000000040000000000000005000000000000000600000000000000070000000000000008000000000000000900000000000000",
  containerSchemaJson: '{"type":"container-schema","version":1}',
  containerSchemaHex: "82a474797065b0636f6e7461696e65722d736368656d61a776657273696f6e01",
  childCreatedJson:
    '{"type":"container-child-created","sequence":1,"timestamp":"2026-08-21T13:02:20.123456","key":"x","structure_family":"array","specs":[],"metadata":{"color":"blue"},"data_sources":[{"id":1,"structure_family":"array","structure":{"data_type":{"endianness":"little","kind":"i","itemsize":8,"dt_units":null},"chunks":[[3]],"shape":[3],"dims":null,"resizable":false},"mimetype":"application/x-zarr","parameters":{},"properties":{},"assets":[],"management":"writable"}],"access_blob":{}}',
  childCreatedHex:
    "89a474797065b7636f6e7461696e65722d6368696c642d63726561746564a873657175656e636501a974696d657374616d70ba323032362d30382d32315431333a30323a32302e313233343536a36b6579a178b07374727563747572655f66616d696c79a56172726179a5737065637390a86d6574616461746181a5636f6c6f72a4626c7565ac646174615f736f75726365739188a2696401b07374727563747572655f66616d696c79a56172726179a973747275637475726585a9646174615f7479706584aa656e6469616e6e657373a66c6974746c65a46b696e64a169a86974656d73697a6508a864745f756e697473c0a66368756e6b73919103a573686170659103a464696d73c0a9726573697a61626c65c2a86d696d6574797065b26170706c69636174696f6e2f782d7a617272aa706172616d657465727380aa70726f7065727469657380a661737365747390aa6d616e6167656d656e74a87772697461626c65ab6163636573735f626c6f6280",
  metadataUpdatedJson:
    '{"type":"container-child-metadata-updated","key":"x","sequence":2,"timestamp":"2026-08-21T13:02:20.123456","specs":[],"metadata":{"color":"red"},"revision_number":1}',
  metadataUpdatedHex:
    "87a474797065d920636f6e7461696e65722d6368696c642d6d657461646174612d75706461746564a36b6579a178a873657175656e636502a974696d657374616d70ba323032362d30382d32315431333a30323a32302e313233343536a5737065637390a86d6574616461746181a5636f6c6f72a3726564af7265766973696f6e5f6e756d62657201",
};

const ARRAY_DATA_KEYS = ["type", "sequence", "timestamp", "mimetype", "shape", "offset", "block", "payload"];
const ARRAY_DATA_JSON_KEYS = [...ARRAY_DATA_KEYS.slice(0, -1), "content-type", "payload"];

/** A JSON frame's text with its (checked) timestamp replaced by the golden one. */
function jsonAsGolden(frame: Frame | undefined): string {
  assert.ok(frame && !frame.binary && frame.text !== undefined, "a text frame");
  const m = /"timestamp":"([^"]*)"/.exec(frame.text);
  assert.ok(m, `a timestamp in ${frame.text}`);
  assert.match(m[1] as string, UTC_MICROS);
  return frame.text.replace(m[0], `"timestamp":"${GOLDEN_TIMESTAMP}"`);
}

/**
 * The golden msgpack bytes with the golden timestamp (a fixstr of 26) replaced by the frame's own
 * (a str8 of 32): the frame must equal that byte for byte.
 */
function msgpackAsGolden(frame: Frame | undefined, goldenHex: string): void {
  assert.ok(frame?.binary && frame.raw, "a binary frame");
  const timestamp = frame.value.timestamp as string;
  assert.match(timestamp, UTC_MICROS);
  const goldenTs = `ba${Buffer.from(GOLDEN_TIMESTAMP).toString("hex")}`;
  assert.ok(goldenHex.includes(goldenTs));
  const ours = Buffer.from(timestamp);
  const header =
    ours.length < 32 ? (0xa0 + ours.length).toString(16) : `d9${ours.length.toString(16).padStart(2, "0")}`;
  const expected = goldenHex.replace(goldenTs, header + ours.toString("hex"));
  assert.equal(frame.raw.toString("hex"), expected);
}

async function connectBoth(gw: Gw, path: string, query = ""): Promise<[TiledStream, TiledStream]> {
  const sep = query ? `&${query}` : "";
  const json = await TiledStream.connect(gw.url, path, `envelope_format=json${sep}`);
  const msgpack = await TiledStream.connect(gw.url, path, `envelope_format=msgpack${sep}`);
  await json.waitFrames(1);
  await msgpack.waitFrames(1);
  return [json, msgpack];
}

describe("Tiled stream: handshake", () => {
  let gw: Gw;
  let http: TiledHttp;
  before(async () => {
    gw = await startTestGateway();
    http = new TiledHttp(gw.url);
    await http.createContainer("", "c");
    await http.createArray("c", "a", { shape: [1] });
  });
  after(() => gw.close());

  it("answers an unknown node with HTTP 404 before the upgrade", async () => {
    for (const path of ["nope", "c/nope", "c/a/deeper"]) {
      const refusal = await upgradeRefusal(`${gw.wsUrl}/api/v1/stream/single/${path}`);
      assert.equal(refusal.status, 404, path);
      assert.match(JSON.parse(refusal.body).detail, /nope|deeper/);
    }
  });

  it("answers bad envelope_format or start with HTTP 400 before the upgrade", async () => {
    for (const query of ["envelope_format=xml", "envelope_format=", "start=-1", "start=abc", "start=1.5", "start="]) {
      const refusal = await upgradeRefusal(`${gw.wsUrl}/api/v1/stream/single/c/a?${query}`);
      assert.equal(refusal.status, 400, query);
      assert.equal(typeof JSON.parse(refusal.body).detail, "string");
    }
  });

  it("answers a plain GET on a stream path with an HTTP error, not a stream", async () => {
    const res = await fetch(`${gw.url}/api/v1/stream/single/c/a`);
    await res.arrayBuffer();
    assert.ok(res.status >= 400 && res.status < 500, `${res.status}`);
  });

  it("defaults to the JSON envelope", async () => {
    const s = await TiledStream.connect(gw.url, "c/a");
    try {
      const [schema] = await s.waitFrames(1);
      assert.equal(schema?.binary, false);
      assert.equal(schema?.value.type, "array-schema");
    } finally {
      await s.close();
    }
  });
});

describe("Tiled stream: the schema frame first", () => {
  let gw: Gw;
  let http: TiledHttp;
  before(async () => {
    gw = await startTestGateway();
    http = new TiledHttp(gw.url);
    await http.createContainer("", "box");
    await http.createArray("box", "ints", { shape: [3] });
    await http.createArray("box", "floats", { kind: "f", itemsize: 4, shape: [2] });
    await http.createArray("box", "bytes", { kind: "u", itemsize: 1, shape: [2] });
    // Data already there: the schema still comes first, and without `start` nothing else.
    await http.write("PUT", "/array/full/box/ints", i64(1, 2, 3));
  });
  after(() => gw.close());

  it("sends an array's schema first, as the golden vectors, in both envelopes, and nothing else without start", async () => {
    const [json, msgpack] = await connectBoth(gw, "box/ints");
    try {
      assert.equal(json.frames[0]?.text, GOLDEN.arraySchemaJson);
      assert.equal(msgpack.frames[0]?.raw?.toString("hex"), GOLDEN.arraySchemaHex);
      await sleep(100);
      assert.equal(json.frames.length, 1, "no replay without start");
      assert.equal(msgpack.frames.length, 1);
    } finally {
      await json.close();
      await msgpack.close();
    }
  });

  it("gives each array its own data_type", async () => {
    const floats = await TiledStream.connect(gw.url, "box/floats");
    const bytes = await TiledStream.connect(gw.url, "box/bytes", "envelope_format=msgpack");
    try {
      const [f] = await floats.waitFrames(1);
      assert.deepEqual(f?.value, {
        type: "array-schema",
        version: 1,
        data_type: { endianness: "little", kind: "f", itemsize: 4, dt_units: null },
      });
      const [b] = await bytes.waitFrames(1);
      assert.deepEqual(b?.value.data_type, { endianness: "not_applicable", kind: "u", itemsize: 1, dt_units: null });
    } finally {
      await floats.close();
      await bytes.close();
    }
  });

  it("sends a container's schema first, the root's included, as the golden vectors", async () => {
    for (const path of ["box", ""]) {
      const [json, msgpack] = await connectBoth(gw, path, "start=0");
      try {
        assert.equal(json.frames[0]?.text, GOLDEN.containerSchemaJson, `json ${path || "/"}`);
        assert.equal(msgpack.frames[0]?.raw?.toString("hex"), GOLDEN.containerSchemaHex, `msgpack ${path || "/"}`);
      } finally {
        await json.close();
        await msgpack.close();
      }
    }
  });
});

describe("Tiled stream: updates as the golden vectors", () => {
  let gw: Gw;
  let http: TiledHttp;
  before(async () => {
    gw = await startTestGateway();
    http = new TiledHttp(gw.url);
  });
  after(() => gw.close());

  it("PUT then PATCH append give the golden array-data frames, byte for byte", async () => {
    await http.createArray("", "g", { shape: [3] });
    const [json, msgpack] = await connectBoth(gw, "g");
    try {
      const start = Date.now();
      assert.equal((await http.write("PUT", "/array/full/g", i64(1, 2, 3))).status, 200);
      assert.equal((await http.write("PATCH", "/array/full/g?offset=3&shape=3&extend=true", i64(4, 5, 6))).status, 200);
      await json.waitFrames(3);
      await msgpack.waitFrames(3);
      assert.equal(jsonAsGolden(json.frames[1]), GOLDEN.putJson);
      assert.equal(jsonAsGolden(json.frames[2]), GOLDEN.patchJson);
      msgpackAsGolden(msgpack.frames[1], GOLDEN.putHex);
      msgpackAsGolden(msgpack.frames[2], GOLDEN.patchHex);
      // Key order, said once more on the decoded values.
      assert.deepEqual(wireKeys(json.frames[1] as Frame), ARRAY_DATA_JSON_KEYS);
      assert.deepEqual(wireKeys(msgpack.frames[2] as Frame), ARRAY_DATA_KEYS);
      // The payload is exactly the uploaded bytes.
      assert.deepEqual(Buffer.from(msgpack.frames[2]?.value.payload), i64(4, 5, 6));
      // The timestamp is now, in UTC.
      for (const frame of msgpack.updates) {
        const t = Date.parse(frame.value.timestamp);
        assert.ok(t >= start - 1000 && t <= Date.now() + 1000, frame.value.timestamp);
      }
      // No schema field repeated on an update.
      for (const frame of [...json.updates, ...msgpack.updates]) assert.ok(!("data_type" in frame.value));
    } finally {
      await json.close();
      await msgpack.close();
    }
  });

  it("a block write gives the golden array-data frame (shape of the block, block index, offset null)", async () => {
    await http.createArray("", "blk", { shape: [2, 10], chunks: [[1, 1], [10]] });
    const [json, msgpack] = await connectBoth(gw, "blk");
    try {
      assert.equal((await http.write("PUT", "/array/full/blk", i64(...new Array(20).fill(7)))).status, 200);
      assert.equal((await http.write("PUT", "/array/block/blk?block=0,0", i64(...new Array(10).fill(1)))).status, 200);
      const row = Array.from({ length: 10 }, (_, i) => i);
      assert.equal((await http.write("PUT", "/array/block/blk?block=1,0", i64(...row))).status, 200);
      await json.waitFrames(4);
      await msgpack.waitFrames(4);
      assert.equal(jsonAsGolden(json.frames[3]), GOLDEN.blockJson);
      msgpackAsGolden(msgpack.frames[3], GOLDEN.blockHex);
      assert.deepEqual(json.frames[1]?.value.shape, [2, 10], "a whole-array write has the whole shape");
      assert.equal(json.frames[1]?.value.block, null);
      assert.deepEqual(await http.readInts("blk"), [...new Array(10).fill(1), ...row]);
    } finally {
      await json.close();
      await msgpack.close();
    }
  });

  it("a child created and its metadata replaced give the golden container frames on the parent's stream", async () => {
    await http.createContainer("", "cg");
    const [json, msgpack] = await connectBoth(gw, "cg");
    try {
      await http.createArray("cg", "x", { shape: [3], metadata: { color: "blue" } });
      await http.expect(200, "PUT", "/metadata/cg/x", { metadata: { color: "red" } });
      await json.waitFrames(3);
      await msgpack.waitFrames(3);
      assert.equal(jsonAsGolden(json.frames[1]), GOLDEN.childCreatedJson);
      assert.equal(jsonAsGolden(json.frames[2]), GOLDEN.metadataUpdatedJson);
      msgpackAsGolden(msgpack.frames[1], GOLDEN.childCreatedHex);
      msgpackAsGolden(msgpack.frames[2], GOLDEN.metadataUpdatedHex);
    } finally {
      await json.close();
      await msgpack.close();
    }
  });

  it("container-child-created carries key, family, specs, metadata (never null), data_sources and access_blob", async () => {
    await http.createContainer("", "top");
    const top = await TiledStream.connect(gw.url, "top", "envelope_format=msgpack");
    const root = await TiledStream.connect(gw.url, "", "envelope_format=json");
    try {
      await top.waitFrames(1);
      await root.waitFrames(1);
      await http.create("top", {
        structure_family: "container",
        specs: [{ name: "BlueskyRun", version: "1" }],
        data_sources: [],
        access_blob: {},
        id: "run1",
      });
      await http.createContainer("top/run1", "deep");
      const [created] = await top.waitUpdates(1);
      assert.deepEqual(created, {
        type: "container-child-created",
        sequence: 1,
        timestamp: created.timestamp,
        key: "run1",
        structure_family: "container",
        specs: [{ name: "BlueskyRun", version: "1" }],
        metadata: {},
        data_sources: [],
        access_blob: {},
      });
      assert.match(created.timestamp, UTC_MICROS);
      await sleep(100);
      assert.equal(top.updates.length, 1, "a grandchild is told to its own parent, not here");
      assert.deepEqual(
        root.updates.map((f) => f.value.key),
        [],
        "the root hears of its own children only",
      );
      const deep = await TiledStream.connect(gw.url, "top/run1", "envelope_format=json&start=0");
      try {
        const [d] = await deep.waitUpdates(1);
        assert.equal(d.key, "deep");
        assert.equal(d.sequence, 1);
      } finally {
        await deep.close();
      }
    } finally {
      await top.close();
      await root.close();
    }
  });
});

describe("Tiled stream: JSON payloads", () => {
  let gw: Gw;
  let http: TiledHttp;
  before(async () => {
    gw = await startTestGateway();
    http = new TiledHttp(gw.url);
  });
  after(() => gw.close());

  it("writes 2-D payloads as nested lists, a PATCH's payload in the PATCH's shape", async () => {
    await http.createArray("", "two", { shape: [2, 3], chunks: [[1, 1], [3]] });
    const [json, msgpack] = await connectBoth(gw, "two");
    try {
      await http.write("PUT", "/array/full/two", i64(1, 2, 3, 4, 5, 6));
      await http.write("PATCH", "/array/full/two?offset=1,0&shape=1,3", i64(40, 50, 60));
      await http.write("PATCH", "/array/full/two?offset=0,1&shape=3,2&extend=true", i64(7, 8, 9, 10, 11, 12));
      const [put, patch, grow] = await json.waitUpdates(3);
      assert.deepEqual(put.payload, [
        [1, 2, 3],
        [4, 5, 6],
      ]);
      assert.deepEqual(put.shape, [2, 3]);
      assert.deepEqual(patch.payload, [[40, 50, 60]]);
      assert.deepEqual(patch.shape, [1, 3]);
      assert.deepEqual(patch.offset, [1, 0]);
      assert.deepEqual(grow.shape, [3, 2], "the PATCH's shape, not the new total");
      assert.deepEqual(grow.payload, [
        [7, 8],
        [9, 10],
        [11, 12],
      ]);
      assert.match(json.frames[1]?.text ?? "", /"payload":\[\[1,2,3\],\[4,5,6\]\]\}$/);
      const [, , mgrow] = await msgpack.waitUpdates(3);
      assert.deepEqual(Buffer.from(mgrow.payload), i64(7, 8, 9, 10, 11, 12));
      assert.deepEqual(await http.readInts("two"), [1, 7, 8, 40, 9, 10, 0, 11, 12]);
    } finally {
      await json.close();
      await msgpack.close();
    }
  });

  it("writes floats with Python's spelling and keeps the msgpack payload as the uploaded bytes", async () => {
    await http.createArray("", "fl", { kind: "f", itemsize: 8, shape: [4] });
    const [json, msgpack] = await connectBoth(gw, "fl");
    try {
      const bytes = f64(0.5, -1.25, 3, 1e-5);
      await http.write("PUT", "/array/full/fl", bytes);
      await json.waitFrames(2);
      await msgpack.waitFrames(2);
      assert.match(json.frames[1]?.text ?? "", /"payload":\[0\.5,-1\.25,3\.0,1e-05\]\}$/);
      assert.deepEqual(Buffer.from(msgpack.frames[1]?.value.payload), bytes);
    } finally {
      await json.close();
      await msgpack.close();
    }
  });
});

describe("Tiled stream: replay with start", () => {
  let gw: Gw;
  let http: TiledHttp;
  before(async () => {
    gw = await startTestGateway();
    http = new TiledHttp(gw.url);
    await http.createArray("", "r", { shape: [1] });
    for (const v of [10, 20, 30]) await http.write("PUT", "/array/full/r", i64(v));
  });
  after(() => gw.close());

  it("start=0 replays every record, then live; start=N from N; no start, live only", async () => {
    const all = await TiledStream.connect(gw.url, "r", "envelope_format=msgpack&start=0");
    const one = await TiledStream.connect(gw.url, "r", "envelope_format=json&start=1");
    const fromTwo = await TiledStream.connect(gw.url, "r", "envelope_format=json&start=2");
    const fromFour = await TiledStream.connect(gw.url, "r", "envelope_format=json&start=4");
    const live = await TiledStream.connect(gw.url, "r", "envelope_format=json");
    const streams = [all, one, fromTwo, fromFour, live];
    try {
      await all.waitUpdates(3);
      await one.waitUpdates(3);
      await fromTwo.waitUpdates(2);
      await fromFour.waitFrames(1);
      await live.waitFrames(1);
      await http.write("PUT", "/array/full/r", i64(40));
      const seq = (s: TiledStream) => s.updates.map((f) => f.value.sequence);
      const payload = (s: TiledStream) => s.updates.map((f) => f.value.payload);
      await all.waitUpdates(4);
      await one.waitUpdates(4);
      await fromTwo.waitUpdates(3);
      await fromFour.waitUpdates(1);
      await live.waitUpdates(1);
      await sleep(50);
      assert.deepEqual(seq(all), [1, 2, 3, 4]);
      assert.deepEqual(
        all.updates.map((f) => int64s(f.value.payload)[0]),
        [10, 20, 30, 40],
      );
      assert.deepEqual(seq(one), [1, 2, 3, 4]);
      assert.deepEqual(payload(one), [[10], [20], [30], [40]]);
      assert.deepEqual(seq(fromTwo), [2, 3, 4]);
      assert.deepEqual(seq(fromFour), [4]);
      assert.deepEqual(seq(live), [4]);
      // Replayed frames are the live ones: same bytes for msgpack, same text for JSON.
      const again = await TiledStream.connect(gw.url, "r", "envelope_format=msgpack&start=1");
      const againJson = await TiledStream.connect(gw.url, "r", "envelope_format=json&start=1");
      try {
        await again.waitUpdates(4);
        await againJson.waitUpdates(4);
        assert.deepEqual(
          again.updates.map((f) => f.raw),
          all.updates.map((f) => f.raw),
        );
        assert.deepEqual(
          againJson.updates.map((f) => f.text),
          one.updates.map((f) => f.text),
        );
      } finally {
        await again.close();
        await againJson.close();
      }
      // Timestamps are tz-aware UTC and never go back.
      const times = all.updates.map((f) => f.value.timestamp as string);
      for (const t of times) assert.match(t, UTC_MICROS);
      assert.deepEqual([...times].sort(), times);
    } finally {
      await Promise.all(streams.map((s) => s.close()));
    }
  });
});

describe("Tiled stream: no gap while writes are in flight", () => {
  let gw: Gw;
  let http: TiledHttp;
  before(async () => {
    gw = await startTestGateway();
    http = new TiledHttp(gw.url);
  });
  after(() => gw.close());

  it("concurrent PATCH appends: every subscriber sees every sequence once, in order; the array holds every append", async () => {
    const N = 60;
    const WIDTH = 4;
    await http.createArray("", "cat", { shape: [0], chunks: [[0]] });
    const early = await TiledStream.connect(gw.url, "cat", "envelope_format=msgpack");
    await early.waitFrames(1);
    const values = (i: number) => Array.from({ length: WIDTH }, (_, j) => i * 1000 + j);
    const late: TiledStream[] = [];
    const liveOnly: TiledStream[] = [];
    const writes: Promise<{ status: number }>[] = [];
    for (let i = 0; i < N; i++) {
      writes.push(
        http.write("PATCH", `/array/full/cat?offset=${i * WIDTH}&shape=${WIDTH}&extend=true`, i64(...values(i))),
      );
      // Subscribers arrive while writes are in flight, some replaying from 1, some live only.
      if (i % 10 === 5) {
        late.push(
          await TiledStream.connect(gw.url, "cat", `envelope_format=${i % 20 === 5 ? "json" : "msgpack"}&start=1`),
        );
        liveOnly.push(await TiledStream.connect(gw.url, "cat", "envelope_format=msgpack"));
      }
    }
    const answers = await Promise.all(writes);
    assert.deepEqual(
      answers.map((a) => a.status),
      new Array(N).fill(200),
    );
    const all = [early, ...late, ...liveOnly];
    try {
      for (const s of [early, ...late]) await s.waitUpdates(N, 10_000);
      await sleep(100);
      for (const [k, s] of [early, ...late].entries()) {
        assert.deepEqual(
          s.updates.map((f) => f.value.sequence),
          Array.from({ length: N }, (_, i) => i + 1),
          `subscriber ${k}: each sequence once, in order`,
        );
      }
      for (const [k, s] of liveOnly.entries()) {
        const seqs = s.updates.map((f) => f.value.sequence);
        const first = seqs[0] ?? N + 1;
        assert.deepEqual(
          seqs,
          Array.from({ length: N + 1 - first }, (_, i) => first + i),
          `live subscriber ${k}: no gap from its first update to the last`,
        );
      }
      // The array holds every append, and so does what each subscriber saw, applied in order.
      const expected = Array.from({ length: N }, (_, i) => values(i)).flat();
      assert.deepEqual(await http.readInts("cat"), expected);
      const doc = await http.expect(200, "GET", "/metadata/cat");
      assert.deepEqual(doc.data.attributes.structure.shape, [N * WIDTH]);
      for (const s of [early, ...late]) {
        const rebuilt = new Array<number>(N * WIDTH).fill(0);
        for (const f of s.updates) {
          const ints = f.binary ? int64s(f.value.payload) : (f.value.payload as number[]);
          ints.forEach((v, j) => {
            rebuilt[(f.value.offset[0] as number) + j] = v;
          });
        }
        assert.deepEqual(rebuilt, expected);
      }
    } finally {
      await Promise.all(all.map((s) => s.close()));
    }
  });

  it("concurrent child creation on one container: every subscriber sees every child once, in sequence order", async () => {
    await http.createContainer("", "many");
    const early = await TiledStream.connect(gw.url, "many", "envelope_format=json");
    await early.waitFrames(1);
    const N = 40;
    const creates: Promise<unknown>[] = [];
    let late: TiledStream | undefined;
    for (let i = 0; i < N; i++) {
      creates.push(http.createContainer("many", `k${i}`));
      if (i === N / 2) late = await TiledStream.connect(gw.url, "many", "envelope_format=msgpack&start=1");
    }
    await Promise.all(creates);
    try {
      for (const s of [early, late as TiledStream]) {
        const updates = await s.waitUpdates(N, 10_000);
        assert.deepEqual(
          updates.map((u) => u.sequence),
          Array.from({ length: N }, (_, i) => i + 1),
        );
        assert.deepEqual(updates.map((u) => u.key).sort(), Array.from({ length: N }, (_, i) => `k${i}`).sort());
      }
      const listing = await http.expect(200, "GET", "/search/many?page[limit]=100");
      assert.equal(listing.meta.count, N);
      assert.deepEqual(
        early.updates.map((f) => f.value.key),
        listing.data.map((d: Json) => d.id),
        "the stream's order is the catalog's order",
      );
    } finally {
      await early.close();
      await late?.close();
    }
  });
});

describe("Tiled stream: the producer's end", () => {
  let gw: Gw;
  let http: TiledHttp;
  before(async () => {
    gw = await startTestGateway();
    http = new TiledHttp(gw.url);
  });
  after(() => gw.close());

  it("closes a subscriber 1000 'Producer ended stream' once caught up; a late one gets the replay then the close", async () => {
    await http.createArray("", "e", { shape: [2] });
    const live = await TiledStream.connect(gw.url, "e", "envelope_format=msgpack");
    const json = await TiledStream.connect(gw.url, "e", "envelope_format=json");
    await live.waitFrames(1);
    await json.waitFrames(1);
    await http.write("PUT", "/array/full/e", i64(1, 2));
    await http.write("PUT", "/array/full/e", i64(3, 4));
    const closed = await http.request("DELETE", "/stream/close/e");
    assert.equal(closed.status, 200);
    assert.equal(closed.text, "null");
    for (const s of [live, json]) {
      const { code, reason } = await closedWithin(s.closed);
      assert.equal(code, 1000);
      assert.equal(reason, "Producer ended stream");
      assert.deepEqual(
        s.updates.map((f) => f.value.sequence),
        [1, 2],
        "every update before the close, and no end marker frame",
      );
    }
    // Late, replaying: everything, then the close.
    const late = await TiledStream.connect(gw.url, "e", "envelope_format=msgpack&start=1");
    const { code, reason } = await closedWithin(late.closed);
    assert.equal(code, 1000);
    assert.equal(reason, "Producer ended stream");
    assert.equal(late.frames[0]?.value.type, "array-schema");
    assert.deepEqual(
      late.updates.map((f) => f.raw),
      live.updates.map((f) => f.raw),
    );
    // From the middle.
    const middle = await TiledStream.connect(gw.url, "e", "envelope_format=json&start=2");
    assert.equal((await closedWithin(middle.closed)).code, 1000);
    assert.deepEqual(
      middle.updates.map((f) => f.value.sequence),
      [2],
    );
    // Without start: the schema, then the close at once.
    const after = await TiledStream.connect(gw.url, "e", "envelope_format=json");
    const end = await closedWithin(after.closed);
    assert.equal(end.code, 1000);
    assert.equal(end.reason, "Producer ended stream");
    assert.deepEqual(
      after.frames.map((f) => f.value.type),
      ["array-schema"],
    );
  });

  it("closes a client resuming at the end marker (start = last + 1) or past it", async () => {
    await http.createArray("", "resume", { shape: [1] });
    await http.write("PUT", "/array/full/resume", i64(1));
    await http.expect(200, "DELETE", "/stream/close/resume");
    // The Python client reconnects with start=last+1: 2 is the end marker's sequence.
    for (const start of [2, 3, 100]) {
      const s = await TiledStream.connect(gw.url, "resume", `envelope_format=msgpack&start=${start}`);
      const { code, reason } = await closedWithin(s.closed);
      assert.equal(code, 1000, `start=${start}`);
      assert.equal(reason, "Producer ended stream");
      assert.equal(s.updates.length, 0, `start=${start}`);
    }
  });

  it("closes a container's stream too, and refuses writes to the ended node", async () => {
    await http.createContainer("", "ce");
    const s = await TiledStream.connect(gw.url, "ce", "envelope_format=json");
    await s.waitFrames(1);
    await http.createContainer("ce", "child");
    await http.expect(200, "DELETE", "/stream/close/ce");
    const { code, reason } = await closedWithin(s.closed);
    assert.equal(code, 1000);
    assert.equal(reason, "Producer ended stream");
    assert.deepEqual(
      s.updates.map((f) => f.value.key),
      ["child"],
    );
    await http.createArray("", "ae", { shape: [1] });
    await http.expect(200, "DELETE", "/stream/close/ae");
    const put = await http.write("PUT", "/array/full/ae", i64(1));
    assert.equal(put.status, 409, put.text);
    assert.equal(typeof put.body.detail, "string");
  });
});

describe("Tiled stream: fan-out", () => {
  let gw: Gw;
  let http: TiledHttp;
  before(async () => {
    gw = await startTestGateway();
    http = new TiledHttp(gw.url);
  });
  after(() => gw.close());

  it("100 msgpack subscribers of one node receive identical byte streams", async () => {
    await http.createArray("", "fan", { shape: [8] });
    const subscribers = await Promise.all(
      Array.from({ length: 100 }, () => TiledStream.connect(gw.url, "fan", "envelope_format=msgpack")),
    );
    const json = await Promise.all(
      Array.from({ length: 5 }, () => TiledStream.connect(gw.url, "fan", "envelope_format=json")),
    );
    try {
      await Promise.all([...subscribers, ...json].map((s) => s.waitFrames(1)));
      const W = 10;
      for (let i = 0; i < W; i++) {
        await http.write("PUT", "/array/full/fan", i64(...Array.from({ length: 8 }, (_, j) => i * 8 + j)));
      }
      await Promise.all([...subscribers, ...json].map((s) => s.waitFrames(W + 1, 10_000)));
      const reference = Buffer.concat(subscribers[0]?.frames.map((f) => f.raw as Buffer) ?? []);
      assert.equal(subscribers[0]?.frames.length, W + 1);
      for (const [k, s] of subscribers.entries()) {
        assert.equal(s.frames.length, W + 1, `subscriber ${k}`);
        assert.ok(
          s.frames.every((f) => f.binary),
          `subscriber ${k}: binary frames`,
        );
        assert.ok(Buffer.concat(s.frames.map((f) => f.raw as Buffer)).equals(reference), `subscriber ${k}: same bytes`);
      }
      assert.deepEqual(
        subscribers[0]?.updates.map((f) => f.value.sequence),
        Array.from({ length: W }, (_, i) => i + 1),
      );
      const texts = json[0]?.frames.map((f) => f.text);
      for (const s of json) {
        assert.deepEqual(
          s.frames.map((f) => f.text),
          texts,
        );
      }
    } finally {
      await Promise.all([...subscribers, ...json].map((s) => s.close()));
    }
  });
});
