/**
 * The ophyd-websocket REST routes over real HTTP: devices and PVs read and set through the
 * simulated IOC over Channel Access, and the queue-server check against a small HTTP server that
 * answers `/api/status` as the Bluesky Queue Server does.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { startTestGateway } from "../../helpers/gateway.js";
import { TestClient } from "../../helpers/ws-client.js";

type Gw = Awaited<ReturnType<typeof startTestGateway>>;
// biome-ignore lint/suspicious/noExplicitAny: bodies are inspected field by field.
type Body = any;

const DEVICES = [
  'm1: { kind: motor, prefix: "SIM:m1" }',
  'temp: { kind: signal-ro, read: "SIM:ai1" }',
  "stage:",
  "  kind: device",
  "  components:",
  '    x: { kind: motor, prefix: "SIM:m2" }',
].join("\n");

/** What the fake queue server answers, and the Authorization headers it saw. */
const queue = {
  status: { manager_state: "idle", running_item_uid: null } as Record<string, unknown>,
  auth: [] as string[],
};

function startQueueServer(): Promise<Server> {
  const server = createServer((req, res) => {
    queue.auth.push(String(req.headers.authorization));
    if (req.url !== "/api/status") return void res.writeHead(404).end();
    if (req.headers.authorization !== "Apikey secret") return void res.writeHead(401).end('{"detail":"nope"}');
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(queue.status));
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

describe("ophyd-websocket REST routes", () => {
  let dir: string;
  let gw: Gw;
  let qserver: Server;

  const call = async (
    method: string,
    path: string,
    body?: unknown,
    on = gw,
  ): Promise<{ status: number; body: Body }> => {
    const res = await fetch(`${on.url}${path}`, {
      method,
      ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { "content-type": "application/json" } }),
    });
    return { status: res.status, body: await res.json() };
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "beamgate-rest-"));
    writeFileSync(join(dir, "devices.yaml"), DEVICES);
    qserver = await startQueueServer();
    gw = await startTestGateway(
      {
        ca: { simIoc: "on", simIocPort: 0 },
        ophyd: { startupDir: dir, connectTimeoutMs: 500 },
        queueServer: { httpHost: "127.0.0.1", httpPort: (qserver.address() as AddressInfo).port, apiKey: "secret" },
      },
      {},
    );
  });
  after(async () => {
    await gw.close();
    qserver.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("lists and describes devices, read now", async () => {
    assert.deepEqual((await call("GET", "/api/v1/devices")).body, {
      devices: ["m1", "temp", "stage"],
      count: 3,
      message: "Found 3 devices in registry",
    });
    const { status, body } = await call("GET", "/api/v1/devices/m1");
    assert.equal(status, 200);
    assert.equal(body.name, "m1");
    assert.equal(body.type, "EpicsMotor");
    assert.equal(body.class, "ophyd.epics_motor.EpicsMotor");
    assert.equal(body.prefix, "SIM:m1");
    assert.equal(body.connected, true);
    assert.equal(body.description.m1_user_readback.source, "PV:SIM:m1.RBV");
    assert.equal(body.description.m1_user_readback.units, "mm");
    assert.equal(typeof body.values.m1_user_readback.value, "number");
    assert.deepEqual((await call("GET", "/api/v1/devices/nosuch")).body, {
      error: "Device 'nosuch' not found in registry",
    });
    const info = (await call("GET", "/api/v1/devices-info")).body;
    assert.equal(info.count, 3);
    assert.equal(info.devices.temp.type, "EpicsSignalRO");
  });

  it("sets devices and components, with the real server's answers and errors", async () => {
    const put = (body: unknown) => call("PUT", "/api/v1/devices", body);
    const missing = await put({ device: "m1" });
    assert.equal(missing.status, 422);
    assert.deepEqual(missing.body.detail[0].loc, ["body", "set_value"]);
    assert.deepEqual(await put({ device: "ghost", set_value: 1 }), {
      status: 404,
      body: { error: "Device 'ghost' not found in registry", available_devices: ["m1", "temp", "stage"] },
    });
    assert.deepEqual(await put({ device: "stage", set_value: 1, component: "y" }), {
      status: 400,
      body: { error: "Component 'y' not found on device 'stage'", device_type: "Device" },
    });
    assert.deepEqual(await put({ device: "temp", set_value: 1 }), {
      status: 400,
      body: { error: "Target 'temp' does not support set operations", target_type: "EpicsSignalRO" },
    });
    assert.deepEqual(await put({ device: "m1", set_value: 0.2, timeout: 5 }), {
      status: 200,
      body: {
        success: true,
        message: "Successfully set m1 to 0.2 (with timeout 5s)",
        device: "m1",
        component: null,
        value: 0.2,
        timeout: 5,
      },
    });
    assert.equal((await call("GET", "/api/v1/devices/m1")).body.values.m1_user_readback.value, 0.2);
    const initiated = await put({ device: "stage", component: "x", set_value: 0.1 });
    assert.equal(initiated.status, 200);
    assert.equal(initiated.body.message, "Set operation initiated for stage.x to 0.1");
    assert.equal(initiated.body.note, "No timeout specified - operation may complete asynchronously");
    const failed = await put({ device: "m1", set_value: "not a number", timeout: 2 });
    assert.equal(failed.status, 500);
    assert.equal(failed.body.error, "Failed to set m1");
  });

  it("connects, lists, reads and sets PVs", async () => {
    assert.deepEqual(await call("GET", "/api/v1/pvs"), { status: 404, body: { "404 Error": "No devices found" } });
    assert.deepEqual(await call("POST", "/api/v1/pvs/SIM:ai1"), {
      status: 201,
      body: { "201": "PV SIM:ai1 is connected" },
    });
    assert.deepEqual(await call("POST", "/api/v1/pvs/SIM:ai1"), {
      status: 409,
      body: { "409 Error": "PV SIM:ai1 already exists, duplicate connections not allowed" },
    });
    assert.deepEqual(await call("POST", "/api/v1/pvs/SIM:ghost"), {
      status: 408,
      body: { "408 Error": "Device SIM:ghost is not connected" },
    });
    assert.deepEqual((await call("GET", "/api/v1/pvs")).body, { "PV List": ["SIM:ai1"] });
    const read = (await call("GET", "/api/v1/pvs/SIM%3Aai1")).body;
    assert.equal(typeof read["SIM:ai1"].value, "number");
    assert.ok(read["SIM:ai1"].timestamp > 1.7e9);
    assert.deepEqual(await call("GET", "/api/v1/pvs/SIM:nothing"), {
      status: 404,
      body: { "404 Error": "PV SIM:nothing not found" },
    });
    assert.deepEqual(await call("PUT", "/api/v1/pvs", { pv: "SIM:m3", set_value: "0.05", timeout: 5 }), {
      status: 200,
      body: { "200": "Instruction accepted, set value of SIM:m3 to 0.05." },
    });
    assert.equal((await call("PUT", "/api/v1/pvs", { pv: "SIM:m3" })).status, 422);
  });

  it("refuses sets while the queue server runs a plan, over REST and over both sockets", async () => {
    queue.status = { manager_state: "executing_queue", running_item_uid: "abc-123" };
    try {
      const blocked = {
        error: "Device operation blocked - Queue server is currently running an experiment",
        running_item_uid: "abc-123",
        manager_state: "executing_queue",
        message: "Cannot modify device values while an experiment is running. Wait for the current item to complete.",
      };
      assert.deepEqual(await call("PUT", "/api/v1/devices", { device: "m1", set_value: 1 }), {
        status: 423,
        body: { detail: blocked },
      });
      assert.deepEqual(await call("PUT", "/api/v1/pvs", { pv: "SIM:m3", set_value: 1 }), {
        status: 423,
        body: { detail: blocked },
      });
      assert.ok(
        queue.auth.every((a) => a === "Apikey secret"),
        "the API key goes in `Authorization: Apikey KEY`",
      );
      const pv = await TestClient.connect(`${gw.wsUrl}/api/v1/pv-socket`);
      pv.send({ action: "subscribe", pv: "SIM:m4" });
      await pv.next((m) => m.pv === "SIM:m4" && m.sub_type === undefined, 5000);
      pv.send({ action: "set", pv: "SIM:m4", value: 150 });
      assert.deepEqual(await pv.next((m) => m.error !== undefined), blocked);
      await pv.close();
      const device = await TestClient.connect(`${gw.wsUrl}/api/v1/device-socket`);
      device.send({ action: "subscribe", device: "m1" });
      await device.next((m) => m.signal === "m1_user_readback" && m.sub_type === undefined, 5000);
      device.send({ action: "set", device: "m1", value: 1 });
      assert.deepEqual(await device.next((m) => m.error !== undefined), blocked);
      await device.close();
      queue.status = { manager_state: "paused", running_item_uid: null };
      assert.deepEqual((await call("PUT", "/api/v1/pvs", { pv: "SIM:m3", set_value: 1 })).body.detail, {
        error: "Device operation blocked - Queue server state is 'paused'",
        manager_state: "paused",
        message: "Cannot modify device values while queue server is in a running or paused state.",
      });
      assert.deepEqual((await call("GET", "/api/v1/queue-server/status")).body, queue.status);
    } finally {
      queue.status = { manager_state: "idle", running_item_uid: null };
    }
  });

  it("lets sets through an unreachable queue server unless it is required, and reports a wrong key", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", () => resolve()));
    const port = (closed.address() as AddressInfo).port;
    closed.close();
    const lenient = await startTestGateway({ queueServer: { httpHost: "127.0.0.1", httpPort: port } });
    const strict = await startTestGateway({ queueServer: { httpHost: "127.0.0.1", httpPort: port, required: true } });
    const wrongKey = await startTestGateway({
      queueServer: { httpHost: "127.0.0.1", httpPort: (qserver.address() as AddressInfo).port, apiKey: "wrong" },
    });
    try {
      const body = { pv: "loc://rest(1)", set_value: 2 };
      assert.equal((await call("PUT", "/api/v1/pvs", body, lenient)).status, 200);
      assert.deepEqual(await call("PUT", "/api/v1/pvs", body, strict), {
        status: 503,
        body: { detail: `Could not connect to queue server at http://127.0.0.1:${port}: Connection refused` },
      });
      assert.deepEqual(await call("PUT", "/api/v1/pvs", body, wrongKey), {
        status: 401,
        body: { detail: "Authentication failed - check QSERVER_HTTP_SERVER_SINGLE_USER_API_KEY" },
      });
      assert.equal((await call("GET", "/api/v1/queue-server/status", undefined, strict)).status, 503);
    } finally {
      await Promise.all([lenient.close(), strict.close(), wrongKey.close()]);
    }
  });

  it("catalogues the WebSockets", async () => {
    const { body } = await call("GET", "/api/v1/websockets");
    assert.equal(body.websockets.pv_socket.endpoint, "/api/v1/pv-socket");
    assert.equal(body.websockets.device_socket.endpoint, "/api/v1/device-socket");
    assert.equal(body.websockets.qs_console_socket.endpoint, "/api/v1/qs-console-socket");
    assert.match(body.websockets.pv_socket.example_url, /^ws:\/\/127\.0\.0\.1:\d+\/api\/v1\/pv-socket$/);
  });
});
