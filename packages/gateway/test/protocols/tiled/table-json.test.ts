/**
 * Arrow IPC files as the JSON payload of Tiled's `table-data` (table-json.ts): the golden table
 * append, numbers as Python writes them, exact 64-bit integers, strings, booleans, nulls at any
 * depth, temporal, decimal, binary, nested and map columns, several batches.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  Binary,
  Bool,
  type Data,
  DateDay,
  Decimal,
  Field,
  Float32,
  Float64,
  Int8,
  Int64,
  List,
  makeData,
  Null,
  RecordBatch,
  Schema,
  Struct,
  Table,
  TimeMicrosecond,
  TimestampMicrosecond,
  TimestampSecond,
  tableToIPC,
  Uint64,
  Utf8,
  type Vector,
  vectorFromArray,
} from "apache-arrow";
import { tablePayloadJson } from "../../../src/protocols/tiled/table-json.js";

/** The JSON of a table of these columns, in this order (one batch). */
function json(...columns: [string, Vector][]): string {
  const schema = new Schema(columns.map(([name, v]) => new Field(name, v.type, true)));
  const children = columns.map(([, v]) => v.data[0] as Data);
  const length = children[0]?.length ?? 0;
  const batch = new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length, nullCount: 0, children }));
  return tablePayloadJson(tableToIPC(new Table(schema, [batch]), "file"));
}

describe("Tiled table payloads as JSON", () => {
  it("gives the golden append's payload: float64 with its .0", () => {
    assert.equal(json(["x", vectorFromArray([3, 4], new Float64())]), '{"x":[3.0,4.0]}');
  });

  it("writes numbers as Python and orjson do, 64-bit integers exactly", () => {
    assert.equal(
      json(
        ["f", vectorFromArray([0.1, 1e-5, 1e16, -0, Number.NaN, Number.POSITIVE_INFINITY, null], new Float64())],
        ["g", vectorFromArray([0.1, 2, 1 / 3, null, null, null, null], new Float32())],
        ["i", vectorFromArray([-128, 127, 0, null, 1, 2, 3], new Int8())],
        [
          "n",
          vectorFromArray(
            [9007199254740993n, -9223372036854775808n, 0n, null, 1n, 2n, 3n] as unknown as bigint[],
            new Int64(),
          ),
        ],
        ["u", vectorFromArray([18446744073709551615n, 0n, 1n, 2n, 3n, 4n, null] as unknown as bigint[], new Uint64())],
      ),
      '{"f":[0.1,1e-05,1e+16,-0.0,null,null,null],' +
        '"g":[0.1,2.0,0.33333334,null,null,null,null],' +
        '"i":[-128,127,0,null,1,2,3],' +
        '"n":[9007199254740993,-9223372036854775808,0,null,1,2,3],' +
        '"u":[18446744073709551615,0,1,2,3,4,null]}',
    );
  });

  it("writes strings, booleans and nulls as themselves, keys in column order", () => {
    assert.equal(
      json(
        ["z", vectorFromArray(['a "quoted" \\ line\n', "é€😀", "", null], new Utf8())],
        ["10", vectorFromArray([true, false, null, true], new Bool())],
        ["nothing", vectorFromArray([null, null, null, null], new Null())],
      ),
      '{"z":["a \\"quoted\\" \\\\ line\\n","é€😀","",null],"10":[true,false,null,true],"nothing":[null,null,null,null]}',
    );
  });

  it("writes dates, times and timestamps as Python's isoformat, with +00:00 when zoned", () => {
    const day = 86_400_000;
    assert.equal(
      json(
        ["d", vectorFromArray([new Date(0), new Date(20_000 * day), null], new DateDay())],
        ["t", vectorFromArray([0n, 45_296_000_001n, null] as unknown as bigint[], new TimeMicrosecond())],
        ["naive", vectorFromArray([Date.UTC(2026, 7, 21, 13, 2, 20, 123), 0, null], new TimestampMicrosecond())],
        ["utc", vectorFromArray([Date.UTC(2026, 7, 21, 13, 2, 20), -1000, null], new TimestampSecond("UTC"))],
      ),
      '{"d":["1970-01-01","2024-10-04",null],' +
        '"t":["00:00:00","12:34:56.000001",null],' +
        '"naive":["2026-08-21T13:02:20.123000","1970-01-01T00:00:00",null],' +
        '"utc":["2026-08-21T13:02:20+00:00","1969-12-31T23:59:59+00:00",null]}',
    );
  });

  it("writes decimals as exact strings and binary as base64", () => {
    // Decimal(scale 2, precision 10, 128 bits): the values 150 and -5 mean 1.50 and -0.05.
    const type = new Decimal(2, 10, 128);
    const words = Uint32Array.from([150, 0, 0, 0, 0xfffffffb, 0xffffffff, 0xffffffff, 0xffffffff]);
    const decimals = makeData({ type, length: 2, nullCount: 0, data: words });
    const schema = new Schema([new Field("d", type, true)]);
    const batch = new RecordBatch(
      schema,
      makeData({ type: new Struct(schema.fields), length: 2, nullCount: 0, children: [decimals] }),
    );
    assert.equal(tablePayloadJson(tableToIPC(new Table(schema, [batch]), "file")), '{"d":["1.50","-0.05"]}');
    assert.equal(json(["b", vectorFromArray([Uint8Array.of(0, 255, 1), null], new Binary())]), '{"b":["AP8B",null]}');
  });

  it("writes lists as arrays and structs as objects, nulls inside and out", () => {
    const item = new Field("item", new Float64(), true);
    const point = new Struct([new Field("x", new Float64(), true), new Field("label", new Utf8(), true)]);
    assert.equal(
      json(
        ["v", vectorFromArray([[1, null], [], null], new List(item))],
        ["p", vectorFromArray([{ x: 1, label: "a" }, { x: null, label: null }, null], point)],
      ),
      '{"v":[[1.0,null],[],null],"p":[{"x":1.0,"label":"a"},{"x":null,"label":null},null]}',
    );
  });

  it("joins the rows of every batch in order", () => {
    const schema = new Schema([new Field("x", new Float64(), true)]);
    const batches = [[1, 2], [3]].map(
      (xs) => new Table({ x: vectorFromArray(xs, new Float64()) }).batches[0] as RecordBatch,
    );
    const ipc = tableToIPC(
      new Table(
        schema,
        batches.map((b) => new RecordBatch(schema, b.data)),
      ),
      "file",
    );
    assert.equal(tablePayloadJson(ipc), '{"x":[1.0,2.0,3.0]}');
    // From an unaligned view too (a payload inside a msgpack frame).
    const shifted = new Uint8Array(ipc.byteLength + 3);
    shifted.set(ipc, 3);
    assert.equal(tablePayloadJson(shifted.subarray(3)), '{"x":[1.0,2.0,3.0]}');
  });

  it("throws on bytes that are not Arrow", () => {
    assert.throws(() => tablePayloadJson(new TextEncoder().encode("not arrow")));
  });
});
