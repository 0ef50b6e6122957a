/** Golden messages of the native protocol (docs/protocol.md), byte for byte. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decode } from "@msgpack/msgpack";
import { DataEvent, StatusEvent } from "../../../src/core/events.js";
import { sharedEvent } from "../../../src/protocols/native/encode.js";
import { jsonEnvelope, msgpackEnvelope } from "../../../src/protocols/native/envelope.js";

const topic = { uri: "sim://sinewave", epoch: "AbCdEfGh", kind: "state" as const, nextSequence: 1 };
const timestamp = Date.parse("2026-08-21T13:02:20.123Z") + 0.456;
const arrayEvent = () =>
  new DataEvent(topic, 7, { value: Float64Array.from([1, -2.5]), timestamp, alarm: { severity: 0, status: 0 } }, 16);
const bytes = (m: { chunks: readonly Uint8Array[] }) => Buffer.concat(m.chunks);

describe("native protocol golden messages", () => {
  it("data with a float64 array, JSON", () => {
    const m = jsonEnvelope.withId(jsonEnvelope.idPrefix("s1"), sharedEvent(arrayEvent(), jsonEnvelope));
    assert.equal(
      bytes(m).toString(),
      '{"id":"s1","type":"data","sequence":7,"timestamp":"2026-08-21T13:02:20.123456Z","dtype":"float64","shape":[2],"value":[1,-2.5],"severity":0,"status":0}',
    );
    assert.equal(m.binary, false);
    assert.equal(m.bytes, bytes(m).length);
  });

  it("data with a float64 array, msgpack: the array as bin of little-endian bytes", () => {
    const m = msgpackEnvelope.withId(msgpackEnvelope.idPrefix("s1"), sharedEvent(arrayEvent(), msgpackEnvelope));
    assert.equal(
      bytes(m).toString("hex"),
      "89a26964a27331a474797065a464617461a873657175656e636507a974696d657374616d70bb323032362d30382d32315431333a30323a32302e3132333435365a" +
        "a56474797065a7666c6f61743634a573686170659102a576616c7565c410000000000000f03f00000000000004c0a8736576657269747900a673746174757300",
    );
    assert.equal(m.binary, true);
    const decoded = decode(bytes(m)) as Record<string, unknown>;
    assert.deepEqual(
      new Float64Array(Uint8Array.from(decoded.value as Uint8Array).buffer),
      Float64Array.from([1, -2.5]),
    );
  });

  it("shares one body between subscribers, each with its own id", () => {
    const ev = new StatusEvent(topic, { connected: true, readAccess: true, writeAccess: false });
    const body = sharedEvent(ev, jsonEnvelope);
    assert.equal(sharedEvent(ev, jsonEnvelope), body, "encoded once");
    const a = bytes(jsonEnvelope.withId(jsonEnvelope.idPrefix("a"), body)).toString();
    const b = bytes(jsonEnvelope.withId(jsonEnvelope.idPrefix(42), body)).toString();
    assert.equal(a, '{"id":"a","type":"status","connected":true,"read_access":true,"write_access":false}');
    assert.equal(b, '{"id":42,"type":"status","connected":true,"read_access":true,"write_access":false}');
    const m = msgpackEnvelope.withId(msgpackEnvelope.idPrefix(42), sharedEvent(ev, msgpackEnvelope));
    assert.deepEqual(decode(bytes(m)), {
      id: 42,
      type: "status",
      connected: true,
      read_access: true,
      write_access: false,
    });
  });

  it("uses a map16 header past 15 fields", () => {
    const fields = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i}`, i]));
    const m = msgpackEnvelope.withId(msgpackEnvelope.idPrefix("x"), msgpackEnvelope.shared(fields));
    assert.deepEqual(decode(bytes(m)), { id: "x", ...fields });
  });

  it("rejects binary frames in the JSON envelope and bad bytes in either", () => {
    assert.throws(() => jsonEnvelope.decode(Buffer.from([0x80]), true), { code: "BG_ERR_PROTO_BINARY_UNSUPPORTED" });
    assert.throws(() => jsonEnvelope.decode(Buffer.from("{"), false), { code: "BG_ERR_PROTO_INVALID_JSON" });
    assert.throws(() => msgpackEnvelope.decode(Buffer.from([0xc1]), true), { code: "BG_ERR_PROTO_INVALID_MSGPACK" });
    assert.deepEqual(msgpackEnvelope.decode(Buffer.from('{"type":"ping"}'), false), { type: "ping" });
  });
});
