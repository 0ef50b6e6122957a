/**
 * `/api/v1/pv-socket` end to end: a real CA server on loopback, the gateway's CA client, and
 * WebSocket clients speaking ophyd-websocket. Messages and error texts are the golden ones of
 * specs/ophyd-websocket.md.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { CaServer, ServerPv } from "@beamgate/epics-ca";
import { DEMO_LIMITS } from "../../helpers/ca-limits.js";
import { startTestGateway } from "../../helpers/gateway.js";
import { type Message, TestClient } from "../../helpers/ws-client.js";

type Gw = Awaited<ReturnType<typeof startTestGateway>>;

const SLOW_WRITE_MS = 400;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function makePvs(): Map<string, ServerPv> {
  return new Map([
    [
      "T:ao",
      new ServerPv({ base: "DOUBLE", value: Float64Array.of(1.5), units: "mm", precision: 3, limits: DEMO_LIMITS }),
    ],
    ["T:free", new ServerPv({ base: "DOUBLE", value: Float64Array.of(0) })],
    ["T:mode", new ServerPv({ base: "ENUM", value: Uint16Array.of(1), enumStrings: ["Out", "In"] })],
    ["T:ro", new ServerPv({ base: "DOUBLE", value: Float64Array.of(7), writable: false })],
    ["T:wave", new ServerPv({ base: "DOUBLE", value: Float64Array.of(1.5, Number.NaN, 3), maxCount: 8 })],
    ["T:text", new ServerPv({ base: "CHAR", value: new TextEncoder().encode("hello\0\0\0"), maxCount: 8 })],
    [
      "T:slow",
      new ServerPv({
        base: "DOUBLE",
        value: Float64Array.of(0),
        onWrite: async (pv, value) => {
          await sleep(SLOW_WRITE_MS);
          pv.post(value);
        },
      }),
    ],
  ]);
}

const META_KEYS = [
  "connected",
  "read_access",
  "write_access",
  "timestamp",
  "status",
  "severity",
  "precision",
  "setpoint_timestamp",
  "setpoint_status",
  "setpoint_severity",
  "lower_ctrl_limit",
  "upper_ctrl_limit",
  "units",
  "enum_strs",
  "setpoint_precision",
  "sub_type",
  "obj",
  "pv",
];
const VALUE_KEYS = ["pv", "value", "timestamp", "connected", "read_access", "write_access"];

const isMeta = (pv: string) => (m: Message) => m.sub_type === "meta" && m.pv === pv;
const isValue = (pv: string) => (m: Message) => m.pv === pv && m.sub_type === undefined;

describe("/api/v1/pv-socket", () => {
  let server: CaServer;
  let pvs: Map<string, ServerPv>;
  let tcpPort: number;
  let gw: Gw;
  let url: string;
  const clients: TestClient[] = [];

  before(async () => {
    pvs = makePvs();
    server = new CaServer({ pvs, port: 0, beaconAddressList: [] });
    const ports = await server.listen();
    tcpPort = ports.tcpPort;
    gw = await startTestGateway(
      { ca: { searchTimeoutMs: 300 }, hub: { lingerMs: 0 }, ophyd: { retryNotFoundMs: 200 } },
      { EPICS_CA_ADDR_LIST: `127.0.0.1:${ports.udpPort}`, EPICS_CA_AUTO_ADDR_LIST: "NO" },
    );
    url = `${gw.wsUrl}/api/v1/pv-socket`;
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await gw.close();
    await server.close();
  });

  const connect = async (): Promise<TestClient> => {
    const c = await TestClient.connect(url);
    clients.push(c);
    return c;
  };

  it("answers a fresh subscribe with the reply, then meta, then value, in the real server's key order", async () => {
    const c = await connect();
    c.send({ action: "subscribe", pv: "T:ao" });
    await c.next(isValue("T:ao"));
    const [reply, meta, value] = c.all;
    assert.deepEqual(reply, { message: "Subscribed to T:ao" });
    assert.deepEqual(Object.keys(meta), META_KEYS);
    assert.deepEqual(
      { ...meta, timestamp: 0 },
      {
        connected: true,
        read_access: true,
        write_access: true,
        timestamp: 0,
        status: 0,
        severity: 0,
        precision: 3,
        setpoint_timestamp: null,
        setpoint_status: null,
        setpoint_severity: null,
        lower_ctrl_limit: -5,
        upper_ctrl_limit: 5,
        units: "mm",
        enum_strs: null,
        setpoint_precision: null,
        sub_type: "meta",
        obj: "T:ao",
        pv: "T:ao",
      },
    );
    assert.deepEqual(Object.keys(value), VALUE_KEYS);
    assert.equal(value.value, 1.5);
    assert.equal(value.connected, true);
    assert.ok(Math.abs(value.timestamp - Date.now() / 1000) < 60, "epoch seconds, from the IOC's stamp");
    assert.equal(meta.timestamp, value.timestamp);
  });

  it("re-sends the cached meta and value on a duplicate subscribe, and counts holders per socket", async () => {
    const c = await connect();
    c.send({ action: "subscribe", pv: "T:free" });
    await c.next((m) => m.message === "Subscribed to T:free");
    await c.next(isMeta("T:free"));
    await c.next(isValue("T:free"));
    c.send({ action: "subscribe", pv: "T:free" });
    assert.deepEqual(await c.next((m) => m.message !== undefined), { message: "Already subscribed to T:free" });
    await c.next(isMeta("T:free"));
    await c.next(isValue("T:free"));

    c.send({ action: "unsubscribe", pv: "T:free" });
    assert.deepEqual(await c.next((m) => m.message !== undefined), { message: "Unsubscribed from T:free" });
    (pvs.get("T:free") as ServerPv).post(Float64Array.of(2));
    assert.equal((await c.next(isValue("T:free"))).value, 2, "the other holder still gets values");

    c.send({ action: "unsubscribe", pv: "T:free" });
    assert.deepEqual(await c.next((m) => m.message !== undefined), { message: "Unsubscribed from T:free" });
    c.send({ action: "unsubscribe", pv: "T:free" });
    assert.deepEqual(await c.next((m) => m.message !== undefined), { message: "Not subscribed to T:free" });
    (pvs.get("T:free") as ServerPv).post(Float64Array.of(3));
    assert.deepEqual(await c.collect(300, isValue("T:free")), [], "no values after the last holder left");
  });

  it("never lets one socket's unsubscribe stop another socket's updates", async () => {
    const a = await connect();
    const b = await connect();
    for (const c of [a, b]) {
      c.send({ action: "subscribe", pv: "T:free" });
      await c.next(isValue("T:free"));
    }
    a.send({ action: "unsubscribe", pv: "T:free" });
    await a.next((m) => m.message === "Unsubscribed from T:free");
    (pvs.get("T:free") as ServerPv).post(Float64Array.of(4));
    assert.equal((await b.next((m) => isValue("T:free")(m) && m.value === 4)).value, 4);
  });

  it("answers the list forms with one summary each", async () => {
    const c = await connect();
    c.send({ action: "subscribe", pv: "T:ao" });
    await c.next((m) => m.message === "Subscribed to T:ao");
    c.send({ action: "subscribe", pvs: ["T:ao", "T:mode", "bad://x"] });
    const summary = await c.next((m) => m.action === "subscribe");
    assert.deepEqual(summary, {
      action: "subscribe",
      subscribed: ["T:mode"],
      already_subscribed: ["T:ao"],
      failed: [{ pv: "bad://x", error: 'Failed to connect to PV bad://x: Unknown scheme "bad" in bad://x' }],
    });
    await c.next(isValue("T:mode"));
    c.send({ action: "unsubscribe", pvs: ["T:mode", "T:nothing"] });
    assert.deepEqual(await c.next((m) => m.action === "unsubscribe"), {
      action: "unsubscribe",
      unsubscribed: ["T:mode"],
      not_subscribed: ["T:nothing"],
    });
  });

  it("sends enums as their index with labels in the meta, arrays as arrays (NaN as null), CHAR waveforms as strings", async () => {
    const c = await connect();
    c.send({ action: "subscribe", pvs: ["T:mode", "T:wave", "T:text"] });
    const mode = await c.next(isMeta("T:mode"));
    assert.equal(mode.precision, null);
    assert.equal(mode.units, null);
    assert.equal(mode.lower_ctrl_limit, null);
    assert.equal(mode.upper_ctrl_limit, null);
    assert.deepEqual(mode.enum_strs, ["Out", "In"]);
    assert.equal((await c.next(isValue("T:mode"))).value, 1);
    assert.deepEqual((await c.next(isValue("T:wave"))).value, [1.5, null, 3]);
    assert.equal((await c.next(isValue("T:text"))).value, "hello");
  });

  it("subscribeReadOnly: write_access false, no setpoint keys, and set refused", async () => {
    const c = await connect();
    c.send({ action: "subscribeReadOnly", pv: "T:ao" });
    const meta = await c.next(isMeta("T:ao"));
    assert.deepEqual(
      Object.keys(meta),
      META_KEYS.filter((k) => !k.startsWith("setpoint_")),
    );
    assert.equal(meta.write_access, false);
    assert.equal((await c.next(isValue("T:ao"))).write_access, false);
    c.send({ action: "set", pv: "T:ao", value: 1 });
    assert.deepEqual(await c.next((m) => m.error !== undefined), {
      error: "Write access is not enabled for PV T:ao. Cannot set value.",
    });
  });

  it("refuses bad input with the real server's texts, in its order", async () => {
    const c = await connect();
    const error = async (message: unknown) => {
      c.send(message);
      return (await c.next((m) => m.error !== undefined)).error;
    };
    assert.equal(await error("{not json"), "Invalid JSON format");
    assert.equal(await error("[1,2]"), "Invalid message: expected a JSON object with an action");
    const actions =
      "actions must be 'subscribe', 'unsubscribe', 'refresh', 'subscribeSafely', 'subscribeReadOnly', or 'set'. " +
      "Example msg: {action: 'subscribe', pv: 'IOC:m1'}";
    assert.equal(await error({ action: "bogus", pv: "T:ao" }), `Received action: bogus, ${actions}`);
    assert.equal(await error({ pv: "T:ao" }), `Received action: None, ${actions}`);
    assert.equal(await error({ action: "subscribe" }), "No PV name(s) specified");
    assert.equal(await error({ action: "subscribe", pvs: [] }), "No PV name(s) specified");
    assert.equal(await error({ action: "unsubscribe" }), "No PV name(s) specified");
    assert.equal(await error({ action: "set", value: 1 }), "No PV specified");
    assert.equal(
      await error({ action: "set", pv: "T:ao", value: 1 }),
      "PV T:ao is not subscribed. Subscribe to PV before setting value.",
    );
    c.send({ action: "subscribe", pvs: ["T:ao", "T:ro", "T:wave"] });
    await c.next((m) => m.action === "subscribe");
    assert.equal(
      await error({ action: "set", pv: "T:ro", value: 1 }),
      "Write access is not enabled for PV T:ro. Cannot set value.",
    );
    assert.equal(
      await error({ action: "set", pv: "T:ao", value: null }),
      "Value must be a number. Could not set value of T:ao to None",
    );
    assert.equal(
      await error({ action: "set", pv: "T:ao", value: { nested: 1 } }),
      "Value must be a number. Could not set value of T:ao to {'nested': 1}",
    );
    assert.equal(
      await error({ action: "set", pv: "T:ao", value: [1, 2] }),
      "Value must be a number. Could not set value of T:ao to [1, 2]",
    );
    assert.equal(
      await error({ action: "set", pv: "T:ao", value: "1.2.3" }),
      "Value must be a number. Could not set value of T:ao to 1.2.3",
    );
    assert.equal(
      await error({ action: "set", pv: "T:ao", value: 1, timeout: "soon" }),
      "Timeout must be a number. Could not set value of T:ao to 1",
    );
    assert.equal(
      await error({ action: "set", pv: "T:ao", value: "1000" }),
      "Value 1000 is outside of limits for PV T:ao. Low limit: -5.0, High limit: 5.0",
    );
    assert.match(
      await error({ action: "set", pv: "T:ao", value: "not a number" }),
      /^Could not set value of T:ao to not a number: /,
    );
    // The socket is still usable after every error.
    c.send({ action: "refresh" });
    assert.deepEqual(await c.next((m) => m.message !== undefined), { message: "Refreshed all PVs" });
  });

  it("survives hostile values: deeply nested names and values are answered, never echoed whole", async () => {
    const c = await connect();
    const deep = `${"[".repeat(20_000)}${"]".repeat(20_000)}`;
    c.send(`{"action":"subscribe","pvs":[${deep}, "T:free", "T:free"]}`);
    assert.deepEqual(await c.next((m) => m.action === "subscribe"), {
      action: "subscribe",
      subscribed: ["T:free"],
      already_subscribed: [],
      failed: [{ pv: null, error: "A PV name must be a non-empty string" }],
    });
    c.send(`{"action":"set","pv":"T:free","value":${deep}}`);
    const { error } = await c.next((m) => m.error !== undefined);
    assert.match(error, /^Value must be a number\. Could not set value of T:free to \[\[\[/);
    assert.ok(error.length < 300, "the value is cut");
    c.send({ action: "refresh" });
    await c.next((m) => m.message === "Refreshed all PVs");
  });

  it("sets with completion: numeric strings become numbers, no ack, the value arrives as value frames", async () => {
    const c = await connect();
    c.send({ action: "subscribe", pv: "T:ao" });
    await c.next((m) => m.message === "Subscribed to T:ao");
    await c.next(isValue("T:ao"));
    c.send({ action: "set", pv: "T:ao", value: "-4.25", timeout: 2 });
    const frame = await c.next((m) => isValue("T:ao")(m) && m.value === -4.25);
    assert.equal(frame.connected, true);
    assert.deepEqual(await c.collect(200, (m) => m.error !== undefined || m.message !== undefined), []);
  });

  it("waits for a slow set without blocking the socket, and reports a set longer than its timeout as still in progress", async () => {
    const c = await connect();
    c.send({ action: "subscribe", pv: "T:slow" });
    await c.next(isValue("T:slow"));
    c.send({ action: "set", pv: "T:slow", value: 1, timeout: 2 });
    c.send({ action: "subscribe", pv: "T:free" });
    await c.next((m) => m.message === "Subscribed to T:free");
    assert.ok(!c.all.some((m) => isValue("T:slow")(m) && m.value === 1), "answered before the set completed");
    await c.next((m) => isValue("T:slow")(m) && m.value === 1, SLOW_WRITE_MS + 2000);

    c.send({ action: "set", pv: "T:slow", value: 2, timeout: 0.1 });
    assert.deepEqual(await c.next((m) => m.message?.startsWith("Set of")), {
      message: "Set of T:slow to 2 still in progress after 0.10 sec: the write was sent and its value frames follow",
    });
    await c.next((m) => isValue("T:slow")(m) && m.value === 2, SLOW_WRITE_MS + 2000);
  });

  it("subscribeSafely subscribes only what connects in time, without holding up other requests", async () => {
    const c = await connect();
    c.send({ action: "subscribeSafely", pv: "T:ghost", timeout: 0.5 });
    c.send({ action: "subscribe", pv: "T:mode" });
    await c.next((m) => m.message === "Subscribed to T:mode");
    assert.deepEqual(await c.next((m) => m.error !== undefined, 3000), {
      error: "Failed to connect to PV T:ghost: Failed to connect to T:ghost within 0.50 sec",
    });
    c.send({ action: "subscribeSafely", pvs: ["T:ro", "T:ghost"], timeout: 0.3 });
    assert.deepEqual(await c.next((m) => m.action === "subscribe", 3000), {
      action: "subscribe",
      subscribed: ["T:ro"],
      already_subscribed: [],
      failed: [
        { pv: "T:ghost", error: "Failed to connect to PV T:ghost: Failed to connect to T:ghost within 0.30 sec" },
      ],
    });
    c.send({ action: "set", pv: "T:ghost", value: 1 });
    assert.equal(
      (await c.next((m) => m.error !== undefined)).error,
      "PV T:ghost is not subscribed. Subscribe to PV before setting value.",
    );
  });

  it("reports a PV not found once, and picks it up when an IOC serves it later", async () => {
    const c = await connect();
    c.send({ action: "subscribe", pv: "T:late" });
    await c.next((m) => m.message === "Subscribed to T:late");
    assert.deepEqual(await c.next((m) => m.error !== undefined, 3000), {
      error: "Failed to connect to PV T:late: PV not found: T:late",
    });
    pvs.set("T:late", new ServerPv({ base: "DOUBLE", value: Float64Array.of(42) }));
    try {
      await c.next(isMeta("T:late"), 8000);
      assert.equal((await c.next(isValue("T:late"))).value, 42);
      assert.ok(!c.inbox.some((m) => m.error !== undefined), "reported once only");
    } finally {
      pvs.delete("T:late");
    }
  });

  it("reports a disconnect and a reconnect as meta frames, never a value frame saying disconnected", async () => {
    const c = await connect();
    c.send({ action: "subscribe", pv: "T:ao" });
    await c.next(isValue("T:ao"));
    await c.next(isMeta("T:ao"));
    await server.close();
    try {
      const down = await c.next(isMeta("T:ao"), 5000);
      assert.equal(down.connected, false);
    } finally {
      server = new CaServer({ pvs, port: tcpPort, beaconAddressList: [] });
      await server.listen();
    }
    const up = await c.next(isMeta("T:ao"), 8000);
    assert.equal(up.connected, true);
    await c.next(isValue("T:ao"));
    assert.ok(!c.all.some((m) => isValue("T:ao")(m) && m.connected === false));
  });

  it("leaves nothing behind when a socket closes mid-set, or after 50 page reloads of 100 PVs", async () => {
    const c = await connect();
    c.send({ action: "subscribe", pv: "T:slow" });
    await c.next(isValue("T:slow"));
    c.send({ action: "set", pv: "T:slow", value: 5, timeout: 2 });
    await c.close();
    const names = Array.from({ length: 100 }, (_, i) => `loc://reload${i}(${i})`);
    for (let i = 0; i < 50; i++) {
      const page = await TestClient.connect(url);
      for (const pv of names) page.send({ action: "subscribe", pv });
      await page.next((m) => m.pv === names[99] && m.sub_type === undefined);
      page.ws.terminate();
    }
    await Promise.all(clients.map((client) => client.close()));
    const deadline = Date.now() + SLOW_WRITE_MS + 3000;
    const monitors = () => [...pvs.values()].reduce((n, pv) => n + pv.listenerCount, 0);
    while ((gw.hub.topicCount > 0 || gw.server.connectionCount > 0 || monitors() > 0) && Date.now() < deadline) {
      await sleep(50);
    }
    assert.equal(gw.server.connectionCount, 0);
    assert.equal(gw.hub.topicCount, 0, "every topic closed once its last holder left");
    for (const [name, pv] of pvs) assert.equal(pv.listenerCount, 0, `${name}: no CA monitor left`);
  });
});
