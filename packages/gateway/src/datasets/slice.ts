/**
 * Tiled's `?slice=` syntax, parsed against an array's shape. Tiled evaluates each comma-separated
 * part as numpy's `s_[part]`, so the rules are numpy's (Python's `slice.indices`): `2` picks one
 * index and drops the dimension, `a:b:c` keeps it, negative numbers count from the end, bounds
 * past the end are clamped, a zero step is an error, missing trailing dimensions mean "all".
 * Two of Tiled's quirks are kept on purpose, for wire compatibility: empty parts are skipped
 * (`",,1"` is `"1"`) and spaces around numbers are allowed (`"1 : 2"`).
 *
 * This file only does arithmetic; reading the selected elements is `array-store.ts`'s job.
 */

/** What one dimension of a slice selects. */
export type DimSelection =
  /** One element, at a non-negative index; the dimension is dropped from the result. */
  | { readonly kind: "index"; readonly index: number }
  /**
   * `length` elements `start, start + step, ...` (`step` may be negative, never 0), every one in
   * range; the dimension stays in the result with that length.
   */
  | {
      readonly kind: "range";
      readonly start: number;
      readonly stop: number;
      readonly step: number;
      readonly length: number;
    };

const INTEGER = /^-?\d+$/;

/**
 * One selection per dimension of `shape` (an absent or empty slice selects everything).
 * Throws RangeError for malformed text, a zero step, an index out of range or too many parts.
 */
export function parseSlice(text: string | undefined, shape: readonly number[]): DimSelection[] {
  const parts = (text ?? "")
    .split(",")
    .map((p) => p.trim())
    .filter((p) => p !== "");
  if (parts.length > shape.length) {
    throw new RangeError(`slice "${text}" has ${parts.length} parts but the array has ${shape.length} dimensions`);
  }
  return shape.map((length, dim) => {
    const part = parts[dim];
    if (part === undefined) return { kind: "range", start: 0, stop: length, step: 1, length };
    return parsePart(part, length, dim);
  });
}

/** The shape of what `selection` reads: the lengths of its ranges (indices drop their dimension). */
export function selectionShape(selection: readonly DimSelection[]): number[] {
  const shape: number[] = [];
  for (const s of selection) if (s.kind === "range") shape.push(s.length);
  return shape;
}

function parsePart(part: string, length: number, dim: number): DimSelection {
  if (INTEGER.test(part)) {
    const given = Number(part);
    const index = given < 0 ? given + length : given;
    if (index < 0 || index >= length) {
      throw new RangeError(`index ${part} is out of range for dimension ${dim} of length ${length}`);
    }
    return { kind: "index", index };
  }
  const fields = part.split(":").map((f) => f.trim());
  if (fields.length > 3) throw new RangeError(`malformed slice part "${part}" (at most start:stop:step)`);
  const numbers = fields.map((f) => {
    if (f === "") return null;
    if (!INTEGER.test(f)) throw new RangeError(`malformed slice part "${part}" (integers only)`);
    return Number(f);
  });
  const [start = null, stop = null, step = null] = numbers;
  return sliceIndices(start, stop, step ?? 1, length, part);
}

/** Python's `slice(start, stop, step).indices(length)`, plus the number of elements selected. */
function sliceIndices(
  start: number | null,
  stop: number | null,
  step: number,
  length: number,
  part: string,
): DimSelection {
  if (step === 0) throw new RangeError(`slice step cannot be zero ("${part}")`);
  const [lower, upper] = step < 0 ? [-1, length - 1] : [0, length];
  const clamp = (value: number | null, fallback: number): number => {
    if (value === null) return fallback;
    if (value < 0) return Math.max(value + length, lower);
    return Math.min(value, upper);
  };
  const first = clamp(start, step < 0 ? upper : lower);
  const end = clamp(stop, step < 0 ? lower : upper);
  const count = step < 0 ? Math.ceil((first - end) / -step) : Math.ceil((end - first) / step);
  return { kind: "range", start: first, stop: end, step, length: Math.max(0, count) };
}
