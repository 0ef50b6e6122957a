/** The `beamgate` command as a user runs it: a real process, real signals, real sockets. */
import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { describe, it } from "node:test";
import { runBeamgate } from "../helpers/cli.js";
import { TestClient } from "../helpers/ws-client.js";

const run = (args: string[], env: Record<string, string> = {}) => runBeamgate(args, env);

async function serving(args: string[] = []): Promise<{ p: ReturnType<typeof run>; ws: string }> {
  const p = run(["serve", "--port", "0", "--log-level", "warn", ...args]);
  const deadline = Date.now() + 10_000;
  while (!/listening on http:\/\/[\d.]+:\d+/.test(p.out())) {
    if (Date.now() > deadline) throw new Error(`no banner: ${p.out()} ${p.err()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  const url = (/listening on (http:\/\/[\d.]+:\d+)/.exec(p.out()) as RegExpExecArray)[1] as string;
  return { p, ws: url.replace("http", "ws") };
}

async function stopped(child: ChildProcess, exited: Promise<number>, signal: NodeJS.Signals) {
  const started = Date.now();
  child.kill(signal);
  const code = await exited;
  return { code, ms: Date.now() - started };
}

describe("beamgate command", () => {
  it("prints help and version", async () => {
    const help = run(["--help"]);
    assert.equal(await help.exited, 0);
    assert.match(help.out(), /beamgate serve \[options\]/);
    const serveHelp = run(["serve", "--help"]);
    assert.equal(await serveHelp.exited, 0);
    assert.match(serveHelp.out(), /--host ADDRESS/);
    assert.match(serveHelp.out(), /OAS_PORT/);
    const version = run(["--version"]);
    assert.equal(await version.exited, 0);
    assert.match(version.out(), /^\d+\.\d+\.\d+\n$/);
  });

  it("stops on unknown commands, options and invalid values with one clear line and exit code 2", async () => {
    const cases: Array<[string[], Record<string, string>, RegExp]> = [
      [["launch"], {}, /^beamgate: unknown command 'launch'/],
      [["serve", "--bogus"], {}, /^beamgate: Unknown option '--bogus'.*beamgate serve --help/],
      [["serve", "--port", "99999"], {}, /^beamgate: invalid value for port: .*\(from flag --port\)$/],
      [["serve", "extra"], {}, /^beamgate: .*positional/i],
      [["serve"], { BEAMGATE_PORT: "abc" }, /^beamgate: invalid value for port: .*BEAMGATE_PORT\)$/],
      [["serve", "--default-scheme", "ftp"], {}, /^beamgate: invalid value for defaultScheme/],
      [["serve", "--config", "/nonexistent.yaml"], {}, /^beamgate: cannot read configuration file/],
    ];
    for (const [args, env, expected] of cases) {
      const p = run(args, env);
      assert.equal(await p.exited, 2, args.join(" "));
      const lines = p.err().trimEnd().split("\n");
      assert.equal(lines.length, 1, p.err());
      assert.match(lines[0] as string, expected);
    }
  });

  it("serves, prints its URLs, and stops on SIGTERM within 2 s closing sockets with 1001", async () => {
    const { p, ws } = await serving();
    assert.match(p.out(), /\/ws/);
    assert.match(p.out(), /\/api\/v1\/stream\/multi/);
    const c = await TestClient.connect(`${ws}/api/v1/stream/multi`);
    c.send({ type: "subscribe", id: 1, topic: "sim://sine" });
    await c.next((m) => m.type === "data");
    const { code, ms } = await stopped(p.child, p.exited, "SIGTERM");
    assert.equal(code, 0);
    assert.ok(ms < 2000, `stopped in ${ms} ms`);
    assert.equal((await c.closed).code, 1001);
  });

  it("stops on SIGINT too", async () => {
    const { p, ws } = await serving();
    const c = await TestClient.connect(`${ws}/ws`);
    const { code } = await stopped(p.child, p.exited, "SIGINT");
    assert.equal(code, 0);
    assert.equal((await c.closed).code, 1001);
  });

  it("takes OAS_PORT as an alias of BEAMGATE_PORT", async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
    const port = (probe.address() as { port: number }).port;
    await new Promise((r) => probe.close(r));
    const p = run(["serve", "--log-level", "warn"], { OAS_PORT: String(port) });
    const deadline = Date.now() + 10_000;
    while (!p.out().includes(`:${port}`) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.match(p.out(), new RegExp(`listening on http://127.0.0.1:${port}`));
    await stopped(p.child, p.exited, "SIGTERM");
  });

  it("exits 1 with a clear message when the port is taken", async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, "127.0.0.1", r));
    const port = (blocker.address() as { port: number }).port;
    const p = run(["serve", "--port", String(port), "--log-level", "silent"]);
    assert.equal(await p.exited, 1);
    assert.match(p.err(), /EADDRINUSE/);
    blocker.close();
  });
});
