/**
 * RTA stream bursts over real sockets: every message is one raw LZ4 block (no frame header, no
 * size prefix) of a StreamDataBurst; what is published together travels together; a burst is sent
 * once it reaches `burstBytes`, so it never exceeds that by more than its last element.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  blockContentSize,
  burstElement,
  decompressBlock,
  type StreamData,
  StreamDataSchema,
  toBinary,
} from "@beamgate/rta";
import { startTestGateway } from "../../helpers/gateway.js";
import { RtaRest, RtaStreamClient } from "../../helpers/rta-client.js";
import { closedWithin } from "../../helpers/upgrade-refusal.js";
import {
  assertNoDuplicates,
  at,
  expectedKeys,
  keyOf,
  keysOf,
  periodic,
  received,
  sessionOf,
  span,
  waitForKeys,
} from "./stream-util.js";

type Gw = Awaited<ReturnType<typeof startTestGateway>>;

/** LZ4 frame format's magic number, little-endian: a stream message must not start with it. */
const LZ4_FRAME_MAGIC = Buffer.from([0x04, 0x22, 0x4d, 0x18]);

/** The serialized burst elements of a message, checked to be exactly its raw LZ4 block's content. */
function elementsOf(message: Buffer, data: readonly StreamData[]): Buffer[] {
  assert.ok(!message.subarray(0, 4).equals(LZ4_FRAME_MAGIC), "no LZ4 frame header");
  const size = blockContentSize(message);
  const burst = decompressBlock(message, size);
  const elements = data.map((d) => burstElement(toBinary(StreamDataSchema, d)));
  assert.ok(burst.equals(Buffer.concat(elements)), "the block holds exactly the StreamDataBurst's elements");
  return elements;
}

/** Checks every message of a client is one raw LZ4 block; returns each one's uncompressed size and last element's size. */
function checkMessages(c: RtaStreamClient): { size: number; last: number; data: readonly StreamData[] }[] {
  assert.equal(c.messages.length, c.bursts.length);
  return c.messages.map((m, i) => {
    const data = c.bursts[i]?.data ?? [];
    assert.ok(data.length > 0, "no empty bursts");
    const elements = elementsOf(m, data);
    const size = elements.reduce((n, e) => n + e.length, 0);
    return { size, last: (elements.at(-1) as Buffer).length, data };
  });
}

const carriesData = (data: readonly StreamData[]) =>
  data.some((d) => d.data.case === "periodicData" || d.data.case === "timestampedData" || d.data.case === "rowData");

async function subscribed(gw: Gw, rest: RtaRest, id: string): Promise<RtaStreamClient> {
  await rest.session(id);
  const c = await RtaStreamClient.connect(gw.url, id);
  sessionOf(await c.next());
  c.subscribe({ allDataChannels: true, allEvents: true });
  // Once this arrives (back-filled or live) the subscription is in effect.
  await periodic(rest, id, 0, [0]);
  await waitForKeys(c, expectedKeys(0, [0]));
  return c;
}

/** `count` periodic items of `samples` samples each, back to back from `startMs`. */
function items(startMs: number, count: number, samples: number) {
  return Array.from({ length: count }, (_, i) => {
    const start = startMs + i * samples;
    return { channelId: 0, startTimestamp: `${at(start)}`, interval: "1000000", values: span(start, samples) };
  });
}

describe("RTA stream bursts (64 KiB default)", () => {
  let gw: Gw;
  let rest: RtaRest;
  before(async () => {
    gw = await startTestGateway({ telemetry: { timeRangeIntervalMs: 20 } });
    rest = new RtaRest(gw.url);
  });
  after(() => gw.close());

  it("sends the items of one write, published together, in one message", async () => {
    const id = "one-write";
    const c = await subscribed(gw, rest, id);
    const from = c.messages.length;
    await rest.json("POST", `/sessions/${id}/data/periodic`, { periodicData: items(1, 300, 3) }, 200);
    await waitForKeys(c, expectedKeys(0, span(1, 900)));
    const bursts = checkMessages(c).slice(from);
    const withData = bursts.filter((b) => carriesData(b.data));
    assert.equal(withData.length, 1, "300 StreamData in one burst");
    assert.equal(withData[0]?.data.filter((d) => d.data.case === "periodicData").length, 300);
    // In the order written.
    const starts = (withData[0]?.data ?? []).flatMap((d) =>
      d.data.case === "periodicData" ? [d.data.value.startTimestamp] : [],
    );
    assert.deepEqual(
      starts,
      items(1, 300, 3).map((item) => BigInt(item.startTimestamp)),
    );
    c.close();
    await closedWithin(c.closed);
  });

  it("gathers many concurrent small writes into few messages", async () => {
    const id = "many-writes";
    const c = await subscribed(gw, rest, id);
    const from = c.messages.length;
    const writes = Array.from({ length: 30 }, (_, w) =>
      rest.json("POST", `/sessions/${id}/data/periodic`, { periodicData: items(1 + w * 20, 10, 2) }, 200),
    );
    await Promise.all(writes);
    await waitForKeys(c, expectedKeys(0, span(1, 600)));
    const bursts = checkMessages(c).slice(from);
    const elements = bursts.flatMap((b) => b.data.filter((d) => d.data.case === "periodicData"));
    assert.equal(elements.length, 300);
    const messages = bursts.filter((b) => carriesData(b.data)).length;
    assert.ok(messages <= 30, `300 StreamData of 30 writes in ${messages} messages: at most one a write`);
    assertNoDuplicates(received(c).map(keyOf), "concurrent writes");
    c.close();
    await closedWithin(c.closed);
  });
});

describe("RTA stream bursts (burstBytes 4096)", () => {
  const BURST_BYTES = 4096;
  let gw: Gw;
  let rest: RtaRest;
  before(async () => {
    gw = await startTestGateway({ telemetry: { burstBytes: BURST_BYTES, timeRangeIntervalMs: 20 } });
    rest = new RtaRest(gw.url);
  });
  after(() => gw.close());

  it("splits a large write into bursts of at most burstBytes plus one element, each one LZ4 block", async () => {
    const id = "split";
    const c = await subscribed(gw, rest, id);
    const from = c.messages.length;
    // About 54 KB of StreamData: 100 items of 64 f64 samples (~540 bytes each).
    const written = items(1, 100, 64);
    await rest.json("POST", `/sessions/${id}/data/periodic`, { periodicData: written }, 200);
    await waitForKeys(c, expectedKeys(0, span(1, 6400)));
    const bursts = checkMessages(c)
      .slice(from)
      .filter((b) => carriesData(b.data));
    assert.ok(bursts.length >= 10, `${bursts.length} bursts for ~54 KB at 4 KiB`);
    bursts.forEach((b, i) => {
      assert.ok(b.size - b.last < BURST_BYTES, `burst ${i}: ${b.size} bytes is within burstBytes + its last element`);
      if (i < bursts.length - 1)
        assert.ok(b.size >= BURST_BYTES, `burst ${i} (${b.size} bytes) was sent because it was full`);
    });
    // Nothing lost, nothing repeated, in the order written.
    const starts = bursts.flatMap((b) =>
      b.data.flatMap((d) => (d.data.case === "periodicData" ? [d.data.value.startTimestamp] : [])),
    );
    assert.deepEqual(
      starts,
      written.map((item) => BigInt(item.startTimestamp)),
    );
    assert.deepEqual(keysOf(c, 0), expectedKeys(0, [0, ...span(1, 6400)]));
    c.close();
    await closedWithin(c.closed);
  });

  it("sends an element larger than burstBytes in a burst of its own", async () => {
    const id = "big";
    const c = await subscribed(gw, rest, id);
    const from = c.messages.length;
    // 2000 f64 samples: one 16 KB element, then small ones.
    const written = [...items(1, 1, 2000), ...items(2001, 3, 4)];
    await rest.json("POST", `/sessions/${id}/data/periodic`, { periodicData: written }, 200);
    await waitForKeys(c, expectedKeys(0, span(1, 2012)));
    const bursts = checkMessages(c)
      .slice(from)
      .filter((b) => carriesData(b.data));
    for (const b of bursts) assert.ok(b.size - b.last < BURST_BYTES);
    const big = bursts.find((b) => b.data.some((d) => d.data.case === "periodicData" && d.data.value.samples === 2000));
    assert.ok(big && big.last > BURST_BYTES, "the large element ends its burst");
    assert.deepEqual(keysOf(c, 0), expectedKeys(0, [0, ...span(1, 2012)]));
    c.close();
    await closedWithin(c.closed);
  });

  it("keeps the Session JSON alone in the first message even with small bursts", async () => {
    const id = "first-small";
    await rest.session(id);
    await rest.json("POST", `/sessions/${id}/data/periodic`, { periodicData: items(1, 20, 64) }, 200);
    const c = await RtaStreamClient.connect(gw.url, id);
    c.subscribe({ allDataChannels: true });
    await waitForKeys(c, expectedKeys(0, span(1, 1280)));
    const bursts = checkMessages(c);
    assert.equal(bursts[0]?.data.length, 1);
    sessionOf(bursts[0]?.data[0]);
    c.close();
    await closedWithin(c.closed);
  });
});
