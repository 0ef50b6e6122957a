/**
 * `DELETE /api/v1/metadata/{path}?recursive=` over real sockets: a leaf with its data, a container
 * refused without `recursive` while it has children, a whole subtree with it; beyond Tiled, the
 * deletion as an event (`container-child-deleted` on the parent's stream, JSON and msgpack, in its
 * key order) and the end of each deleted node's own stream (close 1000 "Node deleted" after
 * everything it published); the key free again; the deletion durable across a restart and a
 * crash (nothing comes back, files gone, the event told once); 404s after.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { DatasetStore } from "../../../src/datasets/datasets.js";
import { startTestGateway } from "../../helpers/gateway.js";
import {
  arrayBody,
  containerBody,
  i64,
  type Json,
  TiledHttp,
  TiledStream,
  UTC_MICROS,
  wireKeys,
} from "./tiled-client.js";

type Gw = Awaited<ReturnType<typeof startTestGateway>>;

const DELETED_KEYS = ["type", "sequence", "timestamp", "key"];

/** The directories of the dataset store's nodes. */
const nodeDirs = (dataDir: string) => readdirSync(join(dataDir, "datasets", "nodes")).sort();

describe("Tiled routes: DELETE /metadata", () => {
  let gw: Gw;
  let http: TiledHttp;
  let dataDir: string;
  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "beamgate-tiled-delete-"));
    gw = await startTestGateway({ dataDir });
    http = new TiledHttp(gw.url);
  });
  after(async () => {
    await gw.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("deletes a leaf with its data: 200 null, gone from metadata, search and disk, the parent told", async () => {
    await http.createContainer("", "leaf");
    const before = nodeDirs(dataDir);
    await http.createArray("leaf", "x", { shape: [3] });
    const [xDir] = nodeDirs(dataDir).filter((d) => !before.includes(d));
    await http.createArray("leaf", "y", { shape: [1] });
    assert.equal((await http.write("PUT", "/array/full/leaf/x", i64(1, 2, 3))).status, 200);
    assert.ok(xDir && existsSync(join(dataDir, "datasets", "nodes", xDir, "zarr")));
    const json = await TiledStream.connect(gw.url, "leaf", "envelope_format=json");
    const msgpack = await TiledStream.connect(gw.url, "leaf", "envelope_format=msgpack");
    try {
      await json.waitFrames(1);
      await msgpack.waitFrames(1);
      const answer = await http.request("DELETE", "/metadata/leaf/x");
      assert.equal(answer.status, 200, answer.text);
      assert.equal(answer.text, "null");

      assert.equal((await http.request("GET", "/metadata/leaf/x")).status, 404);
      assert.equal((await http.read("leaf/x")).status, 404);
      const search = await http.expect(200, "GET", "/search/leaf");
      assert.deepEqual(
        search.data.map((d: Json) => d.id),
        ["y"],
      );
      assert.equal(search.meta.count, 1);
      assert.equal((await http.expect(200, "GET", "/metadata/leaf")).data.attributes.structure.count, 1);
      assert.ok(!existsSync(join(dataDir, "datasets", "nodes", xDir)), "the node's directory is removed");
      assert.deepEqual(readdirSync(join(dataDir, "datasets", "deleted")), [], "the deletion's note is done with");

      const [event] = await json.waitUpdates(1);
      const [binary] = await msgpack.waitUpdates(1);
      assert.equal(json.updates[0]?.binary, false);
      assert.deepEqual(wireKeys(json.updates[0] as never), DELETED_KEYS);
      // After the parent's container-child-created of x and y (1 and 2).
      assert.equal(
        json.updates[0]?.text,
        `{"type":"container-child-deleted","sequence":3,"timestamp":"${event.timestamp}","key":"x"}`,
      );
      assert.match(event.timestamp, UTC_MICROS);
      assert.equal(msgpack.updates[0]?.binary, true);
      assert.deepEqual(wireKeys(msgpack.updates[0] as never), DELETED_KEYS);
      assert.deepEqual(binary, event);
      // msgpack byte for byte: a fixmap of 4, keys in order.
      const raw = msgpack.updates[0]?.raw as Buffer;
      assert.equal(raw[0], 0x84);
      assert.equal(raw.subarray(1, 6).toString("latin1"), "\xa4type");
    } finally {
      await json.close();
      await msgpack.close();
    }
  });

  it("refuses a container with children without recursive=true (409, Tiled's words), changing nothing", async () => {
    await http.createContainer("", "busy");
    await http.createContainer("busy", "inner");
    await http.createArray("busy/inner", "a", { shape: [1] });
    for (const query of ["", "?recursive=false"]) {
      const answer = await http.request("DELETE", `/metadata/busy${query}`);
      assert.equal(answer.status, 409, answer.text);
      assert.equal(
        answer.body.detail,
        "Cannot delete a node that is not empty. Delete its contents first or pass `recursive=True`.",
      );
    }
    assert.equal((await http.request("DELETE", "/metadata/busy?recursive=perhaps")).status, 400);
    await http.expect(200, "GET", "/metadata/busy/inner/a");
    // An empty container goes without recursive.
    await http.createContainer("busy", "empty");
    await http.expect(200, "DELETE", "/metadata/busy/empty");
    assert.equal((await http.request("GET", "/metadata/busy/empty")).status, 404);
  });

  it("deletes a subtree with recursive=true: only the surviving parent is told, every deleted stream closes", async () => {
    await http.createContainer("", "tree");
    await http.createContainer("tree", "scan");
    await http.createContainer("tree/scan", "sub");
    await http.createArray("tree/scan", "det", { shape: [2] });
    await http.createArray("tree/scan/sub", "deep", { shape: [1] });
    await http.createContainer("tree", "sibling");
    assert.equal((await http.write("PUT", "/array/full/tree/scan/det", i64(5, 6))).status, 200);
    const dirsBefore = nodeDirs(dataDir);
    const top = await TiledStream.connect(gw.url, "tree", "envelope_format=json&start=1");
    const scan = await TiledStream.connect(gw.url, "tree/scan", "envelope_format=json");
    const sub = await TiledStream.connect(gw.url, "tree/scan/sub", "envelope_format=msgpack");
    const det = await TiledStream.connect(gw.url, "tree/scan/det", "envelope_format=json&start=1");
    try {
      await Promise.all([top.waitFrames(1), scan.waitFrames(1), sub.waitFrames(1), det.waitFrames(2)]);
      await http.expect(200, "DELETE", "/metadata/tree/scan?recursive=true");
      for (const path of ["tree/scan", "tree/scan/sub", "tree/scan/det", "tree/scan/sub/deep"]) {
        assert.equal((await http.request("GET", `/metadata/${path}`)).status, 404, path);
      }
      await http.expect(200, "GET", "/metadata/tree/sibling");
      assert.equal(nodeDirs(dataDir).length, dirsBefore.length - 4, "four node directories removed");

      const updates = await top.waitUpdates(3);
      assert.deepEqual(
        updates.map((u) => [u.type, u.key]),
        [
          ["container-child-created", "scan"],
          ["container-child-created", "sibling"],
          ["container-child-deleted", "scan"],
        ],
      );
      for (const stream of [scan, sub, det]) {
        assert.deepEqual(await stream.closed, { code: 1000, reason: "Node deleted" });
      }
      assert.deepEqual(
        det.updates.map((f) => f.value.type),
        ["array-data"],
        "the array's stream ends after what it published",
      );
      assert.ok(
        scan.updates.every((f) => f.value.type !== "container-child-deleted"),
        "a deleted container's own children are not told one by one",
      );
      // New subscribers find nothing.
      await assert.rejects(TiledStream.connect(gw.url, "tree/scan/det"), /HTTP 404/);
    } finally {
      await Promise.all([top.close(), scan.close(), sub.close(), det.close()]);
    }
  });

  it("closes the deleted node's stream after every update it published, in order, live writes racing", async () => {
    await http.createContainer("", "race");
    await http.createArray("race", "a", { shape: [1] });
    const json = await TiledStream.connect(gw.url, "race/a", "envelope_format=json");
    const msgpack = await TiledStream.connect(gw.url, "race/a", "envelope_format=msgpack");
    await json.waitFrames(1);
    await msgpack.waitFrames(1);
    // Appends one after the other (Tiled's offsets), the deletion sent while they run.
    const statuses: number[] = [];
    const writer = (async () => {
      for (let k = 1; k <= 200; k++) {
        const answer = await http.write("PATCH", `/array/full/race/a?offset=${k}&shape=1&extend=true`, i64(k));
        statuses.push(answer.status);
        if (answer.status !== 200) break;
      }
    })();
    while (statuses.length < 5) await new Promise((r) => setTimeout(r, 2));
    await http.expect(200, "DELETE", "/metadata/race/a");
    await writer;
    const accepted = statuses.filter((s) => s === 200).length;
    assert.ok(accepted >= 5 && accepted < 200, `${accepted} appends before the deletion`);
    assert.deepEqual(statuses.slice(accepted), [404], "the write after the deletion: 404, then the writer stops");
    for (const stream of [json, msgpack]) {
      assert.deepEqual(await stream.closed, { code: 1000, reason: "Node deleted" });
      const values = stream.updates.map((f) => f.value);
      // Every append answered 200 was published before the close, numbered 1..N, in order.
      assert.ok(values.length >= accepted, `${values.length} updates seen, ${accepted} answered`);
      assert.deepEqual(
        values.map((v) => v.sequence),
        Array.from({ length: values.length }, (_, i) => i + 1),
      );
      assert.deepEqual(
        values.map((v) => v.offset[0]),
        Array.from({ length: values.length }, (_, i) => i + 1),
      );
    }
    assert.equal((await http.request("GET", "/metadata/race/a")).status, 404);
  });

  it("frees the key: the same key is created again, new and empty, and both events are on the parent's stream", async () => {
    await http.createContainer("", "again");
    await http.create("again", arrayBody("x", { shape: [2], metadata: { v: 1 } }));
    assert.equal((await http.write("PUT", "/array/full/again/x", i64(7, 8))).status, 200);
    await http.expect(200, "DELETE", "/metadata/again/x");
    await http.create("again", arrayBody("x", { shape: [3], metadata: { v: 2 } }));
    const attributes = (await http.expect(200, "GET", "/metadata/again/x")).data.attributes;
    assert.deepEqual(attributes.metadata, { v: 2 });
    assert.deepEqual(attributes.structure.shape, [3]);
    assert.deepEqual(await http.readInts("again/x"), [0, 0, 0], "none of the old data");
    const stream = await TiledStream.connect(gw.url, "again/x", "envelope_format=json&start=1");
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(stream.updates.length, 0, "the new node's stream starts empty");
    assert.equal((await http.write("PUT", "/array/full/again/x", i64(1, 2, 3))).status, 200);
    const [first] = await stream.waitUpdates(1);
    assert.equal(first.sequence, 1);
    await stream.close();
    const parent = await TiledStream.connect(gw.url, "again", "envelope_format=msgpack&start=1");
    const events = await parent.waitUpdates(3);
    assert.deepEqual(
      events.map((e) => [e.sequence, e.type, e.key]),
      [
        [1, "container-child-created", "x"],
        [2, "container-child-deleted", "x"],
        [3, "container-child-created", "x"],
      ],
    );
    await parent.close();
  });

  it("answers 404 for an unknown or already deleted node and for writes to it, 400 for the root", async () => {
    assert.equal((await http.request("DELETE", "/metadata/nowhere")).status, 404);
    await http.createContainer("", "gone");
    await http.createArray("gone", "x", { shape: [1] });
    await http.createContainer("gone", "c");
    await http.expect(200, "DELETE", "/metadata/gone?recursive=true");
    const twice = await http.request("DELETE", "/metadata/gone");
    assert.equal(twice.status, 404, twice.text);
    assert.equal(twice.body.code, "BG_ERR_DATASET_NOT_FOUND");
    assert.equal((await http.write("PUT", "/array/full/gone/x", i64(1))).status, 404);
    assert.equal((await http.request("PUT", "/metadata/gone/x", { metadata: {} })).status, 404);
    assert.equal((await http.request("POST", "/metadata/gone/c", containerBody("k"))).status, 404);
    assert.equal((await http.request("DELETE", "/stream/close/gone/x")).status, 404);
    const root = await http.request("DELETE", "/metadata/");
    assert.equal(root.status, 400, root.text);
    assert.equal(typeof root.body.detail, "string");
    assert.equal((await http.request("DELETE", "/metadata/?recursive=true")).status, 400);
    await http.expect(200, "GET", "/metadata/");
  });

  it("deletes a node whose own stream the producer closed, and under a parent whose stream is closed (no event)", async () => {
    await http.createContainer("", "closed");
    await http.createArray("closed", "x", { shape: [1] });
    await http.createArray("closed", "y", { shape: [1] });
    await http.expect(200, "DELETE", "/stream/close/closed/x");
    await http.expect(200, "DELETE", "/metadata/closed/x");
    await http.expect(200, "DELETE", "/stream/close/closed");
    await http.expect(200, "DELETE", "/metadata/closed/y");
    assert.equal((await http.expect(200, "GET", "/search/closed")).meta.count, 0);
    const parent = await TiledStream.connect(gw.url, "closed", "envelope_format=json&start=1");
    assert.deepEqual(await parent.closed, { code: 1000, reason: "Producer ended stream" });
    assert.deepEqual(
      parent.updates.map((f) => [f.value.type, f.value.key]),
      [
        ["container-child-created", "x"],
        ["container-child-created", "y"],
        ["container-child-deleted", "x"],
      ],
    );
  });
});

describe("Tiled routes: DELETE /metadata across a restart and a crash", () => {
  let dataDir: string;
  before(() => {
    dataDir = mkdtempSync(join(tmpdir(), "beamgate-tiled-delete-restart-"));
  });
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it("after a restart the deleted nodes stay gone, their files too, and the parent's replay holds the event", async () => {
    let gw = await startTestGateway({ dataDir });
    try {
      const http = new TiledHttp(gw.url);
      await http.createContainer("", "run");
      await http.createArray("run", "keep", { shape: [2] });
      await http.createContainer("run", "scan");
      await http.createArray("run/scan", "det", { shape: [2] });
      assert.equal((await http.write("PUT", "/array/full/run/keep", i64(1, 2))).status, 200);
      assert.equal((await http.write("PUT", "/array/full/run/scan/det", i64(3, 4))).status, 200);
      await http.expect(200, "DELETE", "/metadata/run/scan?recursive=true");
    } finally {
      await gw.close();
    }
    const dirs = nodeDirs(dataDir);
    gw = await startTestGateway({ dataDir });
    try {
      const http = new TiledHttp(gw.url);
      for (const path of ["run/scan", "run/scan/det"]) {
        assert.equal((await http.request("GET", `/metadata/${path}`)).status, 404, path);
      }
      assert.deepEqual(await http.readInts("run/keep"), [1, 2]);
      assert.deepEqual(
        (await http.expect(200, "GET", "/search/run")).data.map((d: Json) => d.id),
        ["keep"],
      );
      assert.deepEqual(nodeDirs(dataDir), dirs, "nothing comes back");
      const parent = await TiledStream.connect(gw.url, "run", "envelope_format=json&start=1");
      const events = await parent.waitUpdates(3);
      assert.deepEqual(
        events.map((e) => [e.sequence, e.type, e.key]),
        [
          [1, "container-child-created", "keep"],
          [2, "container-child-created", "scan"],
          [3, "container-child-deleted", "scan"],
        ],
      );
      // Creating again after the restart: a new node, ids not reused for the old files.
      await http.createContainer("run", "scan");
      assert.equal((await http.expect(200, "GET", "/search/run/scan")).meta.count, 0);
      const [, , , created] = await parent.waitUpdates(4);
      assert.deepEqual([created.sequence, created.type, created.key], [4, "container-child-created", "scan"]);
      await parent.close();
    } finally {
      await gw.close();
    }
  });

  it("a crash after the deletion is noted: at the next start the nodes are gone and the parent is told, once", async () => {
    const dir = join(dataDir, "crash");
    const datasets = join(dir, "datasets");
    const options = { chunkDurationMs: 60_000, chunkMaxBytes: 1 << 20 };
    let store = await DatasetStore.open(datasets, options);
    const run = await store.create(store.catalog.root, {
      key: "run",
      structure_family: "container",
      metadata: {},
      specs: [],
      data_sources: [],
      access_blob: {},
    });
    const scan = await store.create(run, {
      key: "scan",
      structure_family: "container",
      metadata: {},
      specs: [],
      data_sources: [],
      access_blob: {},
    });
    const scanDir = store.catalog.dir(scan);
    // What DatasetStore.delete does first, and nothing after: the process dies there.
    store.catalog.delete(scan, { after: store.log(run).current });
    await store.close();
    assert.ok(existsSync(scanDir), "not purged before the crash");

    const gw = await startTestGateway({ dataDir: dir });
    try {
      const http = new TiledHttp(gw.url);
      assert.equal((await http.request("GET", "/metadata/run/scan")).status, 404);
      assert.ok(!existsSync(scanDir), "purged at start");
      assert.deepEqual(readdirSync(join(datasets, "deleted")), []);
      const parent = await TiledStream.connect(gw.url, "run", "envelope_format=json&start=1");
      const events = await parent.waitUpdates(2);
      assert.deepEqual(
        events.map((e) => [e.sequence, e.type, e.key]),
        [
          [1, "container-child-created", "scan"],
          [2, "container-child-deleted", "scan"],
        ],
      );
      await parent.close();
    } finally {
      await gw.close();
    }
    // And a second start does not tell it twice.
    store = await DatasetStore.open(datasets, options);
    const parentNode = store.node("run");
    assert.equal(store.log(parentNode).current, 2);
    await store.close();
  });
});
