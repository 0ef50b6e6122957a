import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Gap, TopicEvent } from "../../src/core/events.js";
import { Hub, type HubOptions } from "../../src/core/hub.js";
import type { Subscriber } from "../../src/core/subscription.js";
import { BeamgateError } from "../../src/errors.js";
import { TestSource } from "../helpers/test-source.js";

const OPTIONS: HubOptions = {
  defaultScheme: "test",
  lingerMs: 0,
  maxTopics: 100,
  logWindowMaxRecords: 5,
  logWindowMaxBytes: 1_000_000,
};

function setup(options: Partial<HubOptions> = {}) {
  const hub = new Hub({ ...OPTIONS, ...options });
  const source = new TestSource();
  hub.addSource(source);
  return { hub, source };
}

class Recorder implements Subscriber {
  events: TopicEvent[] = [];
  gaps: Gap[] = [];
  ended: BeamgateError[] = [];
  onEvent(e: TopicEvent) {
    this.events.push(e);
  }
  onGap(g: Gap) {
    this.gaps.push(g);
  }
  onEnd(e: BeamgateError) {
    this.ended.push(e);
  }
  get kinds() {
    return this.events.map((e) => e.kind);
  }
  get values() {
    return this.events.flatMap((e) => (e.kind === "data" ? [e.sample.value] : []));
  }
  get sequences() {
    return this.events.flatMap((e) => (e.kind === "data" ? [e.sequence] : []));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("Hub: reference counting", () => {
  it("opens one upstream per topic however many subscribe, and closes it after the last leaves", () => {
    const { hub, source } = setup();
    const subs = [1, 2, 3].map(() => hub.subscribe("test://a", new Recorder()));
    assert.equal(source.opened, 1);
    subs[0]?.close();
    subs[1]?.close();
    assert.equal(source.closed, 0);
    subs[2]?.close();
    assert.equal(source.closed, 1);
    assert.equal(hub.topicCount, 0);
  });

  it("treats a bare name as the default scheme and shares the topic with its full spelling", () => {
    const { hub, source } = setup();
    const a = hub.subscribe("a", new Recorder());
    const b = hub.subscribe("test://a", new Recorder());
    assert.equal(source.opened, 1);
    assert.equal(a.uri, "test://a");
    assert.equal(b.uri, "test://a");
  });

  it("closing a subscription twice releases it once", () => {
    const { hub, source } = setup();
    const a = hub.subscribe("test://a", new Recorder());
    const b = hub.subscribe("test://a", new Recorder());
    a.close();
    a.close();
    assert.equal(source.closed, 0);
    b.close();
    assert.equal(source.closed, 1);
  });

  it("lingers after the last subscriber and reuses the topic (same epoch) if one returns in time", async () => {
    const { hub, source } = setup({ lingerMs: 50 });
    const first = hub.subscribe("test://a", new Recorder());
    const epoch = first.epoch;
    first.close();
    await sleep(10);
    const again = hub.subscribe("test://a", new Recorder());
    assert.equal(source.opened, 1);
    assert.equal(again.epoch, epoch);
    again.close();
    await sleep(80);
    assert.equal(source.closed, 1);
    const reopened = hub.subscribe("test://a", new Recorder());
    assert.equal(source.opened, 2);
    assert.notEqual(reopened.epoch, epoch, "a reopened topic starts a new history");
  });

  it("refuses topics past maxTopics with BG_ERR_TOPIC_LIMIT, and accepts exactly maxTopics", () => {
    const { hub } = setup({ maxTopics: 3 });
    for (const n of [1, 2, 3]) hub.subscribe(`test://t${n}`, new Recorder());
    assert.throws(() => hub.subscribe("test://t4", new Recorder()), { code: "BG_ERR_TOPIC_LIMIT" });
    hub.subscribe("test://t1", new Recorder()); // existing topics are still fine
  });

  it("reports unknown schemes and names as not found, malformed names as invalid", () => {
    const { hub } = setup();
    assert.throws(() => hub.subscribe("nope://x", new Recorder()), { code: "BG_ERR_TOPIC_NOT_FOUND" });
    assert.throws(() => hub.subscribe("test://missing1", new Recorder()), { code: "BG_ERR_TOPIC_NOT_FOUND" });
    assert.throws(() => hub.subscribe("", new Recorder()), { code: "BG_ERR_TOPIC_INVALID" });
    assert.throws(() => hub.subscribe("test://a\nb", new Recorder()), { code: "BG_ERR_TOPIC_INVALID" });
    assert.equal(hub.topicCount, 0);
  });
});

describe("Hub: state topics", () => {
  it("gives a new subscriber status, metadata and the last value at once, in that order", () => {
    const { hub, source } = setup();
    hub.subscribe("test://a", new Recorder());
    source.emit("a", 1);
    source.emit("a", 2);
    const late = new Recorder();
    hub.subscribe("test://a", late);
    assert.deepEqual(late.kinds, ["status", "meta", "data"]);
    assert.deepEqual(late.values, [2]);
    assert.deepEqual(late.sequences, [2]);
  });

  it("numbers values from 1 per topic and delivers every value to every subscriber, sharing the event", () => {
    const { hub, source } = setup();
    const a = new Recorder();
    const b = new Recorder();
    hub.subscribe("test://a", a);
    hub.subscribe("test://a", b);
    source.emit("a", 10);
    source.emit("a", 11);
    assert.deepEqual(a.sequences, [1, 2]);
    assert.deepEqual(b.values, [10, 11]);
    assert.equal(a.events.at(-1), b.events.at(-1), "one event object shared by all subscribers");
  });

  it("delivers metadata and connection changes in order with values", () => {
    const { hub, source } = setup();
    const r = new Recorder();
    hub.subscribe("test://a", r);
    const sink = source.sinks.get("a");
    source.emit("a", 1);
    sink?.status({ connected: false, readAccess: false, writeAccess: false });
    sink?.meta({ kind: "state", dtype: "float64", units: "um" });
    sink?.status({ connected: true, readAccess: true, writeAccess: true });
    source.emit("a", 2);
    assert.deepEqual(r.kinds, ["status", "meta", "data", "status", "meta", "status", "data"]);
  });

  it("does not repeat an unchanged status", () => {
    const { hub, source } = setup();
    const r = new Recorder();
    hub.subscribe("test://a", r);
    source.sinks.get("a")?.status({ connected: true, readAccess: true, writeAccess: true });
    assert.deepEqual(r.kinds, ["status", "meta"]);
  });

  it("encodes an event at most once per format, however many subscribers read it", () => {
    const { hub, source } = setup();
    const seen: TopicEvent[] = [];
    let encodes = 0;
    for (let i = 0; i < 10; i++) {
      hub.subscribe("test://a", {
        onEvent: (e) => {
          if (e.kind !== "data") return;
          seen.push(e);
          e.encoded("fmt", () => {
            encodes++;
            return "bytes";
          });
        },
        onEnd() {},
      });
    }
    source.emit("a", 1);
    assert.equal(seen.length, 10);
    assert.equal(encodes, 1);
  });

  it("ends every subscription with the error when the source fails", () => {
    const { hub, source } = setup();
    const a = new Recorder();
    const sub = hub.subscribe("test://a", a);
    source.sinks.get("a")?.fail(new BeamgateError("BG_ERR_TOPIC_FAILED", "IOC gone"));
    assert.deepEqual(
      a.ended.map((e) => e.code),
      ["BG_ERR_TOPIC_FAILED"],
    );
    assert.equal(sub.closed, true);
    assert.equal(hub.topicCount, 0);
    sub.close(); // harmless after the end
  });

  it("fails a topic whose source changes it from state to log", () => {
    const { hub, source } = setup();
    const r = new Recorder();
    hub.subscribe("test://a", r);
    source.sinks.get("a")?.meta({ kind: "log", dtype: "string" });
    assert.deepEqual(
      r.ended.map((e) => e.code),
      ["BG_ERR_TOPIC_FAILED"],
    );
  });

  it("throws the source's error when a topic fails while opening", () => {
    const { hub } = setup();
    assert.throws(() => hub.subscribe("test://failnow", new Recorder()), { code: "BG_ERR_TOPIC_NOT_FOUND" });
    assert.equal(hub.topicCount, 0);
  });
});

describe("Hub: log topics", () => {
  it("numbers records from 1 and gives a subscriber without start only live records", () => {
    const { hub, source } = setup();
    const first = new Recorder();
    hub.subscribe("test://log1", first);
    source.emit("log1", "a");
    source.emit("log1", "b");
    const live = new Recorder();
    hub.subscribe("test://log1", live);
    source.emit("log1", "c");
    assert.deepEqual(first.sequences, [1, 2, 3]);
    assert.deepEqual(live.kinds, ["status", "meta", "data"]);
    assert.deepEqual(live.values, ["c"]);
  });

  it("replays retained records from start, then live", () => {
    const { hub, source } = setup();
    hub.subscribe("test://log1", new Recorder());
    for (const v of ["a", "b", "c"]) source.emit("log1", v);
    const r = new Recorder();
    hub.subscribe("test://log1", r, { start: 2 });
    source.emit("log1", "d");
    assert.deepEqual(r.sequences, [2, 3, 4]);
    assert.deepEqual(r.gaps, []);
    const all = new Recorder();
    hub.subscribe("test://log1", all, { start: 0 });
    assert.deepEqual(all.sequences, [1, 2, 3, 4]);
  });

  it("tells the subscriber exactly which records are gone when start is older than the window", () => {
    const { hub, source } = setup({ logWindowMaxRecords: 5 });
    hub.subscribe("test://log1", new Recorder());
    for (let i = 1; i <= 8; i++) source.emit("log1", `r${i}`);
    const r = new Recorder();
    hub.subscribe("test://log1", r, { start: 2 });
    assert.deepEqual(r.gaps, [{ reason: "expired", from: 2, to: 3 }]);
    assert.deepEqual(r.sequences, [4, 5, 6, 7, 8]);
  });

  it("bounds the window by bytes too", () => {
    const { hub, source } = setup({ logWindowMaxRecords: 100, logWindowMaxBytes: 100 });
    hub.subscribe("test://log1", new Recorder());
    for (let i = 1; i <= 10; i++) source.emit("log1", "x".repeat(20)); // 40 bytes each
    const r = new Recorder();
    hub.subscribe("test://log1", r, { start: 1 });
    assert.deepEqual(r.sequences, [9, 10]);
    assert.deepEqual(r.gaps, [{ reason: "expired", from: 1, to: 8 }]);
  });

  it("reports an epoch change and replays the new history from its start", async () => {
    const { hub, source } = setup({ lingerMs: 0 });
    const old = hub.subscribe("test://log1", new Recorder());
    const oldEpoch = old.epoch;
    source.emit("log1", "a");
    old.close();
    const again = hub.subscribe("test://log1", new Recorder());
    source.emit("log1", "new1");
    source.emit("log1", "new2");
    const r = new Recorder();
    hub.subscribe("test://log1", r, { start: 2, epoch: oldEpoch });
    assert.notEqual(again.epoch, oldEpoch);
    assert.deepEqual(r.gaps, [{ reason: "epoch_changed", from: 2 }]);
    assert.deepEqual(r.values, ["new1", "new2"]);
  });

  it("replayFrom lets a paused subscription catch up from the window", () => {
    const { hub, source } = setup();
    const r = new Recorder();
    const sub = hub.subscribe("test://log1", r);
    for (const v of ["a", "b", "c"]) source.emit("log1", v);
    assert.deepEqual(
      sub.replayFrom(2).map((e) => e.sequence),
      [2, 3],
    );
  });
});

describe("Hub: puts", () => {
  it("routes a put to the topic's source and resolves when it completes", async () => {
    const { hub, source } = setup();
    await hub.put("test://a", 5, 1000);
    assert.deepEqual(source.puts, [{ path: "a", value: 5 }]);
    assert.equal(hub.topicCount, 0, "the temporary hold is released");
  });

  it("refuses a put to a read-only topic", async () => {
    const { hub } = setup();
    await assert.rejects(hub.put("test://ro1", 5, 1000), { code: "BG_ERR_PUT_READ_ONLY" });
  });

  it("times out a put that does not complete", async () => {
    const { hub, source } = setup();
    source.putMode = "hang";
    const started = Date.now();
    await assert.rejects(hub.put("test://a", 5, 50), { code: "BG_ERR_PUT_TIMEOUT" });
    assert.ok(Date.now() - started < 1000);
  });

  it("times out a put to a topic that never connects", async () => {
    const { hub } = setup();
    await assert.rejects(hub.put("test://offline1", 5, 50), { code: "BG_ERR_PUT_TIMEOUT" });
  });

  it("passes on the source's refusal", async () => {
    const { hub, source } = setup();
    source.putMode = "reject";
    await assert.rejects(hub.put("test://a", "x", 1000), { code: "BG_ERR_PUT_INVALID_VALUE" });
  });

  it("reports not found for a put to an unknown topic", async () => {
    const { hub } = setup();
    await assert.rejects(hub.put("test://missing2", 1, 1000), { code: "BG_ERR_TOPIC_NOT_FOUND" });
  });
});

describe("Hub: close", () => {
  it("ends every subscription with BG_ERR_CONN_SHUTDOWN and refuses new ones", () => {
    const { hub, source } = setup();
    const r = new Recorder();
    hub.subscribe("test://a", r);
    hub.close();
    assert.deepEqual(
      r.ended.map((e) => e.code),
      ["BG_ERR_CONN_SHUTDOWN"],
    );
    assert.equal(source.closed, 1);
    assert.throws(() => hub.subscribe("test://a", new Recorder()), { code: "BG_ERR_CONN_SHUTDOWN" });
  });
});
