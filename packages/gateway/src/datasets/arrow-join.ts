/**
 * Joining record batches into one, column by column and buffer by buffer, without going through
 * JavaScript values: a partition kept to a few batches stays cheap to append to and to read.
 */
import { BufferType, Data, makeData, RecordBatch, type Schema, Struct, Type } from "apache-arrow";
import type { Column } from "./arrow-upload.js";

/** The rows of `batches` (all of `schema`) as one batch. */
export function joinBatches(schema: Schema, batches: readonly RecordBatch[]): RecordBatch {
  const children = schema.fields.map((_, c) => joinData(batches.map((b) => b.data.children[c] as Column)));
  const length = batches.reduce((n, b) => n + b.numRows, 0);
  return new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length, nullCount: 0, children }));
}

/** A typed array, of numbers or bigints. */
interface Typed {
  readonly length: number;
  readonly constructor: new (length: number) => Typed;
  [index: number]: number | bigint;
  subarray(begin: number, end: number): Typed;
  set(array: Typed, offset: number): void;
}

/**
 * One column's pieces (of one type) joined, buffer by buffer: values copied, offsets rebased,
 * validity and boolean bits shifted, children joined over the ranges their parents use. For the
 * types `unsupported` lets through, with the buffers `checkData` checked.
 */
function joinData(parts: readonly Column[]): Column {
  const first = parts[0] as Column;
  const type = first.type;
  const length = parts.reduce((n, p) => n + p.length, 0);
  const nullCount = type.typeId === Type.Null ? length : parts.reduce((n, p) => n + p.nullCount, 0);
  const validity =
    nullCount > 0 && type.typeId !== Type.Null
      ? joinBits(parts.map((p) => [p.nullCount > 0 ? p.nullBitmap : undefined, p.offset, p.length]))
      : undefined;
  const make = (buffers: { offsets?: Typed; values?: Typed | Uint8Array }, children: Column[] = []): Column => {
    const all: unknown[] = [];
    all[BufferType.OFFSET] = buffers.offsets;
    all[BufferType.DATA] = buffers.values;
    all[BufferType.VALIDITY] = validity;
    return new Data(type, 0, length, nullCount, all as never, children) as Column;
  };
  switch (type.typeId) {
    case Type.Null:
      return make({});
    case Type.Bool:
      return make({ values: joinBits(parts.map((p) => [p.values as Uint8Array, p.offset, p.length])) });
    case Type.Utf8:
    case Type.LargeUtf8:
    case Type.Binary:
    case Type.LargeBinary: {
      const { offsets, ranges } = joinOffsets(parts);
      const values = new Uint8Array(ranges.reduce((n, [, a, b]) => n + (b - a), 0));
      let at = 0;
      for (const [p, a, b] of ranges) {
        values.set((p.values as Uint8Array).subarray(a, b), at);
        at += b - a;
      }
      return make({ offsets, values });
    }
    case Type.List:
    case Type.LargeList:
    case Type.Map: {
      const { offsets, ranges } = joinOffsets(parts);
      return make({ offsets }, [joinData(ranges.map(([p, a, b]) => (p.children[0] as Column).slice(a, b - a)))]);
    }
    case Type.FixedSizeList: {
      const size = (type as unknown as { listSize: number }).listSize;
      const child = joinData(parts.map((p) => (p.children[0] as Column).slice(p.offset * size, p.length * size)));
      return make({}, [child]);
    }
    case Type.Struct:
      // apache-arrow slices a struct's children with it: row i of the parent is row i of each child.
      return make(
        {},
        (type.children ?? []).map((_, c) => joinData(parts.map((p) => (p.children[c] as Column).slice(0, p.length)))),
      );
    default: {
      // Fixed width: `stride` elements of the values array per row.
      const stride = first.stride;
      const values = new (first.values as unknown as Typed).constructor(length * stride);
      let at = 0;
      for (const p of parts) {
        values.set((p.values as unknown as Typed).subarray(p.offset * stride, (p.offset + p.length) * stride), at);
        at += p.length * stride;
      }
      return make({ values });
    }
  }
}

/** Offsets for the pieces joined (rebased, as wide as the first's), and the value range each piece uses. */
function joinOffsets(parts: readonly Column[]): { offsets: Typed; ranges: [Column, number, number][] } {
  const length = parts.reduce((n, p) => n + p.length, 0);
  const offsets = new ((parts[0] as Column).valueOffsets as unknown as Typed).constructor(length + 1);
  const big = offsets instanceof BigInt64Array;
  const ranges: [Column, number, number][] = [];
  let row = 0;
  let base = 0;
  for (const p of parts) {
    const o = p.valueOffsets as unknown as Typed;
    const a = Number(o[p.offset]);
    const b = Number(o[p.offset + p.length]);
    for (let i = 0; i <= p.length; i++) {
      const v = base + Number(o[p.offset + i]) - a;
      offsets[row + i] = big ? BigInt(v) : v;
    }
    ranges.push([p, a, b]);
    row += p.length;
    base += b - a;
  }
  return { offsets, ranges };
}

/** Bitmaps (each read from a bit offset for a length; undefined: all ones) joined into one. */
function joinBits(parts: readonly [Uint8Array | undefined, number, number][]): Uint8Array {
  const total = parts.reduce((n, [, , length]) => n + length, 0);
  const out = new Uint8Array(Math.ceil(total / 64) * 8);
  let at = 0;
  for (const [bits, offset, length] of parts) {
    for (let i = 0; i < length; i++, at++) {
      const j = offset + i;
      if (bits === undefined || ((bits[j >> 3] ?? 0) & (1 << (j & 7))) !== 0) {
        out[at >> 3] = (out[at >> 3] as number) | (1 << (at & 7));
      }
    }
  }
  return out;
}
