/**
 * A client process. `open` connects WebSocket clients and `subscribe` has the next ones send
 * their subscriptions and waits until they are in place (both may be called many times, so that
 * a pool can interleave its processes' clients). Between `start` and `stop` the process counts
 * what its clients receive: data messages, deliveries (one per value timestamp they carry, so a
 * `batch_update` of ten PVs counts ten) and bytes; clients opened with `recordLatency` also parse
 * each timestamp, for the latency from source to receipt. Messages are inspected as bytes.
 */

import { answerRequests } from "@beamgate/bench-kit";
import { WebSocket } from "ws";
import { type HistogramData, isoMicrosAt, LatencyHistogram, nowMicros, secondsMicrosAt } from "./stats.js";

export type Protocol = "pvapi" | "native" | "ophyd";

export interface OpenRequest {
  readonly url: string;
  readonly count: number;
  /** Which messages are data messages: `/ws` updates, or native `data`. */
  readonly protocol: Protocol;
  /** Whether these clients record the latency of what they receive. */
  readonly recordLatency: boolean;
}

export interface SubscribeRequest {
  readonly count: number;
  /** The text messages each client sends. */
  readonly messages: readonly string[];
}

export interface WindowResult {
  readonly seconds: number;
  readonly messages: number;
  readonly deliveries: number;
  readonly bytes: number;
  readonly latency: HistogramData;
  /** Clients whose connection closed during the window. */
  readonly closed: number;
  /** The last data message of the first client, for the baseline to replay. */
  readonly template: string | undefined;
}

const TIMEOUT_MS = 20_000;
const CONCURRENT = 50;
/** How each protocol writes a value's time stamp: ISO 8601 text, or epoch seconds (ophyd). */
const STAMPS: Record<Protocol, { key: Buffer; read: (buf: Buffer, at: number) => number }> = {
  pvapi: { key: Buffer.from('"timestamp":"'), read: isoMicrosAt },
  native: { key: Buffer.from('"timestamp":"'), read: isoMicrosAt },
  ophyd: { key: Buffer.from('"timestamp":'), read: secondsMicrosAt },
};
const PV_API_UPDATE = Buffer.from('{"type":"update",');
const PV_API_BATCH = Buffer.from('{"type":"batch_update",');
const PV_API_SUBSCRIBED = Buffer.from('{"type":"subscribed",');
const NATIVE_DATA = Buffer.from(',"type":"data",');
const OPHYD_VALUE = Buffer.from('{"pv":');
const OPHYD_SUMMARY = Buffer.from('{"action":"subscribe",');
/** A native message's `type` comes right after its `id`, which is short here. */
const NATIVE_TYPE_WITHIN = 48;

const startsWith = (buf: Buffer, prefix: Buffer) =>
  buf.length >= prefix.length && buf.compare(prefix, 0, prefix.length, 0, prefix.length) === 0;

const DATA: Record<Protocol, (buf: Buffer) => boolean> = {
  pvapi: (buf) => startsWith(buf, PV_API_UPDATE) || startsWith(buf, PV_API_BATCH),
  native: (buf) => {
    const i = buf.indexOf(NATIVE_DATA);
    return i >= 0 && i < NATIVE_TYPE_WITHIN;
  },
  ophyd: (buf) => startsWith(buf, OPHYD_VALUE),
};

/** What confirms a subscription: `/ws` answers `subscribed`; the native protocol sends the value. */
const SUBSCRIBED: Record<Protocol, (buf: Buffer) => boolean> = {
  pvapi: (buf) => startsWith(buf, PV_API_SUBSCRIBED),
  native: DATA.native,
  ophyd: (buf) => startsWith(buf, OPHYD_SUMMARY),
};

let counting = false;
let started = 0;
let messages = 0;
let deliveries = 0;
let bytes = 0;
let closed = 0;
let histogram = new LatencyHistogram();
let template: Buffer | undefined;

function receive(data: Buffer, protocol: Protocol, recordLatency: boolean): void {
  const received = nowMicros();
  const { key, read } = STAMPS[protocol];
  messages++;
  bytes += data.length;
  for (let i = data.indexOf(key); i !== -1; i = data.indexOf(key, i + key.length)) {
    deliveries++;
    if (recordLatency) histogram.record(received - read(data, i + key.length));
  }
}

/** Rejects after the timeout unless `promise` settles first. */
function bounded<T>(promise: Promise<T>, what: string, onTimeout: () => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      onTimeout();
      reject(new Error(`${what} within ${TIMEOUT_MS} ms`));
    }, TIMEOUT_MS);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

class Client {
  readonly #ws: WebSocket;
  #onSubscribed: (() => void) | undefined;

  private constructor(ws: WebSocket, request: OpenRequest, first: boolean) {
    this.#ws = ws;
    const isData = DATA[request.protocol];
    const isSubscribed = SUBSCRIBED[request.protocol];
    ws.on("message", (data: Buffer, isBinary) => {
      if (isBinary) return;
      if (this.#onSubscribed && isSubscribed(data)) {
        this.#onSubscribed();
        this.#onSubscribed = undefined;
      }
      if (!counting || !isData(data)) return;
      receive(data, request.protocol, request.recordLatency);
      if (first) template = data;
    });
    ws.on("error", () => {}); // a close follows
    ws.on("close", () => {
      if (counting) closed++;
    });
  }

  static connect(request: OpenRequest, first: boolean): Promise<Client> {
    const ws = new WebSocket(request.url, { perMessageDeflate: false });
    const opened = new Promise<Client>((resolve, reject) => {
      ws.once("open", () => resolve(new Client(ws, request, first)));
      ws.once("error", reject);
    });
    return bounded(opened, `${request.url}: not open`, () => ws.terminate());
  }

  subscribe(messages: readonly string[]): Promise<void> {
    const done = new Promise<void>((resolve) => {
      this.#onSubscribed = resolve;
    });
    for (const text of messages) this.#ws.send(text);
    return bounded(done, "subscription not confirmed", () => this.#ws.terminate());
  }
}

/** Runs `task(i)` for i in 0..count-1, at most CONCURRENT at a time. */
async function each(count: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < count; i = next++) await task(i);
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENT, count) }, worker));
}

const clients: Client[] = [];
let subscribed = 0;

answerRequests({
  async open(request: OpenRequest) {
    const from = clients.length;
    const opened: Client[] = new Array(request.count);
    await each(request.count, async (i) => {
      opened[i] = await Client.connect(request, from + i === 0);
    });
    clients.push(...opened);
  },
  async subscribe({ count, messages }: SubscribeRequest) {
    const from = subscribed;
    subscribed += count;
    await each(count, (i) => (clients[from + i] as Client).subscribe(messages));
  },
  start() {
    messages = deliveries = bytes = closed = 0;
    histogram = new LatencyHistogram();
    template = undefined;
    counting = true;
    started = performance.now();
  },
  stop(): WindowResult {
    counting = false;
    return {
      seconds: (performance.now() - started) / 1000,
      messages,
      deliveries,
      bytes,
      latency: histogram,
      closed,
      template: template?.toString(),
    };
  },
});
