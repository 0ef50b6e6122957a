/**
 * Decoding Arrow IPC files into record batches, and checking an uploaded one first: its magic,
 * that apache-arrow reads it, and that each column's buffers hold what its lengths and offsets
 * claim. Matching the upload's columns to a table's schema is the table store's.
 */
import { makeData, RecordBatch, type Schema, Struct, type Table, Type, tableFromIPC } from "apache-arrow";
import { MAGIC } from "./arrow-file.js";

/** One column's data in a record batch. */
export type Column = RecordBatch["data"]["children"][number];

/** An uploaded body as a table: RangeError unless it is an Arrow IPC file apache-arrow reads. */
export function readUpload(bytes: Uint8Array): Table {
  const n = bytes.byteLength;
  const magicAt = (at: number) => MAGIC.every((b, i) => bytes[at + i] === b);
  if (n < 2 * MAGIC.byteLength + 8 || !magicAt(0) || !magicAt(n - MAGIC.byteLength)) {
    throw new RangeError("The body is not an Arrow IPC file (no ARROW1 magic at its start and end)");
  }
  try {
    return decodeFile(aligned(bytes));
  } catch (e) {
    throw new RangeError(`The body is not a readable Arrow IPC file: ${(e as Error).message}`);
  }
}

/** An Arrow IPC file's rows, as apache-arrow decodes them (an upload goes through `readUpload`). */
export function decodeFile(bytes: Uint8Array): Table {
  return tableFromIPC(bytes);
}

/** `bytes` at an 8-byte aligned offset (a copy if not), so typed arrays can view their buffers. */
function aligned(bytes: Uint8Array): Uint8Array {
  return bytes.byteOffset % 8 === 0 ? bytes : bytes.slice();
}

/** A batch of `schema` holding `children` (the upload's columns, already checked to match). */
export function rebatch(schema: Schema, batch: RecordBatch, children: readonly Column[]): RecordBatch {
  return new RecordBatch(
    schema,
    makeData({ type: new Struct(schema.fields), length: batch.numRows, nullCount: 0, children: [...children] }),
  );
}

/**
 * Checks that a column's buffers hold what its length and offsets claim (a file can say
 * anything): RangeError otherwise. apache-arrow reads lazily, so a lie would surface later, when
 * the data is copied or shown as JSON.
 */
export function checkData(data: Column, name: string): void {
  function fail(why: string): never {
    throw new RangeError(`The body's column ${JSON.stringify(name)} is malformed: ${why}`);
  }
  const { type, offset, length } = data;
  const end = offset + length;
  if (data.nullCount > 0 && (data.nullBitmap?.byteLength ?? 0) < Math.ceil(end / 8))
    fail("its validity bitmap is short");
  const values = data.values as ArrayLike<unknown> | undefined;
  const count = (v: ArrayLike<unknown> | undefined) => v?.length ?? 0;
  const offsets = (): number[] => {
    const o = data.valueOffsets as ArrayLike<number | bigint> | undefined;
    if (count(o) < end + 1) fail("its offsets are short");
    const at = (i: number) => Number((o as ArrayLike<number | bigint>)[i]);
    for (let i = offset; i < end; i++) if (at(i + 1) < at(i) || at(i) < 0) fail("its offsets go backwards");
    return [at(offset), at(end)];
  };
  switch (type.typeId) {
    case Type.Null:
      return;
    case Type.Bool:
      if (count(values) < Math.ceil(end / 8)) fail("its values are short");
      return;
    case Type.Int:
    case Type.Float:
    case Type.Decimal:
    case Type.Date:
    case Type.Time:
    case Type.Timestamp:
    case Type.Duration:
    case Type.FixedSizeBinary:
      if (count(values) < end * data.stride) fail("its values are short");
      return;
    case Type.Utf8:
    case Type.LargeUtf8:
    case Type.Binary:
    case Type.LargeBinary: {
      const [, last] = offsets();
      if (count(values) < (last as number)) fail("its offsets point past its values");
      return;
    }
    case Type.List:
    case Type.LargeList:
    case Type.Map: {
      const [, last] = offsets();
      const child = data.children[0];
      if (!child || child.length < (last as number)) fail("its offsets point past its child");
      checkData(child, name);
      return;
    }
    case Type.FixedSizeList: {
      const child = data.children[0];
      const size = (type as { listSize?: number }).listSize ?? 0;
      if (!child || child.length < end * size) fail("its child is short");
      checkData(child, name);
      return;
    }
    case Type.Struct:
      for (const child of data.children) {
        if (child.length < end) fail("a child is short");
        checkData(child, name);
      }
      return;
    default:
      fail(`type ${type} is not supported`);
  }
}
