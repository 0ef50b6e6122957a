/** `beamgate ca info` against a CA server: cainfo's block per channel. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { result, serverForSuite } from "./fixture.js";

describe("beamgate ca info", () => {
  const server = serverForSuite();

  it("prints state, server, access, native type and element count; exit 1 if one is not found", async () => {
    const { code, out, err } = await result(["ca", "info", "-w", "0.3", "TEST:ai", "TEST:ro", "NOPE"], server().env);
    const host = server().address;
    assert.equal(code, 1);
    assert.equal(err, "Channel connect timed out: 'NOPE' not found.\n");
    assert.equal(
      out,
      `TEST:ai
    State:            connected
    Host:             ${host}
    Access:           read, write
    Native data type: DBF_DOUBLE
    Request type:     DBR_DOUBLE
    Element count:    1
TEST:ro
    State:            connected
    Host:             ${host}
    Access:           read, no write
    Native data type: DBF_LONG
    Request type:     DBR_LONG
    Element count:    1
NOPE
    State:            never connected
    Host:             <disconnected>
    Access:           no read, no write
    Native data type: TYPENOTCONN
    Request type:     TYPENOTCONN
    Element count:    0
`,
    );
  });

  it("exits 0 when every PV connects", async () => {
    const { code, out } = await result(["ca", "info", "TEST:long"], server().env);
    assert.equal(code, 0);
    assert.match(out, /Native data type: DBF_CHAR\n {4}Request type: {5}DBR_CHAR\n {4}Element count: {4}80\n$/);
  });
});
