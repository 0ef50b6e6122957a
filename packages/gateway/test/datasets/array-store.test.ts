/**
 * Dataset arrays stored as Zarr v3 on a real disk: create/open, whole writes, blocks, patches and
 * appends (extend), slices as numpy reads them, refused writes changing nothing, idempotent
 * re-application, and the files read back by zarrita from a store that shares no code with ours.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import * as zarr from "zarrita";
import { ArrayStore, type ArrayStructure, type DataType } from "../../src/datasets/array-store.js";
import { type DimSelection, parseSlice } from "../../src/datasets/slice.js";

const F8: DataType = { endianness: "little", kind: "f", itemsize: 8, dt_units: null };
const I8: DataType = { endianness: "little", kind: "i", itemsize: 8, dt_units: null };

function structure(data_type: DataType, shape: number[], chunks: number[][], extra: Partial<ArrayStructure> = {}) {
  return { data_type, shape, chunks, dims: null, resizable: false, ...extra };
}

function f64(values: Iterable<number>): Uint8Array {
  return new Uint8Array(Float64Array.from(values).buffer);
}

function i64(values: Iterable<number>): Uint8Array {
  return new Uint8Array(BigInt64Array.from(values, BigInt).buffer);
}

function asF64(bytes: Uint8Array): number[] {
  return [...new Float64Array(bytes.slice().buffer)];
}

function asI64(bytes: Uint8Array): number[] {
  return [...new BigInt64Array(bytes.slice().buffer)].map(Number);
}

function arange(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

/** What numpy gives for `a[slice]` when `a` is arange over `shape`: the flat values, gathered by index. */
function expectedSlice(shape: number[], slice: string): number[] {
  const selection = parseSlice(slice, shape);
  const picks = selection.map((s: DimSelection) =>
    s.kind === "index" ? [s.index] : Array.from({ length: s.length }, (_, i) => s.start + i * s.step),
  );
  const out: number[] = [];
  const walk = (d: number, flat: number): void => {
    if (d === shape.length) {
      out.push(flat);
      return;
    }
    for (const i of picks[d] as number[]) walk(d + 1, flat * (shape[d] as number) + i);
  };
  walk(0, 0);
  return out;
}

/** Every file under `dir` with its bytes, for "nothing changed" checks. */
function snapshot(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  for (const name of readdirSync(dir, { recursive: true, encoding: "utf8" })) {
    const path = join(dir, name);
    if (statSync(path).isFile()) files.set(name, readFileSync(path).toString("hex"));
  }
  return files;
}

/** A read-only zarrita store over plain readFileSync: the second reader shares no code with FsStore. */
class PlainStore {
  constructor(readonly root: string) {}
  get(key: string): Uint8Array | undefined {
    try {
      return new Uint8Array(readFileSync(join(this.root, ...key.slice(1).split("/"))));
    } catch {
      return undefined;
    }
  }
}

describe("ArrayStore", () => {
  let root: string;
  let dir: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), "bg-array-"));
    dir = join(root, "node");
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it("creates and re-opens with the same structure, chunks listed as Tiled lists them", async () => {
    const s = structure(F8, [3, 7, 13], [[1, 1, 1], [7], [5, 5, 3]], { dims: ["t", "y", "x"], resizable: true });
    const created = await ArrayStore.create(dir, s);
    assert.deepEqual(created.structure, s);
    const opened = await ArrayStore.open(dir);
    assert.deepEqual(opened.structure, s);
    const one = structure({ endianness: "not_applicable", kind: "u", itemsize: 1, dt_units: null }, [4], [[4]]);
    assert.deepEqual((await ArrayStore.create(join(root, "u1"), one)).structure, one);
    await assert.rejects(ArrayStore.open(join(root, "missing")), /zarr\.json missing/);
  });

  it("writes a valid Zarr v3 zarr.json: uncompressed little-endian chunks, regular grid", async () => {
    await ArrayStore.create(dir, structure(F8, [3, 7], [[2, 1], [7]], { dims: ["y", "x"] }));
    const meta = JSON.parse(readFileSync(join(dir, "zarr.json"), "utf8"));
    assert.equal(meta.zarr_format, 3);
    assert.equal(meta.node_type, "array");
    assert.deepEqual(meta.shape, [3, 7]);
    assert.equal(meta.data_type, "float64");
    assert.deepEqual(meta.chunk_grid, { name: "regular", configuration: { chunk_shape: [2, 7] } });
    assert.deepEqual(meta.chunk_key_encoding, { name: "default", configuration: { separator: "/" } });
    assert.deepEqual(meta.codecs, [{ name: "bytes", configuration: { endian: "little" } }]);
    assert.equal(meta.fill_value, 0);
    assert.deepEqual(meta.dimension_names, ["y", "x"]);
  });

  it("writes the whole array and reads it all and by slices (2-D, 3-D, steps, negatives, indices)", async () => {
    const shape = [3, 7, 13];
    const store = await ArrayStore.create(
      dir,
      structure(F8, shape, [
        [2, 1],
        [3, 3, 1],
        [5, 5, 3],
      ]),
    );
    await store.writeFull(f64(arange(3 * 7 * 13)));
    const all = await store.read();
    assert.deepEqual(all.shape, shape);
    assert.deepEqual(asF64(all.bytes), arange(3 * 7 * 13));
    const cases: [string, number[]][] = [
      ["0:3,:7", [3, 7, 13]],
      ["2", [7, 13]],
      ["1,2", [13]],
      ["1,2,3", []],
      ["-1,-1,-1", []],
      ["::2", [2, 7, 13]],
      [":,1:10:3", [3, 2, 13]],
      [":,:,1:13:4", [3, 7, 3]],
      ["::-1", [3, 7, 13]],
      ["::-1,::-2,::-3", [3, 4, 5]],
      ["-2:,-5:-1,::-1", [2, 4, 13]],
      [":,3,::-1", [3, 13]],
      ["1:2,2:3,4:5", [1, 1, 1]],
      ["5:3", [0, 7, 13]],
    ];
    for (const [slice, expectedShape] of cases) {
      const got = await store.read(slice);
      assert.deepEqual(got.shape, expectedShape, slice);
      assert.deepEqual(asF64(got.bytes), expectedSlice(shape, slice), slice);
    }
    const flat = await ArrayStore.create(
      join(root, "2d"),
      structure(
        I8,
        [4, 5],
        [
          [3, 1],
          [2, 2, 1],
        ],
      ),
    );
    await flat.writeFull(i64(arange(20)));
    assert.deepEqual(asI64((await flat.read("1:3,::-2")).bytes), [9, 7, 5, 14, 12, 10]);
    assert.deepEqual(asI64((await flat.read("-1")).bytes), [15, 16, 17, 18, 19]);
    await assert.rejects(store.read("0:1:0"), RangeError);
    await assert.rejects(store.read("3"), RangeError);
    await assert.rejects(store.read("0,0,0,0"), RangeError);
  });

  it("writes blocks, edge blocks smaller, and tells where each lies", async () => {
    const store = await ArrayStore.create(
      dir,
      structure(
        I8,
        [5, 7],
        [
          [2, 2, 1],
          [3, 3, 1],
        ],
      ),
    );
    const placed: { offset: number[]; shape: number[] }[] = [];
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 3; j++) {
        const rows = i < 2 ? 2 : 1;
        const cols = j < 2 ? 3 : 1;
        placed.push(await store.writeBlock([i, j], i64(Array(rows * cols).fill(10 * i + j))));
      }
    }
    assert.deepEqual(placed[0], { offset: [0, 0], shape: [2, 3] });
    assert.deepEqual(placed[5], { offset: [2, 6], shape: [2, 1] });
    assert.deepEqual(placed[8], { offset: [4, 6], shape: [1, 1] });
    const expected = arange(35).map((k) => 10 * Math.floor(Math.floor(k / 7) / 2) + Math.floor((k % 7) / 3));
    assert.deepEqual(asI64((await store.read()).bytes), expected);
    const before = snapshot(dir);
    await assert.rejects(store.writeBlock([3, 0], i64([1, 2, 3, 4, 5, 6])), /out of range/);
    await assert.rejects(store.writeBlock([0, -1], i64([1, 2, 3, 4, 5, 6])), RangeError);
    await assert.rejects(store.writeBlock([0], i64([1, 2, 3, 4, 5, 6])), RangeError);
    await assert.rejects(store.writeBlock([2, 2], i64([1, 2])), /expected 8 bytes .* got 16/);
    assert.deepEqual(snapshot(dir), before);
  });

  it("patches a region inside the array", async () => {
    const store = await ArrayStore.create(
      dir,
      structure(
        I8,
        [4, 5],
        [
          [2, 2],
          [2, 2, 1],
        ],
      ),
    );
    await store.writeFull(i64(arange(20)));
    assert.deepEqual(await store.patch([1, 2], [2, 3], i64([-1, -2, -3, -4, -5, -6]), false), { shape: [4, 5] });
    assert.deepEqual(
      asI64((await store.read()).bytes),
      [0, 1, 2, 3, 4, 5, 6, -1, -2, -3, 10, 11, -4, -5, -6, 15, 16, 17, 18, 19],
    );
  });

  it("appends with extend (Tiled's pattern: offset=3, shape=3 on [3] gives [6])", async () => {
    const store = await ArrayStore.create(dir, structure(I8, [3], [[3]]));
    await store.writeFull(i64([1, 2, 3]));
    assert.deepEqual(await store.patch([3], [3], i64([4, 5, 6]), true), { shape: [6] });
    assert.deepEqual(asI64((await store.read()).bytes), [1, 2, 3, 4, 5, 6]);
    assert.deepEqual(store.structure.shape, [6]);
    assert.deepEqual(store.structure.chunks, [[3, 3]]);
    assert.deepEqual(await store.patch([6], [1], i64([7]), true), { shape: [7] });
    assert.deepEqual(store.structure.chunks, [[3, 3, 1]]);
    assert.deepEqual(asI64((await store.read("4:")).bytes), [5, 6, 7]);
    const reopened = await ArrayStore.open(dir);
    assert.deepEqual(reopened.structure.shape, [7]);
    assert.deepEqual(asI64((await reopened.read()).bytes), [1, 2, 3, 4, 5, 6, 7]);
  });

  it("extends a 2-D array along both dimensions, leaving the gap zero", async () => {
    const store = await ArrayStore.create(dir, structure(F8, [2, 3], [[2], [3]]));
    await store.writeFull(f64([1, 2, 3, 4, 5, 6]));
    assert.deepEqual(await store.patch([1, 2], [3, 4], f64(arange(12).map((v) => 100 + v)), true), { shape: [4, 6] });
    assert.deepEqual(store.structure.chunks, [
      [2, 2],
      [3, 3],
    ]);
    // biome-ignore format: a 4 x 6 grid
    assert.deepEqual(asF64((await store.read()).bytes), [
      1, 2, 3, 0, 0, 0,
      4, 5, 100, 101, 102, 103,
      0, 0, 104, 105, 106, 107,
      0, 0, 108, 109, 110, 111,
    ]);
    // Growing one dimension only: rows appended.
    assert.deepEqual(await store.patch([4, 0], [1, 6], f64([9, 9, 9, 9, 9, 9]), true), { shape: [5, 6] });
    assert.deepEqual(asF64((await store.read("-1")).bytes), [9, 9, 9, 9, 9, 9]);
    assert.deepEqual((await ArrayStore.open(dir)).structure.shape, [5, 6]);
  });

  it("refuses out-of-range and wrong-length writes, changing nothing", async () => {
    const store = await ArrayStore.create(dir, structure(I8, [3, 4], [[2, 1], [4]]));
    await store.writeFull(i64(arange(12)));
    const before = snapshot(dir);
    await assert.rejects(store.writeFull(i64(arange(11))), /expected 96 bytes \(shape \[3, 4\] of int64\), got 88/);
    await assert.rejects(store.patch([2, 0], [2, 4], i64(arange(8)), false), /does not fit dimension 0 of length 3/);
    await assert.rejects(store.patch([0, 3], [1, 2], i64(arange(2)), false), RangeError);
    await assert.rejects(store.patch([0, 0], [1, 2], i64(arange(3)), true), /expected 16 bytes/);
    await assert.rejects(store.patch([0], [1], i64([1]), false), /each have 2 values/);
    await assert.rejects(store.patch([-1, 0], [1, 1], i64([1]), false), /non-negative integers/);
    await assert.rejects(store.patch([0.5, 0], [1, 1], i64([1]), false), RangeError);
    assert.deepEqual(snapshot(dir), before);
    assert.deepEqual(store.structure.shape, [3, 4]);
    assert.deepEqual(asI64((await store.read()).bytes), arange(12));
  });

  it("is idempotent: the same patch twice leaves the same files", async () => {
    const store = await ArrayStore.create(dir, structure(F8, [3], [[2, 1]]));
    await store.writeFull(f64([1, 2, 3]));
    await store.patch([2], [3], f64([7, 8, 9]), true);
    const once = snapshot(dir);
    await store.patch([2], [3], f64([7, 8, 9]), true);
    assert.deepEqual(snapshot(dir), once);
    // As a log replay after a crash would: re-open, re-apply everything from the create on.
    const replayed = await ArrayStore.create(dir, structure(F8, [3], [[2, 1]]));
    await replayed.writeFull(f64([1, 2, 3]));
    await replayed.patch([2], [3], f64([7, 8, 9]), true);
    assert.deepEqual(snapshot(dir), once);
    assert.deepEqual(asF64((await (await ArrayStore.open(dir)).read()).bytes), [1, 2, 7, 8, 9]);
  });

  it("create replaces an array already in the directory", async () => {
    const first = await ArrayStore.create(dir, structure(I8, [2], [[1, 1]]));
    await first.writeFull(i64([5, 6]));
    const second = await ArrayStore.create(dir, structure(I8, [2], [[1, 1]]));
    assert.deepEqual(asI64((await second.read()).bytes), [0, 0]);
  });

  it("runs concurrent writes one at a time, in call order", async () => {
    const store = await ArrayStore.create(dir, structure(I8, [0], [[0]]));
    await Promise.all(arange(50).map((i) => store.patch([i], [1], i64([i]), true)));
    assert.deepEqual(asI64((await store.read()).bytes), arange(50));
    // Same region, last call wins.
    await Promise.all(arange(10).map((i) => store.patch([0], [2], i64([i, i]), false)));
    assert.deepEqual(asI64((await store.read("0:2")).bytes), [9, 9]);
  });

  it("applies a batch of writes as the same writes one by one would (FsStore.buffered: each file written once)", async () => {
    const batched = await ArrayStore.create(join(dir, "batched"), structure(I8, [2, 2], [[2], [2]]));
    const single = await ArrayStore.create(join(dir, "single"), structure(I8, [2, 2], [[2], [2]]));
    const writes = [
      { block: null, offset: null, shape: [2, 2], bytes: i64([1, 2, 3, 4]) },
      { block: null, offset: [2, 0], shape: [1, 2], bytes: i64([5, 6]) }, // grows to [3, 2]
      { block: [1, 0], offset: null, shape: [1, 2], bytes: i64([7, 8]) }, // the edge block, row 2
      { block: null, offset: [0, 2], shape: [3, 1], bytes: i64([9, 10, 11]) }, // grows to [3, 3]
    ];
    for (const w of writes) {
      if (w.block) await single.writeBlock(w.block, w.bytes);
      else if (w.offset) await single.patch(w.offset, w.shape, w.bytes, true);
      else await single.writeFull(w.bytes);
    }
    await batched.applyAll(writes);
    assert.deepEqual(batched.structure, single.structure);
    assert.deepEqual(asI64((await batched.read()).bytes), [1, 2, 9, 3, 4, 10, 7, 8, 11]);
    assert.deepEqual(asI64((await batched.read()).bytes), asI64((await single.read()).bytes));
    const reopened = await ArrayStore.open(join(dir, "batched"));
    assert.deepEqual(reopened.structure.shape, [3, 3]);
    assert.deepEqual(asI64((await reopened.read()).bytes), [1, 2, 9, 3, 4, 10, 7, 8, 11]);
  });

  it("writes nothing of a batch that fails", async () => {
    const store = await ArrayStore.create(dir, structure(I8, [2], [[2]]));
    await store.writeFull(i64([1, 2]));
    await assert.rejects(
      store.applyAll([
        { block: null, offset: [2], shape: [2], bytes: i64([3, 4]) },
        { block: null, offset: [0], shape: [1], bytes: i64([1, 2]) }, // wrong length
      ]),
      RangeError,
    );
    assert.deepEqual(store.structure.shape, [2], "the shape in memory is the old one too");
    const reopened = await ArrayStore.open(dir);
    assert.deepEqual(reopened.structure.shape, [2]);
    assert.deepEqual(asI64((await reopened.read()).bytes), [1, 2]);
  });

  it("gives zero-length dimensions a usable chunk size (an empty array to append to)", async () => {
    const store = await ArrayStore.create(dir, structure(F8, [0, 4], [[0], [4]]));
    assert.deepEqual(store.structure.chunks, [[0], [4]]);
    assert.deepEqual(await store.read(), { bytes: new Uint8Array(0), shape: [0, 4] });
    const meta = JSON.parse(readFileSync(join(dir, "zarr.json"), "utf8"));
    assert.deepEqual(meta.chunk_grid.configuration.chunk_shape, [2048, 4], "about 64 KiB per chunk");
    await store.patch([0, 0], [3, 4], f64(arange(12)), true);
    assert.deepEqual(store.structure.chunks, [[3], [4]]);
    assert.deepEqual(asF64((await store.read(":,-1")).bytes), [3, 7, 11]);
  });

  it("stores every supported data type, and a scalar (0-d) array", async () => {
    const cases: [DataType, Uint8Array][] = [
      [{ endianness: "not_applicable", kind: "b", itemsize: 1, dt_units: null }, Uint8Array.of(1, 0, 1)],
      [
        { endianness: "not_applicable", kind: "i", itemsize: 1, dt_units: null },
        new Uint8Array(Int8Array.of(-1, 2, -3).buffer),
      ],
      [
        { endianness: "little", kind: "u", itemsize: 2, dt_units: null },
        new Uint8Array(Uint16Array.of(1, 65535, 3).buffer),
      ],
      [
        { endianness: "little", kind: "i", itemsize: 4, dt_units: null },
        new Uint8Array(Int32Array.of(-7, 8, 9).buffer),
      ],
      [
        { endianness: "little", kind: "u", itemsize: 8, dt_units: null },
        new Uint8Array(BigUint64Array.of(2n ** 64n - 1n, 0n, 1n).buffer),
      ],
      [
        { endianness: "little", kind: "f", itemsize: 4, dt_units: null },
        new Uint8Array(Float32Array.of(0.5, -1, 3).buffer),
      ],
    ];
    for (const [dataType, bytes] of cases) {
      const path = join(root, `${dataType.kind}${dataType.itemsize}`);
      const store = await ArrayStore.create(path, structure(dataType, [3], [[2, 1]]));
      await store.writeFull(bytes);
      assert.deepEqual(
        (await (await ArrayStore.open(path)).read()).bytes,
        bytes,
        `${dataType.kind}${dataType.itemsize}`,
      );
      assert.deepEqual((await store.read("::-1")).bytes.length, bytes.length);
    }
    const scalar = await ArrayStore.create(join(root, "scalar"), structure(F8, [], []));
    await scalar.writeFull(f64([42]));
    assert.deepEqual(await scalar.read(), { bytes: f64([42]), shape: [] });
    assert.deepEqual(await scalar.patch([], [], f64([43]), false), { shape: [] });
    assert.deepEqual(asF64((await (await ArrayStore.open(join(root, "scalar"))).read()).bytes), [43]);
  });

  it("accepts input bytes at any offset (views into larger buffers)", async () => {
    const store = await ArrayStore.create(dir, structure(F8, [2], [[2]]));
    const backing = new Uint8Array(17);
    backing.set(f64([1.5, -2.5]), 1);
    await store.writeFull(backing.subarray(1));
    assert.deepEqual(asF64((await store.read()).bytes), [1.5, -2.5]);
  });

  it("refuses unsupported data types and chunkings at create", async () => {
    const bad: [DataType, string][] = [
      [{ endianness: "big", kind: "f", itemsize: 8, dt_units: null }, "little-endian"],
      [{ endianness: "not_applicable", kind: "i", itemsize: 4, dt_units: null }, "little-endian"],
      [{ endianness: "little", kind: "f", itemsize: 2, dt_units: null }, "unsupported"],
      [{ endianness: "little", kind: "c", itemsize: 16, dt_units: null }, "unsupported"],
      [{ endianness: "little", kind: "M", itemsize: 8, dt_units: "ns" }, "unsupported"],
      [{ endianness: "not_applicable", kind: "U", itemsize: 4, dt_units: null }, "unsupported"],
      [{ endianness: "little", kind: "constructor" as DataType["kind"], itemsize: 8, dt_units: null }, "unsupported"],
    ];
    for (const [dataType, message] of bad) {
      await assert.rejects(ArrayStore.create(dir, structure(dataType, [2], [[2]])), {
        name: "RangeError",
        message: new RegExp(message),
      });
    }
    const chunkings: [number[], number[][]][] = [
      [[7], [[3, 4]]],
      [[7], [[2, 3, 2]]],
      [[7], [[3, 3]]],
      [[3, 7], [[3]]],
      [[3], [[3, 0]]],
      [[3], [[1.5, 1.5]]],
    ];
    for (const [shape, chunks] of chunkings) {
      await assert.rejects(ArrayStore.create(dir, structure(F8, shape, chunks)), RangeError, JSON.stringify(chunks));
    }
    await assert.rejects(ArrayStore.create(dir, structure(F8, [2], [[2]], { dims: ["a", "b"] })), /dims/);
    await assert.rejects(ArrayStore.create(dir, structure(F8, [-1], [[-1]])), RangeError);
  });

  it("is readable by zarrita from a store sharing no code with ours", async () => {
    const store = await ArrayStore.create(
      dir,
      structure(
        F8,
        [3, 7],
        [
          [2, 1],
          [3, 3, 1],
        ],
        { dims: ["y", "x"] },
      ),
    );
    await store.writeFull(f64(arange(21)));
    await store.patch([3, 0], [1, 7], f64(arange(7).map((v) => -v)), true);
    const array = await zarr.open.v3(new PlainStore(dir), { kind: "array" });
    assert.deepEqual(array.shape, [4, 7]);
    assert.equal(array.dtype, "float64");
    assert.deepEqual(array.dimensionNames, ["y", "x"]);
    const all = await zarr.get(array, null);
    assert.deepEqual([...(all.data as Float64Array)], [...arange(21), ...arange(7).map((v) => -v)]);
    const part = await zarr.get(array, [zarr.slice(1, 4), 5]);
    assert.deepEqual([...(part.data as Float64Array)], [12, 19, -5]);

    const flags = await ArrayStore.create(
      join(root, "b"),
      structure({ endianness: "not_applicable", kind: "b", itemsize: 1, dt_units: null }, [3], [[2, 1]]),
    );
    await flags.writeFull(Uint8Array.of(1, 0, 1));
    const boolArray = await zarr.open.v3(new PlainStore(join(root, "b")), { kind: "array" });
    const bools = await zarr.get(boolArray, null);
    assert.deepEqual([...(bools.data as zarr.BoolArray)], [true, false, true]);
  });

  it("opens only the arrays it can write back", async () => {
    const store = await ArrayStore.create(dir, structure(F8, [2], [[2]]));
    await store.writeFull(f64([1, 2]));
    const path = join(dir, "zarr.json");
    const meta = JSON.parse(readFileSync(path, "utf8"));
    const { writeFileSync } = await import("node:fs");
    for (const broken of [
      { ...meta, zarr_format: 2 },
      { ...meta, data_type: "complex128" },
      { ...meta, codecs: [...meta.codecs, { name: "gzip", configuration: { level: 1 } }] },
      { ...meta, fill_value: 7 },
      { ...meta, chunk_grid: { name: "rectilinear", configuration: {} } },
    ]) {
      writeFileSync(path, JSON.stringify(broken));
      await assert.rejects(ArrayStore.open(dir), /is not an array this store can use/);
    }
    writeFileSync(path, "{not json");
    await assert.rejects(ArrayStore.open(dir), /not JSON/);
  });
});
