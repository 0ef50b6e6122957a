/**
 * Recording hub topics into a session: a session created with `record` gets a config generated
 * from the topics' metadata, and every value the topics take becomes a sample, readable over REST
 * and followed on the RTA stream; closing the session stores what was pending and stops recording.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { decodeSamples, decodeTimestamps, fromBinary, TimestampedDataListSchema } from "@beamgate/rta";
import { startTestGateway } from "../helpers/gateway.js";
import { RtaRest, RtaStreamClient } from "../helpers/rta-client.js";

type Gw = Awaited<ReturnType<typeof startTestGateway>>;

describe("recording hub topics into a telemetry session", () => {
  let gw: Gw;
  let rest: RtaRest;
  before(async () => {
    gw = await startTestGateway({ hub: { lingerMs: 0 } });
    rest = new RtaRest(gw.url);
  });
  after(() => gw.close());

  it("generates the config from metadata, records every value, and stops when the session closes", async () => {
    await gw.hub.put("loc://rec:a(0)", 0, 1000);
    await rest.json(
      "POST",
      "/sessions",
      { identity: "rec1", identifier: "recording", record: ["loc://rec:a", "sim://sine(0,10,0.05)"] },
      201,
    );
    const session = await waitFor(async () => {
      const s = await rest.json("GET", "/sessions/rec1", undefined, 200);
      return s.configBindings.length === 1 ? s : undefined;
    });
    assert.deepEqual(session.configBindings, [{ identifier: "rec1-recording", channelOffset: 0 }]);
    const config = JSON.parse(await (await rest.request("GET", "/configs/rec1-recording")).text());
    assert.deepEqual(
      config.beamgate.channels.map((c: { name: string; source: string }) => [c.name, c.source]),
      [
        ["loc://rec:a", "timestamped"],
        ["sim://sine(0,10,0.05)", "timestamped"],
      ],
    );
    assert.deepEqual(
      config.beamgate.parameters[1].min === 0 && config.beamgate.parameters[1].max === 10,
      true,
      "display limits from the topic's metadata",
    );

    const stream = await RtaStreamClient.connect(gw.url, "rec1");
    await stream.next((d) => d.data.case === "sessionJson");
    stream.subscribe({ dataChannelIds: [0] });
    for (const v of [1, 2, 3]) await gw.hub.put("loc://rec:a", v, 1000);
    const live: number[] = [];
    while (live.length < 3 || live.at(-1) !== 3) {
      const d = await stream.next((x) => x.data.case === "timestampedData");
      if (d.data.case === "timestampedData") live.push(...decodeSamples("f64", d.data.value.buffer));
    }
    assert.deepEqual(live.slice(-3), [1, 2, 3]);

    await gw.hub.put("loc://rec:a", 4, 1000);
    // Closing stores the value put a moment ago (not yet appended) before the session ends.
    await rest.json("PATCH", "/sessions/rec1", { state: "closed" }, 200);
    const read = await rest.read("/sessions/rec1/data/timestamped/0");
    const values: number[] = [];
    const times: bigint[] = [];
    for (const chunk of read.chunks) {
      for (const item of fromBinary(TimestampedDataListSchema, chunk.payload).timestampedData) {
        values.push(...decodeSamples("f64", item.buffer));
        times.push(...decodeTimestamps(item.startTimestamp, item.timestampDeltasScale, item.timestampDeltas));
      }
    }
    assert.deepEqual(values, [0, 1, 2, 3, 4]);
    assert.ok(
      times.every((t, i) => i === 0 || t > (times[i - 1] as bigint)),
      "times strictly increase",
    );
    assert.equal((await stream.closed).code, 1000);
    // Recording stopped: the recorder let go of its topics.
    assert.equal(gw.hub.isOpen("sim://sine(0,10,0.05)"), false);
  });

  it("refuses to record a topic the principal may not read, and a malformed topic", async () => {
    const bad = await rest.request("POST", "/sessions", { identity: "rec2", identifier: "x", record: ["nope://x"] });
    assert.equal(bad.status, 400);
    assert.match(((await bad.json()) as { detail: string }).detail, /nope/);
    assert.equal((await rest.request("GET", "/sessions/rec2")).status, 404, "nothing created");
  });
});

async function waitFor<T>(probe: () => Promise<T | undefined>, timeoutMs = 8000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 50));
  }
}
