/**
 * Reads registered HDF5 files off the event loop: one worker thread (hdf5-worker.ts), started on
 * first use, runs h5wasm's synchronous calls one request at a time. Errors come back as they were
 * thrown there: a RangeError for what is wrong with the file, the dataset or the slice.
 */
import { Worker } from "node:worker_threads";
import type { ArrayStructure } from "./array-store.js";
import type { Hdf5Source } from "./hdf5-source.js";
import type { Hdf5Answer, Hdf5Request } from "./hdf5-worker.js";

type Pending = { resolve: (result: unknown) => void; reject: (error: Error) => void };
/** A request before it is numbered (each member of the union without its id). */
type Unnumbered<T> = T extends unknown ? Omit<T, "id"> : never;

export class Hdf5Reader {
  #worker: Worker | undefined;
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;

  /** The dataset's structure as the file has it now. */
  structure(source: Hdf5Source): Promise<ArrayStructure> {
    return this.#request({ op: "structure", source }) as Promise<ArrayStructure>;
  }

  /** `GET array/full?slice=` from the file: C-order little-endian bytes and their shape. */
  read(source: Hdf5Source, slice: string | undefined): Promise<{ bytes: Uint8Array; shape: number[] }> {
    return this.#request({ op: "read", source, slice }) as Promise<{ bytes: Uint8Array; shape: number[] }>;
  }

  /** Stops the worker; what is pending fails. */
  async close(): Promise<void> {
    const worker = this.#worker;
    this.#worker = undefined;
    await worker?.terminate();
  }

  #request(request: Unnumbered<Hdf5Request>): Promise<unknown> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      const worker = this.#started();
      // Kept alive while it has work: a pending read must not let the process exit under it.
      if (this.#pending.size === 0) worker.ref();
      this.#pending.set(id, { resolve, reject });
      worker.postMessage({ ...request, id });
    });
  }

  #started(): Worker {
    if (this.#worker) return this.#worker;
    const worker = new Worker(new URL("./hdf5-worker.js", import.meta.url));
    worker.on("message", (answer: Hdf5Answer) => {
      const pending = this.#pending.get(answer.id);
      if (!pending) return;
      this.#pending.delete(answer.id);
      // An idle reader does not keep the process alive.
      if (this.#pending.size === 0) worker.unref();
      if ("error" in answer) {
        const error =
          answer.error.name === "RangeError" ? new RangeError(answer.error.message) : new Error(answer.error.message);
        pending.reject(error);
      } else pending.resolve(answer.result);
    });
    const failAll = (error: Error) => {
      if (this.#worker === worker) this.#worker = undefined;
      for (const pending of this.#pending.values()) pending.reject(error);
      this.#pending.clear();
    };
    worker.on("error", failAll);
    worker.on("exit", (code) => failAll(new Error(`the HDF5 reader stopped (exit code ${code})`)));
    this.#worker = worker;
    return worker;
  }
}
