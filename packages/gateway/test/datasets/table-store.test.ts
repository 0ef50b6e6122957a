/**
 * Dataset tables stored as Arrow IPC files on a real disk: create/open, whole writes, appends and
 * reads (all partitions, one, selected columns), the files as Arrow readers see them (file and
 * stream readers, both schemas), appends that copy stored batches without decoding them, records
 * applied twice changing nothing, and every refused write or structure changing nothing.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import {
  Binary,
  Bool,
  type Data,
  Dictionary,
  Field,
  FixedSizeList,
  Float64,
  Int32,
  Int64,
  LargeUtf8,
  List,
  makeData,
  RecordBatch,
  RecordBatchStreamReader,
  Schema,
  Struct,
  Table,
  TimestampMicrosecond,
  tableFromIPC,
  tableToIPC,
  Utf8,
  vectorFromArray,
} from "apache-arrow";
import { Footer } from "apache-arrow/ipc/metadata/file";
import { arrowSchemaUri } from "../../src/datasets/arrow-schema.js";
import { MAX_BATCHES, MAX_PARTITIONS, TableStore, type TableStructure } from "../../src/datasets/table-store.js";

const SCHEMA = new Schema(
  [new Field("x", new Float64(), true), new Field("n", new Int64(), true), new Field("s", new Utf8(), true)],
  new Map([["pandas", '{"index_columns": []}']]),
);

function structure(extra: Partial<TableStructure> = {}): TableStructure {
  return { arrow_schema: arrowSchemaUri(SCHEMA), npartitions: 1, columns: ["x", "n", "s"], resizable: false, ...extra };
}

/** An uploaded Arrow IPC file of rows (x, n, s), as a client makes one (its own schema, no metadata). */
function rows(x: number[], n: bigint[], s: (string | null)[]): Uint8Array {
  return tableToIPC(
    new Table({
      x: vectorFromArray(x, new Float64()),
      n: vectorFromArray(n, new Int64()),
      s: vectorFromArray(s, new Utf8()),
    }),
    "file",
  );
}

/** The rows of an Arrow IPC file as plain values, column by column. */
function valuesOf(ipc: Uint8Array): Record<string, unknown[]> {
  const table = tableFromIPC(ipc);
  return Object.fromEntries(table.schema.fields.map((f, i) => [f.name, [...(table.getChildAt(i) ?? [])]]));
}

/** Every file under `dir` with its bytes, for "nothing changed" checks. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(dir, { recursive: true }) as string[]) {
    try {
      out[name] = readFileSync(join(dir, name)).toString("hex");
    } catch {
      // A directory.
    }
  }
  return out;
}

describe("TableStore", () => {
  let root: string;
  let dir: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), "beamgate-table-store-"));
    dir = join(root, "table");
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it("creates a table with no rows, keeps its structure, and opens it again", async () => {
    const created = await TableStore.create(dir, structure({ npartitions: 3, resizable: [false, true] }));
    assert.deepEqual(Object.keys(created.structure), ["arrow_schema", "npartitions", "columns", "resizable"]);
    assert.deepEqual(created.structure, structure({ npartitions: 3, resizable: [false, true] }));
    assert.deepEqual(readdirSync(dir), ["table.json"], "no partition file until a write");
    const empty = tableFromIPC(await created.read());
    assert.equal(empty.numRows, 0);
    assert.deepEqual(
      empty.schema.fields.map((f) => `${f.name}: ${f.type}`),
      ["x: Float64", "n: Int64", "s: Utf8"],
    );
    assert.equal(empty.schema.metadata.get("pandas"), '{"index_columns": []}', "the schema's metadata is kept");
    const opened = await TableStore.open(dir);
    assert.deepEqual(opened.structure, created.structure);
    assert.equal(await opened.sequenceOf(2), 0);
  });

  it("writes, appends and reads back every row, partitions in order, columns as selected", async () => {
    const store = await TableStore.create(dir, structure({ npartitions: 2 }));
    assert.equal(await store.write(0, rows([1, 2], [1n, 2n], ["a", null]), 1), true);
    assert.equal(await store.append(0, rows([3], [3n], ["c"]), 2), true);
    assert.equal(await store.append(1, rows([10], [9007199254740993n], ["é"]), 3), true);
    assert.deepEqual(valuesOf(await store.read(0)), { x: [1, 2, 3], n: [1n, 2n, 3n], s: ["a", null, "c"] });
    assert.deepEqual(valuesOf(await store.read()), {
      x: [1, 2, 3, 10],
      n: [1n, 2n, 3n, 9007199254740993n],
      s: ["a", null, "c", "é"],
    });
    assert.deepEqual(valuesOf(await store.read(undefined, ["s", "x"])), { s: ["a", null, "c", "é"], x: [1, 2, 3, 10] });
    assert.deepEqual(valuesOf(await store.read(1, ["n", "n"])), { n: [9007199254740993n] }, "a repeat is dropped");
    // A selection keeps the table's field (nullability) and schema metadata.
    const selected = tableFromIPC(await store.read(0, ["s"]));
    assert.equal(selected.schema.fields[0]?.nullable, true);
    assert.equal(selected.schema.metadata.get("pandas"), '{"index_columns": []}');
    assert.equal(selected.schema.metadata.has("beamgate:sequence"), false, "our bookkeeping stays inside");
    // A whole write replaces the partition.
    assert.equal(await store.write(0, rows([7], [7n], [null]), 4), true);
    assert.deepEqual(valuesOf(await store.read(0)), { x: [7], n: [7n], s: [null] });
    assert.throws(
      () => store.check(2, rows([1], [1n], ["a"])),
      /partition 2 is out of range: the table has 2 partitions/,
    );
    await assert.rejects(store.read(0, ["nope"]), /No such field nope\./);
    await assert.rejects(store.read(5), RangeError);
  });

  it("stores Arrow IPC files that file and stream readers both read, naming the last record applied", async () => {
    const store = await TableStore.create(dir, structure());
    await store.write(0, rows([1, 2], [1n, 2n], ["a", "b"]), 5);
    await store.append(0, rows([3], [3n], [null]), 6);
    const file = readFileSync(join(dir, "partition-0.arrow"));
    assert.equal(file.subarray(0, 6).toString(), "ARROW1");
    assert.equal(file.subarray(-6).toString(), "ARROW1");
    // The file reader (footer) ...
    const table = tableFromIPC(file);
    assert.equal(table.batches.length, 2, "an append adds a batch");
    assert.deepEqual(valuesOf(file), { x: [1, 2, 3], n: [1n, 2n, 3n], s: ["a", "b", null] });
    assert.equal(table.schema.metadata.get("beamgate:sequence"), "6");
    assert.equal(table.schema.metadata.get("pandas"), '{"index_columns": []}');
    // ... and a stream reader from past the magic (the file format holds a whole stream).
    const stream = RecordBatchStreamReader.from(file.subarray(8)).open();
    assert.equal(stream.schema.metadata.get("beamgate:sequence"), "6");
    const batches = [...stream];
    assert.deepEqual(
      batches.map((b) => b.numRows),
      [2, 1],
    );
    assert.deepEqual([...(batches[1]?.getChildAt(0) ?? [])], [3]);
    assert.equal(await store.sequenceOf(0), 6);
  });

  it("appends without decoding what is stored: the stored batches' bytes are copied as they are", async () => {
    const store = await TableStore.create(dir, structure());
    await store.write(0, rows([1, 2, 3], [1n, 2n, 3n], ["a", "b", "c"]), 1);
    const before = readFileSync(join(dir, "partition-0.arrow"));
    await store.append(0, rows([4], [4n], ["d"]), 2);
    const after = readFileSync(join(dir, "partition-0.arrow"));
    const blocks = (bytes: Buffer) => {
      const end = bytes.byteLength - 10;
      return [...Footer.decode(bytes.subarray(end - bytes.readInt32LE(end), end)).recordBatches()];
    };
    const [old] = blocks(before);
    assert.ok(old);
    const stored = before.subarray(old.offset, old.offset + old.metaDataLength + old.bodyLength);
    const [first, second] = blocks(after);
    assert.ok(first && second);
    assert.deepEqual(after.subarray(first.offset, first.offset + stored.byteLength), stored, "copied byte for byte");
    assert.equal(second.offset, first.offset + stored.byteLength, "the new batch right after it");
  });

  it("applies a record once: a write or append already applied (sequence not above the file's) changes nothing", async () => {
    const store = await TableStore.create(dir, structure());
    await store.write(0, rows([1], [1n], ["a"]), 3);
    await store.append(0, rows([2], [2n], ["b"]), 4);
    const before = snapshot(dir);
    assert.equal(await store.append(0, rows([2], [2n], ["b"]), 4), false, "the same append again");
    assert.equal(await store.append(0, rows([9], [9n], ["z"]), 3), false, "an older record");
    assert.equal(await store.write(0, rows([1], [1n], ["a"]), 3), false);
    assert.deepEqual(snapshot(dir), before);
    assert.deepEqual(valuesOf(await store.read()), { x: [1, 2], n: [1n, 2n], s: ["a", "b"] });
  });

  it("refuses bodies that are not Arrow IPC files, or whose columns do not match, writing nothing", async () => {
    const store = await TableStore.create(dir, structure({ npartitions: 2 }));
    await store.write(0, rows([1], [1n], ["a"]), 1);
    const before = snapshot(dir);
    const good = rows([2], [2n], ["b"]);
    const cases: [string, Uint8Array, RegExp][] = [
      ["empty", new Uint8Array(0), /not an Arrow IPC file/],
      ["text", new TextEncoder().encode('{"x": [1, 2]}'), /not an Arrow IPC file/],
      ["the IPC stream format", tableToIPC(tableFromIPC(good), "stream"), /not an Arrow IPC file/],
      [
        "a truncated file",
        Uint8Array.from([...good.subarray(0, 40), ...good.subarray(-6)]),
        /not a readable Arrow IPC file/,
      ],
      [
        "a column of another type",
        tableToIPC(
          new Table({
            x: vectorFromArray([1], new Float64()),
            n: vectorFromArray([1], new Int32()),
            s: vectorFromArray(["a"], new Utf8()),
          }),
          "file",
        ),
        /does not match the table's: it has \(x: Float64, n: Int32, s: Utf8\), the table \(x: Float64, n: Int64, s: Utf8\)/,
      ],
      [
        "columns in another order",
        tableToIPC(
          new Table({
            n: vectorFromArray([1n], new Int64()),
            x: vectorFromArray([1], new Float64()),
            s: vectorFromArray(["a"], new Utf8()),
          }),
          "file",
        ),
        /does not match/,
      ],
      [
        "a column missing",
        tableToIPC(
          new Table({ x: vectorFromArray([1], new Float64()), n: vectorFromArray([1n], new Int64()) }),
          "file",
        ),
        /does not match/,
      ],
      [
        "a column renamed",
        tableToIPC(
          new Table({
            x: vectorFromArray([1], new Float64()),
            n: vectorFromArray([1n], new Int64()),
            t: vectorFromArray(["a"], new Utf8()),
          }),
          "file",
        ),
        /does not match/,
      ],
      ["offsets pointing past the data", corruptOffsets(rows([1], [1n], ["abc"])), /malformed/],
    ];
    for (const [what, bytes, message] of cases) {
      assert.throws(() => store.check(0, bytes), message, what);
      await assert.rejects(store.append(0, bytes, 2), RangeError, what);
      await assert.rejects(store.write(1, bytes, 2), RangeError, what);
    }
    assert.throws(() => store.check(-1, good), /out of range/);
    assert.throws(() => store.check(1.5, good), /out of range/);
    assert.deepEqual(snapshot(dir), before, "nothing written");
    assert.equal(store.check(1, good), 1, "a good body is a row count");
  });

  it("refuses structures it cannot hold, with the reason", async () => {
    const bad: [string, Partial<TableStructure>, RegExp][] = [
      ["not a data URI", { arrow_schema: "AAAA" }, /data URI/],
      ["not base64", { arrow_schema: "data:application/vnd.apache.arrow.file;base64,@@@@" }, /not base64/],
      ["empty", { arrow_schema: "data:application/vnd.apache.arrow.file;base64," }, /empty/],
      [
        "not Arrow",
        { arrow_schema: `data:application/vnd.apache.arrow.file;base64,${btoa("not arrow at all")}` },
        /not an Arrow IPC schema/,
      ],
      ["no columns", { arrow_schema: arrowSchemaUri(new Schema([])), columns: [] }, /no columns/],
      [
        "a dictionary column",
        {
          arrow_schema: arrowSchemaUri(new Schema([new Field("c", new Dictionary(new Utf8(), new Int32()))])),
          columns: ["c"],
        },
        /dictionary/,
      ],
      [
        "two columns of one name",
        {
          arrow_schema: arrowSchemaUri(new Schema([new Field("a", new Float64()), new Field("a", new Int64())])),
          columns: ["a"],
        },
        /two columns named "a"/,
      ],
      ["a column not in the schema", { columns: ["x", "y"] }, /columns must name columns/],
      ["no partition", { npartitions: 0 }, /npartitions/],
      ["too many partitions", { npartitions: MAX_PARTITIONS + 1 }, /npartitions/],
      ["resizable not booleans", { resizable: [1] as unknown as boolean[] }, /resizable/],
    ];
    for (const [what, extra, message] of bad) {
      await assert.rejects(TableStore.create(join(root, "bad"), structure(extra)), message, what);
    }
    // The schema as pyarrow's Schema.serialize() gives it (one IPC message), or as a whole stream.
    const stream = tableToIPC(new Table(SCHEMA), "stream");
    const asStream = `data:application/vnd.apache.arrow.file;base64,${Buffer.from(stream).toString("base64")}`;
    const store = await TableStore.create(dir, structure({ arrow_schema: asStream }));
    assert.deepEqual(
      store.schema.fields.map((f) => f.name),
      ["x", "n", "s"],
    );
    assert.ok(arrowSchemaUri(SCHEMA).length < asStream.length, "arrowSchemaUri leaves out the end marker");
  });

  it(`joins a partition's batches into one past ${MAX_BATCHES}, every type's values, nulls and offsets kept`, async () => {
    const point = new Struct([new Field("a", new Int32(), true), new Field("b", new Utf8(), true)]);
    const fields = [
      new Field("f", new Float64(), true),
      new Field("i", new Int64(), true),
      new Field("s", new Utf8(), true),
      new Field("ls", new LargeUtf8(), true),
      new Field("ok", new Bool(), true),
      new Field("t", new TimestampMicrosecond(), true),
      new Field("bin", new Binary(), true),
      new Field("v", new List(new Field("item", new Float64(), true)), true),
      new Field("pair", new FixedSizeList(2, new Field("item", new Float64(), true)), true),
      new Field("p", point, true),
    ];
    const schema = new Schema(fields);
    const store = await TableStore.create(dir, {
      arrow_schema: arrowSchemaUri(schema),
      npartitions: 1,
      columns: fields.map((f) => f.name),
      resizable: false,
    });
    // Row k; every fifth value null, lists of varying length, strings of varying width.
    const value = (k: number): unknown[] => {
      const n = k % 5 === 0;
      return [
        n ? null : k + 0.5,
        n ? null : BigInt(k) * 1_000_000_007n,
        n ? null : "x".repeat(k % 7),
        k % 3 === 0 ? null : `é${k}`,
        n ? null : k % 2 === 0,
        n ? null : 1_700_000_000_000 + k,
        n ? null : Uint8Array.of(k & 255, 7),
        k % 4 === 0 ? null : Array.from({ length: k % 3 }, (_, i) => k + i),
        n ? null : [k, -k],
        k % 6 === 0 ? null : { a: k % 2 ? k : null, b: `p${k}` },
      ];
    };
    const upload = (ks: number[]) => {
      const columns = fields.map(
        (f, c) => [f, vectorFromArray(ks.map((k) => value(k)[c]) as never[], f.type)] as const,
      );
      const batchSchema = new Schema(fields);
      const children = columns.map(([, v]) => v.data[0] as Data);
      const batch = new RecordBatch(
        batchSchema,
        makeData({ type: new Struct(fields), length: ks.length, nullCount: 0, children }),
      );
      return tableToIPC(new Table(batchSchema, [batch]), "file");
    };
    let k = 0;
    await store.write(0, upload([k++, k++]), 1);
    for (let sequence = 2; sequence <= MAX_BATCHES + 10; sequence++) {
      await store.append(
        0,
        upload(sequence % 3 === 0 ? [] : Array.from({ length: sequence % 4 }, () => k++)),
        sequence,
      );
    }
    const file = readFileSync(join(dir, "partition-0.arrow"));
    const stored = tableFromIPC(file);
    assert.ok(stored.batches.length <= MAX_BATCHES, `${stored.batches.length} batches`);
    assert.ok(stored.batches.length < MAX_BATCHES / 2, "joined once, then appended to");
    // Vectors and struct rows by their toJSON (an array, an object), binary as its bytes.
    const plain = (v: unknown): unknown => {
      if (v === null || typeof v !== "object") return v;
      if (v instanceof Uint8Array) return [...v];
      if (typeof (v as { toJSON?: unknown }).toJSON === "function") return plain((v as { toJSON(): unknown }).toJSON());
      if (Array.isArray(v)) return v.map(plain);
      return Object.fromEntries(Object.entries(v).map(([a, b]) => [a, plain(b)]));
    };
    const expected = Array.from({ length: k }, (_, r) => value(r).map(plain));
    const rowsOf = (table: Table) =>
      Array.from({ length: table.numRows }, (_, r) => fields.map((_, c) => plain(table.getChildAt(c)?.get(r))));
    assert.deepEqual(rowsOf(stored), expected);
    assert.deepEqual(rowsOf(tableFromIPC(await store.read())), expected);
    const selected = tableFromIPC(await store.read(0, ["p", "s"]));
    assert.equal(selected.batches.length, 1, "a selection is one batch");
    assert.deepEqual(
      Array.from({ length: selected.numRows }, (_, r) => [
        plain(selected.getChildAt(0)?.get(r)),
        selected.getChildAt(1)?.get(r),
      ]),
      expected.map((row) => [row[9], row[2]]),
    );
  });

  it("holds nested and temporal columns, and clears what a crash left at open", async () => {
    const schema = new Schema([
      new Field("t", new TimestampMicrosecond("UTC"), true),
      new Field("ok", new Bool(), true),
      new Field("v", new List(new Field("item", new Float64(), true)), true),
    ]);
    const store = await TableStore.create(dir, {
      arrow_schema: arrowSchemaUri(schema),
      npartitions: 1,
      columns: ["t", "ok", "v"],
      resizable: false,
    });
    const upload = tableToIPC(
      new Table({
        t: vectorFromArray([1_700_000_000_123, null], new TimestampMicrosecond("UTC")),
        ok: vectorFromArray([true, null], new Bool()),
        v: vectorFromArray([[1, 2], []], new List(new Field("item", new Float64(), true))),
      }),
      "file",
    );
    await store.write(0, upload, 1);
    await store.append(0, upload, 2);
    const table = tableFromIPC(await store.read());
    assert.equal(table.numRows, 4);
    assert.deepEqual([...(table.getChild("ok") ?? [])], [true, null, true, null]);
    assert.deepEqual(
      [...(table.getChild("v") ?? [])].map((l) => (l ? [...l] : l)),
      [[1, 2], [], [1, 2], []],
    );
    writeFileSync(join(dir, ".tmp-00ff-3"), "half a partition");
    await TableStore.open(dir);
    assert.deepEqual(readdirSync(dir).sort(), ["partition-0.arrow", "table.json"]);
  });
});

/** A file whose one string column's offsets claim more data than there is. */
function corruptOffsets(file: Uint8Array): Uint8Array {
  const out = Uint8Array.from(file);
  // The offsets of ["abc"] are int32 [0, 3]: make the 3 a 200.
  const needle = Uint8Array.from([0, 0, 0, 0, 3, 0, 0, 0]);
  for (let i = 0; i + needle.length <= out.length; i++) {
    if (needle.every((b, k) => out[i + k] === b) && out[i + 8] === 0x61 /* "a" */) {
      out[i + 4] = 200;
      return out;
    }
  }
  throw new Error("offsets not found");
}
