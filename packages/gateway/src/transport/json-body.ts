/** Reads a request's body, bounded in size: raw, or as JSON. */
import type { IncomingMessage } from "node:http";

export class BodyError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The body's bytes; BodyError 413 past `maxBytes`. The rest of a body too large is read and
 * dropped, not kept, so the client still gets its 413 (destroying the request would cut the
 * socket before the answer).
 */
export function readBody(request: IncomingMessage, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const tooLarge = () => new BodyError(413, `Request body larger than ${maxBytes} bytes`);
    if (Number(request.headers["content-length"] ?? 0) > maxBytes) {
      request.resume();
      reject(tooLarge());
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBytes) {
        chunks.push(chunk);
        return;
      }
      request.off("data", onData);
      chunks.length = 0;
      request.resume();
      reject(tooLarge());
    };
    request.on("data", onData);
    request.once("end", () => resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size)));
    request.once("error", reject);
  });
}

/** The parsed body; BodyError 413 past `maxBytes`, 400 when it is not JSON. An empty body is `undefined`. */
export async function readJsonBody(request: IncomingMessage, maxBytes: number): Promise<unknown> {
  const text = (await readBody(request, maxBytes)).toString("utf8");
  if (text.trim() === "") return undefined;
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new BodyError(400, `Invalid JSON body: ${(e as Error).message}`);
  }
}
