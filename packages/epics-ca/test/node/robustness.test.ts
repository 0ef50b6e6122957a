/**
 * The server and client against peers that misbehave: clients that vanish or stop reading, garbage
 * on a circuit or on the search port, names nobody serves, search answers that arrive together.
 *
 * Garbage tests run the server in a child process (this same file, started with
 * ROBUSTNESS_CHILD_SERVER set), so that a server that throws dies visibly, as it would in
 * production, instead of being rescued by the test runner.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { createSocket, type Socket as UdpSocket } from "node:dgram";
import { connect, Socket } from "node:net";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { type CaMessage, encodeMessages } from "../../src/commands.js";
import { CA_MINOR_PROTOCOL_REVISION, Command, DBE, ECA, SEARCH } from "../../src/constants.js";
import { dbrType } from "../../src/dbr.js";
import { decodeDatagram, MessageReader } from "../../src/message-reader.js";
import { CaClient } from "../../src/node/client.js";
import { ServerPv } from "../../src/node/pv.js";
import { CaServer } from "../../src/node/server.js";
import { freeUdpPort } from "../helpers/ports.js";

const CHILD_ENV = "ROBUSTNESS_CHILD_SERVER";
const MB = 1024 * 1024;

/** Resolves when `check` holds; rejects with `what()` after `ms`. */
async function waitFor(check: () => boolean, ms: number, what: () => string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms: ${what()}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Deterministic bytes (mulberry32), so a failure reproduces. */
function pseudoRandomBytes(seed: number, length: number): Uint8Array {
  let state = seed >>> 0;
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = (t ^ (t >>> 14)) & 0xff;
  }
  return out;
}

/** A 16-byte header, or the 24-byte extended one when `extended` gives payload size and count. */
function header(
  command: number,
  fields: { payloadSize?: number; dataType?: number; dataCount?: number; p1?: number; p2?: number },
  extended?: { payloadSize: number; dataCount: number },
): Uint8Array {
  const out = new Uint8Array(extended ? 24 : 16);
  const view = new DataView(out.buffer);
  view.setUint16(0, command);
  view.setUint16(2, extended ? 0xffff : (fields.payloadSize ?? 0));
  view.setUint16(4, fields.dataType ?? 0);
  view.setUint16(6, extended ? 0 : (fields.dataCount ?? 0));
  view.setUint32(8, fields.p1 ?? 0);
  view.setUint32(12, fields.p2 ?? 0);
  if (extended) {
    view.setUint32(16, extended.payloadSize);
    view.setUint32(20, extended.dataCount);
  }
  return out;
}

function makePvs(): Map<string, ServerPv> {
  return new Map([
    ["ROB:ai", new ServerPv({ base: "DOUBLE", value: Float64Array.of(1.5) })],
    ["ROB:other", new ServerPv({ base: "LONG", value: Int32Array.of(7) })],
    ["ROB:wave", new ServerPv({ base: "DOUBLE", value: Float64Array.from({ length: 1000 }, (_, i) => i) })],
  ]);
}

/**
 * A CA client made of bytes: it sends whatever it is told (valid or not) and parses what comes
 * back, so a test can do the handshake by hand and then misbehave.
 */
class RawCircuit {
  readonly socket: Socket;
  /** This end's port and the server's, kept for after the socket is destroyed. */
  readonly localPort: number;
  readonly remotePort: number;
  readonly received: CaMessage[] = [];
  closed = false;
  /** What the server sent that could not be parsed, if anything. */
  failure: Error | undefined;
  readonly #reader = new MessageReader("response", 256 * MB);

  private constructor(socket: Socket) {
    this.socket = socket;
    this.localPort = socket.localPort as number;
    this.remotePort = socket.remotePort as number;
    socket.on("data", (chunk: Buffer) => {
      try {
        this.received.push(...this.#reader.feed(chunk));
      } catch (e) {
        this.failure = e as Error;
        socket.destroy();
      }
    });
    socket.on("error", () => {});
    socket.on("close", () => {
      this.closed = true;
    });
  }

  static connect(port: number): Promise<RawCircuit> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, "127.0.0.1");
      socket.once("error", reject);
      socket.once("connect", () => {
        socket.off("error", reject);
        resolve(new RawCircuit(socket));
      });
    });
  }

  send(...messages: CaMessage[]): void {
    this.socket.write(encodeMessages(...messages));
  }

  sendBytes(...parts: Uint8Array[]): void {
    for (const part of parts) this.socket.write(part);
  }

  /** The first message received that `match` accepts. */
  async next(match: (m: CaMessage) => boolean, ms = 2000): Promise<CaMessage> {
    await waitFor(
      () => this.received.some(match),
      ms,
      () => `received: ${this.received.map((m) => m.command).join(", ")}`,
    );
    return this.received.find(match) as CaMessage;
  }

  /** VERSION, HOST_NAME, CLIENT_NAME and CREATE_CHAN as libca sends them; resolves with the sid. */
  async open(name: string, cid = 1): Promise<number> {
    this.send(
      { command: "VERSION", direction: "request", priority: 0, version: CA_MINOR_PROTOCOL_REVISION },
      { command: "HOST_NAME", direction: "request", name: "robustness" },
      { command: "CLIENT_NAME", direction: "request", name: "tester" },
      { command: "CREATE_CHAN", direction: "request", name, cid, version: CA_MINOR_PROTOCOL_REVISION },
    );
    const created = await this.next((m) => m.command === "CREATE_CHAN" && m.direction === "response" && m.cid === cid);
    return (created as { sid: number }).sid;
  }

  subscribe(sid: number, subscriptionId: number, dataType = dbrType("PLAIN", "DOUBLE"), dataCount = 0): void {
    this.send({
      command: "EVENT_ADD",
      direction: "request",
      dataType,
      dataCount,
      sid,
      subscriptionId,
      mask: DBE.VALUE | DBE.ALARM,
    });
  }

  async closedWithin(ms: number): Promise<void> {
    await waitFor(
      () => this.closed,
      ms,
      () => "the server kept the circuit open",
    );
  }
}

/** The server's end of a raw circuit (CaServer keeps its sockets private), found among the active handles. */
function serverEndOf(raw: RawCircuit): Socket | undefined {
  const handles = (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles();
  return handles.find(
    (h): h is Socket =>
      h instanceof Socket && h !== raw.socket && h.remotePort === raw.localPort && h.localPort === raw.remotePort,
  );
}

/** The server of the garbage tests, in a child process: this file with CHILD_ENV set. */
class ChildServer {
  readonly #process: ChildProcess;
  readonly ports: { tcpPort: number; udpPort: number };
  stderr = "";
  exit: { code: number | null; signal: string | null } | undefined;

  private constructor(child: ChildProcess, ports: { tcpPort: number; udpPort: number }) {
    this.#process = child;
    this.ports = ports;
  }

  static start(): Promise<ChildServer> {
    const env: NodeJS.ProcessEnv = { ...process.env, [CHILD_ENV]: "1" };
    delete env.NODE_TEST_CONTEXT;
    const child = spawn(process.execPath, [fileURLToPath(import.meta.url)], {
      env,
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stderr?.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill("SIGKILL");
        reject(new Error(`child server did not start: ${stderr}`));
      }, 10_000);
      child.stdout?.on("data", (chunk: Buffer) => {
        stdout += chunk.toString();
        if (!stdout.includes("\n")) return;
        clearTimeout(timer);
        const server = new ChildServer(child, JSON.parse(stdout.split("\n")[0] as string));
        child.stderr?.on("data", (c: Buffer) => {
          server.stderr += c.toString();
        });
        server.stderr = stderr;
        child.on("exit", (code, signal) => {
          server.exit = { code, signal };
        });
        resolve(server);
      });
      child.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`child server exited with ${code}: ${stderr}`));
      });
    });
  }

  /** Fails with the child's stderr if the server process is gone. */
  assertAlive(): void {
    assert.equal(
      this.exit,
      undefined,
      `the server process died (${JSON.stringify(this.exit)}):\n${this.stderr.slice(0, 2000)}`,
    );
  }

  async stop(): Promise<void> {
    if (this.exit) return;
    const exited = new Promise((r) => this.#process.once("exit", r));
    this.#process.stdin?.end();
    this.#process.kill();
    await Promise.race([exited, sleep(2000)]);
  }
}

/** In the child: serve, print the ports, and live until the parent closes stdin. */
async function serveForParent(): Promise<void> {
  const server = new CaServer({ pvs: makePvs(), port: 0, host: "127.0.0.1", beaconAddressList: [] });
  const ports = await server.listen();
  process.stdout.write(`${JSON.stringify(ports)}\n`);
  process.stdin.on("end", () => process.exit(0));
  process.stdin.resume();
}

/**
 * A client searching `port` only, with a repeater of its own (on a free port), so that beacons of
 * servers of other tests do not reset its searches.
 */
async function isolatedClient(port: number, options: { searchIntervalMs?: number; maxSearchIntervalMs?: number } = {}) {
  return new CaClient({ addressList: [`127.0.0.1:${port}`], repeaterPort: await freeUdpPort(), ...options });
}

/** A well-behaved client connected to `udpPort`'s server, monitoring ROB:ai, to check others stay served. */
async function bystander(udpPort: number) {
  const client = await isolatedClient(udpPort);
  const channel = client.channel("ROB:ai");
  await channel.wait(2000);
  let disconnects = 0;
  channel.onConnection = (up) => {
    if (!up) disconnects++;
  };
  const values: number[] = [];
  channel.monitor((v) => values.push(v.value[0] as number));
  await waitFor(
    () => values.length > 0,
    2000,
    () => "no first monitor value",
  );
  return {
    client,
    channel,
    values,
    /** Still connected (never dropped), reads, and a new channel to another PV connects. */
    async assertServed(): Promise<void> {
      assert.equal(disconnects, 0, "the bystander's circuit was not dropped");
      assert.deepEqual((await channel.get({ timeoutMs: 2000 })).value, Float64Array.of(1.5));
      const other = client.channel("ROB:other");
      await other.wait(2000);
      assert.deepEqual((await other.get({ timeoutMs: 2000 })).value, Int32Array.of(7));
      other.close();
    },
    close: () => client.close(),
  };
}

function defineTests(): void {
  describe("clients that disappear or stop reading", () => {
    let server: CaServer;
    let pvs: Map<string, ServerPv>;
    let tcpPort: number;
    let udpPort: number;
    before(async () => {
      pvs = makePvs();
      pvs.set("ROB:big", new ServerPv({ base: "DOUBLE", value: new Float64Array(MB) }));
      server = new CaServer({ pvs, port: 0, host: "127.0.0.1", beaconAddressList: [] });
      ({ tcpPort, udpPort } = await server.listen());
    });
    after(() => server.close());

    it("a client reset without closing frees its monitors; the others are still served", async () => {
      const ai = pvs.get("ROB:ai") as ServerPv;
      const listeners = () => ai.listenerCount;
      const other = await bystander(udpPort);
      try {
        assert.equal(listeners(), 1);
        assert.equal(server.connectionCount, 1);
        const raws: RawCircuit[] = [];
        for (let i = 0; i < 20; i++) {
          const raw = await RawCircuit.connect(tcpPort);
          const sid = await raw.open("ROB:ai");
          raw.subscribe(sid, 1);
          raw.subscribe(sid, 2, dbrType("TIME", "DOUBLE"));
          await raw.next((m) => m.command === "EVENT_ADD" && m.subscriptionId === 2);
          raws.push(raw);
        }
        assert.equal(listeners(), 41);
        assert.equal(server.connectionCount, 21);
        for (const raw of raws) raw.socket.resetAndDestroy();
        await waitFor(
          () => listeners() === 1,
          2000,
          () => `${listeners()} listeners left on the PV`,
        );
        await waitFor(
          () => server.connectionCount === 1 && raws.every((raw) => serverEndOf(raw) === undefined),
          2000,
          () => `the server kept circuits that were reset (${server.connectionCount} connections)`,
        );
        ai.post(Float64Array.of(1.5));
        await waitFor(
          () => other.values.length >= 2,
          2000,
          () => "the bystander's monitor saw no post",
        );
        await other.assertServed();
      } finally {
        other.close();
      }
    });

    it("a client that stops reading does not make the server buffer without bound", async () => {
      const big = pvs.get("ROB:big") as ServerPv;
      const listeners = () => big.listenerCount;
      const updateBytes = big.maxCount * 8;
      const raw = await RawCircuit.connect(tcpPort);
      const sid = await raw.open("ROB:big");
      raw.subscribe(sid, 1);
      await raw.next((m) => m.command === "EVENT_ADD" && m.direction === "response", 5000);
      raw.socket.pause(); // reads nothing more: the kernel buffers fill, then the server's
      const serverEnd = serverEndOf(raw);
      assert.ok(serverEnd, "found the server's end of the circuit");

      // A bystander monitoring the same PV keeps up.
      const client = await isolatedClient(udpPort);
      try {
        const channel = client.channel("ROB:big");
        await channel.wait(2000);
        let last = -1;
        channel.monitor((v) => {
          last = v.value[0] as number;
        });
        await waitFor(
          () => last === 0,
          5000,
          () => `bystander saw ${last}`,
        );

        const UPDATES = 25; // 25 x 8 MB = 200 MB
        const memoryBefore = process.memoryUsage();
        let maxBuffered = 0;
        for (let i = 1; i <= UPDATES; i++) {
          big.post(new Float64Array(big.maxCount).fill(i));
          await sleep(5);
          maxBuffered = Math.max(maxBuffered, serverEnd.writableLength);
        }
        await waitFor(
          () => last === UPDATES,
          10_000,
          () => `the bystander's last value is ${last}, not ${UPDATES}`,
        );
        maxBuffered = Math.max(maxBuffered, serverEnd.writableLength);
        const memoryAfter = process.memoryUsage();
        console.log(
          `# posted ${(UPDATES * updateBytes) / MB} MB to a client that does not read: the server buffered up to ` +
            `${(maxBuffered / MB).toFixed(1)} MB for it; arrayBuffers ${(memoryBefore.arrayBuffers / MB).toFixed(0)} -> ` +
            `${(memoryAfter.arrayBuffers / MB).toFixed(0)} MB, rss ${(memoryBefore.rss / MB).toFixed(0)} -> ` +
            `${(memoryAfter.rss / MB).toFixed(0)} MB`,
        );
        // RSRV keeps a bounded event queue per client and replaces queued updates of a monitor by
        // the newest: a few updates' worth at most.
        assert.ok(
          maxBuffered <= 4 * updateBytes,
          `the server buffered ${(maxBuffered / MB).toFixed(1)} MB for a client that reads nothing ` +
            `(${UPDATES} updates of ${updateBytes / MB} MB posted)`,
        );
        // Reading again, the client catches up with the latest value.
        const firstValue = (m: CaMessage) =>
          m.command === "EVENT_ADD" && m.direction === "response" && m.data.length >= 8
            ? new DataView(m.data.buffer, m.data.byteOffset).getFloat64(0)
            : undefined;
        raw.socket.resume();
        await raw.next((m) => firstValue(m) === UPDATES, 10_000);
        const seen = raw.received.map(firstValue).filter((v) => v !== undefined);
        assert.deepEqual(
          seen,
          [...seen].sort((a, b) => a - b),
          "updates in order",
        );
      } finally {
        client.close();
        raw.socket.destroy();
        await waitFor(
          () => listeners() === 0,
          2000,
          () => `${listeners()} listeners left on the PV`,
        );
      }
    });
  });

  describe("garbage on a TCP circuit closes that circuit only", () => {
    let child: ChildServer;
    let other: Awaited<ReturnType<typeof bystander>>;
    // A fresh server for each case: one that died must not fail the next.
    const fresh = async () => {
      other?.close();
      await child?.stop();
      child = await ChildServer.start();
      other = await bystander(child.ports.udpPort);
    };
    after(async () => {
      other?.close();
      await child?.stop();
    });

    /** The server lives and still serves the bystander; a dead server is named as the cause. */
    const stillServing = async () => {
      try {
        await other.assertServed();
      } catch (e) {
        // A server that died shows first as a dropped circuit: wait for its exit to report why.
        await waitFor(
          () => child.exit !== undefined,
          1000,
          () => "",
        ).catch(() => {});
        child.assertAlive();
        throw e;
      }
      child.assertAlive();
    };
    const survives = async (raw: RawCircuit, closeMs = 2000) => {
      await raw.closedWithin(closeMs);
      await stillServing();
    };

    it("random bytes instead of a handshake", async () => {
      await fresh();
      const raw = await RawCircuit.connect(child.ports.tcpPort);
      raw.sendBytes(pseudoRandomBytes(1, 256 * 1024));
      await survives(raw);
    });

    it("random bytes after a handshake and a monitor", async () => {
      await fresh();
      const raw = await RawCircuit.connect(child.ports.tcpPort);
      raw.subscribe(await raw.open("ROB:ai"), 1);
      await raw.next((m) => m.command === "EVENT_ADD");
      raw.sendBytes(pseudoRandomBytes(2, 256 * 1024));
      await survives(raw);
    });

    it("an extended header claiming a 4 GB payload (closed at once, not awaited)", async () => {
      await fresh();
      const raw = await RawCircuit.connect(child.ports.tcpPort);
      const sid = await raw.open("ROB:ai");
      raw.sendBytes(
        header(
          Command.WRITE_NOTIFY,
          { dataType: dbrType("PLAIN", "DOUBLE"), p1: sid, p2: 1 },
          { payloadSize: 0xfffffff8, dataCount: 1 },
        ),
        new Uint8Array(64),
      );
      await survives(raw, 1000);
    });

    it("an unknown command", async () => {
      await fresh();
      const raw = await RawCircuit.connect(child.ports.tcpPort);
      await raw.open("ROB:ai");
      raw.sendBytes(header(99, {}));
      await survives(raw);
    });

    it("a command for a channel that does not exist", async () => {
      await fresh();
      const raw = await RawCircuit.connect(child.ports.tcpPort);
      await raw.open("ROB:ai");
      raw.send({ command: "READ_NOTIFY", direction: "request", dataType: 6, dataCount: 1, sid: 12345, ioid: 1 });
      await survives(raw);
    });

    /**
     * After a request the server cannot honour: it lives, serves the bystander, and either refused
     * (an ERROR, or a reply with a failing status) or dropped the circuit, as RSRV does.
     */
    const refused = async (raw: RawCircuit, command: CaMessage["command"]) => {
      const answered = () => raw.received.some((m) => m.command === command || m.command === "ERROR");
      await waitFor(
        () => raw.closed || answered() || child.exit !== undefined,
        3000,
        () => "neither an answer nor a closed circuit",
      );
      await stillServing();
      assert.equal(raw.failure, undefined, "the server's answer parses");
      const reply = raw.received.find((m) => m.command === command) as
        | { status: number; dataCount: number; data: Uint8Array }
        | undefined;
      if (reply)
        assert.notEqual(
          reply.status,
          ECA.NORMAL,
          `answered with ${reply.dataCount} elements (${(reply.data.length / MB).toFixed(1)} MB)`,
        );
    };
    const askFor = (raw: RawCircuit, command: number, sid: number, dataCount: number) => {
      const eventAdd = command === Command.EVENT_ADD;
      const payload = new Uint8Array(eventAdd ? 16 : 0);
      if (eventAdd) new DataView(payload.buffer).setUint16(12, DBE.VALUE); // the mask
      raw.sendBytes(
        header(
          command,
          { dataType: dbrType("PLAIN", "DOUBLE"), p1: sid, p2: 7 },
          { payloadSize: payload.length, dataCount },
        ),
        payload,
      );
    };

    // A request may name any count; 0xffffffff doubles cannot be allocated. RSRV sizes the reply
    // first and answers ECA_TOLARGE when it exceeds EPICS_CA_MAX_ARRAY_BYTES; it does not die.
    it("a READ_NOTIFY asking for 0xffffffff elements", async () => {
      await fresh();
      const raw = await RawCircuit.connect(child.ports.tcpPort);
      askFor(raw, Command.READ_NOTIFY, await raw.open("ROB:ai"), 0xffffffff);
      await refused(raw, "READ_NOTIFY");
    });

    it("an EVENT_ADD asking for 0xffffffff elements", async () => {
      await fresh();
      const raw = await RawCircuit.connect(child.ports.tcpPort);
      askFor(raw, Command.EVENT_ADD, await raw.open("ROB:ai"), 0xffffffff);
      await refused(raw, "EVENT_ADD");
    });

    // 16 bytes asking for 32 MB (4,000,000 doubles of a scalar PV): past EPICS_CA_MAX_ARRAY_BYTES
    // (16 MiB by default) RSRV refuses to build the reply (ECA_TOLARGE) rather than send it.
    it("a READ_NOTIFY asking for more than EPICS_CA_MAX_ARRAY_BYTES", async () => {
      await fresh();
      const raw = await RawCircuit.connect(child.ports.tcpPort);
      askFor(raw, Command.READ_NOTIFY, await raw.open("ROB:ai"), 4_000_000);
      await refused(raw, "READ_NOTIFY");
    });
  });

  describe("garbage on the UDP search port", () => {
    let child: ChildServer;
    let udp: UdpSocket;
    before(async () => {
      child = await ChildServer.start();
      udp = createSocket("udp4");
      await new Promise<void>((resolve) => udp.bind(0, "127.0.0.1", resolve));
    });
    after(async () => {
      udp.close();
      await child.stop();
    });

    it("is ignored, and searches are still answered", async () => {
      const send = (bytes: Uint8Array) =>
        new Promise<void>((resolve) => udp.send(bytes, child.ports.udpPort, "127.0.0.1", () => resolve()));
      const search = (name: Uint8Array) =>
        new Uint8Array([
          ...header(Command.SEARCH, {
            payloadSize: name.length,
            dataType: SEARCH.DO_REPLY,
            dataCount: 13,
            p1: 1,
            p2: 1,
          }),
          ...name,
        ]);
      const crafted = [
        new Uint8Array(0),
        new Uint8Array(15),
        header(Command.SEARCH, { payloadSize: 800 }), // claims more than the datagram holds
        header(Command.SEARCH, {}, { payloadSize: 0xfffffff8, dataCount: 0 }),
        header(Command.SEARCH, { payloadSize: 0xffff }),
        search(new Uint8Array(8)), // empty name
        search(new TextEncoder().encode("ROB:ai!!")), // not NUL-terminated
        header(99, {}),
        header(Command.CREATE_CHAN, {}),
        pseudoRandomBytes(3, 60_000),
      ];
      for (const bytes of crafted) await send(bytes);
      for (let i = 0; i < 200; i++) {
        const bytes = pseudoRandomBytes(1000 + i, 1 + ((i * 37) % 1400));
        // Half of them start like a search datagram, so they get past the first header.
        if (i % 2 === 0 && bytes.length >= 16) bytes.set(header(Command.VERSION, { dataCount: 13 }));
        await send(bytes);
      }
      child.assertAlive();
      const client = await isolatedClient(child.ports.udpPort);
      try {
        const channel = client.channel("ROB:ai");
        await channel.wait(2000);
        assert.deepEqual((await channel.get()).value, Float64Array.of(1.5));
      } finally {
        client.close();
      }
      child.assertAlive();
    });
  });

  describe("searching for a name nobody has", () => {
    /** A UDP socket posing as the only server in the address list; it records the searches for `name`. */
    async function listener(name: string) {
      const socket = createSocket("udp4");
      const times: number[] = [];
      socket.on("message", (bytes) => {
        try {
          const found = decodeDatagram(bytes, "request").some(
            (m) => m.command === "SEARCH" && m.direction === "request" && m.name === name,
          );
          if (found) times.push(performance.now());
        } catch {
          // not a search
        }
      });
      await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
      return { socket, times, port: socket.address().port };
    }

    it("keeps searching with back-off, without flooding", async () => {
      const server = await listener("ROB:missing");
      const client = await isolatedClient(server.port);
      try {
        const started = performance.now();
        const channel = client.channel("ROB:missing");
        await sleep(3000);
        const times = server.times.map((t) => t - started);
        const gaps = times.slice(1).map((t, i) => t - (times[i] as number));
        console.log(`# ${times.length} searches in 3 s, gaps ${gaps.map((g) => g.toFixed(0)).join(", ")} ms`);
        assert.ok(times.length >= 4, `still searching: ${times.length} searches`);
        assert.ok(times.length <= 15, `no flood: ${times.length} searches in 3 s`);
        assert.ok(
          (times.at(-1) as number) > 1000,
          `searches continue past the first second (last at ${times.at(-1)} ms)`,
        );
        // Back-off: every gap at least about as long as the one before (timers are not exact).
        gaps.slice(1).forEach((gap, i) => {
          assert.ok(gap >= (gaps[i] as number) * 0.8, `gap ${i + 1} (${gap} ms) shrank from ${gaps[i]} ms`);
        });
        channel.close();
      } finally {
        client.close();
        server.socket.close();
      }
    });

    it("channel.close() stops the searching", async () => {
      const server = await listener("ROB:missing");
      const client = await isolatedClient(server.port, { searchIntervalMs: 20, maxSearchIntervalMs: 100 });
      try {
        const channel = client.channel("ROB:missing");
        await waitFor(
          () => server.times.length >= 5,
          3000,
          () => `${server.times.length} searches`,
        );
        assert.equal(client.stats.searching, 1);
        channel.close();
        assert.equal(client.stats.searching, 0);
        assert.equal(client.stats.channels, 0);
        const count = server.times.length;
        await sleep(400); // four times the longest search interval
        assert.equal(server.times.length, count, "no search after close()");
      } finally {
        client.close();
        server.socket.close();
      }
    });
  });

  describe("search answers that arrive together", () => {
    // Two answers in one datagram (a server answering a batch of searches, or answers queued while
    // the client was busy): the second channel finds the circuit of the first still connecting.
    it("both channels connect over the one circuit", async () => {
      const pvs = makePvs();
      const server = new CaServer({ pvs, port: 0, host: "127.0.0.1", beaconAddressList: [] });
      const { tcpPort } = await server.listen();
      const fake = createSocket("udp4");
      const cids = new Map<string, { cid: number; port: number; address: string }>();
      fake.on("message", (bytes, from) => {
        for (const m of decodeDatagram(bytes, "request")) {
          if (m.command === "SEARCH" && m.direction === "request" && !cids.has(m.name))
            cids.set(m.name, { cid: m.cid, port: from.port, address: from.address });
        }
      });
      await new Promise<void>((resolve) => fake.bind(0, "127.0.0.1", resolve));
      const client = await isolatedClient(fake.address().port);
      try {
        const a = client.channel("ROB:ai");
        const b = client.channel("ROB:other");
        await waitFor(
          () => cids.size === 2,
          2000,
          () => `searches seen for ${[...cids.keys()]}`,
        );
        const answer = (cid: number): CaMessage => ({
          command: "SEARCH",
          direction: "response",
          port: tcpPort,
          serverAddress: 0xffffffff,
          cid,
          version: CA_MINOR_PROTOCOL_REVISION,
        });
        const to = cids.get("ROB:ai") as { port: number; address: string };
        fake.send(
          encodeMessages(
            { command: "VERSION", direction: "response", version: CA_MINOR_PROTOCOL_REVISION },
            answer((cids.get("ROB:ai") as { cid: number }).cid),
            answer((cids.get("ROB:other") as { cid: number }).cid),
          ),
          to.port,
          to.address,
        );
        const results = await Promise.allSettled([a.wait(2000), b.wait(2000)]);
        assert.deepEqual(
          results.map((r) => r.status),
          ["fulfilled", "fulfilled"],
          `ROB:ai ${a.connected ? "connected" : "not connected"}, ROB:other ${b.connected ? "connected" : "not connected"}`,
        );
        assert.deepEqual((await b.get()).value, Int32Array.of(7));
      } finally {
        client.close();
        fake.close();
        await server.close();
      }
    });
  });
}

if (process.env[CHILD_ENV]) await serveForParent();
else defineTests();

describe("CaServer.close", () => {
  it("may be called twice, and before listen", async () => {
    const pvs = new Map([["C:x", new ServerPv({ base: "DOUBLE", value: Float64Array.of(1) })]]);
    await new CaServer({ pvs, port: 0, beaconAddressList: [] }).close();
    const server = new CaServer({ pvs, port: 0, beaconAddressList: [] });
    await server.listen();
    await server.close();
    await server.close();
    assert.equal(server.connectionCount, 0);
  });
});
