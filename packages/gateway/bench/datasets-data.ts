/**
 * What the datasets bench's processes share: array nodes created as Tiled's client creates them,
 * the bodies and paths of its writes, and the subscriber it counts with (a msgpack client of
 * `WS /api/v1/stream/single/{path}`, or of the raw relay, doing the same work per frame on both).
 */
import type http from "node:http";
import { decode } from "@msgpack/msgpack";
import WebSocket from "ws";
import { expectStatus } from "./rta-data.js";

export const F64_BYTES = 8;

/** `POST /api/v1/metadata/` of a float64 array, the body as Tiled's client sends it. */
export async function createArray(
  agent: http.Agent,
  port: number,
  key: string,
  shape: number,
  chunks: number,
): Promise<void> {
  const body = {
    structure_family: "array",
    id: key,
    metadata: {},
    specs: [],
    data_sources: [
      {
        structure_family: "array",
        structure: {
          data_type: { endianness: "little", kind: "f", itemsize: 8, dt_units: null },
          chunks: [[chunks]],
          shape: [shape],
          dims: null,
          resizable: false,
        },
        id: null,
        mimetype: null,
        parameters: {},
        assets: [],
        management: "writable",
      },
    ],
    access_blob: {},
  };
  await expectStatus(agent, port, "POST", "/api/v1/metadata/", JSON.stringify(body), 200);
}

/** The path of Tiled's append: `elements` float64s at element `offset`, growing the array. */
export const appendPath = (key: string, offset: number, elements: number) =>
  `/api/v1/array/full/${key}?offset=${offset}&shape=${elements}&extend=true`;

/** The path of a whole-array write. */
export const fullPath = (key: string) => `/api/v1/array/full/${key}`;

/** `elements` float64s, little endian: a slow sine, so the bytes are not all alike. */
export function f64Body(elements: number, phase = 0): Buffer {
  const out = Buffer.allocUnsafe(elements * F64_BYTES);
  for (let i = 0; i < elements; i++) out.writeDoubleLE(Math.sin((phase + i) / 100), i * F64_BYTES);
  return out;
}

export const OCTET = "application/octet-stream";

/** What a subscriber has counted. */
export interface SubscriberCounts {
  /** Update frames (the schema not counted) and their bytes. */
  frames: number;
  bytes: number;
  /** The last update's sequence (0: none). */
  lastSequence: number;
  /** Updates whose sequence was not the previous one's + 1 (gateway streams only). */
  outOfOrder: number;
}

/**
 * One subscriber. Every frame is decoded with @msgpack/msgpack (an application reads the map and
 * its `payload`, which decodes as a view, not a copy), on the gateway's stream and on the relay's
 * alike, so the clients' cost is the same on both. `onUpdate` gets each update's decoded map.
 */
export class Subscriber {
  readonly counts: SubscriberCounts = { frames: 0, bytes: 0, lastSequence: 0, outOfOrder: 0 };
  closed: { code: number; reason: string } | undefined;
  /** A gateway subscriber's first update as it came (the relay baseline sends the same bytes). */
  firstUpdate: Buffer | undefined;
  readonly #ws: WebSocket;
  readonly #gateway: boolean;
  #schema: boolean;

  private constructor(ws: WebSocket, gateway: boolean, onUpdate?: (m: Record<string, unknown>) => void) {
    this.#ws = ws;
    this.#gateway = this.#schema = gateway;
    ws.on("message", (data: Buffer) => {
      const m = decode(data) as Record<string, unknown>;
      if (this.#schema) {
        this.#schema = false;
        if (m.type !== "array-schema") throw new Error(`expected the array schema first, got ${String(m.type)}`);
        return;
      }
      this.counts.frames++;
      this.counts.bytes += data.byteLength;
      if (!this.#gateway) {
        onUpdate?.(m);
        return;
      }
      this.firstUpdate ??= Buffer.from(data);
      if (typeof m.sequence === "number") {
        if (m.sequence !== this.counts.lastSequence + 1) this.counts.outOfOrder++;
        this.counts.lastSequence = m.sequence;
      }
      onUpdate?.(m);
    });
    ws.on("close", (code, reason) => {
      this.closed = { code, reason: reason.toString() };
    });
  }

  /**
   * Opens a subscriber of the gateway's node `key` (live, msgpack) or of the relay at `port`
   * (`relay`); resolves once the gateway's schema frame (or the relay's handshake) is in.
   */
  static open(
    port: number,
    key: string | undefined,
    onUpdate?: (m: Record<string, unknown>) => void,
  ): Promise<Subscriber> {
    const url =
      key === undefined
        ? `ws://127.0.0.1:${port}/relay`
        : `ws://127.0.0.1:${port}/api/v1/stream/single/${key}?envelope_format=msgpack`;
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { perMessageDeflate: false, maxPayload: 256 * 1024 * 1024 });
      const sub = new Subscriber(ws, key !== undefined, onUpdate);
      ws.once("error", reject);
      ws.once("unexpected-response", (_req, res) => reject(new Error(`${url}: HTTP ${res.statusCode}`)));
      if (key === undefined) ws.once("open", () => resolve(sub));
      else ws.once("message", () => resolve(sub));
    });
  }

  close(): Promise<void> {
    if (this.#ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      this.#ws.once("close", () => resolve());
      this.#ws.close();
    });
  }
}
