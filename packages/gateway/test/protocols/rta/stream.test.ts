/**
 * The RTA stream (`/rta/v2/sessions/{identity}/stream`) end to end over real sockets: the
 * handshake (400, 406, the echoed subprotocol), sessions that cannot be streamed, the first
 * message, malformed client messages and read access. specs/rta-stream.md.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { STREAM_SUBPROTOCOL } from "@beamgate/rta";
import { startTestGateway } from "../../helpers/gateway.js";
import { RtaRest, RtaStreamClient } from "../../helpers/rta-client.js";
import { closedWithin, upgradeRefusal } from "../../helpers/upgrade-refusal.js";
import {
  at,
  carries,
  expectedKeys,
  jsonTimeRange,
  periodic,
  sessionOf,
  span,
  timeRangeIs,
  waitForKeys,
} from "./stream-util.js";

type Gw = Awaited<ReturnType<typeof startTestGateway>>;

const streamPath = (identity: string) => `/rta/v2/sessions/${encodeURIComponent(identity)}/stream`;

describe("RTA stream: handshake and lifecycle", () => {
  let gw: Gw;
  let rest: RtaRest;
  before(async () => {
    gw = await startTestGateway({ telemetry: { timeRangeIntervalMs: 20 } });
    rest = new RtaRest(gw.url);
  });
  after(() => gw.close());

  it("answers a plain GET (not an upgrade) with HTTP 400", async () => {
    await rest.session("plain");
    for (const identity of ["x", "plain"]) {
      const res = await fetch(`${gw.url}${streamPath(identity)}`);
      await res.arrayBuffer();
      assert.equal(res.status, 400, `GET ${streamPath(identity)}`);
    }
    // The REST resources beside the stream are still REST.
    const res = await fetch(`${gw.url}/rta/v2/sessions/plain`);
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { identity: string }).identity, "plain");
  });

  it("refuses an upgrade without the mat.ocs.rta.stream-lz4 subprotocol with HTTP 406", async () => {
    await rest.session("no-proto");
    const url = `${gw.wsUrl}${streamPath("no-proto")}`;
    assert.equal((await upgradeRefusal(url, [])).status, 406, "no subprotocol at all");
    assert.equal((await upgradeRefusal(url, ["mat.ocs.rta.stream"])).status, 406, "another subprotocol only");
    assert.equal((await upgradeRefusal(`${gw.wsUrl}${streamPath("missing")}`, [])).status, 406, "even for no session");
  });

  it("echoes mat.ocs.rta.stream-lz4 even when the client offers another subprotocol first", async () => {
    await rest.session("echo");
    const c = await RtaStreamClient.connect(gw.url, "echo", ["chat", "beamgate.v1", STREAM_SUBPROTOCOL]);
    assert.equal(c.ws.protocol, STREAM_SUBPROTOCOL);
    sessionOf(await c.next());
    c.close();
    await closedWithin(c.closed);
  });

  it("completes the handshake for a session that does not exist, then closes normally without a message", async () => {
    const c = await RtaStreamClient.connect(gw.url, "no-such-session");
    assert.equal(c.ws.protocol, STREAM_SUBPROTOCOL);
    const { code } = await closedWithin(c.closed);
    assert.equal(code, 1000);
    assert.equal(c.messages.length, 0, "nothing is sent before the close");
  });

  it("closes a closed session normally without a message", async () => {
    await rest.session("ended");
    await periodic(rest, "ended", 0, [1, 2, 3]);
    const closed = await rest.json("PATCH", "/sessions/ended", { state: "closed" }, 200);
    assert.equal(closed.state, "closed");
    const c = await RtaStreamClient.connect(gw.url, "ended");
    const { code } = await closedWithin(c.closed);
    assert.equal(code, 1000);
    assert.equal(c.messages.length, 0);
  });

  it("sends first a burst holding only the Session JSON, ns times as exact JSON integers", async () => {
    const created = await rest.session("first");
    await periodic(rest, "first", 0, [1, 2, 3, 4, 5]);
    const c = await RtaStreamClient.connect(gw.url, "first");
    const first = await c.next();
    assert.equal(c.bursts[0]?.data.length, 1, "the first burst holds the Session JSON alone");
    const { json, text } = sessionOf(first);
    assert.equal(json.identity, "first");
    assert.equal(json.state, "open");
    assert.equal(json.identifier, created.identifier);
    assert.equal(typeof json.timestamp, "string");
    assert.deepEqual(json.configBindings, [{ identifier: "first-config", channelOffset: 0 }]);
    // 1.7e18 is past 2^53: only the raw text holds the exact values.
    assert.deepEqual(jsonTimeRange(text), { startTime: at(0), endTime: at(4) });
    assert.notEqual(BigInt(Math.round(Number(at(4)))), at(4), "the test's times do not survive a double");
    // Time ranges follow in later messages.
    await c.next(timeRangeIs(0, 4));
    assert.ok(c.bursts.length >= 2);
    c.close();
    await closedWithin(c.closed);
  });

  it("sends an open session without data its Session JSON without a time range, then one once data comes", async () => {
    await rest.session("empty");
    const c = await RtaStreamClient.connect(gw.url, "empty");
    const { json, text } = sessionOf(await c.next());
    assert.equal(json.state, "open");
    assert.equal(jsonTimeRange(text), undefined);
    await periodic(rest, "empty", 100, [7, 8]);
    await c.next(timeRangeIs(100, 101));
    c.close();
    await closedWithin(c.closed);
  });

  it("ignores a request with no option or with unknown fields (protobuf evolution), without closing", async () => {
    await rest.session("lenient");
    const c = await RtaStreamClient.connect(gw.url, "lenient");
    sessionOf(await c.next());
    c.ws.send(Buffer.alloc(0)); // an empty StreamRequest
    c.ws.send(Buffer.from([0x18, 0x01])); // field 3 (unknown), varint 1
    c.subscribe({ allDataChannels: true });
    await periodic(rest, "lenient", 0, [1, 2]);
    await waitForKeys(c, expectedKeys(0, span(0, 2)));
    assert.equal(c.ws.readyState, c.ws.OPEN);
    c.close();
    assert.equal((await closedWithin(c.closed)).code, 1005, "the client's close, answered");
  });

  for (const [what, send] of [
    ["garbage bytes", (c: RtaStreamClient) => c.ws.send(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]))],
    ["a truncated message", (c: RtaStreamClient) => c.ws.send(Buffer.from([0x12, 0x40, 0x08]))],
    ["a text frame", (c: RtaStreamClient) => c.ws.send("subscribe all")],
  ] as const) {
    it(`closes with 1002 on ${what}, and keeps serving other clients`, async () => {
      const id = `bad-${what.replace(/ /g, "-")}`;
      await rest.session(id);
      const other = await RtaStreamClient.connect(gw.url, id);
      sessionOf(await other.next());
      const bad = await RtaStreamClient.connect(gw.url, id);
      sessionOf(await bad.next());
      send(bad);
      const { code } = await closedWithin(bad.closed);
      assert.equal(code, 1002);

      // The client already connected and a new one are still served.
      const fresh = await RtaStreamClient.connect(gw.url, id);
      sessionOf(await fresh.next());
      for (const c of [other, fresh]) c.subscribe({ allDataChannels: true });
      await periodic(rest, id, 0, [1, 2]);
      for (const c of [other, fresh]) {
        await waitForKeys(c, expectedKeys(0, span(0, 2)));
        assert.equal(c.ws.readyState, c.ws.OPEN);
      }
      other.close();
      fresh.close();
      await Promise.all([closedWithin(other.closed), closedWithin(fresh.closed)]);
    });
  }
});

describe("RTA stream: read access", () => {
  let gw: Gw;
  let rest: RtaRest;
  before(async () => {
    gw = await startTestGateway({
      telemetry: { timeRangeIntervalMs: 20 },
      security: { rules: "ALLOW READ rta://allowed*\nALLOW WRITE *", auditFile: "/dev/null" },
    });
    rest = new RtaRest(gw.url);
  });
  after(() => gw.close());

  it("closes the stream of a session the client may not read with 4003, sending nothing", async () => {
    await rest.session("denied-1");
    await periodic(rest, "denied-1", 0, [1]);
    assert.equal((await rest.request("GET", "/sessions/denied-1")).status, 403, "REST agrees");
    const c = await RtaStreamClient.connect(gw.url, "denied-1");
    const { code } = await closedWithin(c.closed);
    assert.equal(code, 4003);
    assert.equal(c.messages.length, 0);
  });

  it("streams a session the client may read", async () => {
    await rest.session("allowed-1");
    const c = await RtaStreamClient.connect(gw.url, "allowed-1");
    assert.equal(sessionOf(await c.next()).json.identity, "allowed-1");
    c.subscribe({ allDataChannels: true });
    await periodic(rest, "allowed-1", 0, [1, 2]);
    await c.next(carries(0, 1));
    c.close();
    await closedWithin(c.closed);
  });
});
