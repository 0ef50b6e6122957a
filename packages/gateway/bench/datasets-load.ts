/**
 * The datasets bench's load, in a process of its own: msgpack subscribers of one array node (or of
 * the raw relay) and the writer feeding it, a fixed number of writes in flight on keep-alive
 * connections. Writes are Tiled's append (`PATCH array/full?offset=&shape=&extend=true`, each at
 * the next offset), Tiled's whole-array write (`PUT array/full`), or, for the relay, the frame a
 * gateway subscriber received, PUT as is.
 *
 * Flow control: with subscribers, write k is sent only once every subscriber has received write
 * k − credit, so that no subscriber falls more than `credit` frames behind (the gateway closes a
 * connection past 8 MiB queued). The rate measured is then what the server and its subscribers
 * sustain together, on this machine; with no subscribers the writer runs free.
 *
 * Handlers: `subscribe`, `start`, `mark` / `sample` (writes answered, their round trips, frames
 * and bytes each subscriber received, this process's CPU between the two), `stop` (the writer's
 * totals once its writes in flight are answered), `drain` (waits until every subscriber has every
 * answered write), `close` (the subscribers).
 */
import http from "node:http";
import { answerRequests, percentile } from "@beamgate/bench-kit";
import { appendPath, f64Body, fullPath, OCTET, Subscriber } from "./datasets-data.js";
import { httpRequest } from "./rta-data.js";

export interface LoadStart {
  readonly port: number;
  /** The gateway's array node; absent: the relay at `port`. */
  readonly key?: string;
  readonly method: "PATCH" | "PUT";
  /** float64 elements per write. */
  readonly elements: number;
  readonly inflight: number;
  /** Frames a subscriber may lag behind the writer (0: no limit). */
  readonly credit: number;
}

export interface LoadSample {
  readonly seconds: number;
  readonly writes: number;
  readonly writeBytes: number;
  readonly rttP50Ms: number;
  readonly rttP99Ms: number;
  /** Per subscriber, in the window. */
  readonly frames: readonly number[];
  readonly bytes: readonly number[];
  /** This process's CPU (writer and subscribers), in cores. */
  readonly cpu: number;
}

export interface LoadTotals {
  readonly writes: number;
  readonly errors: number;
  readonly firstError: string | undefined;
}

export interface Drained {
  readonly complete: boolean;
  readonly seconds: number;
  /** Subscribers the server closed. */
  readonly closed: number;
  readonly closeReasons: readonly string[];
  /** Updates whose sequence did not follow the previous one's, all subscribers. */
  readonly outOfOrder: number;
  readonly minFrames: number;
}

let subscribers: Subscriber[] = [];
/** The first update a gateway subscriber of the last drained scenario received: what the relay sends. */
let captured: Buffer | undefined;
let running = false;
let loops: Promise<void>[] = [];
let writes = 0;
let writeBytes = 0;
let errors = 0;
let firstError: string | undefined;
let rtts: number[] = [];
let mark = {
  at: performance.now(),
  cpu: process.cpuUsage(),
  writes: 0,
  writeBytes: 0,
  frames: [] as number[],
  bytes: [] as number[],
};

/**
 * Holds the writer until every open subscriber has `need` frames: woken in O(1) per frame (it
 * counts subscribers reaching the head waiter's `need`), so a hundred subscribers cost nothing.
 */
class Credit {
  #waiters: { need: number; resolve: () => void }[] = [];
  #reached = 0;

  #open(): Subscriber[] {
    return subscribers.filter((s) => !s.closed);
  }

  wait(need: number): Promise<void> {
    const open = this.#open();
    if (open.every((s) => s.counts.frames >= need)) return Promise.resolve();
    return new Promise((resolve) => {
      this.#waiters.push({ need, resolve });
      if (this.#waiters.length === 1) this.#arm();
    });
  }

  /** A subscriber got a frame (or closed). */
  onFrame(s: Subscriber): void {
    const head = this.#waiters[0];
    if (!head) return;
    if (s.closed || s.counts.frames === head.need) {
      if (s.closed) this.#arm();
      else this.#reached++;
      if (this.#reached >= this.#open().length) this.#release();
    }
  }

  /** Counts, once, the subscribers already at the head waiter's need; releases it if all are. */
  #arm(): void {
    const head = this.#waiters[0];
    if (!head) return;
    const open = this.#open();
    this.#reached = open.filter((s) => s.counts.frames >= head.need).length;
    if (this.#reached >= open.length) this.#release();
  }

  #release(): void {
    this.#waiters.shift()?.resolve();
    this.#arm();
  }

  /** Lets every waiter go (the writer is stopping). */
  releaseAll(): void {
    for (const w of this.#waiters.splice(0)) w.resolve();
  }
}

let credit = new Credit();

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

answerRequests({
  async subscribe({ port, key, count }: { port: number; key?: string; count: number }) {
    credit = new Credit();
    for (let i = 0; i < count; i += 10) {
      const batch = Array.from({ length: Math.min(10, count - i) }, () => {
        let sub: Subscriber | undefined;
        return Subscriber.open(port, key, () => {
          if (sub) credit.onFrame(sub);
        }).then((s) => {
          sub = s;
          return s;
        });
      });
      subscribers.push(...(await Promise.all(batch)));
    }
    return subscribers.length;
  },

  start(o: LoadStart) {
    if (running) throw new Error("already running");
    running = true;
    writes = writeBytes = errors = 0;
    firstError = undefined;
    rtts = [];
    const agent = new http.Agent({ keepAlive: true, maxSockets: o.inflight });
    let body: Buffer;
    if (o.key === undefined) {
      if (!captured) throw new Error("no gateway frame captured for the relay to send");
      body = captured;
    } else {
      body = f64Body(o.elements);
    }
    let next = 0;
    const loop = async () => {
      while (running) {
        const k = next++;
        if (o.credit > 0 && subscribers.length > 0) await credit.wait(k + 1 - o.credit);
        if (!running) return;
        const path =
          o.key === undefined
            ? "/relay"
            : o.method === "PATCH"
              ? appendPath(o.key, k * o.elements, o.elements)
              : fullPath(o.key);
        const started = performance.now();
        try {
          const reply = await httpRequest(agent, o.port, o.method, path, body, OCTET);
          if (reply.status !== 200)
            throw new Error(`HTTP ${reply.status}: ${reply.body.toString("utf8").slice(0, 200)}`);
          rtts.push(performance.now() - started);
          writes++;
          writeBytes += body.byteLength;
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
    mark = {
      at: performance.now(),
      cpu: process.cpuUsage(),
      writes,
      writeBytes,
      frames: subscribers.map((s) => s.counts.frames),
      bytes: subscribers.map((s) => s.counts.bytes),
    };
    return true;
  },

  sample(): LoadSample {
    const seconds = (performance.now() - mark.at) / 1000;
    const cpu = process.cpuUsage(mark.cpu);
    const window = rtts;
    rtts = [];
    return {
      seconds,
      writes: writes - mark.writes,
      writeBytes: writeBytes - mark.writeBytes,
      rttP50Ms: percentile(window, 50),
      rttP99Ms: percentile(window, 99),
      frames: subscribers.map((s, i) => s.counts.frames - (mark.frames[i] ?? 0)),
      bytes: subscribers.map((s, i) => s.counts.bytes - (mark.bytes[i] ?? 0)),
      cpu: (cpu.user + cpu.system) / 1e6 / seconds,
    };
  },

  async stop(): Promise<LoadTotals> {
    running = false;
    credit.releaseAll();
    await Promise.all(loops);
    loops = [];
    return { writes, errors, firstError };
  },

  async drain({ expected, limitMs }: { expected: number; limitMs: number }): Promise<Drained> {
    const started = performance.now();
    while (subscribers.some((s) => !s.closed && s.counts.frames < expected) && performance.now() - started < limitMs) {
      await sleep(10);
    }
    const seconds = (performance.now() - started) / 1000;
    const closed = subscribers.filter((s) => s.closed);
    captured = subscribers.find((s) => s.firstUpdate)?.firstUpdate ?? captured;
    return {
      complete: subscribers.every((s) => !s.closed && s.counts.frames === expected),
      seconds,
      closed: closed.length,
      closeReasons: [...new Set(closed.map((s) => `${s.closed?.code} ${s.closed?.reason}`))],
      outOfOrder: subscribers.reduce((n, s) => n + s.counts.outOfOrder, 0),
      minFrames: subscribers.length ? Math.min(...subscribers.map((s) => s.counts.frames)) : 0,
    };
  },

  /** Closes the subscribers. */
  async close() {
    const all = subscribers;
    subscribers = [];
    await Promise.all(all.map((s) => s.close()));
    return true;
  },
});
