/**
 * The worker thread that reads registered HDF5 files (hdf5-reader.ts starts it): h5wasm's calls
 * are synchronous, so a large read here holds this thread, not the gateway's event loop. Each
 * message is one request; each answer carries its id, and a read's bytes are transferred, not
 * copied.
 */
import { parentPort } from "node:worker_threads";
import { type Hdf5Source, hdf5Structure, loadH5wasm, readHdf5 } from "./hdf5-source.js";

export type Hdf5Request =
  | { readonly id: number; readonly op: "structure"; readonly source: Hdf5Source }
  | { readonly id: number; readonly op: "read"; readonly source: Hdf5Source; readonly slice: string | undefined };

export type Hdf5Answer =
  | { readonly id: number; readonly result: unknown }
  | { readonly id: number; readonly error: { readonly name: string; readonly message: string } };

const port = parentPort;
if (!port) throw new Error("hdf5-worker.ts runs as a worker thread");

port.on("message", async (request: Hdf5Request) => {
  try {
    await loadH5wasm();
    if (request.op === "structure") {
      port.postMessage({ id: request.id, result: hdf5Structure(request.source) } satisfies Hdf5Answer);
      return;
    }
    const { bytes, shape } = readHdf5(request.source, request.slice);
    port.postMessage({ id: request.id, result: { bytes, shape } } satisfies Hdf5Answer, [bytes.buffer as ArrayBuffer]);
  } catch (e) {
    const error = e instanceof Error ? e : new Error(String(e));
    port.postMessage({ id: request.id, error: { name: error.name, message: error.message } } satisfies Hdf5Answer);
  }
});
