/** The dataset catalog on a real disk: a tree of nodes, their metadata revisions, a restart. */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
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
});
