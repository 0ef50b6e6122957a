/** The native protocol end to end over real sockets, in both envelopes. */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { encode } from "@msgpack/msgpack";
import { startTestGateway } from "../../helpers/gateway.js";
import { ISO_MICROS, type Message, TestClient } from "../../helpers/ws-client.js";

type Gw = Awaited<ReturnType<typeof startTestGateway>>;

describe("native protocol, JSON envelope", () => {
  let gw: Gw;
  let url: string;
  before(async () => {
    gw = await startTestGateway({ hub: { logWindowMaxRecords: 5 } });
    url = `${gw.wsUrl}/api/v1/stream/multi`;
  });
  after(() => gw.close());

  it("greets with connection_ack", async () => {
    const c = await TestClient.connect(url);
    const ack = await c.next();
    assert.equal(ack.type, "connection_ack");
    assert.equal(ack.version, 1);
    assert.equal(ack.server, "beamgate");
    assert.equal(ack.envelope_format, "json");
    assert.deepEqual(ack.capabilities.schemes, ["ca", "sim", "loc", "rta", "dataset"]);
    assert.deepEqual(ack.capabilities.envelopes, ["json", "msgpack"]);
    await c.close();
  });

  it("subscribes to a state topic: status, meta, then data, all with the id", async () => {
    const c = await TestClient.connect(url);
    await c.next((m) => m.type === "connection_ack");
    c.send({ type: "subscribe", id: "s1", topic: "sim://sine(-5,5,0.05)" });
    const status = await c.next();
    assert.deepEqual(status, { id: "s1", type: "status", connected: true, read_access: true, write_access: false });
    const meta = await c.next();
    assert.equal(meta.type, "meta");
    assert.equal(meta.id, "s1");
    assert.equal(meta.topic, "sim://sine(-5,5,0.05)");
    assert.equal(meta.kind, "state");
    assert.equal(typeof meta.epoch, "string");
    assert.deepEqual(meta.display, { low: -5, high: 5 });
    assert.deepEqual(meta.alarm_limits, { lolo: -4.5, low: -4, high: 4, hihi: 4.5 });
    const d1 = await c.next();
    assert.deepEqual(Object.keys(d1), ["id", "type", "sequence", "timestamp", "value", "severity", "status"]);
    assert.match(d1.timestamp, ISO_MICROS);
    const d2 = await c.next((m) => m.type === "data");
    assert.equal(d2.sequence, d1.sequence + 1);
    await c.close();
  });

  it("sends arrays as JSON arrays with dtype and shape, enums as indexes with labels in meta", async () => {
    const c = await TestClient.connect(url);
    c.send({ type: "subscribe", id: 1, topic: "sim://sinewave(1,10,8,1)" });
    const d = await c.next((m) => m.type === "data");
    assert.equal(d.id, 1);
    assert.equal(d.dtype, "float64");
    assert.deepEqual(d.shape, [8]);
    assert.equal(d.value.length, 8);
    c.send({ type: "subscribe", id: 2, topic: "sim://enum(1)" });
    const meta = await c.next((m) => m.type === "meta" && m.id === 2);
    assert.deepEqual(meta.enum_labels, ["Idle", "Acquire", "Readout", "Fault"]);
    assert.equal((await c.next((m) => m.type === "data" && m.id === 2)).value, 0);
    await c.close();
  });

  it("puts with acknowledgement, and reports refused, invalid and unknown puts", async () => {
    const c = await TestClient.connect(url);
    c.send({ type: "subscribe", id: "w", topic: "loc://p1(1)" });
    await c.next((m) => m.type === "data" && m.id === "w");
    c.send({ type: "put", id: "p", topic: "loc://p1", value: 2.5, timeout: 1 });
    assert.deepEqual(await c.next((m) => m.type === "put_result"), { type: "put_result", id: "p", status: "done" });
    assert.equal((await c.next((m) => m.type === "data" && m.id === "w")).value, 2.5);

    c.send({ type: "put", id: "q", topic: "sim://sine", value: 1 });
    const refused = await c.next((m) => m.type === "put_result");
    assert.equal(refused.status, "refused");
    assert.equal(refused.code, "BG_ERR_PUT_READ_ONLY");

    c.send({ type: "put", id: "r", topic: "loc://p1", value: "abc" });
    const invalid = await c.next((m) => m.type === "put_result");
    assert.equal(invalid.status, "error");
    assert.equal(invalid.code, "BG_ERR_PUT_INVALID_VALUE");
    assert.match(invalid.message, /loc:\/\/p1 holds a number/);

    c.send({ type: "put", id: "s", topic: "sim://nope", value: 1 });
    assert.equal((await c.next((m) => m.type === "put_result")).code, "BG_ERR_TOPIC_NOT_FOUND");

    c.send({ type: "put", id: "t", topic: "loc://p1", value: 1, timeout: 10_000 });
    const tooLong = await c.next((m) => m.type === "error");
    assert.deepEqual([tooLong.id, tooLong.code], ["t", "BG_ERR_PROTO_INVALID_MESSAGE"]);
    await c.close();
  });

  it("unsubscribes with complete; unknown and duplicate ids are errors", async () => {
    const c = await TestClient.connect(url);
    c.send({ type: "subscribe", id: "u", topic: "loc://u1" });
    await c.next((m) => m.type === "data");
    c.send({ type: "subscribe", id: "u", topic: "loc://u2" });
    const dup = await c.next((m) => m.type === "error");
    assert.deepEqual([dup.id, dup.code], ["u", "BG_ERR_PROTO_DUPLICATE_ID"]);
    c.send({ type: "unsubscribe", id: "u" });
    assert.deepEqual(await c.next((m) => m.type === "complete"), { type: "complete", id: "u" });
    c.send({ type: "unsubscribe", id: "u" });
    const unknown = await c.next((m) => m.type === "error");
    assert.deepEqual([unknown.id, unknown.code], ["u", "BG_ERR_PROTO_UNKNOWN_ID"]);
    c.send({ type: "put", id: "x", topic: "loc://u1", value: 5 });
    await c.next((m) => m.type === "put_result");
    assert.deepEqual(await c.collect(100, (m) => m.type === "data"), [], "no data after unsubscribe");
    await c.close();
  });

  it("answers bad input with coded errors and keeps the connection", async () => {
    const c = await TestClient.connect(url);
    await c.next((m) => m.type === "connection_ack");
    const cases: Array<[string | Buffer, string]> = [
      ["{oops", "BG_ERR_PROTO_INVALID_JSON"],
      ["42", "BG_ERR_PROTO_INVALID_MESSAGE"],
      ['{"type":"fly"}', "BG_ERR_PROTO_UNKNOWN_TYPE"],
      ['{"type":"subscribe","id":"a"}', "BG_ERR_PROTO_INVALID_MESSAGE"],
      ['{"type":"subscribe","id":"a","topic":"sim://bogus"}', "BG_ERR_TOPIC_NOT_FOUND"],
      ['{"type":"subscribe","id":"b","topic":"sim://sine(1)"}', "BG_ERR_TOPIC_INVALID"],
      ['{"type":"subscribe","id":"c","topic":"nope://x"}', "BG_ERR_TOPIC_NOT_FOUND"],
      [Buffer.from([0x81, 0xa1]), "BG_ERR_PROTO_BINARY_UNSUPPORTED"],
    ];
    for (const [input, code] of cases) {
      if (Buffer.isBuffer(input)) c.ws.send(input, { binary: true });
      else c.send(input);
      const e = await c.next((m) => m.type === "error");
      assert.equal(e.code, code, String(input));
      assert.equal(typeof e.message, "string");
    }
    c.send({ type: "ping", id: "still" });
    assert.deepEqual(await c.next((m) => m.type === "pong"), { type: "pong", id: "still" });
    await c.close();
  });

  it("replays a log topic from start, resumes by sequence and epoch, and reports what expired", async () => {
    const c = await TestClient.connect(url);
    c.send({ type: "subscribe", id: "log", topic: "sim://console(0.02)", start: 0 });
    const meta = await c.next((m) => m.type === "meta");
    assert.equal(meta.kind, "log");
    const seen: Message[] = [];
    while (seen.length < 3) seen.push(await c.next((m) => m.type === "data"));
    assert.deepEqual(
      seen.map((m) => m.sequence),
      [1, 2, 3],
    );
    const last = seen[2].sequence;

    // A second client resumes after the first's last record, in the same epoch: no gap.
    const d = await TestClient.connect(url);
    d.send({ type: "subscribe", id: "r", topic: "sim://console(0.02)", start: last + 1, epoch: meta.epoch });
    const next = await d.next((m) => m.type === "data");
    assert.equal(next.sequence, last + 1);
    assert.deepEqual(
      d.inbox.filter((m) => m.type === "skipped"),
      [],
    );

    // Wait until the window (5 records) no longer holds sequence 1, then ask for it.
    await c.next((m) => m.type === "data" && m.sequence >= 8, 3000);
    const e = await TestClient.connect(url);
    e.send({ type: "subscribe", id: "old", topic: "sim://console(0.02)", start: 1, epoch: meta.epoch });
    const gap = await e.next((m) => m.type === "skipped");
    assert.equal(gap.reason, "expired");
    assert.equal(gap.from_sequence, 1);
    const first = await e.next((m) => m.type === "data");
    assert.equal(gap.to_sequence, first.sequence - 1);
    assert.equal(gap.count, first.sequence - 1);

    // A stale epoch is reported as such, and the new history is replayed.
    const f = await TestClient.connect(url);
    f.send({ type: "subscribe", id: "stale", topic: "sim://console(0.02)", start: 3, epoch: "not-the-epoch" });
    const changed = await f.next((m) => m.type === "skipped");
    assert.equal(changed.reason, "epoch_changed");
    for (const client of [c, d, e, f]) await client.close();
  });

  it("gives the first subscriber of a new log topic its first record, without start", async () => {
    const c = await TestClient.connect(url);
    c.send({ type: "subscribe", id: "fresh", topic: "sim://console(0.5)" });
    assert.equal((await c.next((m) => m.type === "data")).sequence, 1);
    await c.close();
  });

  it("refuses subscriptions past the limit with BG_ERR_LIMIT_SUBSCRIPTIONS", async () => {
    const small = await startTestGateway({ limits: { maxSubscriptionsPerConnection: 2 } });
    const c = await TestClient.connect(`${small.wsUrl}/api/v1/stream/multi`);
    for (const id of ["a", "b", "c"]) c.send({ type: "subscribe", id, topic: `loc://lim${id}` });
    const e = await c.next((m) => m.type === "error");
    assert.deepEqual([e.id, e.code], ["c", "BG_ERR_LIMIT_SUBSCRIPTIONS"]);
    await c.close();
    await small.close();
  });

  it("refuses a bad envelope_format before the upgrade with HTTP 400", async () => {
    await assert.rejects(TestClient.connect(`${url}?envelope_format=xml`), /HTTP 400/);
  });
});

describe("native protocol, msgpack envelope", () => {
  let gw: Gw;
  before(async () => {
    gw = await startTestGateway();
  });
  after(() => gw.close());

  it("sends binary msgpack frames, arrays as little-endian bytes, and accepts JSON or msgpack requests", async () => {
    const c = await TestClient.connect(`${gw.wsUrl}/api/v1/stream/multi?envelope_format=msgpack`);
    const ack = await c.next();
    assert.equal(ack.binary, true);
    assert.equal(ack.value.envelope_format, "msgpack");
    c.ws.send(encode({ type: "subscribe", id: "w", topic: "loc://arr(1, 2.5, -3)" }), { binary: true });
    const data = await c.next((m) => m.value?.type === "data");
    assert.equal(data.value.id, "w");
    assert.equal(data.value.dtype, "float64");
    assert.deepEqual(data.value.shape, [3]);
    assert.ok(data.value.value instanceof Uint8Array);
    assert.deepEqual(new Float64Array(Uint8Array.from(data.value.value).buffer), Float64Array.from([1, 2.5, -3]));
    c.send({ type: "put", id: "p", topic: "loc://arr", value: [4] }); // JSON text in the msgpack envelope
    assert.equal((await c.next((m) => m.value?.type === "put_result")).value.status, "done");
    c.ws.send(Buffer.from([0xc1]), { binary: true });
    assert.equal((await c.next((m) => m.value?.type === "error")).value.code, "BG_ERR_PROTO_INVALID_MSGPACK");
    await c.close();
  });
});

describe("native protocol at scale", () => {
  it("holds thousands of subscriptions on one connection and releases them all on close", async () => {
    const gw = await startTestGateway({ hub: { lingerMs: 0 } });
    try {
      const c = await TestClient.connect(`${gw.wsUrl}/api/v1/stream/multi`);
      for (let i = 0; i < 3000; i++) c.send({ type: "subscribe", id: i, topic: `loc://n${i}(${i})` });
      const last = await c.next((m) => m.type === "data" && m.id === 2999, 10_000);
      assert.equal(last.value, 2999);
      assert.equal(gw.hub.topicCount, 3000);
      await c.close();
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(gw.hub.topicCount, 0, "every topic released");
    } finally {
      await gw.close();
    }
  });
});
