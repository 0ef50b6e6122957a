/** The client against the server over loopback UDP and TCP: real sockets, no EPICS installation. */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ECA } from "../../src/constants.js";
import { dbrType } from "../../src/dbr.js";
import { CaClient, type CaRequestError } from "../../src/node/client.js";
import { ServerPv } from "../../src/node/pv.js";
import { CaServer } from "../../src/node/server.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function makePvs(): Map<string, ServerPv> {
  return new Map([
    [
      "TEST:ai",
      new ServerPv({
        base: "DOUBLE",
        value: Float64Array.of(1.5),
        units: "mm",
        precision: 3,
        limits: {
          upperDisplay: 10,
          lowerDisplay: -10,
          upperAlarm: 9,
          upperWarning: 8,
          lowerWarning: -8,
          lowerAlarm: -9,
          upperControl: 5,
          lowerControl: -5,
        },
      }),
    ],
    ["TEST:mode", new ServerPv({ base: "ENUM", value: Uint16Array.of(1), enumStrings: ["Off", "On"] })],
    ["TEST:str", new ServerPv({ base: "STRING", value: ["hello"] })],
    ["TEST:wave", new ServerPv({ base: "DOUBLE", value: Float64Array.from({ length: 100_000 }, (_, i) => i) })],
    ["TEST:ro", new ServerPv({ base: "LONG", value: Int32Array.of(7), writable: false })],
    [
      "TEST:motor",
      new ServerPv({
        base: "DOUBLE",
        value: Float64Array.of(0),
        // A put completes when the motor arrives, 200 ms later.
        onWrite: async (pv, value) => {
          await sleep(200);
          pv.post(value);
        },
      }),
    ],
  ]);
}

describe("CA client and server over loopback", () => {
  let server: CaServer;
  let client: CaClient;
  let pvs: Map<string, ServerPv>;
  let ports: { tcpPort: number; udpPort: number };
  before(async () => {
    pvs = makePvs();
    server = new CaServer({ pvs, port: 0 });
    ports = await server.listen();
    client = new CaClient({ addressList: [`127.0.0.1:${ports.udpPort}`] });
  });
  after(async () => {
    client.close();
    await server.close();
  });

  it("finds a channel and reads it with time stamp, and with its control metadata", async () => {
    const ch = client.channel("TEST:ai");
    await ch.wait(2000);
    assert.equal(ch.nativeType, 6);
    assert.equal(ch.accessRights, 3);
    const time = await ch.get();
    assert.deepEqual(time.value, Float64Array.of(1.5));
    assert.ok((time.stamp?.secondsPastEpoch ?? 0) > 1_000_000_000, "a stamp in the EPICS epoch");
    const ctrl = await ch.get({ dataType: dbrType("CTRL", "DOUBLE") });
    assert.equal(ctrl.units, "mm");
    assert.equal(ctrl.precision, 3);
    assert.equal(ctrl.limits?.upperControl, 5);
    assert.deepEqual((await ch.get({ dataType: dbrType("PLAIN", "STRING") })).value, ["1.500"]);
    assert.deepEqual((await ch.get({ dataType: dbrType("PLAIN", "SHORT") })).value, Int16Array.of(1));
  });

  it("reads enums as indexes or labels, and strings", async () => {
    const mode = client.channel("TEST:mode");
    await mode.wait(2000);
    assert.deepEqual((await mode.get({ dataType: dbrType("CTRL", "ENUM") })).enumStrings, ["Off", "On"]);
    assert.deepEqual((await mode.get({ dataType: dbrType("PLAIN", "STRING") })).value, ["On"]);
    const str = client.channel("TEST:str");
    await str.wait(2000);
    assert.deepEqual((await str.get()).value, ["hello"]);
  });

  it("reads an array of 100,000 elements (extended header)", async () => {
    const wave = client.channel("TEST:wave");
    await wave.wait(2000);
    const v = (await wave.get()).value as Float64Array;
    assert.equal(v.length, 100_000);
    assert.equal(v[99_999], 99_999);
  });

  it("writes with completion, converting from strings, and refuses what it must", async () => {
    const ai = client.channel("TEST:ai");
    await ai.wait(2000);
    await ai.put(Float64Array.of(2.5));
    assert.deepEqual((await ai.get()).value, Float64Array.of(2.5));
    await ai.put(["3.25"], { base: "STRING" });
    assert.deepEqual((await ai.get()).value, Float64Array.of(3.25));
    await assert.rejects(ai.put(["abc"], { base: "STRING" }), (e: CaRequestError) => e.status === ECA.BADTYPE);
    const ro = client.channel("TEST:ro");
    await ro.wait(2000);
    assert.equal(ro.accessRights, 1);
    await assert.rejects(ro.put(Int32Array.of(1)), (e: CaRequestError) => e.status === ECA.NOWTACCESS);
  });

  it("completes a put only when the server says the write is done", async () => {
    const motor = client.channel("TEST:motor");
    await motor.wait(2000);
    const started = performance.now();
    await motor.put(Float64Array.of(4));
    assert.ok(performance.now() - started >= 150, "waited for the motor");
    assert.deepEqual((await motor.get()).value, Float64Array.of(4));
    await assert.rejects(
      motor.put(Float64Array.of(5), { timeoutMs: 50 }),
      (e: CaRequestError) => e.status === ECA.TIMEOUT,
    );
  });

  it("monitors: the current value at once, then every change, until cancelled", async () => {
    const ai = client.channel("TEST:ai");
    await ai.wait(2000);
    const seen: number[] = [];
    const cancel = ai.monitor((v) => seen.push((v.value as Float64Array)[0] as number));
    await sleep(100);
    pvs.get("TEST:ai")?.post(Float64Array.of(7));
    pvs.get("TEST:ai")?.post(Float64Array.of(8));
    await sleep(100);
    cancel();
    await sleep(50);
    pvs.get("TEST:ai")?.post(Float64Array.of(9));
    await sleep(100);
    assert.deepEqual(seen.slice(-2), [7, 8]);
    assert.equal(seen.includes(9), false, "nothing after the cancel");
  });

  it("does not connect to a name no server has", async () => {
    const ghost = client.channel("TEST:nobody");
    await assert.rejects(ghost.wait(300), (e: CaRequestError) => e.status === ECA.TIMEOUT);
    ghost.close();
  });
});

describe("CA reconnection", () => {
  it("reconnects within 1 s of a restarted server, and its monitor resumes", async () => {
    const first = new CaServer({ pvs: makePvs(), port: 0 });
    const ports = await first.listen();
    const client = new CaClient({ addressList: [`127.0.0.1:${ports.udpPort}`] });
    try {
      const ch = client.channel("TEST:ai");
      await ch.wait(2000);
      const seen: number[] = [];
      ch.monitor((v) => seen.push((v.value as Float64Array)[0] as number));
      await sleep(100);
      await first.close();
      await sleep(100);
      assert.equal(ch.connected, false);

      const pvs = makePvs();
      pvs.get("TEST:ai")?.post(Float64Array.of(42));
      const second = new CaServer({ pvs, port: ports.tcpPort });
      await second.listen();
      const restarted = performance.now();
      try {
        await ch.wait(1000);
        await sleep(100);
        assert.ok(performance.now() - restarted < 1000);
        assert.equal(seen.at(-1), 42, "the monitor was re-made on the new circuit");
      } finally {
        await second.close();
      }
    } finally {
      client.close();
    }
  });
});
