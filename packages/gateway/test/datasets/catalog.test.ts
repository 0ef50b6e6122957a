/**
 * The dataset catalog on a real disk: a tree of nodes, their metadata revisions, a restart;
 * deleting nodes durably (a crash after the deletion is noted never brings a node back).
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { Catalog, type NewNode } from "../../src/datasets/catalog.js";

const node = (key: string, structure_family: NewNode["structure_family"] = "container"): NewNode => ({
  key,
  structure_family,
  metadata: { color: "blue" },
  specs: [],
  data_sources: [],
  access_blob: {},
});

describe("dataset catalog", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "bg-catalog-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("creates a tree of nodes found by path, children in creation order", () => {
    const catalog = new Catalog(dir);
    const raw = catalog.create(catalog.root, node("raw"));
    const scan = catalog.create(raw, node("scan42"));
    catalog.create(scan, node("det1", "array"));
    catalog.create(scan, node("table", "table"));
    assert.equal(catalog.find("raw/scan42/det1")?.structure_family, "array");
    assert.equal(catalog.find("/raw/scan42/")?.key, "scan42");
    assert.equal(catalog.find(""), catalog.root);
    assert.deepEqual(
      catalog.children(scan).map((n) => n.key),
      ["det1", "table"],
    );
    assert.equal(catalog.find("raw/nope"), undefined);
  });

  it("refuses a taken key, a bad key, and children of a non-container", () => {
    const catalog = new Catalog(dir);
    const a = catalog.create(catalog.root, node("a", "array"));
    assert.throws(() => catalog.create(catalog.root, node("a")), /already exists/);
    for (const key of ["", "x/y", ".", "..", "a\u0001"]) {
      assert.throws(() => catalog.create(catalog.root, node(key)), /key/);
    }
    assert.throws(() => catalog.create(a, node("b")), /not a container/);
  });

  it("keeps metadata revisions and the whole tree across a restart", () => {
    const first = new Catalog(dir);
    const raw = first.create(first.root, node("raw"));
    const x = first.create(raw, node("x", "array"));
    const updated = first.update(x, { color: "red" }, [{ name: "xdi", version: "1.0" }]);
    assert.equal(updated.revision_number, 1);
    const second = new Catalog(dir);
    const again = second.find("raw/x");
    assert.deepEqual(again?.metadata, { color: "red" });
    assert.deepEqual(again?.specs, [{ name: "xdi", version: "1.0" }]);
    assert.equal(again?.revision_number, 1);
    assert.equal(second.create(second.find("raw") as never, node("y")).id, 3, "ids continue");
  });

  it("reports a node it cannot read and serves the rest", () => {
    const first = new Catalog(dir);
    const raw = first.create(first.root, node("raw"));
    first.create(raw, node("x"));
    writeFileSync(join(first.dir(raw), "node.json"), "{broken");
    const second = new Catalog(dir);
    assert.equal(second.problems.length, 2, second.problems.join("; "));
    assert.equal(second.find("raw"), undefined);
  });

  it("keeps the revision with dropRevision, and updates the node as it now is", () => {
    const catalog = new Catalog(dir);
    const x = catalog.create(catalog.root, node("x"));
    const first = catalog.update(x, { a: 1 });
    assert.equal(first.revision_number, 1);
    const dropped = catalog.update(first, { a: 2 }, undefined, { dropRevision: true });
    assert.equal(dropped.revision_number, 1);
    // A stale object (revision 0) still updates the current node, one revision on.
    const next = catalog.update(x, { a: 3 });
    assert.equal(next.revision_number, 2);
    assert.deepEqual(new Catalog(dir).find("x")?.metadata, { a: 3 });
  });

  it("deletes a node and its descendants at once, durably, then purges their directories", async () => {
    const catalog = new Catalog(dir);
    const raw = catalog.create(catalog.root, node("raw"));
    const scan = catalog.create(raw, node("scan"));
    const det = catalog.create(scan, node("det", "array"));
    const other = catalog.create(raw, node("other"));
    writeFileSync(join(catalog.dir(det), "data"), "bytes");
    const deletion = catalog.delete(scan, { after: 7 });
    assert.deepEqual(deletion.ids, [scan.id, det.id]);
    assert.equal(deletion.parentId, raw.id);
    assert.equal(deletion.key, "scan");
    assert.deepEqual(deletion.note, { after: 7 });
    assert.equal(catalog.find("raw/scan"), undefined);
    assert.equal(catalog.find("raw/scan/det"), undefined);
    assert.equal(catalog.has(det), false);
    assert.equal(catalog.get(scan.id), undefined);
    assert.deepEqual(
      catalog.children(raw).map((n) => n.key),
      ["other"],
    );
    // Noted on disk before anything is removed.
    assert.ok(existsSync(join(dir, "deleted", `${scan.id}.json`)));
    assert.ok(existsSync(catalog.dir(det)));
    await catalog.purge(deletion);
    assert.ok(!existsSync(catalog.dir(scan)));
    assert.ok(!existsSync(catalog.dir(det)));
    assert.deepEqual(readdirSync(join(dir, "deleted")), []);
    assert.ok(existsSync(catalog.dir(other)));

    const again = new Catalog(dir);
    assert.equal(again.find("raw/scan"), undefined);
    assert.deepEqual(again.problems, []);
    assert.deepEqual(again.pendingDeletions, []);
    assert.equal(again.find("raw/other")?.id, other.id);
  });

  it("refuses to delete the root or a node already deleted, and to write to a deleted node", () => {
    const catalog = new Catalog(dir);
    const raw = catalog.create(catalog.root, node("raw"));
    assert.throws(() => catalog.delete(catalog.root), /root/);
    catalog.delete(raw);
    assert.throws(() => catalog.delete(raw), /No such entry/);
    assert.throws(() => catalog.create(raw, node("child")), /No such entry/);
    assert.throws(() => catalog.update(raw, { a: 1 }), /No such entry/);
    // The key is free again, under a new id.
    const again = catalog.create(catalog.root, node("raw"));
    assert.notEqual(again.id, raw.id);
    assert.equal(catalog.find("raw")?.id, again.id);
  });

  it("after a crash between the note and the purge: the nodes are gone at the next start, nothing half there", () => {
    const first = new Catalog(dir);
    const raw = first.create(first.root, node("raw"));
    const scan = first.create(raw, node("scan"));
    const det = first.create(scan, node("det", "array"));
    writeFileSync(join(first.dir(det), "data"), "bytes");
    first.delete(scan, { after: 3 });
    // The process dies here: nothing purged.
    const second = new Catalog(dir);
    assert.equal(second.find("raw/scan"), undefined);
    assert.equal(second.find("raw/scan/det"), undefined);
    assert.deepEqual(second.problems, [], "no orphan reported: the whole subtree went");
    assert.ok(!existsSync(second.dir(scan)));
    assert.ok(!existsSync(second.dir(det)));
    assert.equal(second.pendingDeletions.length, 1);
    const [pending] = second.pendingDeletions;
    assert.deepEqual(pending?.ids, [scan.id, det.id]);
    assert.deepEqual(pending?.note, { after: 3 });
    // Ids are not given again while a note names them.
    assert.ok(second.create(second.root, node("new")).id > det.id);
    second.forget(pending as never);
    assert.deepEqual(readdirSync(join(dir, "deleted")), []);
    assert.deepEqual(new Catalog(dir).pendingDeletions, []);
  });

  it("ignores a note that never reached its place (a crash while writing it): the node stays", () => {
    const first = new Catalog(dir);
    const raw = first.create(first.root, node("raw"));
    writeFileSync(join(dir, "deleted", `.${raw.id}.json.tmp`), `{"ids":[${raw.id}`);
    const second = new Catalog(dir);
    assert.equal(second.find("raw")?.id, raw.id);
    assert.deepEqual(second.pendingDeletions, []);
    assert.deepEqual(readdirSync(join(dir, "deleted")), []);
  });
});
