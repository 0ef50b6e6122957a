/**
 * The reader process: one client of the server process, which counts the monitor updates it takes.
 *
 * - `ca`: a `CaClient` with one channel and one monitor per PV, each listener counting what it is
 *   given (the decoded value and its metadata, as any application gets it).
 * - `raw`: a bare `net.Socket` that opens the same channels and monitors with bytes encoded ahead
 *   of time, then only walks the CA headers of what arrives (no payload is read or copied) and
 *   counts the EVENT_ADD responses.
 *
 * `sample` reports the updates and bytes taken so far and this process's CPU time.
 */
import { connect, type Socket } from "node:net";
import { hostname, userInfo } from "node:os";
import { answerRequests } from "@beamgate/bench-kit";
import {
  CA_MINOR_PROTOCOL_REVISION,
  CaClient,
  type CaMessage,
  type ChannelValue,
  Command,
  DBE,
  EXTENDED_HEADER_SIZE,
  encodeMessages,
  HEADER_SIZE,
  MessageReader,
} from "../src/index.js";
import { type CpuSample, sampleCpu } from "./cpu.js";
import { MONITOR_TYPE, pvNames } from "./scenarios.js";

export interface ConnectRequest {
  readonly mode: "ca" | "raw";
  readonly tcpPort: number;
  readonly udpPort: number;
  readonly pvs: number;
}

export interface Connected {
  /** From the first channel created to the first value of every monitor. */
  readonly seconds: number;
}

export interface ReaderSample extends CpuSample {
  readonly updates: number;
  /** Bytes received (bare readers only; the CA client does not say). */
  readonly bytes: number;
  /** Channels that lost their connection (CA client only). */
  readonly disconnects: number;
  /** Sum of the values received, so that no work can be optimised away; not reported. */
  readonly checksum: number;
}

const TIMEOUT_MS = 30_000;
const EVENT_ADD: number = Command.EVENT_ADD;

let updates = 0;
let bytes = 0;
let disconnects = 0;
let checksum = 0;

function bounded<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} within ${TIMEOUT_MS} ms`)), TIMEOUT_MS);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Resolves once `updates` reaches `count` (the first value of every monitor). */
function updatesReach(count: number): Promise<void> {
  return new Promise((resolve) => {
    const check = () => (updates >= count ? resolve() : setTimeout(check, 5));
    check();
  });
}

async function connectCa(udpPort: number, count: number): Promise<void> {
  const client = new CaClient({ addressList: [`127.0.0.1:${udpPort}`] });
  const listener = (v: ChannelValue) => {
    updates++;
    checksum += (v.value as Float64Array)[0] as number;
  };
  const channels = pvNames(count).map((name) => client.channel(name));
  await Promise.all(channels.map((c) => c.wait(TIMEOUT_MS)));
  for (const channel of channels) {
    channel.onConnection = (up) => {
      if (!up) disconnects++;
    };
    channel.monitor(listener, { dataType: MONITOR_TYPE });
  }
  await bounded(updatesReach(count), `${count} first monitor values`);
}

/** Splits a byte stream on CA headers and counts EVENT_ADD responses, without reading payloads. */
class HeaderWalker {
  /** Bytes of the current message (header included) still to come. */
  #skip = 0;
  /** A header cut by the end of a chunk. */
  readonly #partial = Buffer.alloc(EXTENDED_HEADER_SIZE);
  #partialLength = 0;

  /** Whole message bytes (header and payload) of the message at `at`, or -1 if its header is cut. */
  static #messageBytes(buf: Buffer, at: number, available: number): number {
    if (available < HEADER_SIZE) return -1;
    const payload = buf.readUInt16BE(at + 2);
    if (payload === 0xffff && buf.readUInt16BE(at + 6) === 0) {
      return available < EXTENDED_HEADER_SIZE ? -1 : EXTENDED_HEADER_SIZE + buf.readUInt32BE(at + 16);
    }
    return HEADER_SIZE + payload;
  }

  feed(chunk: Buffer): void {
    bytes += chunk.length;
    let i = 0;
    if (this.#partialLength > 0) {
      const had = this.#partialLength;
      const take = Math.min(EXTENDED_HEADER_SIZE - had, chunk.length);
      chunk.copy(this.#partial, had, 0, take);
      const total = HeaderWalker.#messageBytes(this.#partial, 0, had + take);
      if (total < 0) {
        this.#partialLength += take;
        return;
      }
      if (this.#partial.readUInt16BE(0) === EVENT_ADD) updates++;
      this.#partialLength = 0;
      this.#skip = total - had;
    }
    for (;;) {
      if (this.#skip > 0) {
        const n = Math.min(this.#skip, chunk.length - i);
        this.#skip -= n;
        i += n;
        if (this.#skip > 0) return;
      }
      if (i >= chunk.length) return;
      const total = HeaderWalker.#messageBytes(chunk, i, chunk.length - i);
      if (total < 0) {
        this.#partialLength = chunk.copy(this.#partial, 0, i);
        return;
      }
      if (chunk.readUInt16BE(i) === EVENT_ADD) updates++;
      this.#skip = total;
    }
  }
}

function open(tcpPort: number): Promise<Socket> {
  return bounded(
    new Promise<Socket>((resolve, reject) => {
      const socket = connect(tcpPort, "127.0.0.1");
      socket.setNoDelay(true);
      socket.once("connect", () => resolve(socket));
      socket.once("error", reject);
    }),
    `connection to port ${tcpPort}`,
  );
}

/** Encodes many messages in slices (one call with thousands of arguments could overflow the stack). */
function encodeAll(messages: readonly CaMessage[]): Buffer {
  const parts: Uint8Array[] = [];
  for (let i = 0; i < messages.length; i += 1000) parts.push(encodeMessages(...messages.slice(i, i + 1000)));
  return Buffer.concat(parts);
}

/**
 * Opens the channels and monitors as a client would (VERSION, names, CREATE_CHAN for every PV,
 * then EVENT_ADD with the sids the server gave), parsing the server's answers until then; from
 * the EVENT_ADD on, only the header walker reads.
 */
async function connectRaw(tcpPort: number, count: number): Promise<void> {
  const socket = await open(tcpPort);
  socket.on("error", () => {});
  const names = pvNames(count);
  const sids = new Map<number, number>();
  const setup = new MessageReader("response", 1 << 24);
  const created = new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      try {
        for (const m of setup.feed(chunk)) {
          if (m.command === "CREATE_CHAN" && m.direction === "response") sids.set(m.cid, m.sid);
          if (m.command === "CREATE_CH_FAIL") throw new Error(`no channel ${names[m.cid - 1]}`);
        }
      } catch (e) {
        reject(e);
      }
      if (sids.size === count) {
        socket.off("data", onData);
        resolve();
      }
    };
    socket.on("data", onData);
  });
  socket.write(
    encodeAll([
      { command: "VERSION", direction: "request", priority: 0, version: CA_MINOR_PROTOCOL_REVISION },
      { command: "HOST_NAME", direction: "request", name: hostname() },
      { command: "CLIENT_NAME", direction: "request", name: userInfo().username },
      ...names.map(
        (name, i): CaMessage => ({
          command: "CREATE_CHAN",
          direction: "request",
          name,
          cid: i + 1,
          version: CA_MINOR_PROTOCOL_REVISION,
        }),
      ),
    ]),
  );
  await bounded(created, `${count} channels created`);
  const walker = new HeaderWalker();
  socket.on("data", (chunk: Buffer) => walker.feed(chunk));
  socket.write(
    encodeAll(
      names.map(
        (_, i): CaMessage => ({
          command: "EVENT_ADD",
          direction: "request",
          dataType: MONITOR_TYPE,
          dataCount: 0,
          sid: sids.get(i + 1) as number,
          subscriptionId: i + 1,
          mask: DBE.VALUE | DBE.ALARM,
        }),
      ),
    ),
  );
  await bounded(updatesReach(count), `${count} first monitor values`);
}

answerRequests({
  async connect({ mode, tcpPort, udpPort, pvs }: ConnectRequest): Promise<Connected> {
    const started = performance.now();
    if (mode === "ca") await connectCa(udpPort, pvs);
    else await connectRaw(tcpPort, pvs);
    return { seconds: (performance.now() - started) / 1000 };
  },
  sample(): ReaderSample {
    return { ...sampleCpu(), updates, bytes, disconnects, checksum };
  },
});
