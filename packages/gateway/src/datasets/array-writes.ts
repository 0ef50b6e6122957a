/**
 * The checks of an array write against the array's shape as it will be once every accepted write
 * is applied (the logical shape): so a bad write is refused before it reaches the write-ahead log,
 * and what the log holds always applies. Each check throws a RangeError naming the problem.
 */

/** A patch past the array's shape without `extend` (Tiled answers it 409, not 400). */
export class ShapeConflict extends RangeError {}

/** Bytes of a C-order array of `shape` with elements of `itemsize` bytes. */
export function bytesOf(shape: readonly number[], itemsize: number): number {
  return shape.reduce((n, d) => n * d, itemsize);
}

function checkLength(bytes: Uint8Array, shape: readonly number[], itemsize: number, what: string): void {
  const expected = bytesOf(shape, itemsize);
  if (bytes.byteLength !== expected) {
    throw new RangeError(
      `${what} of shape [${shape.join(",")}] takes ${expected} bytes; the body has ${bytes.byteLength}`,
    );
  }
}

function checkIndices(name: string, values: readonly number[], ndim: number): void {
  if (values.length !== ndim)
    throw new RangeError(`${name} has ${values.length} values; the array has ${ndim} dimensions`);
  if (values.some((v) => !Number.isSafeInteger(v) || v < 0))
    throw new RangeError(`${name} must be non-negative integers`);
}

/** A whole-array write. */
export function checkFull(shape: readonly number[], itemsize: number, bytes: Uint8Array): void {
  checkLength(bytes, shape, itemsize, "The array");
}

/** A block write: where the block lies (edge blocks are smaller). */
export function checkBlock(
  shape: readonly number[],
  chunkShape: readonly number[],
  itemsize: number,
  block: readonly number[],
  bytes: Uint8Array,
): { offset: number[]; shape: number[] } {
  checkIndices("block", block, shape.length);
  const offset = block.map((b, d) => b * (chunkShape[d] as number));
  const blockShape = offset.map((o, d) => Math.min(chunkShape[d] as number, (shape[d] as number) - o));
  if (blockShape.some((n) => n <= 0) && shape.every((n) => n > 0)) {
    throw new RangeError(`block [${block.join(",")}] is outside the array of shape [${shape.join(",")}]`);
  }
  checkLength(bytes, blockShape, itemsize, `Block [${block.join(",")}]`);
  return { offset, shape: blockShape };
}

/** A patch (`offset`, `shape`): the array's shape after it, grown only with `extend`. */
export function checkPatch(
  shape: readonly number[],
  itemsize: number,
  offset: readonly number[],
  patchShape: readonly number[],
  bytes: Uint8Array,
  extend: boolean,
): number[] {
  checkIndices("offset", offset, shape.length);
  checkIndices("shape", patchShape, shape.length);
  checkLength(bytes, patchShape, itemsize, "The patch");
  const end = offset.map((o, d) => o + (patchShape[d] as number));
  const fits = end.every((e, d) => e <= (shape[d] as number));
  if (!fits && !extend) {
    throw new ShapeConflict(
      `Slice ${offset.map((o, d) => `${o}:${end[d]}`).join(",")} does not fit within current array shape ` +
        `(${shape.join(", ")}). Use ?extend=true to extend the array dimensions to fit.`,
    );
  }
  return shape.map((n, d) => Math.max(n, end[d] as number));
}
