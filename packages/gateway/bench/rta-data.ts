/**
 * What the RTA bench's processes share: the config of its periodic f64 channels, the protobuf
 * bodies of its appends, the session setup, and HTTP calls over a keep-alive agent (node:http, so
 * that the client's own cost stays small next to the gateway's).
 */

import http from "node:http";
import { create, encodeSamples, PeriodicDataListSchema, toBinary } from "@beamgate/rta";

export const CONFIG_ID = "bench-rta";
/** Every channel is periodic f64 at 1 kHz of virtual time: a sample every 1 ms (ns). */
export const INTERVAL_NS = 1_000_000n;
export const PROTOBUF = "application/x-protobuf";
export const F64_BYTES = 8;

export function benchConfig(channels: number): unknown {
  return {
    Bench: {
      channels: Array.from({ length: channels }, (_, id) => ({
        id,
        name: `ch${id}`,
        source: "periodic",
        type: "f64",
        interval: Number(INTERVAL_NS),
      })),
      parameters: [{ name: "signal", unit: "V", channels: Array.from({ length: channels }, (_, id) => id) }],
    },
  };
}

/**
 * Sample `index` of channel `channel`: a sine of the channel's own frequency plus a little
 * deterministic noise, so that bursts hold what a sensor gives (LZ4 finds little to squeeze in
 * such doubles) rather than repeated bytes.
 */
function sampleValue(channel: number, index: number): number {
  let h = Math.imul(index ^ Math.imul(channel + 1, 0x9e3779b1), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  const noise = ((h ^ (h >>> 16)) & 0xffff) / 65_536 - 0.5;
  return 50 * Math.sin((2 * Math.PI * (channel + 1) * index) / 2000) + 0.25 * noise;
}

/**
 * A serialized PeriodicDataList: one item of `samples` samples per channel, starting at sample
 * `firstSample` of the session (`origin` + firstSample × interval, in ns).
 */
export function periodicList(
  channelIds: readonly number[],
  samples: number,
  origin: bigint,
  firstSample: number,
): Uint8Array {
  const values = new Float64Array(samples);
  const startTimestamp = origin + BigInt(firstSample) * INTERVAL_NS;
  const periodicData = channelIds.map((channelId) => {
    for (let i = 0; i < samples; i++) values[i] = sampleValue(channelId, firstSample + i);
    return { channelId, startTimestamp, interval: INTERVAL_NS, samples, buffer: encodeSamples("f64", values) };
  });
  return toBinary(PeriodicDataListSchema, create(PeriodicDataListSchema, { periodicData }));
}

/**
 * Append bodies made cheaply: `variants` PeriodicDataLists encoded once by `periodicList` (the
 * samples of blocks 0 .. variants-1), each a template whose items' `start_timestamp` (sfixed64,
 * 8 bytes at a fixed place) is rewritten for block k. Samples repeat every `variants` blocks,
 * timestamps never; the writer's cost per append stays small next to the gateway's.
 */
export class BodyTemplates {
  readonly #templates: { bytes: Buffer; offsets: number[] }[] = [];
  readonly #origin: bigint;
  readonly #samples: number;

  constructor(channelIds: readonly number[], samples: number, origin: bigint, variants: number) {
    this.#origin = origin;
    this.#samples = samples;
    for (let v = 0; v < variants; v++) {
      const bytes = Buffer.from(periodicList(channelIds, samples, origin, v * samples));
      this.#templates.push({ bytes, offsets: startTimestampOffsets(bytes) });
    }
  }

  /** The body of block `k`: samples k·samples .. (k+1)·samples-1 of every channel. */
  body(k: number): Buffer {
    const t = this.#templates[k % this.#templates.length] as { bytes: Buffer; offsets: number[] };
    const out = Buffer.from(t.bytes);
    const start = this.#origin + BigInt(k * this.#samples) * INTERVAL_NS;
    for (const o of t.offsets) out.writeBigInt64LE(start, o);
    return out;
  }
}

/** Where each PeriodicData's start_timestamp (field 2, fixed64) sits in a serialized PeriodicDataList. */
function startTimestampOffsets(list: Buffer): number[] {
  const offsets: number[] = [];
  const varint = (at: number): [number, number] => {
    let value = 0;
    let scale = 1;
    for (let i = at; ; scale *= 128) {
      const byte = list[i++] as number;
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return [value, i];
    }
  };
  for (let o = 0; o < list.length; ) {
    const [tag, at] = varint(o);
    const [length, from] = varint(at);
    if (tag !== 0x0a) throw new Error(`unexpected PeriodicDataList field tag ${tag}`);
    for (let p = from; p < from + length; ) {
      const [t, q] = varint(p);
      const wire = t & 7;
      if (t === 0x11) offsets.push(q);
      p = wire === 0 ? varint(q)[1] : wire === 1 ? q + 8 : wire === 5 ? q + 4 : varint(q)[1] + varint(q)[0];
    }
    o = from + length;
  }
  return offsets;
}

export interface Reply {
  readonly status: number;
  readonly body: Buffer;
}

/** One HTTP request to the gateway on 127.0.0.1:`port`, the whole answer read. */
export function httpRequest(
  agent: http.Agent,
  port: number,
  method: string,
  path: string,
  body?: Uint8Array | string,
  contentType = "application/json",
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers: http.OutgoingHttpHeaders = {};
    if (body !== undefined) {
      headers["content-type"] = contentType;
      headers["content-length"] = typeof body === "string" ? Buffer.byteLength(body) : body.byteLength;
    }
    const req = http.request({ host: "127.0.0.1", port, method, path, agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}

/** Sends and throws unless the answer has status `status` (or one of `status`). */
export async function expectStatus(
  agent: http.Agent,
  port: number,
  method: string,
  path: string,
  body: Uint8Array | string | undefined,
  status: number | readonly number[],
  contentType?: string,
): Promise<Reply> {
  const reply = await httpRequest(agent, port, method, path, body, contentType);
  const wanted = typeof status === "number" ? [status] : status;
  if (!wanted.includes(reply.status)) {
    throw new Error(`${method} ${path}: HTTP ${reply.status}: ${reply.body.toString("utf8").slice(0, 300)}`);
  }
  return reply;
}

/** Publishes the bench's config (once per gateway; again is accepted) and creates an open session bound to it. */
export async function createSession(
  agent: http.Agent,
  port: number,
  identity: string,
  channels: number,
): Promise<void> {
  await expectStatus(
    agent,
    port,
    "PUT",
    `/rta/v2/configs/${CONFIG_ID}`,
    JSON.stringify(benchConfig(channels)),
    [200, 201],
  );
  const session = {
    identity,
    identifier: `bench ${identity}`,
    configBindings: [{ identifier: CONFIG_ID, channelOffset: 0 }],
  };
  await expectStatus(agent, port, "POST", "/rta/v2/sessions", JSON.stringify(session), 201);
}

/** The path of a periodic data append to `identity`. */
export const appendPath = (identity: string) => `/rta/v2/sessions/${encodeURIComponent(identity)}/data/periodic`;
