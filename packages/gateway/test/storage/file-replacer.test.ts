/** Files replaced whole and synced together (storage/file-replacer.ts), on a real disk. */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, unlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { FileReplacer, TEMPORARY } from "../../src/storage/file-replacer.js";

describe("file replacer", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "bg-file-replacer-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("replaces files whole through a temporary in the root, and syncs them", async () => {
    const files = new FileReplacer(dir);
    mkdirSync(join(dir, "c", "0"), { recursive: true });
    await files.replace(join(dir, "c", "0", "1"), Buffer.from("one"));
    await files.replace(join(dir, "c", "0", "1"), Buffer.from("two"));
    await files.replace(join(dir, "zarr.json"), Buffer.from("{}"));
    assert.equal(readFileSync(join(dir, "c", "0", "1"), "utf8"), "two");
    assert.deepEqual(
      readdirSync(dir).filter((n) => TEMPORARY.test(n)),
      [],
    );
    await files.sync();
    await files.sync(); // nothing new: nothing to do
  });

  it("fails every later sync once one failed: a retry could report lost pages durable", async () => {
    const files = new FileReplacer(dir);
    await files.sync(); // the first sync covers what is there (nothing yet)
    await files.replace(join(dir, "a"), Buffer.from("a"));
    unlinkSync(join(dir, "a"));
    await assert.rejects(files.sync(), /ENOENT/);
    await files.replace(join(dir, "b"), Buffer.from("b"));
    await assert.rejects(files.sync(), /ENOENT/);
  });
});
