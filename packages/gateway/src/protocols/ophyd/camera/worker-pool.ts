/**
 * Threads that normalize frames, so that a large frame never holds up the event loop: measured on
 * the development machine, normalizing a 1024x1024 UInt16 frame took 4-6 ms in JavaScript, an RGB
 * one 13-18 ms, Float64 10-25 ms (docs/benchmarks.md, camera). The event loop only copies the
 * array out of the shared event (one memcpy) and transfers the copy; the pixels come back
 * transferred too.
 *
 * Threads start on the first job and stop after `idleMs` without work (a viewer is often the only
 * user), or at `close()`. They are unref'd: an idle pool never keeps the process alive. A thread
 * that dies fails its job; the next job starts a new one.
 */
import { Worker } from "node:worker_threads";
import type { NumericArray } from "../../../core/values.js";
import type { DataType } from "./data-types.js";
import type { ColorMode, Image8 } from "./normalize.js";

export interface NormalizeRequest {
  readonly data: NumericArray;
  readonly dataType: DataType;
  readonly width: number;
  readonly height: number;
  readonly colorMode: ColorMode;
  readonly log: boolean;
}

export interface NormalizeJob extends NormalizeRequest {
  readonly id: number;
}

export type NormalizeReply =
  | { readonly id: number; readonly pixels: Uint8Array; readonly channels: 1 | 3 }
  | { readonly id: number; readonly error: string };

interface Pending {
  readonly job: NormalizeJob;
  readonly transfer: ArrayBuffer;
  readonly resolve: (image: Image8) => void;
  readonly reject: (error: Error) => void;
}

interface Thread {
  readonly worker: Worker;
  job: Pending | undefined;
}

const WORKER_URL = new URL("./normalize-worker.js", import.meta.url);

export class NormalizePool {
  readonly #size: number;
  readonly #idleMs: number;
  readonly #threads = new Set<Thread>();
  readonly #queue: Pending[] = [];
  #nextId = 1;
  #idleTimer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(size: number, idleMs: number) {
    this.#size = Math.max(1, size);
    this.#idleMs = idleMs;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Threads running now. */
  get threads(): number {
    return this.#threads.size;
  }

  /** Normalizes a frame on a thread. `request.data` is copied (only its own elements) before it goes. */
  normalize(request: NormalizeRequest): Promise<Image8> {
    if (this.#closed) return Promise.reject(new Error("the normalization pool is closed"));
    clearTimeout(this.#idleTimer);
    const data = request.data.slice();
    const job: NormalizeJob = { ...request, data, id: this.#nextId++ };
    return new Promise((resolve, reject) => {
      this.#queue.push({ job, transfer: data.buffer as ArrayBuffer, resolve, reject });
      this.#dispatch();
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#idleTimer);
    for (const pending of this.#queue.splice(0)) pending.reject(new Error("the normalization pool closed"));
    await Promise.all([...this.#threads].map((t) => this.#stop(t)));
  }

  #dispatch(): void {
    while (this.#queue.length > 0) {
      let thread = [...this.#threads].find((t) => !t.job);
      if (!thread && this.#threads.size < this.#size) thread = this.#start();
      if (!thread) return;
      const pending = this.#queue.shift() as Pending;
      thread.job = pending;
      thread.worker.postMessage(pending.job, [pending.transfer]);
    }
    if (!this.#closed && this.#threads.size > 0 && [...this.#threads].every((t) => !t.job)) {
      clearTimeout(this.#idleTimer);
      this.#idleTimer = setTimeout(() => {
        for (const t of this.#threads) if (!t.job) void this.#stop(t);
      }, this.#idleMs);
      this.#idleTimer.unref();
    }
  }

  #start(): Thread {
    const worker = new Worker(WORKER_URL);
    worker.unref();
    const thread: Thread = { worker, job: undefined };
    this.#threads.add(thread);
    worker.on("message", (reply: NormalizeReply) => {
      const pending = thread.job;
      thread.job = undefined;
      if (pending?.job.id === reply.id) {
        if ("error" in reply) pending.reject(new Error(reply.error));
        else {
          const { width, height } = pending.job;
          pending.resolve({ pixels: reply.pixels, width, height, channels: reply.channels });
        }
      }
      this.#dispatch();
    });
    const fail = (error: Error) => {
      this.#threads.delete(thread);
      thread.job?.reject(error);
      thread.job = undefined;
      this.#dispatch();
    };
    worker.on("error", fail);
    worker.on("exit", (code) => fail(new Error(`a normalization thread exited (${code})`)));
    return thread;
  }

  async #stop(thread: Thread): Promise<void> {
    this.#threads.delete(thread);
    await thread.worker.terminate();
  }
}
