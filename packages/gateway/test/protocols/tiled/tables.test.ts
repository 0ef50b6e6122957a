/**
 * Tiled tables end to end over real sockets, called as Tiled's Python client calls them: creating
 * a table (`structure_family: "table"` with Tiled's TableStructure), `PUT table/full`, `PUT` and
 * `PATCH` (append) `table/partition?partition=`, reads as Arrow IPC files with `column=`, every
 * bad input refused with a detail and nothing changed, the stream (`table-schema` first, then
 * `table-data` in JSON as the golden append and in msgpack with the uploaded bytes, replay with
 * `start`), and the tables across a restart and a crash. specs/tiled-streaming.md.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import {
  Bool,
  Dictionary,
  Field,
  Float64,
  Int32,
  Int64,
  Schema,
  Table,
  tableFromIPC,
  tableToIPC,
  Utf8,
  vectorFromArray,
} from "apache-arrow";
import { startTestGateway } from "../../helpers/gateway.js";
import { type Frame, type Json, sleep, TiledHttp, TiledStream, UTC_MICROS, wireKeys } from "./tiled-client.js";

type Gw = Awaited<ReturnType<typeof startTestGateway>>;

const ARROW = "application/vnd.apache.arrow.file";
const GOLDEN_TIMESTAMP = "2026-08-21T13:02:20.123456";
/** specs/tiled-streaming.md: the table append (PATCH partition 0), verbatim. */
const GOLDEN_TABLE_APPEND =
  '{"type":"table-data","sequence":4,"timestamp":"2026-08-21T13:02:20.123456","mimetype":"application/vnd.apache.arrow.file","partition":0,"append":true,"content-type":"application/json","payload":{"x":[3.0,4.0]}}';
const TABLE_DATA_KEYS = ["type", "sequence", "timestamp", "mimetype", "partition", "append", "payload"];

/** The data URI of a schema as pyarrow's `Schema.serialize()` gives it: one IPC message. */
function schemaUri(schema: Schema): string {
  const stream = tableToIPC(new Table(schema), "stream");
  return `data:${ARROW};base64,${Buffer.from(stream.subarray(0, stream.byteLength - 8)).toString("base64")}`;
}

const X_SCHEMA = new Schema([new Field("x", new Float64(), true)]);
const SCAN_SCHEMA = new Schema([
  new Field("motor", new Float64(), true),
  new Field("count", new Int64(), true),
  new Field("note", new Utf8(), true),
  new Field("ok", new Bool(), true),
]);

/** The body of `POST /metadata/{parent}` for a table, as Tiled's client sends it. */
function tableBody(key: string, schema: Schema, npartitions = 1, extra: Record<string, unknown> = {}): Json {
  return {
    structure_family: "table",
    metadata: {},
    specs: [],
    data_sources: [
      {
        structure_family: "table",
        structure: {
          arrow_schema: schemaUri(schema),
          npartitions,
          columns: schema.fields.map((f) => f.name),
          resizable: false,
          ...extra,
        },
        id: null,
        mimetype: null,
        parameters: {},
        assets: [],
        management: "writable",
      },
    ],
    access_blob: {},
    id: key,
  };
}

/** An Arrow IPC file of a column x of float64s, as a client uploads it. */
function xs(...values: number[]): Uint8Array {
  return tableToIPC(new Table({ x: vectorFromArray(values, new Float64()) }), "file");
}

/** An Arrow IPC file of scan rows (motor, count, note, ok). */
function scan(rows: [number, bigint | null, string | null, boolean | null][]): Uint8Array {
  const table = new Table({
    motor: vectorFromArray(
      rows.map((r) => r[0]),
      new Float64(),
    ),
    count: vectorFromArray(rows.map((r) => r[1]) as bigint[], new Int64()),
    note: vectorFromArray(
      rows.map((r) => r[2]),
      new Utf8(),
    ),
    ok: vectorFromArray(
      rows.map((r) => r[3]),
      new Bool(),
    ),
  });
  return tableToIPC(table, "file");
}

/** `GET table/{route}/{path}`: the status, content type and bytes. */
async function get(gw: Gw, route: string): Promise<{ status: number; type: string | null; bytes: Buffer }> {
  const res = await fetch(`${gw.url}/api/v1/table/${route}`, { headers: { accept: ARROW } });
  return { status: res.status, type: res.headers.get("content-type"), bytes: Buffer.from(await res.arrayBuffer()) };
}

/** The columns of a `GET table/...` answer (200 required) as plain values. */
async function read(gw: Gw, route: string): Promise<Record<string, unknown[]>> {
  const answer = await get(gw, route);
  assert.equal(answer.status, 200, `GET table/${route}: ${answer.bytes.toString().slice(0, 300)}`);
  assert.equal(answer.type, ARROW);
  const table = tableFromIPC(answer.bytes);
  return Object.fromEntries(table.schema.fields.map((f, i) => [f.name, [...(table.getChildAt(i) ?? [])]]));
}

/** A table write with the Arrow content type (what Tiled's client sends). */
function write(http: TiledHttp, method: "PUT" | "PATCH", route: string, bytes: Uint8Array, type = ARROW) {
  return http.write(method, `/table/${route}`, bytes, type);
}

async function ok(http: TiledHttp, method: "PUT" | "PATCH", route: string, bytes: Uint8Array): Promise<void> {
  const answer = await write(http, method, route, bytes);
  assert.equal(answer.status, 200, `${method} table/${route}: ${answer.text}`);
  assert.equal(answer.body, null);
}

/** A JSON frame's text with its (checked) timestamp replaced by the golden one. */
function jsonAsGolden(frame: Frame | undefined): string {
  assert.ok(frame && !frame.binary && frame.text !== undefined, "a text frame");
  const m = /"timestamp":"([^"]*)"/.exec(frame.text);
  assert.ok(m, `a timestamp in ${frame.text}`);
  assert.match(m[1] as string, UTC_MICROS);
  return frame.text.replace(m[0], `"timestamp":"${GOLDEN_TIMESTAMP}"`);
}

describe("Tiled tables: creating", () => {
  let gw: Gw;
  let http: TiledHttp;
  let base: string;
  before(async () => {
    gw = await startTestGateway();
    http = new TiledHttp(gw.url);
    base = `${gw.url}/api/v1`;
  });
  after(() => gw.close());

  it("creates a table with Tiled's TableStructure, links, data source, and says so to the parent's stream", async () => {
    await http.createContainer("", "run");
    const parent = await TiledStream.connect(gw.url, "run", "envelope_format=json");
    try {
      await parent.waitFrames(1);
      const created = await http.create("run", tableBody("primary", SCAN_SCHEMA, 1, { resizable: true }));
      assert.equal(created.id, "primary");
      assert.deepEqual(created.links, {
        self: `${base}/metadata/run/primary`,
        full: `${base}/table/full/run/primary`,
        partition: `${base}/table/partition/run/primary?partition={index}`,
      });
      const expectedStructure = {
        arrow_schema: schemaUri(SCAN_SCHEMA),
        npartitions: 1,
        columns: ["motor", "count", "note", "ok"],
        resizable: true,
      };
      assert.deepEqual(created.data_sources, [
        {
          id: 1,
          structure_family: "table",
          structure: expectedStructure,
          mimetype: ARROW,
          parameters: {},
          properties: {},
          assets: [],
          management: "writable",
        },
      ]);
      assert.deepEqual(Object.keys(created.data_sources[0].structure), Object.keys(expectedStructure));
      const doc = await http.expect(200, "GET", "/metadata/run/primary");
      assert.equal(doc.data.attributes.structure_family, "table");
      assert.deepEqual(doc.data.attributes.structure, expectedStructure);
      assert.deepEqual(doc.data.links, created.links);
      const [told] = await parent.waitUpdates(1);
      assert.equal(told.type, "container-child-created");
      assert.equal(told.key, "primary");
      assert.equal(told.structure_family, "table");
      assert.deepEqual(told.data_sources, created.data_sources);
      // Listed, and the server says it speaks Arrow for tables.
      const listing = await http.expect(200, "GET", "/search/run");
      assert.deepEqual(listing.data[0].attributes.structure, expectedStructure);
      assert.deepEqual((await http.expect(200, "GET", "/")).formats.table, [ARROW]);
      // A new table reads back empty, with its schema.
      const empty = tableFromIPC((await get(gw, "full/run/primary")).bytes);
      assert.equal(empty.numRows, 0);
      assert.deepEqual(
        empty.schema.fields.map((f) => `${f.name}: ${f.type}`),
        ["motor: Float64", "count: Int64", "note: Utf8", "ok: Bool"],
      );
    } finally {
      await parent.close();
    }
  });

  it("refuses table structures it cannot hold with 400 and a detail, creating nothing", async () => {
    const dictionary = new Schema([new Field("c", new Dictionary(new Utf8(), new Int32()), true)]);
    const bad: [string, Json][] = [
      ["no data source", { ...tableBody("bad", X_SCHEMA), data_sources: [] }],
      ["arrow_schema not a data URI", tableBody("bad", X_SCHEMA, 1, { arrow_schema: "AAAA" })],
      ["arrow_schema not Arrow", tableBody("bad", X_SCHEMA, 1, { arrow_schema: `data:${ARROW};base64,QUJD` })],
      ["arrow_schema missing", tableBody("bad", X_SCHEMA, 1, { arrow_schema: undefined })],
      ["a column not in the schema", tableBody("bad", X_SCHEMA, 1, { columns: ["x", "y"] })],
      ["no partition", tableBody("bad", X_SCHEMA, 0)],
      ["a fractional npartitions", tableBody("bad", X_SCHEMA, 1.5)],
      ["a dictionary column", tableBody("bad", dictionary)],
      ["resizable a string", tableBody("bad", X_SCHEMA, 1, { resizable: "yes" })],
    ];
    for (const [what, body] of bad) {
      const answer = await http.request("POST", "/metadata/", body);
      assert.equal(answer.status, 400, `${what}: ${answer.text}`);
      assert.equal(typeof answer.body?.detail, "string", what);
      assert.match(answer.body.detail, /table|structure|data source/i, `${what}: ${answer.body.detail}`);
      assert.equal((await http.request("GET", "/metadata/bad")).status, 404, `${what}: nothing created`);
    }
    assert.equal((await http.create("", tableBody("bad", X_SCHEMA))).id, "bad", "the key is still free");
  });
});

describe("Tiled tables: writes and reads", () => {
  let gw: Gw;
  let http: TiledHttp;
  before(async () => {
    gw = await startTestGateway();
    http = new TiledHttp(gw.url);
  });
  after(() => gw.close());

  it("PUT full, PATCH appends, PUT partition, and GET every row back, with column selection", async () => {
    await http.create("", tableBody("scan", SCAN_SCHEMA));
    await ok(
      http,
      "PUT",
      "full/scan",
      scan([
        [0.5, 1n, "start", true],
        [1.5, 9007199254740993n, null, false],
      ]),
    );
    assert.deepEqual(await read(gw, "full/scan"), {
      motor: [0.5, 1.5],
      count: [1n, 9007199254740993n],
      note: ["start", null],
      ok: [true, false],
    });
    await ok(http, "PATCH", "partition/scan?partition=0", scan([[2.5, 3n, "é", null]]));
    await ok(
      http,
      "PATCH",
      "partition/scan?partition=0",
      scan([
        [3.5, null, "end", true],
        [4.5, 5n, "", true],
      ]),
    );
    const all = {
      motor: [0.5, 1.5, 2.5, 3.5, 4.5],
      count: [1n, 9007199254740993n, 3n, null, 5n],
      note: ["start", null, "é", "end", ""],
      ok: [true, false, null, true, true],
    };
    assert.deepEqual(await read(gw, "full/scan"), all, "appended rows follow, read back whole");
    assert.deepEqual(await read(gw, "partition/scan?partition=0"), all);
    // Column selection: the columns named, in the order named.
    assert.deepEqual(await read(gw, "full/scan?column=note&column=motor"), { note: all.note, motor: all.motor });
    assert.deepEqual(await read(gw, "partition/scan?partition=0&column=count"), { count: all.count });
    // PUT partition replaces it.
    await ok(http, "PUT", "partition/scan?partition=0", scan([[9, 9n, "again", false]]));
    assert.deepEqual(await read(gw, "full/scan"), { motor: [9], count: [9n], note: ["again"], ok: [false] });
  });

  it("keeps partitions apart: full reads them in order; PUT full needs one partition", async () => {
    await http.create("", tableBody("parts", X_SCHEMA, 3));
    await ok(http, "PUT", "partition/parts?partition=2", xs(20, 21));
    await ok(http, "PATCH", "partition/parts?partition=0", xs(1));
    await ok(http, "PATCH", "partition/parts?partition=0", xs(2));
    assert.deepEqual(await read(gw, "full/parts"), { x: [1, 2, 20, 21] }, "partition 1 is empty");
    assert.deepEqual(await read(gw, "partition/parts?partition=1"), { x: [] });
    assert.deepEqual(await read(gw, "partition/parts?partition=2"), { x: [20, 21] });
    const whole = await write(http, "PUT", "full/parts", xs(5));
    assert.equal(whole.status, 400);
    assert.match(whole.body.detail, /one partition/);
    assert.deepEqual(await read(gw, "full/parts"), { x: [1, 2, 20, 21] });
  });

  it("refuses every bad input with 400 (or 404) and a detail, changing nothing and telling no one", async () => {
    await http.create("", tableBody("guarded", X_SCHEMA, 2));
    await http.createArray("", "arr", { shape: [1] });
    await ok(http, "PUT", "partition/guarded?partition=0", xs(1, 2));
    const stream = await TiledStream.connect(gw.url, "guarded", "envelope_format=json&start=1");
    try {
      await stream.waitFrames(2);
      const before = (await get(gw, "full/guarded")).bytes;
      const good = xs(3);
      const textFile = new TextEncoder().encode("x\n3.0\n");
      const streamFormat = tableToIPC(tableFromIPC(good), "stream");
      const wrongType = tableToIPC(new Table({ x: vectorFromArray([3n], new Int64()) }), "file");
      const wrongName = tableToIPC(new Table({ y: vectorFromArray([3], new Float64()) }), "file");
      const extra = tableToIPC(
        new Table({ x: vectorFromArray([3], new Float64()), y: vectorFromArray([3], new Float64()) }),
        "file",
      );
      const truncated = good.subarray(0, good.byteLength - 20);
      const cases: [string, "PUT" | "PATCH", string, Uint8Array, string, number, RegExp][] = [
        ["not Arrow", "PATCH", "partition/guarded?partition=0", textFile, ARROW, 400, /not an Arrow IPC file/],
        [
          "the stream format",
          "PATCH",
          "partition/guarded?partition=0",
          streamFormat,
          ARROW,
          400,
          /not an Arrow IPC file/,
        ],
        ["a truncated file", "PUT", "partition/guarded?partition=1", truncated, ARROW, 400, /not an Arrow IPC file/],
        ["an empty body", "PATCH", "partition/guarded?partition=0", new Uint8Array(0), ARROW, 400, /not an Arrow/],
        ["a column of another type", "PATCH", "partition/guarded?partition=0", wrongType, ARROW, 400, /does not match/],
        ["a column of another name", "PUT", "partition/guarded?partition=0", wrongName, ARROW, 400, /does not match/],
        ["a column too many", "PATCH", "partition/guarded?partition=1", extra, ARROW, 400, /does not match/],
        ["partition out of range", "PATCH", "partition/guarded?partition=2", good, ARROW, 400, /out of range/],
        ["partition far out of range", "PUT", "partition/guarded?partition=99", good, ARROW, 400, /out of range/],
        ["partition missing", "PATCH", "partition/guarded", good, ARROW, 400, /partition is required/],
        ["partition negative", "PATCH", "partition/guarded?partition=-1", good, ARROW, 400, /partition/],
        ["partition not an integer", "PATCH", "partition/guarded?partition=0.5", good, ARROW, 400, /partition/],
        [
          "octet-stream",
          "PATCH",
          "partition/guarded?partition=0",
          good,
          "application/octet-stream",
          400,
          /Content-Type/,
        ],
        ["no content type", "PATCH", "partition/guarded?partition=0", good, "", 400, /Content-Type/],
        ["JSON", "PUT", "partition/guarded?partition=0", good, "application/json", 400, /Content-Type/],
        ["PUT full on two partitions", "PUT", "full/guarded", good, ARROW, 400, /one partition/],
        ["an unknown node", "PATCH", "partition/nope?partition=0", good, ARROW, 404, /nope/],
        ["an array", "PUT", "full/arr", good, ARROW, 404, /not a table/],
      ];
      for (const [what, method, route, bytes, type, status, detail] of cases) {
        const answer = await write(http, method, route, bytes, type);
        assert.equal(answer.status, status, `${what}: ${answer.text}`);
        assert.match(answer.body?.detail ?? "", detail, `${what}: ${answer.text}`);
        assert.deepEqual((await get(gw, "full/guarded")).bytes, before, `${what}: nothing changed`);
      }
      // Reads refuse what is wrong the same way.
      const badReads: [string, number, RegExp][] = [
        ["full/guarded?column=nope", 400, /No such field nope\./],
        ["partition/guarded?partition=2", 400, /out of range/],
        ["partition/guarded", 400, /partition is required/],
        ["full/nope", 404, /nope/],
        ["full/arr", 404, /not a table/],
      ];
      for (const [route, status, detail] of badReads) {
        const answer = await get(gw, route);
        assert.equal(answer.status, status, route);
        assert.match(JSON.parse(answer.bytes.toString()).detail, detail, route);
      }
      // The array routes do not take a table either.
      assert.equal((await http.write("PUT", "/array/full/guarded", new Uint8Array(8))).status, 404);
      // Nothing reached the stream: the next good write is sequence 2.
      await ok(http, "PATCH", "partition/guarded?partition=1", good);
      const updates = await stream.waitUpdates(2);
      assert.deepEqual(
        updates.map((u) => [u.sequence, u.partition, u.append]),
        [
          [1, 0, false],
          [2, 1, true],
        ],
      );
      await sleep(50);
      assert.equal(stream.updates.length, 2);
      assert.deepEqual(await read(gw, "full/guarded"), { x: [1, 2, 3] });
    } finally {
      await stream.close();
    }
  });

  it("answers 409 once the stream is closed, changing nothing", async () => {
    await http.create("", tableBody("closed", X_SCHEMA));
    await ok(http, "PUT", "full/closed", xs(1));
    await http.expect(200, "DELETE", "/stream/close/closed");
    assert.equal((await write(http, "PATCH", "partition/closed?partition=0", xs(2))).status, 409);
    assert.deepEqual(await read(gw, "full/closed"), { x: [1] });
  });
});

describe("Tiled tables: the stream", () => {
  let gw: Gw;
  let http: TiledHttp;
  before(async () => {
    gw = await startTestGateway();
    http = new TiledHttp(gw.url);
  });
  after(() => gw.close());

  it("sends table-schema first, then table-data: JSON as the golden append, msgpack with the uploaded bytes", async () => {
    const created = await http.create("", tableBody("t", X_SCHEMA));
    const arrowSchema = created.data_sources[0].structure.arrow_schema as string;
    const json = await TiledStream.connect(gw.url, "t", "envelope_format=json");
    const msgpack = await TiledStream.connect(gw.url, "t", "envelope_format=msgpack");
    try {
      const [jsonSchema] = await json.waitFrames(1);
      const [msgpackSchema] = await msgpack.waitFrames(1);
      assert.equal(jsonSchema?.text, `{"type":"table-schema","version":1,"arrow_schema":"${arrowSchema}"}`);
      assert.deepEqual(msgpackSchema?.value, { type: "table-schema", version: 1, arrow_schema: arrowSchema });
      assert.deepEqual(wireKeys(msgpackSchema as Frame), ["type", "version", "arrow_schema"]);
      // The schema in the message is the table's.
      const decoded = tableFromIPC(Buffer.from(arrowSchema.split(",")[1] as string, "base64"));
      assert.deepEqual(
        decoded.schema.fields.map((f) => `${f.name}: ${f.type}`),
        ["x: Float64"],
      );

      const uploads = [xs(1, 2), xs(9), xs(1, 2), xs(3, 4)];
      await ok(http, "PUT", "full/t", uploads[0] as Uint8Array);
      await ok(http, "PUT", "partition/t?partition=0", uploads[1] as Uint8Array);
      await ok(http, "PUT", "partition/t?partition=0", uploads[2] as Uint8Array);
      await ok(http, "PATCH", "partition/t?partition=0", uploads[3] as Uint8Array);
      const jsonUpdates = await json.waitUpdates(4);
      const msgpackUpdates = await msgpack.waitUpdates(4);

      assert.equal(jsonAsGolden(json.frames[4]), GOLDEN_TABLE_APPEND);
      assert.deepEqual(
        jsonUpdates.map((u) => [u.sequence, u.partition, u.append, u.payload]),
        [
          [1, null, false, { x: [1, 2] }],
          [2, 0, false, { x: [9] }],
          [3, 0, false, { x: [1, 2] }],
          [4, 0, true, { x: [3, 4] }],
        ],
      );
      assert.match(
        json.frames[1]?.text ?? "",
        /"partition":null,"append":false,"content-type":"application\/json","payload":\{"x":\[1\.0,2\.0\]\}\}$/,
      );
      msgpackUpdates.forEach((u, i) => {
        assert.deepEqual(Object.keys(u), TABLE_DATA_KEYS);
        assert.equal(u.mimetype, ARROW);
        assert.match(u.timestamp, UTC_MICROS);
        assert.ok(u.payload instanceof Uint8Array);
        assert.deepEqual(
          Buffer.from(u.payload),
          Buffer.from(uploads[i] as Uint8Array),
          `update ${i + 1}: the uploaded bytes`,
        );
        assert.equal(u.sequence, i + 1);
      });
      // No schema field repeated on an update.
      for (const frame of [...json.updates, ...msgpack.updates]) assert.ok(!("arrow_schema" in frame.value));
      assert.deepEqual(await read(gw, "full/t"), { x: [1, 2, 3, 4] });
    } finally {
      await json.close();
      await msgpack.close();
    }
  });

  it("replays with start (all, or from N), then goes on live, in both envelopes", async () => {
    await http.create("", tableBody("r", SCAN_SCHEMA));
    const uploads = [
      scan([[1, 1n, "a", true]]),
      scan([[2, null, null, null]]),
      scan([
        [3, 3n, "c", false],
        [4, 4n, "d", true],
      ]),
    ];
    await ok(http, "PUT", "full/r", uploads[0] as Uint8Array);
    await ok(http, "PATCH", "partition/r?partition=0", uploads[1] as Uint8Array);
    await ok(http, "PATCH", "partition/r?partition=0", uploads[2] as Uint8Array);
    const all = await TiledStream.connect(gw.url, "r", "envelope_format=msgpack&start=0");
    const fromTwo = await TiledStream.connect(gw.url, "r", "envelope_format=json&start=2");
    const live = await TiledStream.connect(gw.url, "r", "envelope_format=json");
    try {
      const replayed = await all.waitUpdates(3);
      assert.deepEqual(
        replayed.map((u) => u.sequence),
        [1, 2, 3],
      );
      replayed.forEach((u, i) => {
        assert.deepEqual(Buffer.from(u.payload), Buffer.from(uploads[i] as Uint8Array));
      });
      const later = await fromTwo.waitUpdates(2);
      assert.deepEqual(later[0].payload, { motor: [2.0], count: [null], note: [null], ok: [null] });
      assert.deepEqual(later[1].payload, { motor: [3.0, 4.0], count: [3, 4], note: ["c", "d"], ok: [false, true] });
      assert.match(
        fromTwo.frames[1]?.text ?? "",
        /"payload":\{"motor":\[2\.0\],"count":\[null\],"note":\[null\],"ok":\[null\]\}\}$/,
      );
      await live.waitFrames(1);
      // Then live, on every socket.
      const fourth = scan([[5, 9223372036854775807n, "z", true]]);
      await ok(http, "PATCH", "partition/r?partition=0", fourth);
      const [a] = (await all.waitUpdates(4)).slice(3);
      const [b] = (await fromTwo.waitUpdates(3)).slice(2);
      const [c] = await live.waitUpdates(1);
      assert.equal(a.sequence, 4);
      assert.deepEqual(Buffer.from(a.payload), Buffer.from(fourth));
      assert.equal(b.sequence, 4);
      assert.equal(c.sequence, 4);
      // int64 exactly, in the text itself (JSON.parse would round it).
      assert.match(live.frames[1]?.text ?? "", /"count":\[9223372036854775807\]/);
      assert.equal(fromTwo.frames[3]?.text, live.frames[1]?.text, "one JSON text for every JSON subscriber");
    } finally {
      await Promise.all([all, fromTwo, live].map((s) => s.close()));
    }
  });
});

describe("Tiled tables across a restart and a crash", () => {
  let dataDir: string;
  before(() => {
    dataDir = mkdtempSync(join(tmpdir(), "beamgate-tiled-tables-"));
  });
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  /** What a client can see of the tables: data, metadata, and each stream's replay bytes. */
  async function snapshot(gw: Gw, updates: Record<string, number>): Promise<Json> {
    const http = new TiledHttp(gw.url);
    const out: Json = { data: {}, metadata: {}, streams: {} };
    for (const path of Object.keys(updates)) {
      out.data[path] = (await get(gw, `full/${path}`)).bytes.toString("hex");
      out.metadata[path] = JSON.parse(
        JSON.stringify(await http.expect(200, "GET", `/metadata/${path}`)).replaceAll(gw.url, "<url>"),
      );
      const s = await TiledStream.connect(gw.url, path, "envelope_format=msgpack&start=0");
      await s.waitUpdates(updates[path] as number);
      await sleep(30);
      out.streams[path] = s.frames.map((f) => f.raw?.toString("hex"));
      await s.close();
    }
    return out;
  }

  it("serves the same tables, data and streams after a restart, and the numbering continues", async () => {
    let gw = await startTestGateway({ dataDir });
    let before: Json;
    try {
      const http = new TiledHttp(gw.url);
      await http.create("", tableBody("a", SCAN_SCHEMA));
      await http.create("", tableBody("b", X_SCHEMA, 2));
      await ok(http, "PUT", "full/a", scan([[1, 1n, "one", true]]));
      await ok(http, "PATCH", "partition/a?partition=0", scan([[2, 2n, "two", false]]));
      await ok(http, "PATCH", "partition/b?partition=1", xs(10));
      await ok(http, "PATCH", "partition/b?partition=0", xs(1));
      await ok(http, "PATCH", "partition/b?partition=1", xs(11));
      before = await snapshot(gw, { a: 2, b: 3 });
    } finally {
      await gw.close();
    }
    assert.equal(before.streams.a.length, 3);

    gw = await startTestGateway({ dataDir });
    try {
      const http = new TiledHttp(gw.url);
      assert.deepEqual(await snapshot(gw, { a: 2, b: 3 }), before);
      assert.deepEqual(await read(gw, "full/b"), { x: [1, 10, 11] });
      const live = await TiledStream.connect(gw.url, "a", "envelope_format=json");
      try {
        await live.waitFrames(1);
        await ok(http, "PATCH", "partition/a?partition=0", scan([[3, 3n, "three", null]]));
        const [next] = await live.waitUpdates(1);
        assert.equal(next.sequence, 3);
        assert.deepEqual(next.payload.note, ["three"]);
      } finally {
        await live.close();
      }
      assert.deepEqual((await read(gw, "full/a")).note, ["one", "two", "three"]);
    } finally {
      await gw.close();
    }
  });

  it("applies a logged append once after a crash: again if its file did not land, not twice if it did", async () => {
    const dir = mkdtempSync(join(tmpdir(), "beamgate-tiled-tables-crash-"));
    try {
      let gw = await startTestGateway({ dataDir: dir });
      const nodes = join(dir, "datasets", "nodes");
      let id: string | undefined;
      let afterFirst: Buffer;
      try {
        const http = new TiledHttp(gw.url);
        await http.create("", tableBody("c", X_SCHEMA));
        await ok(http, "PUT", "full/c", xs(1, 2));
        // A read waits for the data to hold every write answered, so the file is there to copy.
        assert.deepEqual(await read(gw, "full/c"), { x: [1, 2] });
        id = readdirSync(nodes).find((n) => {
          try {
            return JSON.parse(readFileSync(join(nodes, n, "node.json"), "utf8")).key === "c";
          } catch {
            return false; // the root's directory: a log, no node.json
          }
        });
        assert.ok(id, "the node's directory");
        afterFirst = readFileSync(join(nodes, id, "table", "partition-0.arrow"));
        await ok(http, "PATCH", "partition/c?partition=0", xs(3));
        assert.deepEqual(await read(gw, "full/c"), { x: [1, 2, 3] });
      } finally {
        await gw.close();
      }
      const file = join(nodes, id, "table", "partition-0.arrow");
      const applied = join(nodes, id, "applied");
      assert.equal(readFileSync(applied, "utf8"), "2");

      // Died after the append's file was renamed into place, before the note: not applied twice.
      writeFileSync(applied, "1");
      gw = await startTestGateway({ dataDir: dir });
      try {
        assert.deepEqual(await read(gw, "full/c"), { x: [1, 2, 3] });
        assert.equal(readFileSync(applied, "utf8"), "2");
      } finally {
        await gw.close();
      }

      // Died after logging the append, before its file landed: applied at the next start.
      writeFileSync(file, afterFirst);
      writeFileSync(applied, "1");
      gw = await startTestGateway({ dataDir: dir });
      try {
        assert.deepEqual(await read(gw, "full/c"), { x: [1, 2, 3] });
        const s = await TiledStream.connect(gw.url, "c", "envelope_format=json&start=1");
        try {
          const updates = await s.waitUpdates(2);
          assert.deepEqual(
            updates.map((u) => [u.sequence, u.append, u.payload]),
            [
              [1, false, { x: [1, 2] }],
              [2, true, { x: [3] }],
            ],
          );
        } finally {
          await s.close();
        }
      } finally {
        await gw.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
