/**
 * A camera-socket test client: keeps text frames (raw and parsed) and binary JPEG frames in arrival
 * order, and lets a test wait for the next one of a kind. (TestClient decodes binary frames as
 * msgpack, which JPEGs are not.)
 */
import WebSocket from "ws";

// biome-ignore lint/suspicious/noExplicitAny: text frames are inspected field by field.
export type Json = any;
export type TextFrame = { kind: "text"; text: string; json: Json; at: number };
export type Received = TextFrame | { kind: "jpeg"; data: Buffer; at: number };

export class CameraClient {
  readonly ws: WebSocket;
  readonly received: Received[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  /** Index of the first message `next` has not returned yet. */
  #cursor = 0;
  #wake: (() => void) | undefined;

  private constructor(ws: WebSocket) {
    this.ws = ws;
    this.closed = new Promise((resolve) =>
      ws.on("close", (code, reason) => {
        resolve({ code, reason: reason.toString() });
        this.#wake?.();
      }),
    );
    ws.on("message", (data: Buffer, isBinary) => {
      const at = performance.now();
      if (isBinary) this.received.push({ kind: "jpeg", data, at });
      else this.received.push({ kind: "text", text: data.toString(), json: JSON.parse(data.toString()), at });
      this.#wake?.();
    });
  }

  static connect(url: string): Promise<CameraClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      const client = new CameraClient(ws);
      ws.once("open", () => resolve(client));
      ws.once("error", reject);
    });
  }

  send(message: unknown): void {
    this.ws.send(typeof message === "string" ? message : JSON.stringify(message));
  }

  get frames(): Buffer[] {
    return this.received.flatMap((m) => (m.kind === "jpeg" ? [m.data] : []));
  }

  get texts(): string[] {
    return this.received.flatMap((m) => (m.kind === "text" ? [m.text] : []));
  }

  /** The next message after the last one returned that matches, waiting up to `timeoutMs`. */
  async next(match: (m: Received) => boolean = () => true, timeoutMs = 5000): Promise<Received> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      while (this.#cursor < this.received.length) {
        const m = this.received[this.#cursor++] as Received;
        if (match(m)) return m;
      }
      const left = deadline - performance.now();
      if (left <= 0 || this.ws.readyState === WebSocket.CLOSED) {
        const seen = this.received.map((m) => (m.kind === "text" ? m.text : `<jpeg ${m.data.length}>`));
        throw new Error(`no matching message within ${timeoutMs} ms; got ${seen.slice(-5).join(", ")}`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wake = undefined;
    }
  }

  /** The next text frame (matching `match`, if given). */
  nextText(match: (m: TextFrame) => boolean = () => true, timeoutMs?: number): Promise<TextFrame> {
    return this.next((m) => m.kind === "text" && match(m), timeoutMs) as Promise<TextFrame>;
  }

  async nextJpeg(timeoutMs?: number): Promise<Buffer> {
    const m = await this.next((m) => m.kind === "jpeg", timeoutMs);
    return (m as Extract<Received, { kind: "jpeg" }>).data;
  }

  close(): Promise<{ code: number; reason: string }> {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close();
    return this.closed;
  }
}
