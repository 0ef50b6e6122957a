/** The CA tools' getopt: short flags as EPICS base's tools take them. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { getopt } from "../../../src/cli/ca/getopt.js";
import { BeamgateError } from "../../../src/errors.js";

const usage = (e: unknown) => e instanceof BeamgateError && e.code === "BG_ERR_CLI_USAGE";

describe("getopt", () => {
  it("takes clusters, values attached or apart, and operands between flags", () => {
    const parsed = getopt("get", ["-tn", "A", "-f8", "-w", "2", "B", "-#", "3"], "tnf:w:#:");
    assert.deepEqual(parsed.flags, [
      ["t", ""],
      ["n", ""],
      ["f", "8"],
      ["w", "2"],
      ["#", "3"],
    ]);
    assert.deepEqual(parsed.operands, ["A", "B"]);
    assert.equal(parsed.help, false);
  });

  it("stops at the first operand when asked, so that negative values stay values", () => {
    const parsed = getopt("put", ["-c", "PV", "-5", "-t"], "ct", true);
    assert.deepEqual(parsed.flags, [["c", ""]]);
    assert.deepEqual(parsed.operands, ["PV", "-5", "-t"]);
  });

  it("ends the flags at --, and takes -h and --help", () => {
    assert.deepEqual(getopt("get", ["--", "-t"], "t").operands, ["-t"]);
    assert.equal(getopt("get", ["-h"], "t").help, true);
    assert.equal(getopt("get", ["X", "--help"], "t").help, true);
  });

  it("refuses unknown flags and a missing value with a usage error", () => {
    assert.throws(() => getopt("get", ["-x"], "t"), usage);
    assert.throws(() => getopt("get", ["--long"], "t"), usage);
    assert.throws(() => getopt("get", ["-w"], "w:"), usage);
    assert.throws(() => getopt("get", ["-:"], "w:"), usage);
  });
});
