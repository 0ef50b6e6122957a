/**
 * The server process. `ca`: a `CaServer` on 127.0.0.1 serving N scalar DOUBLE PVs, each posted a
 * new random value (and a new time stamp) by the pacer. `replay`: a bare server speaking just
 * enough CA to open channels and monitors, which then writes pre-encoded monitor updates at the
 * same pace (`serveReplay`). `sample` reports the posts emitted and this process's CPU time.
 */
import { createSocket } from "node:dgram";
import { createServer, type Socket } from "node:net";
import { answerRequests } from "@beamgate/bench-kit";
import {
  ACCESS,
  CA_MINOR_PROTOCOL_REVISION,
  type CaMessage,
  CaServer,
  DBR_BASE,
  dbrLayout,
  decodeDatagram,
  ECA,
  encodeDbr,
  encodeMessages,
  epicsStamp,
  MessageReader,
  ServerPv,
} from "../src/index.js";
import { type CpuSample, sampleCpu } from "./cpu.js";
import { Pacer } from "./pacer.js";
import { pvNames } from "./scenarios.js";

export interface ListenRequest {
  readonly mode: "ca" | "replay";
  readonly pvs: number;
}

export interface Ports {
  readonly tcpPort: number;
  readonly udpPort: number;
}

export interface ServerSample extends CpuSample {
  readonly emitted: number;
  readonly skipped: number;
  readonly rssBytes: number;
}

const REPLAY_HIGH_WATER = 1 << 20;
const NATIVE_DOUBLE = DBR_BASE.indexOf("DOUBLE");

let emit: ((n: number) => number) | undefined;
let pacer: Pacer | undefined;
let chunk = 1;

function serveCa(count: number): Promise<Ports> {
  const pvs: ServerPv[] = pvNames(count).map(
    () => new ServerPv({ base: "DOUBLE", value: Float64Array.of(0), units: "mm", precision: 3 }),
  );
  const server = new CaServer({
    pvs: new Map(pvNames(count).map((name, i) => [name, pvs[i] as ServerPv])),
    host: "127.0.0.1",
    port: 0,
  });
  let next = 0;
  emit = (n) => {
    for (let i = 0; i < n; i++) {
      const value = new Float64Array(1);
      value[0] = Math.random();
      (pvs[next] as ServerPv).post(value);
      next = next + 1 === count ? 0 : next + 1;
    }
    return n;
  };
  return server.listen();
}

/**
 * The replay server: just enough Channel Access for a client to find the PVs and monitor them
 * (search replies, VERSION, CREATE_CHAN with ACCESS_RIGHTS, EVENT_ADD with a first value, ECHO,
 * EVENTS_OFF / EVENTS_ON), after which the pacer writes pre-encoded monitor updates, one per PV
 * round-robin, several to a write. Its cost per update is a slice of a buffer, so the reader, not
 * the server, sets the rate. It holds back (and its pacer skips) while the client has sent
 * EVENTS_OFF or more than REPLAY_HIGH_WATER bytes wait in the socket.
 */
function serveReplay(count: number): Promise<Ports> {
  const index = new Map(pvNames(count).map((name, i) => [name, i]));
  /** Per PV: the subscription id and data type of its monitor, once made. */
  const monitors: ({ subscriptionId: number; dataType: number } | undefined)[] = new Array(count);
  let socket: Socket | undefined;
  let paused = false;
  let template: Buffer | undefined;
  let messageBytes = 0;
  let next = 0;

  const update = (i: number): CaMessage => {
    const monitor = monitors[i];
    if (!monitor) throw new Error(`${pvNames(count)[i]} has no monitor`);
    const layout = dbrLayout(monitor.dataType);
    if (!layout) throw new Error(`no layout for DBR type ${monitor.dataType}`);
    return {
      command: "EVENT_ADD",
      direction: "response",
      dataType: monitor.dataType,
      dataCount: 1,
      status: ECA.NORMAL,
      subscriptionId: monitor.subscriptionId,
      data: encodeDbr(layout, {
        value: Float64Array.of(Math.random()),
        status: 0,
        severity: 0,
        stamp: epicsStamp(Date.now()),
      }),
    };
  };
  /** A round of updates, one per PV; every message the same size (checked). */
  const round = (): Buffer => {
    const parts: Uint8Array[] = [];
    for (let i = 0; i < count; i++) parts.push(encodeMessages(update(i)));
    messageBytes = (parts[0] as Uint8Array).length;
    if (parts.some((p) => p.length !== messageBytes)) throw new Error("monitor updates differ in size");
    return Buffer.concat(parts);
  };

  emit = (n) => {
    if (!socket || socket.destroyed || paused || socket.writableLength > REPLAY_HIGH_WATER) return 0;
    template ??= round();
    let left = n;
    while (left > 0) {
      const k = Math.min(left, count - next);
      socket.write(template.subarray(next * messageBytes, (next + k) * messageBytes));
      next = (next + k) % count;
      left -= k;
    }
    return n;
  };

  const handle = (s: Socket, m: CaMessage) => {
    const reply = (...messages: CaMessage[]) => s.write(encodeMessages(...messages));
    if (m.direction !== "request") return;
    switch (m.command) {
      case "CREATE_CHAN": {
        const i = index.get(m.name);
        if (i === undefined) {
          reply({ command: "CREATE_CH_FAIL", direction: "response", cid: m.cid });
          return;
        }
        reply(
          { command: "ACCESS_RIGHTS", direction: "response", cid: m.cid, accessRights: ACCESS.READ | ACCESS.WRITE },
          {
            command: "CREATE_CHAN",
            direction: "response",
            dataType: NATIVE_DOUBLE,
            dataCount: 1,
            cid: m.cid,
            sid: i + 1,
          },
        );
        return;
      }
      case "EVENT_ADD":
        monitors[m.sid - 1] = { subscriptionId: m.subscriptionId, dataType: m.dataType };
        reply(update(m.sid - 1));
        return;
      case "ECHO":
        reply({ command: "ECHO", direction: "response" });
        return;
      case "EVENTS_OFF":
        paused = true;
        return;
      case "EVENTS_ON":
        paused = false;
        return;
      default:
        return;
    }
  };

  const server = createServer((s) => {
    s.setNoDelay(true);
    s.on("error", () => {});
    const reader = new MessageReader("request", 1 << 20);
    s.on("data", (chunk) => {
      for (const m of reader.feed(chunk)) handle(s, m);
    });
    s.write(encodeMessages({ command: "VERSION", direction: "response", version: CA_MINOR_PROTOCOL_REVISION }));
    socket = s;
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      const udp = createSocket({ type: "udp4", reuseAddr: true });
      udp.on("error", () => {});
      udp.on("message", (bytes, from) => {
        let messages: CaMessage[];
        try {
          messages = decodeDatagram(bytes, "request");
        } catch {
          return;
        }
        const replies: CaMessage[] = [];
        for (const m of messages) {
          if (m.command === "SEARCH" && m.direction === "request" && index.has(m.name)) {
            replies.push({
              command: "SEARCH",
              direction: "response",
              port,
              serverAddress: 0xffffffff,
              cid: m.cid,
              version: CA_MINOR_PROTOCOL_REVISION,
            });
          }
        }
        if (replies.length === 0) return;
        udp.send(
          encodeMessages(
            { command: "VERSION", direction: "response", version: CA_MINOR_PROTOCOL_REVISION },
            ...replies,
          ),
          from.port,
          from.address,
        );
      });
      udp.bind(port, "127.0.0.1", () => resolve({ tcpPort: port, udpPort: port }));
    }),
  );
}

answerRequests({
  listen({ mode, pvs }: ListenRequest): Promise<Ports> {
    chunk = pvs;
    return mode === "ca" ? serveCa(pvs) : serveReplay(pvs);
  },
  /** Starts posting: `perSecond` posts in all, round-robin over the PVs. */
  post({ perSecond }: { perSecond: number }) {
    if (!emit) throw new Error("not listening");
    pacer?.stop();
    pacer = new Pacer(perSecond, chunk, emit);
    pacer.start();
  },
  sample(): ServerSample {
    return {
      ...sampleCpu(),
      emitted: pacer?.emitted ?? 0,
      skipped: pacer?.skipped ?? 0,
      rssBytes: process.memoryUsage.rss(),
    };
  },
});
