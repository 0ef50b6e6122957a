/**
 * The stored data of one dataset table node: one Arrow IPC file per partition
 * (`partition-<n>.arrow`, the file format other Arrow tools open as it is) beside `table.json`
 * (the table's structure), in the node's `table/` directory, read and written through
 * apache-arrow.
 *
 * It speaks Tiled's terms: the `TableStructure` of Tiled's catalog (`arrow_schema` as a data URI,
 * `npartitions`, `columns`, `resizable`) and the operations behind its routes (`PUT table/full`,
 * `PUT table/partition?partition=`, `PATCH table/partition?partition=` to append rows,
 * `GET table/full|partition?column=`). Data crosses this boundary as Arrow IPC files.
 *
 * Every file is replaced whole (temporary file, then rename: storage/file-replacer.ts), so none is
 * ever torn. Nothing is fsynced on the way: the caller keeps a write-ahead log, applies its records
 * again after a crash, and calls `sync()` before it drops any of that log. Each
 * partition file names, in its schema's metadata, the sequence of the last record applied to it,
 * so applying a record again is a no-op: an append (not idempotent by itself) is never doubled.
 * An append does not decode the rows already stored: the file's record batch messages are copied
 * as bytes and the new batches' messages added, with a new footer.
 *
 * Checks come before any write (`check`): the body must be an Arrow IPC file whose columns have
 * the table's names and types, in order (nullability and metadata aside), and a partition in
 * range. Writes run one at a time, in call order; a read beside a write sees a partition before
 * or after it.
 */
import { mkdir, readdir, readFile, unlink } from "node:fs/promises";
import { join } from "node:path";
import {
  BufferType,
  Data,
  type DataType,
  type Field,
  Message,
  MessageHeader,
  MetadataVersion,
  makeData,
  RecordBatch,
  Schema,
  Struct,
  Table,
  Type,
  tableFromIPC,
  tableToIPC,
  util,
} from "apache-arrow";
// The file format's footer, a module apache-arrow exports by subpath (not from its index), as its
// own file writer uses it. The table-store tests read our files with apache-arrow's file and
// stream readers.
import { FileBlock, Footer } from "apache-arrow/ipc/metadata/file";
import { FileReplacer, TEMPORARY } from "../storage/file-replacer.js";

/** Tiled's table structure, as its catalog and client exchange it (its key order). */
export interface TableStructure {
  /** `data:application/vnd.apache.arrow.file;base64,<Arrow IPC schema>` */
  arrow_schema: string;
  npartitions: number;
  columns: string[];
  resizable: boolean | boolean[];
}

export const ARROW_FILE_MIMETYPE = "application/vnd.apache.arrow.file";
const DATA_URI_PREFIX = `data:${ARROW_FILE_MIMETYPE};base64,`;

/**
 * A partition is kept to at most this many record batches: an append that would make more
 * joins them all into one (each batch costs its own message, block, and work at every read).
 */
export const MAX_BATCHES = 64;

/** At most this many partitions (a file each, made on first write). */
export const MAX_PARTITIONS = 10_000;

/** The schema metadata key naming the last record applied to a partition file. */
const SEQUENCE_KEY = "beamgate:sequence";
const MAGIC = Uint8Array.from([0x41, 0x52, 0x52, 0x4f, 0x57, 0x31]); // "ARROW1"
/** The stream's end marker, which apache-arrow's file writer puts before the footer. */
const EOS = Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]);
const STRUCTURE_FILE = "table.json";

type Column = RecordBatch["data"]["children"][number];

/** Record batch messages as bytes, with their blocks (offsets from the start of `bytes`). */
interface BatchRegion {
  readonly bytes: Uint8Array;
  readonly blocks: readonly FileBlock[];
}

export class TableStore {
  readonly #dir: string;
  readonly #structure: TableStructure;
  readonly #schema: Schema;
  #tail: Promise<void> = Promise.resolve();
  readonly #files: FileReplacer;

  private constructor(dir: string, structure: TableStructure, schema: Schema) {
    this.#dir = dir;
    this.#files = new FileReplacer(dir);
    this.#structure = structure;
    this.#schema = schema;
  }

  /**
   * Creates the table in `dir` (made if missing) with no rows. Whatever table was in `dir` is
   * replaced. The structure is checked (RangeError naming the problem): `arrow_schema` a data URI
   * of an Arrow IPC schema with at least one column, unique column names and types this store
   * can append and show as JSON (dictionary, union, view and interval types are refused);
   * `columns` names of the schema's columns; `npartitions` from 1 to MAX_PARTITIONS.
   */
  static async create(dir: string, structure: TableStructure): Promise<TableStore> {
    const schema = parseArrowSchema(structure.arrow_schema);
    const { npartitions, columns, resizable } = structure;
    if (!Number.isSafeInteger(npartitions) || npartitions < 1 || npartitions > MAX_PARTITIONS) {
      throw new RangeError(`table npartitions must be an integer from 1 to ${MAX_PARTITIONS}, not ${npartitions}`);
    }
    const names = new Set(schema.fields.map((f) => f.name));
    if (!Array.isArray(columns) || columns.some((c) => typeof c !== "string" || !names.has(c))) {
      throw new RangeError(
        `table columns must name columns of the arrow_schema (${[...names].join(", ")}), not ${JSON.stringify(columns)}`,
      );
    }
    const ok =
      typeof resizable === "boolean" || (Array.isArray(resizable) && resizable.every((r) => r === true || r === false));
    if (!ok) throw new RangeError("table resizable must be a boolean or a list of booleans");
    const kept: TableStructure = {
      arrow_schema: structure.arrow_schema,
      npartitions,
      columns: [...columns],
      resizable: Array.isArray(resizable) ? [...resizable] : resizable,
    };
    await mkdir(dir, { recursive: true });
    const store = new TableStore(dir, kept, schema);
    await store.#removeFiles((name) => TEMPORARY.test(name) || /^partition-\d+\.arrow$/.test(name));
    await store.#replace(STRUCTURE_FILE, new TextEncoder().encode(JSON.stringify(kept, null, 2)));
    return store;
  }

  /** Opens the table in `dir` as `create` and later writes left it; clears temporaries a crash left. */
  static async open(dir: string): Promise<TableStore> {
    let structure: TableStructure;
    try {
      structure = JSON.parse(await readFile(join(dir, STRUCTURE_FILE), "utf8")) as TableStructure;
    } catch (e) {
      throw new Error(`no table in ${dir} (${STRUCTURE_FILE}: ${(e as Error).message})`);
    }
    const store = new TableStore(dir, structure, parseArrowSchema(structure.arrow_schema));
    await store.#removeFiles((name) => TEMPORARY.test(name));
    return store;
  }

  get dir(): string {
    return this.#dir;
  }

  /** The structure, as created (Tiled's key order). */
  get structure(): TableStructure {
    const s = this.#structure;
    return {
      arrow_schema: s.arrow_schema,
      npartitions: s.npartitions,
      columns: [...s.columns],
      resizable: Array.isArray(s.resizable) ? [...s.resizable] : s.resizable,
    };
  }

  /** The table's Arrow schema (from `arrow_schema`). */
  get schema(): Schema {
    return this.#schema;
  }

  /**
   * Checks a write of `bytes` to `partition` without writing: RangeError unless the partition is
   * in range and `bytes` is an Arrow IPC file whose columns match the table's. Returns its row count.
   */
  check(partition: number, bytes: Uint8Array): number {
    this.#checkPartition(partition);
    return this.#batchesOf(bytes).reduce((n, b) => n + b.numRows, 0);
  }

  /** The sequence of the last record applied to `partition` (0: none). */
  async sequenceOf(partition: number): Promise<number> {
    this.#checkPartition(partition);
    const file = await this.#readPartition(partition);
    return file ? sequenceOf(footerOf(file).schema) : 0;
  }

  /**
   * Replaces `partition` with the rows of `bytes` (an Arrow IPC file, checked again), as the
   * record `sequence`. A record already applied (`sequence` not above the partition's) changes
   * nothing. Returns whether it was applied.
   */
  write(partition: number, bytes: Uint8Array, sequence: number): Promise<boolean> {
    return this.#apply(partition, bytes, sequence, false);
  }

  /** Appends the rows of `bytes` to `partition`, as the record `sequence` (see `write`). */
  append(partition: number, bytes: Uint8Array, sequence: number): Promise<boolean> {
    return this.#apply(partition, bytes, sequence, true);
  }

  /**
   * An Arrow IPC file of the table's rows: one partition, or all of them in order (`partition`
   * undefined), with only the `columns` named (in that order; all when undefined). Its schema is
   * the table's (the selection's fields), metadata included. An unknown column or a partition out
   * of range is a RangeError.
   */
  async read(partition?: number, columns?: readonly string[]): Promise<Uint8Array> {
    const partitions =
      partition === undefined
        ? Array.from({ length: this.#structure.npartitions }, (_, i) => i)
        : [this.#checkPartition(partition)];
    const selected = columns === undefined ? undefined : this.#select(columns);
    const files = await Promise.all(partitions.map((p) => this.#readPartition(p)));
    if (selected === undefined) {
      // No decoding: the stored batch messages are copied under the table's own schema.
      return composeFile(
        this.#schema,
        files.flatMap((f) => (f ? [regionOfFile(f)] : [])),
      );
    }
    const schema = new Schema(
      selected.map((i) => this.#schema.fields[i] as Field),
      this.#schema.metadata,
    );
    const batches = files.flatMap((f) =>
      f
        ? decodeFile(f).batches.map((b) =>
            rebatch(
              schema,
              b,
              selected.map((i) => b.data.children[i] as Column),
            ),
          )
        : [],
    );
    return tableToIPC(new Table(schema, batches.length > 1 ? [joinBatches(schema, batches)] : batches), "file");
  }

  #checkPartition(partition: number): number {
    const n = this.#structure.npartitions;
    if (!Number.isSafeInteger(partition) || partition < 0 || partition >= n) {
      throw new RangeError(`partition ${partition} is out of range: the table has ${n} partition${n === 1 ? "" : "s"}`);
    }
    return partition;
  }

  /** Indices of the named columns, in the order named (duplicates dropped). */
  #select(columns: readonly string[]): number[] {
    const out: number[] = [];
    for (const name of columns) {
      const i = this.#schema.fields.findIndex((f) => f.name === name);
      if (i < 0) throw new RangeError(`No such field ${name}.`);
      if (!out.includes(i)) out.push(i);
    }
    return out;
  }

  /** The record batches of an uploaded file, checked against the table and wrapped in its schema. */
  #batchesOf(bytes: Uint8Array): RecordBatch[] {
    const table = readUpload(bytes);
    const theirs = table.schema.fields;
    const ours = this.#schema.fields;
    const describe = (fields: readonly Field[]) => fields.map((f) => `${f.name}: ${f.type}`).join(", ");
    const mismatch = () =>
      new RangeError(
        `The batch's schema does not match the table's: it has (${describe(theirs)}), the table (${describe(ours)})`,
      );
    if (theirs.length !== ours.length) throw mismatch();
    for (let i = 0; i < ours.length; i++) {
      const a = ours[i] as Field;
      const b = theirs[i] as Field;
      if (a.name !== b.name || !sameType(a.type, b.type)) throw mismatch();
    }
    return table.batches.map((batch) => {
      batch.data.children.forEach((child, i) => {
        checkData(child, (ours[i] as Field).name);
      });
      return rebatch(this.#schema, batch, batch.data.children);
    });
  }

  #apply(partition: number, bytes: Uint8Array, sequence: number, append: boolean): Promise<boolean> {
    return this.#exclusive(async () => {
      this.#checkPartition(partition);
      const batches = this.#batchesOf(bytes);
      const old = await this.#readPartition(partition);
      if (old && sequence <= sequenceOf(footerOf(old).schema)) return false;
      const schema = withSequence(this.#schema, sequence);
      const kept = append && old ? regionOfFile(old) : undefined;
      let file: Uint8Array;
      if (kept && kept.blocks.length + batches.length > MAX_BATCHES) {
        // Joined into one batch: decoded once here, so appends and reads stay cheap after.
        const all = [...decodeFile(old as Uint8Array).batches, ...batches];
        file = composeFile(schema, [regionOfBatches(schema, [joinBatches(schema, all)])]);
      } else {
        const added = regionOfBatches(schema, batches);
        file = composeFile(schema, kept ? [kept, added] : [added]);
      }
      await this.#replace(partitionFile(partition), file);
      return true;
    });
  }

  async #readPartition(partition: number): Promise<Uint8Array | undefined> {
    try {
      const bytes = await readFile(join(this.#dir, partitionFile(partition)));
      // A buffer of its own (aligned), not a view into Node's pool.
      return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength
        ? new Uint8Array(bytes.buffer, 0, bytes.byteLength)
        : new Uint8Array(bytes);
    } catch (e) {
      if ((e as { code?: string }).code === "ENOENT") return undefined;
      throw e;
    }
  }

  /** Replaces `name` in the directory whole: a temporary file, then a rename over it. */
  #replace(name: string, bytes: Uint8Array): Promise<void> {
    return this.#files.replace(join(this.#dir, name), bytes);
  }

  /** Makes every file written so far durable (see FileReplacer.sync). */
  sync(): Promise<void> {
    return this.#files.sync();
  }

  async #removeFiles(which: (name: string) => boolean): Promise<void> {
    const names = await readdir(this.#dir);
    await Promise.all(names.filter(which).map((n) => unlink(join(this.#dir, n)).catch(() => {})));
  }

  #exclusive<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#tail.then(task);
    this.#tail = run.then(
      () => {},
      () => {},
    );
    return run;
  }
}

function partitionFile(partition: number): string {
  return `partition-${partition}.arrow`;
}

/** The Arrow schema in a TableStructure's `arrow_schema`; RangeError naming what is wrong. */
export function parseArrowSchema(dataUri: unknown): Schema {
  const fail = (why: string): never => {
    throw new RangeError(`table arrow_schema: ${why}`);
  };
  if (typeof dataUri !== "string" || !dataUri.startsWith(DATA_URI_PREFIX)) {
    return fail(`must be a data URI starting ${DATA_URI_PREFIX}`);
  }
  const base64 = dataUri.slice(DATA_URI_PREFIX.length);
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(base64) || base64.length % 4 !== 0) return fail("is not base64");
  const bytes = new Uint8Array(Buffer.from(base64, "base64"));
  if (bytes.byteLength === 0) return fail("is empty");
  let schema: Schema;
  try {
    // pyarrow's `Schema.serialize()` (one IPC message), or a whole IPC stream or file.
    schema = tableFromIPC(bytes).schema;
  } catch (e) {
    return fail(`is not an Arrow IPC schema (${(e as Error).message})`);
  }
  if (schema.fields.length === 0) return fail("has no columns");
  const seen = new Set<string>();
  for (const field of schema.fields) {
    if (seen.has(field.name)) fail(`has two columns named ${JSON.stringify(field.name)}`);
    seen.add(field.name);
    const why = unsupported(field.type);
    if (why) fail(`column ${JSON.stringify(field.name)} is of type ${field.type}: ${why}`);
  }
  return schema;
}

/** The data URI of a schema, as Tiled writes `arrow_schema` (pyarrow's `Schema.serialize()`). */
export function arrowSchemaUri(schema: Schema): string {
  const stream = tableToIPC(new Table(schema), "stream");
  const message = stream.subarray(0, stream.byteLength - EOS.byteLength);
  return DATA_URI_PREFIX + Buffer.from(message.buffer, message.byteOffset, message.byteLength).toString("base64");
}

/** Why a column type cannot be stored, or undefined. */
function unsupported(type: DataType): string | undefined {
  switch (type.typeId) {
    case Type.Dictionary:
      return "dictionary-encoded columns are not supported (send the values)";
    case Type.Union:
    case Type.Interval:
    case Type.BinaryView:
    case Type.Utf8View:
      return "not supported";
    default:
      for (const child of type.children ?? []) {
        const why = unsupported(child.type);
        if (why) return why;
      }
      return undefined;
  }
}

/** Same type, nested field names included; nullability and metadata aside. */
function sameType(a: DataType, b: DataType): boolean {
  if (a.typeId !== b.typeId) return false;
  const ac: readonly Field[] = a.children ?? [];
  const bc: readonly Field[] = b.children ?? [];
  if (ac.length > 0 || bc.length > 0) {
    if (ac.length !== bc.length) return false;
    if (!ac.every((f, i) => f.name === bc[i]?.name && sameType(f.type, (bc[i] as Field).type))) return false;
    if (a.typeId === Type.FixedSizeList)
      return (a as { listSize?: number }).listSize === (b as { listSize?: number }).listSize;
    if (a.typeId === Type.Map)
      return (a as { keysSorted?: boolean }).keysSorted === (b as { keysSorted?: boolean }).keysSorted;
    return true;
  }
  return util.compareTypes(a, b);
}

/** An uploaded body as a table: RangeError unless it is an Arrow IPC file apache-arrow reads. */
function readUpload(bytes: Uint8Array): Table {
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

function decodeFile(bytes: Uint8Array): Table {
  return tableFromIPC(bytes);
}

/** `bytes` at an 8-byte aligned offset (a copy if not), so typed arrays can view their buffers. */
function aligned(bytes: Uint8Array): Uint8Array {
  return bytes.byteOffset % 8 === 0 ? bytes : bytes.slice();
}

/** A batch of `schema` holding `children` (the upload's columns, already checked to match). */
function rebatch(schema: Schema, batch: RecordBatch, children: readonly Column[]): RecordBatch {
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
function checkData(data: Column, name: string): void {
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

/** The rows of `batches` (all of `schema`) as one batch. */
function joinBatches(schema: Schema, batches: readonly RecordBatch[]): RecordBatch {
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

function withSequence(schema: Schema, sequence: number): Schema {
  const metadata = new Map(schema.metadata);
  metadata.set(SEQUENCE_KEY, String(sequence));
  return new Schema(schema.fields, metadata);
}

function sequenceOf(schema: Schema): number {
  return Number(schema.metadata.get(SEQUENCE_KEY) ?? 0) || 0;
}

function footerOf(file: Uint8Array): Footer {
  const end = file.byteLength - MAGIC.byteLength - 4;
  const length = new DataView(file.buffer, file.byteOffset, file.byteLength).getInt32(end, true);
  return Footer.decode(file.subarray(end - length, end));
}

/** The record batch messages of a file this store wrote, with their blocks. */
function regionOfFile(file: Uint8Array): BatchRegion {
  const blocks = [...footerOf(file).recordBatches()];
  if (blocks.length === 0) return { bytes: new Uint8Array(0), blocks: [] };
  const start = (blocks[0] as FileBlock).offset;
  const last = blocks[blocks.length - 1] as FileBlock;
  const end = last.offset + last.metaDataLength + last.bodyLength;
  return {
    bytes: file.subarray(start, end),
    blocks: blocks.map((b) => new FileBlock(b.metaDataLength, b.bodyLength, b.offset - start)),
  };
}

/** `batches` encoded as record batch messages (as apache-arrow's writer lays them out), with their blocks. */
function regionOfBatches(schema: Schema, batches: readonly RecordBatch[]): BatchRegion {
  const stream = tableToIPC(new Table(schema, [...batches]), "stream");
  const view = new DataView(stream.buffer, stream.byteOffset, stream.byteLength);
  const messageAt = (at: number) => {
    if (view.getInt32(at, true) !== -1) throw new Error("unexpected IPC framing");
    const length = view.getInt32(at + 4, true);
    const message = Message.decode(stream.subarray(at + 8, at + 8 + length));
    return { metaDataLength: 8 + length, message };
  };
  const start = messageAt(0).metaDataLength; // past the schema message
  const end = stream.byteLength - EOS.byteLength;
  const blocks: FileBlock[] = [];
  for (let at = start; at < end; ) {
    const { metaDataLength, message } = messageAt(at);
    if (message.headerType !== MessageHeader.RecordBatch) throw new Error("unexpected IPC message (a dictionary?)");
    blocks.push(new FileBlock(metaDataLength, message.bodyLength, at - start));
    at += metaDataLength + message.bodyLength;
  }
  return { bytes: stream.subarray(start, end), blocks };
}

/**
 * An Arrow IPC file of `schema` holding the regions' batches in order, laid out as apache-arrow's
 * file writer lays one out: magic and padding, the schema message, the batches, the end marker,
 * the footer, its length, the magic.
 */
function composeFile(schema: Schema, regions: readonly BatchRegion[]): Uint8Array {
  const stream = tableToIPC(new Table(schema), "stream");
  const header = stream.subarray(0, stream.byteLength - EOS.byteLength);
  const blocks: FileBlock[] = [];
  let at = 8 + header.byteLength;
  for (const region of regions) {
    for (const b of region.blocks) blocks.push(new FileBlock(b.metaDataLength, b.bodyLength, b.offset + at));
    at += region.bytes.byteLength;
  }
  const footer = Footer.encode(new Footer(schema, MetadataVersion.V5, blocks, []));
  const out = new Uint8Array(at + EOS.byteLength + footer.byteLength + 4 + MAGIC.byteLength);
  out.set(MAGIC, 0);
  out.set(header, 8);
  let p = 8 + header.byteLength;
  for (const region of regions) {
    out.set(region.bytes, p);
    p += region.bytes.byteLength;
  }
  out.set(EOS, p);
  out.set(footer, p + EOS.byteLength);
  p += EOS.byteLength + footer.byteLength;
  new DataView(out.buffer).setInt32(p, footer.byteLength, true);
  out.set(MAGIC, p + 4);
  return out;
}
