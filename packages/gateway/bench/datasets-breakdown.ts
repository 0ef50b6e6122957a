/**
 * Where a small append's time goes, measured in the bench's process with the gateway's own
 * storage classes on the same data directory (the gateway child idle meanwhile), paced like the
 * latency phase: the node log alone (append + fdatasync, the write-ahead step), the Zarr write
 * (`ArrayStore.patch` with extend: the chunk's read-modify-write and rename, and the `zarr.json`
 * rewrite when the shape grows) of one append alone and per append of a batch of ten
 * (`ArrayStore.applyAll`, as the store applies what waits), and the whole store
 * (`DatasetStore.patch`: checks, log, fdatasync, publish; the Zarr write comes after, in batches),
 * with no HTTP and no WebSocket. What the gateway adds on top of the last is HTTP, msgpack framing
 * and the WebSocket hop. And a file-system baseline of what a Zarr chunk rewrite does: replacing a
 * 64 KiB file through a temporary and a rename.
 */

import { rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type Percentiles, percentiles } from "@beamgate/bench-kit";
import { encode } from "@msgpack/msgpack";
import { ArrayStore } from "../src/datasets/array-store.js";
import { DatasetStore } from "../src/datasets/datasets.js";
import { NodeLog } from "../src/datasets/node-log.js";
import { DEFAULT_DATASETS } from "../src/limits.js";
import { f64Body } from "./datasets-data.js";

export interface Breakdown {
  readonly count: number;
  /** NodeLog.append of one update (the msgpack map with its payload), awaited: append + fdatasync + publish. */
  readonly log: Percentiles;
  /** ArrayStore.patch at the next offset with extend. */
  readonly zarr: Percentiles;
  /** ArrayStore.applyAll of ten such appends, per append. */
  readonly zarrBatched: Percentiles;
  /** DatasetStore.patch, awaited (answered), and to its follower (published). */
  readonly store: Percentiles;
  readonly storeToFollower: Percentiles;
  /** What the Zarr write is made of: a 64 KiB file written aside and renamed over its target (fs/promises). */
  readonly replaceChunk: Percentiles;
}

/** Appends per batch of the batched Zarr write. */
const BATCH = 10;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const EMPTY_F64 = {
  data_type: { endianness: "little" as const, kind: "f" as const, itemsize: 8, dt_units: null },
  chunks: [[0]],
  shape: [0],
  dims: null,
  resizable: false,
};

/** Runs `step(i)` `count` times paced at `rate`/s, one at a time; the time of each. */
async function pacedSteps(rate: number, count: number, step: (i: number) => Promise<void>): Promise<number[]> {
  const times: number[] = [];
  const began = performance.now();
  for (let i = 0; i < count; i++) {
    const wait = began + (i * 1000) / rate - performance.now();
    if (wait > 0) await sleep(wait);
    const t0 = performance.now();
    await step(i);
    times.push(performance.now() - t0);
  }
  return times;
}

export async function measureBreakdown(dir: string, elements: number, rate: number, count: number): Promise<Breakdown> {
  const options = {
    chunkDurationMs: DEFAULT_DATASETS.chunkDurationMs,
    chunkMaxBytes: DEFAULT_DATASETS.chunkMaxBytes,
    applyDelayMs: DEFAULT_DATASETS.applyDelayMs,
  };
  const payload = f64Body(elements);
  const update = (sequence: number) =>
    encode({
      type: "array-data",
      sequence,
      timestamp: new Date().toISOString(),
      mimetype: "application/octet-stream",
      shape: [elements],
      offset: [sequence * elements],
      block: null,
      payload,
    });

  const log = new NodeLog(join(dir, "log"), options);
  const logTimes = await pacedSteps(rate, count, async () => {
    await log.append(update);
  });
  await log.close();

  const zarr = await ArrayStore.create(join(dir, "zarr"), EMPTY_F64);
  const zarrTimes = await pacedSteps(rate, count, async (i) => {
    await zarr.patch([i * elements], [elements], payload, true);
  });

  const batched = await ArrayStore.create(join(dir, "zarr-batched"), EMPTY_F64);
  const batchTimes = await pacedSteps(rate / BATCH, Math.ceil(count / BATCH), async (i) => {
    const writes = Array.from({ length: BATCH }, (_, j) => ({
      block: null,
      offset: [(i * BATCH + j) * elements],
      shape: [elements],
      bytes: payload,
    }));
    await batched.applyAll(writes);
  });

  const store = await DatasetStore.open(join(dir, "store"), options);
  const node = await store.create(store.catalog.root, {
    key: "breakdown",
    structure_family: "array",
    metadata: {},
    specs: [],
    data_sources: [{ id: 1, structure_family: "array", structure: EMPTY_F64, mimetype: "application/x-zarr" }],
    access_blob: {},
  });
  let published = 0;
  const stop = store.log(node).follow(() => {
    published = performance.now();
  });
  const toFollower: number[] = [];
  const storeTimes = await pacedSteps(rate, count, async (i) => {
    const t0 = performance.now();
    await store.patch(node, [i * elements], [elements], payload, true, true);
    toFollower.push(published - t0);
  });
  stop();

  const chunk = Buffer.alloc(64 * 1024, 0x5a);
  const replaceTimes = await pacedSteps(rate, count, async () => {
    await writeFile(join(dir, "chunk.tmp"), chunk);
    await rename(join(dir, "chunk.tmp"), join(dir, "chunk"));
  });
  return {
    count,
    log: percentiles(logTimes),
    zarr: percentiles(zarrTimes),
    zarrBatched: percentiles(batchTimes.map((t) => t / BATCH)),
    store: percentiles(storeTimes),
    storeToFollower: percentiles(toFollower),
    replaceChunk: percentiles(replaceTimes),
  };
}
