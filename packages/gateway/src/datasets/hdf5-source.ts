/**
 * Registered (externally managed) HDF5 arrays: a data source Tiled's client registers with
 * `management: "external"`, `mimetype: "application/x-hdf5"`, one asset `file://localhost/abs/path.h5`
 * and `parameters.dataset` (the dataset's path in the file). The file is the detector's: this
 * server never writes it, only reads it with h5wasm (libhdf5 compiled to WebAssembly, host files
 * through Emscripten's NODERAWFS), opening it for each read so it sees what the detector has
 * written since. docs/decisions/018-h5wasm-for-registered-hdf5.md.
 *
 * Security: a file:// URI names a path on the gateway's host. Registering one needs the right to
 * write the node (it makes any file this process can read servable under that node); reading it
 * goes through the node's read right like any array. Only absolute local paths are taken.
 *
 * h5wasm's calls are synchronous: the gateway makes them in a worker thread (hdf5-reader.ts), so
 * a long read holds that thread, not the event loop.
 */
import { accessSync, closeSync, constants, openSync, readSync, statSync } from "node:fs";
import { isAbsolute, normalize } from "node:path";
import { fileURLToPath } from "node:url";
import type { DataType } from "../protocols/tiled/data-type.js";
import { type ArrayStructure, tiledChunks } from "./array-store.js";
import { type DimSelection, parseSlice, selectionShape } from "./slice.js";

export const HDF5_MIMETYPE = "application/x-hdf5";

/** Where a registered array's data is: an absolute local file and a dataset path inside it. */
export interface Hdf5Source {
  readonly file: string;
  readonly dataset: string;
}

type H5 = typeof import("h5wasm/node");
let h5: Promise<H5> | undefined;
let loaded: H5 | undefined;

/** Loads h5wasm (instantiating its WASM module) once; the reads below need it loaded. */
export function loadH5wasm(): Promise<H5> {
  h5 ??= import("h5wasm/node").then(async (m) => {
    await m.ready;
    loaded = m;
    return m;
  });
  return h5;
}

/** Whether a data source (as stored on a node) is a registered HDF5 file. */
export function isExternalHdf5(source: Readonly<Record<string, unknown>> | undefined): boolean {
  return source?.management === "external" && source?.mimetype === HDF5_MIMETYPE;
}

/**
 * The file and dataset of a registered data source; RangeError (with what is wrong) for anything
 * but one `file://` asset naming an absolute local path and a `parameters.dataset` string.
 */
export function hdf5SourceOf(source: Readonly<Record<string, unknown>>): Hdf5Source {
  if (source.mimetype !== HDF5_MIMETYPE) {
    throw new RangeError(`an external data source must have mimetype ${HDF5_MIMETYPE}, not ${String(source.mimetype)}`);
  }
  const assets = source.assets;
  if (!Array.isArray(assets) || assets.length !== 1) {
    throw new RangeError("an external HDF5 data source needs exactly one asset (the file)");
  }
  const asset = assets[0] as Record<string, unknown> | null;
  const uri = asset?.data_uri;
  if (typeof uri !== "string") throw new RangeError("assets.0.data_uri must be a string");
  if (asset?.is_directory === true) throw new RangeError("assets.0: an HDF5 file is not a directory");
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw new RangeError(`assets.0.data_uri is not a URI: ${uri}`);
  }
  if (url.protocol !== "file:") throw new RangeError(`assets.0.data_uri must be a file:// URI, not ${url.protocol}`);
  if (url.hostname !== "" && url.hostname !== "localhost") {
    throw new RangeError(`assets.0.data_uri must name a local file (file://localhost/...), not host ${url.hostname}`);
  }
  let file: string;
  try {
    file = fileURLToPath(url);
  } catch (e) {
    throw new RangeError(`assets.0.data_uri: ${(e as Error).message}`);
  }
  if (!isAbsolute(file) || normalize(file) !== file) {
    throw new RangeError(`assets.0.data_uri must name an absolute, normalized path: ${file}`);
  }
  const parameters = (source.parameters ?? {}) as Record<string, unknown>;
  const dataset = parameters.dataset;
  if (typeof dataset !== "string" || dataset === "") {
    throw new RangeError("parameters.dataset (the dataset's path in the HDF5 file) is required");
  }
  return { file, dataset };
}

/** Opens the file read-only, runs `use` on the dataset, closes. RangeError for what is missing or unusable. */
function withDataset<T>(source: Hdf5Source, use: (d: import("h5wasm/node").Dataset) => T): T {
  const m = loaded;
  if (!m) throw new Error("h5wasm is not loaded (loadH5wasm)");
  try {
    if (!statSync(source.file).isFile()) throw new Error("not a regular file");
    accessSync(source.file, constants.R_OK);
  } catch (e) {
    throw new RangeError(`${source.file} cannot be read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  // Checked here: libhdf5 would print its error stack to standard error for a file that is not HDF5.
  if (!hasHdf5Signature(source.file)) throw new RangeError(`${source.file} is not an HDF5 file`);
  let f: import("h5wasm/node").File;
  try {
    f = new m.File(source.file, "r");
  } catch (e) {
    throw new RangeError(`${source.file} is not an HDF5 file: ${(e as Error).message}`);
  }
  // h5wasm does not throw for a file libhdf5 could not open: its id is then not positive.
  if (!(f.file_id > 0n)) throw new RangeError(`${source.file} is not an HDF5 file`);
  try {
    let entity: ReturnType<typeof f.get>;
    try {
      entity = f.get(source.dataset);
    } catch {
      entity = null;
    }
    if (!(entity instanceof m.Dataset)) {
      throw new RangeError(`${source.file} has no dataset ${source.dataset}`);
    }
    return use(entity);
  } finally {
    f.close();
  }
}

const SIGNATURE = Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Whether the file has HDF5's signature at 0, 512, 1024, 2048, ... (where a superblock may be). */
function hasHdf5Signature(file: string): boolean {
  const fd = openSync(file, "r");
  try {
    const size = statSync(file).size;
    const head = Buffer.alloc(8);
    for (let at = 0; at + 8 <= size; at = at === 0 ? 512 : at * 2) {
      if (readSync(fd, head, 0, 8, at) === 8 && head.equals(SIGNATURE)) return true;
    }
    return false;
  } finally {
    closeSync(fd);
  }
}

interface H5Meta {
  readonly type: number;
  readonly size: number;
  readonly signed: boolean;
  readonly littleEndian: boolean;
  readonly shape: number[] | null;
  readonly maxshape: number[] | null;
  readonly chunks: number[] | null;
  readonly enum_type?: { members: Record<string, number>; type: number };
}

const H5T_INTEGER = 0;
const H5T_FLOAT = 1;
const H5T_ENUM = 8;

/** The dataset's element type as Tiled's data_type (b1, i/u 1-8, f4/f8); RangeError for others. */
function dataTypeOf(meta: H5Meta, where: string): DataType {
  const size = meta.size;
  const endianness = size === 1 ? "not_applicable" : "little";
  if (size > 1 && !meta.littleEndian) throw new RangeError(`${where}: big-endian HDF5 data is not supported`);
  if (meta.type === H5T_INTEGER && [1, 2, 4, 8].includes(size)) {
    return { endianness, kind: meta.signed ? "i" : "u", itemsize: size, dt_units: null };
  }
  if (meta.type === H5T_FLOAT && (size === 4 || size === 8)) {
    return { endianness, kind: "f", itemsize: size, dt_units: null };
  }
  // h5py's booleans: an enum of one byte with FALSE = 0 and TRUE = 1.
  const members = meta.enum_type?.members;
  if (meta.type === H5T_ENUM && size === 1 && members?.FALSE === 0 && members?.TRUE === 1) {
    return { endianness: "not_applicable", kind: "b", itemsize: 1, dt_units: null };
  }
  throw new RangeError(`${where}: HDF5 type ${meta.type} of ${size} bytes is not supported (b1, i/u 1-8, f4/f8)`);
}

function structureOf(meta: H5Meta, where: string): ArrayStructure {
  const data_type = dataTypeOf(meta, where);
  const shape = meta.shape ?? [];
  const chunkShape = meta.chunks ?? shape.map((n) => Math.max(1, n));
  const resizable = (meta.maxshape ?? shape).some((max, i) => max !== shape[i]);
  // Tiled's key order.
  return { data_type, chunks: tiledChunks(shape, chunkShape), shape: [...shape], dims: null, resizable };
}

/** The dataset's structure as the file has it now (h5wasm loaded). */
export function hdf5Structure(source: Hdf5Source): ArrayStructure {
  return withDataset(source, (d) => structureOf(d.metadata as H5Meta, `${source.file}:${source.dataset}`));
}

/**
 * `GET array/full?slice=` from the file: C-order little-endian bytes and their shape (Tiled's
 * slice syntax, datasets/slice.ts), h5wasm loaded. RangeError for a bad slice or an unreadable file.
 */
export function readHdf5(source: Hdf5Source, slice?: string): { bytes: Uint8Array; shape: number[] } {
  return withDataset(source, (d) => {
    const meta = d.metadata as H5Meta;
    const structure = structureOf(meta, `${source.file}:${source.dataset}`);
    const itemsize = structure.data_type.itemsize;
    const selection = parseSlice(slice, structure.shape);
    const shape = selectionShape(selection);
    if (shape.some((n) => n === 0)) return { bytes: new Uint8Array(0), shape };
    if (structure.shape.length === 0) return { bytes: copyBytes(d.value), shape };
    // Read ascending (a negative step's elements in reverse), then flip those dimensions.
    const ranges = selection.map((s) => hyperslab(s));
    const counts = selection.map((s) => (s.kind === "index" ? 1 : s.length));
    const reversed = selection.map((s) => s.kind === "range" && s.step < 0);
    let bytes = copyBytes(d.slice(ranges as [number, number, number][]));
    if (reversed.some(Boolean)) bytes = flip(bytes, counts, reversed, itemsize);
    return { bytes, shape };
  });
}

/** One dimension's selection as h5wasm's `[start, stop, step]` with a positive step. */
function hyperslab(s: DimSelection): [number, number, number] {
  if (s.kind === "index") return [s.index, s.index + 1, 1];
  if (s.step > 0) return [s.start, s.start + (s.length - 1) * s.step + 1, s.step];
  const last = s.start + (s.length - 1) * s.step;
  return [last, s.start + 1, -s.step];
}

function copyBytes(data: unknown): Uint8Array {
  if (ArrayBuffer.isView(data)) {
    return new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
  }
  throw new RangeError("the HDF5 dataset's data could not be read as numbers");
}

/** `bytes` (C order, `counts`) with the dimensions marked in `reversed` reversed. */
function flip(
  bytes: Uint8Array,
  counts: readonly number[],
  reversed: readonly boolean[],
  itemsize: number,
): Uint8Array {
  const out = new Uint8Array(bytes.length);
  const ndim = counts.length;
  const strides = new Array<number>(ndim);
  let stride = 1;
  for (let d = ndim - 1; d >= 0; d--) {
    strides[d] = stride;
    stride *= counts[d] as number;
  }
  const total = bytes.length / itemsize;
  for (let i = 0; i < total; i++) {
    let rest = i;
    let from = 0;
    for (let d = 0; d < ndim; d++) {
      const s = strides[d] as number;
      const at = Math.floor(rest / s);
      rest -= at * s;
      from += (reversed[d] ? (counts[d] as number) - 1 - at : at) * s;
    }
    out.set(bytes.subarray(from * itemsize, (from + 1) * itemsize), i * itemsize);
  }
  return out;
}
