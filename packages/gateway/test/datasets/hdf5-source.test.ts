/**
 * Registered HDF5 arrays read with h5wasm (datasets/hdf5-source.ts): the data source's checks,
 * the structure from the file, and slices as datasets/slice.ts reads them (numpy's rules), as
 * little-endian C-order bytes, for each supported element type.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { hdf5SourceOf, hdf5Structure, loadH5wasm, readHdf5 } from "../../src/datasets/hdf5-source.js";

const dir = mkdtempSync(join(tmpdir(), "beamgate-hdf5-"));
const file = join(dir, "scan.h5");
const N = 3 * 7 * 13;

function source(uri: string, dataset: unknown = "/entry/data"): Record<string, unknown> {
  return {
    mimetype: "application/x-hdf5",
    assets: [{ data_uri: uri, is_directory: false, parameter: "data_uris", num: null }],
    parameters: { dataset },
    management: "external",
  };
}

/** numpy's a[slice] of a C-order array of `shape` holding 0, 1, 2, ..., by brute force. */
function reference(shape: number[], pick: (number | [number, number, number])[]): number[] {
  const out: number[] = [];
  const walk = (dim: number, flat: number) => {
    if (dim === shape.length) {
      out.push(flat);
      return;
    }
    const p = pick[dim] ?? [0, shape[dim] as number, 1];
    const stride = shape.slice(dim + 1).reduce((a, b) => a * b, 1);
    if (typeof p === "number") return walk(dim + 1, flat + p * stride);
    const [start, stop, step] = p;
    for (let i = start; step > 0 ? i < stop : i > stop; i += step) walk(dim + 1, flat + i * stride);
  };
  walk(0, 0);
  return out;
}

describe("HDF5 registered sources", () => {
  before(async () => {
    const h5 = await loadH5wasm();
    const f = new h5.File(file, "w");
    const entry = f.create_group("entry");
    entry.create_dataset({
      name: "data",
      data: Float64Array.from({ length: N }, (_, i) => i),
      shape: [3, 7, 13],
      maxshape: [null, 7, 13],
      chunks: [1, 7, 13],
      dtype: "<d",
    });
    entry.create_dataset({ name: "i1", data: Int8Array.from([-1, 2, -3]), dtype: "<b" });
    entry.create_dataset({ name: "u2", data: Uint16Array.from([1, 65535]), dtype: "<H" });
    entry.create_dataset({ name: "i4", data: Int32Array.from([-7, 8]), dtype: "<i" });
    entry.create_dataset({ name: "u8", data: BigUint64Array.from([1n, 2n ** 63n]), dtype: "<Q" });
    entry.create_dataset({ name: "f4", data: Float32Array.from([1.5, -2.5]), shape: [1, 2], dtype: "<f" });
    f.close();
    writeFileSync(join(dir, "not.h5"), "not an HDF5 file");
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("takes one file:// asset naming an absolute path, and a dataset", () => {
    assert.deepEqual(hdf5SourceOf(source(`file://localhost${file}`)), { file, dataset: "/entry/data" });
    assert.deepEqual(hdf5SourceOf(source(`file://${file}`)), { file, dataset: "/entry/data" });
    const bad: [Record<string, unknown>, RegExp][] = [
      [source("http://example.com/x.h5"), /file:\/\//],
      [source("s3://bucket/x.h5"), /file:\/\//],
      [source("file://otherhost/x.h5"), /local file/],
      [source("not a uri"), /not a URI/],
      [source(`file://${file}`, null), /parameters\.dataset/],
      [source(`file://${file}`, ""), /parameters\.dataset/],
      [{ ...source(`file://${file}`), assets: [] }, /exactly one asset/],
      [{ ...source(`file://${file}`), mimetype: "image/tiff" }, /mimetype/],
    ];
    for (const [s, message] of bad) assert.throws(() => hdf5SourceOf(s), message, JSON.stringify(s));
  });

  it("reads the structure from the file (chunks, resizable)", () => {
    assert.deepEqual(hdf5Structure({ file, dataset: "/entry/data" }), {
      data_type: { endianness: "little", kind: "f", itemsize: 8, dt_units: null },
      chunks: [[1, 1, 1], [7], [13]],
      shape: [3, 7, 13],
      dims: null,
      resizable: true,
    });
    const types: [string, Record<string, unknown>][] = [
      ["i1", { endianness: "not_applicable", kind: "i", itemsize: 1 }],
      ["u2", { endianness: "little", kind: "u", itemsize: 2 }],
      ["i4", { endianness: "little", kind: "i", itemsize: 4 }],
      ["u8", { endianness: "little", kind: "u", itemsize: 8 }],
      ["f4", { endianness: "little", kind: "f", itemsize: 4 }],
    ];
    for (const [name, dt] of types) {
      assert.deepEqual(hdf5Structure({ file, dataset: `/entry/${name}` }).data_type, { ...dt, dt_units: null }, name);
    }
    assert.equal(hdf5Structure({ file, dataset: "entry/u2" }).resizable, false);
  });

  it("refuses a missing file, a file that is not HDF5, a missing dataset, a group", () => {
    assert.throws(() => hdf5Structure({ file: join(dir, "missing.h5"), dataset: "/x" }), /cannot be read: ENOENT/);
    assert.throws(() => hdf5Structure({ file: dir, dataset: "/x" }), /cannot be read/);
    assert.throws(() => hdf5Structure({ file: join(dir, "not.h5"), dataset: "/x" }), /not an HDF5 file/);
    assert.throws(() => hdf5Structure({ file, dataset: "/entry/nope" }), /no dataset \/entry\/nope/);
    assert.throws(() => hdf5Structure({ file, dataset: "/entry" }), /no dataset \/entry/);
  });

  it("reads slices as numpy does, C-order little-endian", () => {
    const s = { file, dataset: "/entry/data" };
    const cases: [string | undefined, (number | [number, number, number])[], number[]][] = [
      [undefined, [], [3, 7, 13]],
      ["2:3,0:7,0:13", [[2, 3, 1]], [1, 7, 13]],
      ["1", [1], [7, 13]],
      ["-1,2", [2, 2], [13]],
      [
        "0:3:2,1:6:2,::5",
        [
          [0, 3, 2],
          [1, 6, 2],
          [0, 13, 5],
        ],
        [2, 3, 3],
      ],
      ["::-1,3,10:2:-3", [[2, -1, -1], 3, [10, 2, -3]], [3, 3]],
      ["1,2,3", [1, 2, 3], []],
    ];
    for (const [slice, pick, shape] of cases) {
      const { bytes, shape: got } = readHdf5(s, slice);
      assert.deepEqual(got, shape, String(slice));
      const values = Array.from(new Float64Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 8));
      assert.deepEqual(values, reference([3, 7, 13], pick), String(slice));
    }
    const empty = readHdf5(s, "1:1");
    assert.deepEqual(empty.shape, [0, 7, 13]);
    assert.equal(empty.bytes.byteLength, 0);
    assert.throws(() => readHdf5(s, "5"), /out of range/);
    assert.throws(() => readHdf5(s, "::0"), /zero/);
    assert.throws(() => readHdf5(s, "1,1,1,1"), /4 parts/);
  });

  it("reads each element type's bytes", () => {
    const bytes = (name: string, slice?: string) =>
      Buffer.from(readHdf5({ file, dataset: `/entry/${name}` }, slice).bytes).toString("hex");
    assert.equal(bytes("i1"), "ff02fd");
    assert.equal(bytes("u2"), "0100ffff");
    assert.equal(bytes("i4", "1"), "08000000");
    assert.equal(bytes("u8", "1:"), "0000000000000080");
    assert.equal(bytes("f4", "0,::-1"), Buffer.from(Float32Array.from([-2.5, 1.5]).buffer).toString("hex"));
  });
});
