/** `beamgate ca get` against a CA server: caget's output, line for line. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { LONG_TEXT, result, STAMP, serverForSuite } from "./fixture.js";

describe("beamgate ca get", () => {
  const server = serverForSuite();
  const get = (...args: string[]) => result(["ca", "get", ...args], server().env);

  it("prints name and value, the name padded to 30 columns for scalars, count then values for arrays", async () => {
    const { code, out, err } = await get("TEST:ai", "TEST:mode", "TEST:str", "TEST:wave");
    assert.equal(err, "");
    assert.equal(code, 0);
    assert.equal(
      out,
      "TEST:ai                        1.5\n" +
        "TEST:mode                      On\n" +
        'TEST:str                       say \\"hi\\"\\tthere\n' +
        "TEST:wave 4 0.5 1 1.5 2\n",
    );
  });

  it("prints only the value with -t, enums as numbers with -n, at most -# elements", async () => {
    assert.equal((await get("-t", "TEST:ai", "TEST:mode")).out, "1.5\nOn\n");
    assert.equal((await get("-n", "TEST:mode")).out, "TEST:mode                      1\n");
    assert.equal((await get("-#", "2", "TEST:wave")).out, "TEST:wave 2 0.5 1\n");
    assert.equal((await get("-#1", "TEST:ai")).out, "TEST:ai                        1 1.5\n");
  });

  it("formats floats with -e/-f/-g, or as the server does with -s", async () => {
    assert.equal((await get("-t", "-e", "2", "TEST:ai")).out, "1.50e+00\n");
    assert.equal((await get("-tf4", "TEST:ai")).out, "1.5000\n");
    assert.equal((await get("-t", "-s", "TEST:ai")).out, "1.500\n");
  });

  it("prints a CHAR array as a string with -S", async () => {
    assert.equal((await get("-S", "TEST:long")).out, `TEST:long ${LONG_TEXT}\n`);
  });

  it("prints name, time stamp, value, and alarm status and severity when not NO_ALARM with -a", async () => {
    const { code, out } = await get("-a", "TEST:ai", "TEST:hihi", "TEST:wave");
    assert.equal(code, 0);
    assert.equal(
      out,
      `TEST:ai                        ${STAMP} 1.5  \n` +
        `TEST:hihi                      ${STAMP} 12 HIHI MAJOR\n` +
        `TEST:wave ${STAMP} 4 0.5 1 1.5 2  \n`,
    );
  });

  it("prints every field of the DBR type asked for with -d", async () => {
    assert.equal(
      (await get("-d", "DBR_CTRL_DOUBLE", "TEST:ai")).out,
      `TEST:ai
    Native data type: DBF_DOUBLE
    Request type:     DBR_CTRL_DOUBLE
    Element count:    1
    Value:            1.5
    Status:           NO_ALARM
    Severity:         NO_ALARM
    Units:            mm
    Precision:        3
    Lo disp limit:    -10
    Hi disp limit:    10
    Lo alarm limit:   -9
    Lo warn limit:    -8
    Hi warn limit:    8
    Hi alarm limit:   9
    Lo ctrl limit:    -5
    Hi ctrl limit:    5
`,
    );
    assert.equal(
      (await get("-d", "ctrl_enum", "TEST:mode")).out,
      `TEST:mode
    Native data type: DBF_ENUM
    Request type:     DBR_CTRL_ENUM
    Element count:    1
    Value:            On
    Status:           NO_ALARM
    Severity:         NO_ALARM
    Enums:            ( 2)
                      [ 0] Off
                      [ 1] On
`,
    );
    assert.equal(
      (await get("-d", "20", "TEST:hihi")).out,
      `TEST:hihi
    Native data type: DBF_DOUBLE
    Request type:     DBR_TIME_DOUBLE
    Element count:    1
    Value:            12
    Timestamp:        ${STAMP}
    Status:           HIHI
    Severity:         MAJOR
`,
    );
    assert.match((await get("-d", "GR_LONG", "TEST:ro")).out, /\n {4}Lo disp limit: {4} {7}0\n/);
  });

  it("says which names did not connect within -w, prints the others, and exits 1", async () => {
    const started = Date.now();
    const { code, out, err } = await get("-w", "0.3", "TEST:ai", "NOPE");
    assert.equal(code, 1);
    assert.equal(
      out,
      "TEST:ai                        1.5\nNOPE                           *** Not connected (PV not found)\n",
    );
    assert.equal(err, "Channel connect timed out: 'NOPE' not found.\n");
    assert.ok(Date.now() - started >= 300, "waited -w");
  });

  it("reports a PV it may not read and exits 1", async () => {
    const { code, out } = await get("TEST:noread");
    assert.equal(code, 1);
    assert.equal(out, "TEST:noread                    *** no read access\n");
  });
});
