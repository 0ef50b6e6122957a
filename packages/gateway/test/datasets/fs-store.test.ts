/** The file-per-key zarrita store: whole-file replacement by rename, missing keys, keys kept inside the directory. */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import type { AbsolutePath } from "zarrita";
import { FsStore } from "../../src/datasets/fs-store.js";

function listAll(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" }).sort();
}

describe("FsStore", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "bg-fsstore-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("sets and gets bytes, making directories, leaving no temporaries", async () => {
    const store = new FsStore(dir);
    await store.set("/zarr.json", new TextEncoder().encode("{}"));
    await store.set("/c/0/1", Uint8Array.of(1, 2, 3));
    await Promise.all(Array.from({ length: 20 }, (_, i) => store.set(`/c/1/${i}`, Uint8Array.of(i))));
    await store.set("/c/0/1", Uint8Array.of(9));
    assert.deepEqual([...((await store.get("/c/0/1")) ?? [])], [9]);
    assert.deepEqual([...((await store.get("/c/1/7")) ?? [])], [7]);
    assert.equal(readFileSync(join(dir, "zarr.json"), "utf8"), "{}");
    assert.deepEqual(
      listAll(dir).filter((n) => n.includes("tmp")),
      [],
    );
  });

  it("holds buffered writes in memory, visible to its reads, then writes each key once", async () => {
    const store = new FsStore(dir);
    await store.set("/c/0", Uint8Array.of(0));
    const result = await store.buffered(async () => {
      await store.set("/c/0", Uint8Array.of(1));
      await store.set("/zarr.json", new TextEncoder().encode("{}"));
      await store.set("/c/0", Uint8Array.of(2));
      assert.deepEqual([...((await store.get("/c/0")) ?? [])], [2], "a read sees the held write");
      assert.deepEqual([...readFileSync(join(dir, "c", "0"))], [0], "nothing written yet");
      assert.equal(existsSync(join(dir, "zarr.json")), false);
      return "done";
    });
    assert.equal(result, "done");
    assert.deepEqual([...readFileSync(join(dir, "c", "0"))], [2]);
    assert.equal(readFileSync(join(dir, "zarr.json"), "utf8"), "{}");
    assert.deepEqual(
      listAll(dir).filter((n) => n.includes("tmp")),
      [],
    );
  });

  it("writes nothing of a buffered batch that fails", async () => {
    const store = new FsStore(dir);
    await store.set("/c/0", Uint8Array.of(0));
    await assert.rejects(
      store.buffered(async () => {
        await store.set("/c/0", Uint8Array.of(1));
        throw new Error("bad write");
      }),
      /bad write/,
    );
    assert.deepEqual([...readFileSync(join(dir, "c", "0"))], [0]);
    assert.deepEqual([...((await store.get("/c/0")) ?? [])], [0]);
  });

  it("returns arrays owning their whole buffer (zarrita encodes chunks from .buffer)", async () => {
    const store = new FsStore(dir);
    await store.set("/small", Uint8Array.of(1, 2, 3));
    const got = await store.get("/small");
    assert.ok(got);
    assert.equal(got.byteOffset, 0);
    assert.equal(got.buffer.byteLength, 3);
  });

  it("answers undefined for missing keys, also under a file", async () => {
    const store = new FsStore(dir);
    assert.equal(await store.get("/zarr.json"), undefined);
    assert.equal(await store.get("/c/0/0"), undefined);
    await store.set("/c/0", Uint8Array.of(1));
    assert.equal(await store.get("/c/0/0"), undefined, "a path through a file");
    assert.equal(await store.delete("/c/0"), true);
    assert.equal(await store.delete("/c/0"), false);
  });

  it("refuses keys that could leave the directory or name a temporary", async () => {
    writeFileSync(join(dir, "..", "bg-fsstore-outside"), "x");
    const store = new FsStore(dir);
    const bad = [
      "/../bg-fsstore-outside",
      "/c/../../bg-fsstore-outside",
      "/./zarr.json",
      "//zarr.json",
      "/c//0",
      "/",
      "zarr.json",
      "/c\\..\\x",
      "/a\0b",
      "/.tmp-abc-1",
    ];
    for (const key of bad) {
      await assert.rejects(store.get(key as AbsolutePath), RangeError, key);
      await assert.rejects(store.set(key as AbsolutePath, Uint8Array.of(1)), RangeError, key);
    }
    assert.equal(readFileSync(join(dir, "..", "bg-fsstore-outside"), "utf8"), "x");
    rmSync(join(dir, "..", "bg-fsstore-outside"));
    assert.deepEqual(listAll(dir), []);
  });

  it("removes temporaries a crash left behind, and subtrees", async () => {
    const store = new FsStore(dir);
    writeFileSync(join(dir, ".tmp-1f-3"), "half a chunk");
    await store.set("/c/0/0", Uint8Array.of(1));
    await store.set("/zarr.json", Uint8Array.of(2));
    assert.equal(await store.removeTemporaries(), 1);
    assert.deepEqual(listAll(dir), ["c", join("c", "0"), join("c", "0", "0"), "zarr.json"]);
    await store.deleteTree("/c");
    assert.equal(existsSync(join(dir, "c")), false);
    await store.set("/c/0/0", Uint8Array.of(3));
    assert.deepEqual([...((await store.get("/c/0/0")) ?? [])], [3], "directories remade after deleteTree");
    assert.equal(await new FsStore(join(dir, "none")).removeTemporaries(), 0);
  });

  it("replaces a file by rename: a reader holding the old file keeps the old bytes", async () => {
    const store = new FsStore(dir);
    await store.set("/k", new Uint8Array(1 << 16).fill(1));
    const { openSync, readSync, closeSync } = await import("node:fs");
    const fd = openSync(join(dir, "k"), "r");
    try {
      await store.set("/k", new Uint8Array(1 << 16).fill(2));
      const old = Buffer.alloc(1 << 16);
      readSync(fd, old, 0, old.length, 0);
      assert.ok(
        old.every((b) => b === 1),
        "the open file is the old inode, untouched",
      );
    } finally {
      closeSync(fd);
    }
    assert.ok((await store.get("/k"))?.every((b) => b === 2));
  });
});
