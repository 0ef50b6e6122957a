import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { formatCall, parseCall } from "../../src/sources/call-syntax.js";

describe("parseCall", () => {
  it("reads names, types and arguments as Phoebus writes them", () => {
    assert.deepEqual(parseCall("sine", "sim"), { name: "sine" });
    assert.deepEqual(parseCall("sine()", "sim"), { name: "sine", args: [] });
    assert.deepEqual(parseCall(" sine( -5, 5.5 , 1e-1 ) ", "sim"), { name: "sine", args: [-5, 5.5, 0.1] });
    assert.deepEqual(parseCall('x<VEnum>(1, "Off", "On")', "loc"), {
      name: "x",
      type: "VEnum",
      args: [1, "Off", "On"],
    });
    assert.deepEqual(parseCall('s("a \\"quoted\\", text")', "loc"), { name: "s", args: ['a "quoted", text'] });
    assert.deepEqual(parseCall("IOC:m1.RBV", "loc"), { name: "IOC:m1.RBV" });
  });

  it("gives one canonical spelling for equivalent calls", () => {
    assert.equal(formatCall(parseCall("sine( 0 ,1, 0.5)", "sim")), "sine(0,1,0.5)");
    assert.equal(formatCall(parseCall('x<VString>( "a" )', "loc")), 'x<VString>("a")');
  });

  it("rejects malformed calls with BG_ERR_TOPIC_INVALID", () => {
    for (const bad of [
      "sine(",
      "sine(1,",
      "sine(1 2)",
      "sine(abc)",
      "sine(1))",
      "sine)",
      "(1)",
      "x<>(1)",
      'x("open)',
      "sine(1) tail",
      's("\\q")',
      's("\\u12")',
    ]) {
      assert.throws(() => parseCall(bad, "sim"), { code: "BG_ERR_TOPIC_INVALID" }, bad);
    }
  });
});
