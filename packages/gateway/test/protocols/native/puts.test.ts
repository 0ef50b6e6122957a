/** Puts through the native protocol against a source whose writes never complete. */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Hub } from "../../../src/core/hub.js";
import { DEFAULT_LIMITS } from "../../../src/limits.js";
import { createLogger } from "../../../src/log.js";
import { nativeProtocol } from "../../../src/protocols/native/adapter.js";
import { HttpServer } from "../../../src/transport/http-server.js";
import { TestSource } from "../../helpers/test-source.js";
import { TestClient } from "../../helpers/ws-client.js";

describe("native protocol puts", () => {
  const hub = new Hub({
    defaultScheme: "test",
    lingerMs: 0,
    maxTopics: 10,
    logWindowMaxRecords: 10,
    logWindowMaxBytes: 1e6,
  });
  const source = new TestSource();
  hub.addSource(source);
  const server = new HttpServer({
    limits: { ...DEFAULT_LIMITS },
    log: createLogger("silent"),
    routes: new Map(),
    adapters: [
      nativeProtocol(hub, {
        serverVersion: "test",
        maxSubscriptions: 10,
        maxPendingPuts: 2,
        defaultPutTimeoutMs: 5000,
        maxPutTimeoutMs: 10_000,
        maxMessageBytes: 65536,
      }),
    ],
  });
  let url: string;
  before(async () => {
    const address = await server.listen("127.0.0.1", 0);
    url = `ws://127.0.0.1:${address.port}/api/v1/stream/multi`;
  });
  after(async () => {
    await server.close();
    hub.close();
  });

  it("times out a put that does not complete, without blocking other messages", async () => {
    source.putMode = "hang";
    const c = await TestClient.connect(url);
    c.send({ type: "put", id: "slow", topic: "test://a", value: 1, timeout: 0.2 });
    c.send({ type: "ping", id: "meanwhile" });
    assert.deepEqual(await c.next((m) => m.type === "pong"), { type: "pong", id: "meanwhile" });
    assert.equal(
      c.inbox.some((m) => m.type === "put_result"),
      false,
      "the pong came before the put ended",
    );
    const r = await c.next((m) => m.type === "put_result");
    assert.deepEqual([r.id, r.status, r.code], ["slow", "timeout", "BG_ERR_PUT_TIMEOUT"]);
    await c.close();
  });

  it("refuses puts past the pending limit, and accepts again once they finish", async () => {
    source.putMode = "hang";
    const c = await TestClient.connect(url);
    for (const id of ["p1", "p2", "p3"]) c.send({ type: "put", id, topic: "test://a", value: 1, timeout: 0.3 });
    const first = await c.next((m) => m.type === "put_result");
    assert.deepEqual([first.id, first.status, first.code], ["p3", "refused", "BG_ERR_LIMIT_PENDING_PUTS"]);
    const rest = [await c.next((m) => m.type === "put_result"), await c.next((m) => m.type === "put_result")];
    assert.deepEqual(
      rest.map((r) => r.status),
      ["timeout", "timeout"],
    );
    source.putMode = "ok";
    c.send({ type: "put", id: "p4", topic: "test://a", value: 2 });
    assert.equal((await c.next((m) => m.type === "put_result")).status, "done");
    await c.close();
  });
});
