/**
 * Tiled test clients over real sockets: the HTTP API under `/api/v1` as Tiled's Python client
 * calls it (`TiledHttp`: JSON bodies sent as bytes with no content-type, as httpx does with
 * `content=`), and a stream client (`TiledStream`) that keeps every frame as it came (the JSON
 * text, or the msgpack bytes and their decoding) so tests can check key order and bytes.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { decode } from "@msgpack/msgpack";
import WebSocket from "ws";

// biome-ignore lint/suspicious/noExplicitAny: JSON answers and frames are inspected field by field.
export type Json = any;

export interface Answer {
  readonly status: number;
  readonly body: Json;
  readonly text: string;
}

/** A little-endian int64 array's bytes. */
export function i64(...values: number[]): Buffer {
  const out = Buffer.alloc(values.length * 8);
  values.forEach((v, i) => {
    out.writeBigInt64LE(BigInt(v), i * 8);
  });
  return out;
}

/** A little-endian float64 array's bytes. */
export function f64(...values: number[]): Buffer {
  const out = Buffer.alloc(values.length * 8);
  values.forEach((v, i) => {
    out.writeDoubleLE(v, i * 8);
  });
  return out;
}

/** The int64 values of little-endian bytes. */
export function int64s(bytes: Uint8Array): number[] {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  assert.equal(b.byteLength % 8, 0, `${b.byteLength} bytes are not whole int64s`);
  return Array.from({ length: b.byteLength / 8 }, (_, i) => Number(b.readBigInt64LE(i * 8)));
}

export interface ArraySpec {
  readonly kind?: string;
  readonly itemsize?: number;
  readonly shape: number[];
  readonly chunks?: number[][];
  readonly dims?: string[] | null;
  readonly metadata?: Record<string, unknown>;
  readonly specs?: { name: string; version: string | null }[];
}

/** The body of `POST /metadata/{parent}` for an array, exactly as Tiled's client sends it. */
export function arrayBody(key: string, spec: ArraySpec): Record<string, unknown> {
  const kind = spec.kind ?? "i";
  return {
    structure_family: "array",
    metadata: spec.metadata ?? {},
    specs: spec.specs ?? [],
    data_sources: [
      {
        structure_family: "array",
        structure: {
          data_type: {
            endianness: (spec.itemsize ?? 8) === 1 ? "not_applicable" : "little",
            kind,
            itemsize: spec.itemsize ?? 8,
            dt_units: null,
          },
          chunks: spec.chunks ?? spec.shape.map((n) => [n]),
          shape: spec.shape,
          dims: spec.dims ?? null,
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
    id: key,
  };
}

/** The body of `POST /metadata/{parent}` for a container. */
export function containerBody(key: string, metadata: Record<string, unknown> = {}): Record<string, unknown> {
  return { structure_family: "container", metadata, specs: [], data_sources: [], access_blob: {}, id: key };
}

export class TiledHttp {
  constructor(readonly url: string) {}

  /** A request under `/api/v1`; `body` JSON goes out as bytes with no content-type (httpx `content=`). */
  async request(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
    const init: RequestInit = { method, headers };
    if (body !== undefined) init.body = body instanceof Uint8Array ? body : Buffer.from(JSON.stringify(body));
    const res = await fetch(`${this.url}/api/v1${path}`, init);
    const text = await res.text();
    let parsed: Json = text;
    try {
      parsed = text === "" ? undefined : JSON.parse(text);
    } catch {
      // Not JSON: the test sees the text.
    }
    return { status: res.status, body: parsed, text };
  }

  /** Like `request`, failing unless the answer has `status`. */
  async expect(status: number, method: string, path: string, body?: unknown, headers?: Record<string, string>) {
    const answer = await this.request(method, path, body, headers);
    assert.equal(answer.status, status, `${method} ${path}: ${answer.text.slice(0, 500)}`);
    return answer.body;
  }

  /** Creates a child of `parent` ("" for the root). */
  create(parent: string, body: Record<string, unknown>): Promise<Json> {
    return this.expect(200, "POST", `/metadata/${parent}`, body);
  }

  createArray(parent: string, key: string, spec: ArraySpec): Promise<Json> {
    return this.create(parent, arrayBody(key, spec));
  }

  createContainer(parent: string, key: string, metadata: Record<string, unknown> = {}): Promise<Json> {
    return this.create(parent, containerBody(key, metadata));
  }

  /** An array write with `application/octet-stream` (what Tiled's client sends). */
  write(method: "PUT" | "PATCH", route: string, bytes: Uint8Array, contentType = "application/octet-stream") {
    return this.request(method, route, bytes, contentType === "" ? {} : { "content-type": contentType });
  }

  /** `GET /array/full/{path}?slice=` as raw bytes. */
  async read(path: string, slice?: string): Promise<{ status: number; bytes: Buffer; type: string | null }> {
    const query = slice === undefined ? "" : `?slice=${encodeURIComponent(slice)}`;
    const res = await fetch(`${this.url}/api/v1/array/full/${path}${query}`, {
      headers: { accept: "application/octet-stream" },
    });
    return {
      status: res.status,
      bytes: Buffer.from(await res.arrayBuffer()),
      type: res.headers.get("content-type"),
    };
  }

  /** The int64 values of the whole array (or a slice), failing unless 200. */
  async readInts(path: string, slice?: string): Promise<number[]> {
    const { status, bytes } = await this.read(path, slice);
    assert.equal(status, 200, `GET array/full/${path}: ${bytes.toString().slice(0, 300)}`);
    return int64s(bytes);
  }
}

/** One frame as it came: JSON text (with its parse) or msgpack bytes (with their decoding). */
export interface Frame {
  readonly binary: boolean;
  readonly text: string | undefined;
  readonly raw: Buffer | undefined;
  readonly value: Json;
}

/** A client of `WS /api/v1/stream/single/{path}` keeping every frame from the first. */
export class TiledStream {
  readonly ws: WebSocket;
  readonly frames: Frame[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  #waiters: (() => void)[] = [];
  #closeInfo: { code: number; reason: string } | undefined;

  private constructor(ws: WebSocket) {
    this.ws = ws;
    this.closed = new Promise((resolve) =>
      ws.on("close", (code, reason) => {
        this.#closeInfo = { code, reason: reason.toString() };
        resolve(this.#closeInfo);
        this.#wake();
      }),
    );
    ws.on("message", (data: Buffer, isBinary) => {
      this.frames.push(
        isBinary
          ? { binary: true, text: undefined, raw: data, value: decode(data) }
          : { binary: false, text: data.toString("utf8"), raw: undefined, value: JSON.parse(data.toString("utf8")) },
      );
      this.#wake();
    });
  }

  /** Opens `path`'s stream; `query` like `envelope_format=msgpack&start=1`. */
  static connect(url: string, path: string, query = "", headers: Record<string, string> = {}): Promise<TiledStream> {
    const wsUrl = `${url.replace(/^http/, "ws")}/api/v1/stream/single/${path}${query ? `?${query}` : ""}`;
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(wsUrl, { headers });
      const stream = new TiledStream(ws);
      ws.once("open", () => resolve(stream));
      ws.once("error", reject);
      ws.once("unexpected-response", (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    });
  }

  /** The decoded values of every frame so far. */
  get values(): Json[] {
    return this.frames.map((f) => f.value);
  }

  /** The update frames so far (every frame but the schema). */
  get updates(): Frame[] {
    return this.frames.slice(1);
  }

  /** Waits until at least `count` frames have come; rejects after `timeoutMs` or on close. */
  async waitFrames(count: number, timeoutMs = 5000): Promise<Frame[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.frames.length < count) {
      if (this.#closeInfo) {
        throw new Error(`closed (${this.#closeInfo.code}) after ${this.frames.length} of ${count} frames`);
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(
          `${this.frames.length} of ${count} frames within ${timeoutMs} ms; last: ${JSON.stringify(this.frames.at(-1)?.value)?.slice(0, 300)}`,
        );
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.frames.slice(0, count);
  }

  /** Waits for the schema and `count` updates after it; returns the updates' values. */
  async waitUpdates(count: number, timeoutMs?: number): Promise<Json[]> {
    return (await this.waitFrames(count + 1, timeoutMs)).slice(1).map((f) => f.value);
  }

  close(): Promise<{ code: number; reason: string }> {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close();
    return this.closed;
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }
}

/** The keys of a frame's top-level map in wire order (JSON text order, msgpack map order). */
export function wireKeys(frame: Frame): string[] {
  return Object.keys(frame.value);
}

/** A tz-aware UTC ISO 8601 timestamp with microseconds, as utcTimestamp writes it. */
export const UTC_MICROS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}\+00:00$/;

/** Resolves after `ms`. */
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The directory of the node with key `key` in a gateway's data directory. */
export function nodeDir(dataDir: string, key: string): string {
  const nodes = join(dataDir, "datasets", "nodes");
  const id = readdirSync(nodes).find((n) => {
    try {
      return JSON.parse(readFileSync(join(nodes, n, "node.json"), "utf8")).key === key;
    } catch {
      return false; // the root has no node.json
    }
  });
  assert.ok(id, `the directory of ${key}`);
  return join(nodes, id);
}
