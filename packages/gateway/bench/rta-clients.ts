/**
 * The RTA bench's stream clients, in the bench's main process: WebSockets to
 * `/rta/v2/sessions/{id}/stream` (subprotocol `mat.ocs.rta.stream-lz4`) subscribed to every data
 * channel. Each message is one raw LZ4 block of a StreamDataBurst; a client decompresses it and
 * reads what it holds.
 *
 * Counting clients walk the burst's protobuf by hand (tags and lengths; of each PeriodicData only
 * its `samples` and `start_timestamp`) rather than decode it into objects with protobuf-es, so
 * that ten of them in one process keep up with the gateway and what is measured is the server.
 * The latency client decodes every message whole with `decodeStreamMessage`, as an application
 * would; `checkWalker` confirms the two agree.
 */
import {
  blockContentSize,
  create,
  decodeStreamMessage,
  decompressBlock,
  STREAM_SUBPROTOCOL,
  StreamRequestSchema,
  toBinary,
} from "@beamgate/rta";
import WebSocket from "ws";

export interface StreamCounts {
  /** WebSocket messages (bursts) and their bytes as received (compressed), and decompressed. */
  messages: number;
  compressedBytes: number;
  burstBytes: number;
  /** StreamData elements of every kind, and those holding periodic data. */
  elements: number;
  periodic: number;
  samples: number;
}

const zero = (): StreamCounts => ({
  messages: 0,
  compressedBytes: 0,
  burstBytes: 0,
  elements: 0,
  periodic: 0,
  samples: 0,
});

export function difference(a: StreamCounts, b: StreamCounts): StreamCounts {
  return {
    messages: a.messages - b.messages,
    compressedBytes: a.compressedBytes - b.compressedBytes,
    burstBytes: a.burstBytes - b.burstBytes,
    elements: a.elements - b.elements,
    periodic: a.periodic - b.periodic,
    samples: a.samples - b.samples,
  };
}

/** A periodic item seen on the stream: its channel and start timestamp (ns). */
export type OnPeriodic = (channelId: number, startTimestamp: bigint, samples: number) => void;

export class StreamClient {
  readonly counts: StreamCounts = zero();
  closed: { code: number; reason: string } | undefined;
  /** The first message that held samples (counting clients), for `checkWalker`. */
  dataMessage: Buffer | undefined;
  readonly #ws: WebSocket;

  private constructor(ws: WebSocket, full: OnPeriodic | undefined) {
    this.#ws = ws;
    ws.on("close", (code, reason) => {
      this.closed = { code, reason: `${reason}` };
    });
    ws.on("message", (m: Buffer) => {
      const c = this.counts;
      c.messages++;
      c.compressedBytes += m.length;
      if (full) {
        const burst = decodeStreamMessage(m);
        c.burstBytes += blockContentSize(m);
        c.elements += burst.data.length;
        for (const d of burst.data) {
          if (d.data.case !== "periodicData") continue;
          c.periodic++;
          c.samples += d.data.value.samples;
          full(d.data.value.channelId, d.data.value.startTimestamp, d.data.value.samples);
        }
        return;
      }
      const burst = decompressBlock(m, blockContentSize(m));
      c.burstBytes += burst.length;
      const before = c.samples;
      walkBurst(burst, c);
      if (this.dataMessage === undefined && c.samples > before) this.dataMessage = Buffer.from(m);
    });
  }

  /**
   * Connects to the session's stream, waits for its first message (the Session JSON) and
   * subscribes to every data channel. With `full`, messages are decoded whole and every periodic
   * item is passed to it.
   */
  static async open(port: number, identity: string, full?: OnPeriodic): Promise<StreamClient> {
    const url = `ws://127.0.0.1:${port}/rta/v2/sessions/${encodeURIComponent(identity)}/stream`;
    const ws = new WebSocket(url, [STREAM_SUBPROTOCOL], { perMessageDeflate: false });
    const client = new StreamClient(ws, full);
    await new Promise<void>((resolve, reject) => {
      ws.once("message", () => resolve());
      ws.once("error", reject);
      ws.once("close", (code) => reject(new Error(`stream closed (${code}) before its first message`)));
      ws.once("unexpected-response", (_req, res) => reject(new Error(`stream refused: HTTP ${res.statusCode}`)));
    });
    const request = create(StreamRequestSchema, { option: { case: "subscribe", value: { allDataChannels: true } } });
    ws.send(toBinary(StreamRequestSchema, request));
    return client;
  }

  snapshot(): StreamCounts {
    return { ...this.counts };
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.#ws.readyState === WebSocket.CLOSED) resolve();
      else {
        this.#ws.once("close", () => resolve());
        this.#ws.close();
      }
    });
  }
}

/** Reads a varint at `at`: its value (up to 2^53) and the offset after it. */
function varint(b: Buffer, at: number): [number, number] {
  let value = 0;
  let scale = 1;
  let i = at;
  for (;;) {
    const byte = b[i++] as number;
    value += (byte & 0x7f) * scale;
    if (byte < 0x80) return [value, i];
    scale *= 128;
  }
}

/** Skips a field of wire type `wire` at `at` (its tag already read); the offset after it. */
function skip(b: Buffer, at: number, wire: number): number {
  switch (wire) {
    case 0:
      return varint(b, at)[1];
    case 1:
      return at + 8;
    case 2: {
      const [length, from] = varint(b, at);
      return from + length;
    }
    case 5:
      return at + 4;
    default:
      throw new Error(`protobuf wire type ${wire} at byte ${at}`);
  }
}

/** StreamDataBurst `repeated StreamData data = 1`; StreamData `PeriodicData periodic_data = 5`; PeriodicData `int32 samples = 4`. */
export function walkBurst(b: Buffer, c: StreamCounts): void {
  let o = 0;
  while (o < b.length) {
    const [tag, at] = varint(b, o);
    if (tag !== 0x0a) {
      o = skip(b, at, tag & 7);
      continue;
    }
    const [length, from] = varint(b, at);
    const end = from + length;
    c.elements++;
    for (let p = from; p < end; ) {
      const [t, q] = varint(b, p);
      if (t !== 0x2a) {
        p = skip(b, q, t & 7);
        continue;
      }
      const [n, start] = varint(b, q);
      c.periodic++;
      for (let r = start; r < start + n; ) {
        const [u, s] = varint(b, r);
        if (u === 0x20) c.samples += varint(b, s)[0];
        r = skip(b, s, u & 7);
      }
      p = start + n;
    }
    o = end;
  }
}

/** Throws unless walking `message` counts what `decodeStreamMessage` finds in it. */
export function checkWalker(message: Buffer): void {
  const walked = zero();
  walkBurst(decompressBlock(message, blockContentSize(message)), walked);
  const burst = decodeStreamMessage(message);
  let periodic = 0;
  let samples = 0;
  for (const d of burst.data) {
    if (d.data.case !== "periodicData") continue;
    periodic++;
    samples += d.data.value.samples;
  }
  if (walked.elements !== burst.data.length || walked.periodic !== periodic || walked.samples !== samples) {
    throw new Error(
      `burst walker disagrees with decodeStreamMessage: ${JSON.stringify(walked)} vs ${burst.data.length} elements, ${periodic} periodic, ${samples} samples`,
    );
  }
}
