/**
 * The RTA stream's data end to end over real sockets: time ranges without a subscription, nothing
 * else before one, subscriptions that only widen, back-fill behind the leading edge, out-of-order
 * writes, the end of a session, and many clients of one session. specs/rta-stream.md.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startTestGateway } from "../../helpers/gateway.js";
import { RtaRest, RtaStreamClient } from "../../helpers/rta-client.js";
import { closedWithin } from "../../helpers/upgrade-refusal.js";
import {
  assertNoDuplicates,
  at,
  carries,
  event,
  expectedKeys,
  jsonTimeRange,
  keyOf,
  keysOf,
  periodic,
  received,
  row,
  samplesOf,
  sessionOf,
  span,
  timeRangeIs,
  timestamped,
  waitForKeys,
} from "./stream-util.js";

type Gw = Awaited<ReturnType<typeof startTestGateway>>;

/** Back-fill window of this file's gateway: every test keeps its data within it unless it says otherwise. */
const BACKFILL_MS = 1000;
const TICK_MS = 20;

/** Channels (and -1 for events) of everything a client has received. */
const channelsReceived = (c: RtaStreamClient) => [...new Set(received(c).map((s) => s.channel))].sort((a, b) => a - b);

async function open(gw: Gw, identity: string): Promise<RtaStreamClient> {
  const c = await RtaStreamClient.connect(gw.url, identity);
  sessionOf(await c.next());
  return c;
}

async function close(c: RtaStreamClient): Promise<void> {
  c.close();
  await closedWithin(c.closed);
}

describe("RTA stream: subscriptions and data", () => {
  let gw: Gw;
  let rest: RtaRest;
  before(async () => {
    gw = await startTestGateway({ telemetry: { backfillMs: BACKFILL_MS, timeRangeIntervalMs: TICK_MS } });
    rest = new RtaRest(gw.url);
  });
  after(() => gw.close());

  it("sends time ranges without a subscription, and no data or events before one", async () => {
    const id = "tr";
    await rest.session(id);
    const c = await open(gw, id);
    await periodic(rest, id, 0, [1, 2, 3, 4, 5]);
    await timestamped(rest, id, [1, 3], [10, 30]);
    await row(rest, id, 2, [100, 200]);
    await event(rest, id, 3, "lap 1");
    // The range that covers all four writes: ticked after they were published, so anything
    // wrongly streamed for them would have come before it.
    const range = await c.next(timeRangeIs(0, 4));
    assert.equal(range.data.case, "timeRange");
    assert.deepEqual(received(c), [], "no data or events before a subscription");

    await periodic(rest, id, 5, [6, 7]);
    await c.next(timeRangeIs(0, 6));
    const ranges = c.data.filter((d) => d.data.case === "timeRange");
    // Sent when the range moved, not on every tick.
    const distinct = new Set(ranges.map((d) => (d.data.case === "timeRange" ? `${d.data.value.endTime}` : "")));
    assert.equal(ranges.length, distinct.size, "a time range is not sent again while it stays the same");
    assert.deepEqual(received(c), []);
    await close(c);
  });

  it("sends only subscribed channels; a subscription widens (channels, all data, all events) and never narrows", async () => {
    const id = "widen";
    await rest.session(id);
    // Before any subscription: one item of each kind.
    await periodic(rest, id, 0, [0.5, 1.5, 2.5]);
    await timestamped(rest, id, [0, 1], [10, 11]);
    await row(rest, id, 1, [21, 31]);
    await event(rest, id, 1, "e1");
    const c = await open(gw, id);

    // Channel 0 only: its back-fill, and its live data.
    c.subscribe({ dataChannelIds: [0] });
    await waitForKeys(c, expectedKeys(0, span(0, 3)));
    await timestamped(rest, id, [12], [12]);
    await row(rest, id, 12, [22, 32]);
    await event(rest, id, 12, "e12");
    await periodic(rest, id, 10, [10]);
    await c.next(carries(0, 10));
    assert.deepEqual(channelsReceived(c), [0], "only channel 0");
    assert.ok(
      c.data.every((d) => d.data.case !== "timestampedData" && d.data.case !== "rowData" && d.data.case !== "event"),
    );

    // Channel 1 too: its back-fill (both writes), channel 0 not sent again.
    c.subscribe({ dataChannelIds: [1] });
    await timestamped(rest, id, [30], [30]);
    await waitForKeys(c, expectedKeys(1, [0, 1, 12, 30]));
    assert.deepEqual(channelsReceived(c), [0, 1]);

    // A subscription naming fewer channels, or none, does not narrow.
    c.subscribe({ dataChannelIds: [] });
    c.subscribe({ dataChannelIds: [0] });
    await timestamped(rest, id, [31], [31]);
    await periodic(rest, id, 31, [31]);
    await waitForKeys(c, [...expectedKeys(1, [31]), ...expectedKeys(0, [31])]);
    assert.deepEqual(channelsReceived(c), [0, 1], "no rows or events yet");

    // All data channels: the rows' back-fill and live rows; still no events.
    c.subscribe({ allDataChannels: true });
    await row(rest, id, 40, [24, 34]);
    await waitForKeys(c, [...expectedKeys(2, [1, 12, 40]), ...expectedKeys(3, [1, 12, 40])]);
    c.subscribe({ dataChannelIds: [1] });
    await periodic(rest, id, 41, [41]);
    await c.next(carries(0, 41));
    assert.deepEqual(channelsReceived(c), [0, 1, 2, 3], "no events before all_events");

    // All events: their back-fill and live events.
    c.subscribe({ allEvents: true });
    await event(rest, id, 50, "e50");
    await waitForKeys(c, expectedKeys(-1, [1, 12, 50]));
    await periodic(rest, id, 51, [51]);
    await c.next(carries(0, 51));

    assert.deepEqual(keysOf(c, 0), expectedKeys(0, [0, 1, 2, 10, 31, 41, 51]));
    assert.deepEqual(keysOf(c, 1), expectedKeys(1, [0, 1, 12, 30, 31]));
    assert.deepEqual(keysOf(c, 2), expectedKeys(2, [1, 12, 40]));
    assert.deepEqual(keysOf(c, 3), expectedKeys(3, [1, 12, 40]));
    assert.deepEqual(keysOf(c, -1), expectedKeys(-1, [1, 12, 50]));
    assertNoDuplicates(received(c).map(keyOf), "widening");
    await close(c);
  });

  it("back-fills a row once when one of its channels is subscribed, and not again for another of them", async () => {
    const id = "rows";
    await rest.session(id);
    await row(rest, id, 0, [1, 2]);
    await row(rest, id, 1, [3, 4]);
    const c = await open(gw, id);
    c.subscribe({ dataChannelIds: [2] });
    await waitForKeys(c, expectedKeys(2, [0, 1]));
    c.subscribe({ dataChannelIds: [3] });
    await row(rest, id, 2, [5, 6]);
    await waitForKeys(c, expectedKeys(3, [0, 1, 2]));
    await periodic(rest, id, 3, [0]);
    c.subscribe({ dataChannelIds: [0] });
    await waitForKeys(c, expectedKeys(0, [3]));
    assert.equal(c.data.filter((d) => d.data.case === "rowData").length, 3, "each row once");
    assertNoDuplicates(received(c).map(keyOf), "rows");
    await close(c);
  });

  it("back-fills the window behind the leading edge on subscribe, not older data, and then streams live with nothing missing", async () => {
    const id = "backfill";
    await rest.session(id);
    const old = span(0, 10);
    const recent = span(5000, 10);
    await periodic(rest, id, 0, old);
    await periodic(rest, id, 5000, recent);
    await timestamped(rest, id, [4000, 5005], [40, 55]); // straddles the window's start: overlaps it
    await timestamped(rest, id, [3000], [30]); // wholly before the window
    const c = await open(gw, id);

    // Writes keep coming while the subscription is made: each sample must arrive exactly once,
    // by back-fill or live, whichever side of the subscription it fell.
    const live: number[] = [];
    for (let i = 0; i < 30; i++) {
      const start = 5100 + 10 * i;
      live.push(...span(start, 3));
      const written = periodic(rest, id, start, [i, i + 0.25, i + 0.5]);
      if (i === 10) c.subscribe({ allDataChannels: true });
      await written;
    }
    await timestamped(rest, id, [9000], [90]);
    await c.next(carries(1, 9000));
    assert.deepEqual(keysOf(c, 0), expectedKeys(0, [...recent, ...live]), "channel 0: the window and live, not older");
    assert.deepEqual(keysOf(c, 1), expectedKeys(1, [4000, 5005, 9000]), "channel 1: what overlaps the window");
    assertNoDuplicates(received(c).map(keyOf), "back-fill and live");
    // Values arrive intact.
    const byKey = new Map(received(c).map((s) => [keyOf(s), s.value]));
    assert.equal(byKey.get(keyOf({ channel: 0, time: at(5003), value: 0 })), 5003);
    assert.equal(byKey.get(keyOf({ channel: 0, time: at(5100 + 10 * 29 + 2), value: 0 })), 29.5);
    await close(c);
  });

  it("accepts and streams writes out of time order", async () => {
    const id = "ooo";
    await rest.session(id);
    const c = await open(gw, id);
    c.subscribe({ allDataChannels: true });
    await periodic(rest, id, 2000, [1, 2, 3]);
    await waitForKeys(c, expectedKeys(0, span(2000, 3)));
    await periodic(rest, id, 1000, [4, 5, 6]); // earlier than what is there
    await periodic(rest, id, 1500, [7]); // between the two
    await timestamped(rest, id, [1200, 1800], [8, 9]);
    await waitForKeys(c, [...expectedKeys(0, [...span(1000, 3), 1500]), ...expectedKeys(1, [1200, 1800])]);
    await c.next(timeRangeIs(1000, 2002));
    // An overlapping write is refused and streams nothing.
    const refused = await rest.request("POST", `/sessions/${id}/data/periodic`, {
      periodicData: [{ channelId: 0, startTimestamp: `${at(1001)}`, interval: "1000000", values: [0] }],
    });
    assert.equal(refused.status, 409);
    await periodic(rest, id, 3000, [10]);
    await c.next(carries(0, 3000));
    assert.deepEqual(keysOf(c, 0), expectedKeys(0, [...span(1000, 3), 1500, ...span(2000, 3), 3000]));
    assertNoDuplicates(received(c).map(keyOf), "out of order");
    await close(c);
  });

  it("on close, sends everything written before it, then the closed Session JSON, then closes with 1000", async () => {
    const id = "closing";
    await rest.session(id);
    const c = await open(gw, id);
    c.subscribe({ allDataChannels: true, allEvents: true });
    await periodic(rest, id, 0, [0]);
    await waitForKeys(c, expectedKeys(0, [0]));

    // About 1 MB, written at once and closed at once: more than the socket takes in one go.
    const writes: Promise<unknown>[] = [];
    const times: number[] = [];
    for (let w = 0; w < 40; w++) {
      const items = [];
      for (let k = 0; k < 25; k++) {
        const start = 1 + (w * 25 + k) * 128;
        times.push(...span(start, 128));
        items.push({ channelId: 0, startTimestamp: `${at(start)}`, interval: "1000000", values: span(start, 128) });
      }
      writes.push(rest.json("POST", `/sessions/${id}/data/periodic`, { periodicData: items }, 200));
    }
    const last = 1 + 40 * 25 * 128;
    writes.push(event(rest, id, last, "chequered flag"));
    await Promise.all(writes);
    const closed = await rest.json("PATCH", `/sessions/${id}`, { state: "closed" }, 200);
    assert.equal(closed.state, "closed");

    const { code } = await closedWithin(c.closed, 10_000);
    assert.equal(code, 1000);
    assert.deepEqual(keysOf(c, 0), expectedKeys(0, [0, ...times]), "every sample written before the close");
    assert.deepEqual(keysOf(c, -1), expectedKeys(-1, [last]));
    assertNoDuplicates(received(c).map(keyOf), "before the close");
    const final = c.data.at(-1);
    const { json, text } = sessionOf(final);
    assert.equal(json.state, "closed");
    assert.equal(typeof json.endTimestamp, "string");
    assert.deepEqual(jsonTimeRange(text), { startTime: at(0), endTime: at(last) });
    assert.equal(c.data.filter((d) => d.data.case === "sessionJson").length, 2, "the first and the closed one");
  });

  it("sends a Session JSON update when the session changes, and goes on streaming", async () => {
    const id = "meta";
    await rest.session(id);
    const c = await open(gw, id);
    c.subscribe({ allDataChannels: true });
    await periodic(rest, id, 0, [1]);
    await rest.json("PATCH", `/sessions/${id}`, { details: { driver: "A. Tester", lap: 3 } }, 200);
    const { json, text } = sessionOf(await c.next((d) => d.data.case === "sessionJson"));
    assert.equal(json.state, "open");
    assert.deepEqual(json.details, { driver: "A. Tester", lap: 3 });
    assert.deepEqual(jsonTimeRange(text), { startTime: at(0), endTime: at(0) });
    await periodic(rest, id, 1, [2]);
    await waitForKeys(c, expectedKeys(0, [0, 1]));
    assert.equal(c.ws.readyState, c.ws.OPEN);
    await close(c);
  });

  it("streams every write answered 200 before the closed Session JSON, even when written while the session closes", async () => {
    const missed: string[] = [];
    for (let round = 0; round < 10 && missed.length === 0; round++) {
      const id = `race-${round}`;
      await rest.session(id);
      const c = await open(gw, id);
      c.subscribe({ allDataChannels: true });
      await periodic(rest, id, 0, [0]);
      await waitForKeys(c, expectedKeys(0, [0]));
      // Four writers, one write at a time each, while the session is closed.
      const stored: number[] = [];
      let next = 1;
      let writing = true;
      const writer = async () => {
        while (writing) {
          const t = next++;
          const res = await rest.request("POST", `/sessions/${id}/data/periodic`, {
            periodicData: [{ channelId: 0, startTimestamp: `${at(t)}`, interval: "1000000", values: [t] }],
          });
          await res.arrayBuffer();
          if (res.status === 200) stored.push(t);
          else writing = false;
        }
      };
      const writers = [writer(), writer(), writer(), writer()];
      await c.next((d) => samplesOf(d).some((s) => s.time >= at(8)));
      await rest.json("PATCH", `/sessions/${id}`, { state: "closed" }, 200);
      await Promise.all(writers);
      assert.equal((await closedWithin(c.closed)).code, 1000);
      const got = new Set(keysOf(c, 0));
      missed.push(...expectedKeys(0, stored).filter((k) => !got.has(k)));
    }
    assert.deepEqual(missed, [], "writes answered 200 but never streamed");
  });

  it("streams identical data to 50 clients of one session", async () => {
    const id = "fanout";
    await rest.session(id);
    const clients = await Promise.all(Array.from({ length: 50 }, () => open(gw, id)));
    for (const c of clients) c.subscribe({ allDataChannels: true, allEvents: true });
    const expected: string[] = [];
    for (let i = 0; i < 20; i++) {
      await periodic(rest, id, i * 10, [i, -i, i * 0.5]);
      expected.push(...expectedKeys(0, span(i * 10, 3)));
      if (i % 5 === 0) {
        await event(rest, id, i * 10 + 5, `lap ${i / 5}`);
        expected.push(...expectedKeys(-1, [i * 10 + 5]));
      }
    }
    await row(rest, id, 500, [5, 50]);
    expected.push(...expectedKeys(2, [500]), ...expectedKeys(3, [500]));
    await Promise.all(clients.map((c) => waitForKeys(c, expected, 10_000)));
    const reference = received(clients[0] as RtaStreamClient)
      .map((s) => `${keyOf(s)}=${s.value}`)
      .sort();
    assert.equal(reference.length, expected.length);
    clients.forEach((c, i) => {
      const got = received(c)
        .map((s) => `${keyOf(s)}=${s.value}`)
        .sort();
      assert.deepEqual(got, reference, `client ${i}`);
    });
    await Promise.all(clients.map(close));
  });

  it("delivers data to a client subscribed to no channel of it only after it subscribes", async () => {
    const id = "late";
    await rest.session(id);
    const c = await open(gw, id);
    c.subscribe({ dataChannelIds: [1] });
    await periodic(rest, id, 0, [1, 2]);
    await timestamped(rest, id, [5], [5]);
    await c.next(carries(1, 5));
    assert.deepEqual(
      c.data.flatMap(samplesOf).map((s) => s.channel),
      [1],
    );
    await close(c);
  });
});
