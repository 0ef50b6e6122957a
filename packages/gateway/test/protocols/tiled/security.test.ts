/**
 * Access rules on the Tiled routes and stream, over real sockets: a read-only policy refuses every
 * write with 403 and changes nothing; a node denied for reading answers 403, is left out of
 * listings and its stream closes 4003. Names are `dataset://{path}`. specs/tiled-streaming.md.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { startTestGateway } from "../../helpers/gateway.js";
import { closedWithin } from "../../helpers/upgrade-refusal.js";
import { arrayBody, containerBody, i64, type Json, TiledHttp, TiledStream } from "./tiled-client.js";

type Gw = Awaited<ReturnType<typeof startTestGateway>>;

describe("Tiled security: a read-only policy", () => {
  let dataDir: string;
  let gw: Gw;
  let http: TiledHttp;
  before(async () => {
    // Written by a gateway that allows everything, then served by one that allows reading only.
    dataDir = mkdtempSync(join(tmpdir(), "beamgate-tiled-ro-"));
    const writer = await startTestGateway({ dataDir });
    try {
      const w = new TiledHttp(writer.url);
      await w.createContainer("", "box", { v: 1 });
      await w.createArray("box", "a", { shape: [3] });
      assert.equal((await w.write("PUT", "/array/full/box/a", i64(1, 2, 3))).status, 200);
    } finally {
      await writer.close();
    }
    gw = await startTestGateway({ dataDir, security: { rules: "ALLOW READ *", auditFile: "/dev/null" } });
    http = new TiledHttp(gw.url);
  });
  after(async () => {
    await gw.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("refuses every write with 403 and a detail", async () => {
    const writes: [string, () => ReturnType<TiledHttp["request"]>][] = [
      ["create a container", () => http.request("POST", "/metadata/", containerBody("new"))],
      ["create an array", () => http.request("POST", "/metadata/box", arrayBody("new", { shape: [1] }))],
      ["replace metadata", () => http.request("PUT", "/metadata/box", { metadata: { v: 2 } })],
      ["PUT array/full", () => http.write("PUT", "/array/full/box/a", i64(7, 8, 9))],
      ["PATCH array/full", () => http.write("PATCH", "/array/full/box/a?offset=3&shape=1&extend=true", i64(4))],
      ["PUT array/block", () => http.write("PUT", "/array/block/box/a?block=0", i64(7, 8, 9))],
      ["persist=false", () => http.write("PUT", "/array/full/box/a?persist=false", i64(7, 8, 9))],
      ["close the stream", () => http.request("DELETE", "/stream/close/box/a")],
    ];
    for (const [what, write] of writes) {
      const answer = await write();
      assert.equal(answer.status, 403, `${what}: ${answer.text}`);
      assert.equal(typeof answer.body.detail, "string", what);
    }
  });

  it("changes nothing on a refused write, and reading still works", async () => {
    const s = await TiledStream.connect(gw.url, "box/a", "envelope_format=json&start=1");
    try {
      await s.waitUpdates(1);
      await http.write("PUT", "/array/full/box/a", i64(7, 8, 9));
      await new Promise((r) => setTimeout(r, 100));
      assert.deepEqual(
        s.updates.map((f) => f.value.payload),
        [[1, 2, 3]],
        "nothing streamed for a refused write",
      );
    } finally {
      await s.close();
    }
    assert.deepEqual(await http.readInts("box/a"), [1, 2, 3]);
    const doc = await http.expect(200, "GET", "/metadata/box");
    assert.deepEqual(doc.data.attributes.metadata, { v: 1 });
    assert.equal((await http.request("GET", "/metadata/new")).status, 404);
    const listing = await http.expect(200, "GET", "/search/box");
    assert.deepEqual(
      listing.data.map((d: Json) => d.id),
      ["a"],
    );
    // The stream was not closed by the refused DELETE.
    const live = await TiledStream.connect(gw.url, "box/a", "envelope_format=json");
    try {
      await live.waitFrames(1);
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(live.ws.readyState, live.ws.OPEN);
    } finally {
      await live.close();
    }
  });
});

describe("Tiled security: a node denied for reading", () => {
  let gw: Gw;
  let http: TiledHttp;
  before(async () => {
    gw = await startTestGateway({
      security: { rules: "ALLOW ANY *\nDENY READ dataset://secret*", auditFile: "/dev/null" },
    });
    http = new TiledHttp(gw.url);
    await http.createArray("", "secret", { shape: [2] });
    await http.createArray("", "public", { shape: [2] });
    await http.createContainer("", "secret-box");
  });
  after(() => gw.close());

  it("answers GET metadata and data of the denied node with 403, and serves the others", async () => {
    for (const path of ["/metadata/secret", "/metadata/secret-box", "/search/secret-box"]) {
      const answer = await http.request("GET", path);
      assert.equal(answer.status, 403, path);
      assert.equal(typeof answer.body.detail, "string");
    }
    assert.equal((await http.read("secret")).status, 403);
    assert.equal((await http.expect(200, "GET", "/metadata/public")).data.id, "public");
    assert.deepEqual(await http.readInts("public"), [0, 0]);
  });

  it("leaves the denied nodes out of listings", async () => {
    const listing = await http.expect(200, "GET", "/search/");
    assert.deepEqual(
      listing.data.map((d: Json) => d.id),
      ["public"],
    );
    assert.equal(listing.meta.count, 1);
  });

  it("still takes writes to it (only reading is denied)", async () => {
    assert.equal((await http.write("PUT", "/array/full/secret", i64(5, 6))).status, 200);
  });

  it("closes the stream of the denied node with 4003, sending nothing", async () => {
    for (const query of ["envelope_format=msgpack", "envelope_format=json&start=0"]) {
      const s = await TiledStream.connect(gw.url, "secret", query);
      const { code } = await closedWithin(s.closed);
      assert.equal(code, 4003, query);
      assert.equal(s.frames.length, 0, `${query}: no schema, no data`);
    }
    const open = await TiledStream.connect(gw.url, "public", "envelope_format=json");
    try {
      const [schema] = await open.waitFrames(1);
      assert.equal(schema?.value.type, "array-schema");
    } finally {
      await open.close();
    }
  });
});
