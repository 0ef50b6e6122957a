import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MAX_TOPIC_NAME_LENGTH, parseTopicName } from "../../src/core/topic-name.js";

describe("parseTopicName", () => {
  it("splits scheme and path", () => {
    assert.deepEqual(parseTopicName("sim://sine(0,1,0.1)", "ca"), { scheme: "sim", path: "sine(0,1,0.1)" });
    assert.deepEqual(parseTopicName("loc://a:b", "ca"), { scheme: "loc", path: "a:b" });
  });

  it("reads schemes case-insensitively", () => {
    assert.deepEqual(parseTopicName("SIM://sine", "ca"), { scheme: "sim", path: "sine" });
  });

  it("gives bare names the default scheme, including EPICS names with colons and dots", () => {
    assert.deepEqual(parseTopicName("SR:C01:BPM1:X.VAL", "sim"), { scheme: "sim", path: "SR:C01:BPM1:X.VAL" });
  });

  it("rejects empty, blank, control characters and overlong names", () => {
    for (const bad of ["", "sim://", "sim://   ", "a\tb", "x\u0000", "a".repeat(MAX_TOPIC_NAME_LENGTH + 1)]) {
      assert.throws(() => parseTopicName(bad, "sim"), { code: "BG_ERR_TOPIC_INVALID" }, JSON.stringify(bad));
    }
    assert.doesNotThrow(() => parseTopicName("a".repeat(MAX_TOPIC_NAME_LENGTH), "sim"));
  });
});
