/**
 * Registered (detector-written) HDF5 arrays over Tiled's HTTP API and stream: registering a file
 * with an external data source, `PUT /data_source?patch_shape=&patch_offset=` after the detector
 * grew the file (an `array-ref` update in the golden key order, JSON and msgpack, whose `uri` GETs
 * exactly the patch's bytes), reads from the file, writes refused, bad inputs.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { loadH5wasm } from "../../../src/datasets/hdf5-source.js";
import { startTestGateway } from "../../helpers/gateway.js";
import { type Json, TiledHttp, TiledStream, UTC_MICROS, wireKeys } from "./tiled-client.js";

type Gw = Awaited<ReturnType<typeof startTestGateway>>;

const dir = mkdtempSync(join(tmpdir(), "beamgate-detector-"));
const file = join(dir, "scan.h5");
const FRAME = 7 * 13;

/** Frame `i`'s values: i * 1000 + position. */
function frame(i: number): Float64Array {
  return Float64Array.from({ length: FRAME }, (_, k) => i * 1000 + k);
}

/** Writes (creating) the file with `frames` frames, as a detector would, resizable along the first axis. */
async function writeFile(frames: number): Promise<void> {
  const h5 = await loadH5wasm();
  const f = new h5.File(file, "w");
  const data = new Float64Array(frames * FRAME);
  for (let i = 0; i < frames; i++) data.set(frame(i), i * FRAME);
  f.create_group("entry").create_dataset({
    name: "data",
    data,
    shape: [frames, 7, 13],
    maxshape: [null, 7, 13],
    chunks: [1, 7, 13],
    dtype: "<d",
  });
  f.close();
}

/** Grows the file by one frame in place. */
async function growFile(): Promise<number> {
  const h5 = await loadH5wasm();
  const f = new h5.File(file, "a");
  const d = f.get("entry/data") as InstanceType<typeof h5.Dataset>;
  const n = (d.shape as number[])[0] as number;
  d.resize([n + 1, 7, 13]);
  d.write_slice([[n, n + 1]], frame(n));
  f.close();
  return n + 1;
}

function registration(key: string, uri: string, dataset: unknown = "/entry/data", extra: Json = {}): Json {
  return {
    structure_family: "array",
    metadata: {},
    specs: [],
    data_sources: [
      {
        structure_family: "array",
        structure: { data_type: { endianness: "little", kind: "f", itemsize: 8 }, chunks: [], shape: [3, 7, 13] },
        mimetype: "application/x-hdf5",
        parameters: { dataset },
        assets: [{ data_uri: uri, is_directory: false, parameter: "data_uris", num: null }],
        management: "external",
        ...extra,
      },
    ],
    id: key,
  };
}

const REF_KEYS = ["type", "sequence", "timestamp", "data_source", "patch", "shape", "uri"];
const SOURCE_KEYS = [
  "id",
  "structure_family",
  "structure",
  "mimetype",
  "parameters",
  "properties",
  "assets",
  "management",
];
const ASSET_KEYS = ["data_uri", "is_directory", "size", "parameter", "num", "id"];
const STRUCTURE_KEYS = ["data_type", "chunks", "shape", "dims", "resizable"];

describe("Tiled registered HDF5 arrays", () => {
  let gw: Gw;
  let http: TiledHttp;
  before(async () => {
    await writeFile(3);
    gw = await startTestGateway();
    http = new TiledHttp(gw.url);
    await http.createContainer("", "det");
  });
  after(async () => {
    await gw.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("registers a file, shows its structure and reads it", async () => {
    const created = await http.create("det", registration("img", `file://localhost${file}`));
    assert.equal(created.id, "img");
    const source = created.data_sources[0];
    assert.deepEqual(Object.keys(source), SOURCE_KEYS);
    assert.deepEqual(Object.keys(source.assets[0]), ASSET_KEYS);
    assert.equal(source.management, "external");
    assert.deepEqual(source.structure.shape, [3, 7, 13]);
    const meta = await http.expect(200, "GET", "/metadata/det/img");
    assert.deepEqual(meta.data.attributes.structure, {
      data_type: { endianness: "little", kind: "f", itemsize: 8, dt_units: null },
      chunks: [[1, 1, 1], [7], [13]],
      shape: [3, 7, 13],
      dims: null,
      resizable: true,
    });
    const { status, bytes, type } = await http.read("det/img", "1");
    assert.equal(status, 200);
    assert.equal(type, "application/octet-stream");
    assert.deepEqual(bytes, Buffer.from(frame(1).buffer));
    const column = await http.read("det/img", "::-1,0,0");
    assert.deepEqual(Array.from(new Float64Array(new Uint8Array(column.bytes).buffer)), [2000, 1000, 0]);
  });

  it("streams array-ref updates as the detector grows the file, in the golden key order", async () => {
    const json = await TiledStream.connect(gw.url, "det/img", "envelope_format=json");
    const msgpack = await TiledStream.connect(gw.url, "det/img", "envelope_format=msgpack");
    try {
      await json.waitFrames(1);
      await msgpack.waitFrames(1);
      assert.equal(json.frames[0]?.value.type, "array-schema");
      assert.deepEqual(json.frames[0]?.value.data_type, {
        endianness: "little",
        kind: "f",
        itemsize: 8,
        dt_units: null,
      });
      const shape = await growFile();
      assert.equal(shape, 4);
      const body = registration("img", `file://localhost${file}`).data_sources[0];
      await http.expect(200, "PUT", "/data_source/det/img?patch_shape=1,7,13&patch_offset=3,0,0", body);
      // The file replaced by a new version (5 frames), told without a patch.
      await writeFile(5);
      await http.expect(200, "PUT", "/data_source/det/img");
      await json.waitFrames(3);
      await msgpack.waitFrames(3);
      for (const s of [json, msgpack]) {
        const [grown, replaced] = s.updates;
        assert.ok(grown && replaced);
        for (const f of [grown, replaced]) {
          assert.deepEqual(wireKeys(f), REF_KEYS);
          assert.equal(f.value.type, "array-ref");
          assert.match(f.value.timestamp, UTC_MICROS);
          assert.deepEqual(Object.keys(f.value.data_source), SOURCE_KEYS);
          assert.deepEqual(Object.keys(f.value.data_source.structure), STRUCTURE_KEYS);
          assert.deepEqual(Object.keys(f.value.data_source.assets[0]), ASSET_KEYS);
          assert.equal(f.value.data_source.management, "external");
          assert.equal(f.value.data_source.mimetype, "application/x-hdf5");
        }
        assert.equal(replaced.value.sequence, grown.value.sequence + 1);
        assert.deepEqual(grown.value.patch, { offset: [3, 0, 0], shape: [1, 7, 13] });
        assert.deepEqual(grown.value.shape, [4, 7, 13]);
        assert.deepEqual(grown.value.data_source.structure.shape, [4, 7, 13]);
        assert.equal(grown.value.uri, `${gw.url}/api/v1/array/full/det/img?slice=3:4,0:7,0:13`);
        assert.equal(replaced.value.patch, null);
        assert.deepEqual(replaced.value.shape, [5, 7, 13]);
        assert.equal(replaced.value.uri, `${gw.url}/api/v1/array/full/det/img?slice=:5,:7,:13`);
      }
      assert.equal(msgpack.updates[0]?.binary, true);
      assert.equal(json.updates[0]?.binary, false);
      assert.deepEqual(json.updates[0]?.value, msgpack.updates[0]?.value);
      // The uri GETs exactly the patch's bytes (from the file as it is now: frame 3 is the same).
      const res = await fetch(json.updates[0]?.value.uri, { headers: { accept: "application/octet-stream" } });
      assert.equal(res.status, 200);
      assert.deepEqual(Buffer.from(await res.arrayBuffer()), Buffer.from(frame(3).buffer));
      const all = await fetch(json.updates[1]?.value.uri);
      assert.equal((await all.arrayBuffer()).byteLength, 5 * FRAME * 8);
      const meta = await http.expect(200, "GET", "/metadata/det/img");
      assert.deepEqual(meta.data.attributes.structure.shape, [5, 7, 13]);
    } finally {
      await json.close();
      await msgpack.close();
    }
  });

  it("replays array-ref updates from the log with start", async () => {
    const s = await TiledStream.connect(gw.url, "det/img", "envelope_format=msgpack&start=1");
    try {
      const updates = await s.waitUpdates(2);
      assert.deepEqual(
        updates.map((u) => [u.type, u.shape]),
        [
          ["array-ref", [4, 7, 13]],
          ["array-ref", [5, 7, 13]],
        ],
      );
    } finally {
      await s.close();
    }
  });

  it("refuses writes to a registered array with 405", async () => {
    const bytes = new Uint8Array(FRAME * 8);
    for (const [method, route] of [
      ["PUT", "/array/full/det/img"],
      ["PATCH", "/array/full/det/img?offset=0,0,0&shape=1,7,13"],
      ["PUT", "/array/block/det/img?block=0,0,0"],
    ] as const) {
      const answer = await http.write(method, route, bytes);
      assert.equal(answer.status, 405, `${method} ${route}`);
      assert.equal(answer.body.detail, "This node cannot accept array data");
    }
  });

  it("refuses bad registrations with 400 and a detail", async () => {
    const cases: [Json, RegExp][] = [
      [registration("a", `file://localhost${join(dir, "missing.h5")}`), /cannot be read: ENOENT/],
      [registration("b", "https://example.com/scan.h5"), /file:\/\//],
      [registration("c", "file://elsewhere/scan.h5"), /local file/],
      [registration("d", `file://localhost${file}`, "/entry/nope"), /no dataset \/entry\/nope/],
      [registration("e", `file://localhost${file}`, null), /parameters\.dataset/],
      [
        registration("f", `file://localhost${file}`, "/entry/data", { mimetype: "image/tiff" }),
        /only application\/x-hdf5/,
      ],
      [
        registration("g", `file://localhost${file}`, "/entry/data", { management: "writable" }),
        /management "external"/,
      ],
      [registration("h", `file://localhost${file}`, "/entry/data", { assets: [] }), /needs its file as an asset/],
    ];
    for (const [body, detail] of cases) {
      const answer = await http.request("POST", "/metadata/det", body);
      assert.equal(answer.status, 400, `${body.id}: ${answer.text}`);
      assert.match(answer.body.detail, detail, body.id);
      await http.expect(404, "GET", `/metadata/det/${body.id}`);
    }
  });

  it("refuses bad data source updates: 400 with a detail, 404 for an unknown node", async () => {
    const cases: [string, RegExp][] = [
      ["?patch_shape=1,7,13", /go together/],
      ["?patch_offset=0,0,0", /go together/],
      ["?patch_shape=1,7&patch_offset=0,0", /3 dimensions/],
      ["?patch_shape=1,7,13&patch_offset=5,0,0", /outside the file's shape 5,7,13/],
      ["?patch_shape=a&patch_offset=0,0,0", /like 1,2,3/],
    ];
    for (const [query, detail] of cases) {
      const answer = await http.request("PUT", `/data_source/det/img${query}`);
      assert.equal(answer.status, 400, `${query}: ${answer.text}`);
      assert.match(answer.body.detail, detail, query);
    }
    const notObject = await http.request("PUT", "/data_source/det/img", [1, 2]);
    assert.equal(notObject.status, 400);
    await http.createArray("det", "zarr", { shape: [2] });
    const zarr = await http.request("PUT", "/data_source/det/zarr");
    assert.equal(zarr.status, 400);
    assert.match(zarr.body.detail, /not a registered/);
    const unknown = await http.request("PUT", "/data_source/det/nope");
    assert.equal(unknown.status, 404);
  });
});
