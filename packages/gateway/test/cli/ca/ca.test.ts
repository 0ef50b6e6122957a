/** `beamgate ca` as a command: help, and usage errors (exit code 2, one line on stderr). */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { result } from "./fixture.js";

describe("beamgate ca", () => {
  it("prints help for itself and each command", async () => {
    const help = await result(["ca", "--help"]);
    assert.equal(help.code, 0);
    assert.match(help.out, /^Usage: beamgate ca COMMAND/);
    for (const command of ["get", "put", "monitor", "info"]) {
      const { code, out } = await result(["ca", command, "--help"]);
      assert.equal(code, 0, command);
      assert.match(out, new RegExp(`^Usage: beamgate ca ${command} `));
    }
    assert.match((await result(["--help"])).out, /beamgate ca COMMAND/);
  });

  it("stops on unknown commands, unknown options and bad values with exit code 2", async () => {
    const cases: Array<[string[], RegExp]> = [
      [["ca", "launch"], /^beamgate: unknown ca command 'launch' \(try 'beamgate ca --help'\)$/],
      [["ca", "get", "-x", "PV"], /^beamgate: ca get: unknown option '-x' \(try 'beamgate ca get --help'\)$/],
      [["ca", "get", "--verbose", "PV"], /^beamgate: ca get: unknown option '--verbose'/],
      [["ca", "get"], /^beamgate: ca get: no PV name given/],
      [["ca", "get", "-w", "soon", "PV"], /^beamgate: ca get: -w needs a number of seconds, not 'soon'/],
      [["ca", "get", "PV", "-w"], /^beamgate: ca get: option '-w' needs a value/],
      [["ca", "get", "-f", "19", "PV"], /^beamgate: ca get: -f needs a whole number from 0 to 18, not '19'/],
      [["ca", "get", "-#", "-1", "PV"], /^beamgate: ca get: -# needs a whole number, not '-1'/],
      [["ca", "get", "-t", "-a", "PV"], /^beamgate: ca get: options -t, -a and -d are mutually exclusive/],
      [["ca", "get", "-d", "DBR_CLASS_NAME", "PV"], /^beamgate: ca get: -d needs a DBR type/],
      [["ca", "put", "PV"], /^beamgate: ca put: no value given/],
      [["ca", "put", "-a", "PV", "x"], /^beamgate: ca put: -a needs the number of values/],
      [["ca", "monitor", "-m", "vz", "PV"], /^beamgate: ca monitor: -m takes the letters v, a, l and p, not 'vz'/],
      [["ca", "info", "-n", "PV"], /^beamgate: ca info: unknown option '-n'/],
    ];
    for (const [args, expected] of cases) {
      const { code, out, err } = await result(args);
      assert.equal(code, 2, args.join(" "));
      assert.equal(out, "");
      const lines = err.split("\n");
      assert.deepEqual(lines.slice(1), [""], "one line");
      assert.match(lines[0] as string, expected);
    }
  });

  it("treats an EPICS variable that does not parse as a configuration error", async () => {
    const { code, err } = await result(["ca", "get", "PV"], { EPICS_CA_AUTO_ADDR_LIST: "maybe" });
    assert.equal(code, 2);
    assert.match(err, /^beamgate: EPICS_CA_AUTO_ADDR_LIST must be YES or NO/);
  });
});
