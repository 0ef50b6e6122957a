/**
 * Tiled's HTTP routes under `/api/v1` over real sockets, called as Tiled's Python client calls
 * them: the server-info document, creating containers and arrays (root and nested) with the
 * errors Tiled answers, node metadata and its replacement, children listing with pages, array
 * writes (whole, block, patch, append, persist=false) and reads with `slice`, closing a stream.
 * specs/tiled-streaming.md.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startTestGateway } from "../../helpers/gateway.js";
import { arrayBody, containerBody, i64, type Json, TiledHttp, TiledStream } from "./tiled-client.js";

type Gw = Awaited<ReturnType<typeof startTestGateway>>;

describe("Tiled routes: server info", () => {
  let gw: Gw;
  before(async () => {
    gw = await startTestGateway();
  });
  after(() => gw.close());

  it("GET /api/v1/ answers the document Tiled's client validates, every key present", async () => {
    const http = new TiledHttp(gw.url);
    const info = await http.expect(200, "GET", "/");
    assert.equal(info.api_version, 0);
    assert.equal(typeof info.library_version, "string");
    assert.ok(info.library_version.length > 0);
    assert.ok(Array.isArray(info.formats.array) && info.formats.array.includes("application/octet-stream"));
    assert.equal(typeof info.formats, "object");
    assert.deepEqual(info.aliases, {});
    assert.ok(Array.isArray(info.queries));
    assert.deepEqual(Object.keys(info.authentication).sort(), ["links", "providers", "required"]);
    assert.equal(info.authentication.required, false, "anonymous clients are served");
    assert.deepEqual(info.authentication.providers, []);
    assert.equal(info.links.self, `${gw.url}/api/v1`);
    assert.equal(typeof info.meta, "object");
    assert.notEqual(info.meta, null);
    for (const key of ["api_version", "library_version", "formats", "aliases", "queries", "authentication", "links"]) {
      assert.ok(key in info, key);
    }
  });
});

describe("Tiled routes: creating nodes", () => {
  let gw: Gw;
  let http: TiledHttp;
  let base: string;
  before(async () => {
    gw = await startTestGateway();
    http = new TiledHttp(gw.url);
    base = `${gw.url}/api/v1`;
  });
  after(() => gw.close());

  it("creates a container and an array at the root, with the body Tiled's client sends (no content-type)", async () => {
    const container = await http.create("", containerBody("runs", { beamline: "ID01" }));
    assert.equal(container.id, "runs");
    assert.equal(container.links.self, `${base}/metadata/runs`);
    assert.equal(container.links.search, `${base}/search/runs`);
    assert.deepEqual(container.data_sources, []);

    const array = await http.create("", arrayBody("x", { shape: [3], metadata: { color: "blue" } }));
    assert.deepEqual(Object.keys(array).sort(), ["data_sources", "id", "links"]);
    assert.equal(array.id, "x");
    assert.equal(array.links.self, `${base}/metadata/x`);
    assert.equal(array.links.full, `${base}/array/full/x`);
    assert.equal(array.links.block, `${base}/array/block/x?block={0}`);
    assert.equal(array.data_sources.length, 1);
    const source = array.data_sources[0];
    assert.equal(source.structure_family, "array");
    assert.equal(source.management, "writable");
    assert.deepEqual(source.assets, []);
    assert.deepEqual(source.structure, {
      data_type: { endianness: "little", kind: "i", itemsize: 8, dt_units: null },
      chunks: [[3]],
      shape: [3],
      dims: null,
      resizable: false,
    });
    // Both are there to read.
    const got = await http.expect(200, "GET", "/metadata/x");
    assert.deepEqual(got.data.attributes.metadata, { color: "blue" });
    assert.equal((await http.expect(200, "GET", "/metadata/runs")).data.attributes.structure_family, "container");
  });

  it("creates nested containers and arrays, with links under their path and a 2-D block link", async () => {
    await http.createContainer("", "a");
    await http.createContainer("a", "b");
    const created = await http.create(
      "a/b",
      arrayBody("img", { shape: [2, 4], chunks: [[1, 1], [4]], dims: ["y", "x"] }),
    );
    assert.equal(created.id, "img");
    assert.equal(created.links.self, `${base}/metadata/a/b/img`);
    assert.equal(created.links.full, `${base}/array/full/a/b/img`);
    assert.equal(created.links.block, `${base}/array/block/a/b/img?block={0},{1}`);
    const got = await http.expect(200, "GET", "/metadata/a/b/img");
    assert.deepEqual(got.data.attributes.ancestors, ["a", "b"]);
    assert.deepEqual(got.data.attributes.structure.dims, ["y", "x"]);
    assert.deepEqual(got.data.attributes.structure.chunks, [[1, 1], [4]]);
    // Not at the root.
    assert.equal((await http.request("GET", "/metadata/img")).status, 404);
  });

  it("accepts a data source with `properties` (what newer Tiled clients send)", async () => {
    const body = arrayBody("with-properties", { shape: [2] });
    (body.data_sources as Json[])[0].properties = {};
    const created = await http.create("", body);
    assert.equal(created.id, "with-properties");
  });

  it("answers a key taken with 409 and keeps the first node", async () => {
    await http.createArray("", "dup", { shape: [2], metadata: { first: true } });
    const again = await http.request("POST", "/metadata/", arrayBody("dup", { shape: [5] }));
    assert.equal(again.status, 409);
    assert.equal(typeof again.body.detail, "string");
    const container = await http.request("POST", "/metadata/", containerBody("dup"));
    assert.equal(container.status, 409);
    const got = await http.expect(200, "GET", "/metadata/dup");
    assert.deepEqual(got.data.attributes.metadata, { first: true });
    assert.deepEqual(got.data.attributes.structure.shape, [2]);
  });

  it("refuses bad structures with 400 and a detail, and leaves the key free", async () => {
    const bad: [string, Json][] = [
      ["itemsize numpy cannot build", arrayBody("bad", { kind: "i", itemsize: 3, shape: [3] })],
      ["unknown kind", arrayBody("bad", { kind: "q", shape: [3] })],
      ["a kind the store cannot hold (complex)", arrayBody("bad", { kind: "c", itemsize: 16, shape: [3] })],
      ["a kind the store cannot hold (datetime)", arrayBody("bad", { kind: "M", itemsize: 8, shape: [3] })],
      ["chunks that do not add up to the shape", arrayBody("bad", { shape: [3], chunks: [[2]] })],
      ["chunks of the wrong rank", arrayBody("bad", { shape: [3, 2], chunks: [[3]] })],
      ["irregular chunks", arrayBody("bad", { shape: [7], chunks: [[2, 3, 2]] })],
      ["negative shape", arrayBody("bad", { shape: [-1] })],
      ["unknown structure family", { ...containerBody("bad"), structure_family: "sparse" }],
      [
        "assets (registered files)",
        (() => {
          const body = arrayBody("bad", { shape: [3] });
          (body.data_sources as Json[])[0].assets = [
            { data_uri: "file:///data/x.h5", is_directory: false, parameter: "data_uri", num: null, id: null },
          ];
          return body;
        })(),
      ],
      ["an array without a data source", { ...arrayBody("bad", { shape: [3] }), data_sources: [] }],
      ["a key with a slash", arrayBody("b/ad", { shape: [3] })],
      ["metadata not an object", { ...containerBody("bad"), metadata: [1, 2] }],
    ];
    for (const [what, body] of bad) {
      const answer = await http.request("POST", "/metadata/", body);
      assert.ok(answer.status === 400 || answer.status === 422, `${what}: ${answer.status} ${answer.text}`);
      assert.equal(typeof answer.body?.detail, "string", `${what}: a detail`);
      assert.ok(answer.body.detail.length > 0, what);
      // Nothing was created: the key is still free, and the listing does not show it.
      assert.equal((await http.request("GET", "/metadata/bad")).status, 404, `${what}: nothing created`);
    }
    const listing = await http.expect(200, "GET", "/search/?page[limit]=300");
    assert.ok(!listing.data.some((d: Json) => d.id === "bad"), "no half-made node in the listing");
    // The key can be used once the body is right.
    const ok = await http.create("", arrayBody("bad", { shape: [3] }));
    assert.equal(ok.id, "bad");
    const got = await http.expect(200, "GET", "/metadata/bad");
    assert.deepEqual(got.data.attributes.structure.shape, [3]);
  });

  it("refuses a body that is not JSON with 400", async () => {
    const answer = await http.request("POST", "/metadata/", Buffer.from("{not json"));
    assert.equal(answer.status, 400);
    assert.equal(typeof answer.body.detail, "string");
  });

  it("answers an unknown parent with 404, and an array as a parent with 400", async () => {
    const missing = await http.request("POST", "/metadata/no/such/parent", containerBody("c"));
    assert.equal(missing.status, 404);
    assert.equal(typeof missing.body.detail, "string");
    await http.createArray("", "leaf", { shape: [1] });
    const under = await http.request("POST", "/metadata/leaf", containerBody("c"));
    assert.equal(under.status, 400);
    assert.equal(typeof under.body.detail, "string");
  });

  it("refuses a table whose arrow_schema is empty with 400, creating nothing", async () => {
    const answer = await http.request("POST", "/metadata/", {
      structure_family: "table",
      metadata: {},
      specs: [],
      data_sources: [
        {
          structure_family: "table",
          structure: { arrow_schema: "data:application/vnd.apache.arrow.file;base64,", npartitions: 1, columns: ["x"] },
          id: null,
          mimetype: null,
          parameters: {},
          assets: [],
          management: "writable",
        },
      ],
      access_blob: {},
      id: "tbl",
    });
    assert.equal(answer.status, 400);
    assert.match(answer.body.detail, /[Tt]able/);
    assert.equal((await http.request("GET", "/metadata/tbl")).status, 404);
  });

  it("creates with a generated key when the body has no id", async () => {
    const { id, ...body } = containerBody("ignored");
    const created = await http.create("", body);
    assert.equal(typeof created.id, "string");
    assert.ok(created.id.length > 0);
    assert.notEqual(created.id, id);
    assert.equal((await http.request("GET", `/metadata/${created.id}`)).status, 200);
  });
});

describe("Tiled routes: metadata, replacement and listing", () => {
  let gw: Gw;
  let http: TiledHttp;
  let base: string;
  before(async () => {
    gw = await startTestGateway();
    http = new TiledHttp(gw.url);
    base = `${gw.url}/api/v1`;
  });
  after(() => gw.close());

  it("GET /metadata/{path} answers Tiled's resource document, every key present", async () => {
    await http.createContainer("", "m", { kind: "run" });
    await http.create(
      "m",
      arrayBody("arr", {
        shape: [4],
        chunks: [[2, 2]],
        metadata: { unit: "mm" },
        specs: [{ name: "xdi", version: "1" }],
      }),
    );
    const doc = await http.expect(200, "GET", "/metadata/m/arr");
    assert.deepEqual(Object.keys(doc).sort(), ["data", "error", "links", "meta"]);
    assert.equal(doc.error, null);
    assert.equal(doc.links, null);
    assert.deepEqual(doc.meta, {});
    assert.deepEqual(Object.keys(doc.data).sort(), ["attributes", "id", "links", "meta"]);
    assert.equal(doc.data.id, "arr");
    const a = doc.data.attributes;
    for (const key of [
      "ancestors",
      "structure_family",
      "specs",
      "metadata",
      "structure",
      "access_blob",
      "sorting",
      "data_sources",
    ]) {
      assert.ok(key in a, `attributes.${key}`);
    }
    assert.deepEqual(a.ancestors, ["m"]);
    assert.equal(a.structure_family, "array");
    assert.deepEqual(a.specs, [{ name: "xdi", version: "1" }]);
    assert.deepEqual(a.metadata, { unit: "mm" });
    assert.deepEqual(a.structure, {
      data_type: { endianness: "little", kind: "i", itemsize: 8, dt_units: null },
      shape: [4],
      chunks: [[2, 2]],
      dims: null,
      resizable: false,
    });
    assert.deepEqual(a.access_blob, {});
    assert.equal(a.data_sources.length, 1);
    assert.equal(a.data_sources[0].structure_family, "array");
    assert.deepEqual(doc.data.links, {
      self: `${base}/metadata/m/arr`,
      full: `${base}/array/full/m/arr`,
      block: `${base}/array/block/m/arr?block={0}`,
    });

    const container = await http.expect(200, "GET", "/metadata/m");
    assert.equal(container.data.attributes.structure_family, "container");
    assert.deepEqual(container.data.attributes.ancestors, []);
    assert.equal(container.data.attributes.structure.count, 1);
    assert.ok(Array.isArray(container.data.attributes.sorting));
    assert.deepEqual(container.data.attributes.metadata, { kind: "run" });
    assert.equal(container.data.links.search, `${base}/search/m`);

    const root = await http.expect(200, "GET", "/metadata/");
    assert.equal(root.data.attributes.structure_family, "container");
    assert.ok(root.data.attributes.structure.count >= 1);

    const missing = await http.request("GET", "/metadata/m/nope");
    assert.equal(missing.status, 404);
    assert.equal(typeof missing.body.detail, "string");
  });

  it("PUT /metadata/{path} replaces the metadata, one revision later, and tells the parent's stream", async () => {
    await http.createContainer("", "p");
    await http.createArray("p", "x", { shape: [3], metadata: { color: "blue", keep: "no" } });
    const parent = await TiledStream.connect(gw.url, "p", "envelope_format=json");
    const root = await TiledStream.connect(gw.url, "", "envelope_format=json");
    try {
      await parent.waitFrames(1);
      await root.waitFrames(1);
      const put = await http.expect(200, "PUT", "/metadata/p/x", { metadata: { color: "red" } });
      assert.equal(put.id, "x");
      assert.deepEqual(put.metadata, { color: "red" });
      const doc = await http.expect(200, "GET", "/metadata/p/x");
      assert.deepEqual(doc.data.attributes.metadata, { color: "red" }, "replaced, not merged");
      const [first] = await parent.waitUpdates(1);
      assert.equal(first.type, "container-child-metadata-updated");
      assert.equal(first.key, "x");
      assert.deepEqual(first.metadata, { color: "red" });
      assert.deepEqual(first.specs, []);
      assert.equal(first.revision_number, 1);
      assert.equal(first.sequence, 2, "after the parent's container-child-created of x (sequence 1)");

      await http.expect(200, "PUT", "/metadata/p/x", {
        metadata: { color: "green" },
        specs: [{ name: "s", version: null }],
      });
      const [, second] = await parent.waitUpdates(2);
      assert.equal(second.revision_number, 2);
      assert.equal(second.sequence, 3);
      assert.deepEqual(second.metadata, { color: "green" });
      assert.deepEqual(second.specs, [{ name: "s", version: null }]);
      assert.deepEqual((await http.expect(200, "GET", "/metadata/p/x")).data.attributes.specs, [
        { name: "s", version: null },
      ]);
      // Only the parent hears of it, not the root.
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(root.updates.length, 0, JSON.stringify(root.values));
    } finally {
      await parent.close();
      await root.close();
    }
  });

  it("PUT /metadata on the root answers 400 and changes nothing", async () => {
    const answer = await http.request("PUT", "/metadata/", { metadata: { a: 1 } });
    assert.equal(answer.status, 400, answer.text);
    assert.equal(typeof answer.body.detail, "string");
    assert.deepEqual((await http.expect(200, "GET", "/metadata/")).data.attributes.metadata, {});
  });

  it("PUT /metadata refuses bad bodies and unknown nodes, changing nothing", async () => {
    await http.createContainer("", "q", { a: 1 });
    const bad = await http.request("PUT", "/metadata/q", { metadata: "not an object" });
    assert.equal(bad.status, 400);
    assert.equal(typeof bad.body.detail, "string");
    assert.equal((await http.request("PUT", "/metadata/nowhere", { metadata: {} })).status, 404);
    const doc = await http.expect(200, "GET", "/metadata/q");
    assert.deepEqual(doc.data.attributes.metadata, { a: 1 });
  });

  it("GET /search/{path} lists children by page, with meta.count and next/prev links", async () => {
    await http.createContainer("", "s");
    const keys = ["k0", "k1", "k2", "k3", "k4"];
    for (const key of keys) await http.createContainer("s", key, { n: key });
    const first = await http.expect(200, "GET", "/search/s?page[offset]=0&page[limit]=2");
    assert.deepEqual(
      first.data.map((d: Json) => d.id),
      ["k0", "k1"],
    );
    assert.equal(first.meta.count, 5);
    assert.equal(first.error, null);
    assert.deepEqual(first.data[0].attributes.metadata, { n: "k0" });
    assert.deepEqual(first.data[0].attributes.ancestors, ["s"]);
    assert.equal(first.data[0].links.self, `${base}/metadata/s/k0`);
    assert.equal(first.links.prev, null);
    assert.ok(first.links.next, "a next page");
    const next = new URL(first.links.next);
    assert.equal(next.searchParams.get("page[offset]"), "2");
    assert.equal(next.searchParams.get("page[limit]"), "2");
    // Follow the links as a client would.
    const second = await http.expect(200, "GET", first.links.next.slice(`${base}`.length));
    assert.deepEqual(
      second.data.map((d: Json) => d.id),
      ["k2", "k3"],
    );
    assert.ok(second.links.prev);
    assert.equal(new URL(second.links.prev).searchParams.get("page[offset]"), "0");
    const last = await http.expect(200, "GET", "/search/s?page[offset]=4&page[limit]=2");
    assert.deepEqual(
      last.data.map((d: Json) => d.id),
      ["k4"],
    );
    assert.equal(last.links.next, null);
    assert.equal(new URL(last.links.prev).searchParams.get("page[offset]"), "2");
    assert.equal(last.meta.count, 5);
    const past = await http.expect(200, "GET", "/search/s?page[offset]=10&page[limit]=2");
    assert.deepEqual(past.data, []);
    assert.equal(past.meta.count, 5);
    const all = await http.expect(200, "GET", "/search/s");
    assert.deepEqual(
      all.data.map((d: Json) => d.id),
      keys,
    );

    assert.equal((await http.request("GET", "/search/s?page[limit]=-1")).status, 400);
    assert.equal((await http.request("GET", "/search/nowhere")).status, 404);
  });
});

describe("Tiled routes: arrays", () => {
  let gw: Gw;
  let http: TiledHttp;
  before(async () => {
    gw = await startTestGateway();
    http = new TiledHttp(gw.url);
  });
  after(() => gw.close());

  it("PUT /array/full stores the array; GET reads it back, whole and sliced", async () => {
    await http.createArray("", "full", { shape: [6] });
    assert.deepEqual(await http.readInts("full"), [0, 0, 0, 0, 0, 0], "a new array is zeros");
    const put = await http.write("PUT", "/array/full/full", i64(1, 2, 3, 4, 5, 6));
    assert.equal(put.status, 200, put.text);
    const { status, bytes, type } = await http.read("full");
    assert.equal(status, 200);
    assert.equal(type, "application/octet-stream");
    assert.deepEqual(bytes, i64(1, 2, 3, 4, 5, 6));
    assert.deepEqual(await http.readInts("full", "1:5"), [2, 3, 4, 5]);
    assert.deepEqual(await http.readInts("full", "::2"), [1, 3, 5]);
    assert.deepEqual(await http.readInts("full", "-2:"), [5, 6]);
    assert.deepEqual(await http.readInts("full", "4"), [5]);
    assert.equal((await http.read("full", "1:2:0")).status, 400, "a zero step");
    assert.equal((await http.read("full", "1,2")).status, 400, "too many dimensions");
    assert.equal((await http.read("full", "x")).status, 400, "not a slice");
  });

  it("refuses a PUT of the wrong length with 400 and a detail, storing nothing", async () => {
    await http.createArray("", "len", { shape: [3] });
    await http.write("PUT", "/array/full/len", i64(7, 8, 9));
    for (const body of [i64(1, 2), i64(1, 2, 3, 4), Buffer.alloc(23), Buffer.alloc(0)]) {
      const answer = await http.write("PUT", "/array/full/len", body);
      assert.equal(answer.status, 400, `${body.byteLength} bytes`);
      assert.equal(typeof answer.body.detail, "string");
      assert.match(answer.body.detail, /24/, "names the bytes expected");
    }
    assert.deepEqual(await http.readInts("len"), [7, 8, 9]);
    // And no event went into the stream for them: the next write is sequence 2.
    const s = await TiledStream.connect(gw.url, "len", "envelope_format=json&start=0");
    try {
      const [only] = await s.waitUpdates(1);
      assert.equal(only.sequence, 1);
      await http.write("PUT", "/array/full/len", i64(1, 1, 1));
      const [, next] = await s.waitUpdates(2);
      assert.equal(next.sequence, 2);
    } finally {
      await s.close();
    }
  });

  it("refuses a write without application/octet-stream with 400", async () => {
    await http.createArray("", "ctype", { shape: [1] });
    for (const type of ["", "application/json", "text/plain"]) {
      const answer = await http.write("PUT", "/array/full/ctype", i64(5), type);
      assert.equal(answer.status, 400, `content-type "${type}"`);
      assert.equal(typeof answer.body.detail, "string");
      const patch = await http.write("PATCH", "/array/full/ctype?offset=0&shape=1", i64(5), type);
      assert.equal(patch.status, 400, `PATCH content-type "${type}"`);
      const block = await http.write("PUT", "/array/block/ctype?block=0", i64(5), type);
      assert.equal(block.status, 400, `block content-type "${type}"`);
    }
    assert.deepEqual(await http.readInts("ctype"), [0]);
    const ok = await http.write("PUT", "/array/full/ctype", i64(5), "application/octet-stream; charset=binary");
    assert.equal(ok.status, 200, "parameters after the type are fine");
    assert.deepEqual(await http.readInts("ctype"), [5]);
  });

  it("PATCH with extend=true appends and answers the new structure; without extend, past the end is 409", async () => {
    await http.createArray("", "app", { shape: [3] });
    await http.write("PUT", "/array/full/app", i64(1, 2, 3));
    const patched = await http.write("PATCH", "/array/full/app?offset=3&shape=3&extend=true", i64(4, 5, 6));
    assert.equal(patched.status, 200, patched.text);
    assert.deepEqual(patched.body.shape, [6]);
    assert.deepEqual(patched.body.data_type, { endianness: "little", kind: "i", itemsize: 8, dt_units: null });
    assert.deepEqual(
      patched.body.chunks.flat().reduce((a: number, b: number) => a + b, 0),
      6,
      "chunks cover the shape",
    );
    assert.deepEqual(patched.body.chunks, [[3, 3]]);
    assert.deepEqual(await http.readInts("app"), [1, 2, 3, 4, 5, 6]);
    const doc = await http.expect(200, "GET", "/metadata/app");
    assert.deepEqual(doc.data.attributes.structure.shape, [6]);
    assert.deepEqual(doc.data.attributes.structure.chunks, [[3, 3]]);

    // Inside the array without extend: fine.
    const inside = await http.write("PATCH", "/array/full/app?offset=1&shape=2", i64(20, 30));
    assert.equal(inside.status, 200, inside.text);
    assert.deepEqual(inside.body.shape, [6]);
    assert.deepEqual(await http.readInts("app"), [1, 20, 30, 4, 5, 6]);

    // Past the end without extend: Tiled's 409 and its message; nothing changes.
    const outside = await http.write("PATCH", "/array/full/app?offset=6&shape=3", i64(7, 8, 9));
    assert.equal(outside.status, 409, outside.text);
    assert.match(
      outside.body.detail,
      /does not fit within current array shape \(6,?\)\. Use \?extend=true to extend the array dimensions to fit\./,
    );
    const overlapping = await http.write("PATCH", "/array/full/app?offset=5&shape=2&extend=false", i64(7, 8));
    assert.equal(overlapping.status, 409);
    assert.deepEqual(await http.readInts("app"), [1, 20, 30, 4, 5, 6]);
    assert.deepEqual((await http.expect(200, "GET", "/metadata/app")).data.attributes.structure.shape, [6]);

    // extend=true with persist=false cannot be: 400, nothing changes.
    const transient = await http.write("PATCH", "/array/full/app?offset=6&shape=1&extend=true&persist=false", i64(7));
    assert.equal(transient.status, 400);
    assert.equal(typeof transient.body.detail, "string");
    assert.deepEqual((await http.expect(200, "GET", "/metadata/app")).data.attributes.structure.shape, [6]);

    // A gap is zeros.
    const gap = await http.write("PATCH", "/array/full/app?offset=8&shape=1&extend=true", i64(9));
    assert.equal(gap.status, 200);
    assert.deepEqual(gap.body.shape, [9]);
    assert.deepEqual(gap.body.chunks, [[3, 3, 3]]);
    assert.deepEqual(await http.readInts("app"), [1, 20, 30, 4, 5, 6, 0, 0, 9]);
  });

  it("refuses malformed PATCH parameters with 400", async () => {
    await http.createArray("", "pp", { shape: [3] });
    const cases = [
      "offset=0",
      "shape=3",
      "offset=a&shape=3",
      "offset=-1&shape=1",
      "offset=0,0&shape=1",
      "offset=0&shape=3&extend=maybe",
      "offset=0&shape=2",
    ];
    for (const query of cases) {
      const answer = await http.write("PATCH", `/array/full/pp?${query}`, i64(1, 2, 3));
      assert.equal(answer.status, 400, `${query}: ${answer.text}`);
      assert.equal(typeof answer.body.detail, "string");
    }
    assert.deepEqual(await http.readInts("pp"), [0, 0, 0]);
  });

  it("PUT /array/block writes one chunk, the edge block smaller", async () => {
    await http.createArray("", "blk", { shape: [5], chunks: [[3, 2]] });
    const edge = await http.write("PUT", "/array/block/blk?block=1", i64(40, 50));
    assert.equal(edge.status, 200, edge.text);
    assert.deepEqual(await http.readInts("blk"), [0, 0, 0, 40, 50]);
    const first = await http.write("PUT", "/array/block/blk?block=0", i64(10, 20, 30));
    assert.equal(first.status, 200, first.text);
    assert.deepEqual(await http.readInts("blk"), [10, 20, 30, 40, 50]);
    // The edge block is 2 elements, not 3; there is no block 2.
    assert.equal((await http.write("PUT", "/array/block/blk?block=1", i64(1, 2, 3))).status, 400);
    assert.equal((await http.write("PUT", "/array/block/blk?block=2", i64(1))).status, 400);
    assert.equal((await http.write("PUT", "/array/block/blk?block=0,0", i64(1, 2, 3))).status, 400);
    assert.deepEqual(await http.readInts("blk"), [10, 20, 30, 40, 50]);

    await http.createArray("", "blk2", { shape: [2, 3], chunks: [[1, 1], [3]] });
    assert.equal((await http.write("PUT", "/array/block/blk2?block=1,0", i64(4, 5, 6))).status, 200);
    assert.deepEqual(await http.readInts("blk2"), [0, 0, 0, 4, 5, 6]);
  });

  it("reads a 2-D array with slices, in C order", async () => {
    await http.createArray("", "grid", { shape: [3, 4], chunks: [[2, 1], [4]] });
    const values = Array.from({ length: 12 }, (_, i) => i);
    assert.equal((await http.write("PUT", "/array/full/grid", i64(...values))).status, 200);
    assert.deepEqual(await http.readInts("grid"), values);
    assert.deepEqual(await http.readInts("grid", "1:3,1:3"), [5, 6, 9, 10]);
    assert.deepEqual(await http.readInts("grid", "0,:"), [0, 1, 2, 3]);
    assert.deepEqual(await http.readInts("grid", ":,3"), [3, 7, 11]);
    assert.deepEqual(await http.readInts("grid", "::2,::3"), [0, 3, 8, 11]);
    assert.deepEqual(await http.readInts("grid", "2"), [8, 9, 10, 11]);
    assert.deepEqual(await http.readInts("grid", "::-1,0"), [8, 4, 0]);
    // A 2-D patch crossing a chunk boundary, then growing along the first dimension.
    const patch = await http.write("PATCH", "/array/full/grid?offset=1,1&shape=2,2", i64(-1, -2, -3, -4));
    assert.equal(patch.status, 200, patch.text);
    assert.deepEqual(await http.readInts("grid"), [0, 1, 2, 3, 4, -1, -2, 7, 8, -3, -4, 11]);
    const grow = await http.write("PATCH", "/array/full/grid?offset=3,0&shape=1,4&extend=true", i64(12, 13, 14, 15));
    assert.equal(grow.status, 200, grow.text);
    assert.deepEqual(grow.body.shape, [4, 4]);
    assert.deepEqual(grow.body.chunks, [[2, 2], [4]]);
    assert.deepEqual(await http.readInts("grid", "3"), [12, 13, 14, 15]);
  });

  it("persist=false streams a write but does not store it", async () => {
    await http.createArray("", "tr", { shape: [3] });
    await http.write("PUT", "/array/full/tr", i64(1, 2, 3));
    const s = await TiledStream.connect(gw.url, "tr", "envelope_format=json");
    try {
      await s.waitFrames(1);
      const put = await http.write("PUT", "/array/full/tr?persist=false", i64(7, 8, 9));
      assert.equal(put.status, 200, put.text);
      const patch = await http.write("PATCH", "/array/full/tr?offset=1&shape=1&persist=false", i64(70));
      assert.equal(patch.status, 200, patch.text);
      const block = await http.write("PUT", "/array/block/tr?block=0&persist=false", i64(4, 5, 6));
      assert.equal(block.status, 200, block.text);
      const [a, b, c] = await s.waitUpdates(3);
      assert.deepEqual(a.payload, [7, 8, 9]);
      assert.equal(a.sequence, 2);
      assert.deepEqual(b.payload, [70]);
      assert.deepEqual(b.offset, [1]);
      assert.deepEqual(c.payload, [4, 5, 6]);
      assert.deepEqual(c.block, [0]);
      assert.deepEqual(await http.readInts("tr"), [1, 2, 3], "read back unchanged");
      // A persisted write after them is stored, and the transient ones are not applied later.
      await http.write("PATCH", "/array/full/tr?offset=2&shape=1", i64(30));
      assert.deepEqual(await http.readInts("tr"), [1, 2, 30]);
    } finally {
      await s.close();
    }
  });

  it("array routes answer 404 for unknown nodes and for containers", async () => {
    await http.createContainer("", "box");
    for (const path of ["nope", "box"]) {
      assert.equal((await http.read(path)).status, 404, `GET ${path}`);
      assert.equal((await http.write("PUT", `/array/full/${path}`, i64(1))).status, 404, `PUT ${path}`);
      assert.equal(
        (await http.write("PATCH", `/array/full/${path}?offset=0&shape=1`, i64(1))).status,
        404,
        `PATCH ${path}`,
      );
      assert.equal((await http.write("PUT", `/array/block/${path}?block=0`, i64(1))).status, 404, `block ${path}`);
    }
  });
});

describe("Tiled routes: closing a stream", () => {
  let gw: Gw;
  let http: TiledHttp;
  before(async () => {
    gw = await startTestGateway();
    http = new TiledHttp(gw.url);
  });
  after(() => gw.close());

  it("DELETE /stream/close answers 200 null, again 200 null, and 404 for an unknown node", async () => {
    await http.createArray("", "c", { shape: [1] });
    const first = await http.request("DELETE", "/stream/close/c");
    assert.equal(first.status, 200);
    assert.equal(first.text, "null");
    const again = await http.request("DELETE", "/stream/close/c");
    assert.equal(again.status, 200, "idempotent");
    assert.equal(again.text, "null");
    const missing = await http.request("DELETE", "/stream/close/nope");
    assert.equal(missing.status, 404);
    assert.equal(typeof missing.body.detail, "string");
  });

  it("refuses writes after the stream is closed, without changing the array's shape", async () => {
    await http.createArray("", "ended", { shape: [2] });
    await http.write("PUT", "/array/full/ended", i64(1, 2));
    await http.expect(200, "DELETE", "/stream/close/ended");
    const put = await http.write("PUT", "/array/full/ended", i64(3, 4));
    assert.ok(put.status >= 400 && put.status < 500, `${put.status}`);
    const grow = await http.write("PATCH", "/array/full/ended?offset=2&shape=2&extend=true", i64(5, 6));
    assert.ok(grow.status >= 400 && grow.status < 500, `${grow.status}`);
    assert.deepEqual(await http.readInts("ended"), [1, 2]);
    const doc = await http.expect(200, "GET", "/metadata/ended");
    assert.deepEqual(doc.data.attributes.structure.shape, [2], "the refused extend did not grow the array");
    assert.deepEqual(doc.data.attributes.structure.chunks, [[2]]);
  });

  it("refuses a child or a metadata change under a closed container with 409, changing nothing", async () => {
    await http.createContainer("", "shut");
    await http.createContainer("shut", "kid", { v: 1 });
    await http.expect(200, "DELETE", "/stream/close/shut");
    const create = await http.request("POST", "/metadata/shut", containerBody("late"));
    assert.equal(create.status, 409, create.text);
    assert.equal(typeof create.body.detail, "string");
    const array = await http.request("POST", "/metadata/shut", arrayBody("late", { shape: [1] }));
    assert.equal(array.status, 409, array.text);
    assert.equal((await http.request("GET", "/metadata/shut/late")).status, 404, "nothing created");
    const put = await http.request("PUT", "/metadata/shut/kid", { metadata: { v: 2 } });
    assert.equal(put.status, 409, put.text);
    const doc = await http.expect(200, "GET", "/metadata/shut/kid");
    assert.deepEqual(doc.data.attributes.metadata, { v: 1 });
    assert.equal((await http.expect(200, "GET", "/search/shut")).meta.count, 1);
    // The closed container's own metadata lives in its parent's stream: still open.
    await http.expect(200, "PUT", "/metadata/shut", { metadata: { closed: true } });
  });
});
