/** Beacons and the repeater over loopback: how a client hears that a server has come back. */
import assert from "node:assert/strict";
import { createSocket, type Socket } from "node:dgram";
import { once } from "node:events";
import { describe, it } from "node:test";
import { type CaMessage, encodeMessages } from "../../src/commands.js";
import { decodeDatagram } from "../../src/message-reader.js";
import { CaClient } from "../../src/node/client.js";
import { ServerPv } from "../../src/node/pv.js";
import { CaRepeater } from "../../src/node/repeater.js";
import { CaServer } from "../../src/node/server.js";
import { freeUdpPort, until } from "../helpers/ports.js";

async function udpPeer(): Promise<{ socket: Socket; port: number; next(): Promise<CaMessage[]> }> {
  const socket = createSocket("udp4");
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
  return {
    socket,
    port: socket.address().port,
    next: async () => decodeDatagram((await once(socket, "message"))[0] as Buffer, "response"),
  };
}

const register = encodeMessages({ command: "REPEATER_REGISTER", direction: "request", clientAddress: 0 });

describe("the CA repeater", () => {
  it("confirms registrations and forwards beacons to every client, filling in the server's address", async () => {
    const port = await freeUdpPort();
    const repeater = await CaRepeater.start(port, "127.0.0.1");
    assert.ok(repeater);
    const [a, b, server] = await Promise.all([udpPeer(), udpPeer(), udpPeer()]);
    try {
      assert.equal(await CaRepeater.start(port, "127.0.0.1"), undefined, "one repeater per port");
      for (const client of [a, b]) {
        const confirmed = client.next();
        client.socket.send(register, port, "127.0.0.1");
        assert.deepEqual(await confirmed, [
          { command: "REPEATER_CONFIRM", direction: "response", repeaterAddress: 0x7f000001 },
        ]);
      }
      const beacon = encodeMessages({
        command: "RSRV_IS_UP",
        direction: "response",
        version: 13,
        port: 5064,
        beaconId: 7,
        serverAddress: 0,
      });
      const [atA, atB] = [a.next(), b.next()];
      server.socket.send(beacon, port, "127.0.0.1");
      const expected = [
        {
          command: "RSRV_IS_UP",
          direction: "response",
          version: 13,
          port: 5064,
          beaconId: 7,
          serverAddress: 0x7f000001,
        },
      ];
      assert.deepEqual(await atA, expected);
      assert.deepEqual(await atB, expected);
    } finally {
      for (const peer of [a, b, server]) peer.socket.close();
      repeater.close();
    }
  });

  it("forgets a client whose socket has closed when another registers", async () => {
    const port = await freeUdpPort();
    const repeater = await CaRepeater.start(port, "127.0.0.1");
    assert.ok(repeater);
    const [gone, stays] = await Promise.all([udpPeer(), udpPeer()]);
    try {
      const confirmed = gone.next();
      gone.socket.send(register, port, "127.0.0.1");
      await confirmed;
      gone.socket.close();
      stays.socket.send(register, port, "127.0.0.1");
      await stays.next();
      await until(() => repeater.clientCount === 1, 1000, "the closed client to be forgotten");
    } finally {
      stays.socket.close();
      repeater.close();
    }
  });
});

describe("a client hearing beacons", () => {
  it("starts the repeater or joins it, and closes what it started", async () => {
    const repeaterPort = await freeUdpPort();
    const first = new CaClient({ addressList: [], repeaterPort });
    const second = new CaClient({ addressList: [], repeaterPort });
    try {
      await until(() => first.hearsBeacons && second.hearsBeacons, 2000, "both registrations");
    } finally {
      first.close();
      second.close();
    }
    // Both are closed, so the port is free again.
    const repeater = await CaRepeater.start(repeaterPort, "127.0.0.1");
    assert.ok(repeater, "the repeater's port was released");
    repeater.close();
  });

  it("reconnects within 1 s to a server that was down long enough for the search back-off to grow", async () => {
    const repeaterPort = await freeUdpPort();
    const pvs = () => new Map([["B:ai", new ServerPv({ base: "DOUBLE", value: Float64Array.of(1) })]]);
    const serverOptions = { port: 0, beaconAddressList: ["127.0.0.1"], beaconPort: repeaterPort };
    const first = new CaServer({ pvs: pvs(), ...serverOptions });
    const ports = await first.listen();
    const client = new CaClient({
      addressList: [`127.0.0.1:${ports.udpPort}`],
      repeaterPort,
      maxSearchIntervalMs: 60_000,
    });
    try {
      const channel = client.channel("B:ai");
      await channel.wait(2000);
      await until(() => client.hearsBeacons, 2000, "the repeater registration");
      await first.close();
      await until(() => !channel.connected, 1000, "the disconnection");
      // Searches at 30, 60, ... 960 ms: after 2 s down the next one is almost 2 s away.
      await new Promise((r) => setTimeout(r, 2000));
      const second = new CaServer({ pvs: pvs(), ...serverOptions, port: ports.tcpPort });
      await second.listen();
      const restarted = performance.now();
      try {
        await channel.wait(1000);
        const elapsed = performance.now() - restarted;
        assert.ok(elapsed < 1000, `reconnected after ${elapsed} ms`);
        assert.equal((await channel.get()).value[0], 1);
      } finally {
        await second.close();
      }
    } finally {
      client.close();
    }
  });
});
