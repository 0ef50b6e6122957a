/** Device files: the five kinds, their signals as ophyd names them, and errors that say where. */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { DeviceFileError, DeviceRegistry } from "../../src/devices/registry.js";

const dir = mkdtempSync(join(tmpdir(), "beamgate-devices-"));
const write = (name: string, text: string) => {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
};

describe("device registry", () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("expands each kind into its signals and setpoint", async () => {
    const file = write(
      "a.yaml",
      [
        'mono: { kind: signal, read: "BL:mono.RBV", write: "BL:mono" }',
        'temp: { kind: signal-ro, read: "BL:temp" }',
        'm1: { kind: motor, prefix: "SIM:m1" }',
        "stage:",
        "  kind: device",
        "  components:",
        '    x: { kind: motor, prefix: "SIM:m2" }',
        '    gap: { kind: signal, read: "BL:gap" }',
        'cam: { kind: area-detector, cam: "13SIM1:cam1:", image: "13SIM1:image1:" }',
      ].join("\n"),
    );
    const registry = new DeviceRegistry(file);
    assert.deepEqual(await registry.reload(), {
      added: ["mono", "temp", "m1", "stage", "cam"],
      changed: [],
      removed: [],
    });
    const mono = registry.get("mono");
    assert.deepEqual(mono?.signals, [
      { name: "mono", pv: "BL:mono.RBV", frames: "all", writable: false },
      { name: "mono_setpoint", pv: "BL:mono", frames: "none", writable: true },
    ]);
    assert.equal(mono?.setpoint, 1);
    assert.equal(registry.get("temp")?.setpoint, undefined);
    const m1 = registry.get("m1");
    assert.deepEqual(m1?.signals.map((s) => [s.name, s.pv, s.frames]).slice(0, 3), [
      ["m1_user_readback", "SIM:m1.RBV", "all"],
      ["m1_user_setpoint", "SIM:m1.VAL", "meta"],
      ["m1_velocity", "SIM:m1.VELO", "meta"],
    ]);
    assert.equal(m1?.signals[m1.setpoint as number]?.pv, "SIM:m1.VAL");
    const stage = registry.get("stage");
    assert.ok(stage?.signals.some((s) => s.name === "stage_x_user_readback" && s.pv === "SIM:m2.RBV"));
    assert.ok(stage?.signals.some((s) => s.name === "stage_gap" && s.pv === "BL:gap"));
    assert.equal(stage?.setpoint, undefined);
    assert.ok(registry.get("cam")?.signals.some((s) => s.name === "cam_cam_size_x" && s.pv === "13SIM1:cam1:SizeX"));
  });

  it("reads a folder of YAML and JSON files in name order, and refuses a name defined twice", async () => {
    const sub = mkdtempSync(join(dir, "folder-"));
    writeFileSync(join(sub, "1.json"), JSON.stringify({ a: { kind: "signal", read: "X:a" } }));
    writeFileSync(join(sub, "2.yml"), "b: { kind: signal-ro, read: X:b }\n");
    writeFileSync(join(sub, "notes.txt"), "not a device file");
    const registry = new DeviceRegistry(sub);
    await registry.reload();
    assert.deepEqual(registry.names, ["a", "b"]);
    writeFileSync(join(sub, "3.yaml"), "a: { kind: signal, read: X:other }\n");
    await assert.rejects(registry.reload(), /3\.yaml: device "a" is already defined in .*1\.json/);
    assert.deepEqual(registry.names, ["a", "b"], "a failed reload leaves the registry as it was");
  });

  it("says which file and where a definition is wrong", async () => {
    const cases: Array<[string, RegExp]> = [
      ["m1: { kind: motor, prefix: [unclosed\n", /bad\.yaml:\d+:\d+: /],
      ["m1: { kind: robot }\n", /bad\.yaml: m1\.kind: /],
      ["m1: { kind: motor }\n", /bad\.yaml: m1\.prefix: /],
      ['m1: { kind: motor, prefix: "" }\n', /bad\.yaml: m1\.prefix: a PV name may not be empty/],
      ["m1: { kind: motor, prefix: X, extra: 1 }\n", /bad\.yaml: m1: /],
      ["s: { kind: device, components: { 9x: { kind: signal, read: X } } }\n", /bad\.yaml: s\.components\.9x: /],
      ["- just a list\n", /bad\.yaml: /],
    ];
    for (const [text, expected] of cases) {
      const registry = new DeviceRegistry(write("bad.yaml", text));
      await assert.rejects(registry.reload(), (e: Error) => e instanceof DeviceFileError && expected.test(e.message));
    }
    await assert.rejects(new DeviceRegistry(join(dir, "missing")).reload(), /Startup path does not exist/);
    await assert.rejects(new DeviceRegistry(undefined).reload(), /No startup directory specified/);
  });

  it("tells listeners which devices were added, redefined and removed", async () => {
    const file = write("c.yaml", "a: { kind: signal, read: X:a }\nb: { kind: signal, read: X:b }\n");
    const registry = new DeviceRegistry(file);
    await registry.reload();
    const heard: unknown[] = [];
    registry.onChange((change) => heard.push(change));
    write("c.yaml", "a: { kind: signal, read: X:a }\nb: { kind: signal, read: X:B }\nc: { kind: motor, prefix: M }\n");
    await registry.reload();
    write("c.yaml", "c: { kind: motor, prefix: M }\n");
    await registry.reload();
    assert.deepEqual(heard, [
      { added: ["c"], changed: ["b"], removed: [] },
      { added: [], changed: [], removed: ["a", "b"] },
    ]);
  });
});
