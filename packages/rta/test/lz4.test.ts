/**
 * Raw LZ4 blocks against a second implementation, the reference liblz4 through Debian's
 * python3-lz4 (`lz4.block` with `store_size=False`, so no size prefix, as RTA sends them), in both
 * directions; then the refusals of decompressBlock and blockContentSize.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, it } from "node:test";
import { RtaFormatError } from "../src/errors.js";
import { blockContentSize, compressBlock, decompressBlock } from "../src/lz4.js";

const PYTHON = "/usr/bin/python3"; // Debian's, where python3-lz4 installs (not pyenv's python3)
// No skip when it is missing: .ci/run installs python3-lz4, and a silent skip would hide the interop.
const COMPRESS =
  "import sys, lz4.block; sys.stdout.buffer.write(lz4.block.compress(sys.stdin.buffer.read(), store_size=False))";
const DECOMPRESS =
  "import sys, lz4.block; sys.stdout.buffer.write(lz4.block.decompress(sys.stdin.buffer.read(), uncompressed_size=int(sys.argv[1])))";

function python(script: string, input: Uint8Array, ...args: string[]): Buffer {
  const result = spawnSync(PYTHON, ["-c", script, ...args], { input, maxBuffer: 64 * 1024 * 1024 });
  if (result.error) throw result.error;
  assert.equal(result.status, 0, `python3 failed: ${result.stderr.toString()}`);
  return result.stdout;
}

/** Deterministic noise (xorshift32), which LZ4 cannot shrink. */
function noise(length: number, seed = 0x9e3779b9): Buffer {
  const out = Buffer.alloc(length);
  let x = seed;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** A float64 sine wave, like a periodic channel's buffer: 200,000 bytes, past 64 KiB. */
function sine(): Buffer {
  const out = Buffer.alloc(25_000 * 8);
  for (let i = 0; i < 25_000; i++) out.writeDoubleLE(Math.round(Math.sin(i / 100) * 1000) / 1000, i * 8);
  return out;
}

const INPUTS: Record<string, Buffer> = {
  empty: Buffer.alloc(0),
  "one byte": Buffer.from([0x2a]),
  "compressible text": Buffer.from('{"identity":"s1","state":"open"} '.repeat(100)),
  "incompressible noise (4 KiB)": noise(4096),
  "float64 samples (200,000 bytes)": sine(),
};

describe("LZ4 raw blocks", () => {
  it("python3-lz4 is installed (.ci/run installs it)", () => {
    const result = spawnSync(PYTHON, ["-c", "import lz4.block"]);
    assert.equal(result.status, 0, "python3-lz4 is missing: apt-get install python3-lz4");
  });

  describe("liblz4 decompresses compressBlock's blocks", () => {
    for (const [name, data] of Object.entries(INPUTS)) {
      it(name, () => {
        const block = compressBlock(data);
        assert.deepEqual(python(DECOMPRESS, block, String(data.length)), data);
        assert.equal(blockContentSize(block), data.length);
      });
    }
  });

  describe("decompressBlock reads liblz4's blocks", () => {
    for (const [name, data] of Object.entries(INPUTS)) {
      it(name, () => {
        const block = python(COMPRESS, data);
        assert.equal(blockContentSize(block), data.length);
        assert.deepEqual(decompressBlock(block, data.length), data);
      });
    }
  });

  it("an empty input is the one-byte block 00 in both implementations", () => {
    assert.equal(compressBlock(new Uint8Array(0)).toString("hex"), "00");
    assert.equal(python(COMPRESS, new Uint8Array(0)).toString("hex"), "00");
  });

  it("shrinks what repeats, and noise grows by a few bytes only", () => {
    assert.ok(compressBlock(INPUTS["compressible text"] as Buffer).length < 100);
    assert.ok(compressBlock(noise(4096)).length <= 4096 + 4096 / 255 + 16);
  });

  it("compresses a Uint8Array view at an offset, not its whole buffer", () => {
    const whole = Buffer.concat([Buffer.from("xyz"), INPUTS["compressible text"] as Buffer, Buffer.from("tail")]);
    const view = new Uint8Array(whole.buffer, whole.byteOffset + 3, whole.length - 7);
    assert.deepEqual(decompressBlock(compressBlock(view), view.length), INPUTS["compressible text"]);
  });

  it("decompresses a block at an offset in a larger buffer", () => {
    const data = INPUTS["compressible text"] as Buffer;
    const framed = Buffer.concat([Buffer.from([1, 2, 3]), compressBlock(data)]);
    assert.deepEqual(decompressBlock(framed.subarray(3), data.length), data);
  });

  describe("decompressBlock refuses", () => {
    const data = Buffer.from("hello hello hello hello hello hello world ".repeat(20)); // 840 bytes
    const block = compressBlock(data);

    it("a corrupt block", () => {
      assert.throws(() => decompressBlock(Buffer.from("ff ff ff 01 02 03".replaceAll(" ", ""), "hex"), 100), {
        name: "RtaFormatError",
        message: /^corrupt LZ4 block \(6 bytes, 100 expected\)/,
      });
    });

    it("a truncated block", () => {
      assert.throws(() => decompressBlock(block.subarray(0, block.length - 3), data.length), RtaFormatError);
    });

    it("an empty block", () => {
      assert.throws(() => decompressBlock(new Uint8Array(0), 0), /corrupt LZ4 block/);
    });

    it("a stated size larger than the block holds", () => {
      assert.throws(() => decompressBlock(block, data.length + 10), {
        name: "RtaFormatError",
        message: "LZ4 block holds 840 bytes, not the 850 stated",
      });
    });

    it("a stated size smaller than the block holds", () => {
      assert.throws(() => decompressBlock(block, data.length - 10), /corrupt LZ4 block/);
    });

    it("a size past maxSize, before decompressing (exactly maxSize is fine)", () => {
      assert.deepEqual(decompressBlock(block, data.length, data.length), data);
      assert.throws(() => decompressBlock(block, data.length, data.length - 1), {
        message: "LZ4 block of 840 bytes is past the limit of 839",
      });
      assert.throws(() => decompressBlock(block, 64 * 1024 * 1024 + 1), /past the limit of 67108864/);
    });

    it("a size that is not a byte count", () => {
      for (const size of [-1, 1.5, Number.NaN]) {
        assert.throws(() => decompressBlock(block, size), /is not a byte count/);
      }
    });
  });

  describe("blockContentSize refuses", () => {
    const cases: [string, string, RegExp][] = [
      ["an empty block", "", /empty LZ4 block/],
      ["literals past the end", "30 61 62", /literals run past the block's end/],
      ["a block ending inside a literal length", "f0 ff", /ends inside a length/],
      ["a block ending inside a match offset", "10 61 01", /ends inside a match offset/],
      ["a match offset of 0", "10 61 00 00 00", /match offset 0 at byte 2/],
      ["a match offset before the start", "10 61 02 00 00", /match offset 2 at byte 2/],
      ["a block ending with a match", "10 61 01 00", /ends with a match/],
    ];
    for (const [name, bytes, message] of cases) {
      it(name, () => {
        assert.throws(() => blockContentSize(Buffer.from(bytes.replaceAll(" ", ""), "hex")), {
          name: "RtaFormatError",
          message,
        });
      });
    }

    it("a size past maxSize", () => {
      // One literal "a", then a match of 4 + 15 + 255 + 10 = 284 bytes at offset 1, then an empty last sequence.
      const block = Buffer.from("1f 61 01 00 ff 0a 00".replaceAll(" ", ""), "hex");
      assert.equal(blockContentSize(block), 285);
      assert.equal(decompressBlock(block, 285).toString(), "a".repeat(285));
      assert.equal(blockContentSize(block, 285), 285);
      assert.throws(() => blockContentSize(block, 284), /holds more than 284 bytes/);
    });
  });
});
