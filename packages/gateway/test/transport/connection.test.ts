/** Outbound queues, slow consumers, heartbeats and inbound limits, over real sockets. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import WebSocket from "ws";
import { startTestGateway } from "../helpers/gateway.js";
import { RawClient } from "../helpers/raw-client.js";
import { TestClient } from "../helpers/ws-client.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

describe("slow consumers", () => {
  it("closes a client that stops reading once it passes the hard limit, while others keep flowing", async () => {
    const gw = await startTestGateway({
      limits: { outboundSoftLimitBytes: 64 * 1024, outboundHardLimitBytes: 512 * 1024, closeGraceMs: 200 },
    });
    try {
      const topic = "sim://sinewave(1,10,2000,0.002)"; // ~40 KB of JSON per update, 500 updates/s
      const healthy = await TestClient.connect(`${gw.wsUrl}/api/v1/stream/multi`);
      healthy.send({ type: "subscribe", id: "h", topic, options: { conflate: false } });
      await healthy.next((m) => m.type === "data");

      const slow = await RawClient.connect(gw.address.port, "/api/v1/stream/multi");
      slow.sendText(JSON.stringify({ type: "subscribe", id: "s", topic, options: { conflate: false } }));
      slow.pause();
      let maxBuffered = 0;
      const sampler = setInterval(() => {
        for (const c of gw.server.connections) maxBuffered = Math.max(maxBuffered, c.bufferedBytes);
      }, 5);
      await until(() => gw.server.connectionCount === 1, 10_000, "the slow client to be dropped");
      clearInterval(sampler);
      assert.ok(maxBuffered > 64 * 1024, `the backlog was seen building (${maxBuffered} bytes)`);
      assert.ok(maxBuffered <= 512 * 1024 + 100 * 1024, `memory stayed bounded: at most ${maxBuffered} bytes queued`);
      const received = healthy.all.filter((m) => m.type === "data").length;
      await sleep(200);
      assert.ok(
        healthy.all.filter((m) => m.type === "data").length > received,
        "the healthy client still receives updates after the slow one was dropped",
      );
      slow.resume();
      await until(() => slow.socket.destroyed || slow.closeCode !== undefined, 3000, "the slow socket to end");
      if (slow.closeCode !== undefined) assert.equal(slow.closeCode, 4000);
      await healthy.close();
    } finally {
      await gw.close();
    }
  });

  it("conflates state values for a lagging client and tells it what was skipped", async () => {
    const gw = await startTestGateway({
      limits: { outboundSoftLimitBytes: 32 * 1024, outboundHardLimitBytes: 64 * 1024 * 1024 },
    });
    try {
      const slow = await RawClient.connect(gw.address.port, "/api/v1/stream/multi");
      slow.sendText(JSON.stringify({ type: "subscribe", id: "c", topic: "sim://sinewave(1,10,2000,0.002)" }));
      await sleep(100);
      slow.pause();
      await sleep(1500); // kernel buffers fill, then the queue passes the soft limit and conflates
      slow.resume();
      await sleep(1000);
      const messages = slow.messages.map((m) => JSON.parse(m));
      const skipped = messages.filter((m) => m.type === "skipped");
      assert.ok(skipped.length > 0, "at least one skipped notice");
      const s = skipped[0];
      assert.equal(s.id, "c");
      assert.equal(s.reason, "conflated");
      assert.equal(s.count, s.to_sequence - s.from_sequence + 1);
      const after = messages[messages.indexOf(s) + 1];
      assert.equal(after.type, "data");
      assert.equal(after.sequence, s.to_sequence + 1, "the notice precedes the value that replaced the skipped ones");
      const sequences = messages.filter((m) => m.type === "data").map((m) => m.sequence);
      for (let i = 1; i < sequences.length; i++) assert.ok(sequences[i] > sequences[i - 1], "in order");
      slow.socket.destroy();
    } finally {
      await gw.close();
    }
  });

  it("keeps a lagging client's queue small while it conflates: replaced values free their place", async () => {
    const gw = await startTestGateway({ limits: { outboundSoftLimitBytes: 32 * 1024 } });
    try {
      const slow = await RawClient.connect(gw.address.port, "/api/v1/stream/multi");
      for (const n of [1, 2, 3, 4]) {
        slow.sendText(JSON.stringify({ type: "subscribe", id: n, topic: `sim://sinewave(1,10,${1000 + n},0.002)` }));
      }
      await sleep(100);
      slow.pause();
      let longest = 0;
      const sampler = setInterval(() => {
        for (const c of gw.server.connections) longest = Math.max(longest, c.queueLength);
      }, 5);
      await sleep(2500); // ~5000 updates offered while the client reads nothing
      clearInterval(sampler);
      assert.equal(gw.server.connectionCount, 1, "conflation keeps it under the hard limit: not closed");
      assert.ok(longest < 300, `queue held at most ${longest} entries`);
      slow.socket.destroy();
    } finally {
      await gw.close();
    }
  });

  it("holds back /ws batches while lagging and reports how many values were skipped", async () => {
    const gw = await startTestGateway({
      pvApi: { batchWindowMs: 0 }, // every update goes out at once, so the backlog builds fast
      limits: { outboundSoftLimitBytes: 32 * 1024, outboundHardLimitBytes: 64 * 1024 * 1024 },
    });
    try {
      const slow = await RawClient.connect(gw.address.port, "/ws");
      slow.sendText(
        JSON.stringify({ action: "subscribe", pv_names: ["sim://sinewave(1,10,2000,0.002)", "sim://counter(0.002)"] }),
      );
      await sleep(100);
      slow.pause();
      await sleep(1500);
      slow.resume();
      await sleep(1000);
      const batches = slow.messages.map((m) => JSON.parse(m)).filter((m) => m.type === "batch_update");
      assert.ok(
        batches.some((b) => b.skipped > 0),
        "a batch reports skipped values",
      );
      for (const b of batches) {
        const names = b.updates.map((u: { pv_name: string }) => u.pv_name);
        assert.equal(new Set(names).size, names.length, "each PV at most once per batch");
      }
      slow.socket.destroy();
    } finally {
      await gw.close();
    }
  });
});

describe("connection limits", () => {
  it("sends one message larger than the hard limit to a client that keeps up", async () => {
    const gw = await startTestGateway({
      limits: { outboundSoftLimitBytes: 16 * 1024, outboundHardLimitBytes: 32 * 1024 },
    });
    try {
      const c = await TestClient.connect(`${gw.wsUrl}/api/v1/stream/multi`);
      c.send({ type: "subscribe", id: "big", topic: "sim://sinewave(1,10,20000,1)" }); // ~400 KB of JSON
      const d = await c.next((m) => m.type === "data", 5000);
      assert.equal(d.value.length, 20000);
      await c.close();
    } finally {
      await gw.close();
    }
  });

  it("drops a peer that does not answer pings", async () => {
    const gw = await startTestGateway({ limits: { heartbeatIntervalMs: 100 } });
    try {
      const silent = await TestClient.connect(`${gw.wsUrl}/ws`, { autoPong: false });
      const alive = await TestClient.connect(`${gw.wsUrl}/ws`);
      const { code } = await silent.closed;
      assert.equal(code, 1006, "terminated without a close handshake");
      await sleep(300);
      assert.equal(alive.ws.readyState, WebSocket.OPEN, "a peer that answers pings stays");
      await alive.close();
    } finally {
      await gw.close();
    }
  });

  it("refuses inbound messages over the limit with 1009, and accepts one of exactly the limit", async () => {
    const gw = await startTestGateway({ limits: { maxInboundFrameBytes: 1024 } });
    try {
      const ok = await TestClient.connect(`${gw.wsUrl}/ws`);
      const exact = JSON.stringify({ action: "list_subscriptions", pad: "" });
      ok.send(exact.replace('"pad":""', `"pad":"${"x".repeat(1024 - exact.length)}"`));
      assert.equal((await ok.next((m) => m.type === "subscriptions")).type, "subscriptions");
      await ok.close();
      for (const path of ["/ws", "/api/v1/stream/multi"]) {
        const big = await TestClient.connect(`${gw.wsUrl}${path}`);
        big.send("x".repeat(1025));
        assert.equal((await big.closed).code, 1009, path);
      }
    } finally {
      await gw.close();
    }
  });
});
