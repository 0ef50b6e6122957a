/** Echo keep-alive and flow control, watched on the wire between a client and a server. */
import assert from "node:assert/strict";
import { createSocket } from "node:dgram";
import { connect, createServer, type Server, type Socket } from "node:net";
import { describe, it } from "node:test";
import { type CaMessage, encodeMessages } from "../../src/commands.js";
import { CA_MINOR_PROTOCOL_REVISION } from "../../src/constants.js";
import { MessageReader } from "../../src/message-reader.js";
import { CaClient } from "../../src/node/client.js";
import { ClientCircuit } from "../../src/node/client-circuit.js";
import { ServerPv } from "../../src/node/pv.js";
import { CaServer } from "../../src/node/server.js";
import { freeUdpPort, until } from "../helpers/ports.js";

/** A TCP server that records the requests it gets and answers only what `answer` says. */
async function fakeServer(
  answer: (m: CaMessage, socket: Socket) => void,
): Promise<{ server: Server; port: number; received: CaMessage[] }> {
  const received: CaMessage[] = [];
  const server = createServer((socket) => {
    const reader = new MessageReader("request", 1 << 20);
    socket.on("data", (chunk) => {
      for (const m of reader.feed(chunk)) {
        received.push(m);
        answer(m, socket);
      }
    });
    socket.on("error", () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, port: (server.address() as { port: number }).port, received };
}

const version = encodeMessages({ command: "VERSION", direction: "response", version: CA_MINOR_PROTOCOL_REVISION });

describe("echo keep-alive", () => {
  const circuitTo = (port: number, closed: () => void) =>
    ClientCircuit.connect("127.0.0.1", port, {
      maxArrayBytes: 1 << 20,
      connectionTimeoutMs: 100,
      onMessage: () => {},
      onClose: closed,
    });

  it("sends an ECHO after a silence and keeps a circuit whose server answers", async () => {
    const fake = await fakeServer((m, socket) => {
      if (m.command === "VERSION") socket.write(version);
      if (m.command === "ECHO") socket.write(encodeMessages({ command: "ECHO", direction: "response" }));
    });
    let closed = false;
    const circuit = await circuitTo(fake.port, () => {
      closed = true;
    });
    try {
      await until(() => fake.received.filter((m) => m.command === "ECHO").length >= 3, 3000, "three echoes");
      assert.equal(closed, false);
    } finally {
      circuit.close();
      fake.server.close();
    }
  });

  it("closes a circuit whose server stays silent after the echo", async () => {
    const fake = await fakeServer((m, socket) => {
      if (m.command === "VERSION") socket.write(version); // and nothing more, ever
    });
    let closedAt = 0;
    const start = performance.now();
    const circuit = await circuitTo(fake.port, () => {
      closedAt = performance.now();
    });
    try {
      await until(() => closedAt > 0, 7000, "the circuit to close");
      assert.ok(
        fake.received.some((m) => m.command === "ECHO"),
        "an echo was sent first",
      );
      // 100 ms of silence, then the echo timeout (5 s, libca's CA_ECHO_TIMEOUT).
      assert.ok(closedAt - start >= 5000, `closed after ${closedAt - start} ms`);
    } finally {
      circuit.close();
      fake.server.close();
    }
  });
});

describe("flow control", () => {
  it("asks a server to hold back monitors (EVENTS_OFF) while the client lags, then EVENTS_ON", async () => {
    const wave = new ServerPv({ base: "DOUBLE", value: new Float64Array(100_000) });
    const server = new CaServer({ pvs: new Map([["F:wave", wave]]), port: 0, beaconAddressList: [] });
    const ports = await server.listen();
    // A proxy between client and server records what the client asks for.
    const requests: string[] = [];
    const proxy = createServer((client) => {
      const upstream = connect(ports.tcpPort, "127.0.0.1");
      const reader = new MessageReader("request", 1 << 24);
      client.on("data", (chunk) => {
        for (const m of reader.feed(chunk)) requests.push(m.command);
        upstream.write(chunk);
      });
      upstream.pipe(client);
      client.on("error", () => upstream.destroy());
      upstream.on("error", () => client.destroy());
      client.on("close", () => upstream.destroy());
    });
    await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
    const proxyPort = (proxy.address() as { port: number }).port;
    const searchPort = await freeUdpPort();
    // Search answers that point at the proxy: a one-name "server" on UDP.
    const udp = createSocket("udp4");
    udp.on("message", (bytes, from) => {
      const reader = new MessageReader("request", 1 << 16);
      for (const m of reader.feed(bytes)) {
        if (m.command !== "SEARCH" || m.direction !== "request") continue;
        const reply = encodeMessages(
          { command: "VERSION", direction: "response", version: CA_MINOR_PROTOCOL_REVISION },
          {
            command: "SEARCH",
            direction: "response",
            port: proxyPort,
            serverAddress: 0xffffffff,
            cid: m.cid,
            version: 13,
          },
        );
        udp.send(reply, from.port, from.address);
      }
    });
    await new Promise<void>((resolve) => udp.bind(searchPort, "127.0.0.1", resolve));
    const client = new CaClient({ addressList: [`127.0.0.1:${searchPort}`], repeaterPort: await freeUdpPort() });
    const posting = setInterval(() => {
      for (let i = 0; i < 10; i++) wave.post(new Float64Array(100_000).fill(i));
    }, 1);
    try {
      const channel = client.channel("F:wave");
      await channel.wait(2000);
      let updates = 0;
      channel.monitor(() => {
        updates++;
        const busyUntil = performance.now() + 20; // a consumer slower than the producer
        while (performance.now() < busyUntil);
      });
      await until(() => requests.includes("EVENTS_OFF"), 10_000, "EVENTS_OFF");
      clearInterval(posting);
      await until(() => requests.lastIndexOf("EVENTS_ON") > requests.lastIndexOf("EVENTS_OFF"), 10_000, "EVENTS_ON");
      assert.ok(updates > 0);
    } finally {
      clearInterval(posting);
      client.close();
      udp.close();
      proxy.close();
      await server.close();
    }
  });
});
