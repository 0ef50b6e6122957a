/**
 * What a careless or hostile client cannot do to the telemetry endpoints: flood a stream with a
 * back-fill, grow a connection's subscription with channels that do not exist, smuggle unknown
 * protobuf fields into stored data, bypass a session's read rule through its native topics, undo a
 * close with a concurrent change, or break a stream with a malformed path.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  create,
  fromBinary,
  PeriodicDataListSchema,
  PeriodicDataSchema,
  STREAM_SUBPROTOCOL,
  toBinary,
} from "@beamgate/rta";
import WebSocket from "ws";
import { startTestGateway } from "../../helpers/gateway.js";
import { PROTOBUF, RtaRest, RtaStreamClient } from "../../helpers/rta-client.js";
import { TestClient } from "../../helpers/ws-client.js";
import { at, periodic } from "./stream-util.js";

type Gw = Awaited<ReturnType<typeof startTestGateway>>;

describe("RTA hardening", () => {
  let gw: Gw;
  let rest: RtaRest;
  before(async () => {
    gw = await startTestGateway({ telemetry: { backfillMs: 60_000, backfillMaxBytes: 20_000 } });
    rest = new RtaRest(gw.url);
  });
  after(() => gw.close());

  it("back-fills at most backfillMaxBytes, the newest records, and keeps the connection", async () => {
    await rest.session("big");
    // 40 bursts of 100 f64 samples: 800 bytes of samples each, 32 kB in all.
    for (let b = 0; b < 40; b++) {
      await periodic(
        rest,
        "big",
        b * 100,
        Array.from({ length: 100 }, (_, i) => b * 100 + i),
      );
    }
    const c = await RtaStreamClient.connect(gw.url, "big");
    await c.next((d) => d.data.case === "sessionJson");
    c.subscribe({ allDataChannels: true });
    await periodic(rest, "big", 4000, [1]);
    await c.next((d) => d.data.case === "periodicData" && d.data.value.startTimestamp === at(4000));
    const starts = c.data.flatMap((d) => (d.data.case === "periodicData" ? [d.data.value.startTimestamp] : []));
    const backfilled = starts.slice(0, -1);
    assert.ok(backfilled.length > 0 && backfilled.length < 40, `back-filled ${backfilled.length} of 40`);
    assert.equal(backfilled.at(-1), at(3900), "the newest are kept");
    assert.equal(c.ws.readyState, WebSocket.OPEN);
    c.close();
  });

  it("ignores subscribed channel ids the session does not have", async () => {
    await rest.session("ids");
    const c = await RtaStreamClient.connect(gw.url, "ids");
    await c.next((d) => d.data.case === "sessionJson");
    c.subscribe({ dataChannelIds: Array.from({ length: 5000 }, (_, i) => 1000 + i) });
    c.subscribe({ dataChannelIds: [0] });
    await periodic(rest, "ids", 0, [7]);
    const d = await c.next((x) => x.data.case === "periodicData");
    assert.ok(d.data.case === "periodicData" && d.data.value.channelId === 0);
    c.close();
  });

  it("stores no protobuf field it does not know", async () => {
    await rest.session("unknown");
    const item = toBinary(
      PeriodicDataSchema,
      create(PeriodicDataSchema, {
        channelId: 0,
        startTimestamp: at(0),
        interval: 1_000_000n,
        samples: 1,
        buffer: new Uint8Array(8),
      }),
    );
    // Field 99, length-delimited, 1000 bytes of padding, appended to the item.
    const padding = Buffer.concat([Buffer.from([0x9a, 0x06, 0xe8, 0x07]), Buffer.alloc(1000, 0xee)]);
    const padded = Buffer.concat([item, padding]);
    const list = Buffer.concat([Buffer.from([0x0a, ...varint(padded.length)]), padded]);
    const res = await rest.request("POST", "/sessions/unknown/data/periodic", list, PROTOBUF);
    assert.equal(res.status, 200);
    const read = await rest.read("/sessions/unknown/data/periodic/0");
    const stored = fromBinary(PeriodicDataListSchema, read.chunks[0]?.payload as Uint8Array).periodicData[0];
    assert.equal(stored?.samples, 1);
    assert.equal(stored?.$unknown, undefined, "the unknown field is gone");
    assert.ok((read.chunks[0]?.payload.length ?? 0) < 100);
  });

  it("refuses a JSON burst of more than 10,000 values before encoding it", async () => {
    await rest.session("huge");
    const res = await rest.request("POST", "/sessions/huge/data/periodic", {
      periodicData: [{ channelId: 0, startTimestamp: "1", interval: "1000000", values: new Array(10_001).fill(1) }],
    });
    assert.equal(res.status, 400);
    assert.match(((await res.json()) as { detail: string }).detail, /10001 samples in one burst/);
  });

  it("closes a stream whose path has malformed %-escapes normally, sending nothing", async () => {
    const ws = new WebSocket(`${gw.wsUrl}/rta/v2/sessions/%E0%A4%A/stream`, [STREAM_SUBPROTOCOL]);
    let messages = 0;
    ws.on("message", () => messages++);
    const [code] = await new Promise<[number]>((resolve) => ws.on("close", (c) => resolve([c])));
    assert.equal(code, 1000);
    assert.equal(messages, 0);
  });

  it("applies concurrent changes one after the other: a close is not undone by a details change", async () => {
    await rest.session("race");
    const writes = Array.from({ length: 20 }, (_, i) => periodic(rest, "race", i * 10, [i]).catch(() => {}));
    const [closed, details] = await Promise.all([
      rest.json("PATCH", "/sessions/race", { state: "closed" }, 200),
      rest.json("PATCH", "/sessions/race", { details: { lap: 3 } }, 200),
    ]);
    await Promise.all(writes);
    const final = await rest.json("GET", "/sessions/race", undefined, 200);
    assert.equal(final.state, "closed");
    assert.deepEqual(final.details, { lap: 3 });
    assert.equal(final.version, 3);
    assert.deepEqual([closed.version, details.version].sort(), [2, 3]);
  });
});

describe("RTA: a session's read rule covers its native topics", () => {
  let gw: Gw;
  before(async () => {
    gw = await startTestGateway({ security: { rules: "ALLOW ANY *\nDENY READ rta://secret", auditFile: "/dev/null" } });
    await new RtaRest(gw.url).session("secret");
    await new RtaRest(gw.url).session("open");
  });
  after(() => gw.close());

  it("refuses rta://secret/<channel> and serves rta://open/<channel>", async () => {
    const c = await TestClient.connect(`${gw.wsUrl}/api/v1/stream/multi`);
    c.send({ type: "subscribe", id: "s", topic: "rta://secret/speed" });
    const error = await c.next((m) => m.type === "error" && m.id === "s");
    assert.equal(error.code, "BG_ERR_AUTH_FORBIDDEN");
    c.send({ type: "subscribe", id: "o", topic: "rta://open/speed" });
    const meta = await c.next((m) => m.type === "meta" && m.id === "o");
    assert.equal(meta.topic, "rta://open/0");
    await c.close();
  });
});

function varint(n: number): number[] {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return out;
}
