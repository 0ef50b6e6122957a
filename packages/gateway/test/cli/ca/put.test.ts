/** `beamgate ca put` against a CA server: caput's Old/New lines, its errors, completion. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { LONG_TEXT, result, SLOW_WRITE_MS, STAMP, serverForSuite } from "./fixture.js";

describe("beamgate ca put", () => {
  const server = serverForSuite();
  const put = (...args: string[]) => result(["ca", "put", ...args], server().env);

  it("prints the old and the new value", async () => {
    const { code, out, err } = await put("TEST:ai", "2.5");
    assert.equal(err, "");
    assert.equal(code, 0);
    assert.equal(out, "Old : TEST:ai                        1.5\nNew : TEST:ai                        2.5\n");
  });

  it("prints only the new value with -t, and takes a negative value after the name", async () => {
    assert.deepEqual(await put("-t", "TEST:ai", "-5"), { code: 0, out: "-5\n", err: "" });
  });

  it("prints time stamps and alarms with -l", async () => {
    const { out } = await put("-l", "TEST:hihi", "13");
    const [old, now] = out.split("\n");
    assert.equal(old, `Old : TEST:hihi                      ${STAMP} 12 HIHI MAJOR`);
    assert.match(now as string, /^New : TEST:hihi {22}\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6} 13 HIHI MAJOR$/);
  });

  it("writes enums by label or by index, and refuses what is neither", async () => {
    assert.equal(
      (await put("TEST:mode", "Off")).out,
      "Old : TEST:mode                      On\nNew : TEST:mode                      Off\n",
    );
    assert.equal((await put("-t", "TEST:mode", "1")).out, "On\n");
    assert.deepEqual(await put("TEST:mode", "Bogus"), {
      code: 1,
      out: "",
      err: "Enum string value 'Bogus' invalid.\n",
    });
    assert.deepEqual(await put("-s", "TEST:mode", "0"), { code: 1, out: "", err: "Enum string value '0' invalid.\n" });
    assert.deepEqual(await put("-n", "TEST:mode", "On"), {
      code: 1,
      out: "",
      err: "Enum index value 'On' is not a number.\n",
    });
  });

  it("writes a long string as a CHAR array with -S, C escapes undone", async () => {
    const { code, out } = await put("-S", "TEST:long", "line\\tone");
    assert.equal(code, 0);
    assert.equal(out, `Old : TEST:long ${LONG_TEXT}\nNew : TEST:long line\\tone\n`);
  });

  it("writes an array with -a COUNT VALUE...", async () => {
    const { code, out } = await put("-a", "TEST:wave", "3", "7", "8", "9");
    assert.equal(code, 0);
    assert.equal(out, "Old : TEST:wave 4 0.5 1 1.5 2\nNew : TEST:wave 4 7 8 9 0\n");
  });

  it("refuses to write a read-only PV: exit 1 and caput's message", async () => {
    assert.deepEqual(await put("TEST:ro", "5"), {
      code: 1,
      out: "Old : TEST:ro                        7\n",
      err: "Error from put operation: Write access denied\n",
    });
  });

  it("reports a value the server refuses", async () => {
    const { code, err } = await put("TEST:ai", "abc");
    assert.equal(code, 1);
    assert.equal(err, "Error occurred writing data: The data type specifed is invalid\n");
  });

  it("waits for the write to complete with -c before reading the new value", async () => {
    const started = Date.now();
    const { code, out } = await put("-c", "TEST:motor", "4");
    assert.equal(code, 0);
    // The server posts the new value only when the write completes.
    assert.equal(out, "Old : TEST:motor                     0\nNew : TEST:motor                     4\n");
    assert.ok(Date.now() - started >= SLOW_WRITE_MS);
  });

  it("gives up on a write not complete within -w: exit 1", async () => {
    const { code, err } = await put("-w", "0.1", "TEST:stuck", "5");
    assert.equal(code, 1);
    assert.equal(err, "Write operation timed out: Data was not written.\n");
  });

  it("says so when the PV is not found: exit 1", async () => {
    assert.deepEqual(await put("-w", "0.2", "NOPE", "1"), {
      code: 1,
      out: "",
      err: "Channel connect timed out: 'NOPE' not found.\n",
    });
  });
});
