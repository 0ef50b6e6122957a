/** The /ws PV API end to end over real sockets. */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startTestGateway } from "../../helpers/gateway.js";
import { ISO_MICROS, type Message, TestClient } from "../../helpers/ws-client.js";

type Gw = Awaited<ReturnType<typeof startTestGateway>>;

async function client(gw: Gw): Promise<TestClient> {
  return TestClient.connect(`${gw.wsUrl}/ws`);
}

async function put(gw: Gw, topic: string, value: unknown): Promise<void> {
  const c = await TestClient.connect(`${gw.wsUrl}/api/v1/stream/multi`);
  c.send({ type: "put", id: 1, topic, value });
  const r = await c.next((m) => m.type === "put_result");
  assert.equal(r.status, "done", JSON.stringify(r));
  await c.close();
}

describe("/ws PV API", () => {
  let gw: Gw;
  before(async () => {
    gw = await startTestGateway({ pvApi: { batchWindowMs: 100, heartbeatIntervalMs: 200 } });
  });
  after(() => gw.close());

  it("answers subscribe with subscribed and initial values, then sends updates", async () => {
    const c = await client(gw);
    c.send({ action: "subscribe", pv_names: ["loc://a1(1.5)", "sim://counter(0.05)"] });
    const sub = await c.next((m) => m.type === "subscribed");
    assert.deepEqual(Object.keys(sub), ["type", "pv_names", "initial_values"]);
    assert.deepEqual(sub.pv_names, ["loc://a1(1.5)", "sim://counter(0.05)"]);
    const a1 = sub.initial_values["loc://a1(1.5)"];
    assert.deepEqual(Object.keys(a1), ["value", "timestamp", "status", "severity"]);
    assert.equal(a1.value, 1.5);
    assert.match(a1.timestamp, ISO_MICROS);
    const upd = await c.next((m) => m.type === "update" || m.type === "batch_update");
    const entry = upd.type === "update" ? upd : upd.updates[0];
    assert.equal(entry.pv_name, "sim://counter(0.05)");
    assert.equal(typeof entry.value, "number");
    assert.match(entry.timestamp, ISO_MICROS);
    assert.equal(entry.status, 0);
    assert.equal(entry.severity, 0);
    await c.close();
  });

  it("batches updates inside the window: each PV at most once, with its latest value", async () => {
    const c = await client(gw);
    c.send({ action: "subscribe", pv_names: ["loc://b1(0)", "loc://b2(0)"] });
    await c.next((m) => m.type === "subscribed");
    const writer = await TestClient.connect(`${gw.wsUrl}/api/v1/stream/multi`);
    for (let i = 1; i <= 5; i++) {
      writer.send({ type: "put", id: `x${i}`, topic: "loc://b1", value: i });
      writer.send({ type: "put", id: `y${i}`, topic: "loc://b2", value: i * 10 });
    }
    const batch = await c.next((m) => m.type === "batch_update");
    assert.deepEqual(Object.keys(batch), ["type", "updates"]);
    const names = batch.updates.map((u: Message) => u.pv_name);
    assert.deepEqual([...names].sort(), ["loc://b1(0)", "loc://b2(0)"]);
    const byName = Object.fromEntries(batch.updates.map((u: Message) => [u.pv_name, u.value]));
    assert.deepEqual(byName, { "loc://b1(0)": 5, "loc://b2(0)": 50 });
    for (const u of batch.updates)
      assert.deepEqual(Object.keys(u), ["pv_name", "value", "timestamp", "status", "severity"]);
    const later = await c.collect(250, (m) => m.type === "update" || m.type === "batch_update");
    assert.deepEqual(later, [], "nothing changed after the batch, so nothing is sent (diff-based)");
    await writer.close();
    await c.close();
  });

  it("sends only changes: a PV whose value and alarm stay the same sends nothing after its initial value", async () => {
    const c = await client(gw);
    c.send({ action: "subscribe", pv_names: ["sim://ramp(0,1,5,0.02)"] }); // step 5 > range: always 0
    await c.next((m) => m.type === "subscribed");
    assert.deepEqual(await c.collect(300, (m) => m.type === "update" || m.type === "batch_update"), []);
    await c.close();
  });

  it("sends a lone change as update, not batch_update", async () => {
    const c = await client(gw);
    c.send({ action: "subscribe", pv_names: ["loc://c1(0)"] });
    await c.next((m) => m.type === "subscribed");
    await put(gw, "loc://c1", 3);
    const u = await c.next((m) => m.type === "update" || m.type === "batch_update");
    assert.equal(u.type, "update");
    assert.deepEqual(Object.keys(u), ["type", "pv_name", "value", "timestamp", "status", "severity"]);
    assert.equal(u.value, 3);
    await c.close();
  });

  it("reports unknown PVs as errors and still subscribes the others", async () => {
    const c = await client(gw);
    c.send({ action: "subscribe", pv_names: ["sim://nosuch", "loc://d1(2)", "sim://sine(1)"] });
    const e1 = await c.next((m) => m.type === "error");
    assert.deepEqual(e1, { type: "error", message: "PV not found: sim://nosuch" });
    const e2 = await c.next((m) => m.type === "error");
    assert.match(e2.message, /^PV not found: sim:\/\/sine\(1\) \(/);
    const sub = await c.next((m) => m.type === "subscribed");
    assert.deepEqual(sub.pv_names, ["loc://d1(2)"]);
    await c.close();
  });

  it("lists and unsubscribes, with an error for names never subscribed", async () => {
    const c = await client(gw);
    c.send({ action: "subscribe", pv_names: ["loc://e1", "loc://e2"] });
    await c.next((m) => m.type === "subscribed");
    c.send({ action: "list_subscriptions" });
    assert.deepEqual(await c.next((m) => m.type === "subscriptions"), {
      type: "subscriptions",
      pv_names: ["loc://e1", "loc://e2"],
    });
    c.send({ action: "unsubscribe", pv_names: ["loc://e1", "never"] });
    assert.deepEqual(await c.next((m) => m.type === "error"), { type: "error", message: "Not subscribed: never" });
    assert.deepEqual(await c.next((m) => m.type === "unsubscribed"), { type: "unsubscribed", pv_names: ["loc://e1"] });
    await put(gw, "loc://e1", 1);
    await put(gw, "loc://e2", 1);
    const u = await c.next((m) => m.type === "update");
    assert.equal(u.pv_name, "loc://e2", "no updates for an unsubscribed PV");
    c.send({ action: "list_subscriptions" });
    assert.deepEqual((await c.next((m) => m.type === "subscriptions")).pv_names, ["loc://e2"]);
    await c.close();
  });

  it("answers bad input with an error message and keeps the socket open", async () => {
    const c = await client(gw);
    const cases: Array<[string | Buffer, RegExp]> = [
      ["{not json", /^Invalid JSON: /],
      ["[1,2]", /^Invalid message: expected a JSON object/],
      ['"subscribe"', /^Invalid message/],
      ['{"action":"bogus"}', /^Unknown action \("bogus"\): actions are subscribe, unsubscribe, list_subscriptions$/],
      ['{"pv_names":["a"]}', /^Unknown action \(missing\)/],
      ['{"action":42}', /^Unknown action \(not a string\)/],
      ['{"action":"subscribe"}', /"pv_names" must be a non-empty array/],
      ['{"action":"subscribe","pv_names":[]}', /"pv_names" must be a non-empty array/],
      ['{"action":"subscribe","pv_names":"loc://x"}', /"pv_names" must be a non-empty array/],
      ['{"action":"subscribe","pv_names":[1,2]}', /"pv_names" must be a non-empty array/],
      ['{"action":"unsubscribe","pv_names":[null]}', /"pv_names" must be a non-empty array/],
      [Buffer.from([1, 2, 3]), /^Binary frames are not supported/],
    ];
    for (const [input, expected] of cases) {
      if (Buffer.isBuffer(input)) c.ws.send(input, { binary: true });
      else c.send(input);
      const e = await c.next((m) => m.type === "error");
      assert.match(e.message, expected, String(input));
    }
    c.send({ action: "list_subscriptions" });
    assert.equal((await c.next((m) => m.type === "subscriptions")).type, "subscriptions", "still usable");
    await c.close();
  });

  it("sends periodic heartbeats with ISO timestamps", async () => {
    const c = await client(gw);
    const hb = await c.next((m) => m.type === "heartbeat", 1000);
    assert.deepEqual(Object.keys(hb), ["type", "timestamp"]);
    assert.match(hb.timestamp, ISO_MICROS);
    await c.close();
  });

  it("handles thousands of PVs in one subscribe", async () => {
    const c = await client(gw);
    const names = Array.from({ length: 3000 }, (_, i) => `loc://k${i}(${i})`); // ~40 KB, under the 64 KiB frame limit
    c.send({ action: "subscribe", pv_names: names });
    const sub = await c.next((m) => m.type === "subscribed", 10_000);
    assert.equal(sub.pv_names.length, 3000);
    assert.equal(sub.initial_values["loc://k2999(2999)"].value, 2999);
    await c.close();
  });

  it("reports a disconnected PV with INVALID severity and COMM status", async () => {
    const c = await client(gw);
    c.send({ action: "subscribe", pv_names: ["sim://intermittent(0.05)"] });
    await c.next((m) => m.type === "subscribed");
    const down = await c.next((m) => m.type === "update" && m.severity === 3, 2000);
    assert.equal(down.status, 9);
    await c.close();
  });

  it("releases every subscription when the socket closes", async () => {
    const c = await client(gw);
    c.send({ action: "subscribe", pv_names: ["sim://ramp(0,1,0.5)"] });
    await c.next((m) => m.type === "subscribed");
    assert.equal(gw.hub.isOpen("sim://ramp(0,1,0.5)"), true);
    await c.close();
    await new Promise((r) => setTimeout(r, 2200)); // default linger 2 s
    assert.equal(gw.hub.isOpen("sim://ramp(0,1,0.5)"), false);
  });
});

describe("/ws PV API limits", () => {
  it("refuses PVs past the per-connection subscription limit, and accepts exactly the limit", async () => {
    const gw = await startTestGateway({ limits: { maxSubscriptionsPerConnection: 3 } });
    try {
      const c = await client(gw);
      c.send({ action: "subscribe", pv_names: ["loc://l1", "loc://l2", "loc://l3", "loc://l4"] });
      const e = await c.next((m) => m.type === "error");
      assert.match(
        e.message,
        /^Subscription limit reached \(3 PVs per connection\): not subscribed to 1 PV\(s\): loc:\/\/l4$/,
      );
      const sub = await c.next((m) => m.type === "subscribed");
      assert.deepEqual(sub.pv_names, ["loc://l1", "loc://l2", "loc://l3"]);
      await c.close();
    } finally {
      await gw.close();
    }
  });

  it("with batchWindowMs 0 sends each change without waiting", async () => {
    const gw = await startTestGateway({ pvApi: { batchWindowMs: 0 } });
    try {
      const c = await client(gw);
      c.send({ action: "subscribe", pv_names: ["loc://z(0)"] });
      await c.next((m) => m.type === "subscribed");
      const t0 = performance.now();
      await put(gw, "loc://z", 1);
      await c.next((m) => m.type === "update");
      assert.ok(performance.now() - t0 < 90, "well inside what a 100 ms window would take");
      await c.close();
    } finally {
      await gw.close();
    }
  });
});
