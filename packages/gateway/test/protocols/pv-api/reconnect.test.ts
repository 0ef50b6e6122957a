/** /ws tells a client when a PV comes back, against a source the test drives. */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Hub } from "../../../src/core/hub.js";
import { pvApiProtocol } from "../../../src/protocols/pv-api/adapter.js";
import { type SourceServer, startSourceServer } from "../../helpers/source-server.js";
import type { TestSource } from "../../helpers/test-source.js";
import { TestClient } from "../../helpers/ws-client.js";

describe("/ws reconnection", () => {
  let server: SourceServer;
  let hub: Hub;
  let source: TestSource;
  let url: string;
  before(async () => {
    server = await startSourceServer((h) =>
      pvApiProtocol(h, { batchWindowMs: 0, connectTimeoutMs: 200, heartbeatIntervalMs: 60_000, maxSubscriptions: 10 }),
    );
    ({ hub, source, url } = server);
  });
  after(() => server.close());

  it("sends the same value again once a PV that was disconnected at subscribe time is back", async () => {
    const holder = hub.subscribe("test://a", { onEvent() {}, onEnd() {} });
    source.emit("a", 5);
    source.sinks.get("a")?.status({ connected: false, readAccess: false, writeAccess: false });
    const c = await TestClient.connect(url);
    c.send({ action: "subscribe", pv_names: ["test://a"] });
    const sub = await c.next((m) => m.type === "subscribed");
    assert.deepEqual(
      [
        sub.initial_values["test://a"].value,
        sub.initial_values["test://a"].severity,
        sub.initial_values["test://a"].status,
      ],
      [5, 3, 9],
    );
    source.sinks.get("a")?.status({ connected: true, readAccess: true, writeAccess: true });
    source.emit("a", 5);
    const back = await c.next((m) => m.type === "update");
    assert.deepEqual([back.value, back.severity, back.status], [5, 0, 0]);
    await c.close();
    holder.close();
  });

  it("reports a disconnection, then the return of the same value", async () => {
    const c = await TestClient.connect(url);
    c.send({ action: "subscribe", pv_names: ["test://b"] });
    await c.next((m) => m.type === "subscribed");
    source.emit("b", 1);
    await c.next((m) => m.type === "update" && m.value === 1);
    source.sinks.get("b")?.status({ connected: false, readAccess: false, writeAccess: false });
    assert.equal((await c.next((m) => m.type === "update")).severity, 3);
    source.sinks.get("b")?.status({ connected: true, readAccess: true, writeAccess: true });
    source.emit("b", 1);
    assert.deepEqual((await c.next((m) => m.type === "update")).severity, 0);
    await c.close();
  });
});
