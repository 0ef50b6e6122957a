/** A native log stream pausing while its connection lags, with a connection the test controls. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { jsonEnvelope } from "../../../src/protocols/native/envelope.js";
import { Stream } from "../../../src/protocols/native/stream.js";
import type { Connection } from "../../../src/transport/connection.js";
import type { Outgoing } from "../../../src/transport/outgoing.js";
import { testHub } from "../../helpers/source-server.js";

class FakeConnection {
  lagging = false;
  // biome-ignore lint/suspicious/noExplicitAny: messages are checked field by field
  sent: any[] = [];
  send(m: Outgoing) {
    this.sent.push(JSON.parse(Buffer.concat(m.chunks).toString()));
  }
  sendLatest(_key: unknown, _sequence: number, m: Outgoing) {
    this.send(m);
  }
}

describe("native log stream under lag", () => {
  it("pauses, then replays from the window with status and metadata in their original place", () => {
    const { hub, source } = testHub();
    const connection = new FakeConnection();
    const stream = new Stream("s", connection as unknown as Connection, jsonEnvelope, true, () => {});
    stream.subscription = hub.subscribe("test://log1", stream);
    const sink = source.sinks.get("log1");
    source.emit("log1", "r1");
    connection.lagging = true;
    source.emit("log1", "r2"); // pauses here
    source.emit("log1", "r3");
    sink?.status({ connected: false, readAccess: false, writeAccess: false });
    source.emit("log1", "r4");
    sink?.status({ connected: true, readAccess: true, writeAccess: false });
    assert.equal(stream.paused, true);
    connection.lagging = false;
    stream.resume();
    assert.equal(stream.paused, false);
    const order = connection.sent.map((m) =>
      m.type === "data" ? m.value : m.type === "status" ? `connected=${m.connected}` : m.type,
    );
    // Each status change goes out where it happened among the records.
    assert.deepEqual(order, ["connected=true", "meta", "r1", "r2", "r3", "connected=false", "r4", "connected=true"]);
    source.emit("log1", "r5");
    assert.equal(connection.sent.at(-1).value, "r5", "live again");
  });
});
