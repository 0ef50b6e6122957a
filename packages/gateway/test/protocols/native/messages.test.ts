import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseClientMessage } from "../../../src/protocols/native/messages.js";

describe("parseClientMessage", () => {
  it("accepts every message type with its optional fields", () => {
    assert.deepEqual(parseClientMessage({ type: "subscribe", id: "s", topic: "sim://sine" }), {
      type: "subscribe",
      id: "s",
      topic: "sim://sine",
      options: { conflate: true },
    });
    assert.deepEqual(
      parseClientMessage({ type: "subscribe", id: 3, topic: "t", start: 5, epoch: "e", options: { conflate: false } }),
      { type: "subscribe", id: 3, topic: "t", start: 5, epoch: "e", options: { conflate: false } },
    );
    assert.deepEqual(parseClientMessage({ type: "unsubscribe", id: "s" }), { type: "unsubscribe", id: "s" });
    assert.deepEqual(parseClientMessage({ type: "put", id: "p", topic: "t", value: [1, 2], timeout: 0.5 }), {
      type: "put",
      id: "p",
      topic: "t",
      value: [1, 2],
      timeout: 0.5,
    });
    assert.deepEqual(parseClientMessage({ type: "ping" }), { type: "ping" });
    assert.deepEqual(parseClientMessage({ type: "ping", id: 9 }), { type: "ping", id: 9 });
  });

  it("rejects wrong types and unknown fields, keeping the id when valid", () => {
    const bad: Array<[unknown, string, unknown]> = [
      [null, "BG_ERR_PROTO_INVALID_MESSAGE", undefined],
      [[1], "BG_ERR_PROTO_INVALID_MESSAGE", undefined],
      ["x", "BG_ERR_PROTO_INVALID_MESSAGE", undefined],
      [{ id: "a" }, "BG_ERR_PROTO_INVALID_MESSAGE", "a"],
      [{ type: 5 }, "BG_ERR_PROTO_INVALID_MESSAGE", undefined],
      [{ type: "fly", id: "a" }, "BG_ERR_PROTO_UNKNOWN_TYPE", "a"],
      [{ type: "subscribe", topic: "t" }, "BG_ERR_PROTO_INVALID_MESSAGE", undefined],
      [{ type: "subscribe", id: "", topic: "t" }, "BG_ERR_PROTO_INVALID_MESSAGE", undefined],
      [{ type: "subscribe", id: "x".repeat(129), topic: "t" }, "BG_ERR_PROTO_INVALID_MESSAGE", undefined],
      [{ type: "subscribe", id: 1.5, topic: "t" }, "BG_ERR_PROTO_INVALID_MESSAGE", undefined],
      [{ type: "subscribe", id: "a", topic: 5 }, "BG_ERR_PROTO_INVALID_MESSAGE", "a"],
      [{ type: "subscribe", id: "a", topic: "t", start: -1 }, "BG_ERR_PROTO_INVALID_MESSAGE", "a"],
      [{ type: "subscribe", id: "a", topic: "t", start: "1" }, "BG_ERR_PROTO_INVALID_MESSAGE", "a"],
      [{ type: "subscribe", id: "a", topic: "t", epoch: 1 }, "BG_ERR_PROTO_INVALID_MESSAGE", "a"],
      [{ type: "subscribe", id: "a", topic: "t", options: [] }, "BG_ERR_PROTO_INVALID_MESSAGE", "a"],
      [{ type: "subscribe", id: "a", topic: "t", options: { conflate: 1 } }, "BG_ERR_PROTO_INVALID_MESSAGE", "a"],
      [{ type: "subscribe", id: "a", topic: "t", options: { speed: 1 } }, "BG_ERR_PROTO_INVALID_MESSAGE", "a"],
      [{ type: "subscribe", id: "a", topic: "t", extra: 1 }, "BG_ERR_PROTO_INVALID_MESSAGE", "a"],
      [{ type: "unsubscribe" }, "BG_ERR_PROTO_INVALID_MESSAGE", undefined],
      [{ type: "put", id: "p", topic: "t" }, "BG_ERR_PROTO_INVALID_MESSAGE", "p"],
      [{ type: "put", id: "p", topic: "t", value: 1, timeout: 0 }, "BG_ERR_PROTO_INVALID_MESSAGE", "p"],
      [{ type: "put", id: "p", topic: "t", value: 1, timeout: "1" }, "BG_ERR_PROTO_INVALID_MESSAGE", "p"],
      [{ type: "ping", id: {} }, "BG_ERR_PROTO_INVALID_MESSAGE", undefined],
    ];
    for (const [input, code, id] of bad) {
      assert.throws(
        () => parseClientMessage(input),
        (e: { code: string; id: unknown }) => e.code === code && e.id === id,
        JSON.stringify(input),
      );
    }
  });
});
