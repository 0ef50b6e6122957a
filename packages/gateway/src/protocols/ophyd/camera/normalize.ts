/**
 * A detector array to 8-bit pixels, as the real server computes them (numpy), then reshaped from
 * the colour mode's element order to gray or pixel-interleaved RGB, ready for the JPEG encoder.
 *
 * - Linear: `trunc(a / max * 255)`, max taken as 1 when it is not positive.
 * - Log: `trunc((log(a + 1) - lmin) / (lmax - lmin) * 255)` over the array's range, 0 everywhere
 *   when the range is empty. The real server refuses negative data (and shows nothing); here
 *   negative values count as 0, so signed detectors still show their positive part.
 *
 * Same formulas in the same order of operations as numpy, in float64 (numpy keeps Float32 data in
 * float32, which may move a pixel by one level). Negative linear results clamp to 0 (numpy's
 * cast of a negative float to uint8 is undefined). Not-a-number pixels are 0; infinities are left
 * out of the range and clamp to 0 or 255.
 *
 * 8- and 16-bit data (the common case) goes through a table of one byte per value in the frame's
 * range: one multiply-free lookup per pixel. Other types compute each pixel.
 */
import type { NumericArray } from "../../../core/values.js";

export const COLOR_MODES = ["Mono", "RGB1", "RGB2", "RGB3"] as const;
export type ColorMode = (typeof COLOR_MODES)[number];

export function isColorMode(label: string): label is ColorMode {
  return (COLOR_MODES as readonly string[]).includes(label);
}

/** 8-bit pixels in row order: gray (1 channel) or RGB interleaved by pixel (3). */
export interface Image8 {
  readonly pixels: Uint8Array;
  readonly width: number;
  readonly height: number;
  readonly channels: 1 | 3;
}

/** The array does not hold an image of the settings' size. */
export class ShapeError extends Error {}

export function normalizeImage(
  data: NumericArray,
  width: number,
  height: number,
  colorMode: ColorMode,
  log: boolean,
): Image8 {
  const channels = colorMode === "Mono" ? 1 : 3;
  const expected = width * height * channels;
  if (!(width > 0 && height > 0) || data.length !== expected) {
    throw new ShapeError(
      `${data.length} elements do not make a ${width}x${height} ${colorMode} image (${Math.max(0, expected)} expected)`,
    );
  }
  const pixels = interleave(toBytes(data, log), width, height, colorMode);
  return { pixels, width, height, channels };
}

/** Every element normalized to a byte, in the array's own order. */
export function toBytes(data: NumericArray, log: boolean): Uint8Array {
  const small =
    data instanceof Uint8Array ||
    data instanceof Int8Array ||
    data instanceof Uint16Array ||
    data instanceof Int16Array;
  return small ? bytesByTable(data, log) : bytesEach(data, log);
}

function bytesByTable(data: Uint8Array | Int8Array | Uint16Array | Int16Array, log: boolean): Uint8Array {
  const n = data.length;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < n; i++) {
    const v = data[i] as number;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const out = new Uint8Array(n);
  if (n === 0) return out;
  const table = new Uint8Array(max - min + 1);
  const byte = log ? logScale(min, max) : linearScale(max);
  for (let v = min; v <= max; v++) table[v - min] = byte(v);
  for (let i = 0; i < n; i++) out[i] = table[(data[i] as number) - min] as number;
  return out;
}

function bytesEach(data: NumericArray, log: boolean): Uint8Array {
  const n = data.length;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < n; i++) {
    const v = data[i] as number;
    if (v < min && v !== -Infinity) min = v;
    if (v > max && v !== Infinity) max = v;
  }
  const out = new Uint8Array(n);
  if (min > max) return out; // nothing finite
  const byte = log ? logScale(min, max) : linearScale(max);
  for (let i = 0; i < n; i++) out[i] = byte(data[i] as number);
  return out;
}

/** numpy's `(a / max_val * 255).astype(np.uint8)`, clamped. */
function linearScale(max: number): (v: number) => number {
  const m = max > 0 ? max : 1;
  return (v) => clampByte((v / m) * 255);
}

/** numpy's log normalization over [min, max], negative values read as 0. */
function logScale(min: number, max: number): (v: number) => number {
  const low = Math.log(Math.max(min, 0) + 1);
  const high = Math.log(Math.max(max, 0) + 1);
  if (high === low) return () => 0;
  const range = high - low;
  return (v) => clampByte(((Math.log(v > 0 ? v + 1 : 1) - low) / range) * 255);
}

function clampByte(x: number): number {
  if (x >= 255) return 255;
  return x > 0 ? Math.trunc(x) : 0; // NaN, negatives: 0
}

/** Bytes in the colour mode's element order to gray or pixel-interleaved RGB (numpy's reshape and stack). */
export function interleave(bytes: Uint8Array, width: number, height: number, colorMode: ColorMode): Uint8Array {
  if (colorMode === "RGB2") return fromRowPlanes(bytes, width, height);
  if (colorMode === "RGB3") return fromPlanes(bytes, width, height);
  return bytes; // Mono and RGB1 are already in row order
}

/** RGB2: each row is its red, green and blue rows one after the other. */
function fromRowPlanes(bytes: Uint8Array, width: number, height: number): Uint8Array {
  const out = new Uint8Array(bytes.length);
  for (let y = 0; y < height; y++) {
    const row = y * width * 3;
    for (let c = 0; c < 3; c++) {
      const from = row + c * width;
      for (let x = 0, o = row + c; x < width; x++, o += 3) out[o] = bytes[from + x] as number;
    }
  }
  return out;
}

/** RGB3: the whole red plane, then green, then blue. */
function fromPlanes(bytes: Uint8Array, width: number, height: number): Uint8Array {
  const out = new Uint8Array(bytes.length);
  const plane = width * height;
  for (let c = 0; c < 3; c++) {
    const from = c * plane;
    for (let p = 0, o = c; p < plane; p++, o += 3) out[o] = bytes[from + p] as number;
  }
  return out;
}
