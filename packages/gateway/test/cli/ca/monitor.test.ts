/** `beamgate ca monitor` against a CA server: camonitor's lines until a signal stops it. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { run, STAMP, STAMP_MS, startServer } from "./fixture.js";

const NOW = String.raw`\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}`;

describe("beamgate ca monitor", () => {
  it("prints the value, each change with its alarm, the names not found after -w; exits 0 on SIGTERM", async () => {
    const { server, pvs, env } = await startServer();
    try {
      const p = run(["ca", "monitor", "-w", "0.3", "TEST:ai", "TEST:wave", "NOPE"], env);
      await p.until(/NOPE.*\n/);
      pvs.get("TEST:ai")?.post(Float64Array.of(8.5), { status: 4, severity: 1 }, STAMP_MS + 1000);
      pvs.get("TEST:wave")?.post(Float64Array.of(1, 2), {}, STAMP_MS + 2000);
      await p.until(/ 2 1 2 {2}\n/);
      p.child.kill("SIGTERM");
      assert.equal(await p.exited, 0);
      assert.equal(p.err(), "");
      const lines = p.out().split("\n");
      // The first two arrive in either order.
      assert.deepEqual(lines.slice(0, 2).sort(), [
        `TEST:ai                        ${STAMP} 1.5  `,
        `TEST:wave ${STAMP} 4 0.5 1 1.5 2  `,
      ]);
      assert.deepEqual(lines.slice(2), [
        "NOPE                           *** Not connected (PV not found)",
        "TEST:ai                        2024-01-02 03:04:06.678000 8.5 HIGH MINOR",
        "TEST:wave 2024-01-02 03:04:07.678000 2 1 2  ",
        "",
      ]);
    } finally {
      await server.close();
    }
  });

  it("asks only for the events of -m: alarm changes with -m a", async () => {
    const { server, pvs, env } = await startServer();
    try {
      const p = run(["ca", "monitor", "-n", "-m", "a", "TEST:mode"], env);
      await p.until(/\n/);
      const mode = pvs.get("TEST:mode");
      mode?.post(Uint16Array.of(0), {}, STAMP_MS + 1000); // a value change only: not sent
      mode?.post(Uint16Array.of(1), { status: 7, severity: 2 }, STAMP_MS + 2000);
      await p.until(/STATE/);
      p.child.kill("SIGINT");
      assert.equal(await p.exited, 0);
      assert.equal(
        p.out(),
        `TEST:mode                      ${STAMP} 1  \n` +
          "TEST:mode                      2024-01-02 03:04:07.678000 1 STATE MAJOR\n",
      );
    } finally {
      await server.close();
    }
  });

  it("prints a disconnection when the server goes away, and keeps running", async () => {
    const { server, env } = await startServer();
    const p = run(["ca", "monitor", "TEST:ai"], env);
    await p.until(/\n/);
    await server.close();
    await p.until(new RegExp(`\\nTEST:ai {24}${NOW} \\*\\*\\* disconnected\\n$`));
    p.child.kill("SIGTERM");
    assert.equal(await p.exited, 0);
  });
});
