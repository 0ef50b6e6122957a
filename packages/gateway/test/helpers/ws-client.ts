/**
 * A WebSocket test client over a real socket: collects every message (JSON text parsed, msgpack
 * binary decoded) and lets a test wait for the next one matching a predicate.
 */
import { decode } from "@msgpack/msgpack";
import WebSocket from "ws";

// biome-ignore lint/suspicious/noExplicitAny: test messages are inspected field by field.
export type Message = any;

interface Waiter {
  predicate: (m: Message) => boolean;
  resolve: (m: Message) => void;
}

export class TestClient {
  readonly ws: WebSocket;
  /** Messages received and not yet taken by `next`. */
  readonly inbox: Message[] = [];
  /** Every message received, in order. */
  readonly all: Message[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  #waiters: Waiter[] = [];

  private constructor(ws: WebSocket) {
    this.ws = ws;
    this.closed = new Promise((resolve) =>
      ws.on("close", (code, reason) => resolve({ code, reason: reason.toString() })),
    );
    ws.on("message", (data: Buffer, isBinary) => {
      const m: Message = isBinary ? { binary: true, value: decode(data), raw: data } : JSON.parse(data.toString());
      this.all.push(m);
      const i = this.#waiters.findIndex((w) => w.predicate(m));
      if (i >= 0) {
        const [w] = this.#waiters.splice(i, 1);
        w?.resolve(m);
      } else {
        this.inbox.push(m);
      }
    });
  }

  static connect(url: string, options: WebSocket.ClientOptions = {}): Promise<TestClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, options);
      const client = new TestClient(ws);
      ws.once("open", () => resolve(client));
      ws.once("error", reject);
      ws.once("unexpected-response", (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    });
  }

  send(message: unknown): void {
    this.ws.send(typeof message === "string" || Buffer.isBuffer(message) ? message : JSON.stringify(message));
  }

  /** The next message matching `predicate` (earliest unconsumed first); rejects after `timeoutMs`. */
  next(predicate: (m: Message) => boolean = () => true, timeoutMs = 3000): Promise<Message> {
    const i = this.inbox.findIndex(predicate);
    if (i >= 0) return Promise.resolve(this.inbox.splice(i, 1)[0]);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        predicate,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
      };
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
        reject(
          new Error(`no matching message within ${timeoutMs} ms; inbox: ${JSON.stringify(this.inbox).slice(0, 500)}`),
        );
      }, timeoutMs);
      this.#waiters.push(waiter);
    });
  }

  /** Waits `ms` and returns the messages that arrived meanwhile (taking them from the inbox). */
  async collect(ms: number, predicate: (m: Message) => boolean = () => true): Promise<Message[]> {
    await new Promise((r) => setTimeout(r, ms));
    const out = this.inbox.filter(predicate);
    for (const m of out) this.inbox.splice(this.inbox.indexOf(m), 1);
    return out;
  }

  close(): Promise<{ code: number; reason: string }> {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close();
    return this.closed;
  }
}

export const ISO_MICROS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
