/**
 * The stored data of one dataset array node: one Zarr v3 array in its own directory (`zarr.json`
 * plus chunk files `c/i/j`), written and read through zarrita, so zarr-python 3, zarrita and
 * other Zarr v3 tools can open it as it is. Chunks are uncompressed (the `bytes` codec, little
 * endian): a write is then a copy and a rename, and latency matters more here than size.
 *
 * It speaks Tiled's terms: the `ArrayStructure` of Tiled's catalog (data type, shape, per-dimension
 * chunk lists, dims, resizable) and the operations behind its routes (`PUT array/full`,
 * `PUT array/block?block=`, `PATCH array/full?offset=&shape=&extend=`, `GET array/full?slice=`).
 * Data crosses this boundary as C-order little-endian bytes of the structure's data type.
 *
 * What it leaves to others: durability and bounds. No file is ever torn (see `fs-store.ts`), but
 * nothing is fsynced: the caller keeps a write-ahead log, re-applies its records after a crash and
 * bounds shapes and sizes (an `extend` to a huge shape writes no data but reading it all would
 * allocate it). Every write is idempotent (the same write twice leaves the same data) and is
 * checked whole before any byte is written, so a refused write changes nothing. A write that fails
 * midway (disk full) may leave some of its chunks written: the log's replay completes it.
 * Writes run one at a time, in call order; a read running beside a write may see part of it.
 */
import { mkdir } from "node:fs/promises";
import * as zarr from "zarrita";
import type { DataType } from "../protocols/tiled/data-type.js";

export type { DataType };

import { FsStore } from "./fs-store.js";
import { parseSlice, selectionShape } from "./slice.js";

/** Tiled's array structure, as its catalog and client exchange it. */
export interface ArrayStructure {
  data_type: DataType;
  shape: number[];
  /** Per dimension, the sizes of its chunks in order (`[[3, 3, 1]]` for 7 elements by 3). */
  chunks: number[][];
  dims: string[] | null;
  resizable: boolean;
}

type Dtype =
  | "bool"
  | "int8"
  | "int16"
  | "int32"
  | "int64"
  | "uint8"
  | "uint16"
  | "uint32"
  | "uint64"
  | "float32"
  | "float64";
type ZarrArray = zarr.Array<Dtype, FsStore>;
type Metadata = zarr.ArrayMetadata<Dtype>;

/** Tiled kind letter and item size → Zarr v3 data type. */
const DTYPE_BY_NUMPY: Readonly<Record<string, Dtype>> = {
  b1: "bool",
  i1: "int8",
  i2: "int16",
  i4: "int32",
  i8: "int64",
  u1: "uint8",
  u2: "uint16",
  u4: "uint32",
  u8: "uint64",
  f4: "float32",
  f8: "float64",
};

const NUMPY_BY_DTYPE: Readonly<Record<Dtype, { kind: DataType["kind"]; itemsize: number }>> = {
  bool: { kind: "b", itemsize: 1 },
  int8: { kind: "i", itemsize: 1 },
  int16: { kind: "i", itemsize: 2 },
  int32: { kind: "i", itemsize: 4 },
  int64: { kind: "i", itemsize: 8 },
  uint8: { kind: "u", itemsize: 1 },
  uint16: { kind: "u", itemsize: 2 },
  uint32: { kind: "u", itemsize: 4 },
  uint64: { kind: "u", itemsize: 8 },
  float32: { kind: "f", itemsize: 4 },
  float64: { kind: "f", itemsize: 8 },
};

/**
 * Zarr needs a chunk size of at least 1, but Tiled lists a zero-length dimension's chunks as
 * `[0]`. Such a dimension (an array created empty, to be appended to) gets chunks of about this
 * many bytes, given the other dimensions' chunk sizes.
 */
const EMPTY_DIM_CHUNK_BYTES = 64 * 1024;

/** Where Tiled's fields that Zarr has no place for live in `zarr.json`'s attributes. */
const ATTRIBUTES_KEY = "beamgate";

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** One logged array write: a block, a region at `offset` (growing the array), or else the whole array. */
export interface ArrayWrite {
  readonly block: readonly number[] | null;
  readonly offset: readonly number[] | null;
  readonly shape: readonly number[];
  readonly bytes: Uint8Array;
}

export class ArrayStore {
  readonly #store: FsStore;
  #metadata: Metadata;
  #array: ZarrArray;
  readonly #resizable: boolean;
  #tail: Promise<void> = Promise.resolve();

  private constructor(store: FsStore, metadata: Metadata, resizable: boolean) {
    this.#store = store;
    this.#metadata = metadata;
    this.#array = new zarr.Array(store, "/", metadata);
    this.#resizable = resizable;
  }

  /**
   * Creates the array in `dir` (made if missing), all zeros (false for bool). Whatever array was
   * in `dir` is replaced, its chunks removed first, so replaying a logged create starts over.
   *
   * Tiled's `chunks` gives each dimension's chunk sizes; Zarr needs one size per dimension, so
   * the first is used and only the last may be smaller (else RangeError). Data types: b1, i1-i8,
   * u1-u8, f4, f8, little endian (`not_applicable` for one byte); big-endian and other kinds are
   * refused with a RangeError (clients send native little-endian data; all is stored little endian).
   */
  static async create(dir: string, structure: ArrayStructure): Promise<ArrayStore> {
    checkHost();
    const dtype = dtypeOf(structure.data_type);
    const shape = checkShape(structure.shape, "shape");
    const chunkShape = chunkShapeOf(structure.chunks, shape, NUMPY_BY_DTYPE[dtype].itemsize);
    const dims = structure.dims;
    if (dims !== null && (dims.length !== shape.length || dims.some((d) => typeof d !== "string"))) {
      throw new RangeError(`dims must be null or ${shape.length} names, one per dimension`);
    }
    const metadata: Metadata = {
      zarr_format: 3,
      node_type: "array",
      shape,
      data_type: dtype,
      chunk_grid: { name: "regular", configuration: { chunk_shape: chunkShape } },
      chunk_key_encoding: { name: "default", configuration: { separator: "/" } },
      codecs: [{ name: "bytes", configuration: { endian: "little" } }],
      fill_value: dtype === "bool" ? false : 0,
      ...(dims === null ? {} : { dimension_names: [...dims] }),
      attributes: { [ATTRIBUTES_KEY]: { resizable: structure.resizable === true } },
    };
    await mkdir(dir, { recursive: true });
    const store = new FsStore(dir);
    await store.removeTemporaries();
    await store.deleteTree("/c");
    await store.set("/zarr.json", encodeMetadata(metadata));
    return new ArrayStore(store, metadata, structure.resizable === true);
  }

  /**
   * Opens the array in `dir` (as `create` or a later write left it). Throws if there is none, or
   * if it is not one this module could have written. One ArrayStore per directory at a time: the
   * writes of two would interleave, and opening clears temporaries a crash left.
   */
  static async open(dir: string): Promise<ArrayStore> {
    checkHost();
    const store = new FsStore(dir);
    const bytes = await store.get("/zarr.json");
    if (bytes === undefined) throw new Error(`no Zarr array in ${dir} (zarr.json missing)`);
    const metadata = decodeMetadata(bytes, dir);
    await store.removeTemporaries();
    const ours = metadata.attributes[ATTRIBUTES_KEY];
    const resizable = typeof ours === "object" && ours !== null && "resizable" in ours && ours.resizable === true;
    return new ArrayStore(store, metadata, resizable);
  }

  /** Makes every file written so far durable (FsStore.sync). */
  sync(): Promise<void> {
    return this.#store.sync();
  }

  /** The directory holding the array. */
  get dir(): string {
    return this.#store.root;
  }

  /** The Zarr chunk shape (fixed; an extend adds chunks). */
  get chunkShape(): number[] {
    return [...this.#array.chunks];
  }

  /** The structure now: the current shape (after extends), its chunks listed as Tiled lists them. */
  get structure(): ArrayStructure {
    const { kind, itemsize } = NUMPY_BY_DTYPE[this.#metadata.data_type];
    const shape = [...this.#metadata.shape];
    return {
      data_type: { endianness: itemsize === 1 ? "not_applicable" : "little", kind, itemsize, dt_units: null },
      shape,
      chunks: tiledChunks(shape, this.#array.chunks),
      dims: this.#metadata.dimension_names ? [...this.#metadata.dimension_names] : null,
      resizable: this.#resizable,
    };
  }

  /** Replaces the whole array with `bytes` (C order, little endian); wrong length → RangeError. */
  writeFull(bytes: Uint8Array): Promise<void> {
    return this.#exclusive(() => this.#writeFull(bytes));
  }

  /**
   * Applies the writes in order as one batch: each chunk they touch is read and written once, and
   * `zarr.json` once (see `FsStore.buffered`). A write that fails (RangeError) fails the batch:
   * the shape stays as it was, and what the batch still held is not written.
   */
  applyAll(writes: readonly ArrayWrite[]): Promise<void> {
    return this.#exclusive(async () => {
      const before = { metadata: this.#metadata, array: this.#array };
      try {
        await this.#store.buffered(async () => {
          for (const w of writes) {
            if (w.block) await this.#writeBlock(w.block, w.bytes);
            else if (w.offset) await this.#patch(w.offset, w.shape, w.bytes, true);
            else await this.#writeFull(w.bytes);
          }
        });
      } catch (e) {
        // zarr.json is written last: the shape on disk is still the old one.
        this.#metadata = before.metadata;
        this.#array = before.array;
        throw e;
      }
    });
  }

  /**
   * Replaces the chunk at `block` (Tiled's `?block=i,j`), which is smaller at the array's far
   * edges; returns where it lies. Block out of range or wrong length → RangeError.
   */
  writeBlock(block: readonly number[], bytes: Uint8Array): Promise<{ offset: number[]; shape: number[] }> {
    return this.#exclusive(() => this.#writeBlock(block, bytes));
  }

  /**
   * Writes `bytes` (C order, shape `shape`) at `offset`. Without `extend` the region must lie in
   * the array (else RangeError); with it the array grows, along any dimension, to hold the region
   * (Tiled's append: offset=3, shape=3 on a [3] array gives [6]); a gap is left as zeros. As in
   * Tiled's own server, `extend` is allowed whether or not the structure says `resizable`
   * (which is kept as given, a statement of intent). Returns the array's shape after the write.
   */
  patch(
    offset: readonly number[],
    shape: readonly number[],
    bytes: Uint8Array,
    extend: boolean,
  ): Promise<{ shape: number[] }> {
    return this.#exclusive(() => this.#patch(offset, shape, bytes, extend));
  }

  async #writeFull(bytes: Uint8Array): Promise<void> {
    const shape = this.#metadata.shape;
    this.#checkLength(bytes, shape);
    await this.#write(
      this.#array,
      shape.map(() => 0),
      shape,
      bytes,
    );
  }

  async #writeBlock(block: readonly number[], bytes: Uint8Array): Promise<{ offset: number[]; shape: number[] }> {
    const shape = this.#metadata.shape;
    const chunkShape = this.#array.chunks;
    if (block.length !== shape.length) {
      throw new RangeError(`block has ${block.length} indices but the array has ${shape.length} dimensions`);
    }
    const offset: number[] = [];
    const blockShape: number[] = [];
    block.forEach((index, d) => {
      const length = shape[d] as number;
      const chunk = chunkShape[d] as number;
      const count = Math.max(1, Math.ceil(length / chunk));
      if (!Number.isSafeInteger(index) || index < 0 || index >= count) {
        throw new RangeError(`block index ${index} is out of range for dimension ${d} (${count} blocks)`);
      }
      offset.push(index * chunk);
      blockShape.push(Math.min(chunk, length - index * chunk));
    });
    this.#checkLength(bytes, blockShape);
    await this.#write(this.#array, offset, blockShape, bytes);
    return { offset, shape: blockShape };
  }

  async #patch(
    offset: readonly number[],
    shape: readonly number[],
    bytes: Uint8Array,
    extend: boolean,
  ): Promise<{ shape: number[] }> {
    const current = this.#metadata.shape;
    const rank = current.length;
    if (offset.length !== rank || shape.length !== rank) {
      throw new RangeError(`offset and shape must each have ${rank} values (the array's dimensions)`);
    }
    const start = checkShape(offset, "offset");
    const size = checkShape(shape, "shape");
    this.#checkLength(bytes, size);
    const end = start.map((o, d) => o + (size[d] as number));
    if (!extend) {
      const d = end.findIndex((e, i) => e > (current[i] as number));
      if (d >= 0) {
        throw new RangeError(
          `the region ${start[d]}:${end[d]} does not fit dimension ${d} of length ${current[d]} (extend=true grows the array)`,
        );
      }
    }
    const grown = end.map((e, d) => Math.max(e, current[d] as number));
    if (!Number.isSafeInteger(grown.reduce((a, b) => a * b, 1))) throw new RangeError("the array would be too large");
    const resized = grown.some((g, d) => g !== current[d]);
    const metadata = resized ? { ...this.#metadata, shape: grown } : this.#metadata;
    const array = resized ? new zarr.Array(this.#store, "/", metadata) : this.#array;
    // Chunks first, then the shape: a crash between leaves the old shape, and the log re-applies the patch.
    await this.#write(array, start, size, bytes);
    if (resized) {
      await this.#store.set("/zarr.json", encodeMetadata(metadata));
      this.#metadata = metadata;
      this.#array = array;
    }
    return { shape: [...grown] };
  }

  /**
   * Reads the elements `slice` selects (Tiled's `?slice=`, numpy rules: see `slice.ts`; absent =
   * all) as C-order little-endian bytes, with the result's shape. Bad slice → RangeError.
   */
  async read(slice?: string): Promise<{ bytes: Uint8Array; shape: number[] }> {
    const array = this.#array;
    const itemsize = NUMPY_BY_DTYPE[array.dtype].itemsize;
    const selection = parseSlice(slice, array.shape);
    const shape = selectionShape(selection);
    // Read with every dimension kept (an index as a slice of one; dropping it changes no byte)
    // and negative steps as the same elements ascending, reversed after: zarrita steps forward only.
    const counts = selection.map((s) => (s.kind === "index" ? 1 : s.length));
    if (counts.some((c) => c === 0)) return { bytes: new Uint8Array(0), shape };
    if (array.shape.length === 0) {
      const { data } = await array.getChunk([]);
      return { bytes: bytesOf(data).slice(0, itemsize), shape };
    }
    const ranges = selection.map((s) => {
      if (s.kind === "index") return zarr.slice(s.index, s.index + 1);
      if (s.step > 0) return zarr.slice(s.start, s.stop, s.step);
      const lowest = s.start + (s.length - 1) * s.step;
      return zarr.slice(lowest, s.start + 1, -s.step);
    });
    const chunk = await zarr.get(array, ranges);
    const reversed = selection.map((s) => s.kind === "range" && s.step < 0);
    const bytes = bytesOf(chunk.data);
    return { bytes: reversed.some(Boolean) ? reverseAxes(bytes, counts, itemsize, reversed) : bytes, shape };
  }

  /** Runs `task` after every write queued before it. */
  #exclusive<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#tail.then(task);
    this.#tail = run.then(
      () => {},
      () => {},
    );
    return run;
  }

  #checkLength(bytes: Uint8Array, shape: readonly number[]): void {
    const itemsize = NUMPY_BY_DTYPE[this.#metadata.data_type].itemsize;
    const expected = shape.reduce((a, b) => a * b, 1) * itemsize;
    if (bytes.byteLength !== expected) {
      throw new RangeError(
        `expected ${expected} bytes (shape [${shape.join(", ")}] of ${this.#metadata.data_type}), got ${bytes.byteLength}`,
      );
    }
  }

  /** Writes a checked region through zarrita: whole chunks replaced, partial ones read, patched, replaced. */
  async #write(
    array: ZarrArray,
    offset: readonly number[],
    shape: readonly number[],
    bytes: Uint8Array,
  ): Promise<void> {
    if (shape.some((s) => s === 0)) return;
    const data = typedView(array.dtype, bytes);
    if (shape.length === 0) {
      const value = "get" in data ? data.get(0) : data[0];
      if (value === undefined) throw new RangeError("no value for the scalar array");
      await zarr.set(array, null, value);
      return;
    }
    await zarr.set(
      array,
      offset.map((o, d) => zarr.slice(o, o + (shape[d] as number))),
      { data, shape: [...shape], stride: cStrides(shape) },
    );
  }
}

function checkHost(): void {
  // Data crosses the API little endian and is handed to zarrita as typed arrays in host order.
  if (!LITTLE_ENDIAN_HOST) throw new Error("dataset arrays need a little-endian host");
}

function dtypeOf(t: DataType): Dtype {
  const key = `${t.kind}${t.itemsize}`;
  const dtype = Object.hasOwn(DTYPE_BY_NUMPY, key) ? DTYPE_BY_NUMPY[key] : undefined;
  if (dtype === undefined) {
    throw new RangeError(
      `unsupported data type kind "${t.kind}" itemsize ${t.itemsize} (supported: b1, i1-i8, u1-u8, f4, f8)`,
    );
  }
  if (t.itemsize > 1 && t.endianness !== "little") {
    throw new RangeError(`only little-endian data is accepted (got ${t.endianness} ${t.kind}${t.itemsize})`);
  }
  return dtype;
}

function checkShape(values: readonly number[], what: string): number[] {
  if (!Array.isArray(values) || values.some((v) => !Number.isSafeInteger(v) || v < 0)) {
    throw new RangeError(`${what} must be non-negative integers, got [${values.join(", ")}]`);
  }
  return [...values];
}

/** Tiled's per-dimension chunk lists → one Zarr chunk size per dimension. */
function chunkShapeOf(chunks: readonly (readonly number[])[], shape: readonly number[], itemsize: number): number[] {
  if (!Array.isArray(chunks) || chunks.length !== shape.length) {
    throw new RangeError(`chunks must list ${shape.length} dimensions, like the shape`);
  }
  const sizes = chunks.map((list, d) => {
    const length = shape[d] as number;
    if (!Array.isArray(list) || list.some((c) => !Number.isSafeInteger(c) || c < 0)) {
      throw new RangeError(`chunks of dimension ${d} must be non-negative integers`);
    }
    if (list.reduce((a, b) => a + b, 0) !== length) {
      throw new RangeError(`chunks of dimension ${d} add up to ${list.reduce((a, b) => a + b, 0)}, not ${length}`);
    }
    if (length === 0) return 0;
    const first = list[0] as number;
    const irregular = list.some((c, i) => (i < list.length - 1 ? c !== first : c > first || c === 0));
    if (irregular) {
      throw new RangeError(
        `chunks of dimension ${d} are irregular ([${list.join(", ")}]): only the last chunk may be smaller`,
      );
    }
    return first;
  });
  // Zero-length dimensions: see EMPTY_DIM_CHUNK_BYTES.
  for (let d = 0; d < sizes.length; d++) {
    if (sizes[d] !== 0) continue;
    const others = sizes.reduce((a, b) => a * Math.max(1, b), 1);
    sizes[d] = Math.max(1, Math.floor(EMPTY_DIM_CHUNK_BYTES / (itemsize * others)));
  }
  return sizes;
}

/** Chunk sizes per dimension as Tiled lists them: full chunks, then the remainder if any. */
export function tiledChunks(shape: readonly number[], chunkShape: readonly number[]): number[][] {
  return shape.map((length, d) => {
    const chunk = chunkShape[d] as number;
    if (length === 0) return [0];
    const list = new Array<number>(Math.floor(length / chunk)).fill(chunk);
    if (length % chunk !== 0) list.push(length % chunk);
    return list;
  });
}

function cStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let stride = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    strides[d] = stride;
    stride *= shape[d] as number;
  }
  return strides;
}

/** A typed array of `dtype` over `bytes`, copied only when misaligned for the element size. */
function typedView(dtype: Dtype, bytes: Uint8Array): zarr.TypedArray<Dtype> {
  const itemsize = NUMPY_BY_DTYPE[dtype].itemsize;
  const b = bytes.byteOffset % itemsize === 0 ? bytes : bytes.slice();
  const { buffer, byteOffset } = b;
  const n = b.byteLength / itemsize;
  switch (dtype) {
    case "bool":
      return new zarr.BoolArray(buffer, byteOffset, n);
    case "int8":
      return new Int8Array(buffer, byteOffset, n);
    case "int16":
      return new Int16Array(buffer, byteOffset, n);
    case "int32":
      return new Int32Array(buffer, byteOffset, n);
    case "int64":
      return new BigInt64Array(buffer, byteOffset, n);
    case "uint8":
      return new Uint8Array(buffer, byteOffset, n);
    case "uint16":
      return new Uint16Array(buffer, byteOffset, n);
    case "uint32":
      return new Uint32Array(buffer, byteOffset, n);
    case "uint64":
      return new BigUint64Array(buffer, byteOffset, n);
    case "float32":
      return new Float32Array(buffer, byteOffset, n);
    case "float64":
      return new Float64Array(buffer, byteOffset, n);
  }
}

function bytesOf(data: zarr.TypedArray<Dtype>): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** C-order `bytes` of `shape` with the dimensions marked in `reverse` running backwards. */
function reverseAxes(
  bytes: Uint8Array,
  shape: readonly number[],
  itemsize: number,
  reverse: readonly boolean[],
): Uint8Array {
  const out = new Uint8Array(bytes.byteLength);
  const strides = cStrides(shape).map((s) => s * itemsize);
  // Dimensions after the last reversed one are copied as one contiguous run.
  const last = reverse.lastIndexOf(true);
  const run = last + 1 < shape.length ? (strides[last] as number) : itemsize;
  const copy = (d: number, from: number, to: number): void => {
    if (d > last) {
      out.set(bytes.subarray(from, from + run), to);
      return;
    }
    const n = shape[d] as number;
    const stride = strides[d] as number;
    for (let i = 0; i < n; i++) copy(d + 1, from + (reverse[d] ? n - 1 - i : i) * stride, to + i * stride);
  };
  copy(0, 0, 0);
  return out;
}

function encodeMetadata(metadata: Metadata): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(metadata, (_k, v) => (typeof v === "bigint" ? Number(v) : v), 2));
}

/** Parses and checks a `zarr.json`, keeping only the fields this module writes and understands. */
function decodeMetadata(bytes: Uint8Array, dir: string): Metadata {
  const fail = (why: string): never => {
    throw new Error(`${dir}/zarr.json is not an array this store can use: ${why}`);
  };
  let doc: unknown;
  try {
    doc = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return fail("not JSON");
  }
  if (prop(doc, "zarr_format") !== 3 || prop(doc, "node_type") !== "array") return fail("not a Zarr v3 array");
  const dtype = prop(doc, "data_type");
  if (!isDtype(dtype)) return fail(`unsupported data_type ${JSON.stringify(dtype)}`);
  const shape = integers(prop(doc, "shape")) ?? fail("bad shape");
  const grid = prop(doc, "chunk_grid");
  const chunkShape =
    prop(grid, "name") === "regular" ? integers(prop(prop(grid, "configuration"), "chunk_shape")) : undefined;
  if (chunkShape === undefined || chunkShape.length !== shape.length || chunkShape.some((c) => c === 0)) {
    return fail("bad chunk_grid");
  }
  const encoding = prop(doc, "chunk_key_encoding");
  const separator = prop(prop(encoding, "configuration"), "separator") ?? "/";
  if (prop(encoding, "name") !== "default" || (separator !== "/" && separator !== ".")) {
    return fail("chunk_key_encoding must be default");
  }
  const codecs = prop(doc, "codecs");
  const codec = Array.isArray(codecs) && codecs.length === 1 ? codecs[0] : undefined;
  const endian = prop(prop(codec, "configuration"), "endian");
  if (prop(codec, "name") !== "bytes" || (endian !== "little" && endian !== undefined)) {
    return fail("codecs must be one little-endian bytes codec (uncompressed)");
  }
  const fill = prop(doc, "fill_value");
  if (fill !== 0 && fill !== false) return fail("fill_value must be 0 (false for bool)");
  const names = prop(doc, "dimension_names");
  const attributes = prop(doc, "attributes");
  const dimensionNames =
    Array.isArray(names) && names.length === shape.length && names.every((n) => typeof n === "string")
      ? { dimension_names: names.map(String) }
      : {};
  return {
    zarr_format: 3,
    node_type: "array",
    shape,
    data_type: dtype,
    chunk_grid: { name: "regular", configuration: { chunk_shape: chunkShape } },
    chunk_key_encoding: { name: "default", configuration: { separator } },
    codecs: [{ name: "bytes", configuration: { endian: "little" } }],
    fill_value: dtype === "bool" ? false : 0,
    ...dimensionNames,
    attributes: typeof attributes === "object" && attributes !== null ? { ...attributes } : {},
  };
}

/** An own property of a parsed JSON object, or undefined. */
function prop(value: unknown, name: string): unknown {
  if (typeof value !== "object" || value === null || !Object.hasOwn(value, name)) return undefined;
  return (value as Record<string, unknown>)[name];
}

function isDtype(value: unknown): value is Dtype {
  return typeof value === "string" && Object.hasOwn(NUMPY_BY_DTYPE, value);
}

function integers(value: unknown): number[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const out: number[] = [];
  for (const v of value) {
    if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0) return undefined;
    out.push(v);
  }
  return out;
}
