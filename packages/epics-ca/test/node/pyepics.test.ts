/**
 * Interoperability with the real libca (EPICS base 7.0.3, Debian's python3-pyepics): the server
 * here answers pyepics' searches, reads in every DBR class, writes with completion, monitors and
 * cainfo, as an IOC would. The Python side is in test/fixtures/pyepics_*.py; each script prints one
 * `RESULT <json>` line that these tests check.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { createInterface } from "node:readline";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { EPICS_EPOCH_OFFSET_SECONDS } from "../../src/constants.js";
import type { DbrArray } from "../../src/dbr.js";
import { ServerPv } from "../../src/node/pv.js";
import { CaServer } from "../../src/node/server.js";

const PYTHON = "/usr/bin/python3"; // Debian's, where python3-pyepics installs (not pyenv's python3)
const hasPyepics = spawnSync(PYTHON, ["-c", "import epics"]).status === 0;
// In CI (.ci/run installs python3-pyepics) a missing pyepics is a failure, not a reason to skip.
const skip = hasPyepics || process.env.CI ? false : "python3-pyepics is not installed";

/** Compiled tests run from dist/test/node: the fixtures stay in the package's test/fixtures. */
const fixture = (name: string) => fileURLToPath(new URL(`../../../test/fixtures/${name}`, import.meta.url));

const SCRIPT_TIMEOUT_MS = 30_000;
const WRITE_DELAY_MS = 300;
const WAVE_LENGTH = 100_000;
const LONG_STRING = "A long string in a CHAR array, well past the 40 characters of a DBR_STRING";

/** Every limit different, so that a field read in the wrong place shows. */
const LIMITS = {
  upperDisplay: 100,
  lowerDisplay: -20,
  upperAlarm: 90,
  upperWarning: 80,
  lowerWarning: -10,
  lowerAlarm: -15,
  upperControl: 50,
  lowerControl: -5,
};

function makePvs(): Map<string, ServerPv> {
  const chars = new Uint8Array(256);
  chars.set(new TextEncoder().encode(LONG_STRING));
  const ai = new ServerPv({ base: "DOUBLE", value: Float64Array.of(1.5), units: "mm", precision: 3, limits: LIMITS });
  // Past the upper alarm limit: HIHI (3), MAJOR (2).
  ai.post(Float64Array.of(95.5), { status: 3, severity: 2 });
  return new Map([
    ["PY:ai", ai],
    ["PY:float", new ServerPv({ base: "FLOAT", value: Float32Array.of(2.25), units: "V", precision: 2 })],
    ["PY:long", new ServerPv({ base: "LONG", value: Int32Array.of(123_456), units: "counts" })],
    ["PY:short", new ServerPv({ base: "SHORT", value: Int16Array.of(-123) })],
    ["PY:chars", new ServerPv({ base: "CHAR", value: chars })],
    ["PY:enum", new ServerPv({ base: "ENUM", value: Uint16Array.of(1), enumStrings: ["Off", "On", "Fault"] })],
    ["PY:str", new ServerPv({ base: "STRING", value: ["hello pyepics"] })],
    ["PY:wave", new ServerPv({ base: "DOUBLE", value: Float64Array.from({ length: WAVE_LENGTH }, (_, i) => i) })],
    ["PY:ro", new ServerPv({ base: "LONG", value: Int32Array.of(7), writable: false })],
    [
      "PY:slow",
      new ServerPv({
        base: "DOUBLE",
        value: Float64Array.of(0),
        // A put completes when "the motor arrives".
        onWrite: async (pv, value) => {
          await new Promise((r) => setTimeout(r, WRITE_DELAY_MS));
          pv.post(value);
        },
      }),
    ],
    ["PY:counter", new ServerPv({ base: "LONG", value: Int32Array.of(0) })],
  ]);
}

interface Run {
  result: unknown;
  stdout: string;
  stderr: string;
}

/**
 * Runs a fixture with libca pointed at the server only. `onLine` sees each stdout line as it
 * arrives (the monitor handshake). Rejects on a non-zero exit, no RESULT line, or the time limit.
 */
function runPython(
  udpPort: number,
  script: string,
  args: string[],
  onLine: (line: string) => void = () => {},
): Promise<Run> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    EPICS_CA_ADDR_LIST: `127.0.0.1:${udpPort}`,
    EPICS_CA_AUTO_ADDR_LIST: "NO",
    EPICS_CA_MAX_ARRAY_BYTES: "10000000",
    PYTHONDONTWRITEBYTECODE: "1", // no __pycache__ in test/fixtures
  };
  delete env.PYTHONPATH;
  delete env.PYTHONHOME;
  const child = spawn(PYTHON, [fixture(script), ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  createInterface({ input: child.stdout }).on("line", (line) => {
    stdout += `${line}\n`;
    onLine(line);
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${script} did not finish within ${SCRIPT_TIMEOUT_MS} ms\n${stdout}\n${stderr}`));
    }, SCRIPT_TIMEOUT_MS);
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      const line = stdout.split("\n").find((l) => l.startsWith("RESULT "));
      if (code !== 0 || !line) {
        reject(new Error(`${script} exited with ${code}\nstdout: ${stdout}\nstderr: ${stderr}`));
        return;
      }
      resolve({ result: JSON.parse(line.slice("RESULT ".length)), stdout, stderr });
    });
  });
}

interface Reading {
  value: unknown;
  as_string: string;
  type: string;
  count: number;
  nelm: number;
  host: string;
  access: string;
  ctrl: Record<string, unknown>;
  time: { status: number; severity: number; timestamp: number; value: unknown };
  cainfo: string;
  now: number;
}

interface WriteResult {
  name: string;
  ok: boolean;
  returned: number | null;
  error: string | null;
  seconds: number;
  readback: unknown;
}

/** The Unix time (s) of a PV's stamp, as pyepics reports it. */
function unixSeconds(pv: ServerPv): number {
  const stamp = pv.data.stamp ?? { secondsPastEpoch: 0, nanoseconds: 0 };
  return stamp.secondsPastEpoch + EPICS_EPOCH_OFFSET_SECONDS + stamp.nanoseconds / 1e9;
}

describe("pyepics (libca from EPICS base) against the CA server", { skip }, () => {
  let server: CaServer;
  let pvs: Map<string, ServerPv>;
  let ports: { tcpPort: number; udpPort: number };
  before(async () => {
    pvs = makePvs();
    // No beacons: other tests' clients on this host need not hear of this server.
    server = new CaServer({ pvs, port: 0, host: "127.0.0.1", beaconAddressList: [] });
    ports = await server.listen();
  });
  after(() => server.close());

  const pv = (name: string) => pvs.get(name) as ServerPv;

  describe("caget, CTRL and TIME forms, cainfo", () => {
    let readings: Record<string, Reading | null>;
    before(async () => {
      const names = [...pvs.keys()].filter((n) => n !== "PY:counter");
      readings = (await runPython(ports.udpPort, "pyepics_read.py", [...names, "PY:missing"])).result as Record<
        string,
        Reading | null
      >;
    });
    const reading = (name: string) => {
      const r = readings[name];
      assert.ok(r, `${name} was read`);
      return r;
    };

    it("reads a DOUBLE with units, precision, all limits and its alarm", () => {
      const ai = reading("PY:ai");
      assert.equal(ai.value, 95.5);
      assert.equal(ai.type, "time_double");
      assert.equal(ai.as_string, "95.500");
      assert.deepEqual(
        { ...ai.ctrl, value: undefined },
        {
          value: undefined,
          units: "mm",
          precision: 3,
          upper_disp_limit: 100,
          lower_disp_limit: -20,
          upper_alarm_limit: 90,
          upper_warning_limit: 80,
          lower_warning_limit: -10,
          lower_alarm_limit: -15,
          upper_ctrl_limit: 50,
          lower_ctrl_limit: -5,
          status: 3,
          severity: 2,
        },
      );
      assert.equal(ai.time.status, 3);
      assert.equal(ai.time.severity, 2);
      assert.ok(Math.abs(ai.time.timestamp - unixSeconds(pv("PY:ai"))) < 1e-3, "the server's stamp");
      assert.ok(Math.abs(ai.time.timestamp - ai.now) < 60, `a stamp close to now: ${ai.time.timestamp} vs ${ai.now}`);
    });

    it("reads FLOAT, LONG, SHORT and STRING with their native types", () => {
      const float = reading("PY:float");
      assert.equal(float.value, 2.25);
      assert.equal(float.type, "time_float");
      assert.equal(float.ctrl.units, "V");
      assert.equal(float.ctrl.precision, 2);
      const long = reading("PY:long");
      assert.equal(long.value, 123_456);
      assert.equal(long.type, "time_long");
      assert.equal(long.ctrl.units, "counts");
      const short = reading("PY:short");
      assert.equal(short.value, -123);
      assert.equal(short.type, "time_short");
      const str = reading("PY:str");
      assert.equal(str.value, "hello pyepics");
      assert.equal(str.type, "time_string");
      for (const r of [float, long, short, str]) {
        assert.equal(r.time.status, 0);
        assert.equal(r.time.severity, 0);
        assert.ok(Math.abs(r.time.timestamp - r.now) < 60, "a stamp close to now");
      }
    });

    it("reads an ENUM as its index, its label (as_string), and its labels (CTRL)", () => {
      const mode = reading("PY:enum");
      assert.equal(mode.value, 1);
      assert.equal(mode.as_string, "On");
      assert.equal(mode.type, "time_enum");
      assert.deepEqual(mode.ctrl.enum_strs, ["Off", "On", "Fault"]);
    });

    it("reads a CHAR array as bytes and as a long string", () => {
      const chars = reading("PY:chars");
      assert.equal(chars.type, "time_char");
      assert.equal(chars.nelm, 256);
      assert.equal(chars.as_string, LONG_STRING);
      const bytes = chars.value as number[];
      assert.deepEqual(bytes.slice(0, 4), [...new TextEncoder().encode(LONG_STRING.slice(0, 4))]);
    });

    it("reads a 100,000-element DOUBLE waveform (extended header)", () => {
      const wave = reading("PY:wave");
      assert.equal(wave.nelm, WAVE_LENGTH);
      assert.deepEqual(wave.value, {
        length: WAVE_LENGTH,
        first: 0,
        last: WAVE_LENGTH - 1,
        sum: ((WAVE_LENGTH - 1) * WAVE_LENGTH) / 2,
      });
    });

    it("sees access rights: read-only and read/write", () => {
      assert.equal(reading("PY:ro").access, "read-only");
      assert.equal(reading("PY:ro").value, 7);
      assert.equal(reading("PY:ai").access, "read/write");
    });

    it("cainfo names the server's host:port and the native type", () => {
      const info = reading("PY:ai").cainfo;
      assert.match(info, new RegExp(`host\\s+=\\s+(localhost|127\\.0\\.0\\.1):${ports.tcpPort}\\b`));
      assert.match(info, /type\s+=\s+time_double/);
      assert.match(info, /units\s+=\s+mm/);
      assert.match(reading("PY:enum").cainfo, /2 = Fault/);
    });

    it("returns None for a name no server has", () => {
      assert.ok("PY:missing" in readings);
      assert.equal(readings["PY:missing"], null);
    });
  });

  describe("caput", () => {
    let results: Map<string, WriteResult>;
    const NEW_STRING = "Written by pyepics into the CHAR array, longer than forty characters";
    before(async () => {
      const specs = [
        { name: "PY:float", value: 3.5 },
        { name: "PY:long", value: 42 },
        { name: "PY:short", value: -7 },
        { name: "PY:str", value: "written" },
        { name: "PY:enum", value: "Fault" },
        { name: "PY:chars", value: NEW_STRING },
        { name: "PY:wave", arange: WAVE_LENGTH, scale: 2 },
        { name: "PY:ro", value: 3 },
        { name: "PY:slow", value: 4.5 },
      ];
      const run = await runPython(ports.udpPort, "pyepics_write.py", [JSON.stringify(specs)]);
      results = new Map((run.result as WriteResult[]).map((r) => [r.name, r]));
    });
    const result = (name: string) => {
      const r = results.get(name);
      assert.ok(r, `${name} was written`);
      return r;
    };
    const first = (value: DbrArray) => value[0];

    const completed = (name: string) => {
      const r = result(name);
      assert.equal(r.ok, true, `${name}: ${r.error}`);
      assert.equal(r.returned, 1, `${name}: caput(wait=True) reports completion`);
    };

    it("writes FLOAT, LONG, SHORT and ENUM (by label) with completion", () => {
      for (const name of ["PY:float", "PY:long", "PY:short", "PY:enum"]) completed(name);
      assert.equal(first(pv("PY:float").data.value), 3.5);
      assert.equal(first(pv("PY:long").data.value), 42);
      assert.equal(first(pv("PY:short").data.value), -7);
      assert.equal(first(pv("PY:enum").data.value), 2, "the label was written as its index");
      assert.equal(result("PY:enum").readback, 2);
    });

    // libca sends a single DBR_STRING as strlen + 1 bytes padded to 8 (comQueSend.cpp), not 40.
    it("writes a STRING as libca sends it (8 bytes for 'written', not MAX_STRING_SIZE)", () => {
      completed("PY:str");
      assert.deepEqual(pv("PY:str").data.value, ["written"]);
      assert.equal(result("PY:str").readback, "written");
    });

    it("writes a long string into a CHAR array", () => {
      completed("PY:chars");
      const chars = pv("PY:chars").data.value as Uint8Array;
      assert.equal(new TextDecoder().decode(chars.subarray(0, chars.indexOf(0))), NEW_STRING);
    });

    it("writes a 100,000-element DOUBLE waveform (extended header from libca)", () => {
      completed("PY:wave");
      const wave = pv("PY:wave").data.value as Float64Array;
      assert.equal(wave.length, WAVE_LENGTH);
      assert.equal(wave[WAVE_LENGTH - 1], (WAVE_LENGTH - 1) * 2);
      assert.deepEqual(result("PY:wave").readback, {
        length: WAVE_LENGTH,
        first: 0,
        last: (WAVE_LENGTH - 1) * 2,
        sum: (WAVE_LENGTH - 1) * WAVE_LENGTH,
      });
    });

    it("caput(wait=True) lasts until the server completes the write", () => {
      const slow = result("PY:slow");
      assert.equal(slow.ok, true, slow.error ?? "");
      assert.equal(slow.returned, 1);
      assert.ok(slow.seconds * 1000 >= WRITE_DELAY_MS - 10, `waited ${slow.seconds} s`);
      assert.equal(slow.readback, 4.5);
    });

    it("a write to a read-only PV is refused (pyepics raises) and changes nothing", () => {
      const ro = result("PY:ro");
      assert.equal(ro.ok, false);
      assert.match(ro.error ?? "", /Write access denied/);
      assert.equal(ro.readback, 7);
      assert.equal(first(pv("PY:ro").data.value), 7);
    });
  });

  it("an epics.PV monitor sees every posted update, in order", async () => {
    const counter = pv("PY:counter");
    const N = 20;
    const run = await runPython(ports.udpPort, "pyepics_monitor.py", ["PY:counter", String(N)], (line) => {
      if (line !== "READY") return;
      for (let i = 1; i <= N; i++) counter.post(Int32Array.of(i));
    });
    const { values, timed_out } = run.result as { values: number[]; timed_out: boolean };
    assert.equal(timed_out, false, `values: ${values}`);
    assert.deepEqual(
      values,
      Array.from({ length: N + 1 }, (_, i) => i),
    );
  });
});
