/**
 * `ca://` end to end: a real CA server (the epics-ca one) on loopback, the gateway's CA client, and
 * WebSocket clients of the native protocol and `/ws`.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { CaServer, ServerPv } from "@beamgate/epics-ca";
import { DEMO_LIMITS } from "../../helpers/ca-limits.js";
import { startTestGateway } from "../../helpers/gateway.js";
import { type Message, TestClient } from "../../helpers/ws-client.js";

type Gw = Awaited<ReturnType<typeof startTestGateway>>;

function makePvs(): Map<string, ServerPv> {
  return new Map([
    [
      "G:ai",
      new ServerPv({ base: "DOUBLE", value: Float64Array.of(1.5), units: "mm", precision: 3, limits: DEMO_LIMITS }),
    ],
    ["G:mode", new ServerPv({ base: "ENUM", value: Uint16Array.of(1), enumStrings: ["Off", "On"] })],
    ["G:wave", new ServerPv({ base: "LONG", value: Int32Array.of(1, 2, 3), maxCount: 10 })],
    ["G:ro", new ServerPv({ base: "DOUBLE", value: Float64Array.of(7), writable: false })],
    ["G:desc$", new ServerPv({ base: "CHAR", value: new TextEncoder().encode("a long description\0"), maxCount: 256 })],
    [
      "G:slow",
      new ServerPv({
        base: "DOUBLE",
        value: Float64Array.of(0),
        onWrite: (pv, value) =>
          new Promise<void>((resolve) =>
            setTimeout(() => {
              pv.post(value);
              resolve();
            }, 200),
          ),
      }),
    ],
  ]);
}

describe("ca:// through the gateway", () => {
  let server: CaServer;
  let pvs: Map<string, ServerPv>;
  let gw: Gw;
  let native: string;
  before(async () => {
    pvs = makePvs();
    server = new CaServer({ pvs, port: 0, beaconAddressList: [] });
    const { udpPort } = await server.listen();
    gw = await startTestGateway(
      { ca: { searchTimeoutMs: 300 } },
      { EPICS_CA_ADDR_LIST: `127.0.0.1:${udpPort}`, EPICS_CA_AUTO_ADDR_LIST: "NO" },
    );
    native = `${gw.wsUrl}/api/v1/stream/multi`;
  });
  after(async () => {
    await gw.close();
    await server.close();
  });

  const subscribe = async (topic: string): Promise<TestClient> => {
    const c = await TestClient.connect(native);
    await c.next((m: Message) => m.type === "connection_ack");
    c.send({ type: "subscribe", id: "s", topic });
    return c;
  };

  it("streams status, metadata from CTRL, and values with alarm and the IOC's time stamp", async () => {
    const c = await subscribe("ca://G:ai");
    const status = await c.next((m: Message) => m.type === "status" && m.connected);
    assert.deepEqual(status, { id: "s", type: "status", connected: true, read_access: true, write_access: true });
    const meta = await c.next((m: Message) => m.type === "meta");
    assert.equal(meta.dtype, "float64");
    assert.equal(meta.units, "mm");
    assert.equal(meta.precision, 3);
    assert.deepEqual(meta.display, { low: -10, high: 10 });
    assert.deepEqual(meta.control, { low: -5, high: 5 });
    assert.deepEqual(meta.alarm_limits, { lolo: -9, low: -8, high: 8, hihi: 9 });
    const first = await c.next((m: Message) => m.type === "data");
    assert.equal(first.value, 1.5);
    const stamp = Date.UTC(2026, 0, 2, 3, 4, 5, 678);
    pvs.get("G:ai")?.post(Float64Array.of(9.5), { status: 3, severity: 2 }, stamp);
    const next = await c.next((m: Message) => m.type === "data");
    assert.equal(next.value, 9.5);
    assert.equal(next.severity, 2);
    assert.equal(next.status, 3);
    assert.equal(next.timestamp, "2026-01-02T03:04:05.678000Z");
    pvs.get("G:ai")?.setProperties({ units: "um" });
    const changed = await c.next((m: Message) => m.type === "meta");
    assert.equal(changed.units, "um");
    await c.close();
  });

  it("gives enums with their labels, arrays with their length, long strings as strings", async () => {
    const e = await subscribe("ca://G:mode");
    assert.deepEqual((await e.next((m: Message) => m.type === "meta")).enum_labels, ["Off", "On"]);
    assert.equal((await e.next((m: Message) => m.type === "data")).value, 1);
    await e.close();
    const w = await subscribe("ca://G:wave");
    const wave = await w.next((m: Message) => m.type === "data");
    assert.deepEqual(wave.value, [1, 2, 3]);
    assert.equal(wave.dtype, "int32");
    await w.close();
    const d = await subscribe("ca://G:desc$");
    assert.equal((await d.next((m: Message) => m.type === "meta")).dtype, "string");
    assert.equal((await d.next((m: Message) => m.type === "data")).value, "a long description");
    await d.close();
  });

  it("puts with completion: the acknowledgement waits for the IOC", async () => {
    const c = await subscribe("ca://G:slow");
    await c.next((m: Message) => m.type === "data");
    const start = performance.now();
    c.send({ type: "put", id: "p", topic: "ca://G:slow", value: 4.25 });
    const ack = await c.next((m: Message) => m.id === "p");
    assert.equal(ack.type, "put_result");
    assert.equal(ack.status, "done", JSON.stringify(ack));
    assert.ok(performance.now() - start >= 180, "acknowledged on completion, not on sending");
    assert.equal((await c.next((m: Message) => m.type === "data" && m.value === 4.25)).value, 4.25);
    await c.close();
  });

  it("refuses a put to a PV without write access, and a value the PV cannot take", async () => {
    const c = await subscribe("ca://G:ro");
    const status = await c.next((m: Message) => m.type === "status" && m.connected);
    assert.equal(status.write_access, false);
    c.send({ type: "put", id: "ro", topic: "ca://G:ro", value: 1 });
    const refused = await c.next((m: Message) => m.id === "ro");
    assert.equal(refused.status, "refused");
    assert.equal(refused.code, "BG_ERR_PUT_READ_ONLY");
    c.send({ type: "put", id: "bad", topic: "ca://G:mode", value: "Sideways" });
    const bad = await c.next((m: Message) => m.id === "bad");
    assert.notEqual(bad.status, "done");
    assert.equal(bad.code, "BG_ERR_PUT_INVALID_VALUE", JSON.stringify(bad));
    assert.equal(pvs.get("G:mode")?.data.value[0], 1, "the value is unchanged");
    await c.close();
  });

  it("answers a name no IOC has with 'PV not found' on /ws and BG_ERR_TOPIC_NOT_FOUND natively", async () => {
    const c = await subscribe("ca://G:nobody");
    const error = await c.next((m: Message) => m.type === "error" || m.type === "unsubscribed");
    assert.equal(error.code, "BG_ERR_TOPIC_NOT_FOUND", JSON.stringify(error));
    await c.close();
    const ws = await TestClient.connect(`${gw.wsUrl}/ws`);
    ws.send({ action: "subscribe", pv_names: ["ca://G:nobody", "ca://G:ai"] });
    assert.deepEqual(await ws.next((m: Message) => m.type === "error"), {
      type: "error",
      message: "PV not found: ca://G:nobody",
    });
    await ws.close();
  });

  it("refuses a malformed name at once", async () => {
    const c = await subscribe("ca://has space");
    const error = await c.next((m: Message) => m.type === "error");
    assert.equal(error.code, "BG_ERR_TOPIC_INVALID");
    await c.close();
  });
});

describe("the in-process simulated IOC", () => {
  it("serves bare names as CA PVs by default", async () => {
    const gw = await startTestGateway({ ca: { simIoc: "on", simIocPort: 0 } }, {});
    try {
      assert.ok(gw.simIoc, "the simulated IOC runs");
      const c = await TestClient.connect(`${gw.wsUrl}/api/v1/stream/multi`);
      c.send({ type: "subscribe", id: "m", topic: "SIM:m1.RBV" });
      const meta = await c.next((m: Message) => m.type === "meta");
      assert.equal(meta.topic, "ca://SIM:m1.RBV");
      assert.equal(typeof (await c.next((m: Message) => m.type === "data")).value, "number");
      await c.close();
    } finally {
      await gw.close();
    }
  });
});
