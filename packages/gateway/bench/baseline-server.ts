/**
 * The baseline: a raw `ws` server, in a process of its own, that broadcasts the bytes a gateway
 * client received (a captured message, its timestamps restamped each tick with the clients'
 * clock, as ISO text or epoch seconds) to every connected client at the scenario's rate. Each tick frames the bytes once and
 * writes them to each socket in one write: the practical ceiling of Node for this traffic here.
 */
import { createServer } from "node:http";
import type { Socket } from "node:net";
import { answerRequests } from "@beamgate/bench-kit";
import { WebSocketServer } from "ws";
import { isoMicros } from "../src/core/time.js";
import { nowMicros } from "./stats.js";

export interface BroadcastPlan {
  /** A data message as the gateway sent it. */
  readonly template: string;
  readonly messagesPerTick: number;
  readonly tickMs: number;
}

const TIMESTAMP = Buffer.from('"timestamp":"');
const sockets = new Set<Socket>();

/** The header of an unfragmented, unmasked text frame (RFC 6455 §5.2) of `length` bytes. */
function textFrameHeader(length: number): Buffer {
  if (length < 126) return Buffer.from([0x81, length]);
  if (length < 0x10000) return Buffer.from([0x81, 126, length >> 8, length & 0xff]);
  const header = Buffer.alloc(10);
  header[0] = 0x81;
  header[1] = 127;
  header.writeBigUInt64BE(BigInt(length), 2);
  return header;
}

/** Time stamps written as epoch seconds (ophyd frames), which vary in length: the body is rewritten each tick. */
const SECONDS_STAMP = /"timestamp":\d+(\.\d+)?/g;

/** The template stamped with now: ISO stamps overwritten in place, epoch-seconds stamps replaced. */
function stamped(template: Buffer, stamps: readonly number[]): Buffer {
  if (stamps.length === 0) {
    const seconds = (nowMicros() / 1e6).toFixed(6);
    return Buffer.from(template.toString().replace(SECONDS_STAMP, `"timestamp":${seconds}`));
  }
  const body = Buffer.from(template);
  const now = isoMicros(nowMicros() / 1000);
  for (const at of stamps) body.write(now, at, "latin1");
  return body;
}

/** The frames of one tick: `count` copies of the template stamped with now. */
function tickFrames(template: Buffer, stamps: readonly number[], count: number): Buffer {
  const body = stamped(template, stamps);
  const header = textFrameHeader(body.length);
  const frames: Buffer[] = [];
  for (let i = 0; i < count; i++) frames.push(header, body);
  return Buffer.concat(frames);
}

answerRequests({
  listen() {
    const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, clientTracking: false });
    const server = createServer((_req, res) => res.writeHead(404).end());
    server.on("upgrade", (req, socket, head) =>
      wss.handleUpgrade(req, socket, head, (ws) => {
        const s = socket as Socket;
        sockets.add(s);
        ws.on("error", () => {});
        ws.once("close", () => sockets.delete(s));
      }),
    );
    return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server.address())));
  },
  broadcast(plan: BroadcastPlan) {
    const template = Buffer.from(plan.template);
    const stamps: number[] = [];
    for (let i = template.indexOf(TIMESTAMP); i !== -1; i = template.indexOf(TIMESTAMP, i + 1)) {
      stamps.push(i + TIMESTAMP.length);
    }
    setInterval(() => {
      if (sockets.size === 0) return;
      const frames = tickFrames(template, stamps, plan.messagesPerTick);
      for (const socket of sockets) socket.write(frames);
    }, plan.tickMs);
  },
});
