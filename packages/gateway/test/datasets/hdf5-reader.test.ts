/**
 * Registered HDF5 files read in a worker thread (datasets/hdf5-reader.ts): the same structure and
 * bytes as a read in this thread, errors as they were thrown there, and the event loop free
 * while a large read runs.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Hdf5Reader } from "../../src/datasets/hdf5-reader.js";
import { hdf5Structure, loadH5wasm, readHdf5 } from "../../src/datasets/hdf5-source.js";

const dir = mkdtempSync(join(tmpdir(), "beamgate-hdf5-reader-"));
const file = join(dir, "frames.h5");
/** 16 frames of 512 × 512 float64: 32 MiB. */
const SHAPE = [16, 512, 512];

describe("HDF5 reader (worker thread)", () => {
  const reader = new Hdf5Reader();
  before(async () => {
    const h5 = await loadH5wasm();
    const f = new h5.File(file, "w");
    const n = SHAPE.reduce((a, b) => a * b, 1);
    f.create_dataset({ name: "data", data: Float64Array.from({ length: n }, (_, i) => i), shape: SHAPE, dtype: "<d" });
    f.close();
  });
  after(async () => {
    await reader.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("reads the same structure and bytes as a read in this thread", async () => {
    const source = { file, dataset: "/data" };
    assert.deepEqual(await reader.structure(source), hdf5Structure(source));
    for (const slice of [undefined, "3", "1:4,::7,-5:", "::-2,0,0"]) {
      const here = readHdf5(source, slice);
      const there = await reader.read(source, slice);
      assert.deepEqual(there.shape, here.shape, String(slice));
      assert.ok(Buffer.from(there.bytes).equals(Buffer.from(here.bytes)), String(slice));
    }
  });

  it("rejects with the error thrown there: RangeError for a bad file, dataset or slice", async () => {
    await assert.rejects(reader.structure({ file: join(dir, "missing.h5"), dataset: "/x" }), RangeError);
    await assert.rejects(reader.structure({ file, dataset: "/nope" }), /no dataset \/nope/);
    await assert.rejects(reader.read({ file, dataset: "/data" }, "99"), RangeError);
    // And goes on serving after them, several at once.
    const reads = await Promise.all([1, 2, 3].map((k) => reader.read({ file, dataset: "/data" }, `${k},0,0`)));
    assert.deepEqual(
      reads.map((r) => new Float64Array(r.bytes.buffer, r.bytes.byteOffset, 1)[0]),
      [1, 2, 3].map((k) => k * 512 * 512),
    );
  });

  it("leaves the event loop free while a large read runs", async () => {
    let turns = 0;
    const timer = setInterval(() => turns++, 0);
    try {
      const { bytes } = await reader.read({ file, dataset: "/data" }, undefined);
      assert.equal(bytes.byteLength, 32 * 1024 * 1024);
    } finally {
      clearInterval(timer);
    }
    assert.ok(turns > 0, "timers ran during the read");
  });
});
