/** C escapes out (caget) and in (caput), as epicsStrnEscapedFromRaw and epicsStrnRawFromEscaped. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { escapedFromRaw, rawFromEscaped } from "../../../src/cli/ca/escape.js";

describe("C escapes", () => {
  it("escapes quotes, backslashes and control characters; keeps the rest", () => {
    assert.equal(escapedFromRaw(`say "hi"\t'x'\\\n\x01\x7f é`), `say \\"hi\\"\\t\\'x\\'\\\\\\n\\x01\\x7f é`);
  });

  it("undoes named, octal and hex escapes; an unknown escape is its character", () => {
    assert.equal(rawFromEscaped('a\\tb\\x41\\101\\\\\\q\\"'), 'a\tbAA\\q"');
  });

  it("round-trips", () => {
    const s = "line\none\ttab \\ 'q' \"dq\" \x02";
    assert.equal(rawFromEscaped(escapedFromRaw(s)), s);
  });
});
