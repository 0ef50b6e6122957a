/**
 * Per-child access filtering of container events: a container's subscriber gets the
 * `container-child-created`, `-metadata-updated` and `-deleted` updates of the children it may
 * read (`dataset://<child path>`) only, asked at each send, and the same shared form as everyone
 * else. First `SubscriptionForms` on a real store, then both sockets with real rules.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { decode } from "@msgpack/msgpack";
import type { DatasetNode, NewNode } from "../../../src/datasets/catalog.js";
import { DatasetStore } from "../../../src/datasets/datasets.js";
import type { LogRecord } from "../../../src/datasets/node-log.js";
import { SubscriptionForms } from "../../../src/protocols/tiled/subscription-forms.js";
import { ApiKeyStore } from "../../../src/security/api-keys.js";
import { startTestGateway } from "../../helpers/gateway.js";
import { type Message, TestClient } from "../../helpers/ws-client.js";
import { i64, type Json, TiledHttp, TiledStream } from "./tiled-client.js";

type Gw = Awaited<ReturnType<typeof startTestGateway>>;
type Envelope = "json" | "msgpack";

const BASE = "http://localhost/api/v1";
const ENVELOPES: readonly Envelope[] = ["json", "msgpack"];
const CREATED = "container-child-created";
const UPDATED = "container-child-metadata-updated";
const DELETED = "container-child-deleted";

/** The six child events the tests make (see `childEvents`), as [type, key, sequence]. */
const SIX_EVENTS = [
  [CREATED, "open", 1],
  [CREATED, "secret", 2],
  [UPDATED, "open", 3],
  [UPDATED, "secret", 4],
  [DELETED, "open", 5],
  [DELETED, "secret", 6],
];

const container = (key: string, metadata: Record<string, unknown> = {}): NewNode => ({
  key,
  structure_family: "container",
  metadata,
  specs: [],
  data_sources: [],
  access_blob: {},
});

/** Every record of a node's log, replayed. */
function records(store: DatasetStore, node: DatasetNode): LogRecord[] {
  return [...store.log(node).records(1)];
}

/** [type, key, sequence] of a sent form (JSON text or msgpack bytes). */
function summary(form: Uint8Array | string): [string, string, number] {
  const m = (typeof form === "string" ? JSON.parse(form) : decode(form)) as Json;
  return [m.type, m.key, m.sequence];
}

describe("SubscriptionForms with mayRead", () => {
  let dir: string;
  let store: DatasetStore;
  let run: DatasetNode;
  /** run's log: open and secret created (1, 2), their metadata updated (3, 4), deleted (5, 6). */
  let runRecords: LogRecord[];
  let array: DatasetNode;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "beamgate-child-access-"));
    store = await DatasetStore.open(dir, { chunkDurationMs: 60_000, chunkMaxBytes: 1 << 20 });
    run = await store.create(store.catalog.root, container("run"));
    const open = await store.create(run, container("open", { v: 1 }));
    const secret = await store.create(run, container("secret", { v: 1 }));
    await store.replaceMetadata(open, { v: 2 });
    await store.replaceMetadata(secret, { v: 2 });
    await store.delete(open, false);
    await store.delete(secret, false);
    runRecords = records(store, run);
    await store.create(store.catalog.root, container("hidden"));
    array = await store.create(store.catalog.root, {
      key: "x",
      structure_family: "array",
      metadata: {},
      specs: [],
      data_sources: [
        {
          id: 1,
          structure_family: "array",
          mimetype: "application/x-zarr",
          structure: {
            data_type: { endianness: "little", kind: "i", itemsize: 8, dt_units: null },
            chunks: [[3]],
            shape: [3],
            dims: null,
            resizable: false,
          },
        },
      ],
      access_blob: {},
    });
    await store.writeFull(array, i64(1, 2, 3), true);
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("holds what the tests below expect", () => {
    const plain = new SubscriptionForms(store, run, undefined, BASE);
    assert.deepEqual(
      runRecords.map((r) => summary(plain.form(r, "msgpack") as Uint8Array)),
      SIX_EVENTS,
    );
  });

  it("leaves out every event of a child it may not read, in both envelopes, with or without options", () => {
    const plain = new SubscriptionForms(store, run, undefined, BASE);
    const options = { maxPayloadBytes: 1 << 20, stride: 1, columns: undefined };
    for (const envelope of ENVELOPES) {
      for (const streamOptions of [undefined, options]) {
        const what = `${envelope}, ${streamOptions ? "with" : "without"} options`;
        const asked: string[] = [];
        const forms = new SubscriptionForms(store, run, streamOptions, BASE, (path) => {
          asked.push(path);
          return path !== "run/secret";
        });
        const sent = runRecords.map((r) => forms.form(r, envelope));
        assert.deepEqual(asked, ["run/open", "run/secret", "run/open", "run/secret", "run/open", "run/secret"], what);
        assert.deepEqual(
          sent.map((f) => (f === undefined ? undefined : summary(f))),
          [[CREATED, "open", 1], undefined, [UPDATED, "open", 3], undefined, [DELETED, "open", 5], undefined],
          what,
        );
        // What is sent is the shared form itself (no copy, no re-encoding).
        runRecords.forEach((r, i) => {
          if (sent[i] !== undefined) assert.equal(sent[i], plain.form(r, envelope), what);
        });
        if (envelope === "msgpack") assert.equal(sent[0], runRecords[0]?.bytes, "msgpack: the stored bytes");
      }
    }
  });

  it("asks at every send, so a right granted or withdrawn between two calls applies at once", () => {
    const secretCreated = runRecords[1] as LogRecord;
    let allowed = false;
    const forms = new SubscriptionForms(store, run, undefined, BASE, () => allowed);
    for (const envelope of ENVELOPES) {
      allowed = false;
      assert.equal(forms.form(secretCreated, envelope), undefined, envelope);
      allowed = true;
      const sent = forms.form(secretCreated, envelope);
      assert.ok(sent !== undefined, envelope);
      assert.deepEqual(summary(sent), [CREATED, "secret", 2], envelope);
      allowed = false;
      assert.equal(forms.form(secretCreated, envelope), undefined, `${envelope}: withdrawn again`);
    }
  });

  it("names a child of the root by its key alone", () => {
    const asked: string[] = [];
    const forms = new SubscriptionForms(store, store.catalog.root, undefined, BASE, (path) => {
      asked.push(path);
      return path !== "hidden";
    });
    const sent = records(store, store.catalog.root).map((r) => forms.form(r, "json"));
    assert.deepEqual(asked, ["run", "hidden", "x"]);
    assert.deepEqual(
      sent.map((f) => (f === undefined ? undefined : summary(f)[1])),
      ["run", undefined, "x"],
    );
  });

  it("changes nothing without mayRead or when it allows everything", () => {
    const plain = new SubscriptionForms(store, run, undefined, BASE);
    const all = new SubscriptionForms(store, run, undefined, BASE, () => true);
    for (const r of runRecords) {
      assert.equal(plain.form(r, "msgpack"), r.bytes);
      assert.equal(all.form(r, "msgpack"), r.bytes);
      assert.equal(all.form(r, "json"), plain.form(r, "json"));
    }
  });

  it("never asks about the updates of an array node (they name no child)", () => {
    let asked = 0;
    const forms = new SubscriptionForms(store, array, undefined, BASE, () => {
      asked++;
      return false;
    });
    const [write] = records(store, array);
    assert.ok(write);
    assert.equal(forms.form(write, "msgpack"), write.bytes);
    assert.equal(JSON.parse(forms.form(write, "json") as string).payload.length, 3);
    assert.equal(asked, 0);
  });
});

/** Under container `path`: open and secret created (1, 2), updated (3, 4) and deleted (5, 6), then last created (7). */
async function childEvents(http: TiledHttp, path: string): Promise<void> {
  await http.createContainer(path, "open");
  await http.createContainer(path, "secret");
  await http.expect(200, "PUT", `/metadata/${path}/open`, { metadata: { v: 2 } });
  await http.expect(200, "PUT", `/metadata/${path}/secret`, { metadata: { v: 2 } });
  await http.expect(200, "DELETE", `/metadata/${path}/open`);
  await http.expect(200, "DELETE", `/metadata/${path}/secret`);
  await http.createContainer(path, "last");
}

/** What a subscriber that may not read `secret` gets of `childEvents`: "last" is 7th, so nothing may come between. */
const WITHOUT_SECRET = [
  [CREATED, "open", 1],
  [UPDATED, "open", 3],
  [DELETED, "open", 5],
  [CREATED, "last", 7],
];

const summaries = (values: Json[]) => values.map((v) => [v.type, v.key, v.sequence]);

describe("container streams over real sockets: children denied for reading are left out", () => {
  let gw: Gw;
  let http: TiledHttp;
  before(async () => {
    gw = await startTestGateway({
      security: { rules: "ALLOW ANY *\nDENY READ dataset://*secret*", auditFile: "/dev/null" },
    });
    http = new TiledHttp(gw.url);
  });
  after(() => gw.close());

  it("on /stream/single, live and replayed, in json and msgpack", async () => {
    await http.createContainer("", "run");
    const live = await Promise.all(
      ["envelope_format=json", "envelope_format=msgpack"].map((q) => TiledStream.connect(gw.url, "run", q)),
    );
    try {
      await Promise.all(live.map((s) => s.waitFrames(1)));
      await childEvents(http, "run");
      for (const s of live) assert.deepEqual(summaries(await s.waitUpdates(4)), WITHOUT_SECRET);
    } finally {
      await Promise.all(live.map((s) => s.close()));
    }
    for (const query of ["envelope_format=json&start=1", "envelope_format=msgpack&start=0"]) {
      const replay = await TiledStream.connect(gw.url, "run", query);
      try {
        assert.deepEqual(summaries(await replay.waitUpdates(4)), WITHOUT_SECRET, query);
      } finally {
        await replay.close();
      }
    }
  });

  it("on the root's stream, where a child's path is its key", async () => {
    const root = await TiledStream.connect(gw.url, "", "envelope_format=json");
    try {
      await root.waitFrames(1);
      await http.createContainer("", "secret");
      await http.createContainer("", "shown");
      const [first] = await root.waitUpdates(1);
      assert.equal(first.key, "shown");
    } finally {
      await root.close();
    }
  });

  it("on the native protocol's dataset subscription", async () => {
    await http.createContainer("", "native");
    const c = await TestClient.connect(`${gw.wsUrl}/api/v1/stream/multi`);
    try {
      c.send({ type: "subscribe", id: "n", path: "native" });
      assert.equal((await c.next((m: Message) => m.id === "n")).type, "container-schema");
      await childEvents(http, "native");
      const got: Message[] = [];
      for (let i = 0; i < 4; i++) got.push(await c.next((m: Message) => m.id === "n"));
      assert.deepEqual(summaries(got), WITHOUT_SECRET);
    } finally {
      c.ws.close();
    }
  });
});

describe("container streams over real sockets: rights per principal, and changing while the stream runs", () => {
  let gw: Gw;
  let http: TiledHttp;
  let rulesFile: string;
  let staff: string;
  let guest: string;
  let rules: (extra: string) => void;
  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), "beamgate-child-rules-"));
    const keys = ApiKeyStore.open(join(dir, "keys.json"));
    const staffKey = keys.create({ scopes: ["read"] });
    staff = staffKey.key;
    guest = keys.create({ scopes: ["read"] }).key;
    rulesFile = join(dir, "rules.txt");
    // Anonymous clients (the writer here) do anything; only staff reads the secret children.
    rules = (extra) =>
      writeFileSync(
        rulesFile,
        `ALLOW ANY *\nDENY READ dataset://*secret*\nALLOW READ dataset://*secret* user:${staffKey.record.id}\n${extra}`,
      );
    rules("");
    gw = await startTestGateway({ security: { rulesFile, apiKeysFile: keys.path, auditFile: "/dev/null" } });
    http = new TiledHttp(gw.url);
  });
  after(() => gw.close());

  it("sends each subscriber of one container the children it may read", async () => {
    await http.createContainer("", "lab");
    const connect = (key: string) =>
      TiledStream.connect(gw.url, "lab", "envelope_format=msgpack", { Authorization: `Apikey ${key}` });
    const [s, g] = await Promise.all([connect(staff), connect(guest)]);
    try {
      await Promise.all([s.waitFrames(1), g.waitFrames(1)]);
      await childEvents(http, "lab");
      assert.deepEqual(summaries(await s.waitUpdates(7)), [...SIX_EVENTS, [CREATED, "last", 7]]);
      assert.deepEqual(summaries(await g.waitUpdates(4)), WITHOUT_SECRET);
      // The same bytes for both: one shared form.
      assert.deepEqual(g.updates[0]?.raw, s.updates[0]?.raw);
    } finally {
      await Promise.all([s.close(), g.close()]);
    }
  });

  it("applies a rules reload to the next update of a running stream, both ways", async () => {
    await http.createContainer("", "box");
    const s = await TiledStream.connect(gw.url, "box", "envelope_format=json");
    try {
      await s.waitFrames(1);
      await http.createContainer("box", "a"); // 1: readable
      assert.deepEqual(summaries(await s.waitUpdates(1)), [[CREATED, "a", 1]]);

      rules("DENY READ dataset://box/a*\n");
      gw.guard.reload();
      await http.expect(200, "PUT", "/metadata/box/a", { metadata: { v: 2 } }); // 2: no longer
      await http.createContainer("box", "b"); // 3
      assert.deepEqual(summaries(await s.waitUpdates(2)), [
        [CREATED, "a", 1],
        [CREATED, "b", 3],
      ]);

      rules("");
      gw.guard.reload();
      await http.expect(200, "PUT", "/metadata/box/a", { metadata: { v: 3 } }); // 4: readable again
      assert.deepEqual(summaries(await s.waitUpdates(3)), [
        [CREATED, "a", 1],
        [CREATED, "b", 3],
        [UPDATED, "a", 4],
      ]);
      assert.equal(s.ws.readyState, s.ws.OPEN, "the container's own stream goes on");
    } finally {
      await s.close();
    }
  });
});
