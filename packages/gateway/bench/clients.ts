/**
 * A client process: opens WebSocket clients (`open`), then counts what they receive between
 * `start` and `stop`: data messages, deliveries (one per value timestamp they carry, so a
 * `batch_update` of ten PVs counts ten), bytes, and the latency of each delivery from its source
 * timestamp to the client's receipt. Messages are inspected as bytes; only timestamps are parsed.
 */
import { WebSocket } from "ws";
import { answerRequests } from "./ipc.js";
import { type HistogramData, isoMicrosAt, LatencyHistogram, nowMicros } from "./stats.js";

export type Protocol = "pvapi" | "native";

export interface OpenRequest {
  readonly url: string;
  readonly count: number;
  /** Which messages are data messages: `/ws` updates, or native `data`. */
  readonly protocol: Protocol;
  /** Text messages each client sends once open (its subscriptions). */
  readonly hello: readonly string[];
  /** Whether a client counts as open only once its first data message arrived. */
  readonly waitForData: boolean;
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

const OPEN_TIMEOUT_MS = 20_000;
const CONCURRENT_OPENS = 50;
const TIMESTAMP = Buffer.from('"timestamp":"');
const PV_API_UPDATE = Buffer.from('{"type":"update",');
const PV_API_BATCH = Buffer.from('{"type":"batch_update",');
const NATIVE_DATA = Buffer.from(',"type":"data",');
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
};

const clients: WebSocket[] = [];
let counting = false;
let started = 0;
let messages = 0;
let deliveries = 0;
let bytes = 0;
let closed = 0;
let histogram = new LatencyHistogram();
let template: Buffer | undefined;

function receive(data: Buffer, first: boolean): void {
  const received = nowMicros();
  messages++;
  bytes += data.length;
  for (let i = data.indexOf(TIMESTAMP); i !== -1; i = data.indexOf(TIMESTAMP, i + TIMESTAMP.length)) {
    deliveries++;
    histogram.record(received - isoMicrosAt(data, i + TIMESTAMP.length));
  }
  if (first) template = data;
}

function openClient(request: OpenRequest, first: boolean): Promise<void> {
  const isData = DATA[request.protocol];
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(request.url, { perMessageDeflate: false });
    let open = false;
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error(`${request.url}: client not ready within ${OPEN_TIMEOUT_MS} ms`));
    }, OPEN_TIMEOUT_MS);
    const ready = () => {
      open = true;
      clearTimeout(timer);
      clients.push(ws);
      resolve();
    };
    ws.on("open", () => {
      for (const text of request.hello) ws.send(text);
      if (!request.waitForData) ready();
    });
    ws.on("message", (data: Buffer, isBinary) => {
      if (isBinary || !isData(data)) return;
      if (counting) receive(data, first);
      else if (!open) ready();
    });
    ws.on("error", (e) => {
      if (!open) reject(e);
    });
    ws.on("close", () => {
      if (counting) closed++;
    });
  });
}

answerRequests({
  async open(request: OpenRequest) {
    let next = 0;
    const opener = async () => {
      for (let i = next++; i < request.count; i = next++) await openClient(request, i === 0);
    };
    await Promise.all(Array.from({ length: Math.min(CONCURRENT_OPENS, request.count) }, opener));
    return clients.length;
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
