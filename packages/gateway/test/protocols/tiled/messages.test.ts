/**
 * Tiled stream messages against the golden vectors of tiled-golden.md: builders plus both
 * envelopes, JSON text and msgpack bytes equal, and the golden msgpack decoded back to the message.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decode } from "@msgpack/msgpack";
import { BeamgateError } from "../../../src/errors.js";
import { dtypeOf } from "../../../src/protocols/tiled/data-type.js";
import { jsonEnvelope, msgpackEnvelope, msgpackEnvelopeChunks } from "../../../src/protocols/tiled/envelope.js";
import {
  ARROW_MIMETYPE,
  arrayData,
  arrayRef,
  arrayRefUri,
  arraySchema,
  arrowSchemaDataUri,
  containerChildCreated,
  containerChildDeleted,
  containerChildMetadataUpdated,
  containerSchema,
  KEY_ORDER,
  type TiledMessage,
  tableData,
  tableSchema,
  utcTimestamp,
} from "../../../src/protocols/tiled/messages.js";
import { arrayPayloadJson } from "../../../src/protocols/tiled/payload-json.js";

/** tiled-golden.md (from an emulation of tiled v0.2.16 message building), copied verbatim. */
const GOLDEN = {
  array_schema: {
    json: '{"type":"array-schema","version":1,"data_type":{"endianness":"little","kind":"i","itemsize":8,"dt_units":null}}',
    hex:
      "83a474797065ac61727261792d736368656d61a776657273696f6e01a9646174615f7479706584aa656e6469616e6e657373" +
      "a66c6974746c65a46b696e64a169a86974656d73697a6508a864745f756e697473c0",
  },
  array_data_put: {
    json: '{"type":"array-data","sequence":1,"timestamp":"2026-08-21T13:02:20.123456","mimetype":"application/octet-stream","shape":[3],"offset":null,"block":null,"content-type":"application/json","payload":[1,2,3]}',
    hex:
      "88a474797065aa61727261792d64617461a873657175656e636501a974696d657374616d70ba323032362d30382d32315431" +
      "333a30323a32302e313233343536a86d696d6574797065b86170706c69636174696f6e2f6f637465742d73747265616da573" +
      "686170659103a66f6666736574c0a5626c6f636bc0a77061796c6f6164c41801000000000000000200000000000000030000" +
      "0000000000",
  },
  array_data_patch: {
    json: '{"type":"array-data","sequence":2,"timestamp":"2026-08-21T13:02:20.123456","mimetype":"application/octet-stream","shape":[3],"offset":[3],"block":null,"content-type":"application/json","payload":[4,5,6]}',
    hex:
      "88a474797065aa61727261792d64617461a873657175656e636502a974696d657374616d70ba323032362d30382d32315431" +
      "333a30323a32302e313233343536a86d696d6574797065b86170706c69636174696f6e2f6f637465742d73747265616da573" +
      "686170659103a66f66667365749103a5626c6f636bc0a77061796c6f6164c418040000000000000005000000000000000600" +
      "000000000000",
  },
  array_data_block: {
    json: '{"type":"array-data","sequence":3,"timestamp":"2026-08-21T13:02:20.123456","mimetype":"application/octet-stream","shape":[1,10],"offset":null,"block":[1,0],"content-type":"application/json","payload":[[0,1,2,3,4,5,6,7,8,9]]}',
    hex:
      "88a474797065aa61727261792d64617461a873657175656e636503a974696d657374616d70ba323032362d30382d32315431" +
      "333a30323a32302e313233343536a86d696d6574797065b86170706c69636174696f6e2f6f637465742d73747265616da573" +
      "6861706592010aa66f6666736574c0a5626c6f636b920100a77061796c6f6164c45000000000000000000100000000000000" +
      "0200000000000000030000000000000004000000000000000500000000000000060000000000000007000000000000000800" +
      "0000000000000900000000000000",
  },
  array_ref: {
    json: '{"type":"array-ref","sequence":2,"timestamp":"2026-08-21T13:02:20.123456","data_source":{"id":1,"structure_family":"array","structure":{"data_type":{"endianness":"little","kind":"f","itemsize":8,"dt_units":null},"chunks":[[1,1,1],[7],[13]],"shape":[3,7,13],"dims":null,"resizable":false},"mimetype":"multipart/related;type=image/tiff","parameters":{},"properties":{},"assets":[{"data_uri":"file:///data/image1.tiff","is_directory":false,"size":null,"parameter":"data_uris","num":1,"id":null},{"data_uri":"file:///data/image2.tiff","is_directory":false,"size":null,"parameter":"data_uris","num":2,"id":null},{"data_uri":"file:///data/image3.tiff","is_directory":false,"size":null,"parameter":"data_uris","num":3,"id":null}],"management":"external"},"patch":{"offset":[2,0,0],"shape":[1,7,13]},"shape":[3,7,13],"uri":"http://localhost:8000/api/v1/array/full/img?slice=2:3,0:7,0:13"}',
    hex:
      "87a474797065a961727261792d726566a873657175656e636502a974696d657374616d70ba323032362d30382d3231543133" +
      "3a30323a32302e313233343536ab646174615f736f7572636588a2696401b07374727563747572655f66616d696c79a56172" +
      "726179a973747275637475726585a9646174615f7479706584aa656e6469616e6e657373a66c6974746c65a46b696e64a166" +
      "a86974656d73697a6508a864745f756e697473c0a66368756e6b7393930101019107910da573686170659303070da464696d" +
      "73c0a9726573697a61626c65c2a86d696d6574797065d9216d756c7469706172742f72656c617465643b747970653d696d61" +
      "67652f74696666aa706172616d657465727380aa70726f7065727469657380a66173736574739386a8646174615f757269b8" +
      "66696c653a2f2f2f646174612f696d616765312e74696666ac69735f6469726563746f7279c2a473697a65c0a9706172616d" +
      "65746572a9646174615f75726973a36e756d01a26964c086a8646174615f757269b866696c653a2f2f2f646174612f696d61" +
      "6765322e74696666ac69735f6469726563746f7279c2a473697a65c0a9706172616d65746572a9646174615f75726973a36e" +
      "756d02a26964c086a8646174615f757269b866696c653a2f2f2f646174612f696d616765332e74696666ac69735f64697265" +
      "63746f7279c2a473697a65c0a9706172616d65746572a9646174615f75726973a36e756d03a26964c0aa6d616e6167656d65" +
      "6e74a865787465726e616ca5706174636882a66f666673657493020000a573686170659301070da573686170659303070da3" +
      "757269d93e687474703a2f2f6c6f63616c686f73743a383030302f6170692f76312f61727261792f66756c6c2f696d673f73" +
      "6c6963653d323a332c303a372c303a3133",
  },
  container_schema: {
    json: '{"type":"container-schema","version":1}',
    hex: "82a474797065b0636f6e7461696e65722d736368656d61a776657273696f6e01",
  },
  child_created: {
    json: '{"type":"container-child-created","sequence":1,"timestamp":"2026-08-21T13:02:20.123456","key":"x","structure_family":"array","specs":[],"metadata":{"color":"blue"},"data_sources":[{"id":1,"structure_family":"array","structure":{"data_type":{"endianness":"little","kind":"i","itemsize":8,"dt_units":null},"chunks":[[3]],"shape":[3],"dims":null,"resizable":false},"mimetype":"application/x-zarr","parameters":{},"properties":{},"assets":[],"management":"writable"}],"access_blob":{}}',
    hex:
      "89a474797065b7636f6e7461696e65722d6368696c642d63726561746564a873657175656e636501a974696d657374616d70" +
      "ba323032362d30382d32315431333a30323a32302e313233343536a36b6579a178b07374727563747572655f66616d696c79" +
      "a56172726179a5737065637390a86d6574616461746181a5636f6c6f72a4626c7565ac646174615f736f75726365739188a2" +
      "696401b07374727563747572655f66616d696c79a56172726179a973747275637475726585a9646174615f7479706584aa65" +
      "6e6469616e6e657373a66c6974746c65a46b696e64a169a86974656d73697a6508a864745f756e697473c0a66368756e6b73" +
      "919103a573686170659103a464696d73c0a9726573697a61626c65c2a86d696d6574797065b26170706c69636174696f6e2f" +
      "782d7a617272aa706172616d657465727380aa70726f7065727469657380a661737365747390aa6d616e6167656d656e74a8" +
      "7772697461626c65ab6163636573735f626c6f6280",
  },
  child_metadata_updated: {
    json: '{"type":"container-child-metadata-updated","key":"x","sequence":2,"timestamp":"2026-08-21T13:02:20.123456","specs":[],"metadata":{"color":"red"},"revision_number":1}',
    hex:
      "87a474797065d920636f6e7461696e65722d6368696c642d6d657461646174612d75706461746564a36b6579a178a8736571" +
      "75656e636502a974696d657374616d70ba323032362d30382d32315431333a30323a32302e313233343536a5737065637390" +
      "a86d6574616461746181a5636f6c6f72a3726564af7265766973696f6e5f6e756d62657201",
  },
} as const;

const TS = "2026-08-21T13:02:20.123456";
const INT64 = dtypeOf("i", 8);

function int64le(values: readonly number[]): Uint8Array {
  const out = new Uint8Array(values.length * 8);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => {
    view.setBigInt64(i * 8, BigInt(v), true);
  });
  return out;
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");
/** Decodes from a plain Uint8Array, so that `bin` comes back as Uint8Array, not Buffer. */
const unpack = (bytes: Uint8Array) => decode(Uint8Array.from(bytes)) as Record<string, unknown>;

const dataSource = (
  id: number,
  dataType: object,
  chunks: number[][],
  shape: number[],
  mimetype: string,
  assets: object[],
  management: string,
) => ({
  id,
  structure_family: "array",
  structure: { data_type: dataType, chunks, shape, dims: null, resizable: false },
  mimetype,
  parameters: {},
  properties: {},
  assets,
  management,
});

const image = (num: number) => ({
  data_uri: `file:///data/image${num}.tiff`,
  is_directory: false,
  size: null,
  parameter: "data_uris",
  num,
  id: null,
});

const refPatch = { offset: [2, 0, 0], shape: [1, 7, 13] };

interface Case {
  readonly name: keyof typeof GOLDEN;
  readonly message: TiledMessage;
  /** The decoded payload as the JSON envelope carries it (arrays of int64 here). */
  readonly payloadJson?: string;
}

const CASES: readonly Case[] = [
  { name: "array_schema", message: arraySchema(INT64) },
  {
    name: "array_data_put",
    message: arrayData({ sequence: 1, timestamp: TS, shape: [3], payload: int64le([1, 2, 3]) }),
  },
  {
    name: "array_data_patch",
    message: arrayData({ sequence: 2, timestamp: TS, shape: [3], offset: [3], payload: int64le([4, 5, 6]) }),
  },
  {
    name: "array_data_block",
    message: arrayData({
      sequence: 3,
      timestamp: TS,
      shape: [1, 10],
      block: [1, 0],
      payload: int64le([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]),
    }),
  },
  {
    name: "array_ref",
    message: arrayRef({
      sequence: 2,
      timestamp: TS,
      dataSource: dataSource(
        1,
        dtypeOf("f", 8),
        [[1, 1, 1], [7], [13]],
        [3, 7, 13],
        "multipart/related;type=image/tiff",
        [image(1), image(2), image(3)],
        "external",
      ),
      patch: refPatch,
      shape: [3, 7, 13],
      uri: arrayRefUri("http://localhost:8000/api/v1/array/full/img", refPatch, [3, 7, 13]),
    }),
  },
  { name: "container_schema", message: containerSchema() },
  {
    name: "child_created",
    message: containerChildCreated({
      sequence: 1,
      timestamp: TS,
      key: "x",
      structureFamily: "array",
      specs: [],
      metadata: { color: "blue" },
      dataSources: [dataSource(1, INT64, [[3]], [3], "application/x-zarr", [], "writable")],
      accessBlob: {},
    }),
  },
  {
    name: "child_metadata_updated",
    message: containerChildMetadataUpdated({
      sequence: 2,
      timestamp: TS,
      key: "x",
      specs: [],
      metadata: { color: "red" },
      revisionNumber: 1,
    }),
  },
];

/** For data messages, the JSON payload made from the message's own bytes and the int64 schema. */
function payloadJsonOf(message: TiledMessage): string | undefined {
  return message.type === "array-data" ? arrayPayloadJson(message.payload, INT64, message.shape) : undefined;
}

describe("Tiled golden vectors", () => {
  for (const { name, message } of CASES) {
    describe(name, () => {
      const golden = GOLDEN[name];

      it("JSON envelope equals the golden text", () => {
        assert.equal(jsonEnvelope(message, payloadJsonOf(message)), golden.json);
      });

      it(`msgpack envelope equals the golden ${golden.hex.length / 2} bytes`, () => {
        assert.equal(hex(msgpackEnvelope(message)), golden.hex);
      });

      it("the golden msgpack decodes to the message, keys in wire order", () => {
        const decoded = unpack(Buffer.from(golden.hex, "hex"));
        assert.deepEqual(Object.keys(decoded), KEY_ORDER[message.type]);
        const expected: Record<string, unknown> = { ...message };
        if ("payload" in expected) expected.payload = Uint8Array.from(expected.payload as Uint8Array);
        assert.deepEqual(decoded, expected);
      });

      it("the golden JSON parses to the message with content-type and decoded payload", () => {
        const parsed = JSON.parse(golden.json) as Record<string, unknown>;
        const { payload, ...fields } = message as TiledMessage & { payload?: Uint8Array };
        const expected: Record<string, unknown> = { ...fields };
        if (payload) {
          expected["content-type"] = "application/json";
          expected.payload = JSON.parse(payloadJsonOf(message) as string);
        }
        assert.deepEqual(parsed, expected);
        assert.deepEqual(Object.keys(parsed), Object.keys(expected));
      });
    });
  }

  it("the array_ref uri follows Tiled's slice rule", () => {
    const base = "http://localhost:8000/api/v1/array/full/img";
    assert.equal(arrayRefUri(base, refPatch, [3, 7, 13]), `${base}?slice=2:3,0:7,0:13`);
    assert.equal(arrayRefUri(base, null, [3, 7, 13]), `${base}?slice=:3,:7,:13`);
  });
});

describe("Tiled messages beyond the golden vectors", () => {
  it("table-data: the spec's append example, JSON, and msgpack with the Arrow bytes as bin", () => {
    const arrow = Uint8Array.from([0x41, 0x52, 0x52, 0x4f, 0x57, 0x31, 0, 0]); // stands for an IPC file
    const m = tableData({ sequence: 4, timestamp: TS, partition: 0, append: true, payload: arrow });
    assert.equal(
      jsonEnvelope(m, '{"x":[3.0,4.0]}'),
      `{"type":"table-data","sequence":4,"timestamp":"${TS}","mimetype":"${ARROW_MIMETYPE}","partition":0,"append":true,"content-type":"application/json","payload":{"x":[3.0,4.0]}}`,
    );
    const decoded = unpack(msgpackEnvelope(m));
    assert.deepEqual(Object.keys(decoded), KEY_ORDER["table-data"]);
    assert.deepEqual(decoded, { ...m, payload: arrow });
    const put = tableData({ sequence: 1, timestamp: TS, payload: arrow });
    assert.equal(put.partition, null);
    assert.equal(put.append, false);
  });

  it("table-schema carries the Arrow schema data URI", () => {
    const uri = arrowSchemaDataUri(Uint8Array.from([1, 2, 3]));
    assert.equal(uri, "data:application/vnd.apache.arrow.file;base64,AQID");
    const m = tableSchema(uri);
    assert.equal(jsonEnvelope(m), `{"type":"table-schema","version":1,"arrow_schema":"${uri}"}`);
    assert.deepEqual(unpack(msgpackEnvelope(m)), m);
    assert.throws(() => tableSchema("AQID"), RangeError);
  });

  it("every builder gives exactly the keys of KEY_ORDER", () => {
    const messages: TiledMessage[] = [
      ...CASES.map((c) => c.message),
      tableSchema(arrowSchemaDataUri(new Uint8Array(0))),
      tableData({ sequence: 1, timestamp: TS, payload: new Uint8Array(0) }),
      containerChildDeleted({ sequence: 1, timestamp: TS, key: "x" }),
    ];
    const seen = new Set<string>();
    for (const m of messages) {
      assert.deepEqual(Object.keys(m).sort(), [...KEY_ORDER[m.type]].sort(), m.type);
      seen.add(m.type);
    }
    assert.deepEqual([...seen].sort(), Object.keys(KEY_ORDER).sort());
  });

  it("envelopes follow KEY_ORDER, not the order an object was built in", () => {
    const built = containerChildMetadataUpdated({ sequence: 2, timestamp: TS, key: "x", revisionNumber: 1 });
    const shuffled = { ...built, type: built.type, revision_number: 1, sequence: 2 } as TiledMessage;
    assert.equal(jsonEnvelope(shuffled), jsonEnvelope(built));
    assert.equal(hex(msgpackEnvelope(shuffled)), hex(msgpackEnvelope(built)));
  });

  it("msgpack chunks: the payload goes out as given, not copied", () => {
    const payload = int64le([1, 2, 3]);
    const m = arrayData({ sequence: 1, timestamp: TS, shape: [3], payload });
    const chunks = msgpackEnvelopeChunks(m);
    assert.equal(chunks.length, 2);
    assert.equal(chunks[1], payload);
    assert.equal(hex(Buffer.concat(chunks)), GOLDEN.array_data_put.hex);
    assert.equal(msgpackEnvelopeChunks(containerSchema()).length, 1);
  });

  it("msgpack payloads of every bin size decode back to the same bytes", () => {
    for (const [length, header] of [
      [0, "c400"],
      [255, "c4ff"],
      [256, "c50100"],
      [65535, "c5ffff"],
      [65536, "c600010000"],
    ] as const) {
      const payload = new Uint8Array(length).map((_, i) => i & 0xff);
      const bytes = msgpackEnvelope(arrayData({ sequence: 1, timestamp: TS, shape: [length], payload }));
      const marker = Buffer.from(`a77061796c6f6164${header}`, "hex"); // "payload" then the bin header
      assert.ok(Buffer.from(bytes).includes(marker), `bin header for ${length}`);
      assert.deepEqual(unpack(bytes).payload, payload);
    }
  });

  it("numbers in metadata are written the way Python's msgpack writes them", () => {
    const metadata = { a: 127, b: 128, c: -33, d: 65536, e: 2 ** 40, f: -(2 ** 40), g: 0.5, h: true, i: null };
    const m = containerChildMetadataUpdated({ sequence: 1, timestamp: TS, key: "k", metadata, revisionNumber: 0 });
    const h = hex(msgpackEnvelope(m));
    for (const part of [
      "a1617f", // fixint
      "a162cc80", // uint8
      "a163d0df", // int8
      "a164ce00010000", // uint32
      "a165cf0000010000000000", // uint64
      "a166d3ffffff0000000000", // int64
      "a167cb3fe0000000000000", // float64
      "a168c3",
      "a169c0",
    ]) {
      assert.ok(h.includes(part), part);
    }
    assert.deepEqual(unpack(msgpackEnvelope(m)), m);
  });

  it("JSON envelope: strings as JSON.stringify writes them, non-ASCII as itself", () => {
    const m = containerChildMetadataUpdated({
      sequence: 1,
      timestamp: TS,
      key: "é",
      metadata: { note: 'a "quote"\n', unit: "µm" },
      revisionNumber: 3,
    });
    const text = jsonEnvelope(m);
    assert.ok(text.includes('"key":"é"'));
    assert.ok(text.includes('"metadata":{"note":"a \\"quote\\"\\n","unit":"µm"}'));
    assert.deepEqual(JSON.parse(text), m);
  });

  it("the JSON envelope needs the payload for data messages and refuses it for others", () => {
    const m = arrayData({ sequence: 1, timestamp: TS, shape: [0], payload: new Uint8Array(0) });
    assert.throws(() => jsonEnvelope(m), TypeError);
    assert.throws(() => jsonEnvelope(containerSchema(), "[]"), TypeError);
    assert.ok(jsonEnvelope(m, "[]").endsWith(',"content-type":"application/json","payload":[]}'));
  });

  it("builders refuse what Tiled never sends", () => {
    const payload = new Uint8Array(0);
    assert.throws(() => arrayData({ sequence: 0, timestamp: TS, shape: [0], payload }), RangeError);
    assert.throws(() => arrayData({ sequence: 1.5, timestamp: TS, shape: [0], payload }), RangeError);
    assert.throws(() => arrayData({ sequence: 1, timestamp: "", shape: [0], payload }), RangeError);
    assert.throws(() => arrayData({ sequence: 1, timestamp: TS, shape: [-1], payload }), RangeError);
    assert.throws(() => arrayData({ sequence: 1, timestamp: TS, shape: [2, 2], offset: [1], payload }), RangeError);
    assert.throws(() => arrayData({ sequence: 1, timestamp: TS, shape: [2], block: [0, 0], payload }), RangeError);
    assert.throws(
      () => arrayData({ sequence: 1, timestamp: TS, shape: [2], offset: [0], block: [0], payload }),
      RangeError,
    );
    assert.throws(() => tableData({ sequence: 1, timestamp: TS, partition: -1, payload }), RangeError);
    assert.throws(
      () =>
        containerChildCreated({
          sequence: 1,
          timestamp: TS,
          key: "x",
          structureFamily: "array",
          metadata: null as unknown as Record<string, unknown>,
        }),
      RangeError,
    );
    assert.throws(
      () =>
        containerChildMetadataUpdated({
          sequence: 1,
          timestamp: TS,
          key: "x",
          metadata: [] as never,
          revisionNumber: 1,
        }),
      RangeError,
    );
    assert.throws(
      () =>
        arrayRef({
          sequence: 1,
          timestamp: TS,
          dataSource: {},
          patch: { offset: [0], shape: [1] },
          shape: [3, 7],
          uri: "u",
        }),
      RangeError,
    );
  });

  it("builders copy index lists and default what Tiled always sends", () => {
    const shape = [3];
    const m = arrayData({ sequence: 1, timestamp: TS, shape, payload: new Uint8Array(24) });
    shape[0] = 4;
    assert.deepEqual(m.shape, [3]);
    assert.equal(m.offset, null);
    assert.equal(m.block, null);
    assert.equal(m.mimetype, "application/octet-stream");
    const c = containerChildCreated({ sequence: 1, timestamp: TS, key: "t", structureFamily: "table" });
    assert.deepEqual([c.specs, c.metadata, c.data_sources, c.access_blob], [[], {}, [], {}]);
  });

  it("the array-schema's data_type is rebuilt in Tiled's key order", () => {
    const m = arraySchema({ dt_units: null, itemsize: 4, kind: "f", endianness: "big" });
    assert.equal(
      jsonEnvelope(m),
      '{"type":"array-schema","version":1,"data_type":{"endianness":"big","kind":"f","itemsize":4,"dt_units":null}}',
    );
  });
});

describe("utcTimestamp", () => {
  it("writes microseconds and +00:00", () => {
    assert.equal(utcTimestamp(Date.parse("2026-08-21T13:02:20.123Z") + 0.456), "2026-08-21T13:02:20.123456+00:00");
    assert.equal(utcTimestamp(new Date("2026-08-21T13:02:20Z")), "2026-08-21T13:02:20.000000+00:00");
    assert.equal(utcTimestamp(Date.parse("2026-12-31T23:59:59.999Z") + 0.9999), "2027-01-01T00:00:00.000000+00:00");
    assert.equal(utcTimestamp(-0.001), "1969-12-31T23:59:59.999999+00:00");
  });

  it("refuses times Python's datetime cannot hold", () => {
    assert.throws(() => utcTimestamp(Number.NaN), RangeError);
    assert.throws(() => utcTimestamp(new Date("invalid")), RangeError);
    assert.throws(() => utcTimestamp(Date.UTC(10000, 0, 1)), RangeError);
  });
});

describe("payload JSON of golden data", () => {
  it("errors are BeamgateErrors with a stable code", () => {
    assert.throws(
      () => arrayPayloadJson(new Uint8Array(7), INT64, [1]),
      (e: unknown) => e instanceof BeamgateError && e.code === "BG_ERR_PUT_INVALID_VALUE",
    );
  });
});
