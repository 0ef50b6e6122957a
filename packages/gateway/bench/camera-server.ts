/**
 * The camera bench's gateway, in a process of its own: the hub with `ca://` searching only the
 * bench's IOC, and `/api/v1/camera-socket` on 127.0.0.1. Handlers:
 *
 * - `listen`: start, answer with the port;
 * - `camera`: set the camera's size, data type and exposure through its PVs and start acquiring;
 * - `mark` / `sample`: the feed's counters and the event loop (utilization, delay) between the two;
 * - `baseline`: the current frame encoded with sharp alone, and what each step costs the event loop.
 */
import { monitorEventLoopDelay, performance } from "node:perf_hooks";
import { answerRequests } from "@beamgate/bench-kit";
import { loadConfig } from "../src/config/load.js";
import type { DataEvent } from "../src/core/events.js";
import type { NumericArray } from "../src/core/values.js";
import { startGateway } from "../src/gateway.js";
import { createLogger } from "../src/log.js";
import {
  type CameraSocketAdapter,
  cameraSocketProtocol,
  DEFAULT_CAMERA_SOCKET,
} from "../src/protocols/ophyd/camera/adapter.js";
import { asDataType, type DataType } from "../src/protocols/ophyd/camera/data-types.js";
import { encodeJpeg } from "../src/protocols/ophyd/camera/encoder.js";
import { normalizeImage } from "../src/protocols/ophyd/camera/normalize.js";
import { ProxyTrust } from "../src/security/forwarded.js";
import { OriginPolicy } from "../src/security/origins.js";
import { HttpServer } from "../src/transport/http-server.js";

export interface CameraSetup {
  readonly size: number;
  readonly dataType: DataType;
  readonly hz: number;
}

export interface ServerSample {
  readonly seconds: number;
  readonly arrays: number;
  readonly encodes: number;
  readonly skipped: number;
  /** Event-loop utilization: the share of the time the loop was busy. */
  readonly loopBusy: number;
  readonly loopDelayP99Ms: number;
  readonly loopDelayMaxMs: number;
}

export interface Baseline {
  /** sharp alone: one JPEG from 8-bit pixels, ms (mean of sequential runs). */
  readonly encodeMs: number;
  /** The same frame normalized in JavaScript on the calling thread, ms: what the pool keeps off the loop. */
  readonly normalizeMs: number;
  /** What stays on the loop: copying the array out of the shared event for the pool, ms. */
  readonly copyMs: number;
  readonly jpegBytes: number;
}

const DATA_TYPE_INDEX: Readonly<Record<string, number>> = { UInt8: 1, UInt16: 3 };
const REPEATS = 20;

let camera: CameraSocketAdapter;
let put: (name: string, value: number) => Promise<void>;
let latest: () => DataEvent | undefined;
const delay = monitorEventLoopDelay({ resolution: 5 });
let mark = { at: performance.now(), elu: performance.eventLoopUtilization(), arrays: 0, encodes: 0, skipped: 0 };

/** Arrays received (counted by the bench's own subscription, so also with no viewer), frames encoded and skipped. */
let arrays = 0;
let encodes = 0;
let skipped = 0;
const lastCounts = new WeakMap<object, { encodes: number; skipped: number }>();

function counters() {
  // Feeds come and go with their viewers: add up what each did since it was last seen.
  for (const feed of camera.feeds.values()) {
    const seen = lastCounts.get(feed) ?? { encodes: 0, skipped: 0 };
    encodes += feed.encodes - seen.encodes;
    skipped += feed.skipped - seen.skipped;
    lastCounts.set(feed, { encodes: feed.encodes, skipped: feed.skipped });
  }
  return { arrays, encodes, skipped };
}

function timeMs(run: () => unknown): number {
  run();
  const started = performance.now();
  for (let i = 0; i < REPEATS; i++) run();
  return (performance.now() - started) / REPEATS;
}

answerRequests({
  async listen({ udpPort }: { udpPort: number }) {
    const config = loadConfig({
      env: {},
      flags: { host: "127.0.0.1", port: 0, logLevel: "silent", "ca.simIoc": "off" },
    });
    const env = { EPICS_CA_ADDR_LIST: `127.0.0.1:${udpPort}`, EPICS_CA_AUTO_ADDR_LIST: "NO" };
    const log = createLogger("silent");
    const gateway = await startGateway(config, log, env);
    camera = cameraSocketProtocol(gateway.hub, {}, log);
    const server = new HttpServer({
      limits: config.limits,
      log,
      adapters: [camera],
      routes: new Map(),
      guard: gateway.guard,
      proxy: new ProxyTrust(""),
      origins: new OriginPolicy([]),
    });
    const { port } = await server.listen("127.0.0.1", 0);
    put = (name, value) => gateway.hub.put(name, value, 10_000);
    let last: DataEvent | undefined;
    gateway.hub.subscribe("13SIM1:image1:ArrayData", {
      onEvent: (e) => {
        if (e.kind !== "data") return;
        last = e;
        arrays++;
      },
      onEnd: () => {},
    });
    latest = () => last;
    delay.enable();
    return { port, jpegQuality: DEFAULT_CAMERA_SOCKET.jpegQuality, threads: DEFAULT_CAMERA_SOCKET.normalizeThreads };
  },

  async camera({ size, dataType, hz }: CameraSetup) {
    await put("13SIM1:cam1:SizeX", size);
    await put("13SIM1:cam1:SizeY", size);
    await put("13SIM1:cam1:DataType", DATA_TYPE_INDEX[dataType] ?? 3);
    await put("13SIM1:cam1:AcquireTime", 1 / hz);
    put("13SIM1:cam1:Acquire", 1).catch(() => {}); // completes only when acquisition stops
    return true;
  },

  mark() {
    delay.reset();
    mark = { at: performance.now(), elu: performance.eventLoopUtilization(), ...counters() };
    return true;
  },

  sample(): ServerSample {
    const now = counters();
    return {
      seconds: (performance.now() - mark.at) / 1000,
      arrays: now.arrays - mark.arrays,
      encodes: now.encodes - mark.encodes,
      skipped: now.skipped - mark.skipped,
      loopBusy: performance.eventLoopUtilization(mark.elu).utilization,
      loopDelayP99Ms: delay.percentile(99) / 1e6,
      loopDelayMaxMs: delay.max / 1e6,
    };
  },

  async baseline({ size, dataType }: CameraSetup): Promise<Baseline> {
    const value = latest()?.sample.value as NumericArray | undefined;
    if (!value || value.length !== size * size) throw new Error("no frame of the expected size yet");
    const pixels = () => normalizeImage(asDataType(value, dataType), size, size, "Mono", true);
    const image = pixels();
    let jpegBytes = 0;
    await encodeJpeg(image, { quality: DEFAULT_CAMERA_SOCKET.jpegQuality, maxDimension: 2048 });
    const started = performance.now();
    for (let i = 0; i < REPEATS; i++) {
      jpegBytes = (await encodeJpeg(image, { quality: DEFAULT_CAMERA_SOCKET.jpegQuality, maxDimension: 2048 })).length;
    }
    const encodeMs = (performance.now() - started) / REPEATS;
    return { encodeMs, normalizeMs: timeMs(pixels), copyMs: timeMs(() => value.slice()), jpegBytes };
  },
});
