/**
 * The RTA bench's ingest load, in a process of its own: PeriodicDataList appends
 * (`POST /rta/v2/sessions/{id}/data/periodic`, application/x-protobuf), back to back with a fixed
 * number in flight, each covering the next `samples` samples of every channel (so no two overlap).
 * Handlers:
 *
 * - `start`: begin appending to a session (answers at once);
 * - `mark` / `sample`: appends and samples answered 200 between the two, and their round trips;
 * - `stop`: stop, wait for the appends in flight, answer the totals.
 */
import http from "node:http";
import { answerRequests, percentile } from "@beamgate/bench-kit";
import { fromBinary, PeriodicDataListSchema } from "@beamgate/rta";
import { appendPath, BodyTemplates, httpRequest, INTERVAL_NS, PROTOBUF } from "./rta-data.js";

/** Distinct sample blocks the writer cycles through. */
const VARIANTS = 16;

export interface WriterStart {
  readonly port: number;
  readonly identity: string;
  readonly channels: number;
  readonly samples: number;
  readonly inflight: number;
  /** ns since the Unix epoch of the session's first sample (a string: IPC has no bigint). */
  readonly origin: string;
}

export interface WriterSample {
  readonly seconds: number;
  readonly posts: number;
  readonly samples: number;
  readonly bodyBytes: number;
  readonly errors: number;
  readonly rttP50Ms: number;
  readonly rttP99Ms: number;
  /** CPU the writer process used, in cores. */
  readonly cpu: number;
}

export interface WriterTotals {
  readonly posts: number;
  readonly samples: number;
  readonly errors: number;
  readonly firstError: string | undefined;
}

let running = false;
let loops: Promise<void>[] = [];
let posts = 0;
let samplesAcked = 0;
let bodyBytes = 0;
let errors = 0;
let firstError: string | undefined;
let rtts: number[] = [];
let mark = { at: performance.now(), cpu: process.cpuUsage(), posts: 0, samples: 0, bodyBytes: 0, errors: 0 };

answerRequests({
  start(o: WriterStart) {
    if (running) throw new Error("already running");
    running = true;
    posts = samplesAcked = bodyBytes = errors = 0;
    firstError = undefined;
    rtts = [];
    const agent = new http.Agent({ keepAlive: true, maxSockets: o.inflight });
    const ids = Array.from({ length: o.channels }, (_, i) => i);
    const origin = BigInt(o.origin);
    const templates = new BodyTemplates(ids, o.samples, origin, VARIANTS);
    // The patched timestamps are where protobuf-es reads them.
    const check = fromBinary(PeriodicDataListSchema, templates.body(VARIANTS + 1)).periodicData;
    const expected = origin + BigInt((VARIANTS + 1) * o.samples) * INTERVAL_NS;
    if (check.length !== o.channels || check.some((d) => d.startTimestamp !== expected)) {
      throw new Error("body template timestamps were not patched where protobuf-es reads them");
    }
    const path = appendPath(o.identity);
    let block = 0;
    const loop = async () => {
      while (running) {
        const body = templates.body(block++);
        const started = performance.now();
        try {
          const reply = await httpRequest(agent, o.port, "POST", path, body, PROTOBUF);
          if (reply.status !== 200)
            throw new Error(`HTTP ${reply.status}: ${reply.body.toString("utf8").slice(0, 200)}`);
          rtts.push(performance.now() - started);
          posts++;
          samplesAcked += o.channels * o.samples;
          bodyBytes += body.byteLength;
        } catch (e) {
          errors++;
          firstError ??= (e as Error).message;
          if (errors > 100) running = false;
        }
      }
    };
    loops = Array.from({ length: o.inflight }, loop);
    return true;
  },

  mark() {
    rtts = [];
    mark = { at: performance.now(), cpu: process.cpuUsage(), posts, samples: samplesAcked, bodyBytes, errors };
    return true;
  },

  sample(): WriterSample {
    const seconds = (performance.now() - mark.at) / 1000;
    const cpu = process.cpuUsage(mark.cpu);
    const window = rtts;
    rtts = [];
    return {
      seconds,
      posts: posts - mark.posts,
      samples: samplesAcked - mark.samples,
      bodyBytes: bodyBytes - mark.bodyBytes,
      errors: errors - mark.errors,
      rttP50Ms: percentile(window, 50),
      rttP99Ms: percentile(window, 99),
      cpu: (cpu.user + cpu.system) / 1e6 / seconds,
    };
  },

  async stop(): Promise<WriterTotals> {
    running = false;
    await Promise.all(loops);
    loops = [];
    return { posts, samples: samplesAcked, errors, firstError };
  },
});
