/**
 * RTA test clients over real sockets: the REST writes and reads (`RtaRest`), and a stream client
 * (`RtaStreamClient`) that decodes each LZ4 burst, keeps every StreamData in order and lets a test
 * wait for the next one matching a predicate.
 */

import assert from "node:assert/strict";
import {
  type ChunkTransferHeader,
  create,
  decodeChunked,
  decodeStreamMessage,
  fromBinary,
  STREAM_SUBPROTOCOL,
  type StreamData,
  type StreamDataBurst,
  StreamRequestSchema,
  toBinary,
} from "@beamgate/rta";
import WebSocket from "ws";

export const PROTOBUF = "application/x-protobuf";
export const MS = 1_000_000n;
export const SEC = 1_000_000_000n;
/** A time past 2^53 ns, so that any rounding through a double shows. */
export const T0 = 1_732_000_000_123_456_789n;

/** Element `i` of a list, which must be there. */
export function at<T>(list: readonly T[], i = 0): T {
  assert.ok(i < list.length, `no element ${i} in a list of ${list.length}`);
  return list[i] as T;
}

// biome-ignore lint/suspicious/noExplicitAny: JSON answers are inspected field by field.
export type Json = any;

/** A small config: one periodic f64 channel at 1 kHz (id 0), one timestamped f32 (1), two row u16 (2, 3), event 1. */
export const TEST_CONFIG = {
  Rig: {
    channels: [
      { id: 0, name: "speed", source: "periodic", type: "f64", interval: 1_000_000 },
      { id: 1, name: "gear", source: "timestamped", type: "f32" },
      { id: 2, name: "tyreL", source: "row", type: "u16" },
      { id: 3, name: "tyreR", source: "row", type: "u16" },
    ],
    parameters: [{ name: "speed", unit: "km/h", min: 0, max: 350, channels: [0] }],
    events: [{ id: 1, code: "Lap", desc: "lap completed", pri: "medium" }],
  },
};

export class RtaRest {
  constructor(readonly url: string) {}

  async request(method: string, path: string, body?: unknown, contentType = "application/json"): Promise<Response> {
    const init: RequestInit = { method };
    if (body !== undefined) {
      init.body = body instanceof Uint8Array ? body : JSON.stringify(body);
      init.headers = { "content-type": contentType };
    }
    return fetch(`${this.url}/rta/v2${path}`, init);
  }

  /** Sends and expects `status`; returns the JSON answer. */
  async json(method: string, path: string, body: unknown, status: number, contentType?: string): Promise<Json> {
    const res = await this.request(method, path, body, contentType);
    const text = await res.text();
    if (res.status !== status) throw new Error(`${method} ${path}: HTTP ${res.status} (expected ${status}): ${text}`);
    return text ? JSON.parse(text) : undefined;
  }

  /** Publishes TEST_CONFIG (or `config`) and creates an open session bound to it. */
  async session(identity: string, config: unknown = TEST_CONFIG, configId = `${identity}-config`): Promise<Json> {
    await this.json("PUT", `/configs/${configId}`, config, 201);
    return this.json(
      "POST",
      "/sessions",
      { identity, identifier: `test ${identity}`, configBindings: [{ identifier: configId, channelOffset: 0 }] },
      201,
    );
  }

  /** A data read, its chunks decoded. */
  async read(path: string): Promise<{ status: number; type: string | null; chunks: ReturnType<typeof decodeChunked> }> {
    const res = await this.request("GET", path);
    const bytes = new Uint8Array(await res.arrayBuffer());
    return { status: res.status, type: res.headers.get("content-type"), chunks: res.ok ? decodeChunked(bytes) : [] };
  }
}

export type { ChunkTransferHeader };

interface Waiter {
  readonly predicate: (d: StreamData) => boolean;
  readonly resolve: (d: StreamData) => void;
}

export class RtaStreamClient {
  readonly ws: WebSocket;
  /** Every burst received, decoded, in order. */
  readonly bursts: StreamDataBurst[] = [];
  /** Every StreamData received, in order. */
  readonly data: StreamData[] = [];
  /** Raw (compressed) message sizes, in order. */
  readonly sizes: number[] = [];
  /** Every message as received (one raw LZ4 block each), in order. */
  readonly messages: Buffer[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  #waiters: Waiter[] = [];
  #taken = 0;

  private constructor(ws: WebSocket) {
    this.ws = ws;
    this.closed = new Promise((resolve) => ws.on("close", (code, reason) => resolve({ code, reason: `${reason}` })));
    ws.on("message", (m: Buffer) => {
      this.sizes.push(m.length);
      this.messages.push(m);
      const burst = decodeStreamMessage(m);
      this.bursts.push(burst);
      for (const d of burst.data) {
        this.data.push(d);
        const i = this.#waiters.findIndex((w) => w.predicate(d));
        if (i < 0) continue;
        this.#taken = this.data.length;
        this.#waiters.splice(i, 1)[0]?.resolve(d);
      }
    });
  }

  static connect(
    baseUrl: string,
    identity: string,
    protocols: string[] = [STREAM_SUBPROTOCOL],
  ): Promise<RtaStreamClient> {
    const url = `${baseUrl.replace(/^http/, "ws")}/rta/v2/sessions/${encodeURIComponent(identity)}/stream`;
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, protocols);
      const client = new RtaStreamClient(ws);
      ws.once("open", () => resolve(client));
      ws.once("error", reject);
      ws.once("unexpected-response", (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    });
  }

  subscribe(subscription: { allEvents?: boolean; allDataChannels?: boolean; dataChannelIds?: number[] }): void {
    const request = create(StreamRequestSchema, { option: { case: "subscribe", value: subscription } });
    this.ws.send(toBinary(StreamRequestSchema, request));
  }

  /** The next StreamData (after those already taken) matching `predicate`, waiting up to `timeoutMs`. */
  next(predicate: (d: StreamData) => boolean = () => true, timeoutMs = 5000): Promise<StreamData> {
    for (; this.#taken < this.data.length; ) {
      const d = this.data[this.#taken++] as StreamData;
      if (predicate(d)) return Promise.resolve(d);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
        reject(new Error(`no matching StreamData within ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter: Waiter = {
        predicate,
        resolve: (d) => {
          clearTimeout(timer);
          resolve(d);
        },
      };
      this.#waiters.push(waiter);
    });
  }

  close(): void {
    this.ws.close();
  }
}

export { fromBinary };
