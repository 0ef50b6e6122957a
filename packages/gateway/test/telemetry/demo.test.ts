/** The demo session: live on the stream and over REST with no configuration, replaced at each start. */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { startTestGateway } from "../helpers/gateway.js";
import { RtaRest, RtaStreamClient } from "../helpers/rta-client.js";

describe("demo telemetry session", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "bg-demo-"));
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it("streams periodic, timestamped and row data of its config's channels", async () => {
    const gw = await startTestGateway({ dataDir, telemetry: { demo: true } });
    try {
      const rest = new RtaRest(gw.url);
      const { sessions } = await rest.json("GET", "/sessions", undefined, 200);
      assert.equal(sessions.length, 1);
      const demo = sessions[0];
      assert.equal(demo.type, "demo");
      assert.equal(demo.state, "open");
      const config = JSON.parse(
        await (await rest.request("GET", `/configs/${demo.configBindings[0].identifier}`)).text(),
      );
      const names = config.Vehicle.channels.map((c: { name: string }) => c.name);
      assert.ok(names.includes("vCar") && names.includes("nGear") && names.includes("tTyreFL"), names.join());

      const stream = await RtaStreamClient.connect(gw.url, demo.identity);
      const first = await stream.next();
      assert.equal(first.data.case, "sessionJson");
      stream.subscribe({ allDataChannels: true, allEvents: true });
      const seen = new Set<string>();
      const periodic = new Set<number>();
      while (seen.size < 3 || periodic.size < 6) {
        const d = await stream.next((x) => x.data.case !== "timeRange" && x.data.case !== "sessionJson");
        seen.add(d.data.case as string);
        if (d.data.case === "periodicData") periodic.add(d.data.value.channelId);
      }
      assert.deepEqual([...periodic].sort(), [0, 1, 2, 3, 4, 5]);
      assert.ok(seen.has("rowData") && seen.has("timestampedData"));
      const range = await stream.next((x) => x.data.case === "timeRange");
      assert.ok(range.data.case === "timeRange" && range.data.value.endTime > range.data.value.startTime);
      stream.close();
    } finally {
      await gw.close();
    }
  });

  it("closes the demo session on stop and replaces it at the next start, and only it", async () => {
    const gw = await startTestGateway({ dataDir, telemetry: { demo: true } });
    try {
      const rest = new RtaRest(gw.url);
      const { sessions } = await rest.json("GET", "/sessions", undefined, 200);
      assert.equal(sessions.length, 1, "the previous demo is gone");
      assert.equal(sessions[0].state, "open");
      assert.equal(sessions[0].identity, gw.telemetry.demo);
      // A user's session that calls itself a demo is not the demo's to delete.
      await rest.json("POST", "/sessions", { identity: "demo-mine", identifier: "mine", type: "demo" }, 201);
    } finally {
      await gw.close();
    }
    const quiet = await startTestGateway({ dataDir, telemetry: { demo: false } });
    try {
      const { sessions } = await new RtaRest(quiet.url).json("GET", "/sessions", undefined, 200);
      const demo = sessions.find((s: { identity: string }) => s.identity !== "demo-mine");
      assert.equal(demo.state, "closed", "stopped with the gateway");
      assert.ok(sessions.some((s: { identity: string }) => s.identity === "demo-mine"));
    } finally {
      await quiet.close();
    }
    const again = await startTestGateway({ dataDir, telemetry: { demo: true } });
    try {
      const { sessions } = await new RtaRest(again.url).json("GET", "/sessions", undefined, 200);
      assert.deepEqual(
        sessions.map((s: { identity: string }) => s.identity).sort(),
        [again.telemetry.demo, "demo-mine"].sort(),
      );
    } finally {
      await again.close();
    }
  });
});
