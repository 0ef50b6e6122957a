/** `beamgate sim-ioc` as a user runs it: a real process, real signals, real CA sockets. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CaClient } from "@beamgate/epics-ca";
import { runBeamgate } from "../helpers/cli.js";

const LOG_LINE = /serving (\d+) PVs .* on ([\d.]+) TCP port (\d+), UDP port (\d+)/;

const run = (args: string[], env: Record<string, string> = {}) => runBeamgate(["sim-ioc", ...args], env);

/** Starts the command on a free port and waits for its log line. */
async function serving(args: string[] = []) {
  const p = run(["--port", "0", ...args]);
  const deadline = Date.now() + 10_000;
  while (!LOG_LINE.test(p.err())) {
    if (Date.now() > deadline || p.child.exitCode !== null) throw new Error(`no log line: ${p.err()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  const [, count, host, tcpPort, udpPort] = LOG_LINE.exec(p.err()) as RegExpExecArray;
  return { p, count: Number(count), host, tcpPort: Number(tcpPort), udpPort: Number(udpPort) };
}

describe("beamgate sim-ioc", () => {
  it("prints its help", async () => {
    const p = run(["--help"]);
    assert.equal(await p.exited, 0);
    assert.match(p.out(), /--camera-prefix PREFIX/);
    assert.match(p.out(), /EPICS_CAS_SERVER_PORT/);
  });

  it("stops on bad flags and environment with one clear line and exit code 2", async () => {
    const cases: Array<[string[], Record<string, string>, RegExp]> = [
      [["--bogus"], {}, /^beamgate: Unknown option '--bogus'.*beamgate sim-ioc --help/],
      [["--port", "99999"], {}, /^beamgate: --port must be a port number \(0-65535\), not '99999'/],
      [["--port", "-1"], {}, /^beamgate: .*port/],
      [["--interface", "localhost"], {}, /^beamgate: --interface must be an IPv4 address, not 'localhost'/],
      [["--prefix", "A B:"], {}, /^beamgate: --prefix must not contain spaces/],
      [["extra"], {}, /^beamgate: .*positional/i],
      [[], { EPICS_CAS_SERVER_PORT: "abc" }, /^beamgate: EPICS_CAS_SERVER_PORT must be a positive integer/],
    ];
    for (const [args, env, expected] of cases) {
      const p = run(args, env);
      assert.equal(await p.exited, 2, args.join(" "));
      const lines = p.err().trimEnd().split("\n");
      assert.equal(lines.length, 1, p.err());
      assert.match(lines[0] as string, expected);
    }
  });

  it("serves the beamline under --prefix on loopback, logs one line, and stops on SIGTERM closing its sockets", async () => {
    const { p, count, host, tcpPort, udpPort } = await serving(["--prefix", "BL1:"]);
    assert.equal(host, "127.0.0.1");
    assert.equal(tcpPort, udpPort);
    assert.ok(count > 100, `${count} PVs`);
    assert.equal(p.err().trimEnd().split("\n").length, 1, "one log line");
    const client = new CaClient({ addressList: [`127.0.0.1:${udpPort}`] });
    try {
      const rbv = client.channel("BL1:m1.RBV");
      await rbv.wait(5000);
      assert.deepEqual((await rbv.get()).value, Float64Array.of(0));
      const camera = client.channel("13SIM1:cam1:SizeX_RBV");
      await camera.wait(5000);
      const disconnected = new Promise<void>((resolve) => {
        rbv.onConnection = (connected) => {
          if (!connected) resolve();
        };
      });
      const started = Date.now();
      p.child.kill("SIGTERM");
      assert.equal(await p.exited, 0);
      assert.ok(Date.now() - started < 2000, "stopped within 2 s");
      await disconnected;
    } finally {
      client.close();
    }
  });

  it("stops on SIGINT too", async () => {
    const { p } = await serving(["--camera-prefix", "CAM:"]);
    p.child.kill("SIGINT");
    assert.equal(await p.exited, 0);
  });

  it("exits 1 with the error when the port is taken", async () => {
    const { p: first, tcpPort } = await serving();
    const second = run(["--port", String(tcpPort)]);
    assert.equal(await second.exited, 1);
    assert.match(second.err(), /EADDRINUSE/);
    first.child.kill("SIGTERM");
    await first.exited;
  });
});
