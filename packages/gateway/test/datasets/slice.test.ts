/** Tiled's `?slice=` syntax against numpy's rules: indices, ranges, steps, negatives, clamping, errors. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type DimSelection, parseSlice, selectionShape } from "../../src/datasets/slice.js";

/** The indices a selection picks, per dimension (numpy's `range(n)[part]`). */
function picked(selection: readonly DimSelection[]): (number | number[])[] {
  return selection.map((s) =>
    s.kind === "index" ? s.index : Array.from({ length: s.length }, (_, i) => s.start + i * s.step),
  );
}

describe("parseSlice", () => {
  it("selects everything when absent or empty, and for missing trailing dimensions", () => {
    for (const text of [undefined, "", ",", ",,", ":", "::"]) {
      assert.deepEqual(picked(parseSlice(text, [3])), [[0, 1, 2]], String(text));
    }
    assert.deepEqual(picked(parseSlice("1:2", [3, 2, 2])), [[1], [0, 1], [0, 1]]);
    assert.deepEqual(selectionShape(parseSlice(undefined, [2, 3])), [2, 3]);
  });

  it("follows Python's slice.indices, checked against a table made with numpy", () => {
    // Each row: part, length, the indices numpy's arange(length)[part] gives.
    const table: [string, number, number[]][] = [
      ["0:3", 7, [0, 1, 2]],
      [":7", 7, [0, 1, 2, 3, 4, 5, 6]],
      ["5:", 7, [5, 6]],
      ["-5:", 7, [2, 3, 4, 5, 6]],
      [":-5", 7, [0, 1]],
      ["::2", 7, [0, 2, 4, 6]],
      ["1:10:3", 13, [1, 4, 7]],
      ["5:3", 7, []],
      ["3:100", 7, [3, 4, 5, 6]],
      ["-100:2", 7, [0, 1]],
      ["::-1", 5, [4, 3, 2, 1, 0]],
      ["::-2", 5, [4, 2, 0]],
      ["3:0:-1", 5, [3, 2, 1]],
      ["-1:-4:-1", 5, [4, 3, 2]],
      [":-1:-1", 5, []],
      ["10:-10:-3", 5, [4, 1]],
      ["::-45", 7, [6]],
      ["123::4", 7, []],
      [":123:4", 7, [0, 4]],
      ["0:0", 0, []],
      ["::-1", 0, []],
    ];
    for (const [part, length, expected] of table) {
      const [sel] = parseSlice(part, [length]);
      assert.deepEqual(picked([sel as DimSelection]), [expected], `${part} of ${length}`);
    }
  });

  it("drops a dimension for an integer, counting negatives from the end", () => {
    const sel = parseSlice("2,-1", [3, 4, 5]);
    assert.deepEqual(picked(sel), [2, 3, [0, 1, 2, 3, 4]]);
    assert.deepEqual(selectionShape(sel), [5]);
    assert.deepEqual(selectionShape(parseSlice("0,0", [2, 2])), []);
  });

  it("keeps Tiled's quirks: empty parts skipped, spaces allowed", () => {
    assert.deepEqual(picked(parseSlice(",,1", [3, 2])), [1, [0, 1]]);
    assert.deepEqual(picked(parseSlice("1 : 2, 0", [3, 2])), [[1], 0]);
    assert.deepEqual(picked(parseSlice(" 1 , 2 ", [3, 3])), [1, 2]);
  });

  it("refuses malformed text, zero steps, indices out of range and too many parts", () => {
    const bad: [string, number[]][] = [
      [":::", [3]],
      ["1:2:3:4", [3]],
      ["::0", [3]],
      ["3", [3]],
      ["-4", [3]],
      ["0", [0]],
      ["1,2", [3]],
      ["a", [3]],
      ["1:(2+3)", [3]],
      ["1.5", [3]],
      ["+1", [3]],
      ["...", [3]],
      ["0", []],
    ];
    for (const [text, shape] of bad) {
      assert.throws(() => parseSlice(text, shape), RangeError, `${text} on [${shape}]`);
    }
    assert.deepEqual(parseSlice("", []), []);
  });
});
