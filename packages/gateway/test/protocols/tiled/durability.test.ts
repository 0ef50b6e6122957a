/**
 * Datasets across a restart, over real sockets: a gateway writes, closes, and a new one on the same
 * data directory serves the same metadata, data and stream (replayed byte for byte), numbering
 * continues, an ended stream stays ended, and a write cut short by a crash is applied again from
 * the node's log. specs/tiled-streaming.md.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { startTestGateway } from "../../helpers/gateway.js";
import { closedWithin } from "../../helpers/upgrade-refusal.js";
import { arrayBody, i64, type Json, nodeDir, TiledHttp, TiledStream } from "./tiled-client.js";

type Gw = Awaited<ReturnType<typeof startTestGateway>>;

/** What a client can see of the store, URLs made independent of the gateway's port. */
async function snapshot(gw: Gw): Promise<Json> {
  const http = new TiledHttp(gw.url);
  const strip = (value: unknown): Json => JSON.parse(JSON.stringify(value).replaceAll(gw.url, "<url>"));
  const out: Json = { metadata: {}, search: {}, data: {}, streams: {}, json: {} };
  for (const path of ["", "run", "run/a", "run/b", "ended"]) {
    out.metadata[path] = strip(await http.expect(200, "GET", `/metadata/${path}`));
  }
  for (const path of ["", "run"]) out.search[path] = strip(await http.expect(200, "GET", `/search/${path}`));
  for (const path of ["run/a", "run/b", "ended"]) out.data[path] = (await http.read(path)).bytes.toString("hex");
  // Frames each replay holds: the schema, then every update logged.
  const frames: Record<string, number> = { "": 4, run: 4, "run/a": 5, "run/b": 2 };
  for (const [path, count] of Object.entries(frames)) {
    const s = await TiledStream.connect(gw.url, path, "envelope_format=msgpack&start=1");
    const j = await TiledStream.connect(gw.url, path, "envelope_format=json&start=1");
    await s.waitFrames(count);
    await j.waitFrames(count);
    await new Promise((r) => setTimeout(r, 50));
    out.streams[path] = s.frames.map((f) => f.raw?.toString("hex"));
    out.json[path] = j.frames.map((f) => f.text);
    await s.close();
    await j.close();
  }
  return out;
}

describe("Tiled datasets across a restart", () => {
  let dataDir: string;
  before(() => {
    dataDir = mkdtempSync(join(tmpdir(), "beamgate-tiled-durability-"));
  });
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it("serves the same metadata, data and stream after a restart, and numbering continues", async () => {
    let gw = await startTestGateway({ dataDir });
    let before: Json;
    try {
      const http = new TiledHttp(gw.url);
      await http.createContainer("", "run", { scan: 1 });
      await http.createArray("run", "a", { shape: [3], metadata: { unit: "counts" } });
      await http.createArray("run", "b", { shape: [2, 3], chunks: [[1, 1], [3]], dims: ["y", "x"] });
      await http.createArray("", "ended", { shape: [1] });
      // A refused structure must leave nothing that stops the next start.
      assert.equal(
        (await http.request("POST", "/metadata/run", arrayBody("c", { kind: "c", itemsize: 16, shape: [2] }))).status,
        400,
      );
      assert.equal(
        (await http.request("POST", "/metadata/run", arrayBody("c", { shape: [2], chunks: [[3]] }))).status,
        400,
      );

      assert.equal((await http.write("PUT", "/array/full/run/a", i64(1, 2, 3))).status, 200);
      assert.equal(
        (await http.write("PATCH", "/array/full/run/a?offset=3&shape=3&extend=true", i64(4, 5, 6))).status,
        200,
      );
      assert.equal((await http.write("PUT", "/array/full/run/a?persist=false", i64(9, 9, 9, 9, 9, 9))).status, 200);
      assert.equal((await http.write("PATCH", "/array/full/run/a?offset=1&shape=1", i64(20))).status, 200);
      assert.equal((await http.write("PUT", "/array/block/run/b?block=1,0", i64(7, 8, 9))).status, 200);
      await http.expect(200, "PUT", "/metadata/run/a", { metadata: { unit: "mm" } });
      await http.expect(200, "PUT", "/metadata/run", { metadata: { scan: 2 } });
      assert.equal((await http.write("PUT", "/array/full/ended", i64(42))).status, 200);
      await http.expect(200, "DELETE", "/stream/close/ended");
      before = await snapshot(gw);
    } finally {
      await gw.close();
    }
    // What the first gateway served, checked once so the comparison below means something.
    assert.equal(before.data["run/a"], i64(1, 20, 3, 4, 5, 6).toString("hex"));
    assert.equal(before.data["run/b"], i64(0, 0, 0, 7, 8, 9).toString("hex"));
    assert.deepEqual(before.metadata["run/a"].data.attributes.structure.shape, [6]);
    assert.deepEqual(before.metadata["run/a"].data.attributes.metadata, { unit: "mm" });
    // Replays (counted in `snapshot`): run/a has the schema and four updates, the transient one
    // included; run, a and b created and a's metadata; the root, run and ended created and run's metadata.
    assert.equal(before.streams["run/a"].length, 5);
    assert.equal(before.json["run/a"][3].includes('"payload":[9,9,9,9,9,9]'), true, "the transient write is replayed");
    assert.equal(before.metadata.run.data.attributes.structure.count, 2, "no half-made child");

    gw = await startTestGateway({ dataDir });
    try {
      const http = new TiledHttp(gw.url);
      const afterRestart = await snapshot(gw);
      assert.deepEqual(afterRestart, before);

      // Sequences continue: the array's log at 4, the container's at 3, the root's at 3.
      const a = await TiledStream.connect(gw.url, "run/a", "envelope_format=json");
      const run = await TiledStream.connect(gw.url, "run", "envelope_format=json");
      const root = await TiledStream.connect(gw.url, "", "envelope_format=json");
      try {
        await Promise.all([a, run, root].map((s) => s.waitFrames(1)));
        assert.equal((await http.write("PATCH", "/array/full/run/a?offset=6&shape=1&extend=true", i64(7))).status, 200);
        await http.createArray("run", "c", { shape: [1] });
        await http.expect(200, "PUT", "/metadata/run/a", { metadata: { unit: "m" } });
        await http.createContainer("", "second");
        const [patched] = await a.waitUpdates(1);
        assert.equal(patched.sequence, 5);
        assert.deepEqual(patched.payload, [7]);
        const [created, renamed] = await run.waitUpdates(2);
        assert.equal(created.sequence, 4);
        assert.equal(created.key, "c");
        assert.equal(renamed.sequence, 5);
        assert.equal(renamed.revision_number, 2, "revisions continue too");
        const [second] = await root.waitUpdates(1);
        assert.equal(second.sequence, 4);
      } finally {
        await Promise.all([a, run, root].map((s) => s.close()));
      }
      assert.deepEqual(await http.readInts("run/a"), [1, 20, 3, 4, 5, 6, 7]);

      // An ended stream stays ended: a late subscriber gets the replay and the close; writes are refused.
      const late = await TiledStream.connect(gw.url, "ended", "envelope_format=json&start=1");
      const { code, reason } = await closedWithin(late.closed);
      assert.equal(code, 1000);
      assert.equal(reason, "Producer ended stream");
      assert.deepEqual(
        late.updates.map((f) => f.value.payload),
        [[42]],
      );
      assert.equal((await http.write("PUT", "/array/full/ended", i64(43))).status, 409);
    } finally {
      await gw.close();
    }

    // Once more: what the second gateway wrote is kept as well.
    gw = await startTestGateway({ dataDir });
    try {
      const http = new TiledHttp(gw.url);
      assert.deepEqual(await http.readInts("run/a"), [1, 20, 3, 4, 5, 6, 7]);
      const s = await TiledStream.connect(gw.url, "run/a", "envelope_format=msgpack&start=0");
      try {
        const updates = await s.waitUpdates(5);
        assert.deepEqual(
          updates.map((u) => u.sequence),
          [1, 2, 3, 4, 5],
        );
      } finally {
        await s.close();
      }
      const listing = await http.expect(200, "GET", "/search/run");
      assert.deepEqual(
        listing.data.map((d: Json) => d.id),
        ["a", "b", "c"],
      );
      assert.deepEqual(listing.data[0].attributes.metadata, { unit: "m" });
    } finally {
      await gw.close();
    }
  });

  it("applies writes late in one batch (applyDelayMs): reads see them at once, files once applied", async () => {
    const dir = mkdtempSync(join(tmpdir(), "beamgate-tiled-late-"));
    try {
      const gw = await startTestGateway({ dataDir: dir, datasets: { applyDelayMs: 60_000 } });
      try {
        const http = new TiledHttp(gw.url);
        await http.createArray("", "w", { shape: [0], chunks: [[0]] });
        for (let k = 0; k < 5; k++) {
          const patch = `/array/full/w?offset=${k * 2}&shape=2&extend=true`;
          assert.equal((await http.write("PATCH", patch, i64(k, k))).status, 200);
        }
        const node = nodeDir(dir, "w");
        const zarrJson = () => JSON.parse(readFileSync(join(node, "zarr", "zarr.json"), "utf8"));
        assert.deepEqual(zarrJson().shape, [0], "nothing applied to the files yet (a minute's delay)");
        // A read applies what waits first.
        assert.deepEqual(await http.readInts("w"), [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]);
        assert.deepEqual(zarrJson().shape, [10]);
        assert.equal(readFileSync(join(node, "applied"), "utf8"), "5");
        assert.equal((await http.write("PATCH", "/array/full/w?offset=10&shape=1&extend=true", i64(5))).status, 200);
        assert.deepEqual(zarrJson().shape, [10]);
      } finally {
        await gw.close();
      }
      // Closing applies what waited.
      const zarr = JSON.parse(readFileSync(join(nodeDir(dir, "w"), "zarr", "zarr.json"), "utf8"));
      assert.deepEqual(zarr.shape, [11]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("applies again, at the next start, a logged write whose data did not reach the array (a crash)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "beamgate-tiled-crash-"));
    try {
      let gw = await startTestGateway({ dataDir: dir });
      try {
        const http = new TiledHttp(gw.url);
        await http.createArray("", "w", { shape: [6], chunks: [[3, 3]] });
        assert.equal((await http.write("PUT", "/array/full/w", i64(1, 2, 3, 4, 5, 6))).status, 200);
        assert.equal((await http.write("PATCH", "/array/full/w?offset=0&shape=3", i64(100, 200, 300))).status, 200);
      } finally {
        await gw.close();
      }
      // As if the gateway died after logging the PATCH but before its chunk and note landed.
      const node = nodeDir(dir, "w");
      const chunk = join(node, "zarr", "c", "0");
      assert.deepEqual(readFileSync(chunk), i64(100, 200, 300), "the chunk layout this test relies on");
      writeFileSync(chunk, i64(1, 2, 3));
      assert.equal(readFileSync(join(node, "applied"), "utf8"), "2");
      writeFileSync(join(node, "applied"), "1");

      gw = await startTestGateway({ dataDir: dir });
      try {
        const http = new TiledHttp(gw.url);
        assert.deepEqual(await http.readInts("w"), [100, 200, 300, 4, 5, 6]);
        assert.equal(readFileSync(join(node, "applied"), "utf8"), "2");
      } finally {
        await gw.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
