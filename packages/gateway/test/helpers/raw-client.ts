/**
 * A hand-driven WebSocket client on a raw TCP socket, for tests of slow consumers: it can stop
 * reading entirely (so the server's writes back up) and later parse what arrived.
 */
import { randomBytes } from "node:crypto";
import { connect, type Socket } from "node:net";

export class RawClient {
  readonly socket: Socket;
  #buffer: Buffer = Buffer.alloc(0);
  readonly messages: string[] = [];
  closeCode: number | undefined;

  private constructor(socket: Socket) {
    this.socket = socket;
  }

  static connect(port: number, path: string): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, "127.0.0.1");
      const key = randomBytes(16).toString("base64");
      socket.once("error", reject);
      socket.once("connect", () => {
        socket.write(
          `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
            `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
        );
      });
      let head = Buffer.alloc(0);
      const onData = (chunk: Buffer) => {
        head = Buffer.concat([head, chunk]);
        const end = head.indexOf("\r\n\r\n");
        if (end < 0) return;
        socket.off("data", onData);
        if (!head.subarray(0, end).toString().startsWith("HTTP/1.1 101")) {
          reject(new Error(head.subarray(0, end).toString()));
          return;
        }
        const client = new RawClient(socket);
        client.#feed(head.subarray(end + 4));
        socket.on("data", (c: Buffer) => client.#feed(c));
        resolve(client);
      };
      socket.on("data", onData);
    });
  }

  /** Sends a masked text frame, as a client must. */
  sendText(text: string): void {
    const payload = Buffer.from(text);
    const mask = randomBytes(4);
    const header =
      payload.length < 126
        ? Buffer.from([0x81, 0x80 | payload.length])
        : Buffer.from([0x81, 0x80 | 126, payload.length >> 8, payload.length & 0xff]);
    const masked = Buffer.alloc(payload.length);
    for (let i = 0; i < payload.length; i++) masked[i] = (payload[i] as number) ^ (mask[i % 4] as number);
    this.socket.write(Buffer.concat([header, mask, masked]));
  }

  /** Stops reading: the kernel buffers fill and the server's writes back up. */
  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  #feed(chunk: Buffer): void {
    this.#buffer = this.#buffer.length ? Buffer.concat([this.#buffer, chunk]) : chunk;
    for (;;) {
      const b = this.#buffer;
      if (b.length < 2) return;
      let length = (b[1] as number) & 0x7f;
      let offset = 2;
      if (length === 126) {
        if (b.length < 4) return;
        length = b.readUInt16BE(2);
        offset = 4;
      } else if (length === 127) {
        if (b.length < 10) return;
        length = Number(b.readBigUInt64BE(2));
        offset = 10;
      }
      if (b.length < offset + length) return;
      const opcode = (b[0] as number) & 0x0f;
      const payload = b.subarray(offset, offset + length);
      if (opcode === 0x1) this.messages.push(payload.toString());
      if (opcode === 0x8) this.closeCode = payload.length >= 2 ? payload.readUInt16BE(0) : 1005;
      this.#buffer = b.subarray(offset + length);
    }
  }
}
