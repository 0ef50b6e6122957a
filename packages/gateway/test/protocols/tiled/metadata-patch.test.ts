/**
 * `PATCH /api/v1/metadata/{path}` over real sockets, with the body Tiled's client sends
 * (`content-type` a field of the body, `specs` always present): RFC 6902 JSON Patch (add,
 * replace, remove, test, move, copy; all or nothing) and RFC 7396 merge patch (null removes) on
 * metadata and specs, Tiled's 406 and 422 answers, `container-child-metadata-updated` on the
 * parent's stream with the revision numbers (kept with `drop_revision`), and the patched metadata
 * after a restart. The patch functions themselves are checked against the RFCs' examples first.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { applyJsonPatch, applyMergePatch, PatchError, parseJsonPatch } from "../../../src/datasets/metadata-patch.js";
import { startTestGateway } from "../../helpers/gateway.js";
import { type Json, TiledHttp, TiledStream, UTC_MICROS, wireKeys } from "./tiled-client.js";

type Gw = Awaited<ReturnType<typeof startTestGateway>>;

const JSON_PATCH = "application/json-patch+json";
const MERGE_PATCH = "application/merge-patch+json";

/** A PATCH body as Tiled's client builds it. */
const body = (contentType: string, metadata: unknown, specs: unknown = null, accessBlob: unknown = null) => ({
  "content-type": contentType,
  metadata,
  specs,
  access_blob: accessBlob,
});

describe("metadata patches: RFC 6902 and RFC 7396", () => {
  const json = (doc: unknown, ops: unknown) => applyJsonPatch(doc, parseJsonPatch(ops, "doc"), "doc");

  it("applies the RFC 6902 operations, leaving the document given unchanged", () => {
    const doc = { a: 1, b: { c: [1, 2] } };
    assert.deepEqual(json(doc, [{ op: "add", path: "/z", value: { n: null } }]), { ...doc, z: { n: null } });
    assert.deepEqual(json(doc, [{ op: "add", path: "/b/c/-", value: 3 }]), { a: 1, b: { c: [1, 2, 3] } });
    assert.deepEqual(json(doc, [{ op: "add", path: "/b/c/0", value: 0 }]), { a: 1, b: { c: [0, 1, 2] } });
    assert.deepEqual(json(doc, [{ op: "replace", path: "/a", value: "x" }]), { a: "x", b: { c: [1, 2] } });
    assert.deepEqual(json(doc, [{ op: "remove", path: "/b/c/0" }]), { a: 1, b: { c: [2] } });
    assert.deepEqual(json(doc, [{ op: "move", from: "/a", path: "/m" }]), { b: { c: [1, 2] }, m: 1 });
    assert.deepEqual(json(doc, [{ op: "copy", from: "/b", path: "/d" }]), { ...doc, d: { c: [1, 2] } });
    assert.deepEqual(json(doc, [{ op: "test", path: "/b", value: { c: [1, 2] } }]), doc);
    assert.deepEqual(json({ "a/b": 1, "m~n": 2 }, [{ op: "remove", path: "/a~1b" }]), { "m~n": 2 });
    assert.deepEqual(json(doc, [{ op: "replace", path: "", value: { whole: true } }]), { whole: true });
    assert.deepEqual(doc, { a: 1, b: { c: [1, 2] } }, "the document given is not changed");
  });

  it("is all or nothing: a failed test or a missing path fails the whole patch, naming the operation", () => {
    const doc = { a: 1 };
    const patch = [
      { op: "add", path: "/b", value: 2 },
      { op: "test", path: "/a", value: 2 },
    ];
    assert.throws(
      () => json(doc, patch),
      (e: Error) => e instanceof PatchError && /operation 1 \(test \/a\)/.test(e.message),
    );
    assert.deepEqual(doc, { a: 1 });
    assert.throws(() => json(doc, [{ op: "remove", path: "/nope" }]), /operation 0 \(remove \/nope\).*\/nope/);
    assert.throws(() => json(doc, [{ op: "replace", path: "/nope", value: 1 }]), PatchError);
    assert.throws(() => json(doc, [{ op: "add", path: "/x/y", value: 1 }]), PatchError);
    assert.throws(() => json(doc, [{ op: "remove", path: "" }]), PatchError);
  });

  it("refuses malformed patches: not a list, unknown op, bad pointers, missing value or from", () => {
    for (const bad of [
      { op: "add" },
      [{ op: "bogus", path: "/a" }],
      [{ op: "add", path: "a", value: 1 }],
      [{ op: "add", path: "/a" }],
      [{ op: "move", path: "/a" }],
      [{ op: "remove" }],
      ["add"],
      [{ op: "add", path: "/__proto__/x", value: 1 }],
      [{ op: "add", path: "/constructor/prototype/x", value: 1 }],
    ]) {
      assert.throws(() => parseJsonPatch(bad, "doc"), PatchError, JSON.stringify(bad));
    }
    assert.equal(({} as Record<string, unknown>).x, undefined);
    // A key named "constructor" is a key like any other at the end of a path.
    assert.deepEqual(json({}, [{ op: "add", path: "/constructor", value: "ACME" }]), { constructor: "ACME" });
  });

  it("merges as RFC 7396's examples say", () => {
    // RFC 7396, appendix A.
    const cases: [unknown, unknown, unknown][] = [
      [{ a: "b" }, { a: "c" }, { a: "c" }],
      [{ a: "b" }, { b: "c" }, { a: "b", b: "c" }],
      [{ a: "b" }, { a: null }, {}],
      [{ a: "b", b: "c" }, { a: null }, { b: "c" }],
      [{ a: ["b"] }, { a: "c" }, { a: "c" }],
      [{ a: "c" }, { a: ["b"] }, { a: ["b"] }],
      [{ a: { b: "c" } }, { a: { b: "d", c: null } }, { a: { b: "d" } }],
      [{ a: [{ b: "c" }] }, { a: [1] }, { a: [1] }],
      [
        ["a", "b"],
        ["c", "d"],
        ["c", "d"],
      ],
      [{ a: "b" }, ["c"], ["c"]],
      [{ a: "foo" }, null, null],
      [{ a: "foo" }, "bar", "bar"],
      [{ e: null }, { a: 1 }, { e: null, a: 1 }],
      [[1, 2], { a: "b", c: null }, { a: "b" }],
      [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
    ];
    for (const [target, patch, result] of cases) {
      const before = JSON.stringify(target);
      assert.deepEqual(applyMergePatch(target, patch), result, `${before} + ${JSON.stringify(patch)}`);
      assert.equal(JSON.stringify(target), before, "the target is not changed");
    }
    // "__proto__" in a patch is a member, not the prototype.
    const merged = applyMergePatch({}, JSON.parse('{"__proto__": {"polluted": 1}}')) as Record<string, unknown>;
    assert.equal(JSON.stringify(merged), '{"__proto__":{"polluted":1}}');
    assert.equal((merged as { polluted?: unknown }).polluted, undefined);
  });
});

describe("Tiled routes: PATCH /metadata", () => {
  let gw: Gw;
  let http: TiledHttp;
  before(async () => {
    gw = await startTestGateway();
    http = new TiledHttp(gw.url);
  });
  after(() => gw.close());

  const metadataOf = async (path: string): Promise<Json> =>
    (await http.expect(200, "GET", `/metadata/${path}`)).data.attributes;

  it("applies a JSON Patch (add, replace, remove, test) to the metadata and answers {id, metadata}", async () => {
    await http.createContainer("", "jp");
    await http.createArray("jp", "x", { shape: [2], metadata: { color: "blue", keep: { n: 1 }, drop: true } });
    const answer = await http.expect(
      200,
      "PATCH",
      "/metadata/jp/x",
      body(JSON_PATCH, [
        { op: "test", path: "/color", value: "blue" },
        { op: "replace", path: "/color", value: "red" },
        { op: "add", path: "/keep/m", value: [1, 2] },
        { op: "remove", path: "/drop" },
        { op: "add", path: "/new", value: null },
      ]),
    );
    const expected = { color: "red", keep: { n: 1, m: [1, 2] }, new: null };
    assert.deepEqual(answer, { id: "x", metadata: expected });
    const attributes = await metadataOf("jp/x");
    assert.deepEqual(attributes.metadata, expected);
    assert.deepEqual(attributes.specs, [], "specs: null leaves them");
  });

  it("refuses a patch that does not apply (400), changing nothing and telling no one", async () => {
    await http.createContainer("", "fail");
    await http.createContainer("fail", "x", { a: 1 });
    const parent = await TiledStream.connect(gw.url, "fail", "envelope_format=json");
    try {
      await parent.waitFrames(1);
      const failedTest = await http.request(
        "PATCH",
        "/metadata/fail/x",
        body(JSON_PATCH, [
          { op: "add", path: "/b", value: 2 },
          { op: "test", path: "/a", value: 2 },
        ]),
      );
      assert.equal(failedTest.status, 400, failedTest.text);
      assert.match(failedTest.body.detail, /operation 1 \(test \/a\)/);
      assert.equal(failedTest.body.code, "BG_ERR_DATASET_INVALID");
      const missing = await http.request(
        "PATCH",
        "/metadata/fail/x",
        body(JSON_PATCH, [{ op: "remove", path: "/zz" }]),
      );
      assert.equal(missing.status, 400, missing.text);
      assert.match(missing.body.detail, /\/zz/);
      for (const bad of [
        body(JSON_PATCH, { a: 2 }), // a merge patch under the JSON Patch type
        body(MERGE_PATCH, [{ op: "add", path: "/a", value: 2 }]),
        body(JSON_PATCH, [{ op: "replace", path: "", value: [1] }]), // metadata must stay an object
        body(JSON_PATCH, [{ op: "frobnicate", path: "/a" }]),
        { "content-type": JSON_PATCH, metadata: [] }, // no "specs"
        { metadata: [], specs: null }, // no "content-type"
        body(JSON_PATCH, [], null, { tags: ["x"] }), // an access blob patch that is not a list
      ]) {
        const answer = await http.request("PATCH", "/metadata/fail/x", bad);
        assert.equal(answer.status, 400, `${JSON.stringify(bad)}: ${answer.text}`);
        assert.equal(typeof answer.body.detail, "string");
      }
      assert.deepEqual((await metadataOf("fail/x")).metadata, { a: 1 });
      await new Promise((r) => setTimeout(r, 100));
      assert.deepEqual(
        parent.updates.map((f) => f.value),
        [],
        "nothing told",
      );
    } finally {
      await parent.close();
    }
  });

  it("answers 406 with Tiled's detail for a content-type field it does not take", async () => {
    await http.createContainer("", "ct", { a: 1 });
    for (const type of ["application/json", "text/plain", "", "APPLICATION/JSON-PATCH+JSON"]) {
      const answer = await http.request("PATCH", "/metadata/ct", body(type, []));
      assert.equal(answer.status, 406, `${type}: ${answer.text}`);
      assert.equal(
        answer.body.detail,
        "valid content types: application/json-patch+json, application/merge-patch+json",
      );
    }
    assert.deepEqual((await metadataOf("ct")).metadata, { a: 1 });
    assert.equal((await metadataOf("ct")).metadata.a, 1);
  });

  it("merges a merge patch: members set recursively, null removing, lists replaced", async () => {
    await http.createContainer("", "mp", { a: 1, nested: { x: 1, y: 2 }, list: [1, 2], gone: "yes" });
    const answer = await http.expect(
      200,
      "PATCH",
      "/metadata/mp",
      body(MERGE_PATCH, { a: 2, nested: { y: null, z: 3 }, list: [3], gone: null, added: { deep: true } }),
    );
    const expected = { a: 2, nested: { x: 1, z: 3 }, list: [3], added: { deep: true } };
    assert.deepEqual(answer, { id: "mp", metadata: expected });
    assert.deepEqual((await metadataOf("mp")).metadata, expected);
    // null metadata: unchanged (still one revision more).
    await http.expect(200, "PATCH", "/metadata/mp", body(MERGE_PATCH, null));
    assert.deepEqual((await metadataOf("mp")).metadata, expected);
  });

  it("patches specs: JSON Patch on the list of {name, version}, merge patch replacing it; 422 past 20 or duplicated", async () => {
    await http.createContainer("", "sp");
    await http.createArray("sp", "x", { shape: [1], specs: [{ name: "a", version: null }] });
    await http.expect(
      200,
      "PATCH",
      "/metadata/sp/x",
      body(
        JSON_PATCH,
        [],
        [
          { op: "add", path: "/-", value: { name: "b", version: "1.0" } },
          { op: "test", path: "/0/name", value: "a" },
        ],
      ),
    );
    assert.deepEqual((await metadataOf("sp/x")).specs, [
      { name: "a", version: null },
      { name: "b", version: "1.0" },
    ]);
    await http.expect(200, "PATCH", "/metadata/sp/x", body(JSON_PATCH, null, [{ op: "remove", path: "/0" }]));
    assert.deepEqual((await metadataOf("sp/x")).specs, [{ name: "b", version: "1.0" }]);
    await http.expect(200, "PATCH", "/metadata/sp/x", body(MERGE_PATCH, null, [{ name: "c", version: null }]));
    assert.deepEqual((await metadataOf("sp/x")).specs, [{ name: "c", version: null }]);

    const many = Array.from({ length: 21 }, (_, i) => ({ name: `s${i}`, version: null }));
    const tooMany = await http.request("PATCH", "/metadata/sp/x", body(MERGE_PATCH, null, many));
    assert.equal(tooMany.status, 422, tooMany.text);
    assert.equal(tooMany.body.detail, "Update cannot result in more than 20 specs");
    const grown = await http.request(
      "PATCH",
      "/metadata/sp/x",
      body(
        JSON_PATCH,
        null,
        many.slice(0, 20).map((value) => ({ op: "add", path: "/-", value })),
      ),
    );
    assert.equal(grown.status, 422, "21 specs with the one already there");
    const duplicated = await http.request(
      "PATCH",
      "/metadata/sp/x",
      body(JSON_PATCH, null, [{ op: "add", path: "/-", value: { name: "c", version: null } }]),
    );
    assert.equal(duplicated.status, 422, duplicated.text);
    assert.equal(duplicated.body.detail, "Update cannot result in non-unique specs");
    const notSpec = await http.request(
      "PATCH",
      "/metadata/sp/x",
      body(JSON_PATCH, null, [{ op: "add", path: "/-", value: "just-a-name" }]),
    );
    assert.equal(notSpec.status, 422, notSpec.text);
    assert.deepEqual((await metadataOf("sp/x")).specs, [{ name: "c", version: null }], "unchanged by refusals");
  });

  it("keeps the access blob, answering it when the patch would have changed it (no access policy takes it)", async () => {
    await http.createContainer("", "ab", { a: 1 });
    const answer = await http.expect(
      200,
      "PATCH",
      "/metadata/ab",
      body(MERGE_PATCH, { a: 2 }, null, { tags: ["beamline"] }),
    );
    assert.deepEqual(answer, { id: "ab", metadata: { a: 2 }, access_blob: {} });
    assert.deepEqual((await metadataOf("ab")).access_blob, {});
    const same = await http.expect(200, "PATCH", "/metadata/ab", body(JSON_PATCH, [], null, []));
    assert.deepEqual(same, { id: "ab", metadata: { a: 2 } });
  });

  it("accepts the body with a JSON Content-Type header too (newer Tiled clients send one)", async () => {
    await http.createContainer("", "hdr", { a: 1 });
    const answer = await http.expect(200, "PATCH", "/metadata/hdr", body(MERGE_PATCH, { b: 2 }), {
      "content-type": "application/json",
    });
    assert.deepEqual(answer.metadata, { a: 1, b: 2 });
  });

  it("tells the parent's stream (JSON and msgpack, Tiled's key order) with each revision; drop_revision keeps it", async () => {
    await http.createContainer("", "ev");
    await http.createArray("ev", "x", { shape: [1], metadata: { n: 0 } });
    const json = await TiledStream.connect(gw.url, "ev", "envelope_format=json");
    const msgpack = await TiledStream.connect(gw.url, "ev", "envelope_format=msgpack");
    try {
      await json.waitFrames(1);
      await msgpack.waitFrames(1);
      await http.expect(200, "PATCH", "/metadata/ev/x", body(JSON_PATCH, [{ op: "replace", path: "/n", value: 1 }]));
      await http.expect(200, "PATCH", "/metadata/ev/x", body(MERGE_PATCH, { n: 2 }, [{ name: "s", version: null }]));
      await http.expect(200, "PATCH", "/metadata/ev/x?drop_revision=true", body(MERGE_PATCH, { n: 3 }));
      await http.expect(200, "PUT", "/metadata/ev/x", { metadata: { n: 4 } });
      const updates = await json.waitUpdates(4);
      await msgpack.waitUpdates(4);
      assert.deepEqual(
        updates.map((u) => [u.type, u.sequence, u.metadata.n, u.revision_number]),
        [
          ["container-child-metadata-updated", 2, 1, 1],
          ["container-child-metadata-updated", 3, 2, 2],
          ["container-child-metadata-updated", 4, 3, 2],
          ["container-child-metadata-updated", 5, 4, 3],
        ],
      );
      assert.deepEqual(updates[1].specs, [{ name: "s", version: null }]);
      assert.deepEqual(updates[2].specs, [{ name: "s", version: null }], "specs unchanged by a patch without them");
      const order = ["type", "key", "sequence", "timestamp", "specs", "metadata", "revision_number"];
      for (const [i, frame] of json.updates.entries()) {
        assert.equal(frame.binary, false);
        assert.deepEqual(wireKeys(frame), order);
        assert.match(frame.value.timestamp, UTC_MICROS);
        const binary = msgpack.updates[i];
        assert.equal(binary?.binary, true);
        assert.deepEqual(wireKeys(binary as never), order);
        assert.deepEqual(binary?.value, frame.value, "the same update in both envelopes");
      }
      assert.equal((await metadataOf("ev/x")).metadata.n, 4);
    } finally {
      await json.close();
      await msgpack.close();
    }
  });

  it("answers 404 for an unknown node and 400 for the root, 400 for a bad drop_revision", async () => {
    const unknown = await http.request("PATCH", "/metadata/nowhere/x", body(MERGE_PATCH, { a: 1 }));
    assert.equal(unknown.status, 404, unknown.text);
    const root = await http.request("PATCH", "/metadata/", body(MERGE_PATCH, { a: 1 }));
    assert.equal(root.status, 400, root.text);
    assert.deepEqual((await metadataOf("")).metadata, {});
    await http.createContainer("", "dr", { a: 1 });
    const bad = await http.request("PATCH", "/metadata/dr?drop_revision=maybe", body(MERGE_PATCH, { a: 2 }));
    assert.equal(bad.status, 400, bad.text);
    assert.deepEqual((await metadataOf("dr")).metadata, { a: 1 });
  });

  it("applies concurrent patches one after the other: none is lost", async () => {
    await http.createContainer("", "many", { list: [] });
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        http.request("PATCH", "/metadata/many", body(JSON_PATCH, [{ op: "add", path: "/list/-", value: i }])),
      ),
    );
    assert.deepEqual(
      answers.map((a) => a.status),
      Array(20).fill(200),
    );
    const list = (await metadataOf("many")).metadata.list as number[];
    assert.deepEqual(
      [...list].sort((a, b) => a - b),
      Array.from({ length: 20 }, (_, i) => i),
    );
  });
});

describe("Tiled routes: PATCH /metadata across a restart", () => {
  let dataDir: string;
  before(() => {
    dataDir = mkdtempSync(join(tmpdir(), "beamgate-tiled-patch-"));
  });
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it("keeps the patched metadata, specs and revision, and the parent's updates replay the same", async () => {
    let gw = await startTestGateway({ dataDir });
    let replayed: Json[];
    try {
      const http = new TiledHttp(gw.url);
      await http.createContainer("", "run");
      await http.createArray("run", "x", { shape: [1], metadata: { a: 1, b: { c: 2 } } });
      await http.expect(200, "PATCH", "/metadata/run/x", body(JSON_PATCH, [{ op: "remove", path: "/b/c" }]));
      await http.expect(
        200,
        "PATCH",
        "/metadata/run/x",
        body(MERGE_PATCH, { a: null, z: "last" }, [{ name: "xdi", version: "1" }]),
      );
      const stream = await TiledStream.connect(gw.url, "run", "envelope_format=msgpack&start=1");
      replayed = (await stream.waitUpdates(3)).map((u) => u);
      await stream.close();
    } finally {
      await gw.close();
    }
    gw = await startTestGateway({ dataDir });
    try {
      const http = new TiledHttp(gw.url);
      const attributes = (await http.expect(200, "GET", "/metadata/run/x")).data.attributes;
      assert.deepEqual(attributes.metadata, { b: {}, z: "last" });
      assert.deepEqual(attributes.specs, [{ name: "xdi", version: "1" }]);
      const stream = await TiledStream.connect(gw.url, "run", "envelope_format=msgpack&start=1");
      try {
        assert.deepEqual(await stream.waitUpdates(3), replayed);
        assert.deepEqual(
          replayed.map((u) => u.revision_number),
          [undefined, 1, 2],
        );
        // The next revision continues from the stored one.
        await http.expect(200, "PATCH", "/metadata/run/x", body(MERGE_PATCH, { again: true }));
        const [, , , next] = await stream.waitUpdates(4);
        assert.equal(next.revision_number, 3);
        assert.equal(next.sequence, 4);
      } finally {
        await stream.close();
      }
    } finally {
      await gw.close();
    }
  });
});
