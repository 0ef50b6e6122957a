/** startSimIoc in-process: names under both prefixes, and nothing left running after close(). */
import assert from "node:assert/strict";
import { connect } from "node:net";
import { describe, it } from "node:test";
import { startSimIoc } from "../../src/sim-ioc/sim-ioc.js";
import { startTestIoc } from "./helpers.js";

const timers = () => process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;

describe("startSimIoc", () => {
  it("serves its names under the prefixes given", async () => {
    const ioc = await startSimIoc({ prefix: "BL:", cameraPrefix: "DET:", host: "127.0.0.1", port: 0 });
    try {
      assert.ok(ioc.ports.tcpPort > 0);
      assert.equal(ioc.host, "127.0.0.1");
      for (const name of ["BL:m1", "BL:m4.RBV", "BL:ai1", "BL:counter", "DET:cam1:Acquire", "DET:image1:ArrayData"]) {
        assert.ok(ioc.pvNames.includes(name), name);
      }
      assert.equal(
        ioc.pvNames.filter((n) => !n.startsWith("BL:") && !n.startsWith("DET:")).length,
        0,
        "every name has a prefix",
      );
    } finally {
      await ioc.close();
    }
  });

  it("leaves no timer and no listening socket after close(), even mid-move and mid-acquisition", async () => {
    const before = timers();
    const t = await startTestIoc();
    const m1 = await t.channel("SIM:m1");
    void m1.put(Float64Array.of(20), { timeoutMs: 60_000 }).catch(() => {}); // never arrives: closed first
    const acquire = await t.channel("13SIM1:cam1:Acquire");
    void acquire.put(Uint16Array.of(1), { timeoutMs: 60_000 }).catch(() => {});
    await (await t.channel("SIM:m1.DMOV")).get(); // the put above is in by now (one circuit, in order)
    const { tcpPort } = t.ioc.ports;
    await t.close();
    assert.equal(timers(), before, "no timer left");
    const refused = await new Promise<boolean>((resolve) => {
      const socket = connect(tcpPort, "127.0.0.1");
      socket.on("connect", () => {
        socket.destroy();
        resolve(false);
      });
      socket.on("error", () => resolve(true));
    });
    assert.ok(refused, "the TCP port is closed");
  });
});
