/**
 * beamgate's RTA ingest over real HTTP: configs published (immutable, checked), sessions created
 * and changed (state one way, markers, details), data appended as protobuf and as JSON and read
 * back, every kind of bad write refused with a clear 4xx and nothing of it stored, and a restart
 * on the same data directory losing nothing.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import {
  CHUNKED_CONTENT_TYPE,
  create,
  decodeSamples,
  decodeTimestamps,
  EventSchema,
  EventsListSchema,
  encodeSamples,
  fromBinary,
  PeriodicDataListSchema,
  PeriodicDataSchema,
  RowDataListSchema,
  RowDataSchema,
  TimestampedDataListSchema,
  TimestampedDataSchema,
  toBinary,
  toJson,
} from "@beamgate/rta";
import { startTestGateway } from "../../helpers/gateway.js";
import { at, type Json, MS, PROTOBUF, RtaRest, SEC, T0, TEST_CONFIG } from "../../helpers/rta-client.js";

type Gw = Awaited<ReturnType<typeof startTestGateway>>;
type Body = Json;
const INT64_MAX = 2n ** 63n - 1n;

// ---- bodies ------------------------------------------------------------------------------------

type PeriodicInit = {
  channelId: number;
  startTimestamp: bigint;
  interval: bigint;
  samples: number;
  buffer: Uint8Array;
};
type TimestampedInit = {
  channelId: number;
  startTimestamp: bigint;
  timestampDeltasScale: bigint;
  timestampDeltas: bigint[];
  buffer: Uint8Array;
};
type RowInit = { channelIds: number[]; timestamp: bigint; buffer: Uint8Array };
type EventInit = {
  eventDefinitionId: number;
  appName: string;
  timestamp: bigint;
  statusText?: string;
  rawData?: number[];
};

const periodic = (start: bigint, values: number[], over: Partial<PeriodicInit> = {}): PeriodicInit => ({
  channelId: 0,
  startTimestamp: start,
  interval: MS,
  samples: values.length,
  buffer: encodeSamples("f64", values),
  ...over,
});
const timestamped = (start: bigint, deltas: bigint[], values: number[], over: Partial<TimestampedInit> = {}) => ({
  channelId: 1,
  startTimestamp: start,
  timestampDeltasScale: MS,
  timestampDeltas: deltas,
  buffer: encodeSamples("f32", values),
  ...over,
});
const u16 = (...values: number[]) => encodeSamples("u16", values);
const row = (timestamp: bigint, channelIds: number[], buffer: Uint8Array): RowInit => ({
  channelIds,
  timestamp,
  buffer,
});
const lap = (timestamp: bigint, over: Partial<EventInit> = {}): EventInit => ({
  eventDefinitionId: 1,
  appName: "Rig",
  timestamp,
  statusText: "lap",
  rawData: [1],
  ...over,
});

const periodicBody = (...items: PeriodicInit[]) =>
  toBinary(PeriodicDataListSchema, create(PeriodicDataListSchema, { periodicData: items }));
const timestampedBody = (...items: TimestampedInit[]) =>
  toBinary(TimestampedDataListSchema, create(TimestampedDataListSchema, { timestampedData: items }));
const rowBody = (...items: RowInit[]) => toBinary(RowDataListSchema, create(RowDataListSchema, { rowData: items }));
const eventsBody = (...items: EventInit[]) => toBinary(EventsListSchema, create(EventsListSchema, { events: items }));

// ---- reads -------------------------------------------------------------------------------------

const span = (start: bigint, end: bigint) => `?start=${start}&end=${end}`;

/** Every item of a read, as proto3 JSON (comparable with deepEqual). */
async function readAll(rest: RtaRest, id: string, kind: "periodic" | "timestamped" | "row" | "events", query = "") {
  const path = kind === "events" ? `/sessions/${id}/data/events${query}` : `/sessions/${id}/data/${kind}/0-${query}`;
  const r = await rest.read(path);
  assert.equal(r.status, 200, path);
  assert.equal(r.type, CHUNKED_CONTENT_TYPE);
  const decode: Record<typeof kind, (payload: Uint8Array) => unknown[]> = {
    periodic: (b) => fromBinary(PeriodicDataListSchema, b).periodicData.map((m) => toJson(PeriodicDataSchema, m)),
    timestamped: (b) =>
      fromBinary(TimestampedDataListSchema, b).timestampedData.map((m) => toJson(TimestampedDataSchema, m)),
    row: (b) => fromBinary(RowDataListSchema, b).rowData.map((m) => toJson(RowDataSchema, m)),
    events: (b) => fromBinary(EventsListSchema, b).events.map((m) => toJson(EventSchema, m)),
  };
  return r.chunks.flatMap((c) => decode[kind](c.payload)) as Body[];
}

const asJson = {
  periodic: (m: PeriodicInit) => toJson(PeriodicDataSchema, create(PeriodicDataSchema, m)),
  timestamped: (m: TimestampedInit) => toJson(TimestampedDataSchema, create(TimestampedDataSchema, m)),
  row: (m: RowInit) => toJson(RowDataSchema, create(RowDataSchema, m)),
  event: (m: EventInit) => toJson(EventSchema, create(EventSchema, m)),
};

/** A refused request: its status, a JSON `{detail, code}` whose detail matches. */
async function refused(
  rest: RtaRest,
  method: string,
  path: string,
  body: unknown,
  status: number,
  detail: RegExp,
  contentType?: string,
): Promise<Body> {
  const res = await rest.request(method, path, body, contentType);
  const text = await res.text();
  assert.equal(res.status, status, `${method} ${path}: ${text}`);
  assert.match(res.headers.get("content-type") ?? "", /^application\/json/);
  const json = JSON.parse(text);
  assert.match(json.detail, detail);
  if (status === 400 && json.code !== undefined) assert.equal(json.code, "BG_ERR_TELEMETRY_INVALID");
  if (status === 409) assert.equal(json.code, "BG_ERR_TELEMETRY_CONFLICT");
  return json;
}

// ---- tests -------------------------------------------------------------------------------------

describe("RTA ingest: configs", () => {
  let gw: Gw;
  let rest: RtaRest;

  before(async () => {
    gw = await startTestGateway();
    rest = new RtaRest(gw.url);
  });
  after(() => gw.close());

  it("publishes once (201), accepts the same content again (200), refuses other content (409)", async () => {
    const res = await rest.request("PUT", "/configs/rig.v1", TEST_CONFIG);
    assert.equal(res.status, 201);
    assert.equal(res.headers.get("location"), "/rta/v2/configs/rig.v1");
    assert.deepEqual(await res.json(), { identifier: "rig.v1", created: true });
    assert.deepEqual(await rest.json("PUT", "/configs/rig.v1", TEST_CONFIG, 200), {
      identifier: "rig.v1",
      created: false,
    });
    const changed = structuredClone(TEST_CONFIG);
    at(changed.Rig.channels).interval = 2_000_000;
    await refused(rest, "PUT", "/configs/rig.v1", changed, 409, /immutable/);
    // The published content stands.
    assert.deepEqual(JSON.parse(await (await rest.request("GET", "/configs/rig.v1")).text()), TEST_CONFIG);
  });

  it("refuses invalid configs with 400 naming the problem, and stores none of them", async () => {
    const channel = (c: object) => ({ App: { channels: [c] } });
    const cases: [string, unknown, RegExp][] = [
      [
        "no-interval",
        channel({ id: 0, name: "a", source: "periodic" }),
        /channels\.0\.interval.*periodic channels need an interval/,
      ],
      ["needless-interval", channel({ id: 0, name: "a", source: "row", interval: 5 }), /interval/],
      ["zero-interval", channel({ id: 0, name: "a", source: "periodic", interval: 0 }), /interval must be positive/],
      [
        "dup-channel",
        {
          App: {
            channels: [
              { id: 3, name: "a" },
              { id: 3, name: "b" },
            ],
          },
        },
        /channels\.1\.id.*duplicate channel 3/,
      ],
      ["bad-type", channel({ id: 0, name: "a", type: "f16" }), /channels\.0\.type/],
      ["bad-source", channel({ id: 0, name: "a", source: "sometimes" }), /channels\.0\.source/],
      ["no-name", channel({ id: 0 }), /channels\.0\.name/],
      ["neg-id", channel({ id: -1, name: "a" }), /channels\.0\.id/],
      [
        "dup-event",
        {
          App: {
            events: [
              { id: 1, code: "a" },
              { id: 1, code: "b" },
            ],
          },
        },
        /duplicate event 1/,
      ],
      ["bad-pri", { App: { events: [{ id: 1, code: "a", pri: "urgent" }] } }, /events\.0\.pri/],
      ["big-interval", channel({ id: 0, name: "a", source: "periodic", interval: 2 ** 60 }), /2\^53/],
      ["unknown-key", { App: { channels: [], colour: "red" } }, /colour|unrecognized/i],
      ["no-app", {}, /at least one app/],
      ["not-object", [1, 2], /./],
    ];
    for (const [id, config, detail] of cases) {
      const json = await refused(rest, "PUT", `/configs/${id}`, config, 400, detail);
      assert.equal(json.code, "BG_ERR_TELEMETRY_INVALID", id);
      await refused(rest, "GET", `/configs/${id}`, undefined, 404, new RegExp(id));
    }
    await refused(rest, "PUT", "/configs/empty", undefined, 400, /config/i);
    await refused(rest, "PUT", "/configs/not-json", Buffer.from("{nope"), 400, /JSON/);
    // A bad identifier (the path is a file name too).
    await refused(rest, "PUT", `/configs/${encodeURIComponent(".hidden")}`, TEST_CONFIG, 400, /identifier/);
    await refused(rest, "PUT", `/configs/${encodeURIComponent("a b")}`, TEST_CONFIG, 400, /identifier/);
    await refused(rest, "PUT", `/configs/${"x".repeat(129)}`, TEST_CONFIG, 400, /identifier/);
    // The interval as a string of digits is fine.
    const ok = { App: { channels: [{ id: 0, name: "a", source: "periodic", interval: "1000000" }] } };
    assert.deepEqual(await rest.json("PUT", "/configs/string-interval", ok, 201), {
      identifier: "string-interval",
      created: true,
    });
  });
});

describe("RTA ingest: sessions", () => {
  let gw: Gw;
  let rest: RtaRest;

  before(async () => {
    gw = await startTestGateway();
    rest = new RtaRest(gw.url);
    await rest.json("PUT", "/configs/rig", TEST_CONFIG, 201);
  });
  after(() => gw.close());

  it("creates a session: 201 with Location; an identity taken is 409", async () => {
    const res = await rest.request("POST", "/sessions", {
      identity: "s1",
      identifier: "Run 1",
      state: "waiting",
      configBindings: [{ identifier: "rig", channelOffset: 0 }],
      details: { driver: "A" },
      type: "test",
      quality: 0.5,
      group: "g",
    });
    assert.equal(res.status, 201);
    assert.equal(res.headers.get("location"), "/rta/v2/sessions/s1");
    const created: Body = await res.json();
    assert.equal(created.identity, "s1");
    assert.equal(created.state, "waiting");
    assert.equal(created.startTimestamp, undefined, "not started while waiting");
    assert.equal(created.version, 1);
    assert.deepEqual(
      [created.type, created.quality, created.group, created.details],
      ["test", 0.5, "g", { driver: "A" }],
    );
    assert.deepEqual(await rest.json("GET", "/sessions/s1", undefined, 200), created);

    await refused(rest, "POST", "/sessions", { identity: "s1", identifier: "again" }, 409, /s1.*exists/);
    assert.equal((await rest.json("GET", "/sessions/s1", undefined, 200)).identifier, "Run 1");

    // Without an identity, one is made up.
    const made = await rest.request("POST", "/sessions", { identifier: "anonymous run" });
    assert.equal(made.status, 201);
    const body: Body = await made.json();
    assert.match(body.identity, /^[0-9a-f-]{36}$/);
    assert.equal(made.headers.get("location"), `/rta/v2/sessions/${body.identity}`);
    assert.equal(body.state, "open");
    assert.ok(body.startTimestamp, "an open session has started");
  });

  it("refuses a binding to an unknown config (400) and bad bodies (400), creating nothing", async () => {
    await refused(
      rest,
      "POST",
      "/sessions",
      { identity: "s-unknown", identifier: "x", configBindings: [{ identifier: "nosuch", channelOffset: 0 }] },
      400,
      /nosuch/,
    );
    await refused(
      rest,
      "POST",
      "/sessions",
      {
        identity: "s-clash",
        identifier: "x",
        configBindings: [
          { identifier: "rig", channelOffset: 0 },
          { identifier: "rig", channelOffset: 2 },
        ],
      },
      400,
      /channel 2 is given twice/,
    );
    // Channel ids are uint32 with 0xFFFFFFFF kept back: an offset may not push one there.
    await rest.json("PUT", "/configs/top", { Top: { channels: [{ id: 0xffff, name: "t" }] } }, 201);
    const top = (channelOffset: number) => ({
      identifier: "x",
      configBindings: [{ identifier: "top", channelOffset }],
    });
    await refused(rest, "POST", "/sessions", { identity: "s-top", ...top(0xffff_0000) }, 400, /past 0xFFFFFFFE/);
    await refused(rest, "GET", "/sessions/s-top", undefined, 404, /s-top/);
    await rest.json("POST", "/sessions", { identity: "s-top", ...top(0xfffe_ffff) }, 201);
    const bad: [string, unknown, RegExp][] = [
      ["s-noname", { identity: "s-noname" }, /identifier/],
      ["s-extra", { identity: "s-extra", identifier: "x", colour: "red" }, /colour|unrecognized/i],
      ["s-closed", { identity: "s-closed", identifier: "x", state: "closed" }, /state/],
      ["s-quality", { identity: "s-quality", identifier: "x", quality: 2 }, /quality/],
      [
        "s-offset",
        { identity: "s-offset", identifier: "x", configBindings: [{ identifier: "rig", channelOffset: -1 }] },
        /channelOffset/,
      ],
      [
        "s-marker",
        { identity: "s-marker", identifier: "x", markers: [{ label: "l", startTime: 10, endTime: 5 }] },
        /endTime must not precede/,
      ],
      [
        "s-bigtime",
        {
          identity: "s-bigtime",
          identifier: "x",
          markers: [{ label: "l", startTime: 2 ** 60, endTime: `${2n ** 61n}` }],
        },
        /2\^53/,
      ],
    ];
    for (const [identity, body, detail] of bad) {
      await refused(rest, "POST", "/sessions", body, 400, detail);
      await refused(rest, "GET", `/sessions/${identity}`, undefined, 404, new RegExp(identity));
    }
    await refused(rest, "POST", "/sessions", { identity: "a b", identifier: "x" }, 400, /identity/);
    await refused(rest, "POST", "/sessions", { identity: "../up", identifier: "x" }, 400, /identity/);
    await refused(rest, "POST", "/sessions", Buffer.from("{"), 400, /JSON/);
    await refused(rest, "POST", "/sessions", Buffer.from("[]"), 400, /./);
  });

  it("moves state one way: waiting → open → closed; closed → open is 409", async () => {
    await rest.json("POST", "/sessions", { identity: "s2", identifier: "Run 2", state: "waiting" }, 201);
    const open = await rest.json("PATCH", "/sessions/s2", { state: "open" }, 200);
    assert.equal(open.state, "open");
    assert.equal(open.version, 2);
    assert.ok(open.startTimestamp);
    assert.equal(open.endTimestamp, undefined);
    const closed = await rest.json("PATCH", "/sessions/s2", { state: "closed" }, 200);
    assert.equal(closed.state, "closed");
    assert.equal(closed.version, 3);
    assert.equal(closed.startTimestamp, open.startTimestamp);
    assert.ok(closed.endTimestamp);
    assert.ok(Date.parse(closed.endTimestamp) >= Date.parse(closed.startTimestamp));

    await refused(rest, "PATCH", "/sessions/s2", { state: "open" }, 409, /closed to open/);
    await refused(rest, "PATCH", "/sessions/s2", { state: "waiting" }, 409, /closed/);
    const after = await rest.json("GET", "/sessions/s2", undefined, 200);
    assert.equal(after.state, "closed");
    assert.equal(after.version, 3);
    // open → waiting goes backwards too.
    await rest.json("POST", "/sessions", { identity: "s3", identifier: "Run 3" }, 201);
    await refused(rest, "PATCH", "/sessions/s3", { state: "waiting" }, 409, /open to waiting/);

    await refused(rest, "PATCH", "/sessions/nosuch", { state: "closed" }, 404, /nosuch/);
    await refused(rest, "PATCH", "/sessions/s3", { state: "finished" }, 400, /state/);
    await refused(rest, "PATCH", "/sessions/s3", { identity: "other" }, 400, /identity|unrecognized/i);
    await refused(rest, "PATCH", "/sessions/s3", Buffer.from("not json"), 400, /JSON/);
    assert.equal((await rest.json("GET", "/sessions/s3", undefined, 200)).version, 1);
  });

  it("adds markers in time order, replaces markers and details", async () => {
    const m = (label: string, start: bigint) => ({
      type: "lap",
      label,
      startTime: `${start}`,
      endTime: `${start + SEC}`,
    });
    await rest.json(
      "POST",
      "/sessions",
      { identity: "s4", identifier: "Run 4", details: { a: 1, b: "x" }, markers: [m("L2", T0 + 2n * SEC)] },
      201,
    );
    await rest.json("PATCH", "/sessions/s4", { addMarkers: [m("L3", T0 + 3n * SEC), m("L1", T0 + SEC)] }, 200);
    const res = await rest.request("GET", "/sessions/s4");
    const text = await res.text();
    const s = JSON.parse(text);
    assert.deepEqual(
      s.markers.map((x: Body) => x.label),
      ["L1", "L2", "L3"],
    );
    // Exact ns times, as JSON integers.
    assert.ok(text.includes(`"startTime":${T0 + SEC},"endTime":${T0 + 2n * SEC}`), text);

    const details = await rest.json("PATCH", "/sessions/s4", { details: { c: true } }, 200);
    assert.deepEqual(details.details, { c: true }, "details are replaced, not merged");
    assert.equal(details.markers.length, 3);
    const replaced = await rest.json("PATCH", "/sessions/s4", { markers: [m("Only", T0)], identifier: "Renamed" }, 200);
    assert.deepEqual(
      replaced.markers.map((x: Body) => x.label),
      ["Only"],
    );
    assert.equal(replaced.identifier, "Renamed");
    assert.deepEqual(replaced.details, { c: true });
    const both = await rest.json(
      "PATCH",
      "/sessions/s4",
      { markers: [m("B", T0 + SEC)], addMarkers: [m("A", T0)] },
      200,
    );
    assert.deepEqual(
      both.markers.map((x: Body) => x.label),
      ["A", "B"],
    );
    assert.deepEqual(await rest.json("GET", "/sessions/s4", undefined, 200), both);
  });

  it("binds more configs later, offsetting their channel ids", async () => {
    await rest.json("POST", "/sessions", { identity: "s5", identifier: "Run 5" }, 201);
    await refused(
      rest,
      "POST",
      "/sessions/s5/data/periodic",
      periodicBody(periodic(T0, [1])),
      400,
      /unknown channel 0/,
      PROTOBUF,
    );
    const bound = await rest.json(
      "PATCH",
      "/sessions/s5",
      { configBindings: [{ identifier: "rig", channelOffset: 0x100 }] },
      200,
    );
    assert.deepEqual(bound.configBindings, [{ identifier: "rig", channelOffset: 256 }]);
    await refused(
      rest,
      "POST",
      "/sessions/s5/data/periodic",
      periodicBody(periodic(T0, [1])),
      400,
      /unknown channel 0/,
      PROTOBUF,
    );
    const item = periodic(T0, [1, 2], { channelId: 0x100 });
    assert.deepEqual(await rest.json("POST", "/sessions/s5/data/periodic", periodicBody(item), 200, PROTOBUF), {
      stored: 1,
    });
    const r = await rest.read("/sessions/s5/data/periodic/100");
    assert.deepEqual([...(r.chunks[0]?.channelIds ?? [])], [0x100]);
    assert.deepEqual(await readAll(rest, "s5", "periodic"), [asJson.periodic(item)]);
    await refused(
      rest,
      "PATCH",
      "/sessions/s5",
      { configBindings: [{ identifier: "nosuch", channelOffset: 0 }] },
      400,
      /nosuch/,
    );
    await refused(
      rest,
      "PATCH",
      "/sessions/s5",
      { configBindings: [{ identifier: "rig", channelOffset: 0x101 }] },
      400,
      /given twice/,
    );
    assert.equal((await rest.json("GET", "/sessions/s5", undefined, 200)).configBindings.length, 1);
  });
});

describe("RTA ingest: data", () => {
  let gw: Gw;
  let rest: RtaRest;
  const MAX_BODY = 200_000;

  before(async () => {
    gw = await startTestGateway({ telemetry: { maxBodyBytes: MAX_BODY } });
    rest = new RtaRest(gw.url);
  });
  after(() => gw.close());

  it("stores protobuf writes of every kind and reads them back identical", async () => {
    await rest.session("pb");
    const p = [periodic(T0, [1.5, -2.25, 3e300]), periodic(T0 + 10n * MS, [4], { samples: 1 })];
    const t = [timestamped(T0, [0n, 2n, 5n], [0.5, 1, 1.5]), timestamped(T0 + SEC, [0n], [9])];
    const r = [row(T0, [2, 3], Buffer.concat([u16(1), u16(65535)])), row(T0 + MS, [3], u16(7))];
    const e = [lap(T0, { statusText: "first", rawData: [1, 2.5] }), lap(T0 + SEC, { statusText: "", rawData: [] })];
    assert.deepEqual(await rest.json("POST", "/sessions/pb/data/periodic", periodicBody(...p), 200, PROTOBUF), {
      stored: 2,
    });
    assert.deepEqual(await rest.json("POST", "/sessions/pb/data/timestamped", timestampedBody(...t), 200, PROTOBUF), {
      stored: 2,
    });
    assert.deepEqual(await rest.json("POST", "/sessions/pb/data/row", rowBody(...r), 200, PROTOBUF), { stored: 2 });
    assert.deepEqual(await rest.json("POST", "/sessions/pb/data/events", eventsBody(...e), 200, PROTOBUF), {
      stored: 2,
    });
    // Other protobuf content types are accepted too; an empty list stores nothing.
    assert.deepEqual(
      await rest.json(
        "POST",
        "/sessions/pb/data/periodic",
        periodicBody(periodic(T0 + 20n * MS, [5])),
        200,
        "application/octet-stream",
      ),
      { stored: 1 },
    );
    assert.deepEqual(await rest.json("POST", "/sessions/pb/data/row", rowBody(), 200, PROTOBUF), { stored: 0 });

    assert.deepEqual(await readAll(rest, "pb", "periodic"), [...p, periodic(T0 + 20n * MS, [5])].map(asJson.periodic));
    assert.deepEqual(await readAll(rest, "pb", "timestamped"), t.map(asJson.timestamped));
    assert.deepEqual(await readAll(rest, "pb", "row"), r.map(asJson.row));
    assert.deepEqual(await readAll(rest, "pb", "events"), e.map(asJson.event));
    const s = await (await rest.request("GET", "/sessions/pb")).text();
    assert.ok(s.includes(`"timeRange":{"startTime":${T0},"endTime":${T0 + SEC}}`), s);
  });

  it("stores JSON writes, with the values and timestamps conveniences, and reads them back identical", async () => {
    await rest.session("js");
    // proto3 JSON: int64 as strings of digits, bytes as base64.
    const pb64 = Buffer.from(encodeSamples("f64", [7, 8])).toString("base64");
    const periodicJson = {
      periodicData: [
        { channelId: 0, startTimestamp: `${T0}`, interval: "1000000", samples: 2, buffer: pb64 },
        { channelId: 0, startTimestamp: `${T0 + 10n * MS}`, interval: 1_000_000, values: [1.25, -3, 1e-9] },
      ],
    };
    assert.deepEqual(await rest.json("POST", "/sessions/js/data/periodic", periodicJson, 200), { stored: 2 });
    assert.deepEqual(await readAll(rest, "js", "periodic"), [
      asJson.periodic(periodic(T0, [7, 8])),
      asJson.periodic(periodic(T0 + 10n * MS, [1.25, -3, 1e-9])),
    ]);

    const times = [T0, T0 + 4n * MS, T0 + 10n * MS, T0 + 10n * MS];
    const timestampedJson = {
      timestampedData: [
        { channelId: 1, timestamps: times.map(String), values: [1, 2, 3, 4] },
        {
          channelId: 1,
          startTimestamp: `${T0 + SEC}`,
          timestampDeltasScale: "1000",
          timestampDeltas: [0, "3"],
          values: [0.5, 0.25],
        },
      ],
    };
    assert.deepEqual(await rest.json("POST", "/sessions/js/data/timestamped", timestampedJson, 200), { stored: 2 });
    const ts = await readAll(rest, "js", "timestamped");
    assert.equal(ts.length, 2);
    const first = fromJsonTimestamped(ts[0]);
    assert.equal(first.scale, 2n * MS, "the scale is the GCD of the steps");
    assert.deepEqual(first.times, times);
    assert.deepEqual(first.values, [1, 2, 3, 4]);
    const second = fromJsonTimestamped(ts[1]);
    assert.deepEqual(second.times, [T0 + SEC, T0 + SEC + 3000n]);
    assert.deepEqual(second.values, [0.5, 0.25]);

    const rowJson = {
      rowData: [
        { channelIds: [3, 2], timestamp: `${T0}`, values: [300, 200] },
        { channelIds: [2], timestamp: `${T0 + MS}`, buffer: Buffer.from(u16(9)).toString("base64") },
      ],
    };
    assert.deepEqual(await rest.json("POST", "/sessions/js/data/row", rowJson, 200), { stored: 2 });
    assert.deepEqual(await readAll(rest, "js", "row"), [
      asJson.row(row(T0, [3, 2], Buffer.concat([u16(300), u16(200)]))),
      asJson.row(row(T0 + MS, [2], u16(9))),
    ]);

    const eventsJson = {
      events: [
        { eventDefinitionId: 1, appName: "Rig", timestamp: `${T0}`, statusText: "json lap", rawData: [3.5, "NaN"] },
      ],
    };
    assert.deepEqual(
      await rest.json("POST", "/sessions/js/data/events", eventsJson, 200, "application/json; charset=utf-8"),
      {
        stored: 1,
      },
    );
    const events = await readAll(rest, "js", "events");
    assert.deepEqual(events, [asJson.event(lap(T0, { statusText: "json lap", rawData: [3.5, Number.NaN] }))]);
  });

  it("refuses bad writes with a clear 4xx and stores nothing of them", async () => {
    await rest.session("bad");
    // Each case writes into its own second of time; whatever it refuses must leave that second empty,
    // the valid items before the bad one included.
    let n = 0;
    const caseAt = () => T0 + BigInt(++n) * 10n * SEC;
    const nothingIn = async (start: bigint, what: string) => {
      for (const kind of ["periodic", "timestamped", "row", "events"] as const) {
        assert.deepEqual(await readAll(rest, "bad", kind, span(start, start + 10n * SEC - 1n)), [], `${what}: ${kind}`);
      }
    };
    const rangeBefore = (await rest.json("GET", "/sessions/bad", undefined, 200)).timeRange;
    const check = async (
      kind: "periodic" | "timestamped" | "row" | "events",
      body: (t: bigint) => unknown,
      status: number,
      detail: RegExp,
      contentType: string | undefined = PROTOBUF,
    ) => {
      const t = caseAt();
      await refused(rest, "POST", `/sessions/bad/data/${kind}`, body(t), status, detail, contentType);
      await nothingIn(t, detail.source);
    };

    // Periodic.
    await check(
      "periodic",
      (t) => periodicBody(periodic(t, [1]), periodic(t + MS, [2], { channelId: 99 })),
      400,
      /periodic\[1\]: unknown channel 99/,
    );
    await check(
      "periodic",
      (t) => periodicBody(periodic(t, [1]), periodic(t + 5n * MS, [2], { channelId: 1 })),
      400,
      /periodic\[1\]: channel 1 is a timestamped channel/,
    );
    await check(
      "periodic",
      (t) => periodicBody(periodic(t, [1]), periodic(t + 5n * MS, [2], { buffer: new Uint8Array(12), samples: 1 })),
      400,
      /periodic\[1\]: buffer of 12 bytes is not a whole number of f64 samples/,
    );
    await check(
      "periodic",
      (t) => periodicBody(periodic(t, [1]), periodic(t + 5n * MS, [2, 3, 4], { samples: 4 })),
      400,
      /periodic\[1\]: samples is 4 but the buffer holds 3/,
    );
    await check(
      "periodic",
      (t) => periodicBody(periodic(t, [1]), periodic(t + 5n * MS, [2], { interval: 2n * MS })),
      400,
      /periodic\[1\]: interval 2000000 ns differs/,
    );
    await check(
      "periodic",
      (t) => periodicBody(periodic(t, [1]), periodic(t + 5n * MS, [], { samples: 0 })),
      400,
      /periodic\[1\]: no samples/,
    );
    const big = Array.from({ length: 10_001 }, (_, i) => i);
    await check(
      "periodic",
      (t) => periodicBody(periodic(t, [1]), periodic(t + 5n * MS, big)),
      400,
      /periodic\[1\]: 10001 samples in one burst \(at most 10000\)/,
    );
    // A burst whose last sample is past int64.
    await check(
      "periodic",
      () => periodicBody(periodic(INT64_MAX - MS, [1, 2, 3])),
      400,
      /periodic\[0\]: .*past int64/,
    );
    // Timestamped.
    await check(
      "timestamped",
      (t) => timestampedBody(timestamped(t, [0n], [1]), timestamped(t + 5n * MS, [0n, 1n], [1, 2, 3])),
      400,
      /timestamped\[1\]: 2 timestamp deltas for 3 samples/,
    );
    await check(
      "timestamped",
      (t) => timestampedBody(timestamped(t, [0n], [1]), timestamped(t + 5n * MS, [1n, 1n], [1, 2])),
      400,
      /timestamped\[1\]: the first timestamp delta must be 0/,
    );
    await check(
      "timestamped",
      (t) => timestampedBody(timestamped(t, [0n], [1]), timestamped(t + 5n * MS, [0n, 2n, -1n], [1, 2, 3])),
      400,
      /timestamped\[1\]: timestamp deltas must not be negative/,
    );
    await check(
      "timestamped",
      (t) =>
        timestampedBody(
          timestamped(t, [0n], [1]),
          timestamped(t + 5n * MS, [0n, 1n], [1, 2], { timestampDeltasScale: 0n }),
        ),
      400,
      /timestamped\[1\]: timestamp_deltas_scale must be positive/,
    );
    await check(
      "timestamped",
      (t) => timestampedBody(timestamped(t, [0n], [1]), timestamped(t + 5n * MS, [0n], [1], { channelId: 0 })),
      400,
      /timestamped\[1\]: channel 0 is a periodic channel/,
    );
    await check(
      "timestamped",
      () => timestampedBody(timestamped(INT64_MAX - 10n, [0n, 1n], [1, 2], { timestampDeltasScale: 100n })),
      400,
      /timestamped\[0\]: .*past int64/,
    );
    assert.deepEqual(await readAll(rest, "bad", "periodic", span(INT64_MAX - SEC, INT64_MAX)), []);
    assert.deepEqual(await readAll(rest, "bad", "timestamped", span(INT64_MAX - SEC, INT64_MAX)), []);
    // Rows.
    await check(
      "row",
      (t) => rowBody(row(t, [2], u16(1)), row(t + MS, [2, 3], u16(1))),
      400,
      /row\[1\]: buffer of 2 bytes, but the row's channels take 4/,
    );
    await check(
      "row",
      (t) => rowBody(row(t, [2], u16(1)), row(t + MS, [2, 2], u16(1, 2))),
      400,
      /row\[1\]: channel 2 appears twice/,
    );
    await check(
      "row",
      (t) => rowBody(row(t, [2], u16(1)), row(t + MS, [], new Uint8Array())),
      400,
      /row\[1\]: a row names at least one channel/,
    );
    await check(
      "row",
      (t) => rowBody(row(t, [2], u16(1)), row(t + MS, [0], encodeSamples("f64", [1]))),
      400,
      /row\[1\]: channel 0 is a periodic channel/,
    );
    // Events.
    await check(
      "events",
      (t) => eventsBody(lap(t), lap(t + MS, { eventDefinitionId: 2 })),
      400,
      /events\[1\]: no event 2 is defined for app "Rig"/,
    );
    await check(
      "events",
      (t) => eventsBody(lap(t), lap(t + MS, { appName: "Other" })),
      400,
      /events\[1\]: no event 1 is defined for app "Other"/,
    );
    // Overlaps within one write: 409, nothing stored.
    await check(
      "periodic",
      (t) => periodicBody(periodic(t, [1, 2, 3]), periodic(t + 2n * MS, [4])),
      409,
      /periodic\[1\]: overlaps periodic\[0\] on channel 0/,
    );
    await check(
      "periodic",
      (t) => periodicBody(periodic(t + 2n * MS, [4]), periodic(t + 100n * MS, [5]), periodic(t, [1, 2, 3])),
      409,
      /overlaps/,
    );
    await check(
      "row",
      (t) => rowBody(row(t, [2], u16(1)), row(t, [3, 2], u16(1, 2))),
      409,
      /row\[1\]: overlaps row\[0\] on channel 2/,
    );
    await check(
      "timestamped",
      (t) => timestampedBody(timestamped(t, [0n, 10n], [1, 2]), timestamped(t + 10n * MS, [0n], [3])),
      409,
      /overlaps/,
    );

    // Overlaps with stored data: 409, and what was stored stays as it was.
    const t = caseAt();
    const stored = periodic(t, [1, 2, 3, 4, 5]);
    assert.deepEqual(await rest.json("POST", "/sessions/bad/data/periodic", periodicBody(stored), 200, PROTOBUF), {
      stored: 1,
    });
    for (const overlapping of [periodic(t + 4n * MS, [9]), periodic(t - 2n * MS, [9, 9, 9]), periodic(t, [9])]) {
      await refused(
        rest,
        "POST",
        "/sessions/bad/data/periodic",
        periodicBody(periodic(t + SEC, [0]), overlapping),
        409,
        /periodic\[1\]: channel 0 already has data/,
        PROTOBUF,
      );
    }
    assert.deepEqual(await readAll(rest, "bad", "periodic", span(t, t + 10n * SEC - 1n)), [asJson.periodic(stored)]);
    // The very next sample slot is free (bursts may touch), and out-of-order writes before it too.
    assert.deepEqual(
      await rest.json(
        "POST",
        "/sessions/bad/data/periodic",
        periodicBody(periodic(t + 5n * MS, [6]), periodic(t - MS, [0])),
        200,
        PROTOBUF,
      ),
      { stored: 2 },
    );
    const rowAt = caseAt();
    await rest.json("POST", "/sessions/bad/data/row", rowBody(row(rowAt, [2, 3], u16(1, 2))), 200, PROTOBUF);
    await refused(
      rest,
      "POST",
      "/sessions/bad/data/row",
      rowBody(row(rowAt, [3], u16(5))),
      409,
      /channel 3 already has data/,
      PROTOBUF,
    );
    assert.deepEqual(
      await rest.json("POST", "/sessions/bad/data/row", rowBody(row(rowAt + 1n, [3], u16(5))), 200, PROTOBUF),
      {
        stored: 1,
      },
    );

    // Bodies that are not what they claim.
    await check(
      "periodic",
      (t) => ({ periodicData: [{ channelId: 0, startTimestamp: `${t}`, interval: "1000000", values: [1] }] }),
      400,
      /Content-Type/,
      "text/plain",
    );
    await check(
      "periodic",
      (t) => periodicBody(periodic(t, [1])),
      400,
      /Content-Type must be/,
      "application/x-www-form-urlencoded",
    );
    await check("periodic", () => Buffer.from([0x0a, 0x10, 0x01]), 400, /not a valid periodic list/);
    await check(
      "events",
      () => Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
      400,
      /not a valid events list/,
    );
    await check("periodic", () => Buffer.from("{not json"), 400, /not a valid periodic list/, "application/json");
    await check("periodic", () => ({ periodic: [] }), 400, /expected \{"periodicData"/, "application/json");
    await check(
      "periodic",
      (t) => ({ periodicData: [{ channelId: 0, startTimestamp: `${t}`, interval: "1000000", values: [1] }, 5] }),
      400,
      /item 1 is not an object/,
      "application/json",
    );
    await check(
      "periodic",
      (t) => ({ periodicData: [{ channelId: 0, startTimestmp: `${t}`, interval: "1000000", values: [1] }] }),
      400,
      /startTimestmp/,
      "application/json",
    );
    await check(
      "periodic",
      (t) => ({
        periodicData: [
          { channelId: 0, startTimestamp: `${t}`, interval: "1000000", values: [1] },
          { channelId: 0, startTimestamp: `${t + MS}`, interval: "1000000", values: [1, "2"] },
        ],
      }),
      400,
      /values must be an array of numbers/,
      "application/json",
    );
    await check(
      "row",
      (t) => ({
        rowData: [
          { channelIds: [2], timestamp: `${t}`, values: [1] },
          { channelIds: [2], timestamp: `${t + MS}`, values: [70000] },
        ],
      }),
      400,
      /not a u16 value/,
      "application/json",
    );
    await check(
      "periodic",
      (t) => ({
        periodicData: [
          { channelId: 0, startTimestamp: `${t}`, interval: "1000000", values: [1] },
          { channelId: 42, startTimestamp: `${t + MS}`, interval: "1000000", values: [1] },
        ],
      }),
      400,
      /unknown channel 42/,
      "application/json",
    );
    await check(
      "timestamped",
      (t) => ({ timestampedData: [{ channelId: 1, timestamps: [`${t}`, `${t - 1n}`], values: [1, 2] }] }),
      400,
      /before time 0/,
      "application/json",
    );
    // int64 given as a JSON number past 2^53 would be rounded: refused (sent as raw text).
    await check(
      "periodic",
      (t) =>
        Buffer.from(
          `{"periodicData":[{"channelId":0,"startTimestamp":"${t}","interval":"1000000","values":[1]},` +
            `{"channelId":0,"startTimestamp":${t + SEC},"interval":"1000000","values":[2]}]}`,
        ),
      400,
      /item 1 startTimestamp.*2\^53/,
      "application/json",
    );
    await check(
      "events",
      (t) => Buffer.from(`{"events":[{"eventDefinitionId":1,"appName":"Rig","timestamp":${t}}]}`),
      400,
      /timestamp.*2\^53/,
      "application/json",
    );
    await check(
      "timestamped",
      (t) => Buffer.from(`{"timestampedData":[{"channelId":1,"timestamps":["${t}",${t + 1n}],"values":[1,2]}]}`),
      400,
      /timestamps.*2\^53/,
      "application/json",
    );
    // Too large a body: 413.
    await check("periodic", () => new Uint8Array(MAX_BODY + 1), 413, /larger than 200000 bytes/);

    // The session's time range moved only with the writes that were accepted.
    const rangeAfter = (await rest.json("GET", "/sessions/bad", undefined, 200)).timeRange;
    assert.equal(rangeBefore, undefined);
    const text = await (await rest.request("GET", "/sessions/bad")).text();
    assert.ok(
      text.includes(`"timeRange":{"startTime":${t - MS},"endTime":${rowAt + 1n}}`),
      `${JSON.stringify(rangeAfter)} ${text}`,
    );
  });

  it("answers 413 to a body past maxBodyBytes sent without a length (chunked)", async () => {
    await rest.session("chunked");
    const piece = periodicBody(
      periodic(
        T0,
        Array.from({ length: 1000 }, (_, i) => i),
      ),
    );
    const pieces = Math.ceil((MAX_BODY + 1) / piece.length);
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ < pieces) controller.enqueue(piece);
        else controller.close();
      },
    });
    const res = await fetch(`${gw.url}/rta/v2/sessions/chunked/data/periodic`, {
      method: "POST",
      headers: { "content-type": PROTOBUF },
      body: stream,
      duplex: "half",
    } as RequestInit);
    assert.equal(res.status, 413);
    assert.match(((await res.json()) as Body).detail, /larger than/);
    assert.deepEqual(await readAll(rest, "chunked", "periodic"), []);
  });

  it("takes exactly 10000 samples in a burst, and a JSON int64 given exactly as a string", async () => {
    await rest.session("edge");
    const values = Array.from({ length: 10_000 }, (_, i) => i / 8);
    assert.deepEqual(
      await rest.json("POST", "/sessions/edge/data/periodic", periodicBody(periodic(T0, values)), 200, PROTOBUF),
      {
        stored: 1,
      },
    );
    const [m] = await readAll(rest, "edge", "periodic");
    assert.equal(m.samples, 10_000);
    assert.deepEqual([...decodeSamples("f64", Buffer.from(m.buffer, "base64"))], values);
    // A burst may end at int64's last ns (one past it is refused: see above), and a refused one
    // there first does not leave its span behind as covered.
    const late = timestamped(INT64_MAX - 100n, [0n, 1n], [1, 2], { timestampDeltasScale: 100n });
    await refused(
      rest,
      "POST",
      "/sessions/edge/data/timestamped",
      timestampedBody({ ...late, timestampDeltasScale: 101n }),
      400,
      /past int64/,
      PROTOBUF,
    );
    assert.deepEqual(await rest.json("POST", "/sessions/edge/data/timestamped", timestampedBody(late), 200, PROTOBUF), {
      stored: 1,
    });
    assert.deepEqual(await readAll(rest, "edge", "timestamped", span(INT64_MAX, INT64_MAX)), [
      asJson.timestamped(late),
    ]);
    const text = await (await rest.request("GET", "/sessions/edge")).text();
    assert.ok(text.includes(`"timeRange":{"startTime":${T0},"endTime":${INT64_MAX}}`), text);
    // 2^53 + 1 and friends, exactly.
    const exact = 9_007_199_254_740_993n;
    await rest.json(
      "POST",
      "/sessions/edge/data/events",
      Buffer.from(`{"events":[{"eventDefinitionId":1,"appName":"Rig","timestamp":"${exact}"}]}`),
      200,
      "application/json",
    );
    const [e] = await readAll(rest, "edge", "events");
    assert.equal(e.timestamp, `${exact}`);
    // A JSON number below 2^53 is fine too.
    await rest.json(
      "POST",
      "/sessions/edge/data/events",
      { events: [{ eventDefinitionId: 1, appName: "Rig", timestamp: 1234 }] },
      200,
    );
    assert.deepEqual(
      (await readAll(rest, "edge", "events")).map((x) => x.timestamp),
      ["1234", `${exact}`],
    );
  });

  it("refuses writes to an ended or unknown session", async () => {
    await rest.session("ended");
    await rest.json("POST", "/sessions/ended/data/periodic", periodicBody(periodic(T0, [1])), 200, PROTOBUF);
    await rest.json("PATCH", "/sessions/ended", { state: "closed" }, 200);
    for (const [kind, body] of [
      ["periodic", periodicBody(periodic(T0 + SEC, [2]))],
      ["timestamped", timestampedBody(timestamped(T0 + SEC, [0n], [1]))],
      ["row", rowBody(row(T0 + SEC, [2], u16(1)))],
      ["events", eventsBody(lap(T0 + SEC))],
    ] as const) {
      await refused(
        rest,
        "POST",
        `/sessions/ended/data/${kind}`,
        body,
        409,
        /ended is closed: it takes no more data/,
        PROTOBUF,
      );
    }
    assert.deepEqual(await readAll(rest, "ended", "periodic"), [asJson.periodic(periodic(T0, [1]))]);
    assert.deepEqual(await readAll(rest, "ended", "events"), []);
    await refused(
      rest,
      "POST",
      "/sessions/nosuch/data/periodic",
      periodicBody(periodic(T0, [1])),
      404,
      /nosuch/,
      PROTOBUF,
    );
    // A waiting session takes data.
    await rest.json(
      "POST",
      "/sessions",
      {
        identity: "waits",
        identifier: "w",
        state: "waiting",
        configBindings: [{ identifier: "ended-config", channelOffset: 0 }],
      },
      201,
    );
    assert.deepEqual(
      await rest.json("POST", "/sessions/waits/data/periodic", periodicBody(periodic(T0, [1])), 200, PROTOBUF),
      {
        stored: 1,
      },
    );
  });
});

describe("RTA ingest: a restart loses nothing", () => {
  let dataDir: string;

  before(() => {
    dataDir = mkdtempSync(join(tmpdir(), "beamgate-rta-restart-"));
  });
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it("reads back sessions, configs and data identically after a restart, and still refuses overlaps", async () => {
    const reads = [
      "/sessions",
      "/sessions/live",
      "/sessions/done",
      "/configs/live-config",
      "/sessions/live/data/periodic/0-",
      "/sessions/live/data/timestamped/1",
      "/sessions/live/data/row/2-3",
      "/sessions/live/data/events",
      `/sessions/live/data/periodic/0${span(T0 + 10n * MS, T0 + 30n * MS)}`,
      "/sessions/done/data/periodic/0",
      "/sessions/done/data/events",
    ];
    const snapshot = async (rest: RtaRest) => {
      const out: Record<string, { status: number; type: string | null; body: string }> = {};
      for (const path of reads) {
        const res = await rest.request("GET", path);
        out[path] = {
          status: res.status,
          type: res.headers.get("content-type"),
          body: Buffer.from(await res.arrayBuffer()).toString("base64"),
        };
      }
      return out;
    };

    const first = await startTestGateway({ dataDir });
    let before: Awaited<ReturnType<typeof snapshot>>;
    try {
      const rest = new RtaRest(first.url);
      await rest.session("live");
      await sleep(5); // distinct creation times: the list's order is theirs
      await rest.session("done");
      await rest.json(
        "PATCH",
        "/sessions/live",
        {
          details: { track: "Silverstone" },
          addMarkers: [{ label: "Out lap", startTime: `${T0}`, endTime: `${T0 + SEC}` }],
        },
        200,
      );
      // Several writes, so the log holds several frames.
      for (let i = 0n; i < 5n; i++) {
        await rest.json(
          "POST",
          "/sessions/live/data/periodic",
          periodicBody(periodic(T0 + i * 10n * MS, [Number(i), 0.5])),
          200,
          PROTOBUF,
        );
      }
      await rest.json(
        "POST",
        "/sessions/live/data/timestamped",
        timestampedBody(timestamped(T0, [0n, 7n], [1, 2])),
        200,
        PROTOBUF,
      );
      await rest.json("POST", "/sessions/live/data/row", rowBody(row(T0 + 3n, [2, 3], u16(4, 5))), 200, PROTOBUF);
      await rest.json("POST", "/sessions/live/data/events", eventsBody(lap(T0 + 77n)), 200, PROTOBUF);
      await rest.json(
        "POST",
        "/sessions/done/data/periodic",
        periodicBody(periodic(T0 - SEC, [1, 2, 3])),
        200,
        PROTOBUF,
      );
      await rest.json("POST", "/sessions/done/data/events", eventsBody(lap(T0 + 2n * SEC)), 200, PROTOBUF);
      await rest.json("PATCH", "/sessions/done", { state: "closed" }, 200);
      before = await snapshot(rest);
    } finally {
      await first.close();
    }
    // What was written is really there (not an empty snapshot compared with an empty one).
    assert.equal(before["/sessions/live"]?.status, 200);
    const live = Buffer.from(before["/sessions/live"]?.body ?? "", "base64").toString();
    assert.ok(live.includes(`"timeRange":{"startTime":${T0},"endTime":${T0 + 41n * MS}}`), live);
    const done = Buffer.from(before["/sessions/done"]?.body ?? "", "base64").toString();
    assert.ok(done.includes(`"timeRange":{"startTime":${T0 - SEC},"endTime":${T0 + 2n * SEC}}`), done);
    assert.ok((before["/sessions/live/data/periodic/0-"]?.body.length ?? 0) > 100);

    const second = await startTestGateway({ dataDir });
    try {
      const rest = new RtaRest(second.url);
      const after = await snapshot(rest);
      for (const path of reads) assert.deepEqual(after[path], before[path], path);
      assert.deepEqual(await readAll(rest, "live", "periodic", span(T0 + 20n * MS, T0 + 20n * MS)), [
        asJson.periodic(periodic(T0 + 20n * MS, [2, 0.5])),
      ]);

      // The overlap check knows the stored bursts: the same burst again is 409, the next one is taken.
      await refused(
        rest,
        "POST",
        "/sessions/live/data/periodic",
        periodicBody(periodic(T0 + 40n * MS, [4, 0.5])),
        409,
        /already has data/,
        PROTOBUF,
      );
      await refused(
        rest,
        "POST",
        "/sessions/live/data/row",
        rowBody(row(T0 + 3n, [3], u16(1))),
        409,
        /already has data/,
        PROTOBUF,
      );
      await refused(
        rest,
        "POST",
        "/sessions/live/data/timestamped",
        timestampedBody(timestamped(T0 + 7n * MS, [0n], [1])),
        409,
        /already has data/,
        PROTOBUF,
      );
      const next = periodic(T0 + 50n * MS, [5, 0.5]);
      assert.deepEqual(await rest.json("POST", "/sessions/live/data/periodic", periodicBody(next), 200, PROTOBUF), {
        stored: 1,
      });
      assert.equal((await readAll(rest, "live", "periodic")).length, 6);
      const s = await (await rest.request("GET", "/sessions/live")).text();
      assert.ok(s.includes(`"timeRange":{"startTime":${T0},"endTime":${T0 + 51n * MS}}`), s);
      // The closed session is still closed, its configs still immutable.
      await refused(
        rest,
        "POST",
        "/sessions/done/data/periodic",
        periodicBody(periodic(T0, [1])),
        409,
        /closed/,
        PROTOBUF,
      );
      await refused(rest, "PUT", "/configs/live-config", { Other: {} }, 409, /immutable/);
      await rest.json("PUT", "/configs/live-config", TEST_CONFIG, 200);
      await refused(rest, "POST", "/sessions", { identity: "live", identifier: "again" }, 409, /exists/);
    } finally {
      await second.close();
    }
  });
});

function fromJsonTimestamped(m: Body): { scale: bigint; times: bigint[]; values: number[] } {
  const scale = BigInt(m.timestampDeltasScale);
  const times = decodeTimestamps(BigInt(m.startTimestamp), scale, (m.timestampDeltas ?? []).map(BigInt));
  return { scale, times, values: [...decodeSamples("f32", Buffer.from(m.buffer, "base64"))] };
}
