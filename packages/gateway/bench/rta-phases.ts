/**
 * The RTA bench's measurements other than throughput, run from the bench's main process against
 * the gateway child: the latency of one small append to a stream client (with the append's round
 * trip and a bare fdatasync as baselines), and reading a whole session back over REST (with
 * reading its chunk files from disk as the baseline).
 */

import { closeSync, fdatasyncSync, openSync, readdirSync, readFileSync, writeSync } from "node:fs";
import type http from "node:http";
import { join } from "node:path";
import { type Percentiles, percentiles } from "@beamgate/bench-kit";
import { decodeChunked, decodeSamples, fromBinary, PeriodicDataListSchema } from "@beamgate/rta";
import { StreamClient } from "./rta-clients.js";
import { appendPath, createSession, F64_BYTES, httpRequest, INTERVAL_NS, PROTOBUF, periodicList } from "./rta-data.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface LatencyResult {
  readonly rate: number;
  readonly samplesPerAppend: number;
  readonly sent: number;
  /** Appends answered 200 whose item the stream client never received. */
  readonly lost: number;
  readonly errors: number;
  readonly post: Percentiles;
  readonly endToEnd: Percentiles;
}

/**
 * Paced appends of one item (channel 0, `samples` samples), open loop at `rate` per second for
 * `seconds` after `warmupSeconds` whose appends are not counted. For each: the time from just
 * before the request is written to its answer, and to the stream client receiving the item
 * (matched by its start timestamp), on the same clock.
 */
export async function measureLatency(
  agent: http.Agent,
  port: number,
  o: { channels: number; samples: number; rate: number; seconds: number; warmupSeconds: number },
): Promise<LatencyResult> {
  const identity = "bench-latency";
  await createSession(agent, port, identity, o.channels);
  const sentAt = new Map<bigint, number>();
  const endToEnd: number[] = [];
  const post: number[] = [];
  let counted = 0;
  const client = await StreamClient.open(port, identity, (_channel, start) => {
    const t0 = sentAt.get(start);
    if (t0 === undefined) return;
    sentAt.delete(start);
    endToEnd.push(performance.now() - t0);
  });
  await sleep(200);
  const origin = BigInt(Date.now()) * 1_000_000n;
  const path = appendPath(identity);
  const total = Math.round(o.rate * (o.seconds + o.warmupSeconds));
  const warm = Math.round(o.rate * o.warmupSeconds);
  let errors = 0;
  const pending: Promise<void>[] = [];
  const began = performance.now();
  for (let i = 0; i < total; i++) {
    const due = began + (i * 1000) / o.rate;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    const body = periodicList([0], o.samples, origin, i * o.samples);
    const start = origin + BigInt(i * o.samples) * INTERVAL_NS;
    const measured = i >= warm;
    const t0 = performance.now();
    if (measured) sentAt.set(start, t0);
    pending.push(
      httpRequest(agent, port, "POST", path, body, PROTOBUF).then(
        (reply) => {
          if (reply.status !== 200) errors++;
          else if (measured) {
            post.push(performance.now() - t0);
            counted++;
          }
        },
        () => {
          errors++;
        },
      ),
    );
  }
  await Promise.all(pending);
  for (let waited = 0; sentAt.size > 0 && waited < 3000; waited += 50) await sleep(50);
  await client.close();
  return {
    rate: o.rate,
    samplesPerAppend: o.samples,
    sent: total - warm,
    lost: counted - endToEnd.length,
    errors,
    post: percentiles(post),
    endToEnd: percentiles(endToEnd),
  };
}

/** A bare append + fdatasync of `bytes` bytes, `count` times, in `dir` (the gateway's disk): what one durable write costs. */
export function measureFdatasync(dir: string, bytes: number, count: number): Percentiles {
  const fd = openSync(join(dir, "fdatasync-probe.log"), "w");
  const data = Buffer.alloc(bytes, 0x5a);
  const times: number[] = [];
  try {
    for (let i = 0; i < count; i++) {
      writeSync(fd, data);
      const t0 = performance.now();
      fdatasyncSync(fd);
      times.push(performance.now() - t0);
    }
  } finally {
    closeSync(fd);
  }
  return percentiles(times);
}

export interface ReadRun {
  /** Request written to the body's last byte. */
  readonly bodySeconds: number;
  /** decodeChunked, PeriodicDataList decoding and f64 sample decoding of the body, in the client. */
  readonly decodeSeconds: number;
  /** fs.readFile of the session's chunk files, one after the other. */
  readonly fileSeconds: number;
}

export interface ReadResult {
  readonly identity: string;
  readonly bodyBytes: number;
  readonly chunks: number;
  readonly items: number;
  readonly samples: number;
  /** Samples the session was answered for: the read must return exactly these. */
  readonly expectedSamples: number;
  readonly fileBytes: number;
  readonly files: number;
  readonly runs: readonly ReadRun[];
}

/**
 * Reads all periodic data of session `identity` (channels `0-`, no time bounds) `repeats` times,
 * each followed by fs.readFile of its chunk files under `dataDir`.
 */
export async function measureRead(
  agent: http.Agent,
  port: number,
  dataDir: string,
  identity: string,
  expectedSamples: number,
  repeats: number,
): Promise<ReadResult> {
  const sessionDir = join(dataDir, "telemetry", "sessions", identity);
  const files = readdirSync(sessionDir)
    .filter((n) => /^chunk-\d+\.log$/.test(n))
    .sort()
    .map((n) => join(sessionDir, n));
  const path = `/rta/v2/sessions/${encodeURIComponent(identity)}/data/periodic/0-`;
  const runs: ReadRun[] = [];
  let bodyBytes = 0;
  let chunks = 0;
  let items = 0;
  let samples = 0;
  let fileBytes = 0;
  let checksum = 0;
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    const reply = await httpRequest(agent, port, "GET", path);
    const t1 = performance.now();
    if (reply.status !== 200) throw new Error(`GET ${path}: HTTP ${reply.status}: ${reply.body.toString("utf8")}`);
    const decoded = decodeChunked(reply.body);
    items = samples = 0;
    for (const chunk of decoded) {
      for (const item of fromBinary(PeriodicDataListSchema, chunk.payload).periodicData) {
        const values = decodeSamples("f64", item.buffer);
        checksum += values[0] ?? 0;
        items++;
        samples += values.length;
      }
    }
    const t2 = performance.now();
    bodyBytes = reply.body.length;
    chunks = decoded.length;
    fileBytes = 0;
    for (const file of files) fileBytes += readFileSync(file).length;
    const t3 = performance.now();
    runs.push({ bodySeconds: (t1 - t0) / 1000, decodeSeconds: (t2 - t1) / 1000, fileSeconds: (t3 - t2) / 1000 });
  }
  if (Number.isNaN(checksum)) throw new Error("decoded samples are not numbers");
  return {
    identity,
    bodyBytes,
    chunks,
    items,
    samples,
    expectedSamples,
    fileBytes,
    files: files.length,
    runs,
  };
}

export const sampleBytes = (samples: number) => samples * F64_BYTES;
