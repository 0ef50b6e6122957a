import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MAX_CHANNEL_ID, parseChannelExpression } from "../src/channel-expression.js";

describe("channel expressions", () => {
  it("reads the spec's example -5,7,B-D,14-", () => {
    const expression = parseChannelExpression("-5,7,B-D,14-");
    assert.deepEqual(expression.ranges, [
      { from: 0, to: 5 },
      { from: 7, to: 7 },
      { from: 0xb, to: 0xd },
      { from: 0x14, to: MAX_CHANNEL_ID },
    ]);
    const selected = Array.from({ length: 0x20 }, (_, id) => id).filter((id) => expression.matches(id));
    assert.deepEqual(selected, [0, 1, 2, 3, 4, 5, 7, 11, 12, 13, ...Array.from({ length: 12 }, (_, i) => 0x14 + i)]);
    assert.ok(expression.matches(MAX_CHANNEL_ID));
    assert.ok(!expression.matches(6));
    assert.ok(!expression.matches(0x13));
  });

  it("reads hex in any case, with leading zeros", () => {
    assert.deepEqual(parseChannelExpression("ff,AbC-aBd,0010").ranges, [
      { from: 0x10, to: 0x10 },
      { from: 0xff, to: 0xff },
      { from: 0xabc, to: 0xabd },
    ]);
  });

  it("takes ids up to FFFFFFFF", () => {
    assert.deepEqual(parseChannelExpression("FFFFFFFF").ranges, [{ from: MAX_CHANNEL_ID, to: MAX_CHANNEL_ID }]);
    assert.deepEqual(parseChannelExpression("FFFFFFFE-FFFFFFFF").ranges, [{ from: 0xfffffffe, to: MAX_CHANNEL_ID }]);
  });

  it("sorts the ranges and merges overlapping and adjacent ones", () => {
    const expression = parseChannelExpression("20-30,1,2,3-5,25-40,A");
    assert.deepEqual(expression.ranges, [
      { from: 1, to: 5 },
      { from: 0xa, to: 0xa },
      { from: 0x20, to: 0x40 },
    ]);
    assert.ok(expression.matches(0x40));
    assert.ok(!expression.matches(0x41));
    assert.ok(!expression.matches(0));
  });

  it("selects everything with 0-", () => {
    const expression = parseChannelExpression("0-");
    assert.deepEqual(expression.ranges, [{ from: 0, to: MAX_CHANNEL_ID }]);
    assert.ok(expression.matches(0) && expression.matches(123_456));
  });

  it("refuses every bad form, naming the bad part", () => {
    const bad: [string, string][] = [
      ["", "part '' in '': empty"],
      ["1,,2", "part '' in '1,,2': empty"],
      ["1,", "part '' in '1,': empty"],
      [",1", "part '' in ',1': empty"],
      ["G1", "part 'G1' in 'G1': 'G1' is not hexadecimal"],
      ["1,0x10", "part '0x10' in '1,0x10': '0x10' is not hexadecimal"],
      [" 1", "part ' 1' in ' 1': ' 1' is not hexadecimal"],
      ["+1", "part '+1' in '+1': '+1' is not hexadecimal"],
      ["1-z", "part '1-z' in '1-z': 'z' is not hexadecimal"],
      ["D-B", "part 'D-B' in 'D-B': the range is reversed"],
      ["100000000", "part '100000000' in '100000000': 100000000 is past FFFFFFFF"],
      ["5-100000000", "part '5-100000000' in '5-100000000': 100000000 is past FFFFFFFF"],
      ["--", "part '--' in '--': not an id or a range"],
      ["-", "part '-' in '-': not an id or a range"],
      ["1--2", "part '1--2' in '1--2': not an id or a range"],
      ["1-2-3", "part '1-2-3' in '1-2-3': not an id or a range"],
      ["--5", "part '--5' in '--5': not an id or a range"],
    ];
    for (const [text, message] of bad) {
      assert.throws(
        () => parseChannelExpression(text),
        { name: "RtaFormatError", message: `bad channel expression ${message}` },
        text,
      );
    }
  });
});
