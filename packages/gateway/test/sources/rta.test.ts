/** A telemetry session's channels as `rta://` log topics on the native protocol. */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startTestGateway } from "../helpers/gateway.js";
import { RtaRest } from "../helpers/rta-client.js";
import { TestClient } from "../helpers/ws-client.js";

type Gw = Awaited<ReturnType<typeof startTestGateway>>;
const T0 = 1_732_000_000_000_000_000n;

describe("rta:// topics", () => {
  let gw: Gw;
  let rest: RtaRest;
  before(async () => {
    gw = await startTestGateway();
    rest = new RtaRest(gw.url);
    await rest.session("nat");
  });
  after(() => gw.close());

  it("delivers each sample of a channel, named by id or by name, with units and limits", async () => {
    const c = await TestClient.connect(`${gw.wsUrl}/api/v1/stream/multi`);
    c.send({ type: "subscribe", id: "s", topic: "rta://nat/speed" });
    const meta = await c.next((m) => m.type === "meta");
    assert.equal(meta.topic, "rta://nat/0");
    assert.equal(meta.kind, "log");
    assert.equal(meta.units, "km/h");
    assert.deepEqual(meta.display, { low: 0, high: 350 });
    await rest.json(
      "POST",
      "/sessions/nat/data/periodic",
      { periodicData: [{ channelId: 0, startTimestamp: `${T0}`, interval: "1000000", values: [5, 6, 7] }] },
      200,
    );
    const data = [
      await c.next((m) => m.type === "data"),
      await c.next((m) => m.type === "data"),
      await c.next((m) => m.type === "data"),
    ];
    assert.deepEqual(
      data.map((d) => d.value),
      [5, 6, 7],
    );
    assert.deepEqual(
      data.map((d) => d.sequence),
      [data[0].sequence, data[0].sequence + 1, data[0].sequence + 2],
    );
    assert.equal(data[1].timestamp, "2024-11-19T07:06:40.001000Z");
    await c.close();
  });

  it("refuses unknown sessions and channels, and malformed names", async () => {
    const c = await TestClient.connect(`${gw.wsUrl}/api/v1/stream/multi`);
    for (const [id, topic] of [
      ["a", "rta://nope/0"],
      ["b", "rta://nat/99"],
      ["c", "rta://nat"],
    ]) {
      c.send({ type: "subscribe", id, topic });
      const error = await c.next((m) => m.type === "error" && m.id === id);
      assert.match(error.code, /BG_ERR_TOPIC_(NOT_FOUND|INVALID)/);
    }
    await c.close();
  });
});
