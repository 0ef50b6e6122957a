/**
 * `/api/v1/device-socket` end to end: device files in a temporary folder, the in-process simulated
 * IOC over real Channel Access (motors whose puts complete on arrival), WebSocket clients speaking
 * ophyd-websocket, and `POST /api/v1/load-devices`.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { CaServer, ServerPv } from "@beamgate/epics-ca";
import { startTestGateway } from "../../helpers/gateway.js";
import { type Message, TestClient } from "../../helpers/ws-client.js";

type Gw = Awaited<ReturnType<typeof startTestGateway>>;

const DEVICES = [
  'm1: { kind: motor, prefix: "SIM:m1" }',
  'temp: { kind: signal-ro, read: "SIM:ai1" }',
  'knob: { kind: signal, read: "loc://knob(1)" }',
  "stage:",
  "  kind: device",
  "  components:",
  '    x: { kind: motor, prefix: "SIM:m2" }',
  '    gap: { kind: signal, read: "loc://gap(5)" }',
].join("\n");

const VALUE_KEYS = ["device", "signal", "value", "timestamp", "connected", "read_access", "write_access"];
const isValue = (device: string, signal: string) => (m: Message) =>
  m.device === device && m.signal === signal && m.sub_type === undefined;

describe("/api/v1/device-socket", () => {
  let dir: string;
  let file: string;
  let gw: Gw;
  let url: string;
  const clients: TestClient[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "beamgate-device-socket-"));
    file = join(dir, "beamline.yaml");
    writeFileSync(file, DEVICES);
    gw = await startTestGateway({ ca: { simIoc: "on", simIocPort: 0 }, ophyd: { startupDir: dir } }, {});
    url = `${gw.wsUrl}/api/v1/device-socket`;
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await gw.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const connect = async (): Promise<TestClient> => {
    const c = await TestClient.connect(url);
    clients.push(c);
    return c;
  };
  const loadDevices = async () => {
    const res = await fetch(`${gw.url}/api/v1/load-devices`, { method: "POST" });
    // biome-ignore lint/suspicious/noExplicitAny: the body is inspected field by field.
    return { status: res.status, body: (await res.json()) as any };
  };

  it("streams a motor: meta for every component, values of its readback, all with device and signal", async () => {
    const c = await connect();
    c.send({ action: "subscribe", device: "m1" });
    assert.deepEqual(await c.next((m) => m.message !== undefined), { message: "Subscribed to device m1" });
    const value = await c.next(isValue("m1", "m1_user_readback"), 5000);
    assert.deepEqual(Object.keys(value), VALUE_KEYS);
    assert.equal(value.connected, true);
    assert.equal(value.write_access, true, "the motor can be set (its setpoint is writable)");
    const metas = c.all.filter((m) => m.sub_type === "meta");
    assert.deepEqual(metas.map((m) => m.signal).sort(), [
      "m1_high_limit_travel",
      "m1_low_limit_travel",
      "m1_motor_done_move",
      "m1_motor_egu",
      "m1_motor_is_moving",
      "m1_motor_stop",
      "m1_user_readback",
      "m1_user_setpoint",
      "m1_velocity",
    ]);
    const setpoint = metas.find((m) => m.signal === "m1_user_setpoint");
    assert.deepEqual(Object.keys(setpoint).slice(-4), ["sub_type", "obj", "device", "signal"]);
    assert.equal(setpoint.obj, "m1");
    assert.equal(setpoint.units, "mm");
    assert.ok(
      !c.all.some((m) => m.sub_type === undefined && m.signal === "m1_velocity"),
      "only the readback streams values",
    );
  });

  it("sets a motor, answering once it has arrived, and checks its limits", async () => {
    const c = await connect();
    c.send({ action: "subscribe", device: "m1" });
    await c.next(isValue("m1", "m1_user_readback"), 5000);
    c.send({ action: "set", device: "m1", value: 100 });
    assert.deepEqual(await c.next((m) => m.error !== undefined), {
      error: "Value 100 is outside of limits for device m1. Low limit: -25.0, High limit: 25.0",
    });
    c.send({ action: "set", device: "m1", value: 0.3, timeout: 5 });
    assert.deepEqual(await c.next((m) => m.message?.startsWith("Successfully"), 6000), {
      message: "Successfully set m1 to 0.3",
    });
    const readbacks = c.all.filter(isValue("m1", "m1_user_readback")).map((m) => m.value);
    assert.equal(readbacks.at(-1), 0.3, "the readback arrived before the answer");
  });

  it("refuses bad requests with the real server's texts", async () => {
    const c = await connect();
    const error = async (message: unknown) => {
      c.send(message);
      return c.next((m) => m.error !== undefined || m.action !== undefined);
    };
    assert.deepEqual(await error({ action: "subscribe", device: "nosuch" }), {
      error: "Device 'nosuch' not found in device registry",
      available_devices: ["m1", "temp", "knob", "stage"],
    });
    assert.deepEqual(await error({ action: "subscribe", devices: ["temp", "ghost"] }), {
      action: "subscribe",
      subscribed: ["temp"],
      already_subscribed: [],
      failed: [{ device: "ghost", error: "not found in device registry" }],
    });
    assert.deepEqual(await error({ action: "subscribe" }), { error: "No device name(s) specified" });
    assert.deepEqual(await error({ action: "set", value: 1 }), { error: "No device name specified" });
    assert.deepEqual(await error({ action: "set", device: "knob", value: 1 }), {
      error: "Device knob is not subscribed. Subscribe to device before setting value.",
    });
    assert.deepEqual(await error({ action: "set", device: "temp", value: 1 }), {
      error: "Device temp cannot be set: a signal-ro has no setpoint",
    });
    assert.match(
      (await error({ action: "bogus" })).error,
      /^Received action: bogus, .* Example msg: \{action: 'subscribe', device: 'motor1'\}$/,
    );
  });

  it("streams every leaf of a composite device, connected as a whole, and sets a plain signal", async () => {
    const c = await connect();
    c.send({ action: "subscribe", devices: ["stage", "knob"] });
    await c.next((m) => m.action === "subscribe");
    const x = await c.next(isValue("stage", "stage_x_user_readback"), 5000);
    const gap = await c.next(isValue("stage", "stage_gap"), 5000);
    assert.equal(gap.value, 5);
    assert.ok(x.connected && gap.connected, "first frames wait until the whole device is connected");
    assert.equal(gap.write_access, false, "a composite device has no setpoint of its own");
    c.send({ action: "set", device: "knob", value: "2.5" });
    assert.deepEqual(await c.next((m) => m.message !== undefined), { message: "Successfully set knob to 2.5" });
    assert.equal((await c.next((m) => isValue("knob", "knob")(m) && m.value === 2.5)).value, 2.5);
  });

  it("reloads the device files: live subscriptions move to the new definitions or end with a message", async () => {
    const c = await connect();
    c.send({ action: "subscribe", devices: ["knob", "temp"] });
    await c.next(isValue("knob", "knob"), 5000);
    await c.next(isValue("temp", "temp"), 5000);

    writeFileSync(
      file,
      `${DEVICES}\n`.replace('read: "loc://knob(1)"', 'read: "loc://knob2(7)"').replace(/temp:.*\n/, ""),
    );
    const { status, body } = await loadDevices();
    assert.equal(status, 200);
    assert.equal(body.success, true);
    assert.equal(body.message, "Successfully loaded 3 devices from startup directory");
    assert.deepEqual(body.devices_loaded, ["m1", "knob", "stage"]);
    assert.equal(body.previous_device_count, 4);
    assert.equal(body.new_device_count, 3);
    assert.deepEqual([body.changed, body.removed], [["knob"], ["temp"]]);

    assert.equal((await c.next((m) => isValue("knob", "knob")(m) && m.value === 7, 5000)).value, 7);
    assert.deepEqual(await c.next((m) => m.error !== undefined), {
      error: "Device 'temp' not found in device registry: unsubscribed after the reload",
    });
    c.send({ action: "set", device: "knob", value: 8 });
    await c.next((m) => m.message === "Successfully set knob to 8");
  });

  it("keeps the old registry when a file has an error, and says where", async () => {
    writeFileSync(file, 'm1: { kind: motor, prefix: "SIM:m1" }\nbroken: { kind: motor }\n');
    const { status, body } = await loadDevices();
    assert.equal(status, 500);
    assert.equal(body.error, "Failed to load devices");
    assert.match(body.message, /beamline\.yaml: broken\.prefix: /);
    assert.deepEqual(gw.devices.names, ["m1", "knob", "stage"], "the registry is as it was");
    const res = await fetch(`${gw.url}/api/v1/load-devices`);
    assert.equal(res.status, 405);
  });

  it("answers load-devices with 400 when no startup directory was given, and refuses to start on a bad file", async () => {
    const plain = await startTestGateway();
    try {
      const res = await fetch(`${plain.url}/api/v1/load-devices`, { method: "POST" });
      assert.equal(res.status, 400);
      assert.equal(((await res.json()) as { error: string }).error, "No startup directory specified");
    } finally {
      await plain.close();
    }
    await assert.rejects(
      startTestGateway({ ophyd: { startupDir: file } }),
      /ophyd\.startupDir: .*beamline\.yaml: broken\.prefix/,
    );
  });
});

describe("/api/v1/device-socket connection state", () => {
  it("reports every disconnect and reconnect of a device's signals, and its value frames say the whole device's state", async () => {
    const pvs = new Map([
      ["D:x", new ServerPv({ base: "DOUBLE", value: Float64Array.of(1) })],
      ["D:y", new ServerPv({ base: "DOUBLE", value: Float64Array.of(2) })],
    ]);
    let server = new CaServer({ pvs, port: 0, beaconAddressList: [] });
    const { tcpPort, udpPort } = await server.listen();
    const dir = mkdtempSync(join(tmpdir(), "beamgate-device-state-"));
    writeFileSync(
      join(dir, "d.yaml"),
      "pair: { kind: device, components: { x: { kind: signal, read: D:x }, y: { kind: signal, read: D:y } } }\n",
    );
    const gw = await startTestGateway(
      { ophyd: { startupDir: dir } },
      { EPICS_CA_ADDR_LIST: `127.0.0.1:${udpPort}`, EPICS_CA_AUTO_ADDR_LIST: "NO" },
    );
    const c = await TestClient.connect(`${gw.wsUrl}/api/v1/device-socket`);
    const meta = (signal: string, connected: boolean) => (m: Message) =>
      m.sub_type === "meta" && m.signal === signal && m.connected === connected;
    try {
      c.send({ action: "subscribe", device: "pair" });
      assert.equal((await c.next(isValue("pair", "pair_x"), 5000)).connected, true);
      for (let round = 0; round < 2; round++) {
        c.inbox.length = 0; // only what follows each restart counts
        await server.close();
        await c.next(meta("pair_x", false), 5000);
        await c.next(meta("pair_y", false), 5000);
        server = new CaServer({ pvs, port: tcpPort, beaconAddressList: [] });
        await server.listen();
        await c.next(meta("pair_x", true), 8000);
        await c.next(meta("pair_y", true), 8000);
      }
      (pvs.get("D:x") as ServerPv).post(Float64Array.of(3));
      const value = await c.next((m) => isValue("pair", "pair_x")(m) && m.value === 3, 5000);
      assert.equal(value.connected, true, "connected again as a whole");
    } finally {
      await c.close();
      await gw.close();
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
