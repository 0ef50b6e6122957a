/** docs/sim-ioc.md lists every PV the sim IOC serves, and no other. */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { startSimIoc } from "../../src/sim-ioc/sim-ioc.js";

const MOTORS = ["m1", "m2", "m3", "m4"];

/** The names in the first column of the doc's PV tables, with `m<N>` standing for each motor. */
function documentedNames(): Set<string> {
  const doc = readFileSync(new URL("../../../../../docs/sim-ioc.md", import.meta.url), "utf8");
  const names = new Set<string>();
  let inPvTable = false;
  for (const line of doc.split("\n")) {
    if (!line.startsWith("|")) {
      inPvTable = false;
      continue;
    }
    const first = line.split("|")[1]?.trim() ?? "";
    if (first === "PV") inPvTable = true;
    if (!inPvTable) continue;
    for (const [, name] of first.matchAll(/`([^`]+)`/g)) {
      for (const motor of name?.includes("m<N>") ? MOTORS : [""]) names.add(String(name).replace("m<N>", motor));
    }
  }
  return names;
}

describe("docs/sim-ioc.md", () => {
  it("lists exactly the PVs served", async () => {
    const ioc = await startSimIoc({ host: "127.0.0.1", port: 0 });
    try {
      const served = new Set(ioc.pvNames);
      const documented = documentedNames();
      assert.deepEqual(
        [...served].filter((n) => !documented.has(n)),
        [],
        "served but not documented",
      );
      assert.deepEqual(
        [...documented].filter((n) => !served.has(n)),
        [],
        "documented but not served",
      );
    } finally {
      await ioc.close();
    }
  });
});
