/** `listItems`: a list message's items as sent, each decoding to the item the list holds. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { listItems } from "../src/list-items.js";
import { create, fromBinary, PeriodicDataListSchema, PeriodicDataSchema, toBinary } from "../src/messages.js";

describe("listItems", () => {
  it("returns each item's bytes, equal to the item's own encoding", () => {
    const items = [1, 2, 3].map((channelId) =>
      create(PeriodicDataSchema, {
        channelId,
        startTimestamp: 1_732_000_000_123_456_789n,
        interval: 1000n,
        samples: 1,
        buffer: new Uint8Array(8).fill(channelId),
      }),
    );
    const bytes = toBinary(PeriodicDataListSchema, create(PeriodicDataListSchema, { periodicData: items }));
    const raw = listItems(bytes);
    assert.equal(raw.length, 3);
    raw.forEach((b, i) => {
      assert.deepEqual(b, toBinary(PeriodicDataSchema, items[i] as (typeof items)[number]));
      assert.equal(fromBinary(PeriodicDataSchema, b).channelId, i + 1);
    });
  });

  it("skips other fields, returns nothing for an empty list, and refuses truncated bytes", () => {
    // Field 2 (varint 5), then field 1 with 2 bytes (08 07: channel_id 7).
    assert.deepEqual(listItems(Uint8Array.from([0x10, 0x05, 0x0a, 0x02, 0x08, 0x07])), [Uint8Array.from([0x08, 0x07])]);
    assert.deepEqual(listItems(new Uint8Array(0)), []);
    assert.throws(() => listItems(Uint8Array.from([0x0a, 0x05, 0x08])), /not a list message/);
  });
});
