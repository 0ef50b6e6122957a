/**
 * `/api/v1/camera-socket` end to end against the simulated areaDetector camera over real Channel
 * Access (the in-process simulated IOC): settings frames, JPEG frames, PV derivation and defaults,
 * setup errors, the per-client log toggle, colour modes and data types set through the camera's
 * PVs, one encoding per frame for many clients, and a client that stops reading.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import type { Socket } from "node:net";
import { after, before, describe, it } from "node:test";
import sharp from "sharp";
import { DEFAULT_LIMITS } from "../../../src/limits.js";
import { createLogger } from "../../../src/log.js";
import { type CameraSocketAdapter, cameraSocketProtocol } from "../../../src/protocols/ophyd/camera/adapter.js";
import type { Connection } from "../../../src/transport/connection.js";
import { HttpServer } from "../../../src/transport/http-server.js";
import { startTestGateway } from "../../helpers/gateway.js";
import { openSecurity } from "../../helpers/security.js";
import { CameraClient, type Received } from "./camera-client.js";

type Gw = Awaited<ReturnType<typeof startTestGateway>>;

const SOFT_LIMIT = 256 * 1024;
const DEFAULT_SETTINGS = '{"x": 640, "y": 480, "colorMode": "Mono", "dataType": "UInt8"}';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const hash = (b: Buffer) => createHash("sha1").update(b).digest("hex");

describe("/api/v1/camera-socket", () => {
  let gw: Gw;
  let camera: CameraSocketAdapter;
  let server: HttpServer;
  let url: string;
  const clients: CameraClient[] = [];

  before(async () => {
    gw = await startTestGateway({ ca: { simIoc: "on", simIocPort: 0 } }, {});
    const log = createLogger("silent");
    camera = cameraSocketProtocol(gw.hub, { initTimeoutMs: 500 }, log);
    // Small outbound limits, so that a client that stops reading lags within a second or two.
    const limits = { ...DEFAULT_LIMITS, outboundSoftLimitBytes: SOFT_LIMIT, outboundHardLimitBytes: 4 * SOFT_LIMIT };
    server = new HttpServer({ limits, log, adapters: [camera], routes: new Map(), ...(await openSecurity()) });
    const { port } = await server.listen("127.0.0.1", 0);
    url = `ws://127.0.0.1:${port}/api/v1/camera-socket`;
    // Acquire=1 completes when acquisition ends (never, in Continuous mode): not awaited.
    gw.hub.put("13SIM1:cam1:Acquire", 1, 600_000).catch(() => {});
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await server.close();
    await camera.stop();
    await gw.close();
  });

  const connect = async (init?: unknown): Promise<CameraClient> => {
    const c = await CameraClient.connect(url);
    clients.push(c);
    if (init !== undefined) c.send(init);
    return c;
  };
  const closeAll = async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await sleep(50);
  };
  const put = (name: string, value: number) => gw.hub.put(name, value, 5000);
  const feed = () => {
    const [only, ...rest] = camera.feeds.values();
    assert.ok(only && rest.length === 0, `one feed, not ${camera.feeds.size}`);
    return only;
  };
  const meta = async (jpeg: Buffer) => {
    const m = await sharp(jpeg).metadata();
    return { format: m.format, width: m.width, height: m.height, channels: m.channels };
  };
  const mean = async (jpeg: Buffer) => (await sharp(jpeg).stats()).channels[0]?.mean ?? Number.NaN;

  it("sends the settings frame, then JPEG frames of that size", async () => {
    const c = await connect({
      imageArray_PV: "13SIM1:image1:ArrayData",
      startX: "13SIM1:cam1:MinX",
      startY: "13SIM1:cam1:MinY",
      sizeX: "13SIM1:cam1:SizeX",
      sizeY: "13SIM1:cam1:SizeY",
      colorMode: "13SIM1:cam1:ColorMode",
      dataType: "13SIM1:cam1:DataType",
    });
    assert.equal((await c.nextText()).text, DEFAULT_SETTINGS);
    assert.deepEqual(await meta(await c.nextJpeg()), { format: "jpeg", width: 640, height: 480, channels: 1 });
    assert.deepEqual(await meta(await c.nextJpeg()), { format: "jpeg", width: 640, height: 480, channels: 1 });
    await closeAll();
  });

  it("derives the settings PVs from the image PV's prefix", async () => {
    const c = await connect({ imageArray_PV: "13SIM1:image1:ArrayData" });
    assert.equal((await c.nextText()).text, DEFAULT_SETTINGS);
    await c.nextJpeg();
    assert.equal(feed().pvs.sizeX, "13SIM1:cam1:SizeX");
    assert.equal(feed().pvs.colorMode, "13SIM1:cam1:ColorMode");
    await closeAll();
  });

  it("uses the 13SIM1 defaults for {} at once, and when no message comes", async () => {
    const started = performance.now();
    const empty = await connect({});
    assert.equal((await empty.nextText()).text, DEFAULT_SETTINGS);
    assert.ok(performance.now() - started < 450, "{} does not wait for the init timeout");
    const silent = await connect();
    const settings = await silent.nextText();
    assert.equal(settings.text, DEFAULT_SETTINGS);
    assert.ok(settings.at - started >= 450, "the defaults come after the init timeout");
    await silent.nextJpeg();
    await closeAll();
  });

  it("reports a missing detector as the real server does, then closes", async () => {
    const c = await connect({ imageArray_PV: "NODET:image1:ArrayData" });
    const error = await c.nextText(undefined, 3000);
    assert.equal(error.text, '{"error": "Failed to connect to NODET:cam1:MinX within 1.00 sec"}');
    assert.equal((await c.closed).code, 1000);
    const array = await connect({ imageArray_PV: "", dataType: "13SIM1:cam1:DataType" });
    await array.nextText(); // a good one, for contrast
    const missingArray = await connect({ imageArray_PV: "13SIM1:image1:Nothing", ...namedSettings("13SIM1") });
    assert.equal(
      (await missingArray.nextText(undefined, 3000)).text,
      '{"error": "Failed to connect to 13SIM1:image1:Nothing within 1.00 sec"}',
    );
    await missingArray.closed;
    await closeAll();
  });

  it("answers invalid first messages with an error and closes", async () => {
    const c = await connect("{not json");
    const error = await c.nextText();
    assert.match(error.json.error, /^Invalid JSON: /);
    assert.ok(error.text.startsWith('{"error": "'));
    assert.equal((await c.closed).code, 1000);
    const wrongType = await connect({ imageArray_PV: 42 });
    assert.equal((await wrongType.nextText()).json.error, "imageArray_PV must be a PV name (a string), not 42");
    await wrongType.closed;
    await closeAll();
  });

  it("toggles log normalization for the asking client only", async () => {
    const a = await connect({});
    const b = await connect({});
    await Promise.all([a.nextJpeg(), b.nextJpeg()]);
    await Promise.all([a.nextJpeg(), b.nextJpeg()]);
    const shared = new Set(a.frames.map(hash));
    assert.ok(
      b.frames.some((f) => shared.has(hash(f))),
      "both clients got the same encoded frames",
    );

    a.send({ toggleLogNormalization: false });
    assert.equal((await a.nextText((m) => "logNormalization" in m.json)).text, '{"logNormalization": false}');
    const toggledAt = a.received.length;
    const bFrom = b.received.length;
    await a.nextJpeg();
    await sleep(600);
    const aAfter = a.received.slice(toggledAt).flatMap((m) => (m.kind === "jpeg" ? [hash(m.data)] : []));
    const bAfter = b.received.slice(bFrom).flatMap((m) => (m.kind === "jpeg" ? [hash(m.data)] : []));
    assert.ok(aAfter.length >= 3 && bAfter.length >= 3);
    assert.ok(!aAfter.some((h) => bAfter.includes(h)), "after the toggle, a's frames are its own");
    assert.ok(!b.texts.some((t) => t.includes("logNormalization")), "b is not told of a's toggle");
    // Linear shows the dim background darker than log does.
    const aLast = a.frames.at(-1) as Buffer;
    const bLast = b.frames.at(-1) as Buffer;
    assert.ok((await mean(aLast)) + 40 < (await mean(bLast)), "linear is darker than log");

    a.send({ toggleLogNormalization: true });
    assert.equal((await a.nextText((m) => "logNormalization" in m.json)).text, '{"logNormalization": true}');
    await closeAll();
  });

  it("streams RGB1 and Mono, UInt16 and UInt8, as the camera's PVs change", async () => {
    const c = await connect({});
    assert.equal((await c.nextText()).text, DEFAULT_SETTINGS);
    try {
      await put("13SIM1:cam1:ColorMode", 2); // the sim's labels: Mono, Bayer, RGB1, RGB2, RGB3, ...
      await c.nextText((m) => m.json.colorMode === "RGB1");
      assert.deepEqual(await meta(await c.nextJpeg()), { format: "jpeg", width: 640, height: 480, channels: 3 });
      await put("13SIM1:cam1:ColorMode", 4);
      assert.equal((await c.nextText((m) => m.json.colorMode === "RGB3")).json.dataType, "UInt8");
      assert.equal((await meta(await c.nextJpeg())).channels, 3);
      await put("13SIM1:cam1:ColorMode", 0);
      await put("13SIM1:cam1:DataType", 3);
      const settings = await c.nextText((m) => m.json.dataType === "UInt16" && m.json.colorMode === "Mono");
      assert.equal(settings.text, '{"x": 640, "y": 480, "colorMode": "Mono", "dataType": "UInt16"}');
      const jpeg = await c.nextJpeg();
      assert.deepEqual(await meta(jpeg), { format: "jpeg", width: 640, height: 480, channels: 1 });
      // UInt16 above 32767 arrives negative in the SHORT waveform: read as unsigned, the beam is bright.
      assert.ok(((await sharp(jpeg).stats()).channels[0]?.max ?? 0) > 200);
    } finally {
      await put("13SIM1:cam1:ColorMode", 0);
      await put("13SIM1:cam1:DataType", 1);
    }
    await c.nextText((m) => m.text === DEFAULT_SETTINGS);
    await closeAll();
  });

  it("keeps showing a region of interest moved by MinX: the frames stay SizeX wide", async () => {
    const c = await connect({});
    await c.nextJpeg();
    const skipped = feed().skipped;
    try {
      await put("13SIM1:cam1:MinX", 10);
      await sleep(300); // frames of the moved region
      const from = c.received.length;
      assert.deepEqual(await meta(await c.nextJpeg()), { format: "jpeg", width: 640, height: 480, channels: 1 });
      assert.ok(
        c.received.slice(from).every((m) => m.kind === "jpeg"),
        "the settings did not change",
      );
      assert.equal(feed().skipped, skipped, "no frame skipped");
    } finally {
      await put("13SIM1:cam1:MinX", 0);
    }
    await closeAll();
  });

  it("encodes each frame once for all the clients of the same settings", async () => {
    const n = 5;
    const cs = await Promise.all(Array.from({ length: n }, () => connect({})));
    await Promise.all(cs.map((c) => c.nextJpeg()));
    const f = feed();
    const [encodes, arrays] = [f.encodes, f.arrays];
    const from = cs.map((c) => c.received.length);
    await sleep(1500);
    const dEncodes = f.encodes - encodes;
    const dArrays = f.arrays - arrays;
    assert.ok(dEncodes >= 5, `frames were encoded (${dEncodes})`);
    assert.ok(dEncodes <= dArrays + 1, `${dEncodes} encodings for ${dArrays} arrays and ${n} clients`);
    const seen = new Set<string>();
    cs.forEach((c, i) => {
      const got = c.received.slice(from[i]).flatMap((m) => (m.kind === "jpeg" ? [hash(m.data)] : []));
      assert.ok(got.length >= dEncodes - 2, `client ${i} got ${got.length} of ${dEncodes} frames`);
      for (const h of got) seen.add(h);
    });
    assert.ok(seen.size <= dEncodes + 1, `${seen.size} distinct frames, ${dEncodes} encodings`);
    await closeAll();
  });

  it("keeps only the newest frame for a client that stops reading", async () => {
    // 1024x1024 UInt16 at 20 Hz: about 300 KiB per JPEG, 6 MB/s per client.
    await put("13SIM1:cam1:SizeX", 1024);
    await put("13SIM1:cam1:SizeY", 1024);
    await put("13SIM1:cam1:DataType", 3);
    await put("13SIM1:cam1:AcquireTime", 0.05);
    try {
      const slow = await connect({});
      const fast = await connect({});
      const big = (m: Received) => m.kind === "text" && m.json.x === 1024 && m.json.y === 1024;
      await Promise.all([slow.next(big), fast.next(big)]);
      await Promise.all([slow.nextJpeg(), fast.nextJpeg()]);
      const mine = serverConnection(slow);
      (slow.ws as unknown as { _socket: Socket })._socket.pause();
      const f = feed();
      const arrays = f.arrays;
      const fastFrom = fast.frames.length;
      let maxBuffered = 0;
      let maxQueue = 0;
      for (let t = 0; t < 40; t++) {
        await sleep(100);
        maxBuffered = Math.max(maxBuffered, mine.bufferedBytes);
        maxQueue = Math.max(maxQueue, mine.queueLength);
      }
      const dArrays = f.arrays - arrays;
      const fastGot = fast.frames.length - fastFrom;
      const largest = Math.max(...fast.frames.map((b) => b.length));
      assert.ok(!mine.closing, "the slow client was not closed as a slow consumer");
      assert.ok(maxBuffered > SOFT_LIMIT, `the slow client lagged (${maxBuffered} bytes waiting)`);
      assert.ok(maxBuffered <= SOFT_LIMIT + 2 * largest, `${maxBuffered} bytes waited; bound ${SOFT_LIMIT} + a frame`);
      assert.ok(maxQueue <= 3, `${maxQueue} messages queued`);
      assert.ok(fastGot >= 0.7 * dArrays, `the other client got ${fastGot} frames of ${dArrays}`);

      const slowHad = slow.frames.length;
      (slow.ws as unknown as { _socket: Socket })._socket.resume();
      await sleep(1500);
      assert.ok(slow.frames.length > slowHad, "frames flow again once it reads");
      assert.ok(slow.frames.length < fast.frames.length, "the slow client skipped frames");
    } finally {
      await put("13SIM1:cam1:SizeX", 640);
      await put("13SIM1:cam1:SizeY", 480);
      await put("13SIM1:cam1:DataType", 1);
      await put("13SIM1:cam1:AcquireTime", 0.1);
    }
    await closeAll();
  });

  /** The server's side of a client's connection. */
  function serverConnection(client: CameraClient): Connection {
    const port = (client.ws as unknown as { _socket: Socket })._socket.localPort;
    for (const c of server.connections) {
      if ((c.ws as unknown as { _socket: Socket })._socket.remotePort === port) return c;
    }
    throw new Error("no server connection for the client");
  }
});

function namedSettings(prefix: string): Record<string, string> {
  return {
    startX: `${prefix}:cam1:MinX`,
    startY: `${prefix}:cam1:MinY`,
    sizeX: `${prefix}:cam1:SizeX`,
    sizeY: `${prefix}:cam1:SizeY`,
    colorMode: `${prefix}:cam1:ColorMode`,
    dataType: `${prefix}:cam1:DataType`,
  };
}
