import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { loadConfig } from "../../src/config/load.js";
import { OPTIONS } from "../../src/config/options.js";

const dir = mkdtempSync(join(tmpdir(), "beamgate-config-"));
function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe("loadConfig", () => {
  it("defaults to 127.0.0.1:8001, the ca scheme and documented limits", () => {
    const c = loadConfig();
    assert.equal(c.host, "127.0.0.1");
    assert.equal(c.port, 8001);
    assert.equal(c.defaultScheme, "ca");
    assert.equal(c.limits.maxInboundFrameBytes, 65536);
    assert.equal(c.pvApi.batchWindowMs, 100);
  });

  it("applies defaults < file < environment < flags", () => {
    const yaml = file("a.yaml", "port: 9000\nhost: 127.0.0.2\nhub:\n  lingerMs: 10\n");
    assert.equal(loadConfig({ file: yaml }).port, 9000);
    assert.equal(loadConfig({ file: yaml }).hub.lingerMs, 10);
    assert.equal(loadConfig({ file: yaml }).hub.maxTopics, 100_000, "unset nested options keep defaults");
    assert.equal(loadConfig({ file: yaml, env: { BEAMGATE_PORT: "9100" } }).port, 9100);
    assert.equal(loadConfig({ file: yaml, env: { BEAMGATE_PORT: "9100" }, flags: { port: "9200" } }).port, 9200);
    assert.equal(loadConfig({ file: yaml, env: { BEAMGATE_HOST: "127.0.0.3" } }).host, "127.0.0.3");
  });

  it("reads JSON files and BEAMGATE_CONFIG", () => {
    const json = file("b.json", '{"pvApi": {"batchWindowMs": 0}}');
    assert.equal(loadConfig({ env: { BEAMGATE_CONFIG: json } }).pvApi.batchWindowMs, 0);
  });

  it("accepts the ophyd-websocket names OAS_HOST, OAS_PORT and OAS_LOG_LEVEL; BEAMGATE_* wins over them", () => {
    const c = loadConfig({ env: { OAS_HOST: "127.0.0.9", OAS_PORT: "8002", OAS_LOG_LEVEL: "debug" } });
    assert.deepEqual([c.host, c.port, c.logLevel], ["127.0.0.9", 8002, "debug"]);
    assert.equal(loadConfig({ env: { OAS_PORT: "8002", BEAMGATE_PORT: "8003" } }).port, 8003);
  });

  it("derives an environment variable for every option", () => {
    const option = OPTIONS.find((o) => o.path === "limits.maxInboundFrameBytes");
    assert.equal(option?.env, "BEAMGATE_LIMITS_MAX_INBOUND_FRAME_BYTES");
    assert.equal(
      loadConfig({ env: { BEAMGATE_LIMITS_MAX_INBOUND_FRAME_BYTES: "2048" } }).limits.maxInboundFrameBytes,
      2048,
    );
    for (const o of OPTIONS) assert.match(o.env, /^BEAMGATE_[A-Z0-9_]+$/);
  });

  it("stops on invalid values with one line naming the option and where it came from", () => {
    const cases: Array<[Parameters<typeof loadConfig>[0], RegExp]> = [
      [{ flags: { port: "70000" } }, /^invalid value for port: .*\(from flag --port\)$/],
      [{ flags: { port: "abc" } }, /^invalid value for port: .*\(from flag --port\)$/],
      [{ env: { BEAMGATE_PORT: "-1" } }, /^invalid value for port: .*\(from environment BEAMGATE_PORT\)$/],
      [{ env: { OAS_PORT: "x" } }, /\(from environment OAS_PORT\)$/],
      [{ flags: { defaultScheme: "ftp" } }, /^invalid value for defaultScheme: /],
      [{ env: { BEAMGATE_LIMITS_MAX_INBOUND_FRAME_BYTES: "0" } }, /^invalid value for limits.maxInboundFrameBytes/],
      [
        { file: file("c.yaml", "limits:\n  heartbeatIntervalMs: fast\n") },
        /limits.heartbeatIntervalMs: .*\(from file /,
      ],
    ];
    for (const [sources, expected] of cases) {
      assert.throws(
        () => loadConfig(sources),
        (e: Error & { code: string }) =>
          e.code === "BG_ERR_CONFIG_INVALID" && expected.test(e.message) && !e.message.includes("\n"),
        JSON.stringify(sources),
      );
    }
  });

  it("stops on unknown options and unreadable or malformed files", () => {
    assert.throws(() => loadConfig({ file: file("d.yaml", "prot: 1\n") }), {
      message: 'unknown configuration option "prot"',
    });
    assert.throws(() => loadConfig({ file: file("e.yaml", "limits:\n  maxFoo: 1\n") }), {
      message: 'unknown configuration option "limits.maxFoo"',
    });
    assert.throws(() => loadConfig({ file: join(dir, "missing.yaml") }), { code: "BG_ERR_CONFIG_FILE" });
    assert.throws(() => loadConfig({ file: file("f.yaml", "port: [1,\n") }), { code: "BG_ERR_CONFIG_FILE" });
    assert.throws(() => loadConfig({ file: file("g.yaml", "- 1\n- 2\n") }), { code: "BG_ERR_CONFIG_FILE" });
    assert.equal(loadConfig({ file: file("h.yaml", "") }).port, 8001, "an empty file is no options");
    assert.throws(() => loadConfig({ file: file("i.yaml", "__proto__:\n  polluted: 1\n") }), {
      code: "BG_ERR_CONFIG_INVALID",
    });
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  it("requires the soft outbound limit below the hard one, and timers within 2^31-1 ms", () => {
    assert.throws(
      () => loadConfig({ env: { BEAMGATE_LIMITS_OUTBOUND_SOFT_LIMIT_BYTES: "9000000" } }),
      /outboundSoftLimitBytes must be less than outboundHardLimitBytes/,
    );
    assert.throws(() => loadConfig({ env: { BEAMGATE_LIMITS_HEARTBEAT_INTERVAL_MS: "3000000000" } }), {
      code: "BG_ERR_CONFIG_INVALID",
    });
  });
});
