/**
 * A normalization thread (worker-pool.ts): reads each job's array under its data type, normalizes
 * and reshapes it, and hands the pixels back without copying them.
 */
import { parentPort } from "node:worker_threads";
import { asDataType } from "./data-types.js";
import { normalizeImage } from "./normalize.js";
import type { NormalizeJob, NormalizeReply } from "./worker-pool.js";

parentPort?.on("message", (job: NormalizeJob) => {
  let reply: NormalizeReply;
  try {
    const image = normalizeImage(asDataType(job.data, job.dataType), job.width, job.height, job.colorMode, job.log);
    reply = { id: job.id, pixels: image.pixels, channels: image.channels };
  } catch (e) {
    reply = { id: job.id, error: (e as Error).message };
  }
  parentPort?.postMessage(reply, "pixels" in reply ? [reply.pixels.buffer as ArrayBuffer] : []);
});
