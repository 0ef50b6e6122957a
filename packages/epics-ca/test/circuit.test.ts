/** A client and a server circuit talking through bytes alone, as caproto's circuit_pair does. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { VirtualCircuit } from "../src/circuit.js";
import { type CaMessage, encodeMessages } from "../src/commands.js";
import { dbrLayout, encodeDbr } from "../src/dbr.js";
import { CaStateError } from "../src/states.js";

function pair() {
  const client = new VirtualCircuit("client", 1 << 20);
  const server = new VirtualCircuit("server", 1 << 20);
  const toServer = (...m: CaMessage[]) => server.recv(client.send(...m));
  const toClient = (...m: CaMessage[]) => client.recv(server.send(...m));
  return { client, server, toServer, toClient };
}

const DOUBLE = dbrLayout(6);

describe("VirtualCircuit", () => {
  it("runs a channel's whole life: version, create, read, monitor, cancel, clear", () => {
    const { client, server, toServer, toClient } = pair();
    toClient({ command: "VERSION", direction: "response", version: 13 }); // RSRV speaks first
    client.newChannel(1, "SIM:x");
    const got = toServer(
      { command: "VERSION", direction: "request", priority: 0, version: 13 },
      { command: "HOST_NAME", direction: "request", name: "host" },
      { command: "CREATE_CHAN", direction: "request", name: "SIM:x", cid: 1, version: 13 },
    );
    assert.deepEqual(
      got.map((m) => m.command),
      ["VERSION", "HOST_NAME", "CREATE_CHAN"],
    );
    assert.equal(server.state, "CONNECTED");
    assert.equal(server.channelByCid(1)?.name, "SIM:x");

    toClient(
      { command: "ACCESS_RIGHTS", direction: "response", cid: 1, accessRights: 3 },
      { command: "CREATE_CHAN", direction: "response", dataType: 6, dataCount: 1, cid: 1, sid: 100 },
    );
    const channel = client.channelByCid(1);
    assert.deepEqual(
      [channel?.state, channel?.sid, channel?.nativeType, channel?.accessRights],
      ["CONNECTED", 100, 6, 3],
    );
    assert.equal(client.state, "CONNECTED", "our VERSION after theirs");

    const data = encodeDbr(DOUBLE as NonNullable<typeof DOUBLE>, { value: Float64Array.of(2.5) });
    toServer({ command: "READ_NOTIFY", direction: "request", dataType: 6, dataCount: 1, sid: 100, ioid: 7 });
    const [read] = toClient({
      command: "READ_NOTIFY",
      direction: "response",
      dataType: 6,
      dataCount: 1,
      status: 1,
      ioid: 7,
      data,
    });
    assert.equal(read?.command, "READ_NOTIFY");

    toServer({
      command: "EVENT_ADD",
      direction: "request",
      dataType: 6,
      dataCount: 1,
      sid: 100,
      subscriptionId: 9,
      mask: 5,
    });
    toClient({
      command: "EVENT_ADD",
      direction: "response",
      dataType: 6,
      dataCount: 1,
      status: 1,
      subscriptionId: 9,
      data,
    });
    toServer({ command: "EVENT_CANCEL", direction: "request", dataType: 6, dataCount: 1, sid: 100, subscriptionId: 9 });
    toClient({
      command: "EVENT_ADD",
      direction: "response",
      dataType: 6,
      dataCount: 0,
      status: 1,
      subscriptionId: 9,
      data: new Uint8Array(0),
    });
    assert.throws(
      () =>
        server.send({
          command: "EVENT_ADD",
          direction: "response",
          dataType: 6,
          dataCount: 1,
          status: 1,
          subscriptionId: 9,
          data,
        }),
      (e: CaStateError) => e instanceof CaStateError && !e.remote && /unknown subscription 9/.test(e.message),
      "no updates after the cancel was confirmed",
    );
  });

  it("closes channels on clear and on SERVER_DISCONN, and forgets them", () => {
    const { client, server, toServer, toClient } = pair();
    toServer({ command: "VERSION", direction: "request", priority: 0, version: 13 });
    toClient({ command: "VERSION", direction: "response", version: 13 });
    for (const cid of [1, 2]) {
      client.newChannel(cid, `pv${cid}`);
      toServer({ command: "CREATE_CHAN", direction: "request", name: `pv${cid}`, cid, version: 13 });
      toClient({ command: "CREATE_CHAN", direction: "response", dataType: 6, dataCount: 1, cid, sid: cid + 10 });
    }
    toServer({ command: "CLEAR_CHANNEL", direction: "request", sid: 11, cid: 1 });
    toClient({ command: "CLEAR_CHANNEL", direction: "response", sid: 11, cid: 1 });
    toClient({ command: "SERVER_DISCONN", direction: "response", cid: 2 });
    assert.equal(client.channelByCid(1), undefined);
    assert.equal(client.channelByCid(2), undefined);
    assert.equal(server.channelByCid(1), undefined);
  });

  it("refuses what breaks the protocol, saying who broke it", () => {
    const { client, server, toServer } = pair();
    assert.throws(
      () => client.send({ command: "READ_NOTIFY", direction: "request", dataType: 6, dataCount: 1, sid: 1, ioid: 1 }),
      (e: CaStateError) => e instanceof CaStateError && !e.remote,
      "we may not read before the circuit is up",
    );
    toServer({ command: "VERSION", direction: "request", priority: 0, version: 13 });
    const forged = encodeMessages({
      command: "READ_NOTIFY",
      direction: "request",
      dataType: 6,
      dataCount: 1,
      sid: 999,
      ioid: 1,
    });
    assert.throws(
      () => server.recv(forged),
      (e: CaStateError) => e instanceof CaStateError && e.remote && /unknown sid 999/.test(e.message),
    );
  });

  it("marks every channel closed when the connection drops", () => {
    const { client, toClient } = pair();
    toClient({ command: "VERSION", direction: "response", version: 13 });
    const channel = client.newChannel(5, "x");
    client.disconnect();
    assert.equal(client.state, "DISCONNECTED");
    assert.equal(channel.state, "CLOSED");
  });
});
