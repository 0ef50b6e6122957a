/**
 * `/api/v1/qs-console-socket` end to end: a real ZeroMQ PUB socket on loopback publishing what the
 * Bluesky Queue Server publishes, the gateway's HTTP server with only this adapter, and real
 * WebSocket clients.
 */
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { describe, it, type TestContext } from "node:test";
import { pino } from "pino";
import WebSocket from "ws";
import { Publisher } from "zeromq";
import { DEFAULT_LIMITS } from "../../../src/limits.js";
import { qsConsoleProtocol } from "../../../src/protocols/ophyd/qs-console.js";
import { HttpServer } from "../../../src/transport/http-server.js";
import { openSecurity } from "../../helpers/security.js";
import { type Message, TestClient } from "../../helpers/ws-client.js";

const PATH = "/api/v1/qs-console-socket";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A console payload exactly as the queue server formats it (Python `json.dumps`). */
function consoleLine(text: string): string {
  return `{"time": 1795255101.82, "msg": "[I 2026-11-21 10:00:00,000 bluesky_queueserver.manager.manager] ${text}\\n"}`;
}
const INFO = '{"time": 1795255101.9, "msg": {"status": {"manager_state": "idle", "items_in_queue": 0}}}';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** The queue server's side: a PUB socket that counts the subscriber connections it sees. */
class QueueServer {
  readonly pub = new Publisher({ linger: 0 });
  accepted = 0;
  disconnected = 0;

  private constructor() {
    this.pub.events.on("accept", () => this.accepted++);
    this.pub.events.on("disconnect", () => this.disconnected++);
  }

  /** Binds on the port, retrying while a previous publisher's port is being released. */
  static async start(port: number): Promise<QueueServer> {
    for (let attempt = 0; ; attempt++) {
      const qs = new QueueServer();
      try {
        await qs.pub.bind(`tcp://127.0.0.1:${port}`);
        return qs;
      } catch (e) {
        qs.close();
        if (attempt >= 50) throw e;
        await sleep(50);
      }
    }
  }

  send(...parts: (string | Buffer)[]): Promise<void> {
    return this.pub.send(parts);
  }

  console(text: string): Promise<void> {
    return this.send("QS_Console", consoleLine(text));
  }

  close(): void {
    if (!this.pub.closed) this.pub.close();
  }
}

interface Client {
  /** Every text frame received, as it was received. */
  readonly frames: string[];
  closeSocket(): Promise<unknown>;
}

/** A TestClient that also keeps the frames' raw text, to check that payloads pass unchanged. */
async function jsonClient(url: string): Promise<TestClient & Client> {
  const client = await TestClient.connect(url);
  const frames: string[] = [];
  client.ws.on("message", (data: Buffer) => frames.push(data.toString()));
  return Object.assign(client, { frames, closeSocket: () => client.close() });
}

/** A plain client for frames that are not JSON (TestClient parses every frame). */
async function rawClient(url: string): Promise<Client & { ws: WebSocket }> {
  const ws = new WebSocket(url);
  const frames: string[] = [];
  ws.on("message", (data: Buffer) => frames.push(data.toString()));
  await new Promise((resolve, reject) => {
    ws.once("open", resolve);
    ws.once("error", reject);
  });
  const closed = new Promise((resolve) => ws.once("close", resolve));
  return {
    ws,
    frames,
    closeSocket: () => {
      ws.close();
      return closed;
    },
  };
}

async function until(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

let syncs = 0;

/**
 * Publishes a marker line until every client has it: a SUB socket receives only what is published
 * after its subscription reached the publisher, which takes a moment after each (re)connect.
 */
async function sync(qs: QueueServer, clients: Client[], timeoutMs = 5000): Promise<void> {
  const marker = `sync ${++syncs}`;
  const deadline = Date.now() + timeoutMs;
  while (!clients.every((c) => c.frames.some((f) => f.includes(marker)))) {
    if (Date.now() > deadline) throw new Error(`${marker} not received within ${timeoutMs} ms`);
    await qs.console(marker);
    await sleep(25);
  }
}

/** The frames that are not sync markers. */
const lines = (c: Client) => c.frames.filter((f) => !f.includes("] sync "));

/** A gateway server with only the qs-console adapter, and a log that tests can read. */
async function setup(t: TestContext, port: number, host = "127.0.0.1") {
  const logs: Message[] = [];
  const log = pino({ level: "debug" }, { write: (line: string) => void logs.push(JSON.parse(line)) });
  const adapter = qsConsoleProtocol({ host, port }, log);
  const server = new HttpServer({
    limits: { ...DEFAULT_LIMITS },
    log,
    adapters: [adapter],
    routes: new Map(),
    ...(await openSecurity()),
  });
  const address = await server.listen("127.0.0.1", 0);
  t.after(async () => {
    await server.close();
    await adapter.stop();
  });
  return { url: `ws://127.0.0.1:${address.port}${PATH}`, logs };
}

async function start(t: TestContext) {
  const port = await freePort();
  const qs = await QueueServer.start(port);
  t.after(() => qs.close());
  return { port, qs, ...(await setup(t, port)) };
}

describe("qs-console-socket", () => {
  it("shares one lazy ZMQ subscription and forwards each console line once, in order, to every client", async (t) => {
    const { qs, url } = await start(t);
    await sleep(300);
    assert.equal(qs.accepted, 0, "no ZMQ connection before the first client");

    const a = await jsonClient(url);
    const b = await jsonClient(url);
    await sync(qs, [a, b]);
    assert.equal(qs.accepted, 1, "one ZMQ connection for both clients");

    const expected: string[] = [];
    for (let i = 0; i < 50; i++) {
      expected.push(consoleLine(`Starting plan ${i}`));
      await qs.console(`Starting plan ${i}`);
      // Status frames on the same socket are never forwarded.
      await qs.send("QS_Info", INFO);
    }
    await until(() => a.frames.includes(expected.at(-1) as string), "the last line at client a");
    await until(() => b.frames.includes(expected.at(-1) as string), "the last line at client b");
    await sleep(200);
    assert.deepEqual(lines(a), expected);
    assert.deepEqual(lines(b), expected);
    const line = await a.next((m) => m.msg?.includes("Starting plan 0"));
    assert.deepEqual(line, {
      time: 1795255101.82,
      msg: "[I 2026-11-21 10:00:00,000 bluesky_queueserver.manager.manager] Starting plan 0\n",
    });

    // Client messages are ignored: no answer, and the socket stays open.
    a.send({ action: "subscribe" });
    a.send("hello");
    await qs.console("after client text");
    await until(() => a.frames.some((f) => f.includes("after client text")), "a line after client text");
    assert.equal(a.ws.readyState, WebSocket.OPEN);
    assert.ok(!a.frames.some((f) => f.includes("manager_state")));
    await a.close();
    await b.close();
  });

  it("resumes when the queue server restarts on the same port", async (t) => {
    const port = await freePort();
    let qs = await QueueServer.start(port);
    t.after(() => qs.close());
    const { url } = await setup(t, port);
    const client = await jsonClient(url);
    await sync(qs, [client]);
    await qs.console("before restart");

    qs.close();
    await sleep(300);
    qs = await QueueServer.start(port);
    // libzmq reconnects by itself; the subscription follows.
    await sync(qs, [client], 5000);
    await qs.console("after restart");
    await until(() => client.frames.some((f) => f.includes("after restart")), "a line after the restart");
    assert.equal(client.ws.readyState, WebSocket.OPEN);
    await client.close();
  });

  it("keeps serving the other client when one leaves, and closes the ZMQ socket after the last", async (t) => {
    const { qs, url } = await start(t);
    const a = await jsonClient(url);
    const b = await jsonClient(url);
    await sync(qs, [a, b]);

    await a.close();
    await qs.console("only b");
    await until(() => b.frames.some((f) => f.includes("only b")), "a line at b after a left");
    assert.ok(!a.frames.some((f) => f.includes("only b")));
    assert.equal(qs.disconnected, 0, "the subscription stays while a client remains");

    await b.close();
    await until(() => qs.disconnected === 1, "the ZMQ socket closed");
    await sleep(500);
    assert.equal(qs.accepted, 1, "no reconnection without clients");

    // A new client opens a new subscription.
    const c = await jsonClient(url);
    await sync(qs, [c]);
    assert.equal(qs.accepted, 2);
    await c.close();
  });

  it("sends nothing while the queue server is unreachable, then forwards once it is up", async (t) => {
    const port = await freePort();
    // The default host is `localhost`, which libzmq resolves to IPv4 as the queue server listens.
    const { url } = await setup(t, port, "localhost");
    const client = await jsonClient(url);
    await sleep(500);
    assert.deepEqual(client.frames, []);
    assert.equal(client.ws.readyState, WebSocket.OPEN);

    const qs = await QueueServer.start(port);
    t.after(() => qs.close());
    await sync(qs, [client]);
    await client.close();
  });

  it("logs a malformed address and sends nothing, without failing the connection", async (t) => {
    const { url, logs } = await setup(t, 60625, "not a host");
    const client = await jsonClient(url);
    await until(() => logs.some((l) => l.level === 50), "the error log");
    await sleep(100);
    assert.deepEqual(client.frames, []);
    assert.equal(client.ws.readyState, WebSocket.OPEN);
    await client.close();
  });

  it("survives garbage from the publisher: drops non-UTF-8 and oversized payloads with a warning", async (t) => {
    const { qs, url, logs } = await start(t);
    const client = await rawClient(url);
    await sync(qs, [client]);

    const huge = consoleLine("x".repeat(2 * 1024 * 1024));
    await qs.send("QS_Console", Buffer.from([0xff, 0xfe, 0x00, 0x80, 0xc3]));
    await qs.send("QS_Console", Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256)));
    await qs.send("QS_Console", huge);
    await qs.send("QS_Console");
    await qs.send(Buffer.from([0x80, 0x81]), "binary topic");
    await qs.send("QS_ConsoleX", consoleLine("another topic with the same prefix"));
    await qs.send("QS_Info", INFO);
    await qs.send("QS_Console", "not json at all");
    await qs.console("still alive");
    await until(() => client.frames.some((f) => f.includes("still alive")), "the line after the garbage");

    // Valid UTF-8 passes unchanged, as in ophyd-websocket; the rest is dropped.
    assert.deepEqual(lines(client), ["not json at all", consoleLine("still alive")]);
    const warnings = logs.filter((l) => l.level === 40).map((l) => l.msg);
    assert.equal(warnings.filter((m) => m.includes("not UTF-8")).length, 2);
    assert.equal(warnings.filter((m) => m.includes("oversized")).length, 1);
    assert.equal(client.ws.readyState, WebSocket.OPEN);
    await client.closeSocket();
  });
});
