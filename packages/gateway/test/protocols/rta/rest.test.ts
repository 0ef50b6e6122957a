/**
 * The RTA v2 REST reads over real HTTP (specs/rta-stream.md): the sessions list (order, paging,
 * sorting), one session's JSON (ns times as exact JSON integers), configs, data reads in the
 * `application/vnd.mat.protobuf+chunked` framing (items, chunk headers, time filtering, channel
 * expressions, several chunks with delta-encoded headers, LZ4), events, wrong methods and paths,
 * and reads and writes under access rules.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import {
  CHUNKED_CONTENT_TYPE,
  type ChunkTransferHeader,
  ChunkTransferHeaderSchema,
  CONFIG_CONTENT_TYPE,
  create,
  decodeChunked,
  decodeSamples,
  decodeTimestamps,
  type EventsList,
  EventsListSchema,
  encodeSamples,
  encodeTimestamps,
  fromBinary,
  type PeriodicData,
  PeriodicDataListSchema,
  PeriodicDataSchema,
  RowDataListSchema,
  TimestampedDataListSchema,
  toBinary,
  toJson,
} from "@beamgate/rta";
import { startTestGateway } from "../../helpers/gateway.js";
import { at, type Json, MS, PROTOBUF, RtaRest, SEC, T0, TEST_CONFIG } from "../../helpers/rta-client.js";

type Gw = Awaited<ReturnType<typeof startTestGateway>>;
type Body = Json;

/** A periodic burst of f64 samples one ms apart (TEST_CONFIG's channel 0). */
function periodic(channelId: number, start: bigint, values: number[], interval = MS) {
  return {
    channelId,
    startTimestamp: start,
    interval,
    samples: values.length,
    buffer: encodeSamples("f64", values),
  };
}

const periodicBody = (...items: ReturnType<typeof periodic>[]) =>
  toBinary(PeriodicDataListSchema, create(PeriodicDataListSchema, { periodicData: items }));

/** A query string of inclusive ns bounds. */
const span = (start?: bigint, end?: bigint) => {
  const q = new URLSearchParams();
  if (start !== undefined) q.set("start", `${start}`);
  if (end !== undefined) q.set("end", `${end}`);
  const text = q.toString();
  return text ? `?${text}` : "";
};

async function readPeriodic(rest: RtaRest, id: string, channels: string, start?: bigint, end?: bigint) {
  const r = await rest.read(`/sessions/${id}/data/periodic/${channels}${span(start, end)}`);
  assert.equal(r.status, 200);
  assert.equal(r.type, CHUNKED_CONTENT_TYPE);
  return {
    chunks: r.chunks,
    items: r.chunks.flatMap((c) => fromBinary(PeriodicDataListSchema, c.payload).periodicData),
  };
}

/** The error answer of a request: status, JSON content type, `{detail, code}`. */
async function refused(rest: RtaRest, method: string, path: string, status: number, body?: unknown) {
  const res = await rest.request(method, path, body);
  const text = await res.text();
  assert.equal(res.status, status, `${method} ${path}: ${text}`);
  assert.match(res.headers.get("content-type") ?? "", /^application\/json/);
  const json = JSON.parse(text);
  assert.equal(typeof json.detail, "string");
  return { json, res };
}

describe("RTA REST: the sessions list", () => {
  let gw: Gw;
  let rest: RtaRest;

  before(async () => {
    gw = await startTestGateway();
    rest = new RtaRest(gw.url);
    await rest.json("PUT", "/configs/list-config", TEST_CONFIG, 201);
    // Created in this order, a few ms apart so that their timestamps differ.
    for (const name of ["list-a", "list-c", "list-b", "list-d"]) {
      await rest.json("POST", "/sessions", { identity: name, identifier: `Run ${name.slice(5)}` }, 201);
      await sleep(5);
    }
  });
  after(() => gw.close());

  const list = async (query = ""): Promise<string[]> => {
    const body = await rest.json("GET", `/sessions${query}`, undefined, 200);
    assert.deepEqual(Object.keys(body), ["sessions"]);
    return body.sessions.map((s: Body) => s.identity);
  };

  it("lists sessions newest first", async () => {
    assert.deepEqual(await list(), ["list-d", "list-b", "list-c", "list-a"]);
    assert.deepEqual(await list("?sort=timestamp:asc"), ["list-a", "list-c", "list-b", "list-d"]);
    const { sessions } = await rest.json("GET", "/sessions", undefined, 200);
    assert.equal(sessions[0].identifier, "Run d");
    assert.equal(sessions[0].state, "open");
  });

  it("pages", async () => {
    assert.deepEqual(await list("?pageSize=3"), ["list-d", "list-b", "list-c"]);
    assert.deepEqual(await list("?pageSize=3&pageIndex=1"), ["list-a"]);
    assert.deepEqual(await list("?pageSize=2&pageIndex=1"), ["list-c", "list-a"]);
    assert.deepEqual(await list("?pageSize=2&pageIndex=2"), []);
    assert.deepEqual(await list("?pageSize=1&pageIndex=0&sort=identifier:asc"), ["list-a"]);
  });

  it("sorts by a property, either way", async () => {
    assert.deepEqual(await list("?sort=identifier:asc"), ["list-a", "list-b", "list-c", "list-d"]);
    assert.deepEqual(await list("?sort=identifier:desc"), ["list-d", "list-c", "list-b", "list-a"]);
    assert.deepEqual(await list("?sort=identity:asc&pageSize=2&pageIndex=1"), ["list-c", "list-d"]);
  });

  it("refuses a bad sort direction or page with 400 {detail, code}", async () => {
    for (const query of [
      "?sort=identifier:up",
      "?sort=identifier:ASC",
      "?pageSize=0",
      "?pageSize=abc",
      "?pageSize=1.5",
      "?pageSize=1001",
      "?pageSize=",
      "?pageIndex=-1",
    ]) {
      const { json } = await refused(rest, "GET", `/sessions${query}`, 400);
      assert.equal(json.code, "BG_ERR_TELEMETRY_INVALID", query);
    }
    const { json } = await refused(rest, "GET", "/sessions?sort=identifier:up", 400);
    assert.match(json.detail, /up/);
    assert.match((await refused(rest, "GET", "/sessions?pageSize=0", 400)).json.detail, /pageSize/);
  });
});

describe("RTA REST: sessions, configs and data", () => {
  let gw: Gw;
  let rest: RtaRest;

  before(async () => {
    gw = await startTestGateway();
    rest = new RtaRest(gw.url);
  });
  after(() => gw.close());

  it("answers a session's JSON, with its time range as exact JSON integers once data exists", async () => {
    await rest.json("PUT", "/configs/one-config", TEST_CONFIG, 201);
    const before = Date.now();
    const created = await rest.json(
      "POST",
      "/sessions",
      {
        identity: "one",
        identifier: "Run one",
        configBindings: [{ identifier: "one-config", channelOffset: 0 }],
        details: { driver: "A", lap: 3, wet: false },
        markers: [{ label: "Lap 1", startTime: `${T0}`, endTime: `${T0 + 999n * MS}` }],
      },
      201,
    );
    const res = await rest.request("GET", "/sessions/one");
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /^application\/json/);
    const text = await res.text();
    const s = JSON.parse(text);
    assert.deepEqual(s, JSON.parse(JSON.stringify(created)));
    assert.equal(s.identity, "one");
    assert.equal(s.identifier, "Run one");
    assert.equal(s.state, "open");
    assert.match(s.timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/);
    assert.ok(Date.parse(s.timestamp) >= before - 1000 && Date.parse(s.timestamp) <= Date.now() + 1000);
    assert.deepEqual(s.configBindings, [{ identifier: "one-config", channelOffset: 0 }]);
    assert.deepEqual(s.details, { driver: "A", lap: 3, wet: false });
    assert.equal(s.markers.length, 1);
    assert.equal(s.markers[0].label, "Lap 1");
    assert.equal(s.markers[0].type, "lap");
    // Marker times are JSON integers, written exactly.
    assert.ok(text.includes(`"startTime":${T0}`), text);
    assert.ok(text.includes(`"endTime":${T0 + 999n * MS}`), text);
    assert.equal(s.timeRange, undefined, "no data, no time range");

    assert.deepEqual(
      await rest.json("POST", "/sessions/one/data/periodic", periodicBody(periodic(0, T0, [1, 2, 3])), 200, PROTOBUF),
      {
        stored: 1,
      },
    );
    const after = await (await rest.request("GET", "/sessions/one")).text();
    assert.ok(after.includes(`"timeRange":{"startTime":${T0},"endTime":${T0 + 2n * MS}}`), after);
    // A later burst widens the end only.
    await rest.json(
      "POST",
      "/sessions/one/data/periodic",
      periodicBody(periodic(0, T0 + 10n * MS, [4])),
      200,
      PROTOBUF,
    );
    const wider = await (await rest.request("GET", "/sessions/one")).text();
    assert.ok(wider.includes(`"timeRange":{"startTime":${T0},"endTime":${T0 + 10n * MS}}`), wider);
    // The list carries the same exact integers.
    const listed = await (await rest.request("GET", "/sessions")).text();
    assert.ok(listed.includes(`"timeRange":{"startTime":${T0},"endTime":${T0 + 10n * MS}}`), listed);
  });

  it("keeps a detail string that looks like the bigint marker a string", async () => {
    const details = { note: "\u0000bigint:42", "\u0000bigint:7": "key" };
    // The marker's times are bigints, so the answer goes through the bigint rewriting.
    const markers = [{ label: "L", startTime: `${T0}`, endTime: `${T0}` }];
    await rest.json("POST", "/sessions", { identity: "marker-like", identifier: "m", details, markers }, 201);
    const text = await (await rest.request("GET", "/sessions/marker-like")).text();
    assert.ok(text.includes(`"startTime":${T0}`), text);
    assert.deepEqual(JSON.parse(text).details, details);
  });

  it("answers 404 {detail, code} for an unknown session or config", async () => {
    for (const path of [
      "/sessions/nosuch",
      "/configs/nosuch",
      "/sessions/nosuch/data/periodic/0",
      "/sessions/nosuch/data/events",
    ]) {
      const { json } = await refused(rest, "GET", path, 404);
      assert.equal(json.code, "BG_ERR_TELEMETRY_NOT_FOUND", path);
      assert.match(json.detail, /nosuch/);
    }
  });

  it("answers a config as published, as application/vnd.mat.config+json", async () => {
    const config = {
      Car: {
        channels: [
          { id: 0, name: "rpm", source: "periodic", type: "u16", interval: "2000000" },
          { id: 5, name: "brake", source: "row", type: "f32", extra: { kept: true } },
        ],
        parameters: [{ name: "rpm", unit: "1/min", min: 0, max: 18000, warnMax: 17000, channels: [0] }],
        events: [{ id: 9, code: "Pit", desc: "pit stop", pri: "high" }],
        conversions: [{ name: "x2" }],
        tree: { Engine: ["rpm"] },
      },
    };
    await rest.json("PUT", "/configs/car.v1", config, 201);
    const res = await rest.request("GET", "/configs/car.v1");
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), CONFIG_CONTENT_TYPE);
    const text = await res.text();
    assert.equal(text, JSON.stringify(config));
    assert.deepEqual(JSON.parse(text), config);
  });

  it("reads periodic data back, with chunk headers and time filtering", async () => {
    await rest.session("per");
    // Bursts of 5 samples at T0 + 0, 10, 20, 30 ms: each spans [start, start + 4 ms].
    const bursts = [0n, 10n, 20n, 30n].map((k) => periodic(0, T0 + k * MS, [Number(k), Number(k) + 0.25, 2, 3, 4.5]));
    assert.deepEqual(await rest.json("POST", "/sessions/per/data/periodic", periodicBody(...bursts), 200, PROTOBUF), {
      stored: 4,
    });

    const all = await readPeriodic(rest, "per", "0");
    assert.equal(all.chunks.length, 1);
    assert.deepEqual(
      all.items.map((m) => toJson(PeriodicDataSchema, m)),
      bursts.map((b) => toJson(PeriodicDataSchema, create(PeriodicDataSchema, b))),
    );
    const first = all.items[0] as PeriodicData;
    assert.equal(first.startTimestamp, T0);
    assert.equal(first.interval, MS);
    assert.equal(first.samples, 5);
    assert.deepEqual([...decodeSamples("f64", first.buffer)], [0, 0.25, 2, 3, 4.5]);
    const chunk = at(all.chunks);
    assert.deepEqual([...chunk.channelIds], [0]);
    assert.equal(chunk.startTime, T0);
    assert.equal(chunk.duration, 34n * MS);
    assert.equal(chunk.compression, 1);

    const starts = (items: PeriodicData[]) => items.map((m) => (m.startTimestamp - T0) / MS);
    // Records overlapping [start, end] are in, others not; both bounds inclusive.
    assert.deepEqual(starts((await readPeriodic(rest, "per", "0", T0 + 12n * MS, T0 + 21n * MS)).items), [10n, 20n]);
    assert.deepEqual(starts((await readPeriodic(rest, "per", "0", T0 + 14n * MS, T0 + 20n * MS)).items), [10n, 20n]);
    assert.deepEqual(starts((await readPeriodic(rest, "per", "0", T0 + 14n * MS + 1n, T0 + 20n * MS - 1n)).items), []);
    assert.deepEqual(starts((await readPeriodic(rest, "per", "0", T0 + 25n * MS)).items), [30n]);
    assert.deepEqual(starts((await readPeriodic(rest, "per", "0", undefined, T0)).items), [0n]);
    assert.deepEqual(starts((await readPeriodic(rest, "per", "0", T0 - SEC, T0 - 1n)).items), []);
    const between = await readPeriodic(rest, "per", "0", T0 + 15n * MS, T0 + 19n * MS);
    assert.equal(between.chunks.length, 0, "nothing in range: an empty body");
    const filtered = await readPeriodic(rest, "per", "0", T0 + 12n * MS, T0 + 21n * MS);
    assert.equal(filtered.chunks[0]?.startTime, T0 + 10n * MS);
    assert.equal(filtered.chunks[0]?.duration, 14n * MS);
    // Other channels are not in a read of channel 0's neighbours.
    assert.equal((await readPeriodic(rest, "per", "1-3")).items.length, 0);

    for (const query of ["?start=abc", "?start=1.5", "?end=99999999999999999999", `?start=${T0}&end=${T0 - 1n}`]) {
      const { json } = await refused(rest, "GET", `/sessions/per/data/periodic/0${query}`, 400);
      assert.equal(json.code, "BG_ERR_TELEMETRY_INVALID", query);
    }
  });

  it("reads timestamped and row data back", async () => {
    await rest.session("ts");
    const times = [T0, T0 + 3n * MS, T0 + 9n * MS, T0 + 12n * MS];
    const enc = encodeTimestamps(times);
    const ts = {
      channelId: 1,
      startTimestamp: enc.start,
      timestampDeltasScale: enc.scale,
      timestampDeltas: enc.deltas,
      buffer: encodeSamples("f32", [1, 2, 3, 4]),
    };
    const tsBody = toBinary(TimestampedDataListSchema, create(TimestampedDataListSchema, { timestampedData: [ts] }));
    assert.deepEqual(await rest.json("POST", "/sessions/ts/data/timestamped", tsBody, 200, PROTOBUF), { stored: 1 });
    const r = await rest.read("/sessions/ts/data/timestamped/1");
    assert.equal(r.type, CHUNKED_CONTENT_TYPE);
    const got = r.chunks.flatMap((c) => fromBinary(TimestampedDataListSchema, c.payload).timestampedData);
    assert.equal(got.length, 1);
    const m = at(got);
    assert.equal(m.channelId, 1);
    assert.equal(m.timestampDeltasScale, 3n * MS);
    assert.deepEqual(decodeTimestamps(m.startTimestamp, m.timestampDeltasScale, m.timestampDeltas), times);
    assert.deepEqual([...decodeSamples("f32", m.buffer)], [1, 2, 3, 4]);
    assert.deepEqual([...at(r.chunks).channelIds], [1]);
    assert.equal(at(r.chunks).startTime, T0);
    assert.equal(at(r.chunks).duration, 12n * MS);
    // A span inside the burst's gaps still overlaps the burst.
    assert.equal(
      (await rest.read(`/sessions/ts/data/timestamped/1${span(T0 + 4n * MS, T0 + 5n * MS)}`)).chunks.length,
      1,
    );
    assert.equal((await rest.read(`/sessions/ts/data/timestamped/1${span(T0 + 13n * MS)}`)).chunks.length, 0);
    // A periodic read does not see timestamped data.
    assert.equal((await rest.read("/sessions/ts/data/periodic/-")).status, 400, "`-` alone names no id");
    assert.equal((await rest.read("/sessions/ts/data/periodic/0-")).chunks.length, 0);

    const rows = [
      {
        channelIds: [2, 3],
        timestamp: T0,
        buffer: Buffer.concat([encodeSamples("u16", [100]), encodeSamples("u16", [200])]),
      },
      { channelIds: [3], timestamp: T0 + MS, buffer: encodeSamples("u16", [300]) },
      {
        channelIds: [3, 2],
        timestamp: T0 + 2n * MS,
        buffer: Buffer.concat([encodeSamples("u16", [301]), encodeSamples("u16", [101])]),
      },
    ];
    const rowBody = toBinary(RowDataListSchema, create(RowDataListSchema, { rowData: rows }));
    assert.deepEqual(await rest.json("POST", "/sessions/ts/data/row", rowBody, 200, PROTOBUF), { stored: 3 });
    const readRows = async (channels: string, query = "") => {
      const res = await rest.read(`/sessions/ts/data/row/${channels}${query}`);
      assert.equal(res.status, 200);
      return { chunks: res.chunks, rows: res.chunks.flatMap((c) => fromBinary(RowDataListSchema, c.payload).rowData) };
    };
    const both = await readRows("2-3");
    assert.deepEqual(
      both.rows.map((x) => [x.timestamp - T0, [...x.channelIds], Buffer.from(x.buffer).toString("hex")]),
      rows.map((x) => [x.timestamp - T0, x.channelIds, Buffer.from(x.buffer).toString("hex")]),
    );
    assert.deepEqual([...at(both.chunks).channelIds], [2, 3]);
    // A row is in a read when any of its channels is; the header names only the channels asked for.
    const two = await readRows("2");
    assert.deepEqual(
      two.rows.map((x) => x.timestamp - T0),
      [0n, 2n * MS],
    );
    assert.deepEqual([...at(two.chunks).channelIds], [2]);
    assert.deepEqual(
      (await readRows("3", span(T0 + MS, T0 + MS))).rows.map((x) => x.timestamp - T0),
      [MS],
    );
    assert.equal((await readRows("0-1,4-")).rows.length, 0);
  });

  it("selects channels with hex ids and ranges, open ones included", async () => {
    const wide = {
      Wide: {
        channels: Array.from({ length: 32 }, (_, id) => ({
          id,
          name: `c${id}`,
          source: "periodic",
          type: "f64",
          interval: 1_000_000,
        })),
      },
    };
    await rest.session("wide", wide);
    const bursts = Array.from({ length: 32 }, (_, id) => periodic(id, T0 + BigInt(id) * MS, [id, id + 0.5]));
    assert.deepEqual(await rest.json("POST", "/sessions/wide/data/periodic", periodicBody(...bursts), 200, PROTOBUF), {
      stored: 32,
    });
    const ids = (n: number[]) => [...new Set(n)].sort((a, b) => a - b);
    const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
    const expect = [...range(0, 5), 7, 11, 12, 13, ...range(20, 31)];
    for (const expression of ["-5,7,B-D,14-", "-5,7,b-d,14-", "14-,B-D,7,-5", "-3,2-5,7,B,C-D,14-1F"]) {
      const { items, chunks } = await readPeriodic(rest, "wide", encodeURIComponent(expression));
      assert.deepEqual(ids(items.map((m) => m.channelId)), expect, expression);
      assert.equal(items.length, expect.length, expression);
      assert.deepEqual(ids(chunks.flatMap((c) => [...c.channelIds])), expect, expression);
      for (const m of items) assert.deepEqual([...decodeSamples("f64", m.buffer)], [m.channelId, m.channelId + 0.5]);
    }
    assert.deepEqual(ids((await readPeriodic(rest, "wide", "10")).items.map((m) => m.channelId)), [16]);
    assert.deepEqual(ids((await readPeriodic(rest, "wide", "1F-FFFFFFFF")).items.map((m) => m.channelId)), [31]);
    // Channels and time together.
    assert.deepEqual(
      ids((await readPeriodic(rest, "wide", "-5,14-", T0 + 4n * MS, T0 + 21n * MS)).items.map((m) => m.channelId)),
      [3, 4, 5, 20, 21],
    );

    for (const bad of ["G", "5-3", "1,,2", ",1", "1,", "1-2-3", "-", "--", "100000000", "0x5", " 1"]) {
      const { json } = await refused(rest, "GET", `/sessions/wide/data/periodic/${encodeURIComponent(bad)}`, 400);
      assert.equal(json.code, "BG_ERR_TELEMETRY_INVALID", bad);
      assert.match(json.detail, /channel/, bad);
    }
    assert.match((await refused(rest, "GET", "/sessions/wide/data/periodic/5-3", 400)).json.detail, /5-3/);
    assert.match((await refused(rest, "GET", "/sessions/wide/data/periodic/G", 400)).json.detail, /'G'/);
  });

  it("reads events, filtered by time", async () => {
    await rest.session("ev");
    const events = [0n, 5n, 10n].map((k) => ({
      eventDefinitionId: 1,
      appName: "Rig",
      timestamp: T0 + k * MS,
      statusText: `lap at ${k}`,
      rawData: [Number(k), 1.5],
    }));
    const body = toBinary(EventsListSchema, create(EventsListSchema, { events }));
    assert.deepEqual(await rest.json("POST", "/sessions/ev/data/events", body, 200, PROTOBUF), { stored: 3 });
    const readEvents = async (query = "") => {
      const r = await rest.read(`/sessions/ev/data/events${query}`);
      assert.equal(r.status, 200);
      assert.equal(r.type, CHUNKED_CONTENT_TYPE);
      return {
        chunks: r.chunks,
        events: r.chunks.flatMap((c) => (fromBinary(EventsListSchema, c.payload) as EventsList).events),
      };
    };
    const all = await readEvents();
    assert.deepEqual(
      all.events.map((e) => [e.eventDefinitionId, e.appName, e.timestamp, e.statusText, [...e.rawData]]),
      events.map((e) => [1, "Rig", e.timestamp, e.statusText, e.rawData]),
    );
    assert.deepEqual([...at(all.chunks).channelIds], []);
    assert.equal(at(all.chunks).startTime, T0);
    assert.equal(at(all.chunks).duration, 10n * MS);
    assert.deepEqual(
      (await readEvents(span(T0 + 5n * MS, T0 + 10n * MS))).events.map((e) => e.statusText),
      ["lap at 5", "lap at 10"],
    );
    assert.deepEqual((await readEvents(span(T0 + MS, T0 + 4n * MS))).events, []);
    // Events are not channel data.
    assert.equal((await rest.read("/sessions/ev/data/periodic/-FFFFFFFF")).chunks.length, 0);
  });

  it("answers 405 for wrong methods and 404 for unknown paths", async () => {
    await rest.session("paths");
    const cases: [string, string, string | null][] = [
      ["PUT", "/sessions", "GET, POST"],
      ["DELETE", "/sessions", "GET, POST, PATCH, PUT"],
      ["POST", "/sessions/paths", "GET, PATCH"],
      ["PUT", "/sessions/paths", "GET, PATCH"],
      ["DELETE", "/sessions/paths", "GET, POST, PATCH, PUT"],
      ["POST", "/sessions/paths/data/periodic/0", "GET"],
      ["PATCH", "/sessions/paths/data/row/0-3", "GET"],
      ["GET", "/sessions/paths/data/periodic", "POST"],
      ["PUT", "/sessions/paths/data/timestamped", "POST"],
      ["PUT", "/sessions/paths/data/events", "GET, POST"],
      ["POST", "/configs/paths-config", "GET, PUT"],
      ["PATCH", "/configs/paths-config", "GET, PUT"],
    ];
    for (const [method, path, allow] of cases) {
      const { res } = await refused(rest, method, path, 405);
      assert.equal(res.headers.get("allow"), allow, `${method} ${path}`);
    }
    for (const path of [
      "/nothing",
      "/",
      "/sessions/paths/nothing",
      "/sessions/paths/data",
      "/sessions/paths/data/bogus/0",
      "/sessions/paths/data/events/0",
      "/sessions/paths/data/periodic/0/more",
      "/configs",
      "/configs/paths-config/more",
    ]) {
      await refused(rest, "GET", path, 404);
    }
    // A 405 or 404 changed nothing.
    assert.equal((await rest.json("GET", "/sessions/paths", undefined, 200)).state, "open");
  });
});

describe("RTA REST: large reads", () => {
  let gw: Gw;
  let rest: RtaRest;

  before(async () => {
    gw = await startTestGateway({ telemetry: { readChunkBytes: 300 } });
    rest = new RtaRest(gw.url);
    await rest.session("big");
  });
  after(() => gw.close());

  it("splits a read into several LZ4 chunks whose delta-encoded headers decode to absolute times", async () => {
    // 24 bursts of 16 samples, 20 ms apart, written in DESCENDING time order (one write each), so
    // the chunks go backwards in time and some header deltas are negative.
    const bursts = Array.from({ length: 24 }, (_, i) =>
      periodic(
        0,
        T0 + BigInt(i) * 20n * MS,
        Array.from({ length: 16 }, (_, k) => i * 100 + k),
      ),
    );
    for (const b of [...bursts].reverse()) {
      await rest.json("POST", "/sessions/big/data/periodic", periodicBody(b), 200, PROTOBUF);
    }
    const res = await rest.request("GET", "/sessions/big/data/periodic/0");
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), CHUNKED_CONTENT_TYPE);
    const bytes = new Uint8Array(await res.arrayBuffer());
    const chunks = decodeChunked(bytes);
    assert.ok(chunks.length >= 8, `${chunks.length} chunks`);

    // The raw headers: deltas, the first against 0; compression 1 (LZ4) stated once.
    const raw: ChunkTransferHeader[] = [];
    for (let o = 0; o < bytes.length; ) {
      const length = Buffer.from(bytes.buffer, bytes.byteOffset + o, 4).readInt32LE(0);
      const header = fromBinary(ChunkTransferHeaderSchema, bytes.subarray(o + 4, o + 4 + length));
      raw.push(header);
      o += 4 + length + header.packedLength;
    }
    assert.equal(raw.length, chunks.length);
    assert.deepEqual(
      raw.map((h) => h.compressionDelta),
      raw.map((_, i) => (i === 0 ? 1 : 0)),
    );
    assert.ok(
      raw.some((h) => h.chunkStartTimeDelta < 0n),
      "descending chunks give negative deltas",
    );
    assert.equal(at(raw).chunkStartTimeDelta, at(chunks).startTime);

    const seen: PeriodicData[] = [];
    chunks.forEach((chunk, i) => {
      assert.equal(chunk.compression, 1);
      assert.equal(chunk.payload.byteLength, at(raw, i).unpackedLength);
      assert.ok(chunk.payload.byteLength <= 300 + 200, `chunk ${i}: ${chunk.payload.byteLength} bytes`);
      const items = fromBinary(PeriodicDataListSchema, chunk.payload).periodicData;
      assert.ok(items.length >= 1);
      // Sorted by time within the chunk; the header spans exactly its items.
      const startsOf = items.map((m) => m.startTimestamp);
      assert.deepEqual(
        startsOf,
        [...startsOf].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)),
      );
      const first = at(items).startTimestamp;
      const last = items.reduce(
        (t, m) => (m.startTimestamp + 15n * m.interval > t ? m.startTimestamp + 15n * m.interval : t),
        first,
      );
      assert.equal(chunk.startTime, first, `chunk ${i} start`);
      assert.equal(chunk.duration, last - first, `chunk ${i} duration`);
      assert.deepEqual([...chunk.channelIds], [0]);
      seen.push(...items);
    });
    assert.equal(seen.length, 24);
    const byStart = [...seen].sort((a, b) => (a.startTimestamp < b.startTimestamp ? -1 : 1));
    byStart.forEach((m, i) => {
      assert.equal(m.startTimestamp, T0 + BigInt(i) * 20n * MS);
      assert.deepEqual(
        [...decodeSamples("f64", m.buffer)],
        Array.from({ length: 16 }, (_, k) => i * 100 + k),
      );
    });

    // A time-filtered large read still splits and still holds exactly the overlapping bursts.
    const part = await readPeriodic(rest, "big", "0", T0 + 100n * MS, T0 + 300n * MS);
    assert.deepEqual(
      part.items.map((m) => (m.startTimestamp - T0) / (20n * MS)).sort((a, b) => Number(a - b)),
      [5n, 6n, 7n, 8n, 9n, 10n, 11n, 12n, 13n, 14n, 15n],
    );
    assert.ok(part.chunks.length > 1);
  });
});

describe("RTA REST under access rules", () => {
  let dataDir: string;

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "beamgate-rta-rules-"));
    const gw = await startTestGateway({ dataDir });
    const rest = new RtaRest(gw.url);
    await rest.session("alpha");
    await rest.session("apex");
    await rest.session("beta");
    for (const id of ["alpha", "apex", "beta"]) {
      await rest.json("POST", `/sessions/${id}/data/periodic`, periodicBody(periodic(0, T0, [1, 2])), 200, PROTOBUF);
    }
    await gw.close();
  });
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it("refuses every write with 403 under ALLOW READ *, and serves reads", async () => {
    const gw = await startTestGateway({ dataDir, security: { rules: "ALLOW READ *", auditFile: "/dev/null" } });
    try {
      const rest = new RtaRest(gw.url);
      const forbidden = async (method: string, path: string, body: unknown, contentType?: string) => {
        const res = await rest.request(method, path, body, contentType);
        const json: Body = await res.json();
        assert.equal(res.status, 403, `${method} ${path}: ${JSON.stringify(json)}`);
        assert.equal(json.code, "BG_ERR_AUTH_FORBIDDEN");
      };
      await forbidden("PUT", "/configs/new-config", TEST_CONFIG);
      await forbidden("POST", "/sessions", { identity: "gamma", identifier: "g" });
      await forbidden("PATCH", "/sessions/alpha", { state: "closed" });
      await forbidden("POST", "/sessions/alpha/data/periodic", periodicBody(periodic(0, T0 + SEC, [3])), PROTOBUF);
      await forbidden("POST", "/sessions/alpha/data/events", { events: [] });

      // Nothing changed.
      await refused(rest, "GET", "/configs/new-config", 404);
      await refused(rest, "GET", "/sessions/gamma", 404);
      const alpha = await rest.json("GET", "/sessions/alpha", undefined, 200);
      assert.equal(alpha.state, "open");
      assert.equal(alpha.version, 1);
      const { items } = await readPeriodic(rest, "alpha", "0");
      assert.deepEqual(
        items.map((m) => m.startTimestamp),
        [T0],
      );
      assert.deepEqual(JSON.parse(await (await rest.request("GET", "/configs/alpha-config")).text()), TEST_CONFIG);
      const listed = await rest.json("GET", "/sessions", undefined, 200);
      assert.deepEqual(listed.sessions.map((s: Body) => s.identity).sort(), ["alpha", "apex", "beta"]);
    } finally {
      await gw.close();
    }
  });

  it("lists and reads only the sessions a principal may read", async () => {
    const gw = await startTestGateway({ dataDir, security: { rules: "ALLOW READ rta://a*", auditFile: "/dev/null" } });
    try {
      const rest = new RtaRest(gw.url);
      const listed = await rest.json("GET", "/sessions?sort=identity:asc", undefined, 200);
      assert.deepEqual(
        listed.sessions.map((s: Body) => s.identity),
        ["alpha", "apex"],
      );
      assert.equal((await rest.json("GET", "/sessions/apex", undefined, 200)).identity, "apex");
      assert.equal((await readPeriodic(rest, "alpha", "0")).items.length, 1);
      for (const path of ["/sessions/beta", "/sessions/beta/data/periodic/0", "/sessions/beta/data/events"]) {
        assert.equal((await refused(rest, "GET", path, 403)).json.code, "BG_ERR_AUTH_FORBIDDEN", path);
      }
      // Paging counts only the readable sessions.
      assert.deepEqual(
        (await rest.json("GET", "/sessions?sort=identity:asc&pageSize=1&pageIndex=1", undefined, 200)).sessions.map(
          (s: Body) => s.identity,
        ),
        ["apex"],
      );
    } finally {
      await gw.close();
    }
  });
});
