/** Puts through the native protocol against a source whose writes never complete. */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { nativeProtocol } from "../../../src/protocols/native/adapter.js";
import { type SourceServer, startSourceServer } from "../../helpers/source-server.js";
import type { TestSource } from "../../helpers/test-source.js";
import { TestClient } from "../../helpers/ws-client.js";

describe("native protocol puts", () => {
  let server: SourceServer;
  let source: TestSource;
  let url: string;
  before(async () => {
    server = await startSourceServer((hub) =>
      nativeProtocol(hub, {
        serverVersion: "test",
        maxSubscriptions: 10,
        maxPendingPuts: 2,
        defaultPutTimeoutMs: 5000,
        maxPutTimeoutMs: 10_000,
        maxMessageBytes: 65536,
      }),
    );
    ({ source, url } = server);
  });
  after(() => server.close());

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
